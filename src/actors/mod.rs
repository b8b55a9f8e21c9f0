//! The actor system: a session actor per WebSocket, a user actor per online (or just
//! addressed) user, a group actor per active group, and the supervisor that maps ids to their
//! addresses and owns their lifecycle. Each actor's messages are defined beside it.

pub mod commit;
pub mod group;
pub mod handle;
pub mod rate_limit;
pub mod receipt_pace;
pub mod session;
pub mod supervisor;
pub mod token_clock;
pub mod user;

pub use crate::keys::{GroupKey, UserKey};
pub use handle::{ConnectionInfo, SessionHandle};
pub use supervisor::Supervisor;
