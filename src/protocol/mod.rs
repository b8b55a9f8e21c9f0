//! The native WebSocket protocol (`spec/PROTOCOL.md`): frames as types, and the error codes.
//! No logic lives here beyond `decode`, which turns a client's text into these types; the actors
//! answer with them.

mod client;
mod codes;
mod decode;
mod ids;
mod message;
mod notification;
mod server;

pub use client::{ClientFrame, EditBody, Envelope, ForwardFrame, ReactBody, SendFrame, Target};
pub use codes::Code;
pub use decode::{decode, frame_id, has_nul_escape, BadFrame, NUL_REFUSED};
pub use ids::Id;
pub use message::{rfc3339, ForwardedFrom, MentionList, Message, Reaction, ReplyPreview};
pub use notification::Notification;
pub use server::ServerFrame;
