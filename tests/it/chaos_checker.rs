//! The checker of a chaos run: from what each client sent (and what became of each send) and
//! what each device holds after its last `sync`, the verdict. It knows nothing of how the run
//! was made, so any run that records the same facts can use it.
//!
//! Each logical send has a content unique in the run (`<sender>:<seq>`), so a message is
//! recognised in any device's history without the sender's `clientMsgId` (served only to the
//! sender).

use std::collections::{HashMap, HashSet};

use serde_json::Value;

/// Where a send went.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Dest {
    User(String),
    Group(i64),
}

/// What the server answered to a send (after the client's retries).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Acked(String),
    Refused(String),
    /// No answer ever came (the run ended while it was in flight).
    Unknown,
}

/// One logical send: its sender, its place in the sender's order, where it went, its unique
/// content, its outcome, and whether it was sent again (its first answer was lost or was
/// `IM:Unavailable` on a retry).
#[derive(Clone, Debug)]
pub struct Sent {
    pub sender: String,
    pub seq: u64,
    pub dest: Dest,
    pub content: String,
    pub outcome: Outcome,
    pub retried: bool,
}

/// What the checker found.
#[derive(Debug, Default)]
pub struct Verdict {
    pub acked: usize,
    pub refused: usize,
    pub unknown: usize,
    /// (device, content): an acknowledged message a recipient device does not hold.
    pub missing: Vec<(String, String)>,
    /// (device, content): a message a device's sync served more than once.
    pub duplicated: Vec<(String, String)>,
    /// (device, content): a message stored under two ids (a retried send stored twice).
    pub stored_twice: Vec<(String, String)>,
    /// (device, content): a refused send that was stored all the same.
    pub refused_stored: Vec<(String, String)>,
    /// (device, sender): a sender's messages held out of the order they were acknowledged.
    /// Only sends acknowledged at the first attempt are compared: the sender waited for each
    /// before the next, so their order is known; a retried one was sent again later.
    pub out_of_order: Vec<(String, String)>,
    /// (device, content): an acked message held under another id than its ack's.
    pub wrong_id: Vec<(String, String)>,
}

impl Verdict {
    /// Whether nothing went wrong.
    pub fn passed(&self) -> bool {
        self.missing.is_empty()
            && self.duplicated.is_empty()
            && self.stored_twice.is_empty()
            && self.refused_stored.is_empty()
            && self.out_of_order.is_empty()
            && self.wrong_id.is_empty()
    }

    /// One line per kind of finding, with counts and a few examples.
    pub fn summary(&self) -> String {
        let few = |v: &Vec<(String, String)>| {
            v.iter()
                .take(5)
                .map(|(a, b)| format!("{a}/{b}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "acked {}, refused {}, unknown {}; missing {} [{}]; duplicated {} [{}]; stored twice {} [{}]; refused but stored {} [{}]; out of order {} [{}]; wrong id {} [{}]",
            self.acked,
            self.refused,
            self.unknown,
            self.missing.len(),
            few(&self.missing),
            self.duplicated.len(),
            few(&self.duplicated),
            self.stored_twice.len(),
            few(&self.stored_twice),
            self.refused_stored.len(),
            few(&self.refused_stored),
            self.out_of_order.len(),
            few(&self.out_of_order),
            self.wrong_id.len(),
            few(&self.wrong_id),
        )
    }
}

/// Checks a run: `sent` by every client, the members of each group, and each device's
/// messages after its last `sync` (in the order the sync served them).
pub fn check(
    sent: &[Sent],
    members: &HashMap<i64, Vec<String>>,
    finals: &HashMap<String, Vec<Value>>,
) -> Verdict {
    let mut verdict = Verdict::default();
    let by_content: HashMap<&str, &Sent> = sent.iter().map(|s| (s.content.as_str(), s)).collect();
    for s in sent {
        match s.outcome {
            Outcome::Acked(_) => verdict.acked += 1,
            Outcome::Refused(_) => verdict.refused += 1,
            Outcome::Unknown => verdict.unknown += 1,
        }
    }
    for (device, messages) in finals {
        // What this device holds: content → the ids it is held under, and the order.
        let mut ids: HashMap<&str, HashSet<&str>> = HashMap::new();
        let mut seen_ids = HashSet::new();
        let mut last_seq: HashMap<(&str, &Dest), u64> = HashMap::new();
        for m in messages {
            let (Some(content), Some(id)) = (m["content"].as_str(), m["messageId"].as_str()) else {
                continue;
            };
            let Some(s) = by_content.get(content) else {
                continue;
            };
            if !seen_ids.insert(id) {
                verdict
                    .duplicated
                    .push((device.clone(), content.to_string()));
                continue;
            }
            ids.entry(content).or_default().insert(id);
            match &s.outcome {
                Outcome::Refused(_) => verdict
                    .refused_stored
                    .push((device.clone(), content.to_string())),
                Outcome::Acked(acked) if acked != id => {
                    verdict.wrong_id.push((device.clone(), content.to_string()))
                }
                _ => {}
            }
            if !s.retried {
                let key = (s.sender.as_str(), &s.dest);
                if last_seq.get(&key).is_some_and(|last| *last > s.seq) {
                    verdict
                        .out_of_order
                        .push((device.clone(), s.sender.clone()));
                }
                last_seq.insert(key, s.seq);
            }
        }
        for (content, held) in &ids {
            if held.len() > 1 {
                verdict
                    .stored_twice
                    .push((device.clone(), content.to_string()));
            }
        }
        // Every acked message meant for this device is held.
        for s in sent {
            if !matches!(s.outcome, Outcome::Acked(_)) {
                continue;
            }
            let meant = match &s.dest {
                Dest::User(u) => u == device || s.sender == *device,
                Dest::Group(g) => members.get(g).is_some_and(|m| m.contains(device)),
            };
            if meant && !ids.contains_key(s.content.as_str()) {
                verdict.missing.push((device.clone(), s.content.clone()));
            }
        }
    }
    verdict
}

#[test]
fn the_checker_finds_each_kind_of_fault() {
    let sent = |seq, content: &str, outcome| Sent {
        sender: "a".into(),
        seq,
        dest: Dest::User("b".into()),
        content: content.into(),
        outcome,
        retried: false,
    };
    let sends = vec![
        sent(1, "a:1", Outcome::Acked("10".into())),
        sent(2, "a:2", Outcome::Acked("20".into())),
        sent(3, "a:3", Outcome::Refused("IM:Unavailable".into())),
        sent(4, "a:4", Outcome::Acked("40".into())),
    ];
    let msg = |id: &str, content: &str| serde_json::json!({"messageId": id, "content": content});
    let good = vec![msg("10", "a:1"), msg("20", "a:2"), msg("40", "a:4")];
    let finals = HashMap::from([("b".to_string(), good.clone()), ("a".to_string(), good)]);
    let v = check(&sends, &HashMap::new(), &finals);
    assert!(v.passed(), "{}", v.summary());
    assert_eq!((v.acked, v.refused), (3, 1));

    let bad = vec![
        msg("20", "a:2"),
        msg("10", "a:1"),
        msg("10", "a:1"),
        msg("30", "a:3"),
        msg("41", "a:4"),
        msg("42", "a:4"),
    ];
    let finals = HashMap::from([("b".to_string(), bad), ("a".to_string(), vec![])]);
    let v = check(&sends, &HashMap::new(), &finals);
    assert_eq!(v.out_of_order.len(), 1, "{}", v.summary());
    assert_eq!(v.duplicated.len(), 1, "{}", v.summary());
    assert_eq!(v.refused_stored.len(), 1, "{}", v.summary());
    assert_eq!(v.stored_twice.len(), 1, "{}", v.summary());
    assert_eq!(v.wrong_id.len(), 2, "{}", v.summary());
    assert_eq!(
        v.missing.len(),
        3,
        "the sender's own device: {}",
        v.summary()
    );
}
