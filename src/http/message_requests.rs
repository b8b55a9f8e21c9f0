//! The requests every protocol makes, over HTTP: send, recall, read and sync, so a web client
//! that lost its socket can still send, take a message back, mark a conversation read and
//! catch up. They go through `requests::submit` as the WebSocket's and the hub's do, with the
//! same checks, rules and codes; only the answer's form is HTTP's.

use std::time::Duration;

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use crate::auth::Identity;
use crate::protocol::{Id, SendFrame, ServerFrame};
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
    state
        .quotas
        .send(me.tenant_id, me.user_id)
        .map_err(|wait| ApiError::rate_limited("too many messages a second", wait))?;
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

/// Where a sync page starts and how long it is.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct SyncQuery {
    /// The `next` of the previous page; none (or empty) starts at the beginning.
    #[param(pattern = "^(1(\\.-?[0-9]{1,18}){4})?$")]
    after: Option<String>,
    /// Messages a page, 1 to 1,000 (200 when not given; larger values are clamped).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

#[utoipa::path(tag = "messages", operation_id = "messages_sync", params(SyncQuery), responses((status = 200, description = "`{messages, next, more}`: the page after `after`, as the WebSocket's `sync` answers it"), (status = 400, description = "IM:Validation: `after` is not a cursor this server gave"), (status = 503, description = "IM:Unavailable")))]
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
            next,
            more,
            ..
        } => Ok(HttpResponse::Ok().json(json!({"messages": messages, "next": next, "more": more}))),
        _ => Err(ApiError::unavailable()),
    }
}

/// Registers the routes of this file.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(send_message)
        .service(recall)
        .service(read)
        .service(sync);
}
