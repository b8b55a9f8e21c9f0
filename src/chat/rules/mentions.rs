//! Whom a group message may mention: members only (others are dropped, and so is the sender),
//! and everyone only as the group's `mentionAll` setting allows (`owner`, `admins` — the
//! default — or `members`).

use uuid::Uuid;

use crate::protocol::Code;
use crate::store::{GroupFacts, MentionAll, Mentions};

/// Keeps the mentions `sender` may make in `group`; `IM:Forbidden` for an `all` the group's
/// setting does not allow them.
pub fn check_mentions(
    group: &GroupFacts,
    sender: Uuid,
    mentions: &mut Mentions,
) -> Result<(), Code> {
    if mentions.all {
        let allowed = match group.mention_all {
            MentionAll::Owner => group.owner == sender,
            MentionAll::Admins => group.owner == sender || group.admins.contains(&sender),
            MentionAll::Members => true,
        };
        if !allowed {
            return Err(Code::Forbidden);
        }
    }
    let mut seen = std::collections::HashSet::new();
    mentions
        .user_ids
        .retain(|u| *u != sender && group.members.contains(u) && seen.insert(*u));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(owner: Uuid, admin: Uuid, member: Uuid) -> GroupFacts {
        GroupFacts {
            group_id: 1,
            name: "g".into(),
            owner,
            allow_anonymous: false,
            allow_send_message: true,
            max_user_count: 10,
            members: [owner, admin, member].into_iter().collect(),
            admins: [owner, admin].into_iter().collect(),
            silenced_until: Default::default(),
            blacklist: Default::default(),
            mention_all: MentionAll::Admins,
        }
    }

    fn all() -> Mentions {
        Mentions {
            user_ids: vec![],
            all: true,
        }
    }

    #[test]
    fn everyone_as_the_setting_allows() {
        let (owner, admin, member) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let mut g = group(owner, admin, member);
        let may = |g: &GroupFacts, who| check_mentions(g, who, &mut all());
        assert_eq!(may(&g, owner), Ok(()));
        assert_eq!(may(&g, admin), Ok(()));
        assert_eq!(may(&g, member), Err(Code::Forbidden));
        g.mention_all = MentionAll::Owner;
        assert_eq!(may(&g, owner), Ok(()));
        assert_eq!(may(&g, admin), Err(Code::Forbidden));
        g.mention_all = MentionAll::Members;
        assert_eq!(may(&g, member), Ok(()));
    }

    #[test]
    fn only_other_members_once_each() {
        let (owner, admin, member) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let g = group(owner, admin, member);
        let stranger = Uuid::new_v4();
        let mut m = Mentions {
            user_ids: vec![admin, stranger, member, member, owner],
            all: false,
        };
        assert_eq!(check_mentions(&g, owner, &mut m), Ok(()));
        assert_eq!(m.user_ids, vec![admin, member]);
    }
}
