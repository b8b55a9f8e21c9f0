//! The rules of running a group, free of actors and SQL: who may remove, ban, accept and
//! recall, on the group's facts. Every protocol and route asks these, so a side door (the
//! blacklist route removing an admin, an accept letting a banned user in) cannot open.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::protocol::Code;
use crate::store::GroupFacts;

/// Why a group action was refused: a code (`IM:Forbidden` or one of ABP's) and what people
/// read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub code: Code,
    pub reason: &'static str,
}

const fn refused(code: Code, reason: &'static str) -> Refused {
    Refused { code, reason }
}

/// Whether `user` runs the group: its owner or one of its admins.
pub fn is_admin(group: &GroupFacts, user: Uuid) -> bool {
    group.owner == user || group.admins.contains(&user)
}

/// May `actor` take `target` out of the group (remove, or ban)? Admins remove members, only
/// the owner removes admins, nobody removes the owner.
pub fn may_remove(group: &GroupFacts, actor: Uuid, target: Uuid) -> Result<(), Refused> {
    if !is_admin(group, actor) {
        return Err(refused(
            Code::Forbidden,
            "only the group's admins may do that",
        ));
    }
    if target == group.owner || (group.admins.contains(&target) && group.owner != actor) {
        return Err(refused(
            Code::Forbidden,
            "only the owner removes admins, and nobody removes the owner",
        ));
    }
    Ok(())
}

/// May `actor` blacklist `target`? As a removal (whether or not `target` is a member now),
/// and never oneself.
pub fn may_ban(group: &GroupFacts, actor: Uuid, target: Uuid) -> Result<(), Refused> {
    if target == actor {
        return Err(refused(Code::Forbidden, "you cannot ban yourself"));
    }
    may_remove(group, actor, target)
}

/// May `actor` let `target` in on a join request? Admins decide; a blacklisted user is never
/// let in (`02403`), and a full group takes nobody.
pub fn may_accept(group: &GroupFacts, actor: Uuid, target: Uuid) -> Result<(), Refused> {
    if !is_admin(group, actor) {
        return Err(refused(
            Code::Forbidden,
            "only the group's admins may do that",
        ));
    }
    if group.blacklist.contains(&target) {
        return Err(refused(
            Code::GroupBanned,
            "the user is banned from the group",
        ));
    }
    Ok(())
}

/// May `actor` recall a message of the group sent by `sender` at `sent`? Admins at any time,
/// the sender within `window` while still a member. To anyone outside the group the message
/// does not exist (`IM:NotFound`, as for an id nobody used), so an outsider cannot probe ids.
pub fn may_recall(
    group: &GroupFacts,
    actor: Uuid,
    sender: Option<Uuid>,
    sent: DateTime<Utc>,
    now: DateTime<Utc>,
    window: Duration,
) -> Result<(), Code> {
    if is_admin(group, actor) {
        return Ok(());
    }
    if !group.members.contains(&actor) {
        return Err(Code::NotFound);
    }
    if sender != Some(actor) {
        return Err(Code::Forbidden);
    }
    if now - sent > window {
        return Err(Code::RecallWindowPassed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct People {
        owner: Uuid,
        admin: Uuid,
        member: Uuid,
        banned: Uuid,
        outsider: Uuid,
    }

    fn group() -> (GroupFacts, People) {
        let p = People {
            owner: Uuid::new_v4(),
            admin: Uuid::new_v4(),
            member: Uuid::new_v4(),
            banned: Uuid::new_v4(),
            outsider: Uuid::new_v4(),
        };
        let facts = GroupFacts {
            group_id: 1,
            name: "g".into(),
            owner: p.owner,
            allow_anonymous: false,
            allow_send_message: true,
            max_user_count: 10,
            members: [p.owner, p.admin, p.member].into_iter().collect(),
            admins: [p.owner, p.admin].into_iter().collect(),
            silenced_until: Default::default(),
            blacklist: [p.banned].into_iter().collect(),
        };
        (facts, p)
    }

    #[test]
    fn removal_and_ban() {
        let (g, p) = group();
        let forbidden = |r: Result<(), Refused>| r.map_err(|e| e.code);
        let cases = [
            (p.owner, p.admin, Ok(())),
            (p.owner, p.member, Ok(())),
            (p.admin, p.member, Ok(())),
            (p.admin, p.owner, Err(Code::Forbidden)),
            (p.admin, Uuid::nil(), Ok(())),
            (p.member, p.outsider, Err(Code::Forbidden)),
            (p.outsider, p.member, Err(Code::Forbidden)),
        ];
        for (actor, target, want) in cases {
            assert_eq!(forbidden(may_remove(&g, actor, target)), want);
            assert_eq!(forbidden(may_ban(&g, actor, target)), want);
        }
        // An admin removes no other admin, on either route.
        let other_admin = Uuid::new_v4();
        let mut g2 = g.clone();
        g2.admins.insert(other_admin);
        g2.members.insert(other_admin);
        assert!(may_remove(&g2, p.admin, other_admin).is_err());
        assert!(may_ban(&g2, p.admin, other_admin).is_err());
        assert!(may_ban(&g, p.admin, p.admin).is_err());
        assert!(may_remove(&g, p.owner, p.owner).is_err());
    }

    #[test]
    fn accept() {
        let (g, p) = group();
        assert_eq!(may_accept(&g, p.admin, p.outsider), Ok(()));
        assert_eq!(
            may_accept(&g, p.admin, p.banned).unwrap_err().code,
            Code::GroupBanned
        );
        assert_eq!(
            may_accept(&g, p.member, p.outsider).unwrap_err().code,
            Code::Forbidden
        );
    }

    #[test]
    fn recall() {
        let (g, p) = group();
        let now = Utc::now();
        let window = Duration::seconds(120);
        let (fresh, old) = (now, now - Duration::seconds(121));
        let cases = [
            (p.member, Some(p.member), fresh, Ok(())),
            (p.member, Some(p.member), old, Err(Code::RecallWindowPassed)),
            (p.member, Some(p.admin), fresh, Err(Code::Forbidden)),
            (p.admin, Some(p.member), old, Ok(())),
            (p.owner, Some(p.admin), old, Ok(())),
            // A removed sender, or anyone outside: as if there were no such message.
            (p.outsider, Some(p.outsider), fresh, Err(Code::NotFound)),
            (p.outsider, Some(p.member), fresh, Err(Code::NotFound)),
            (p.banned, Some(p.banned), fresh, Err(Code::NotFound)),
        ];
        for (actor, sender, sent, want) in cases {
            assert_eq!(may_recall(&g, actor, sender, sent, now, window), want);
        }
    }
}
