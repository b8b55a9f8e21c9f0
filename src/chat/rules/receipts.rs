//! Group read receipts: which groups show them member by member (pushed `read` frames, the
//! list of readers), and who may see who read a message: its sender, and the group's owner
//! and admins. Other members may not (`IM:Forbidden`); outsiders never reach this rule (the
//! message does not exist for them).

use uuid::Uuid;

use crate::protocol::Code;
use crate::store::{GroupFacts, StoredMessage};

/// Whether `group` shows its readers member by member: a group of at most `max` members
/// (`limits.receipt_group_max`). A larger one answers counts only.
pub fn shows_readers(group: &GroupFacts, max: usize) -> bool {
    group.members.len() <= max
}

/// May `user` list who read `message` of `group`?
pub fn may_list_readers(
    group: &GroupFacts,
    user: Uuid,
    message: &StoredMessage,
) -> Result<(), Code> {
    if message.from == Some(user) || group.owner == user || group.admins.contains(&user) {
        Ok(())
    } else {
        Err(Code::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Conversation, MentionAll};

    #[test]
    fn the_sender_and_admins() {
        let (owner, admin, sender, member) = (
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
        );
        let group = GroupFacts {
            group_id: 7,
            name: "g".into(),
            owner,
            allow_anonymous: false,
            allow_send_message: true,
            max_user_count: 10,
            members: [owner, admin, sender, member].into_iter().collect(),
            admins: [owner, admin].into_iter().collect(),
            silenced_until: Default::default(),
            blacklist: Default::default(),
            mention_all: MentionAll::Admins,
        };
        let message = StoredMessage::sample(sender, Conversation::Group(7), 1);
        for (who, want) in [
            (sender, Ok(())),
            (owner, Ok(())),
            (admin, Ok(())),
            (member, Err(Code::Forbidden)),
        ] {
            assert_eq!(may_list_readers(&group, who, &message), want);
        }
        assert!(shows_readers(&group, 4));
        assert!(!shows_readers(&group, 3));
    }
}
