//! Messages as clients see them: the protocol's `Message` made from what the store holds or
//! has just stored. Both the WebSocket frames and the HTTP pages use these.

use uuid::Uuid;

use crate::protocol::{ForwardedFrom, Id, MentionList, Message, Reaction, ReplyPreview};
use crate::store::{
    Annotations, Conversation, Forwarded, Mentions, NewMessage, StoredMessage, SERVER_KEYS,
    STATE_RECALLED,
};

/// The most characters of a replied-to message's text a preview shows.
pub const SNIPPET_CHARS: usize = 100;

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
        edit_version: None,
        edited_at: None,
        reply_to: m.reply_to.as_ref().map(|t| Id(t.message_id)),
        reply_preview: m.reply_to.as_deref().map(preview).map(Box::new),
        reactions: Vec::new(),
        forwarded_from: m.forwarded_from.as_ref().map(forwarded),
        mentions: mention_list(&m.mentions),
        media: m.media.as_ref().map(|x| x.object.clone()),
    }
}

/// What a copy says of its original.
fn forwarded(f: &Forwarded) -> Box<ForwardedFrom> {
    Box::new(ForwardedFrom {
        message_id: Id(f.message_id),
        from_user_id: f.from,
        send_time: f.send_time,
    })
}

/// Whom a message mentions, if anybody.
fn mention_list(m: &Mentions) -> Option<Box<MentionList>> {
    (!m.is_empty()).then(|| {
        Box::new(MentionList {
            user_ids: m.user_ids.clone(),
            all: m.all,
        })
    })
}

/// What a reply shows of `target`: never a recalled text, never an anonymous sender.
pub fn preview(target: &StoredMessage) -> ReplyPreview {
    let recalled = target.state == STATE_RECALLED;
    let anonymous = target.is_anonymous() && matches!(target.to, Conversation::Group(_));
    ReplyPreview {
        message_id: Id(target.message_id),
        from_user_id: target.from.filter(|_| !anonymous),
        from_user_name: Some(target.from_name.clone()).filter(|_| !anonymous),
        message_type: target.message_type,
        snippet: if recalled {
            String::new()
        } else {
            target.content.chars().take(SNIPPET_CHARS).collect()
        },
        state: target.state,
    }
}

/// Whether `a` and `b` belong to one conversation. A row written by another writer (ABP's own
/// server shares the tables) may name any message as its `ReplyTo`: a preview is only shown
/// of one from the same conversation, which its readers can see.
fn same_conversation(a: &StoredMessage, b: &StoredMessage) -> bool {
    match (a.to, b.to) {
        (Conversation::Group(x), Conversation::Group(y)) => x == y,
        (Conversation::User(x), Conversation::User(y)) => {
            let (a_from, b_from) = (a.from.unwrap_or_default(), b.from.unwrap_or_default());
            (a_from, x) == (b_from, y) || (a_from, x) == (y, b_from)
        }
        _ => false,
    }
}

/// A stored message as `user` may see it, with what `notes` says of it (reactions, the
/// message it answers): recalled content is never served, and an anonymous group sender is
/// hidden from everyone but the sender.
pub fn served(m: &StoredMessage, user: Uuid, notes: &Annotations) -> Message {
    let (to_user_id, group_id) = match m.to {
        Conversation::User(u) => (Some(u), None),
        Conversation::Group(g) => (None, Some(Id(g))),
    };
    let anonymous = m.is_anonymous();
    let hide = anonymous && group_id.is_some() && m.from != Some(user);
    let mut extra = m.extra.clone();
    let client_msg_id = m.client_msg_id().filter(|_| m.from == Some(user));
    extra.retain(|k, _| !SERVER_KEYS.contains(&k.as_str()));
    let recalled = m.state == STATE_RECALLED;
    let reply_to = m.reply_to();
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
        content: if recalled {
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
        edit_version: Some(m.edit_version()).filter(|v| *v > 0 && !recalled),
        edited_at: m.edited_at().filter(|_| !recalled),
        reply_to: reply_to.map(Id),
        reply_preview: reply_to
            .and_then(|t| notes.replied.get(&t))
            .filter(|t| same_conversation(m, t))
            .map(|t| Box::new(preview(t))),
        reactions: notes
            .reactions
            .get(&m.message_id)
            .filter(|_| !recalled)
            .map(|r| {
                r.iter()
                    .map(|c| Reaction {
                        emoji: c.emoji.clone(),
                        count: c.count,
                        me: c.me,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        forwarded_from: m.forwarded_from().as_ref().map(forwarded),
        mentions: mention_list(&m.mentions()).filter(|_| !recalled),
        media: m.media().map(|x| x.object).filter(|_| !recalled),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(from: Uuid, to: Conversation) -> StoredMessage {
        StoredMessage::sample(from, to, 1)
    }

    #[test]
    fn a_preview_only_of_the_same_conversation() {
        let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let reply = message(a, Conversation::User(b));
        assert!(same_conversation(
            &reply,
            &message(b, Conversation::User(a))
        ));
        assert!(same_conversation(
            &reply,
            &message(a, Conversation::User(b))
        ));
        assert!(!same_conversation(
            &reply,
            &message(c, Conversation::User(a))
        ));
        assert!(!same_conversation(
            &reply,
            &message(b, Conversation::Group(7))
        ));
        let in_group = message(a, Conversation::Group(7));
        assert!(same_conversation(
            &in_group,
            &message(c, Conversation::Group(7))
        ));
        assert!(!same_conversation(
            &in_group,
            &message(c, Conversation::Group(8))
        ));
    }
}
