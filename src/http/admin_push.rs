//! `/api/admin/push`: the push hand-off as administrators see it on this pod — whether it is
//! on and where jobs go, how many users wait for their debounce, and the jobs sent, failed and
//! the tokens removed as dead since the pod started (`/metrics` counts the same).

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde_json::json;
use std::sync::atomic::Ordering;

use super::admin::admin;
use super::error::ApiError;
use crate::state::AppState;

#[utoipa::path(tag = "admin", operation_id = "admin_push", responses((status = 200, description = "{enabled, webhook, stream, node, waiting, sent, failed, deadTokens}: this pod's push hand-off"), (status = "4XX", description = "the error body with its code")))]
#[get("/api/admin/push")]
async fn push(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    admin(&req, &state).await?.require_host()?;
    let counts = &state.push_jobs.counts;
    let config = &state.config.push;
    Ok(HttpResponse::Ok().json(json!({
        "enabled": config.enabled(),
        "webhook": !config.webhook_url.is_empty(),
        "stream": config.redis_stream,
        "node": state.node_name,
        "waiting": state.push_jobs.waiting(),
        "sent": counts.sent.load(Ordering::Relaxed),
        "failed": counts.failed.load(Ordering::Relaxed),
        "deadTokens": counts.dead_tokens.load(Ordering::Relaxed),
    })))
}

/// Registers the routes of this file.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(push);
}
