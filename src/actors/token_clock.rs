//! When a socket's token runs out. The client hears `tokenExpiring` shortly before, and the
//! socket closes with 4001 only a grace period after the expiry, unless a `refresh` moved it:
//! a client that refreshes a little late keeps its socket and misses nothing.

use std::time::Duration;

use actix::prelude::*;

use crate::auth::unix_now;
use crate::protocol::ServerFrame;

/// How long before the expiry the client is told (half the token's remaining life when that
/// is shorter, so a short-lived token is not reported expiring the moment it is taken).
pub const WARN_BEFORE_SECONDS: i64 = 30;
/// How long past the expiry the socket stays open without a refresh.
pub const GRACE_SECONDS: i64 = 30;

/// The two timers of one socket's token.
#[derive(Default)]
pub struct TokenClock {
    warn: Option<SpawnHandle>,
    end: Option<SpawnHandle>,
}

impl TokenClock {
    /// (Re)starts the timers for a token expiring at `expires_at` (Unix seconds): `warn` runs
    /// `WARN_BEFORE_SECONDS` before it (or half-way for a shorter-lived token), `end`
    /// `GRACE_SECONDS` after it.
    pub fn set<A>(
        &mut self,
        ctx: &mut A::Context,
        expires_at: i64,
        warn: fn(&mut A, &mut A::Context),
        end: fn(&mut A, &mut A::Context),
    ) where
        A: Actor,
        A::Context: AsyncContext<A>,
    {
        for handle in [self.warn.take(), self.end.take()].into_iter().flatten() {
            ctx.cancel_future(handle);
        }
        let now = unix_now();
        let from_now = |at: i64| Duration::from_secs(at.saturating_sub(now).max(0) as u64);
        let left = (expires_at - now).max(0);
        let warn_at = expires_at - WARN_BEFORE_SECONDS.min(left / 2);
        self.warn = Some(ctx.run_later(from_now(warn_at), warn));
        self.end = Some(ctx.run_later(from_now(expires_at + GRACE_SECONDS), end));
    }
}

/// The notice a client gets before its token expires.
pub fn expiring_notice(expires_at: i64) -> ServerFrame {
    ServerFrame::Notice {
        kind: "tokenExpiring".into(),
        data: serde_json::json!({ "expiresIn": (expires_at - unix_now()).max(0) }),
    }
}
