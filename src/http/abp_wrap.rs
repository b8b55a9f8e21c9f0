//! ABP's result wrapper, on request: a call to `/api/im/*` or `/api/notifications/*` with `_AbpWrapResult: true` gets
//! `{"code":"0","message":"OK","details":null,"result":…}` (errors: `{"code","message",
//! "details"}`, status 200) and the `_AbpWrapResult: true` header, as the LINGYUN host answers.
//! Clients that do not ask (the ABP Vue client accepts both) get the plain result.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::HttpResponse;
use serde_json::{json, Value};

const WRAP: &str = "_abpwrapresult";
const DONT_WRAP: &str = "_abpdontwrapresult";

fn says_true(req: &ServiceRequest, name: &str) -> bool {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Wraps the response of an ABP route when the request asks for it.
pub async fn wrap(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let wanted = (req.path().starts_with("/api/im/")
        || req.path().starts_with("/api/notifications"))
        && says_true(&req, WRAP)
        && !says_true(&req, DONT_WRAP);
    let res = next.call(req).await?;
    if !wanted {
        return Ok(res.map_into_boxed_body());
    }
    let status = res.status();
    let (req, res) = res.into_parts();
    let bytes = actix_web::body::to_bytes(res.into_body())
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.into().to_string()))?;
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let wrapped = if status.is_success() {
        json!({"code": "0", "message": "OK", "details": null, "result": body})
    } else {
        let error = &body["error"];
        json!({"code": error["code"], "message": error["message"], "details": error["details"]})
    };
    let mut out = HttpResponse::build(StatusCode::OK)
        .insert_header((CONTENT_TYPE, "application/json"))
        .body(wrapped.to_string());
    out.headers_mut().insert(
        HeaderName::from_static(WRAP),
        HeaderValue::from_static("true"),
    );
    Ok(ServiceResponse::new(req, out))
}
