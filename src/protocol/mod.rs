//! The native WebSocket protocol (`spec/PROTOCOL.md`): frames as types, and the error codes.
//! No logic lives here; the session decodes into these types and the actors answer with them.

mod client;
mod codes;
mod ids;
mod message;
mod server;

pub use client::{ClientFrame, Envelope, SendFrame, Target};
pub use codes::Code;
pub use ids::Id;
pub use message::{rfc3339, Message};
pub use server::ServerFrame;
