//! `GET /ws`: the native WebSocket protocol. The token is checked before the upgrade, so a
//! refused client gets an HTTP status and the error body, never a socket.

use actix_web::{get, web, HttpRequest, HttpResponse};
use actix_web_actors::ws;

use super::identity::{authenticate, connection_token};
use crate::actors::session::Session;
use crate::state::AppState;

#[utoipa::path(tag = "websocket", operation_id = "websocket_connect", responses((status = 101, description = "switching to WebSocket"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[get("/ws")]
async fn connect(
    req: HttpRequest,
    stream: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    super::check_origin(&req, &state.config.http.cors_origins)?;
    check_capacity(&state)?;
    let identity = authenticate(&state, connection_token(&req)).await?;
    let max_frame = state.config.limits.max_frame_bytes;
    let info = connection_info(&req, &state.trusted_proxies);
    let socket = super::socket_end::SocketEnd::of(&req);
    let arrived = state.delivery.arrival_point(&state.store).await;
    let session = Session::new(state.into_inner(), identity, info, arrived, socket);
    ws::WsResponseBuilder::new(session, &req, stream)
        .frame_size(max_frame)
        .start()
}

/// Refuses an upgrade when the pod holds as many connections as it may (`node.max_connections`):
/// 503 `IM:Unavailable` before the upgrade, so the client tries another pod, instead of a
/// connection waiting in the listen backlog for a file descriptor.
pub fn check_capacity(state: &AppState) -> Result<(), super::error::ApiError> {
    if state.at_connection_cap() {
        return Err(super::error::ApiError::new(
            crate::protocol::Code::Unavailable,
            "this pod holds as many connections as it may; connect to another",
        ));
    }
    Ok(())
}

/// Where a connection comes from, for operators: the client's address and user agent.
pub fn connection_info(
    req: &HttpRequest,
    trusted: &[ipnet::IpNet],
) -> crate::actors::ConnectionInfo {
    crate::actors::ConnectionInfo {
        since: chrono::Utc::now(),
        remote_addr: super::client_addr::client_address(req, trusted),
        user_agent: req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .chars()
            .take(256)
            .collect(),
    }
}

/// Registers the routes of this file.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(connect);
}
