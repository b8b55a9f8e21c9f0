//! `/api/im/devices/push-token` and `/api/im/conversations/muted`: what the push hand-off
//! needs from a user — where to push (a token per device, several per user) and which
//! conversations not to push for.

use actix_web::{delete, get, post, put, web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::error::{ApiError, Validator};
use crate::auth::{Identity, Platform};
use crate::state::AppState;
use crate::store::Conversation;

/// A device's push token.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct TokenBody {
    /// `ios`, `android`, … (as at login).
    platform: Platform,
    #[schema(min_length = 1, max_length = 512)]
    token: String,
    #[serde(default)]
    #[schema(max_length = 64)]
    device_id: Option<String>,
}

#[utoipa::path(tag = "push", operation_id = "push_token_register", request_body = TokenBody, responses((status = 204, description = "registered (a token registered before moves to this user and device)"), (status = "4XX", description = "the error body with its code")))]
#[post("/api/im/devices/push-token")]
async fn register(
    me: Identity,
    state: web::Data<AppState>,
    body: web::Json<TokenBody>,
) -> Result<HttpResponse, ApiError> {
    Validator::default()
        .length(&body.token, "token", 1, 512)
        .text(body.device_id.as_deref(), "deviceId", 64)
        .finish()?;
    state
        .store
        .register_push_token(
            me.tenant_id,
            me.user_id,
            body.platform.as_str(),
            &body.token,
            body.device_id.as_deref(),
        )
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Which token to remove.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct RemoveBody {
    token: String,
}

#[utoipa::path(tag = "push", operation_id = "push_token_remove", request_body = RemoveBody, responses((status = 204, description = "removed"), (status = 404, description = "not one of my tokens")))]
#[delete("/api/im/devices/push-token")]
async fn remove(
    me: Identity,
    state: web::Data<AppState>,
    body: web::Json<RemoveBody>,
) -> Result<HttpResponse, ApiError> {
    if state
        .store
        .remove_push_token(me.user_id, &body.token)
        .await?
    {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("not one of your push tokens"))
    }
}

#[utoipa::path(tag = "push", operation_id = "push_tokens_mine", responses((status = 200, description = "{items: [{platform, token, deviceId, creationTime}]}")))]
#[get("/api/im/devices/push-tokens")]
async fn mine(me: Identity, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let items: Vec<_> = state
        .store
        .push_tokens_of_user(me.user_id)
        .await?
        .into_iter()
        .map(|t| {
            json!({"platform": t.platform, "token": t.token, "deviceId": t.device_id,
                   "creationTime": t.creation_time})
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// A conversation to mute or unmute: a user's or a group's.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct MuteBody {
    #[serde(default)]
    user_id: Option<Uuid>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    group_id: Option<crate::protocol::Id>,
    muted: bool,
}

#[utoipa::path(tag = "push", operation_id = "conversation_mute", request_body = MuteBody, responses((status = 204, description = "set"), (status = "4XX", description = "the error body with its code")))]
#[put("/api/im/conversations/muted")]
async fn set_muted(
    me: Identity,
    state: web::Data<AppState>,
    body: web::Json<MuteBody>,
) -> Result<HttpResponse, ApiError> {
    let with = match (body.user_id, &body.group_id) {
        (Some(user), None) => Conversation::User(user),
        (None, Some(group)) => Conversation::Group(group.0),
        _ => {
            return Err(ApiError::validation(vec![super::error::FieldError {
                message: "name either `userId` or `groupId`".into(),
                members: vec!["userId".into(), "groupId".into()],
            }]))
        }
    };
    state
        .store
        .set_muted(me.tenant_id, me.user_id, with, body.muted)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(tag = "push", operation_id = "conversations_muted", responses((status = 200, description = "{items: [{userId} or {groupId}]}")))]
#[get("/api/im/conversations/muted")]
async fn muted(me: Identity, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let items: Vec<_> = state
        .store
        .muted_conversations(me.tenant_id, me.user_id)
        .await?
        .into_iter()
        .map(|c| match c {
            Conversation::User(u) => json!({ "userId": u }),
            Conversation::Group(g) => json!({ "groupId": g.to_string() }),
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// Registers the routes of this file.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(register)
        .service(remove)
        .service(mine)
        .service(set_muted)
        .service(muted);
}
