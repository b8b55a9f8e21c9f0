//! `/api/auth`: register, login, logout (`spec/API.md`, "Accounts").

use actix_web::{get, post, web, HttpResponse};
use chrono::{TimeZone, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::{ApiError, Validator};
use super::sessions::{close_ended, end, grant};
use crate::actors::user::CloseSessions;
use crate::auth::{hash_password, unix_now, verify_password, Identity, Platform, RefreshToken};
use crate::protocol::ServerFrame;
use crate::state::AppState;
use crate::store::{Ending, NewAccount, NewSession, StoreError};

/// The body of register and login.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    /// Letters, digits and `. _ @ -` (register checks this; login any name).
    #[serde(default)]
    #[schema(
        required = true,
        min_length = 3,
        max_length = 64,
        pattern = "^[A-Za-z0-9._@-]{3,64}$"
    )]
    user_name: String,
    #[serde(default)]
    #[schema(
        required = true,
        min_length = 8,
        max_length = 128,
        pattern = "^[^\\u0000]*$"
    )]
    password: String,
    #[serde(default)]
    tenant_id: Option<Uuid>,
}

/// The body of login: the credentials, and which device signs in.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginBody {
    #[serde(flatten)]
    credentials: Credentials,
    /// Stable per install: a new login from it replaces its older session.
    #[serde(default)]
    #[schema(max_length = 64)]
    device_id: Option<String>,
    /// `web` when not given.
    #[serde(default)]
    platform: Option<Platform>,
    /// What the session list shows, e.g. "Anna's iPhone".
    #[serde(default)]
    #[schema(max_length = 64)]
    device_name: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Registered {
    user_id: Uuid,
}

fn valid_user_name(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-'))
}

#[utoipa::path(tag = "accounts", operation_id = "accounts_register", responses((status = 201, description = "created"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/auth/register")]
async fn register(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<Credentials>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    if !state.config.accounts.may_register(body.tenant_id) {
        return Err(ApiError::forbidden(if body.tenant_id.is_some() {
            "this tenant does not take registrations (accounts.registration_tenants)"
        } else {
            "registration is closed (accounts.open_registration)"
        }));
    }
    Validator::default()
        .length(&body.user_name, "userName", 3, 64)
        .check(
            valid_user_name(&body.user_name),
            "userName",
            "`userName` may hold only letters, digits and . _ @ -",
        )
        .length(&body.password, "password", 8, 128)
        .finish()?;
    let address = super::client_addr::client_address(&req, &state.trusted_proxies);
    state
        .quotas
        .register(&address)
        .map_err(|wait| ApiError::rate_limited("too many registrations from this address", wait))?;
    let password = body.password;
    let hash = web::block(move || hash_password(&password))
        .await
        .map_err(|_| ApiError::unavailable())?;
    let account = NewAccount {
        tenant_id: body.tenant_id,
        user_name: body.user_name,
        password_hash: hash,
        roles: vec![],
    };
    match state.store.create_account(account).await {
        Ok(user_id) => Ok(HttpResponse::Created().json(Registered { user_id })),
        Err(StoreError::Conflict) => Err(ApiError::new(
            crate::protocol::Code::UserNameTaken,
            "this user name is taken",
        )),
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(tag = "accounts", operation_id = "accounts_login", responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/auth/login")]
async fn login(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<LoginBody>,
) -> Result<HttpResponse, ApiError> {
    let LoginBody {
        credentials: body,
        device_id,
        platform,
        device_name,
    } = body.into_inner();
    let address = super::client_addr::client_address(&req, &state.trusted_proxies);
    let throttled_name = format!("{:?}:{}", body.tenant_id, body.user_name);
    Validator::default()
        .check(
            !body.user_name.is_empty(),
            "userName",
            "`userName` is required",
        )
        .check(
            !body.password.is_empty(),
            "password",
            "`password` is required",
        )
        .text(device_id.as_deref(), "deviceId", 64)
        .label(device_name.as_deref(), "deviceName", 64)
        .finish()?;
    if let Err(wait) = state.login_throttle.check(&throttled_name, &address) {
        return Err(ApiError::new(
            crate::protocol::Code::TooManyAttempts,
            format!(
                "too many failed logins: try again in {} s",
                wait.as_secs().max(1)
            ),
        ));
    }
    let stored = state
        .store
        .find_credential(body.tenant_id, &body.user_name)
        .await?;
    let hash = stored
        .as_ref()
        .map(|c| c.password_hash.clone())
        .unwrap_or_else(|| crate::auth::dummy_hash().to_string());
    let password = body.password;
    let matches = web::block(move || verify_password(&password, &hash))
        .await
        .map_err(|_| ApiError::unavailable())?;
    let bad = || {
        ApiError::new(
            crate::protocol::Code::BadCredentials,
            "the user name or the password is wrong",
        )
    };
    let credential = match stored {
        Some(c) if matches => c,
        _ => {
            state.login_throttle.failed(&throttled_name, &address);
            return Err(bad());
        }
    };
    state.login_throttle.succeeded(&throttled_name);
    if credential.banned {
        return Err(ApiError::new(
            crate::protocol::Code::Banned,
            "this account is banned",
        ));
    }
    let platform = platform.unwrap_or_default();
    let refresh = RefreshToken::random();
    let new = NewSession {
        tenant_id: credential.tenant_id,
        user_id: credential.user_id,
        platform,
        device_id: device_id.filter(|d| !d.is_empty()),
        device_name: device_name.filter(|d| !d.is_empty()),
        ip: address,
        refresh: refresh.clone(),
        refresh_ttl: chrono::Duration::seconds(state.config.jwt.refresh_ttl_seconds as i64),
    };
    let policy = state.config.auth.multi_login;
    let max = state.config.auth.max_sessions_per_platform as usize;
    let device = new.device_id.clone();
    let (session_id, ended) = state
        .store
        .start_session(new, |live| {
            policy.to_end(max, live, platform, device.as_deref())
        })
        .await?;
    let notice = ServerFrame::Notice {
        kind: "sessionReplaced".into(),
        data: serde_json::json!({ "bySessionId": session_id, "platform": platform }),
    };
    let user = (credential.tenant_id, credential.user_id);
    close_ended(
        &state,
        &user,
        &ended,
        4004,
        "signed in elsewhere",
        Some(&notice),
    );
    let granted = grant(&state, &credential, &session_id, &refresh, unix_now())?;
    Ok(HttpResponse::Ok().json(granted))
}

#[utoipa::path(tag = "accounts", operation_id = "accounts_logout", responses((status = 204, description = "done"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/auth/logout")]
async fn logout(state: web::Data<AppState>, identity: Identity) -> Result<HttpResponse, ApiError> {
    let user = (identity.tenant_id, identity.user_id);
    if let Some(session) = identity.session_id.as_deref() {
        // The whole session ends: its tokens, its refresh token and its sockets.
        end(&state, user, Ending::One(session), "logged out").await?;
        return Ok(HttpResponse::NoContent().finish());
    }
    let expires_at = Utc
        .timestamp_opt(identity.expires_at, 0)
        .single()
        .unwrap_or_else(Utc::now);
    state
        .store
        .revoke_token(&identity.token_key, expires_at)
        .await?;
    // Sockets opened with this token close too, on every pod.
    state.delivery.close_sessions(
        &user,
        CloseSessions::of(&identity.token_key, 4001, "logged out"),
    );
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Me {
    user_id: Uuid,
    user_name: String,
    tenant_id: Option<Uuid>,
    roles: Vec<String>,
    expires_at: i64,
    session_id: Option<String>,
}

/// Who the token says the caller is (not in ABP; handy for clients and scripts).
#[utoipa::path(tag = "accounts", operation_id = "accounts_me", responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[get("/api/auth/me")]
async fn me(identity: Identity) -> HttpResponse {
    HttpResponse::Ok().json(Me {
        user_id: identity.user_id,
        user_name: identity.user_name,
        tenant_id: identity.tenant_id,
        roles: identity.roles,
        expires_at: identity.expires_at,
        session_id: identity.session_id,
    })
}

/// Registers the routes of this file.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(register)
        .service(login)
        .service(logout)
        .service(me);
}
