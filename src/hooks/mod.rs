//! Hooks for backend services (`docs/HOOKS.md`): the before-send moderation call and its
//! circuit breaker, the after-event webhooks fed from the outbox, and the signature every hook
//! call carries.

mod before_send;
mod breaker;
pub(crate) mod call;
pub mod events;
mod signature;

pub use before_send::{BeforeSend, Verdict};
pub use breaker::Breaker;
pub use signature::{sign, SIGNATURE_HEADER, TIMESTAMP_HEADER};
