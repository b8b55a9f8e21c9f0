//! Who a stored message concerns, for the requests that act on one: whether the asking user
//! may see it at all, and telling every party of a change (each device of both users of a
//! private message, or the group's members on every pod).

use std::sync::Arc;

use uuid::Uuid;

use super::Origin;
use crate::actors::group::Announce;
use crate::actors::user::MyGroups;
use crate::chat::rules::operations::may_see;
use crate::cluster::GroupFrame;
use crate::protocol::{Code, ServerFrame};
use crate::state::AppState;
use crate::store::{Conversation, StoredMessage};

/// Whether `origin`'s user may see `message`; if not, the request is answered with why
/// (`IM:NotFound` to anyone outside its conversation).
pub async fn visible(state: &Arc<AppState>, origin: &Origin, message: &StoredMessage) -> bool {
    match may_see_message(state, origin.tenant_id, origin.user_id, message).await {
        Ok(()) => true,
        Err(code) => {
            origin.fail(code);
            false
        }
    }
}

/// Whether `user` may see `message` (`operations::may_see`, on the user's groups as the
/// user's actor holds them).
pub async fn may_see_message(
    state: &Arc<AppState>,
    tenant: Option<Uuid>,
    user: Uuid,
    message: &StoredMessage,
) -> Result<(), Code> {
    let groups = match message.to {
        Conversation::User(_) => Vec::new(),
        Conversation::Group(_) => {
            let actor = state.delivery.supervisor.user(state, (tenant, user));
            match actor.send(MyGroups).await {
                Ok(Some(groups)) => groups,
                _ => return Err(Code::Unavailable),
            }
        }
    };
    may_see(user, message, &groups)
}

/// Tells every party of `message` what `frame` makes: called with the peer each user of a
/// private message talks to (`Some`), or once (`None`) for a group's members.
pub fn tell(
    state: &Arc<AppState>,
    tenant: Option<Uuid>,
    message: &StoredMessage,
    frame: impl Fn(Option<Uuid>) -> ServerFrame,
) {
    match message.to {
        Conversation::User(to) => {
            let from = message.from.unwrap_or_default();
            let pairs = if to == from {
                vec![(to, from)]
            } else {
                vec![(to, from), (from, to)]
            };
            for (user, peer) in pairs {
                let text = frame(Some(peer)).to_text();
                state.delivery.deliver(&[(tenant, user)], &text, None);
            }
        }
        Conversation::Group(group) => {
            let text = frame(None).to_text();
            state
                .delivery
                .supervisor
                .group(state, (tenant, group))
                .do_send(Announce(GroupFrame {
                    sender: None,
                    except: None,
                    own: None,
                    text,
                }));
        }
    }
}

/// The group id of a frame about `message`, if it is a group's.
pub fn group_of(message: &StoredMessage) -> Option<crate::protocol::Id> {
    match message.to {
        Conversation::Group(g) => Some(crate::protocol::Id(g)),
        Conversation::User(_) => None,
    }
}
