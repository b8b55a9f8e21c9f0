//! Refuses U+0000 anywhere a client can put it in an HTTP request: a `%00` in an API path or
//! query, or a `\u0000` escape in a JSON body. PostgreSQL cannot store the character, so a
//! request holding it would otherwise fail in the database and answer 503 instead of the 400
//! the client earned (and a message holding it would fail its whole batch).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::BytesMut;
use actix_web::HttpMessage;
use futures_util::StreamExt;

use super::error::ApiError;

/// Bodies longer than this are left to the JSON extractor, which refuses them (413).
const LIMIT: usize = 1024 * 1024;

/// The middleware (`actix_web::middleware::from_fn(refuse_nul)`).
pub async fn refuse_nul(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let refused = |req: ServiceRequest, where_: &str| {
        let error = ApiError::bad_request(format!("{where_} holds U+0000, which cannot be stored"));
        Ok(req.error_response(error).map_into_right_body())
    };
    // Only the API's paths and queries reach the database (`/health`, the socket and the hub
    // do not, and keep their documented answers).
    if req.path().starts_with("/api/") && req.uri().to_string().to_ascii_lowercase().contains("%00")
    {
        return refused(req, "the URL");
    }
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
    if json {
        let mut payload = req.take_payload();
        let mut body = BytesMut::new();
        while let Some(chunk) = payload.next().await {
            body.extend_from_slice(&chunk?);
            if body.len() > LIMIT {
                break;
            }
        }
        if crate::protocol::has_nul_escape(&body) {
            return refused(req, "the body");
        }
        // The handler reads what was read, then whatever was not (a body over the limit).
        let head = futures_util::stream::once(async move { Ok(body.freeze()) });
        req.set_payload(Payload::Stream {
            payload: Box::pin(head.chain(payload)),
        });
    }
    Ok(next.call(req).await?.map_into_left_body())
}
