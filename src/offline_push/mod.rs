//! The hand-off to mobile push (`docs/PUSH.md`): a recipient of a message or a notification
//! with no session in the foreground becomes a push job. Offers gather per user for
//! `push.debounce_ms`, collapsed per conversation (the latest message, and how many); then
//! users with a foreground session anywhere, without push tokens, or who muted the
//! conversation are dropped, each job gets the user's real unread total as its badge, and the
//! jobs go to `push.webhook_url` (signed, in batches) and/or the Redis stream
//! `<namespace>:push`. Nothing of this runs on a send's path: an offer is a map insert.

mod job;
mod queue;
mod sender;

pub use job::{Job, JobConversation};
pub use queue::PushJobs;
pub use sender::start;

/// A preview carries at most this many characters of the message.
pub const PREVIEW_CHARS: usize = 100;
