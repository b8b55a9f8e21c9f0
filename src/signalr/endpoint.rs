//! The hubs' HTTP side: `POST /signalr-hubs/messages/negotiate` and the WebSocket at
//! `/signalr-hubs/messages` (with `id=` from negotiate, or without for `skipNegotiation`), and
//! the same two for ABP's notifications hub at `/signalr-hubs/notifications`.
//! Both want a valid token, from `Authorization: Bearer` or `access_token`. Only the
//! WebSockets transport is offered; SignalR clients then use nothing else.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use actix_web_actors::ws;
use serde_json::json;

use super::connections::Claim;
use super::hub::{HubKind, HubSession};
use super::MAX_MESSAGE_BYTES;
use crate::auth::Identity;
use crate::http::error::ApiError;
use crate::http::identity::{authenticate, connection_token};
use crate::state::AppState;

/// The newest negotiate version this server speaks.
const NEGOTIATE_VERSION: u32 = 1;

/// The caller's identity, refusing banned accounts as `/ws` does.
async fn caller(state: &AppState, req: &HttpRequest) -> Result<Identity, ApiError> {
    authenticate(state, connection_token(req)).await
}

fn query(req: &HttpRequest) -> std::collections::HashMap<String, String> {
    web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default()
}

#[utoipa::path(tag = "signalr", operation_id = "signalr_negotiate", params(("negotiateVersion" = Option<u32>, Query, description = "0 or 1; absent means 0")), responses((status = 200, description = "connectionToken, connectionId, negotiateVersion and the WebSockets transport"), (status = 401, description = "no valid token"), (status = 403, description = "IM:Banned")))]
#[post("/signalr-hubs/messages/negotiate")]
pub async fn negotiate(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    negotiated(req, state).await
}

#[utoipa::path(tag = "signalr", operation_id = "signalr_notifications_negotiate", params(("negotiateVersion" = Option<u32>, Query, description = "0 or 1; absent means 0")), responses((status = 200, description = "connectionToken, connectionId, negotiateVersion and the WebSockets transport"), (status = 401, description = "no valid token"), (status = 403, description = "IM:Banned")))]
#[post("/signalr-hubs/notifications/negotiate")]
pub async fn negotiate_notifications(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    negotiated(req, state).await
}

/// Negotiate, for either hub: a connection token the WebSocket then claims.
async fn negotiated(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let identity = caller(&state, &req).await?;
    let asked = query(&req)
        .get("negotiateVersion")
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(0);
    let version = asked.min(NEGOTIATE_VERSION);
    let (token, connection_id) = state
        .hubs
        .negotiate((identity.tenant_id, identity.user_id), version);
    let transports = json!([{"transport": "WebSockets", "transferFormats": ["Text", "Binary"]}]);
    let body = if version == 0 {
        json!({"connectionId": connection_id, "negotiateVersion": 0, "availableTransports": transports})
    } else {
        json!({"connectionToken": token, "connectionId": connection_id,
               "negotiateVersion": version, "availableTransports": transports})
    };
    Ok(HttpResponse::Ok().json(body))
}

#[utoipa::path(tag = "signalr", operation_id = "signalr_connect", params(("id" = Option<String>, Query, description = "the connectionToken from negotiate; absent with skipNegotiation")), responses((status = 101, description = "switching to WebSocket: the JSON hub protocol"), (status = 400, description = "not a WebSocket upgrade (only the WebSockets transport is served)"), (status = 401, description = "no valid token"), (status = 403, description = "IM:Banned, or an origin http.cors_origins does not allow"), (status = 404, description = "unknown connection id"), (status = 409, description = "the connection already has a WebSocket")))]
#[get("/signalr-hubs/messages")]
pub async fn connect(
    req: HttpRequest,
    stream: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    connected(HubKind::Messages, req, stream, state).await
}

#[utoipa::path(tag = "signalr", operation_id = "signalr_notifications_connect", params(("id" = Option<String>, Query, description = "the connectionToken from negotiate; absent with skipNegotiation")), responses((status = 101, description = "switching to WebSocket: the JSON hub protocol"), (status = 400, description = "not a WebSocket upgrade"), (status = 401, description = "no valid token"), (status = 403, description = "IM:Banned, or an origin http.cors_origins does not allow"), (status = 404, description = "unknown connection id"), (status = 409, description = "the connection already has a WebSocket")))]
#[get("/signalr-hubs/notifications")]
pub async fn connect_notifications(
    req: HttpRequest,
    stream: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    connected(HubKind::Notifications, req, stream, state).await
}

/// The WebSocket of either hub.
async fn connected(
    kind: HubKind,
    req: HttpRequest,
    stream: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    crate::http::check_origin(&req, &state.config.http.cors_origins)?;
    crate::http::ws::check_capacity(&state)?;
    let identity = caller(&state, &req).await?;
    let user = (identity.tenant_id, identity.user_id);
    let token = query(&req).remove("id");
    let connection_id = match &token {
        None => uuid::Uuid::new_v4().simple().to_string(),
        Some(token) => match state.hubs.claim(token, user) {
            Ok(id) => id,
            Err(Claim::Unknown) => {
                return Ok(HttpResponse::NotFound().body("No Connection with that ID"))
            }
            Err(Claim::Taken) => {
                return Ok(HttpResponse::Conflict().body("Connection ID already in use"))
            }
        },
    };
    let info = crate::http::ws::connection_info(&req, &state.trusted_proxies);
    let session = HubSession::new(
        kind,
        state.clone().into_inner(),
        identity,
        info,
        connection_id,
        token.clone(),
        state.delivery.arrival_point(&state.store).await,
        crate::http::socket_end::SocketEnd::of(&req),
    );
    let started = ws::WsResponseBuilder::new(session, &req, stream)
        .frame_size(MAX_MESSAGE_BYTES + 1024)
        .start();
    if started.is_err() {
        if let Some(token) = &token {
            state.hubs.release(token);
        }
    }
    started
}

/// Registers the routes of this file.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(negotiate)
        .service(connect)
        .service(negotiate_notifications)
        .service(connect_notifications);
}
