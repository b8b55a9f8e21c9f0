//! The reactions on a batch's messages, counted in memory while the batch is applied: read
//! once (two queries) under the messages' locks, then each write is checked against the
//! counts as the writes before it left them, and the batch's net change is written in two
//! statements. A batch costs four statements however many reactions it holds.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::reactions::ReactionStats;

/// One reaction row: message, user, emoji.
pub(super) type Triple = (i64, Uuid, String);

/// The counts of a batch's messages.
#[derive(Default)]
pub(super) struct Tally {
    /// Users reacting with each emoji of each message.
    per_emoji: HashMap<(i64, String), i64>,
    /// The emoji of each of the batch's users on each message.
    mine: HashMap<(i64, Uuid), HashSet<String>>,
    /// The batch's users' rows as they were before it.
    before: HashSet<Triple>,
}

impl Tally {
    /// The counts from the stored rows: how many react with each emoji of each message, and
    /// the batch's users' own rows.
    pub(super) fn new(
        counts: impl IntoIterator<Item = (i64, String, i64)>,
        own: impl IntoIterator<Item = Triple>,
    ) -> Tally {
        let mut tally = Tally::default();
        for (message, emoji, n) in counts {
            tally.per_emoji.insert((message, emoji), n);
        }
        for (message, user, emoji) in own {
            tally
                .mine
                .entry((message, user))
                .or_default()
                .insert(emoji.clone());
            tally.before.insert((message, user, emoji));
        }
        tally
    }

    /// The counts a rule decides `user`'s reaction with `emoji` on `message` by.
    pub(super) fn stats(&self, message: i64, user: Uuid, emoji: &str) -> ReactionStats {
        let kinds = self
            .per_emoji
            .iter()
            .filter(|((m, _), n)| *m == message && **n > 0)
            .count() as i64;
        let this_emoji = self
            .per_emoji
            .get(&(message, emoji.to_string()))
            .copied()
            .unwrap_or(0);
        let mine = self.mine.get(&(message, user));
        ReactionStats {
            kinds,
            this_emoji,
            mine: mine.map_or(0, |m| m.len() as i64),
            mine_this: i64::from(mine.is_some_and(|m| m.contains(emoji))),
        }
    }

    /// Adds or takes back a reaction the rule allowed; the emoji's count after it.
    pub(super) fn apply(&mut self, message: i64, user: Uuid, emoji: &str, add: bool) -> i64 {
        let mine = self.mine.entry((message, user)).or_default();
        let changed = if add {
            mine.insert(emoji.to_string())
        } else {
            mine.remove(emoji)
        };
        let n = self
            .per_emoji
            .entry((message, emoji.to_string()))
            .or_default();
        if changed {
            *n += if add { 1 } else { -1 };
        }
        *n
    }

    /// The rows to insert and to delete: what the batch changed, net.
    pub(super) fn net(&self) -> (Vec<Triple>, Vec<Triple>) {
        let after: HashSet<Triple> = self
            .mine
            .iter()
            .flat_map(|((m, u), emoji)| emoji.iter().map(move |e| (*m, *u, e.clone())))
            .collect();
        let insert = after.difference(&self.before).cloned().collect();
        let delete = self.before.difference(&after).cloned().collect();
        (insert, delete)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_the_batch_and_only_the_net_change_is_written() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let mut t = Tally::new(
            [(1, "👍".to_string(), 2), (1, "🎉".to_string(), 1)],
            [(1, a, "👍".to_string())],
        );
        let s = t.stats(1, a, "👍");
        assert_eq!((s.kinds, s.this_emoji, s.mine, s.mine_this), (2, 2, 1, 1));
        assert_eq!(t.apply(1, a, "👍", false), 1);
        assert_eq!(t.apply(1, a, "👍", true), 2, "taken back and added again");
        assert_eq!(t.apply(1, b, "🔥", true), 1);
        assert_eq!(t.stats(1, b, "x").kinds, 3);
        assert_eq!(t.apply(1, b, "🔥", false), 0);
        assert_eq!(
            t.stats(1, b, "x").kinds,
            2,
            "an emoji nobody uses no longer counts"
        );
        assert_eq!(t.apply(1, b, "🎉", true), 2);
        assert_eq!(t.apply(1, a, "🎉", false), 2, "not a's: nothing taken");
        let (insert, delete) = t.net();
        assert_eq!(insert, vec![(1, b, "🎉".to_string())]);
        assert!(delete.is_empty(), "a's 👍 was added back: {delete:?}");
    }
}
