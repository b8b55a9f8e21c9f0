//! Messages as clients see them: the protocol's `Message` made from what the store holds or
//! has just stored. Both the WebSocket frames and the HTTP pages use these.

use uuid::Uuid;

use crate::protocol::{Id, Message};
use crate::store::{
    Conversation, NewMessage, StoredMessage, EXTRA_ANONYMOUS, EXTRA_CLIENT_MSG_ID, STATE_RECALLED,
};

/// The wire form of a message just stored, as its sender and receiver see it.
pub fn wire(m: &NewMessage) -> Message {
    let (to_user_id, group_id) = match m.to {
        Conversation::User(u) => (Some(u), None),
        Conversation::Group(g) => (None, Some(Id(g))),
    };
    Message {
        message_id: Id(m.message_id),
        tenant_id: m.tenant_id,
        from_user_id: Some(m.from),
        from_user_name: Some(m.from_name.clone()),
        to_user_id,
        group_id,
        content: m.content.clone(),
        message_type: m.message_type,
        source: m.source,
        state: 0,
        is_anonymous: m.is_anonymous,
        send_time: m.send_time,
        extra: m.extra.clone(),
        client_msg_id: m.client_msg_id.clone(),
    }
}

/// A stored message as `user` may see it: recalled content is never served, and an anonymous
/// group sender is hidden from everyone but the sender.
pub fn served(m: &StoredMessage, user: Uuid) -> Message {
    let (to_user_id, group_id) = match m.to {
        Conversation::User(u) => (Some(u), None),
        Conversation::Group(g) => (None, Some(Id(g))),
    };
    let anonymous = m.is_anonymous();
    let hide = anonymous && group_id.is_some() && m.from != Some(user);
    let mut extra = m.extra.clone();
    let client_msg_id = m.client_msg_id().filter(|_| m.from == Some(user));
    extra.remove(EXTRA_ANONYMOUS);
    extra.remove(EXTRA_CLIENT_MSG_ID);
    Message {
        message_id: Id(m.message_id),
        tenant_id: m.tenant_id,
        from_user_id: if hide { None } else { m.from },
        from_user_name: if hide {
            None
        } else {
            Some(m.from_name.clone())
        },
        to_user_id,
        group_id,
        content: if m.state == STATE_RECALLED {
            String::new()
        } else {
            m.content.clone()
        },
        message_type: m.message_type,
        source: m.source,
        state: m.state,
        is_anonymous: anonymous,
        send_time: m.send_time,
        extra,
        client_msg_id,
    }
}
