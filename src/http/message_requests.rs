//! The requests every protocol makes, over HTTP: send, forward, recall, read, edit, react,
//! hide and sync, so a web client that lost its socket can still do all it does on a socket.
//! They go through `requests::submit` as the WebSocket's and the hub's do, with the same
//! checks, rules and codes; only the answer's form is HTTP's.

use std::time::Duration;

use actix_web::{get, post, put, web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::paging::{Page, Paging};
use crate::auth::Identity;
use crate::chat::rules::receipts;
use crate::protocol::{EditBody, ForwardFrame, Id, ReactBody, SendFrame, ServerFrame};
use crate::requests::{self, Origin, Request};
use crate::state::AppState;

/// How long a route waits for the actors' answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// Submits `request` for `me` and waits for its answer: a refusal is 400, an `error` frame its
/// code's status, no answer `IM:Unavailable`.
async fn ask(
    state: web::Data<AppState>,
    me: &Identity,
    request: Request,
) -> Result<ServerFrame, ApiError> {
    let (origin, answer) = Origin::awaited(me);
    requests::submit(&state.into_inner(), origin, request)?;
    match tokio::time::timeout(ANSWER_TIMEOUT, answer).await {
        Ok(Ok(ServerFrame::Error { code, message, .. })) => Err(ApiError::new(code, message)),
        Ok(Ok(frame)) => Ok(frame),
        _ => Err(ApiError::unavailable()),
    }
}

/// Takes one of `me`'s sends a second (a send, or a forward however many it copies).
fn sending_quota(state: &AppState, me: &Identity) -> Result<(), ApiError> {
    state
        .quotas
        .send(me.tenant_id, me.user_id)
        .map_err(|wait| ApiError::rate_limited("too many messages a second", wait))
}

/// 204 for an `ack`.
async fn answered(
    state: web::Data<AppState>,
    me: &Identity,
    request: Request,
) -> Result<HttpResponse, ApiError> {
    ask(state, me, request).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(tag = "messages", operation_id = "messages_send_message", request_body = SendFrame, responses((status = 200, description = "stored: `{messageId, sendTime}`"), (status = 400, description = "IM:Validation: a field breaks its limit, or not exactly one of `toUserId` and `groupId`"), (status = 403, description = "the conversation's rule refused it (ABP's codes)"), (status = 404, description = "03404, 02404: no such user or group"), (status = 429, description = "IM:RateLimited"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/im/chat/send-message")]
async fn send_message(
    state: web::Data<AppState>,
    me: Identity,
    body: web::Json<SendFrame>,
) -> Result<HttpResponse, ApiError> {
    sending_quota(&state, &me)?;
    let request = Request::Send(body.into_inner().into());
    match ask(state, &me, request).await? {
        ServerFrame::Ack {
            message_id: Some(id),
            send_time,
            ..
        } => {
            let send_time =
                send_time.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
            Ok(HttpResponse::Ok().json(json!({"messageId": id, "sendTime": send_time})))
        }
        _ => Err(ApiError::unavailable()),
    }
}

#[utoipa::path(tag = "messages", operation_id = "messages_forward", request_body = ForwardFrame, responses((status = 200, description = "the copies are stored: `{messageIds}`, in the order asked"), (status = 400, description = "IM:Validation: 1 to 100 distinct ids, exactly one of `toUserId` and `groupId`"), (status = 403, description = "the conversation's rule refused the copies (ABP's codes)"), (status = 404, description = "IM:NotFound: a message that does not exist for this user"), (status = 409, description = "IM:Conflict: a recalled message"), (status = 429, description = "IM:RateLimited"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/im/chat/forward")]
async fn forward(
    state: web::Data<AppState>,
    me: Identity,
    body: web::Json<ForwardFrame>,
) -> Result<HttpResponse, ApiError> {
    sending_quota(&state, &me)?;
    let request = Request::Forward(body.into_inner().into());
    match ask(state, &me, request).await? {
        frame @ ServerFrame::Ack { .. } => Ok(HttpResponse::Ok().json(frame.fields())),
        _ => Err(ApiError::unavailable()),
    }
}

#[utoipa::path(tag = "messages", operation_id = "messages_recall", params(("message_id" = String, Path, description = "the message id (decimal)")), responses((status = 204, description = "recalled: every party hears `recalled`"), (status = 403, description = "01303 past the recall window, IM:Forbidden another's message"), (status = 404, description = "IM:NotFound: no such message for this user"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/im/chat/messages/{message_id}/recall")]
async fn recall(
    state: web::Data<AppState>,
    me: Identity,
    path: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    let message_id = path.into_inner().0;
    answered(state, &me, Request::Recall { message_id }).await
}

#[utoipa::path(tag = "messages", operation_id = "messages_read", params(("message_id" = String, Path, description = "the message id (decimal)")), responses((status = 204, description = "the conversation is read up to this message; a private sender hears `read`"), (status = 403, description = "01401: not a member of the message's group"), (status = 404, description = "IM:NotFound"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/im/chat/messages/{message_id}/read")]
async fn read(
    state: web::Data<AppState>,
    me: Identity,
    path: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    let message_id = path.into_inner().0;
    answered(state, &me, Request::Read { message_id }).await
}

#[utoipa::path(tag = "messages", operation_id = "messages_edit", params(("message_id" = String, Path, description = "the message id (decimal)")), request_body = EditBody, responses((status = 200, description = "edited: `{messageId, editVersion, editedAt}`; every party hears `edited`"), (status = 400, description = "IM:Validation, 01400: the text breaks a send's checks"), (status = 403, description = "IM:Forbidden: another's message, not text, or past `limits.edit_window_seconds`"), (status = 404, description = "IM:NotFound: no such message for this user"), (status = 409, description = "IM:Conflict: the message was recalled"), (status = 503, description = "IM:Unavailable")))]
#[put("/api/im/chat/messages/{message_id}")]
async fn edit(
    state: web::Data<AppState>,
    me: Identity,
    path: web::Path<Id>,
    body: web::Json<EditBody>,
) -> Result<HttpResponse, ApiError> {
    let request = Request::Edit {
        message_id: path.into_inner().0,
        content: body.into_inner().content,
    };
    match ask(state, &me, request).await? {
        frame @ ServerFrame::Ack { .. } => Ok(HttpResponse::Ok().json(frame.fields())),
        _ => Err(ApiError::unavailable()),
    }
}

#[utoipa::path(tag = "messages", operation_id = "messages_react", params(("message_id" = String, Path, description = "the message id (decimal)")), request_body = ReactBody, responses((status = 204, description = "done (adding twice is adding once); every party hears `reaction`"), (status = 400, description = "IM:Validation: not one emoji or `:name:`"), (status = 404, description = "IM:NotFound: no such message for this user"), (status = 409, description = "IM:Conflict: 20 emoji on the message, 3 of yours, or recalled"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/im/chat/messages/{message_id}/reactions")]
async fn react(
    state: web::Data<AppState>,
    me: Identity,
    path: web::Path<Id>,
    body: web::Json<ReactBody>,
) -> Result<HttpResponse, ApiError> {
    let ReactBody { emoji, add } = body.into_inner();
    let request = Request::React {
        message_id: path.into_inner().0,
        emoji,
        add,
    };
    answered(state, &me, request).await
}

#[utoipa::path(tag = "messages", operation_id = "messages_hide", params(("message_id" = String, Path, description = "the message id (decimal)")), responses((status = 204, description = "gone from my history, sync and conversation list on all my devices; nobody else is affected"), (status = 404, description = "IM:NotFound: no such message for this user"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/im/chat/messages/{message_id}/hide")]
async fn hide(
    state: web::Data<AppState>,
    me: Identity,
    path: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    let message_id = path.into_inner().0;
    answered(state, &me, Request::Hide { message_id }).await
}

/// Which reactions to list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ReactorsQuery {
    /// Only this emoji.
    #[param(min_length = 1, max_length = 64)]
    emoji: Option<String>,
}

/// Someone who reacted.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ReactorItem {
    user_id: uuid::Uuid,
    emoji: String,
    creation_time: String,
}

#[utoipa::path(tag = "messages", operation_id = "messages_reactions", params(("message_id" = String, Path, description = "the message id (decimal)"), ReactorsQuery, Paging), responses((status = 200, description = "`{totalCount, items: [{userId, emoji, creationTime}]}`, first first"), (status = 404, description = "IM:NotFound: no such message for this user"), (status = 503, description = "IM:Unavailable")))]
#[get("/api/im/chat/messages/{message_id}/reactions")]
async fn reactions(
    state: web::Data<AppState>,
    me: Identity,
    path: web::Path<Id>,
    query: web::Query<ReactorsQuery>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    let message_id = path.into_inner().0;
    let message = state
        .store
        .find_message(me.tenant_id, message_id)
        .await?
        .ok_or_else(|| ApiError::from(crate::protocol::Code::NotFound))?;
    let state = state.into_inner();
    requests::may_see_message(&state, me.tenant_id, me.user_id, &message).await?;
    let (skip, take) = paging.window();
    let (total, rows) = state
        .store
        .reactors(message_id, query.emoji.as_deref(), skip, take)
        .await?;
    let items = rows
        .into_iter()
        .map(|r| ReactorItem {
            user_id: r.user_id,
            emoji: r.emoji,
            creation_time: r.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        })
        .collect();
    Ok(HttpResponse::Ok().json(Page {
        total_count: total,
        items,
    }))
}

/// Who read a group message: counts for any group, the readers in a small one.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Readers {
    /// Members but the sender who read it (those who share their reading).
    read_count: u64,
    /// Members but the sender.
    member_count: u64,
    /// The readers, paged (`totalCount` is `readCount`), in groups of at most
    /// `limits.receipt_group_max` members.
    #[serde(skip_serializing_if = "Option::is_none")]
    items: Option<Vec<ReaderItem>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total_count: Option<u64>,
}

/// A member who read the message.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ReaderItem {
    user_id: uuid::Uuid,
}

#[utoipa::path(tag = "messages", operation_id = "messages_group_readers", params(("message_id" = String, Path, description = "the message id (decimal)"), Paging), responses((status = 200, description = "`{readCount, memberCount}`, and `{totalCount, items: [{userId}]}` in groups of at most `limits.receipt_group_max` members"), (status = 403, description = "IM:Forbidden: neither the sender nor an admin of the group"), (status = 404, description = "IM:NotFound: no such group message for this user"), (status = 503, description = "IM:Unavailable")))]
#[get("/api/im/chat/group/messages/{message_id}/readers")]
async fn readers(
    state: web::Data<AppState>,
    me: Identity,
    path: web::Path<Id>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    let message_id = path.into_inner().0;
    let not_found = || ApiError::from(crate::protocol::Code::NotFound);
    let message = state
        .store
        .find_message(me.tenant_id, message_id)
        .await?
        .ok_or_else(not_found)?;
    let crate::store::Conversation::Group(group) = message.to else {
        return Err(not_found());
    };
    let state = state.into_inner();
    requests::may_see_message(&state, me.tenant_id, me.user_id, &message).await?;
    let facts = state
        .store
        .group_facts(me.tenant_id, group)
        .await?
        .ok_or_else(not_found)?;
    receipts::may_list_readers(&facts, me.user_id, &message)?;
    let small = receipts::shows_readers(&facts, state.config.limits.receipt_group_max);
    let (read_count, member_count, listed) = state
        .store
        .group_readers(
            me.tenant_id,
            group,
            message_id,
            message.from.unwrap_or_default(),
            small.then(|| paging.window()),
        )
        .await?;
    Ok(HttpResponse::Ok().json(Readers {
        read_count,
        member_count,
        total_count: small.then_some(read_count),
        items: small.then(|| {
            listed
                .into_iter()
                .map(|user_id| ReaderItem { user_id })
                .collect()
        }),
    }))
}

/// Where a sync page starts and how long it is.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct SyncQuery {
    /// The `next` of the previous page; none (or empty) starts at the beginning.
    #[param(pattern = "^(1(\\.-?[0-9]{1,18}){4}|2(\\.-?[0-9]{1,18}){6})?$")]
    after: Option<String>,
    /// Messages a page, 1 to 1,000 (200 when not given; larger values are clamped).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

#[utoipa::path(tag = "messages", operation_id = "messages_sync", params(SyncQuery), responses((status = 200, description = "`{messages, changes, hidden, next, more}`: the page after `after`, as the WebSocket's `sync` answers it"), (status = 400, description = "IM:Validation: `after` is not a cursor this server gave"), (status = 503, description = "IM:Unavailable")))]
#[get("/api/im/chat/sync")]
async fn sync(
    state: web::Data<AppState>,
    me: Identity,
    query: web::Query<SyncQuery>,
) -> Result<HttpResponse, ApiError> {
    let SyncQuery { after, limit } = query.into_inner();
    match ask(state, &me, Request::Sync { after, limit }).await? {
        ServerFrame::Sync {
            messages,
            changes,
            hidden,
            next,
            more,
            ..
        } => Ok(HttpResponse::Ok().json(json!({
            "messages": messages, "changes": changes, "hidden": hidden,
            "next": next, "more": more,
        }))),
        _ => Err(ApiError::unavailable()),
    }
}

/// Registers the routes of this file.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(send_message)
        .service(forward)
        .service(recall)
        .service(read)
        .service(edit)
        .service(react)
        .service(hide)
        .service(reactions)
        .service(readers)
        .service(sync);
}
