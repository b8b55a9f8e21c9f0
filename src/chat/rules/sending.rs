//! Permission checks before a message is stored, in ABP's order and with its codes
//! (`ABP-SIGNALR.md` §5b), made on the facts the actors cache.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::protocol::Code;
use crate::store::{GroupFacts, UserFacts};

/// May `sender` send a private message to the user described by `receiver`?
pub fn check_private(receiver: &UserFacts, sender: Uuid, anonymous: bool) -> Result<(), Code> {
    if !receiver.exists {
        return Err(Code::UserNotFound);
    }
    let friend = receiver.friends.get(&sender);
    match &receiver.settings {
        Some(settings) => {
            if !settings.allow_receive_message {
                return Err(Code::RejectsAllMessages);
            }
            if friend.is_none() && !anonymous {
                return Err(Code::NotFriends);
            }
            if anonymous && !settings.allow_anonymous {
                return Err(Code::RejectsAnonymous);
            }
        }
        None if friend.is_none() => return Err(Code::NotFriends),
        None => {}
    }
    if friend.is_some_and(|f| f.black) {
        return Err(Code::BlacklistedYou);
    }
    Ok(())
}

/// May `sender` send to the group? Stricter than ABP on purpose: only members may.
pub fn check_group(
    group: &GroupFacts,
    sender: Uuid,
    anonymous: bool,
    now: DateTime<Utc>,
) -> Result<(), Code> {
    if group.blacklist.contains(&sender) {
        return Err(Code::GroupBanned);
    }
    if !group.members.contains(&sender) {
        return Err(Code::NotGroupMember);
    }
    if group
        .silenced_until
        .get(&sender)
        .is_some_and(|until| *until > now)
    {
        return Err(Code::GroupBanned);
    }
    if !group.allow_send_message {
        return Err(Code::GroupSendingDisabled);
    }
    if anonymous && !group.allow_anonymous {
        return Err(Code::GroupNoAnonymous);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ChatSettings, FriendFacts};

    fn settings() -> ChatSettings {
        ChatSettings {
            allow_anonymous: false,
            allow_add_friend: true,
            require_add_friend_validation: true,
            allow_receive_message: true,
            allow_send_message: true,
        }
    }

    #[test]
    fn private_checks_follow_abps_order() {
        let sender = Uuid::new_v4();
        let mut r = UserFacts {
            exists: false,
            ..Default::default()
        };
        assert_eq!(check_private(&r, sender, false), Err(Code::UserNotFound));
        r.exists = true;
        r.settings = Some(settings());
        assert_eq!(check_private(&r, sender, false), Err(Code::NotFriends));
        assert_eq!(check_private(&r, sender, true), Err(Code::RejectsAnonymous));
        r.settings = Some(ChatSettings {
            allow_anonymous: true,
            ..settings()
        });
        assert_eq!(
            check_private(&r, sender, true),
            Ok(()),
            "anonymous strangers pass when the user allows them"
        );
        r.settings = Some(ChatSettings {
            allow_receive_message: false,
            ..settings()
        });
        assert_eq!(
            check_private(&r, sender, false),
            Err(Code::RejectsAllMessages)
        );
        r.settings = Some(settings());
        r.friends.insert(sender, FriendFacts { black: false });
        assert_eq!(check_private(&r, sender, false), Ok(()));
        r.friends.insert(sender, FriendFacts { black: true });
        assert_eq!(check_private(&r, sender, false), Err(Code::BlacklistedYou));
        r.settings = None;
        r.friends.clear();
        assert_eq!(check_private(&r, sender, false), Err(Code::NotFriends));
    }
}
