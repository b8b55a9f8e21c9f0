//! Connections a negotiate call announced and the WebSocket that took each. A token is good
//! for one WebSocket, for the user who negotiated it, and for a minute if never used.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::keys::UserKey;

/// How long a negotiated connection waits for its WebSocket.
const UNUSED_TTL: Duration = Duration::from_secs(60);

/// The pod's negotiated hub connections, by connection token.
#[derive(Default)]
pub struct HubConnections {
    entries: Mutex<HashMap<String, Entry>>,
}

struct Entry {
    user: UserKey,
    connection_id: String,
    /// When it was negotiated; `None` once a WebSocket took it.
    waiting_since: Option<Instant>,
}

/// Why a WebSocket cannot take a connection token (SignalR answers 404 and 409).
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    Unknown,
    Taken,
}

impl HubConnections {
    /// Announces a connection for `user`; returns its (secret) token and (public) id. With
    /// negotiate version 0 the id is the token.
    pub fn negotiate(&self, user: UserKey, version: u32) -> (String, String) {
        let connection_id = random(22);
        let token = if version == 0 {
            connection_id.clone()
        } else {
            random(32)
        };
        let mut entries = self.entries.lock();
        entries.retain(|_, e| e.waiting_since.is_none_or(|t| t.elapsed() < UNUSED_TTL));
        entries.insert(
            token.clone(),
            Entry {
                user,
                connection_id: connection_id.clone(),
                waiting_since: Some(Instant::now()),
            },
        );
        (token, connection_id)
    }

    /// Gives the WebSocket of `user` the connection `token` names; returns its public id.
    pub fn claim(&self, token: &str, user: UserKey) -> Result<String, Claim> {
        let mut entries = self.entries.lock();
        let entry = entries.get_mut(token).ok_or(Claim::Unknown)?;
        if entry.user != user {
            return Err(Claim::Unknown);
        }
        match entry.waiting_since {
            Some(t) if t.elapsed() < UNUSED_TTL => {
                entry.waiting_since = None;
                Ok(entry.connection_id.clone())
            }
            Some(_) => Err(Claim::Unknown),
            None => Err(Claim::Taken),
        }
    }

    /// Forgets a connection whose WebSocket closed.
    pub fn release(&self, token: &str) {
        self.entries.lock().remove(token);
    }
}

/// A random URL-safe identifier of `len` characters.
fn random(len: usize) -> String {
    use rand::distributions::{Alphanumeric, DistString};
    Alphanumeric.sample_string(&mut rand::thread_rng(), len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_good_for_one_websocket_of_its_user() {
        let connections = HubConnections::default();
        let alice = (None, uuid::Uuid::new_v4());
        let bob = (None, uuid::Uuid::new_v4());
        let (token, id) = connections.negotiate(alice, 1);
        assert_ne!(token, id);
        assert_eq!(connections.claim(&token, bob), Err(Claim::Unknown));
        assert_eq!(connections.claim(&token, alice), Ok(id));
        assert_eq!(connections.claim(&token, alice), Err(Claim::Taken));
        connections.release(&token);
        assert_eq!(connections.claim(&token, alice), Err(Claim::Unknown));
        let (token, id) = connections.negotiate(alice, 0);
        assert_eq!(token, id);
    }
}
