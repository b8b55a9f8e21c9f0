//! `/health` (the process is up), `/ready` (it can serve: schema migrated, database and, in a
//! cluster, Redis reachable) and `/metrics` (Prometheus).

use actix_web::{get, web, HttpResponse};
use serde_json::json;

use crate::state::AppState;

#[utoipa::path(tag = "operations", operation_id = "operations_health", responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[get("/health")]
async fn health(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "up", "node": state.node_name}))
}

#[utoipa::path(tag = "operations", operation_id = "operations_ready", responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[get("/ready")]
async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let schema = state.schema_ready();
    let database = schema && state.store.ping().await;
    let redis = state.redis_ready();
    let body = json!({
        "ready": database && redis.unwrap_or(true),
        "database": database,
        "schema": schema,
        "redis": redis,
        "node": state.node_name,
    });
    if database && redis.unwrap_or(true) {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

#[utoipa::path(tag = "operations", operation_id = "operations_metrics", responses((status = 200, description = "Prometheus text format"), (status = 401, description = "`http.metrics_key` is set and the request did not carry it")))]
#[get("/metrics")]
async fn metrics(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, super::error::ApiError> {
    let key = &state.config.http.metrics_key;
    if !key.is_empty()
        && super::identity::bearer_token(&req)
            .is_none_or(|given| given.as_bytes() != key.as_bytes())
    {
        return Err(super::error::ApiError::unauthorized(
            "/metrics wants `Authorization: Bearer` with http.metrics_key",
        ));
    }
    let m = crate::metrics::metrics();
    let (connections, users, groups, restarts) = state.delivery.supervisor.counts();
    m.connections.set(connections as i64);
    m.online_users
        .set(state.delivery.supervisor.online_count() as i64);
    m.user_actors.set(users as i64);
    m.group_actors.set(groups as i64);
    m.actor_restarts.set(restarts as i64);
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(m.render()))
}

/// Registers the routes of this file.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(health).service(ready).service(metrics);
}
