//! The ASP.NET Core SignalR endpoint of ABP's `MessagesHub` (`/signalr-hubs/messages`), so
//! existing ABP clients talk to this cluster unchanged. It is one more protocol adapter on the
//! same actors: a hub connection is a session like a native WebSocket, and the two chat with
//! each other, across pods. `../ABP-SIGNALR.md` (shared) describes the contract.

pub mod chat_message;
pub mod connections;
pub mod decode;
pub mod endpoint;
pub mod hub;
pub mod reader;
pub mod records;
pub mod translate;

pub use connections::HubConnections;

/// The route ABP maps `MessagesHub` to.
pub const HUB_PATH: &str = "/signalr-hubs/messages";

/// SignalR's default largest message a server accepts (`HubOptions.MaximumReceiveMessageSize`).
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024;
