//! The HTTP side: routes, the error body, and the request-level plumbing (JSON errors, unknown
//! routes, the caller's identity).

pub mod abp_wrap;
mod account_data;
mod accounts;
mod admin;
mod admin_events;
mod admin_push;
mod admin_sessions;
mod chat;
pub mod client_addr;
mod devices;
pub mod error;
mod friends;
mod groups;
mod health;
pub mod identity;
mod inbox;
mod media;
mod media_uploads;
mod message_requests;
mod notification_definitions;
mod notifications;
pub mod nul_guard;
mod openapi;
mod pages;
mod paging;
mod password;
mod push;
mod sessions;
pub mod socket_end;
mod users;
pub mod ws;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, HttpRequest, HttpResponse};

use error::ApiError;

/// Every route of the product.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(json_config())
        .configure(health::routes)
        .configure(accounts::routes)
        .configure(sessions::routes)
        .configure(password::routes)
        .configure(admin_sessions::routes)
        .configure(account_data::routes)
        .configure(admin_events::routes)
        .configure(admin_push::routes)
        .configure(ws::routes)
        .configure(crate::signalr::endpoint::routes)
        .configure(push::routes)
        .configure(users::routes)
        .configure(friends::routes)
        .configure(chat::routes)
        .configure(message_requests::routes)
        .configure(groups::routes)
        .configure(notification_definitions::routes)
        .configure(notifications::routes)
        .configure(inbox::routes)
        .configure(devices::routes)
        .configure(media_uploads::routes)
        .configure(media::routes)
        .configure(admin::routes)
        .configure(pages::routes)
        .service(openapi::swagger());
}

/// Cross-origin access for browsers (`http.cors_origins`): the origin is echoed with
/// credentials allowed, as SignalR's browser client needs (it sends `withCredentials`).
pub fn cors(origins: &[String]) -> actix_cors::Cors {
    let any = origins.iter().any(|o| o == "*");
    let listed: Vec<String> = origins.to_vec();
    actix_cors::Cors::default()
        .allowed_origin_fn(move |origin, _| {
            any || origin
                .to_str()
                .is_ok_and(|o| listed.iter().any(|l| l.eq_ignore_ascii_case(o)))
        })
        .allow_any_method()
        .allow_any_header()
        .expose_headers(["x-request-id"])
        .supports_credentials()
        .max_age(3600)
}

/// Refuses a WebSocket upgrade from a page on an origin `http.cors_origins` does not allow:
/// browsers send `Origin` on every WebSocket and CORS does not apply to them, so the same list
/// is enforced here. No `Origin` (not a browser) and the page's own origin always pass.
pub fn check_origin(req: &HttpRequest, origins: &[String]) -> Result<(), ApiError> {
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return Ok(());
    };
    let allowed = origin.to_str().is_ok_and(|origin| {
        let own = req.connection_info();
        origins
            .iter()
            .any(|o| o == "*" || o.eq_ignore_ascii_case(origin))
            || origin.eq_ignore_ascii_case(&format!("{}://{}", own.scheme(), own.host()))
            || origin.eq_ignore_ascii_case(&format!("https://{}", own.host()))
    });
    if allowed {
        return Ok(());
    }
    Err(ApiError::new(
        crate::protocol::Code::Forbidden,
        "WebSockets from this origin are not allowed (http.cors_origins)",
    ))
}

/// The id of one request: the caller's `X-Request-Id` when it is a short token, else a new
/// one. It is logged with the request and echoed in the response, so a client's report can be
/// found in the logs.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Gives every request its [`RequestId`].
pub async fn request_id(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    use actix_web::HttpMessage;
    let given = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=64).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_string);
    let id = given.unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut res = next.call(req).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(header::HeaderName::from_static("x-request-id"), value);
    }
    Ok(res)
}

/// Malformed or oversized JSON bodies answer with the error body, not actix's plain text.
fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(1024 * 1024)
        .error_handler(|err, _req: &HttpRequest| {
            let api = match &err {
                actix_web::error::JsonPayloadError::OverflowKnownLength { .. }
                | actix_web::error::JsonPayloadError::Overflow { .. } => {
                    ApiError::from(crate::protocol::Code::TooLarge)
                }
                actix_web::error::JsonPayloadError::ContentType => {
                    ApiError::bad_request("the body must be JSON (Content-Type: application/json)")
                }
                other => ApiError::bad_request(format!("the body is not valid JSON: {other}")),
            };
            api.into()
        })
}

/// Answers unknown routes with 404 and the error body.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let err = ApiError::not_found(format!("no route for {} {}", req.method(), req.path()));
    HttpResponse::NotFound()
        .content_type("application/json")
        .body(err.body())
}

/// Gives any error response that has no JSON body (405, a query that fails to parse, …) the
/// error body, so a client can always read `error.code`.
pub fn error_bodies<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(|res: ServiceResponse<B>| {
        let is_json = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
            v.to_str()
                .unwrap_or_default()
                .starts_with("application/json")
        });
        if is_json || res.status().is_success() {
            return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
        }
        let status = res.status();
        let code = crate::protocol::Code::of_status(status.as_u16());
        let message = status.canonical_reason().unwrap_or("error").to_string();
        let body = ApiError::with_status(status, code, message).body();
        let (req, mut res) = res.into_parts();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let res = res.set_body(BoxBody::new(body));
        Ok(ErrorHandlerResponse::Response(
            ServiceResponse::new(req, res).map_into_right_body(),
        ))
    })
}
