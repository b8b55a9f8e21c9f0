//! `/api/admin/users/{id}/sessions`: administrators see and end any user's sessions (in their
//! tenant), as the user can their own.

use actix_web::{delete, get, web, HttpRequest, HttpResponse};
use uuid::Uuid;

use super::admin::admin;
use super::error::ApiError;
use super::sessions::{end, session_views};
use crate::state::AppState;
use crate::store::Ending;

#[utoipa::path(tag = "admin", operation_id = "admin_sessions", params(("user_id" = Uuid, Path, description = "the user")), responses((status = 200, description = "the user's sessions, newest first"), (status = "4XX", description = "the error body with its code")))]
#[get("/api/admin/users/{user_id}/sessions")]
async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let a = admin(&req, &state).await?;
    let items = session_views(&state, (a.tenant_id, path.into_inner()), None).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

#[utoipa::path(tag = "admin", operation_id = "admin_end_session", params(("user_id" = Uuid, Path, description = "the user"), ("session_id" = String, Path, description = "the session")), responses((status = 204, description = "ended: its tokens stop working and its sockets close"), (status = "4XX", description = "the error body with its code")))]
#[delete("/api/admin/users/{user_id}/sessions/{session_id}")]
async fn end_one(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let a = admin(&req, &state).await?;
    let (user, session) = path.into_inner();
    tracing::info!(admin = %a.who, user = %user, session = %session, "admin: end session");
    let which = Ending::One(&session);
    match end(
        &state,
        (a.tenant_id, user),
        which,
        "ended by an administrator",
    )
    .await?
    {
        0 => Err(ApiError::not_found("no such session")),
        _ => Ok(HttpResponse::NoContent().finish()),
    }
}

#[utoipa::path(tag = "admin", operation_id = "admin_end_sessions", params(("user_id" = Uuid, Path, description = "the user")), responses((status = 200, description = "how many sessions ended"), (status = "4XX", description = "the error body with its code")))]
#[delete("/api/admin/users/{user_id}/sessions")]
async fn end_all(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let a = admin(&req, &state).await?;
    let user = path.into_inner();
    tracing::info!(admin = %a.who, user = %user, "admin: end all sessions");
    let ended = end(
        &state,
        (a.tenant_id, user),
        Ending::All,
        "ended by an administrator",
    )
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "ended": ended })))
}

/// Registers the routes of this file.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list).service(end_one).service(end_all);
}
