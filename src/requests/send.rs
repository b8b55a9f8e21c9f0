//! `send`: a message to a user or a group. Checked here (content, idempotency key, `extra`,
//! exactly one target, and the message it answers: one of the same conversation that the
//! sender can see), then handed to the receiver's actor (a user's or the group's), which
//! applies the conversation's rules, stores the message and answers through the origin.

use std::sync::Arc;

use uuid::Uuid;

use super::{conversation, fetch_message, parties, Invalid, Origin};
use crate::chat::input::check_send;
use crate::chat::rules::operations::may_reply;
use crate::hooks::{BeforeSend, Verdict};
use crate::protocol::Code;
use crate::protocol::MentionList;
use crate::state::AppState;
use crate::store::{Conversation, Forwarded, Mentions, NewMessage, StoredMessage};

/// The most users one message may mention by id.
pub const MAX_MENTIONS: usize = 100;

/// A message a client asks to send, as every protocol decodes it.
pub struct SendRequest {
    pub to_user_id: Option<Uuid>,
    pub group_id: Option<i64>,
    pub content: String,
    pub message_type: i32,
    pub is_anonymous: bool,
    pub extra: serde_json::Map<String, serde_json::Value>,
    pub client_msg_id: Option<String>,
    pub reply_to: Option<i64>,
    pub mentions: Option<MentionList>,
    /// A media message's `media` (checked by its type).
    pub media: Option<serde_json::Value>,
}

impl From<crate::protocol::SendFrame> for SendRequest {
    /// The native protocol's `send` frame (also the HTTP route's body).
    fn from(send: crate::protocol::SendFrame) -> Self {
        SendRequest {
            to_user_id: send.target.to_user_id,
            group_id: send.target.group_id.map(|g| g.0),
            content: send.content,
            message_type: send.message_type,
            is_anonymous: send.is_anonymous,
            extra: send.extra.unwrap_or_default(),
            client_msg_id: send.client_msg_id,
            reply_to: send.reply_to.map(|r| r.0),
            mentions: send.mentions,
            media: send.media,
        }
    }
}

/// Checks `send` and hands it to its receiver's actor; the answer comes through `origin`.
pub fn submit(state: &Arc<AppState>, origin: Origin, mut send: SendRequest) -> Result<(), Invalid> {
    let claim = crate::chat::media::claim(send.message_type, send.media.as_ref())?;
    if let Some(claim) = &claim {
        if send.content.is_empty() {
            let name = match claim {
                crate::chat::media::Claim::File { name, .. } => name.as_deref(),
                _ => None,
            };
            send.content = crate::chat::media::display_text(claim, name);
        }
    }
    check_send(&send.content, send.client_msg_id.as_deref(), &send.extra)?;
    let to = conversation(send.to_user_id, send.group_id, "send")?;
    let mentions = match (send.mentions, to) {
        (None, _) => Mentions::default(),
        (Some(_), Conversation::User(_)) => {
            return Err(Invalid::bad(
                "mentions",
                "`mentions` are for group messages",
            ))
        }
        (Some(m), Conversation::Group(_)) if m.user_ids.len() > MAX_MENTIONS => {
            return Err(Invalid::bad(
                "mentions",
                format!("`mentions.userIds` may name at most {MAX_MENTIONS} users"),
            ))
        }
        (Some(m), Conversation::Group(_)) => Mentions {
            user_ids: m.user_ids,
            all: m.all,
        },
    };
    let draft = Draft {
        content: send.content,
        message_type: send.message_type,
        is_anonymous: send.is_anonymous,
        extra: send.extra,
        client_msg_id: send.client_msg_id,
        reply_to: None,
        forwarded_from: None,
        mentions,
        media: None,
    };
    let hook = state
        .before_send
        .clone()
        .filter(|hook| hook.covers(to, draft.message_type));
    match (send.reply_to, hook, claim) {
        (None, None, None) => state.delivery.supervisor.send(state, origin, to, draft),
        (reply_to, hook, claim) => {
            let prepare = prepared(state.clone(), origin, to, draft, reply_to, hook, claim);
            actix_rt::spawn(prepare);
        }
    }
    Ok(())
}

/// Sends `draft` once the moderation hook (if any) allowed or changed it, and the message it
/// answers (if any) is found.
async fn prepared(
    state: Arc<AppState>,
    origin: Origin,
    to: Conversation,
    mut draft: Draft,
    reply_to: Option<i64>,
    hook: Option<Arc<BeforeSend>>,
    claim: Option<crate::chat::media::Claim>,
) {
    if let Some(claim) = &claim {
        match super::media::resolve(&state, &origin, claim).await {
            Ok(media) => {
                // A display text made before the file's name was known takes the name now.
                let stored_name = media.object.get("name").and_then(|n| n.as_str());
                if draft.content == crate::chat::media::display_text(claim, None) {
                    draft.content = crate::chat::media::display_text(claim, stored_name);
                }
                draft.media = Some(media);
            }
            Err((code, detail)) => return origin.refuse(code, &detail),
        }
    }
    if let Some(hook) = hook {
        match hook.ask(&origin, to, &draft).await {
            Verdict::Allow => {}
            Verdict::Modify { content, extra } => {
                if check_send(&content, draft.client_msg_id.as_deref(), &extra).is_err() {
                    return origin.refuse(
                        Code::Rejected,
                        "the moderation hook changed the message into one that is not valid",
                    );
                }
                draft.content = content;
                draft.extra = extra;
            }
            Verdict::Reject { reason } => return origin.refuse(Code::Rejected, &reason),
            Verdict::Unavailable => {
                return origin.refuse(
                    Code::Unavailable,
                    "the moderation service did not answer: nothing was stored, try again",
                )
            }
        }
    }
    match reply_to {
        None => state.delivery.supervisor.send(&state, origin, to, draft),
        Some(target) => answering(state, origin, to, draft, target).await,
    }
}

/// Sends `draft` as a reply to `target`, once the target is found in the same conversation
/// and visible to the sender.
async fn answering(
    state: Arc<AppState>,
    origin: Origin,
    to: Conversation,
    mut draft: Draft,
    target: i64,
) {
    let Some(message) = fetch_message(&state, &origin, target).await else {
        return;
    };
    if let Err(code) = may_reply(origin.user_id, to, &message) {
        return origin.fail(code);
    }
    if !parties::visible(&state, &origin, &message).await {
        return;
    }
    draft.reply_to = Some(Box::new(message));
    state.delivery.supervisor.send(&state, origin, to, draft);
}

/// A message to send, before its id is assigned.
pub struct Draft {
    pub content: String,
    pub message_type: i32,
    pub is_anonymous: bool,
    pub extra: serde_json::Map<String, serde_json::Value>,
    pub client_msg_id: Option<String>,
    /// The message it answers, checked.
    pub reply_to: Option<Box<StoredMessage>>,
    /// The message it copies, when it is a forward.
    pub forwarded_from: Option<Forwarded>,
    /// Whom it mentions (a group's actor keeps the members among them).
    pub mentions: Mentions,
    /// The media it carries, checked.
    pub media: Option<crate::store::MessageMedia>,
}

impl Draft {
    /// The message to store: the sender from `origin`, a fresh id, the time now.
    pub fn stamp(
        self,
        state: &AppState,
        tenant_id: Option<Uuid>,
        origin: &Origin,
        to: Conversation,
    ) -> NewMessage {
        let mut extra = self.extra;
        crate::chat::input::strip_server_keys(&mut extra);
        NewMessage {
            tenant_id,
            message_id: state.ids.next_id(),
            from: origin.user_id,
            from_name: origin.user_name.clone(),
            to,
            content: self.content,
            message_type: self.message_type,
            source: 0,
            is_anonymous: self.is_anonymous,
            extra,
            client_msg_id: self.client_msg_id,
            reply_to: self.reply_to,
            forwarded_from: self.forwarded_from,
            mentions: self.mentions,
            media: self.media,
            send_time: crate::state::now_millis(),
        }
    }
}
