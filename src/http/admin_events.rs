//! `/api/admin/events`: the event outbox as administrators see it — how much waits, and the
//! dead letters (events not delivered within `hooks.events.max_retry_seconds`), each of which
//! can be replayed. The outbox is the cluster's, so these are the host's views.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::admin::admin;
use super::error::ApiError;
use super::paging::{Page, Paging};
use crate::state::AppState;

#[utoipa::path(tag = "admin", operation_id = "admin_outbox", responses((status = 200, description = "how many events wait, since when, and how many are dead letters"), (status = "4XX", description = "the error body with its code")))]
#[get("/api/admin/events/outbox")]
async fn outbox(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    admin(&req, &state).await?.require_host()?;
    let depth = state.store.outbox_depth().await?;
    Ok(HttpResponse::Ok().json(json!({
        "enabled": state.config.hooks.events.enabled(),
        "waiting": depth.waiting,
        "oldestAt": depth.oldest,
        "deadLetters": depth.dead_letters,
    })))
}

#[utoipa::path(tag = "admin", operation_id = "admin_dead_letters", params(Paging), responses((status = 200, description = "events that were not delivered, newest first"), (status = "4XX", description = "the error body with its code")))]
#[get("/api/admin/events/dead-letters")]
async fn dead_letters(
    req: HttpRequest,
    state: web::Data<AppState>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    admin(&req, &state).await?.require_host()?;
    let (skip, take) = paging.window();
    let (total, rows) = state.store.dead_letters(skip, take).await?;
    let items = rows
        .into_iter()
        .map(|d| {
            json!({
                "id": d.id.to_string(),
                "eventId": d.event_id,
                "event": d.kind,
                "createdAt": d.creation_time,
                "attempts": d.attempts,
                "lastError": d.last_error,
                "deadAt": d.dead_at,
                "data": serde_json::from_str::<Value>(&d.payload).unwrap_or(Value::Null),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(Page {
        total_count: total,
        items,
    }))
}

#[utoipa::path(tag = "admin", operation_id = "admin_replay_dead_letter", params(("id" = String, Path, description = "the dead letter's id")), responses((status = 202, description = "back in the outbox, with its event id"), (status = "4XX", description = "the error body with its code")))]
#[post("/api/admin/events/dead-letters/{id}/replay")]
async fn replay(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let a = admin(&req, &state).await?;
    a.require_host()?;
    let id: i64 = path
        .parse()
        .map_err(|_| ApiError::not_found("no such dead letter"))?;
    if !state.store.replay_dead_letter(id).await? {
        return Err(ApiError::not_found("no such dead letter"));
    }
    tracing::info!(admin = %a.who, dead_letter = id, "admin: replay event");
    Ok(HttpResponse::Accepted().finish())
}

/// Registers the routes of this file.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(outbox).service(dead_letters).service(replay);
}
