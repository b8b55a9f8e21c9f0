//! Reads the bearer token of a request into an [`Identity`], checking revocation and bans.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};

use super::error::ApiError;
use crate::auth::{Identity, TokenError};
use crate::state::AppState;

/// The raw token of a request: `Authorization: Bearer …`, or `?access_token=` (browsers cannot
/// set headers on a WebSocket).
pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    if let Some(value) = req.headers().get(actix_web::http::header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_string());
    }
    web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get("access_token").cloned())
}

/// Checks `token`'s signature and claims (not yet whether it was revoked).
fn verify(state: &AppState, token: Option<String>) -> Result<Identity, ApiError> {
    let token = token.ok_or_else(|| ApiError::unauthorized("a bearer token is required"))?;
    state.tokens.verify(&token).map_err(|e| match e {
        TokenError::Expired => ApiError::unauthorized("the token has expired"),
        TokenError::Invalid(why) => {
            ApiError::unauthorized(format!("the token is not valid ({why})"))
        }
    })
}

/// Verifies `token` fully: signature and claims, then that it was not revoked.
pub async fn authenticate(state: &AppState, token: Option<String>) -> Result<Identity, ApiError> {
    let identity = verify(state, token)?;
    if state.store.is_revoked(&identity.token_key).await? {
        return Err(ApiError::unauthorized("the token was revoked"));
    }
    Ok(identity)
}

/// Verifies `token` for a new connection (`/ws`, the SignalR hub): as [`authenticate`], and
/// the account must not be banned (403 `IM:Banned`). Both checks are one query.
pub async fn authenticate_connection(
    state: &AppState,
    token: Option<String>,
) -> Result<Identity, ApiError> {
    let identity = verify(state, token)?;
    let (revoked, banned) = state
        .store
        .connect_standing(&identity.token_key, identity.tenant_id, identity.user_id)
        .await?;
    if revoked {
        return Err(ApiError::unauthorized("the token was revoked"));
    }
    if banned {
        return Err(ApiError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "IM:Banned",
            "this account is banned",
        ));
    }
    Ok(identity)
}

impl FromRequest for Identity {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Identity, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state = state.ok_or_else(ApiError::unavailable)?;
            authenticate(&state, token).await
        })
    }
}
