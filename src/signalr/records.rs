//! The JSON hub protocol's records as they travel: each is a JSON object followed by the
//! record separator 0x1E, and one WebSocket message may hold several. Only framing and shapes
//! live here; what a record means is the hub's business.

use serde::{Deserialize, Serialize};

/// Ends every record, the handshake included.
pub const SEPARATOR: u8 = 0x1e;

/// The client's first record.
#[derive(Debug, Deserialize)]
pub struct HandshakeRequest {
    pub protocol: String,
    pub version: u32,
}

/// What the hub reads from a record before deciding what it is.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Incoming {
    #[serde(rename = "type")]
    pub kind: u8,
    #[serde(default)]
    pub invocation_id: Option<String>,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub arguments: Option<Vec<serde_json::Value>>,
}

/// Record types (`HubProtocol.md`).
pub mod kind {
    pub const INVOCATION: u8 = 1;
    pub const STREAM_ITEM: u8 = 2;
    pub const COMPLETION: u8 = 3;
    pub const STREAM_INVOCATION: u8 = 4;
    pub const CANCEL_INVOCATION: u8 = 5;
    pub const PING: u8 = 6;
    pub const CLOSE: u8 = 7;
    pub const ACK: u8 = 8;
    pub const SEQUENCE: u8 = 9;
}

/// A server→client call. It never carries an `invocationId`: older clients stop on a call
/// that asks for a result.
#[derive(Debug, Serialize)]
pub struct Invocation<'a, A: Serialize> {
    #[serde(rename = "type")]
    pub kind: u8,
    pub target: &'a str,
    pub arguments: A,
}

/// The answer to an invocation: `result` (absent for a method returning nothing) or `error`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Completion<'a> {
    #[serde(rename = "type")]
    pub kind: u8,
    pub invocation_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The server ends the connection; `allowReconnect` lets a client with automatic reconnect
/// come back (a draining pod says so).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Close<'a> {
    #[serde(rename = "type")]
    pub kind: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub allow_reconnect: bool,
}

/// A record's JSON followed by the separator.
pub fn record<T: Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string(value).unwrap_or_default();
    text.push(SEPARATOR as char);
    text
}

/// The keep-alive record.
pub const PING_RECORD: &str = "{\"type\":6}\u{1e}";

/// The handshake's success answer.
pub const HANDSHAKE_OK: &str = "{}\u{1e}";
