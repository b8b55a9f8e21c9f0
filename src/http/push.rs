//! `/api/push`: backend services push `event` frames to browsers — to everyone, to every
//! device of a user, or to one connection (`spec/API.md`, "Push").

use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::error::{ApiError, Validator};
use super::identity::{authenticate, bearer_token};
use crate::cluster::{deliver_locally, Push, PushTarget};
use crate::state::AppState;

/// The body of every push route.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct PushBody {
    #[serde(default)]
    method: String,
    #[serde(default)]
    data: serde_json::Value,
    #[serde(default)]
    tenant_id: Option<Uuid>,
}

/// Pushes are for backend services: the configured `X-API-Key`, or a token with role `service`.
async fn authorize(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    let key = &state.config.push.api_key;
    if let Some(given) = req.headers().get("x-api-key") {
        return if !key.is_empty() && given.as_bytes() == key.as_bytes() {
            Ok(())
        } else {
            Err(ApiError::unauthorized("the API key is not valid"))
        };
    }
    let identity = authenticate(state, bearer_token(req)).await?;
    if identity.has_role("service") || identity.has_role("admin") {
        Ok(())
    } else {
        Err(ApiError::forbidden("pushing needs role `service`"))
    }
}

async fn push(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: PushBody,
    target: PushTarget,
) -> Result<HttpResponse, ApiError> {
    authorize(&req, &state).await?;
    Validator::default()
        .length(&body.method, "method", 1, 128)
        .finish()?;
    let push = Push {
        target,
        method: body.method,
        data: body.data,
    };
    let sessions = deliver_locally(&state, &push).await;
    state.bus.push(&push);
    Ok(HttpResponse::Accepted().json(json!({ "sessions": sessions })))
}

#[utoipa::path(tag = "push", operation_id = "push_broadcast", responses((status = 202, description = "accepted: how many sessions of this pod it reached"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/push/broadcast")]
async fn broadcast(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<PushBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let target = PushTarget::Broadcast {
        tenant_id: body.tenant_id,
    };
    push(req, state, body, target).await
}

#[utoipa::path(tag = "push", operation_id = "push_to_user", responses((status = 202, description = "accepted: how many sessions of this pod it reached"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/push/users/{user_id}")]
async fn to_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: web::Json<PushBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let target = PushTarget::User {
        tenant_id: body.tenant_id,
        user_id: path.into_inner(),
    };
    push(req, state, body, target).await
}

#[utoipa::path(tag = "push", operation_id = "push_to_connection", responses((status = 202, description = "accepted: how many sessions of this pod it reached"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/push/connections/{connection_id}")]
async fn to_connection(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<PushBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let target = PushTarget::Connection {
        connection_id: path.into_inner(),
    };
    push(req, state, body, target).await
}

/// Registers the routes of this file.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(broadcast)
        .service(to_user)
        .service(to_connection);
}
