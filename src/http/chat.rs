//! `/api/im/chat`: history, the conversation list and search (ABP's routes). Sending and the
//! other requests every protocol makes are in `message_requests`.

use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::error::ApiError;
use super::paging::{Page, Paging};
use crate::auth::Identity;
use crate::chat::wire::served;
use crate::protocol::{Id, Message};
use crate::state::AppState;
use crate::store::{
    Annotations, Conversation, ConversationSummary, HistoryFilter, SearchScope, StoredMessage,
};

/// A message as the HTTP API serves it: the protocol's fields and, for ABP clients, ABP's
/// names beside them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChatMessage {
    #[serde(flatten)]
    message: Message,
    form_user_id: Option<Uuid>,
    form_user_name: Option<String>,
    extra_properties: serde_json::Map<String, serde_json::Value>,
}

fn chat_message(m: &StoredMessage, me: Uuid, notes: &Annotations) -> ChatMessage {
    let message = served(m, me, notes);
    ChatMessage {
        form_user_id: message.from_user_id,
        form_user_name: message.from_user_name.clone(),
        extra_properties: message.extra.clone(),
        message,
    }
}

/// `rows` as `me` sees them, with their reactions and replies' previews, leaving out those
/// `me` hid.
async fn chat_messages(
    state: &AppState,
    me: &Identity,
    rows: &[StoredMessage],
) -> Result<Vec<ChatMessage>, ApiError> {
    let all: Vec<&StoredMessage> = rows.iter().collect();
    let notes = state
        .store
        .annotations(me.tenant_id, me.user_id, &all)
        .await?;
    Ok(rows
        .iter()
        .filter(|m| !notes.hidden.contains(&m.message_id))
        .map(|m| chat_message(m, me.user_id, &notes))
        .collect())
}

/// The query of both history routes (each documents the one key it requires).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HistoryQuery {
    receive_user_id: Option<Uuid>,
    group_id: Option<Id>,
    filter: Option<String>,
    message_type: Option<i32>,
    before: Option<Id>,
}

impl HistoryQuery {
    fn filter(&self, me: &Identity) -> HistoryFilter {
        HistoryFilter {
            text: self.filter.clone(),
            message_type: self.message_type,
            before: self.before.map(|b| b.0),
            hidden_for: Some(me.user_id),
        }
    }
}

#[utoipa::path(tag = "messages", operation_id = "messages_my_messages", params(Paging, ("receiveUserId" = Uuid, Query, description = "the peer"), ("filter" = Option<String>, Query, description = "text the messages hold", pattern = "^[^\\u0000]*$"), ("messageType" = Option<i32>, Query, description = "only this type"), ("before" = Option<Id>, Query, description = "only messages before this id")), responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[get("/api/im/chat/my-messages")]
async fn my_messages(
    state: web::Data<AppState>,
    me: Identity,
    paging: web::Query<Paging>,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let peer = query.receive_user_id.ok_or_else(|| {
        ApiError::validation(vec![super::error::FieldError {
            message: "`receiveUserId` is required".into(),
            members: vec!["receiveUserId".into()],
        }])
    })?;
    let (skip, take) = paging.window();
    let (total, rows) = state
        .store
        .private_history(
            me.tenant_id,
            me.user_id,
            peer,
            &query.filter(&me),
            skip,
            take,
        )
        .await?;
    let items = chat_messages(&state, &me, &rows).await?;
    Ok(HttpResponse::Ok().json(Page {
        total_count: total,
        items,
    }))
}

#[utoipa::path(tag = "messages", operation_id = "messages_group_messages", params(Paging, ("groupId" = Id, Query, description = "the group"), ("filter" = Option<String>, Query, description = "text the messages hold", pattern = "^[^\\u0000]*$"), ("messageType" = Option<i32>, Query, description = "only this type"), ("before" = Option<Id>, Query, description = "only messages before this id")), responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[get("/api/im/chat/group/messages")]
async fn group_messages(
    state: web::Data<AppState>,
    me: Identity,
    paging: web::Query<Paging>,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let Some(Id(group)) = query.group_id else {
        return Err(ApiError::validation(vec![super::error::FieldError {
            message: "`groupId` is required".into(),
            members: vec!["groupId".into()],
        }]));
    };
    if !state
        .store
        .is_member(me.tenant_id, group, me.user_id)
        .await?
    {
        return Err(crate::protocol::Code::NotGroupMember.into());
    }
    let (skip, take) = paging.window();
    let (total, rows) = state
        .store
        .group_history(me.tenant_id, group, &query.filter(&me), skip, take)
        .await?;
    let items = chat_messages(&state, &me, &rows).await?;
    Ok(HttpResponse::Ok().json(Page {
        total_count: total,
        items,
    }))
}

/// One conversation in my list.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LastMessage {
    #[serde(flatten)]
    message: ChatMessage,
    /// The peer's or the group's name.
    object: String,
    avatar_url: Option<String>,
    unread_count: u64,
    /// A group message after my read position mentions me (by name or `@all`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    mentioned: bool,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct LastQuery {
    max_result_count: Option<u64>,
}

#[utoipa::path(tag = "messages", operation_id = "messages_my_last_messages", params(LastQuery), responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[get("/api/im/chat/my-last-messages")]
async fn my_last_messages(
    state: web::Data<AppState>,
    me: Identity,
    query: web::Query<LastQuery>,
) -> Result<HttpResponse, ApiError> {
    let max = query.max_result_count.unwrap_or(10).clamp(1, 1000);
    let facts = state.store.user_facts(me.tenant_id, me.user_id).await?;
    let groups: Vec<i64> = facts.groups.keys().copied().collect();
    let list = state
        .store
        .conversations(me.tenant_id, me.user_id, &groups, max)
        .await?;
    let peers: Vec<Uuid> = list
        .iter()
        .filter_map(|c| {
            if let Conversation::User(u) = c.with {
                Some(u)
            } else {
                None
            }
        })
        .collect();
    let list = last_shown(&state, &me, list).await?;
    let lasts: Vec<&StoredMessage> = list.iter().map(|c| &c.last).collect();
    let notes = state
        .store
        .annotations(me.tenant_id, me.user_id, &lasts)
        .await?;
    let cards = state.store.cards(me.tenant_id, peers).await?;
    let listed: Vec<i64> = list
        .iter()
        .filter_map(|c| match c.with {
            Conversation::Group(g) => Some(g),
            Conversation::User(_) => None,
        })
        .collect();
    let mentioned = state
        .store
        .mentioned_groups(me.tenant_id, me.user_id, &listed)
        .await?;
    let names = state.store.group_names(me.tenant_id, groups).await?;
    let items: Vec<LastMessage> = list
        .iter()
        .map(|c| {
            let (object, avatar_url) = match c.with {
                Conversation::User(u) => cards
                    .iter()
                    .find(|card| card.user_id == u)
                    .map(|card| {
                        (
                            card.nick_name
                                .clone()
                                .unwrap_or_else(|| card.user_name.clone()),
                            card.avatar_url.clone(),
                        )
                    })
                    .unwrap_or_default(),
                Conversation::Group(g) => names.get(&g).cloned().unwrap_or_default(),
            };
            LastMessage {
                message: chat_message(&c.last, me.user_id, &notes),
                object,
                avatar_url,
                unread_count: c.unread,
                mentioned: matches!(c.with, Conversation::Group(g) if mentioned.contains(&g)),
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// The conversation list with each last message `me` hid replaced by the last one `me` did
/// not hide (a conversation whose every message is hidden leaves the list).
async fn last_shown(
    state: &AppState,
    me: &Identity,
    list: Vec<ConversationSummary>,
) -> Result<Vec<ConversationSummary>, ApiError> {
    let lasts: Vec<&StoredMessage> = list.iter().map(|c| &c.last).collect();
    let hidden = state
        .store
        .annotations(me.tenant_id, me.user_id, &lasts)
        .await?
        .hidden;
    if hidden.is_empty() {
        return Ok(list);
    }
    let filter = HistoryFilter {
        hidden_for: Some(me.user_id),
        ..Default::default()
    };
    let mut shown = Vec::with_capacity(list.len());
    for mut c in list {
        if hidden.contains(&c.last.message_id) {
            let (_, older) = match c.with {
                Conversation::User(peer) => {
                    state
                        .store
                        .private_history(me.tenant_id, me.user_id, peer, &filter, 0, 1)
                        .await?
                }
                Conversation::Group(group) => {
                    state
                        .store
                        .group_history(me.tenant_id, group, &filter, 0, 1)
                        .await?
                }
            };
            let Some(last) = older.into_iter().next() else {
                continue;
            };
            c.last = last;
        }
        shown.push(c);
    }
    Ok(shown)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct SearchQuery {
    /// 1 to 200 characters, not all spaces.
    #[serde(default)]
    #[param(
        required = true,
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    q: String,
    group_id: Option<Id>,
    peer_user_id: Option<Uuid>,
}

/// Full-text search over what I may see: my private conversations (or one of them) and my
/// groups (or one of them), newest first, recalled messages excluded.
#[utoipa::path(tag = "messages", operation_id = "messages_search", params(Paging, SearchQuery), responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[get("/api/im/chat/search")]
async fn search(
    state: web::Data<AppState>,
    me: Identity,
    paging: web::Query<Paging>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, ApiError> {
    super::error::Validator::default()
        .length(query.q.trim(), "q", 1, 200)
        .finish()?;
    let facts = state.store.user_facts(me.tenant_id, me.user_id).await?;
    let my_groups: Vec<i64> = facts.groups.keys().copied().collect();
    let scope = match (query.group_id, query.peer_user_id) {
        (Some(Id(group)), _) => {
            if !my_groups.contains(&group) {
                return Err(crate::protocol::Code::NotGroupMember.into());
            }
            SearchScope {
                peer: None,
                groups: vec![group],
                private: false,
            }
        }
        (None, Some(peer)) => SearchScope {
            peer: Some(peer),
            groups: vec![],
            private: true,
        },
        (None, None) => SearchScope {
            peer: None,
            groups: my_groups,
            private: true,
        },
    };
    let (skip, take) = paging.window();
    let found = state
        .store
        .search_messages(me.tenant_id, me.user_id, query.q.trim(), &scope, skip, take)
        .await?;
    let items = chat_messages(&state, &me, &found).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// Registers the routes of this file.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(search)
        .service(my_messages)
        .service(group_messages)
        .service(my_last_messages);
}
