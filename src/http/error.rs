//! The one error body every failed request gets (`spec/API.md`, "Conventions"): ABP's shape,
//! with a stable `code`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::protocol::Code;
use crate::store::StoreError;

/// A failed request: the status, a stable code, a message for people, and for 400 the fields
/// at fault.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: Code,
    pub message: String,
    pub validation: Vec<FieldError>,
}

/// One invalid field, as ABP reports it.
#[derive(Debug, Clone, Serialize)]
pub struct FieldError {
    pub message: String,
    pub members: Vec<String>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    details: Option<String>,
    validation_errors: Option<&'a [FieldError]>,
}

impl ApiError {
    /// `code` with its own status, and a message for people.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        let status =
            StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self::with_status(status, code, message)
    }

    /// `code` under a status of its own (an error actix answered before any handler ran).
    pub fn with_status(status: StatusCode, code: Code, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            validation: vec![],
        }
    }

    /// 400 with the fields at fault.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let message = errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: Code::Validation,
            message,
            validation: errors,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(Code::BadRequest, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(Code::Unauthorized, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(Code::Forbidden, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Code::NotFound, message)
    }

    /// 429 `IM:RateLimited`: past a per-user or per-address limit; try again after `wait`.
    pub fn rate_limited(what: &str, wait: std::time::Duration) -> Self {
        Self::new(
            Code::RateLimited,
            format!("{what}: try again in {} s", wait.as_secs().max(1)),
        )
    }

    /// Counts one creation by `me` (a group, a friend or join request) against
    /// `limits.creations_per_minute`.
    pub fn check_creation(
        state: &crate::state::AppState,
        me: &crate::auth::Identity,
    ) -> Result<(), Self> {
        state
            .quotas
            .create(me.tenant_id, me.user_id)
            .map_err(|wait| Self::rate_limited("too many groups and requests a minute", wait))
    }

    pub fn unavailable() -> Self {
        Self::new(
            Code::Unavailable,
            "storage is unavailable; nothing was stored, try again",
        )
    }

    /// The JSON body for this error.
    pub fn body(&self) -> String {
        let body = Body {
            error: Inner {
                code: self.code.as_str(),
                message: &self.message,
                details: None,
                validation_errors: (self.status == StatusCode::BAD_REQUEST
                    && !self.validation.is_empty())
                .then_some(self.validation.as_slice()),
            },
        };
        serde_json::to_string(&body).unwrap_or_default()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code.as_str(),
            self.message
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status)
            .content_type("application/json")
            .body(self.body())
    }
}

impl From<Code> for ApiError {
    /// A code as a route answers it: its status, its code and its text.
    fn from(code: Code) -> Self {
        Self::new(code, code.message())
    }
}

impl From<crate::requests::Invalid> for ApiError {
    /// A request refused before it started, as HTTP answers it: 400 naming the field.
    fn from(invalid: crate::requests::Invalid) -> Self {
        Self::validation(vec![FieldError {
            message: invalid.detail,
            members: vec![invalid.field.to_string()],
        }])
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict => Self::new(Code::Conflict, "it already exists"),
            StoreError::Refused(detail) => {
                tracing::error!(%detail, "the database refused a value that passed validation");
                Self::unavailable()
            }
            StoreError::Unavailable(detail) => {
                tracing::warn!(%detail, "storage unavailable");
                Self::unavailable()
            }
        }
    }
}

/// Collects field errors while validating a request body.
#[derive(Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    /// Records `message` against `field` unless `ok`.
    pub fn check(&mut self, ok: bool, field: &str, message: impl Into<String>) -> &mut Self {
        if !ok {
            self.errors.push(FieldError {
                message: message.into(),
                members: vec![field.to_string()],
            });
        }
        self
    }

    /// Checks that `value` has between `min` and `max` characters.
    pub fn length(&mut self, value: &str, field: &str, min: usize, max: usize) -> &mut Self {
        let n = value.chars().count();
        self.check(
            (min..=max).contains(&n),
            field,
            format!("`{field}` must have {min} to {max} characters"),
        )
    }

    /// Checks that an optional free text has at most `max` characters (its column's length).
    pub fn text(&mut self, value: Option<&str>, field: &str, max: usize) -> &mut Self {
        let n = value.map_or(0, |v| v.chars().count());
        self.check(
            n <= max,
            field,
            format!("`{field}` may have at most {max} characters"),
        )
    }

    /// Checks an optional name people read (nickname, group name, remark): when given, 1 to
    /// `max` characters, not blank, with no control, bidi-override or zero-width characters.
    pub fn name(&mut self, value: Option<&str>, field: &str, max: usize) -> &mut Self {
        let Some(value) = value else { return self };
        self.length(value, field, 1, max)
            .check(
                !value.trim().is_empty(),
                field,
                format!("`{field}` may not be blank"),
            )
            .check(
                !value.chars().any(crate::chat::input::is_hidden_or_control),
                field,
                format!("`{field}` may not hold control, bidi-override or zero-width characters"),
            )
    }

    /// Checks an optional label people read that may be cleared (a nickname, a remark): as
    /// [`Validator::name`], but empty is allowed.
    pub fn label(&mut self, value: Option<&str>, field: &str, max: usize) -> &mut Self {
        match value {
            Some("") | None => self,
            some => self.name(some, field, max),
        }
    }

    /// Checks an optional URL a page will load: at most `max` characters, `http(s)` only.
    pub fn http_url(&mut self, value: Option<&str>, field: &str, max: usize) -> &mut Self {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            return self;
        };
        self.text(Some(value), field, max).check(
            crate::chat::input::is_http_url(value),
            field,
            format!("`{field}` must be an http or https URL"),
        )
    }

    /// `Ok` if nothing failed, else the 400 error listing every failure.
    pub fn finish(&mut self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(std::mem::take(&mut self.errors)))
        }
    }
}
