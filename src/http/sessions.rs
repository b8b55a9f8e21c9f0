//! `/api/auth/refresh` and `/api/auth/sessions`: exchanging a refresh token, and a user's list
//! of signed-in devices, each of which they may end (`docs/API.md`, "Sessions and devices").

use std::collections::HashSet;

use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::ApiError;
use crate::actors::user::CloseSessions;
use crate::auth::{unix_now, Grant, Identity, Platform, RefreshToken};
use crate::keys::UserKey;
use crate::protocol::{Code, ServerFrame};
use crate::state::AppState;
use crate::store::{Ending, Exchange, SessionInfo, StoredCredential};

/// How long a refresh token already exchanged still gets the same answer (a lost response).
pub const RETRY_WINDOW_SECONDS: i64 = 30;

/// What login and refresh answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Granted {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    refresh_token: String,
    session_id: String,
    user_id: Uuid,
}

/// Signs the access token of `session` that goes with `refresh` (the same inputs sign the same
/// token), refusing one whose expiry has already passed.
pub fn grant(
    state: &AppState,
    who: &StoredCredential,
    session_id: &str,
    refresh: &RefreshToken,
    issued_at: i64,
) -> Result<Granted, ApiError> {
    let (access_token, exp) = state.tokens.issue_in_session(Grant {
        user_id: who.user_id,
        tenant_id: who.tenant_id,
        user_name: &who.user_name,
        roles: &who.roles,
        session_id,
        issued_at,
        jti: refresh.access_jti(state.tokens.refresh_key()),
    });
    let expires_in = exp - unix_now();
    if expires_in <= 0 {
        return Err(ApiError::unauthorized(
            "the token this refresh would issue has already expired: sign in again",
        ));
    }
    Ok(Granted {
        access_token,
        token_type: "Bearer",
        expires_in,
        refresh_token: refresh.to_string(),
        session_id: session_id.to_string(),
        user_id: who.user_id,
    })
}

/// Closes the sockets of ended sessions on every pod, telling each `notice` first.
pub fn close_ended(
    state: &AppState,
    user: &UserKey,
    ended: &[SessionInfo],
    code: u16,
    reason: &str,
    notice: Option<&ServerFrame>,
) {
    let notice = notice.map(ServerFrame::to_text);
    for session in ended {
        let mut close = CloseSessions::of(&session.id, code, reason);
        if let Some(text) = &notice {
            close = close.telling(text.to_string());
        }
        state.delivery.close_sessions(user, close);
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct RefreshBody {
    #[serde(default)]
    #[schema(required = true, max_length = 128)]
    refresh_token: String,
}

#[utoipa::path(tag = "accounts", operation_id = "accounts_refresh", responses((status = 200, description = "new tokens; the one presented is spent"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/auth/refresh")]
async fn exchange(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<RefreshBody>,
) -> Result<HttpResponse, ApiError> {
    let address = super::client_addr::client_address(&req, &state.trusted_proxies);
    let throttled = format!("refresh:{address}");
    if let Err(wait) = state.login_throttle.check(&throttled, &address) {
        return Err(ApiError::new(
            Code::TooManyAttempts,
            format!(
                "too many failed refreshes: try again in {} s",
                wait.as_secs().max(1)
            ),
        ));
    }
    let refused = || {
        state.login_throttle.failed(&throttled, &address);
        ApiError::unauthorized("the refresh token is not valid or has expired")
    };
    let Some(presented) = RefreshToken::parse(&body.refresh_token) else {
        return Err(refused());
    };
    let next = presented.next(state.tokens.refresh_key());
    let ttl = chrono::Duration::seconds(state.config.jwt.refresh_ttl_seconds as i64);
    let retry = chrono::Duration::seconds(RETRY_WINDOW_SECONDS);
    let exchange = state
        .store
        .exchange_refresh(&presented, &next, &address, retry, ttl)
        .await?;
    let (session, issued_at) = match exchange {
        Exchange::Rotated { session, issued_at } | Exchange::Repeated { session, issued_at } => {
            (session, issued_at)
        }
        Exchange::Reused { session } => {
            tracing::warn!(session = %session.id, user = %session.user_id, "a spent refresh token was presented again: session ended");
            let user = (session.tenant_id, session.user_id);
            close_ended(&state, &user, &[session], 4001, "token reused", None);
            return Err(ApiError::unauthorized(
                "this refresh token was already used: the session is ended, sign in again",
            ));
        }
        Exchange::Refused => return Err(refused()),
    };
    let who = match state
        .store
        .credential_of(session.tenant_id, session.user_id)
        .await?
    {
        Some(who) if who.banned => {
            return Err(ApiError::new(Code::Banned, "this account is banned"))
        }
        Some(who) => who,
        None => return Err(refused()),
    };
    let granted = grant(&state, &who, &session.id, &next, issued_at.timestamp())?;
    Ok(HttpResponse::Ok().json(granted))
}

/// A session as its owner sees it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    id: String,
    platform: Platform,
    device_name: Option<String>,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    last_ip: String,
    online: bool,
    current: bool,
}

/// The user's sessions, marked online when a socket of theirs is open on any pod.
pub async fn session_views(
    state: &AppState,
    user: UserKey,
    current: Option<&str>,
) -> Result<Vec<SessionView>, ApiError> {
    let sessions = state.store.sessions(user.0, user.1).await?;
    let mut online: HashSet<String> = state
        .delivery
        .supervisor
        .connections()
        .iter()
        .filter(|s| (s.tenant_id, s.user_id) == user)
        .filter_map(|s| s.session_id.as_deref().map(str::to_string))
        .collect();
    if !sessions.is_empty() {
        online.extend(
            state
                .delivery
                .bus
                .remote_connections(user)
                .await
                .iter()
                .filter_map(|r| r["sessionId"].as_str().map(str::to_string)),
        );
    }
    Ok(sessions
        .into_iter()
        .map(|s| SessionView {
            online: online.contains(&s.id),
            current: current == Some(s.id.as_str()),
            id: s.id,
            platform: s.platform,
            device_name: s.device_name,
            created_at: s.created,
            last_seen_at: s.last_seen,
            last_ip: s.last_ip,
        })
        .collect())
}

#[utoipa::path(tag = "accounts", operation_id = "accounts_sessions", responses((status = 200, description = "the caller's sessions, newest first"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[get("/api/auth/sessions")]
async fn list(state: web::Data<AppState>, me: Identity) -> Result<HttpResponse, ApiError> {
    let items = session_views(&state, (me.tenant_id, me.user_id), me.session_id.as_deref()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// Ends sessions of `user` and closes their sockets everywhere; how many ended.
pub async fn end(
    state: &AppState,
    user: UserKey,
    which: Ending<'_>,
    reason: &str,
) -> Result<usize, ApiError> {
    let ended = state.store.end_sessions(user.0, user.1, which).await?;
    close_ended(state, &user, &ended, 4001, reason, None);
    Ok(ended.len())
}

#[utoipa::path(tag = "accounts", operation_id = "accounts_end_session", params(("session_id" = String, Path, description = "the session id")), responses((status = 204, description = "ended: its tokens stop working and its sockets close"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[delete("/api/auth/sessions/{session_id}")]
async fn end_one(
    state: web::Data<AppState>,
    me: Identity,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = (me.tenant_id, me.user_id);
    match end(&state, user, Ending::One(&path), "session ended").await? {
        0 => Err(ApiError::not_found("no such session")),
        _ => Ok(HttpResponse::NoContent().finish()),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
struct ScopeQuery {
    /// `others`: every session but the caller's.
    #[serde(default)]
    scope: String,
}

#[utoipa::path(tag = "accounts", operation_id = "accounts_end_sessions", params(ScopeQuery), responses((status = 200, description = "how many sessions ended"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[delete("/api/auth/sessions")]
async fn end_others(
    state: web::Data<AppState>,
    me: Identity,
    query: web::Query<ScopeQuery>,
) -> Result<HttpResponse, ApiError> {
    if query.scope != "others" {
        return Err(ApiError::bad_request("`scope` must be `others`"));
    }
    let user = (me.tenant_id, me.user_id);
    let which = match me.session_id.as_deref() {
        Some(current) => Ending::AllBut(current),
        None => Ending::All,
    };
    let ended = end(&state, user, which, "session ended").await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "ended": ended })))
}

/// Registers the routes of this file.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(exchange)
        .service(list)
        .service(end_one)
        .service(end_others);
}
