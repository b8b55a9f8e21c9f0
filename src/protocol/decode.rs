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
    let envelope = serde_json::from_str::<Envelope>(text).map_err(|e| BadFrame {
        id: frame_id(text),
        detail: format!("The frame is not valid: {e}"),
    })?;
    if has_nul_escape(text.as_bytes()) {
        return Err(BadFrame {
            id: envelope.id,
            detail: NUL_REFUSED.into(),
        });
    }
    Ok(envelope)
}

/// Why a text holding U+0000 is refused.
pub const NUL_REFUSED: &str =
    "The frame is not valid: a string holds U+0000, which cannot be stored";

/// Whether JSON text holds a `\u0000` escape (U+0000 in a string; raw it is not valid JSON).
/// PostgreSQL cannot store that character: a message holding it would fail its whole batch
/// of other people's messages, so it is refused where it comes in.
pub fn has_nul_escape(json: &[u8]) -> bool {
    const ESCAPE: &[u8] = b"\\u0000";
    let mut from = 0;
    while let Some(at) = json[from..]
        .windows(ESCAPE.len())
        .position(|w| w == ESCAPE)
        .map(|p| from + p)
    {
        // `\\u0000` is a backslash and the text "u0000": count the backslashes before it.
        let backslashes = json[..=at]
            .iter()
            .rev()
            .take_while(|b| **b == b'\\')
            .count();
        if backslashes % 2 == 1 {
            return true;
        }
        from = at + 1;
    }
    false
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
    fn a_nul_in_any_string_is_refused_but_its_spelling_is_not() {
        let bad = decode(r#"{"type":"publish","id":"n","topic":"t","data":{"x":"a\u0000"}}"#);
        let bad = bad.unwrap_err();
        assert_eq!(
            (bad.id.as_deref(), bad.detail.as_str()),
            (Some("n"), NUL_REFUSED)
        );
        assert!(decode(r#"{"type":"publish","topic":"t","data":"\\u0000"}"#).is_ok());
        assert!(has_nul_escape(br#"["\\\u0000"]"#));
        assert!(!has_nul_escape(br#"["\u0001", "u0000"]"#));
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
