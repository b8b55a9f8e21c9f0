//! How actors reach a session without waiting on it: a bounded mailbox and an overflow flag.
//! A session whose client does not read fills its mailbox; the next push marks it overflowed
//! and the session closes itself with 4008 (its messages wait in the database for `sync`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix::prelude::*;
use bytestring::ByteString;

use super::session::{Push, Session};

/// Where a connection comes from, kept for operators.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionInfo {
    pub since: chrono::DateTime<chrono::Utc>,
    pub remote_addr: String,
    pub user_agent: String,
}

/// A session as other actors see it.
#[derive(Clone)]
pub struct SessionHandle {
    pub connection_id: Arc<str>,
    pub tenant_id: Option<uuid::Uuid>,
    pub user_id: uuid::Uuid,
    /// The key of the token the session was opened with (logout closes it).
    pub token_key: Arc<str>,
    /// When and from where the session was opened (the admin console shows it).
    pub info: Arc<ConnectionInfo>,
    pub addr: Addr<Session>,
    pub overflowed: Arc<AtomicBool>,
}

impl SessionHandle {
    /// Queues a frame (already serialized: the same bytes go to every recipient). Returns false
    /// when the session is gone or too slow; a slow one is marked to close.
    pub fn push(&self, text: ByteString) -> bool {
        match self.addr.try_send(Push(text)) {
            Ok(()) => true,
            Err(SendError::Full(_)) => {
                // Wake it once, past the full mailbox, so it can close; later pushes only fail.
                if !self.overflowed.swap(true, Ordering::AcqRel) {
                    self.addr.do_send(Push(ByteString::new()));
                }
                false
            }
            Err(SendError::Closed(_)) => false,
        }
    }

    /// Whether a push found this session's queue full.
    pub fn is_overflowed(&self) -> bool {
        self.overflowed.load(Ordering::Acquire)
    }
}
