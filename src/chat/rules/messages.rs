//! What a user may do with a stored message of a private conversation or a group: recall a
//! private one, and read either. (A group recall is decided on the group's facts:
//! `groups::may_recall`.) To someone outside a conversation its messages do not exist: they
//! get `IM:NotFound`, as for an id nobody used, so ids cannot be probed.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::protocol::Code;
use crate::store::Conversation;

/// May `actor` recall a private message `sender` sent to `receiver` at `sent`? Only its
/// sender, within `window`; the receiver is told it may not (`IM:Forbidden`).
pub fn may_recall_private(
    actor: Uuid,
    sender: Option<Uuid>,
    receiver: Uuid,
    sent: DateTime<Utc>,
    now: DateTime<Utc>,
    window: Duration,
) -> Result<(), Code> {
    if sender != Some(actor) {
        return Err(if receiver == actor {
            Code::Forbidden
        } else {
            Code::NotFound
        });
    }
    if now - sent > window {
        return Err(Code::RecallWindowPassed);
    }
    Ok(())
}

/// What marking a message read means: the conversation read up to it, and the user told of
/// it (a private message's sender).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadScope {
    pub conversation: Conversation,
    pub notify: Option<Uuid>,
}

/// May `reader` mark a message from `sender` to `to` read, and what it means? A private
/// message by either party (its sender hears of the receiver's read); a group message by a
/// member (`groups` are the reader's).
pub fn may_read(
    reader: Uuid,
    sender: Option<Uuid>,
    to: Conversation,
    groups: &[i64],
) -> Result<ReadScope, Code> {
    match to {
        Conversation::User(receiver) if receiver == reader => Ok(ReadScope {
            conversation: Conversation::User(sender.unwrap_or_default()),
            notify: sender.filter(|s| *s != reader),
        }),
        Conversation::User(receiver) if sender == Some(reader) => Ok(ReadScope {
            conversation: Conversation::User(receiver),
            notify: None,
        }),
        Conversation::User(_) => Err(Code::NotFound),
        Conversation::Group(group) if groups.contains(&group) => Ok(ReadScope {
            conversation: Conversation::Group(group),
            notify: None,
        }),
        Conversation::Group(_) => Err(Code::NotGroupMember),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_recall() {
        let (me, peer, other) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let now = Utc::now();
        let window = Duration::seconds(120);
        let old = now - Duration::seconds(121);
        let cases = [
            // actor, sender, receiver, sent, answer
            (me, Some(me), peer, now, Ok(())),
            (me, Some(me), peer, old, Err(Code::RecallWindowPassed)),
            (peer, Some(me), peer, now, Err(Code::Forbidden)),
            (other, Some(me), peer, now, Err(Code::NotFound)),
            (me, None, peer, now, Err(Code::NotFound)),
        ];
        for (actor, sender, receiver, sent, want) in cases {
            assert_eq!(
                may_recall_private(actor, sender, receiver, sent, now, window),
                want
            );
        }
    }

    #[test]
    fn read() {
        let (me, peer, other) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let scope = |conversation, notify| {
            Ok(ReadScope {
                conversation,
                notify,
            })
        };
        let cases = [
            // reader, sender, to, answer
            (
                me,
                Some(peer),
                Conversation::User(me),
                scope(Conversation::User(peer), Some(peer)),
            ),
            (
                me,
                Some(me),
                Conversation::User(peer),
                scope(Conversation::User(peer), None),
            ),
            (
                me,
                Some(me),
                Conversation::User(me),
                scope(Conversation::User(me), None),
            ),
            (
                other,
                Some(me),
                Conversation::User(peer),
                Err(Code::NotFound),
            ),
            (
                me,
                Some(peer),
                Conversation::Group(7),
                scope(Conversation::Group(7), None),
            ),
            (
                me,
                Some(peer),
                Conversation::Group(8),
                Err(Code::NotGroupMember),
            ),
        ];
        for (reader, sender, to, want) in cases {
            assert_eq!(may_read(reader, sender, to, &[7]), want, "{to:?}");
        }
    }
}
