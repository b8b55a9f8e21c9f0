//! Reading a client's text frame: the one place the native protocol's bytes from outside become
//! types. Pure and total (it never panics, whatever the text), so it is what the fuzzer drives.

use super::Envelope;

/// A frame that did not decode: the `id` to echo if one could still be read, and why.
#[derive(Debug)]
pub struct BadFrame {
    pub id: Option<String>,
    pub detail: String,
}

/// The frame in `text`, or why it is not one.
pub fn decode(text: &str) -> Result<Envelope, BadFrame> {
    serde_json::from_str::<Envelope>(text).map_err(|e| BadFrame {
        id: frame_id(text),
        detail: format!("The frame is not valid: {e}"),
    })
}

/// The string `id` of a JSON object frame, if it has one: what an error reply echoes when the
/// frame itself is refused.
pub fn frame_id(text: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: Option<String>,
    }
    serde_json::from_str::<IdOnly>(text).ok().and_then(|f| f.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ClientFrame;

    #[test]
    fn a_ping_decodes_with_its_id() {
        let envelope = decode(r#"{"type":"ping","id":"7"}"#).unwrap();
        assert_eq!(envelope.id.as_deref(), Some("7"));
        assert!(matches!(envelope.frame, ClientFrame::Ping));
    }

    #[test]
    fn a_bad_frame_still_echoes_its_id() {
        let bad = decode(r#"{"type":"nope","id":"x1"}"#).unwrap_err();
        assert_eq!(bad.id.as_deref(), Some("x1"));
        assert!(bad.detail.starts_with("The frame is not valid"));
        assert!(decode("not json").unwrap_err().id.is_none());
        assert!(decode(r#"{"id":5}"#).unwrap_err().id.is_none());
    }
}
