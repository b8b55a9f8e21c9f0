//! Passwords: changing one's own (`PUT /api/auth/password`), and the one-time reset an
//! administrator hands out (`POST /api/admin/users/{id}/password-reset`) that the user spends
//! at `POST /api/auth/password/reset`. Either way the account's other sessions end.

use actix_web::{post, put, web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::admin::admin;
use super::error::{ApiError, Validator};
use super::sessions::end;
use crate::auth::{hash_password, same_hash, sha256_hex, verify_password, Identity};
use crate::protocol::Code;
use crate::state::AppState;
use crate::store::Ending;

/// How long a reset code works.
const RESET_CODE_MINUTES: i64 = 60;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct ChangeBody {
    #[serde(default)]
    #[schema(required = true, max_length = 128)]
    current_password: String,
    #[serde(default)]
    #[schema(required = true, min_length = 8, max_length = 128)]
    new_password: String,
}

async fn hash(password: String) -> Result<String, ApiError> {
    web::block(move || hash_password(&password))
        .await
        .map_err(|_| ApiError::unavailable())
}

/// Checks that `given` is the caller's password, before a change that needs it (a new
/// password, deleting the account): wrong answers are throttled like logins.
pub(super) async fn confirm_password(
    req: &HttpRequest,
    state: &AppState,
    me: &Identity,
    given: String,
) -> Result<(), ApiError> {
    let address = super::client_addr::client_address(req, &state.trusted_proxies);
    let throttled = format!("password:{}", me.user_id);
    if let Err(wait) = state.login_throttle.check(&throttled, &address) {
        return Err(ApiError::rate_limited("too many wrong passwords", wait));
    }
    let Some(credential) = state.store.credential_of(me.tenant_id, me.user_id).await? else {
        return Err(ApiError::not_found("this user has no password here"));
    };
    let stored = credential.password_hash;
    let matches = web::block(move || verify_password(&given, &stored))
        .await
        .map_err(|_| ApiError::unavailable())?;
    if !matches {
        state.login_throttle.failed(&throttled, &address);
        return Err(ApiError::new(Code::BadCredentials, "the password is wrong"));
    }
    Ok(())
}

#[utoipa::path(tag = "accounts", operation_id = "accounts_change_password", responses((status = 204, description = "changed; every other session ended"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[put("/api/auth/password")]
async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: Identity,
    body: web::Json<ChangeBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    Validator::default()
        .length(&body.new_password, "newPassword", 8, 128)
        .finish()?;
    confirm_password(&req, &state, &me, body.current_password).await?;
    let new_hash = hash(body.new_password).await?;
    state
        .store
        .set_password(me.tenant_id, me.user_id, new_hash)
        .await?;
    let which = match me.session_id.as_deref() {
        Some(current) => Ending::AllBut(current),
        None => Ending::All,
    };
    end(
        &state,
        (me.tenant_id, me.user_id),
        which,
        "password changed",
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResetCode {
    code: String,
    expires_at: chrono::DateTime<Utc>,
}

#[utoipa::path(tag = "admin", operation_id = "admin_password_reset", params(("user_id" = Uuid, Path, description = "the user")), responses((status = 201, description = "a one-time code for the user, good for an hour"), (status = "4XX", description = "the error body with its code")))]
#[post("/api/admin/users/{user_id}/password-reset")]
async fn make_reset_code(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let a = admin(&req, &state).await?;
    let user = path.into_inner();
    if state
        .store
        .credential_of(a.tenant_id, user)
        .await?
        .is_none()
    {
        return Err(ApiError::not_found("no such user account"));
    }
    let code = crate::auth::RefreshToken::random().to_string();
    let code: String = code.split('.').nth(1).unwrap_or_default().to_string();
    let expires_at = Utc::now() + chrono::Duration::minutes(RESET_CODE_MINUTES);
    state
        .store
        .put_reset_code(a.tenant_id, user, sha256_hex(&code), expires_at)
        .await?;
    tracing::info!(admin = %a.who, user = %user, "admin: password reset code made");
    Ok(HttpResponse::Created().json(ResetCode { code, expires_at }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct ResetBody {
    #[serde(default)]
    #[schema(required = true, max_length = 64)]
    user_name: String,
    #[serde(default)]
    tenant_id: Option<Uuid>,
    #[serde(default)]
    #[schema(required = true, max_length = 128)]
    code: String,
    #[serde(default)]
    #[schema(required = true, min_length = 8, max_length = 128)]
    new_password: String,
}

#[utoipa::path(tag = "accounts", operation_id = "accounts_reset_password", responses((status = 204, description = "the password is set; every session ended"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/auth/password/reset")]
async fn reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<ResetBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    Validator::default()
        .length(&body.new_password, "newPassword", 8, 128)
        .finish()?;
    let address = super::client_addr::client_address(&req, &state.trusted_proxies);
    let throttled = format!("reset:{:?}:{}", body.tenant_id, body.user_name);
    if let Err(wait) = state.login_throttle.check(&throttled, &address) {
        return Err(ApiError::new(
            Code::TooManyAttempts,
            format!(
                "too many failed resets: try again in {} s",
                wait.as_secs().max(1)
            ),
        ));
    }
    // An unknown name and a wrong code get the same answer.
    let refused = || {
        state.login_throttle.failed(&throttled, &address);
        ApiError::new(Code::BadCredentials, "the user name or the code is wrong")
    };
    let Some(credential) = state
        .store
        .find_credential(body.tenant_id, &body.user_name)
        .await?
    else {
        return Err(refused());
    };
    let given = sha256_hex(&body.code);
    let spent = state
        .store
        .spend_reset_code(credential.tenant_id, credential.user_id, |stored| {
            same_hash(&given, stored)
        })
        .await?;
    if !spent {
        return Err(refused());
    }
    let new_hash = hash(body.new_password).await?;
    state
        .store
        .set_password(credential.tenant_id, credential.user_id, new_hash)
        .await?;
    let user = (credential.tenant_id, credential.user_id);
    end(&state, user, Ending::All, "password reset").await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Registers the routes of this file.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(change).service(make_reset_code).service(reset);
}
