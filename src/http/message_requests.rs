//! `POST /api/im/chat/messages/{messageId}/recall` and `…/read`: recall and read over HTTP, so
//! a web client that lost its socket can still take a message back or mark a conversation read.
//! They are the same requests the WebSocket and the SignalR hub make (`actors::requests`), with
//! the same rules and codes; only the answer's form is HTTP's.

use std::time::Duration;

use actix_web::{post, web, HttpResponse};

use super::error::ApiError;
use crate::actors::user::Origin;
use crate::auth::Identity;
use crate::protocol::{Id, ServerFrame};
use crate::state::AppState;

/// 204 for an `ack`, the code's error for an `error`, `IM:Unavailable` for no answer.
async fn answered(
    answer: tokio::sync::oneshot::Receiver<ServerFrame>,
) -> Result<HttpResponse, ApiError> {
    match tokio::time::timeout(Duration::from_secs(30), answer).await {
        Ok(Ok(ServerFrame::Ack { .. })) => Ok(HttpResponse::NoContent().finish()),
        Ok(Ok(ServerFrame::Error { code, message, .. })) => Err(ApiError::coded(code, message)),
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
    let (origin, answer) = Origin::awaited(&me);
    actix_rt::spawn(crate::actors::requests::recall(
        state.into_inner(),
        origin,
        path.into_inner(),
    ));
    answered(answer).await
}

#[utoipa::path(tag = "messages", operation_id = "messages_read", params(("message_id" = String, Path, description = "the message id (decimal)")), responses((status = 204, description = "the conversation is read up to this message; a private sender hears `read`"), (status = 403, description = "01401: not a member of the message's group"), (status = 404, description = "IM:NotFound"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/im/chat/messages/{message_id}/read")]
async fn read(
    state: web::Data<AppState>,
    me: Identity,
    path: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    let (origin, answer) = Origin::awaited(&me);
    let state = state.into_inner();
    let user = state.supervisor.user(&state, (me.tenant_id, me.user_id));
    actix_rt::spawn(crate::actors::requests::read(
        state,
        origin,
        Some(user),
        path.into_inner(),
    ));
    answered(answer).await
}

/// Registers the routes of this file.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(recall).service(read);
}
