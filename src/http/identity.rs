//! Reads the bearer token of a request into an [`Identity`], checking revocation and bans.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};

use super::error::ApiError;
use crate::auth::{Identity, TokenError};
use crate::state::AppState;

/// The raw token of an HTTP request: `Authorization: Bearer …` only. A token in the URL ends
/// up in proxy logs and browser history, so ordinary routes do not read one there.
pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(actix_web::http::header::AUTHORIZATION)?;
    let (scheme, token) = value.to_str().ok()?.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// The raw token of a connection (`/ws`, the SignalR hub and its negotiate): the bearer header,
/// or `?access_token=`, since browsers cannot set headers on a WebSocket.
pub fn connection_token(req: &HttpRequest) -> Option<String> {
    if req
        .headers()
        .contains_key(actix_web::http::header::AUTHORIZATION)
    {
        return bearer_token(req);
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

/// Verifies `token` fully: signature and claims, that it was not revoked and that its account
/// is not banned (403 `IM:Banned`): a ban stops every token of the user on every route at
/// once. Both checks are one query, the round trip revocation alone used to take.
pub async fn authenticate(state: &AppState, token: Option<String>) -> Result<Identity, ApiError> {
    let identity = verify(state, token)?;
    let (revoked, banned) = state
        .store
        .connect_standing(
            &identity.token_key,
            identity.session_id.as_deref(),
            identity.tenant_id,
            identity.user_id,
        )
        .await?;
    if revoked {
        return Err(ApiError::unauthorized("the token was revoked"));
    }
    if banned {
        return Err(ApiError::new(
            crate::protocol::Code::Banned,
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

/// Checks a token that is to replace `current` on an open socket: it must verify fully, name
/// the same user and session (an external issuer's token: the same subject), and expire later
/// than now. A token whose expiry has already passed is refused, never accepted.
pub async fn reauthenticate(
    state: &AppState,
    current: &Identity,
    token: String,
) -> Result<Identity, ApiError> {
    let fresh = authenticate(state, Some(token)).await?;
    if (fresh.tenant_id, fresh.user_id) != (current.tenant_id, current.user_id)
        || fresh.session_id != current.session_id
    {
        return Err(ApiError::new(
            crate::protocol::Code::Forbidden,
            "the new token must belong to the same user and session",
        ));
    }
    if fresh.expires_at <= crate::auth::unix_now() {
        return Err(ApiError::unauthorized("the token has expired"));
    }
    Ok(fresh)
}
