//! Hooks for backend services (`docs/HOOKS.md`): the before-send moderation call, its circuit
//! breaker, and the signature every hook call carries.

mod before_send;
mod breaker;
mod signature;

pub use before_send::{BeforeSend, Verdict};
pub use breaker::Breaker;
pub use signature::{sign, SIGNATURE_HEADER, TIMESTAMP_HEADER};
