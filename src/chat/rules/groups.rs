//! The rules of running a group, free of actors and SQL: who may join, review, accept, update,
//! dismiss, transfer, leave, remove, ban, silence, name admins and recall, on the group's facts
//! as they are under the group's lock (`store::change_group`). Every route asks these, so a
//! side door (the blacklist route removing an admin, an accept letting a banned user in)
//! cannot open.

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

/// Whether the group has no room for another member.
pub fn is_full(group: &GroupFacts) -> bool {
    group.members.len() as i64 >= i64::from(group.max_user_count)
}

/// Whether a new `max_user_count` leaves room for the members the group has.
pub fn max_fits(group: &GroupFacts, max_user_count: Option<i32>) -> bool {
    max_user_count.is_none_or(|m| m >= 0 && m as usize >= group.members.len())
}

/// Admins (and the owner) review join requests, update the group and lift bans.
pub fn may_administer(group: &GroupFacts, actor: Uuid) -> Result<(), Refused> {
    if is_admin(group, actor) {
        Ok(())
    } else {
        Err(refused(
            Code::Forbidden,
            "only the group's admins may do that",
        ))
    }
}

/// Only the owner dismisses the group, hands it over and names admins.
pub fn may_own(group: &GroupFacts, actor: Uuid) -> Result<(), Refused> {
    if group.owner == actor {
        Ok(())
    } else {
        Err(refused(
            Code::Forbidden,
            "only the group's owner may do that",
        ))
    }
}

/// May `user` ask to join? Not when banned (`02403`), already in, or the group is full.
pub fn may_join(group: &GroupFacts, user: Uuid) -> Result<(), Refused> {
    if group.blacklist.contains(&user) {
        return Err(refused(Code::GroupBanned, "you are banned from the group"));
    }
    if group.members.contains(&user) {
        return Err(refused(Code::Conflict, "you are already a member"));
    }
    if is_full(group) {
        return Err(refused(Code::GroupFull, "the group is full"));
    }
    Ok(())
}

/// May the owner `actor` hand the group to `to`? Only to a member.
pub fn may_transfer(group: &GroupFacts, actor: Uuid, to: Uuid) -> Result<(), Refused> {
    may_own(group, actor)?;
    if !group.members.contains(&to) {
        return Err(refused(Code::NotFound, "the new owner must be a member"));
    }
    Ok(())
}

/// May `user` leave? Anyone but the owner, who hands the group over or dismisses it first.
pub fn may_leave(group: &GroupFacts, user: Uuid) -> Result<(), Refused> {
    if group.owner == user {
        return Err(refused(
            Code::Forbidden,
            "the owner transfers the group or dismisses it first",
        ));
    }
    Ok(())
}

/// What a change to one member's card touches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemberChange {
    /// Making the member an admin, or not.
    pub admin: bool,
    /// Silencing the member, or lifting it.
    pub silence: bool,
    /// The member's nickname in the group.
    pub nickname: bool,
}

/// May `actor` change `target`'s card? Only the owner names admins; admins silence anyone
/// but the owner; members set their own nickname only.
pub fn may_change_member(
    group: &GroupFacts,
    actor: Uuid,
    target: Uuid,
    change: MemberChange,
) -> Result<(), Refused> {
    if !group.members.contains(&target) {
        return Err(refused(Code::NotFound, "not a member"));
    }
    if change.admin {
        may_own(group, actor)?;
    }
    if change.silence {
        may_administer(group, actor)?;
        if target == group.owner {
            return Err(refused(Code::Forbidden, "nobody silences the owner"));
        }
    }
    if change.nickname && target != actor {
        return Err(refused(Code::Forbidden, "members set their own nickname"));
    }
    Ok(())
}

/// May `actor` take `target` out of the group (remove, or ban)? Admins remove members, only
/// the owner removes admins, nobody removes the owner.
pub fn may_remove(group: &GroupFacts, actor: Uuid, target: Uuid) -> Result<(), Refused> {
    may_administer(group, actor)?;
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
/// let in (`02403`), a member is in already, and a full group takes nobody.
pub fn may_accept(group: &GroupFacts, actor: Uuid, target: Uuid) -> Result<(), Refused> {
    may_administer(group, actor)?;
    if group.blacklist.contains(&target) {
        return Err(refused(
            Code::GroupBanned,
            "the user is banned from the group",
        ));
    }
    if group.members.contains(&target) {
        return Err(refused(Code::Conflict, "the user is already a member"));
    }
    if is_full(group) {
        return Err(refused(Code::GroupFull, "the group is full"));
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
            mention_all: Default::default(),
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

    fn code(r: Result<(), Refused>) -> Result<(), Code> {
        r.map_err(|e| e.code)
    }

    #[test]
    fn joining_and_accepting() {
        let (g, p) = group();
        let mut full = g.clone();
        full.max_user_count = 3;
        let cases = [
            // group, actor, target, may_accept, may_join (target asking)
            (&g, p.admin, p.outsider, Ok(()), Ok(())),
            (&g, p.owner, p.outsider, Ok(()), Ok(())),
            (
                &g,
                p.admin,
                p.banned,
                Err(Code::GroupBanned),
                Err(Code::GroupBanned),
            ),
            (&g, p.member, p.outsider, Err(Code::Forbidden), Ok(())),
            (
                &g,
                p.admin,
                p.member,
                Err(Code::Conflict),
                Err(Code::Conflict),
            ),
            (
                &full,
                p.admin,
                p.outsider,
                Err(Code::GroupFull),
                Err(Code::GroupFull),
            ),
        ];
        for (g, actor, target, accept, join) in cases {
            assert_eq!(code(may_accept(g, actor, target)), accept);
            assert_eq!(code(may_join(g, target)), join);
        }
        assert!(is_full(&full) && !is_full(&g));
    }

    #[test]
    fn owning_and_administering() {
        let (g, p) = group();
        let cases = [
            // actor, may_administer, may_own
            (p.owner, Ok(()), Ok(())),
            (p.admin, Ok(()), Err(Code::Forbidden)),
            (p.member, Err(Code::Forbidden), Err(Code::Forbidden)),
            (p.outsider, Err(Code::Forbidden), Err(Code::Forbidden)),
        ];
        for (actor, administer, own) in cases {
            assert_eq!(code(may_administer(&g, actor)), administer);
            assert_eq!(code(may_own(&g, actor)), own);
        }
        let transfers = [
            (p.owner, p.member, Ok(())),
            (p.owner, p.outsider, Err(Code::NotFound)),
            (p.admin, p.member, Err(Code::Forbidden)),
        ];
        for (actor, to, want) in transfers {
            assert_eq!(code(may_transfer(&g, actor, to)), want);
        }
        assert_eq!(code(may_leave(&g, p.owner)), Err(Code::Forbidden));
        assert_eq!(code(may_leave(&g, p.admin)), Ok(()));
        assert!(max_fits(&g, Some(3)) && max_fits(&g, None));
        assert!(!max_fits(&g, Some(2)) && !max_fits(&g, Some(-1)));
    }

    #[test]
    fn member_cards() {
        let (g, p) = group();
        let admin = MemberChange {
            admin: true,
            ..Default::default()
        };
        let silence = MemberChange {
            silence: true,
            ..Default::default()
        };
        let nickname = MemberChange {
            nickname: true,
            ..Default::default()
        };
        let cases = [
            // actor, target, change, answer
            (p.owner, p.member, admin, Ok(())),
            (p.admin, p.member, admin, Err(Code::Forbidden)),
            (p.admin, p.member, silence, Ok(())),
            (p.owner, p.admin, silence, Ok(())),
            (p.admin, p.owner, silence, Err(Code::Forbidden)),
            (p.member, p.admin, silence, Err(Code::Forbidden)),
            (p.member, p.member, nickname, Ok(())),
            (p.admin, p.member, nickname, Err(Code::Forbidden)),
            (p.owner, p.outsider, silence, Err(Code::NotFound)),
        ];
        for (actor, target, change, want) in cases {
            assert_eq!(
                code(may_change_member(&g, actor, target, change)),
                want,
                "{change:?}"
            );
        }
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
