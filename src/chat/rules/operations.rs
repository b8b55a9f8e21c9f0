//! What a user may do to a stored message beyond reading and recalling it: see it at all,
//! edit it, answer it, forward it, react to it. A message outside the user's conversations does not exist
//! for them (`IM:NotFound`, as for an id nobody used), so ids cannot be probed.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::protocol::Code;
use crate::store::{Conversation, Forwarded, ReactionStats, StoredMessage, STATE_RECALLED};

/// The most distinct emoji on one message, and reactions of one user on one message.
pub const MAX_EMOJI_KINDS: i64 = 20;
pub const MAX_MINE: i64 = 3;

/// Message types whose text may be edited (ABP's `Text`).
const EDITABLE_TYPES: [i32; 1] = [0];

/// May `user` see `message`? A private message by its two parties; a group message by a
/// member from the first message they may see (`groups`: the user's groups and that id).
pub fn may_see(user: Uuid, message: &StoredMessage, groups: &[(i64, i64)]) -> Result<(), Code> {
    let seen = match message.to {
        Conversation::User(receiver) => receiver == user || message.from == Some(user),
        Conversation::Group(group) => groups
            .iter()
            .any(|(g, first)| *g == group && message.message_id >= *first),
    };
    if seen {
        Ok(())
    } else {
        Err(Code::NotFound)
    }
}

/// May `editor` edit `message` at `now`? Only its sender, only text, not recalled
/// (`IM:Conflict`), within `window` (none when zero); another party gets `IM:Forbidden`.
pub fn may_edit(
    editor: Uuid,
    message: &StoredMessage,
    now: DateTime<Utc>,
    window: Duration,
) -> Result<(), Code> {
    if message.from != Some(editor) {
        return Err(Code::Forbidden);
    }
    if message.state == STATE_RECALLED {
        return Err(Code::Conflict);
    }
    if !EDITABLE_TYPES.contains(&message.message_type) {
        return Err(Code::Forbidden);
    }
    if window > Duration::zero() && now - message.send_time > window {
        return Err(Code::Forbidden);
    }
    Ok(())
}

/// May a message to `to` answer `target`? Only a message of the same conversation: for a
/// private one, between the same two users.
pub fn may_reply(sender: Uuid, to: Conversation, target: &StoredMessage) -> Result<(), Code> {
    let same = match (to, target.to) {
        (Conversation::Group(a), Conversation::Group(b)) => a == b,
        (Conversation::User(peer), Conversation::User(receiver)) => {
            let parties = (target.from.unwrap_or_default(), receiver);
            parties == (sender, peer) || parties == (peer, sender)
        }
        _ => false,
    };
    if same {
        Ok(())
    } else {
        Err(Code::NotFound)
    }
}

/// May `user` forward `message`? One they can see (`groups` as for [`may_see`]) and not
/// recalled (`IM:Conflict`). The copy names the first original of a chain of forwards, and
/// not the sender of an anonymous group message (but to that sender).
pub fn may_forward(
    user: Uuid,
    message: &StoredMessage,
    groups: &[(i64, i64)],
) -> Result<Forwarded, Code> {
    may_see(user, message, groups)?;
    if message.state == STATE_RECALLED {
        return Err(Code::Conflict);
    }
    if let Some(original) = message.forwarded_from() {
        return Ok(original);
    }
    let anonymous = message.is_anonymous() && matches!(message.to, Conversation::Group(_));
    Ok(Forwarded {
        message_id: message.message_id,
        from: message.from.filter(|from| !anonymous || *from == user),
        send_time: message.send_time,
    })
}

/// Whether `emoji` is one emoji (a single grapheme that is not plain text) or a `:name:` of
/// letters, digits and `_`, at most 64 bytes.
pub fn is_emoji(emoji: &str) -> bool {
    if emoji.is_empty() || emoji.len() > 64 {
        return false;
    }
    if let Some(name) = emoji.strip_prefix(':').and_then(|e| e.strip_suffix(':')) {
        return !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    }
    let mut graphemes = unicode_segmentation::UnicodeSegmentation::graphemes(emoji, true);
    let (Some(one), None) = (graphemes.next(), graphemes.next()) else {
        return false;
    };
    // Not a letter, digit, space, punctuation or control character: a pictograph, with
    // whatever joiners, selectors and modifiers its grapheme holds.
    one.chars().any(|c| c as u32 >= 0x2000)
        && !one
            .chars()
            .any(|c| c.is_alphanumeric() || c.is_whitespace() || c.is_control())
}

/// The reaction rule, on the counts as they stand in the writing transaction: adding twice
/// or removing what is not there changes nothing; a new emoji past [`MAX_EMOJI_KINDS`], or a
/// user's reaction past [`MAX_MINE`], is refused.
pub fn react(stats: &ReactionStats, add: bool) -> Result<bool, &'static str> {
    match add {
        false => Ok(stats.mine_this > 0),
        true if stats.mine_this > 0 => Ok(false),
        true if stats.this_emoji == 0 && stats.kinds >= MAX_EMOJI_KINDS => {
            Err("a message takes at most 20 different emoji")
        }
        true if stats.mine >= MAX_MINE => Err("at most 3 of your reactions on one message"),
        true => Ok(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(from: Uuid, to: Conversation, id: i64) -> StoredMessage {
        StoredMessage::sample(from, to, id)
    }

    #[test]
    fn who_sees_a_message() {
        let (me, peer, other) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let private = message(peer, Conversation::User(me), 10);
        assert_eq!(may_see(me, &private, &[]), Ok(()));
        assert_eq!(may_see(peer, &private, &[]), Ok(()));
        assert_eq!(may_see(other, &private, &[]), Err(Code::NotFound));
        let group = message(peer, Conversation::Group(7), 10);
        assert_eq!(may_see(me, &group, &[(7, 10)]), Ok(()));
        assert_eq!(may_see(me, &group, &[(7, 11)]), Err(Code::NotFound));
        assert_eq!(may_see(me, &group, &[(8, 0)]), Err(Code::NotFound));
    }

    #[test]
    fn edits() {
        let (me, peer) = (Uuid::new_v4(), Uuid::new_v4());
        let now = Utc::now();
        let day = Duration::seconds(86_400);
        let mine = message(me, Conversation::User(peer), 1);
        let mut recalled = mine.clone();
        recalled.state = STATE_RECALLED;
        let mut image = mine.clone();
        image.message_type = 10;
        let mut old = mine.clone();
        old.send_time = now - Duration::seconds(86_401);
        let cases = [
            (me, &mine, day, Ok(())),
            (peer, &mine, day, Err(Code::Forbidden)),
            (me, &recalled, day, Err(Code::Conflict)),
            (me, &image, day, Err(Code::Forbidden)),
            (me, &old, day, Err(Code::Forbidden)),
            (me, &old, Duration::zero(), Ok(())),
        ];
        for (editor, m, window, want) in cases {
            assert_eq!(may_edit(editor, m, now, window), want);
        }
    }

    #[test]
    fn replies_stay_in_their_conversation() {
        let (me, peer, other) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let theirs = message(peer, Conversation::User(me), 1);
        let mine = message(me, Conversation::User(peer), 2);
        let elsewhere = message(other, Conversation::User(me), 3);
        let group = message(peer, Conversation::Group(7), 4);
        assert_eq!(may_reply(me, Conversation::User(peer), &theirs), Ok(()));
        assert_eq!(may_reply(me, Conversation::User(peer), &mine), Ok(()));
        let no = Err(Code::NotFound);
        assert_eq!(may_reply(me, Conversation::User(peer), &elsewhere), no);
        assert_eq!(may_reply(me, Conversation::User(peer), &group), no);
        assert_eq!(may_reply(me, Conversation::Group(7), &group), Ok(()));
        assert_eq!(may_reply(me, Conversation::Group(8), &group), no);
        assert_eq!(may_reply(me, Conversation::Group(7), &theirs), no);
    }

    #[test]
    fn forwards_name_the_first_original() {
        let (me, peer, other) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let theirs = message(peer, Conversation::User(me), 1);
        let named = may_forward(me, &theirs, &[]).unwrap();
        assert_eq!((named.message_id, named.from), (1, Some(peer)));
        let mut recalled = theirs.clone();
        recalled.state = STATE_RECALLED;
        assert_eq!(may_forward(me, &recalled, &[]), Err(Code::Conflict));
        assert_eq!(may_forward(other, &theirs, &[]), Err(Code::NotFound));
        let mut copy = message(peer, Conversation::User(me), 2);
        copy.extra.insert(
            crate::store::EXTRA_FORWARDED_FROM.into(),
            serde_json::json!({"MessageId": 1, "FromUserId": other, "SendTime": "2026-12-01T00:00:00.000Z"}),
        );
        let first = may_forward(me, &copy, &[]).unwrap();
        assert_eq!((first.message_id, first.from), (1, Some(other)));
        let mut anonymous = message(peer, Conversation::Group(7), 3);
        anonymous
            .extra
            .insert(crate::store::EXTRA_ANONYMOUS.into(), true.into());
        assert_eq!(may_forward(me, &anonymous, &[(7, 0)]).unwrap().from, None);
        assert_eq!(
            may_forward(peer, &anonymous, &[(7, 0)]).unwrap().from,
            Some(peer)
        );
    }

    #[test]
    fn emoji() {
        for good in ["👍", "❤️", "👍🏽", "👨‍👩‍👧", "🇫🇷", ":party_parrot:", ":+1:"]
        {
            assert_eq!(is_emoji(good), good != ":+1:", "{good}");
        }
        for bad in [
            "", "a", "ab", "👍👍", " ", "::", ":a b:", "1", "\u{0}", "x👍",
        ] {
            assert!(!is_emoji(bad), "{bad:?}");
        }
    }

    #[test]
    fn reaction_limits() {
        let stats = |kinds, this_emoji, mine, mine_this| ReactionStats {
            kinds,
            this_emoji,
            mine,
            mine_this,
        };
        let cases = [
            (stats(0, 0, 0, 0), true, Ok(true)),
            (stats(1, 1, 1, 1), true, Ok(false)),
            (
                stats(20, 0, 0, 0),
                true,
                Err("a message takes at most 20 different emoji"),
            ),
            (stats(20, 5, 0, 0), true, Ok(true)),
            (
                stats(3, 1, 3, 0),
                true,
                Err("at most 3 of your reactions on one message"),
            ),
            (stats(1, 1, 1, 1), false, Ok(true)),
            (stats(1, 1, 0, 0), false, Ok(false)),
        ];
        for (s, add, want) in cases {
            assert_eq!(react(&s, add), want, "{s:?} {add}");
        }
    }
}
