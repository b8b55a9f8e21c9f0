//! `/health` (the process is up) and `/ready` (it can serve: schema migrated, database and,
//! in a cluster, Redis reachable).

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

/// Registers the routes of this file.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(health).service(ready);
}
