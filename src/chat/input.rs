//! What a client may put in a message: the checks every protocol (WebSocket, SignalR, HTTP)
//! applies to a send before it reaches an actor, so the same input gets the same answer
//! whichever way it came in.

use serde_json::{Map, Value};

use crate::protocol::Code;
use crate::store::SERVER_KEYS;

/// The longest content (the `Content` column).
pub const MAX_CONTENT_CHARS: usize = 1_048_576;
/// The deepest nesting `extra` may have: every client decodes it, some with a recursion limit
/// (serde's 128 levels, counted from the frame that wraps it).
pub const MAX_EXTRA_DEPTH: usize = 16;
/// The most bytes `extra` may take as JSON.
pub const MAX_EXTRA_BYTES: usize = 16 * 1024;
/// The longest `clientMsgId` (the `ClientMsgId` column).
pub const MAX_CLIENT_MSG_ID: usize = 64;

/// Why a send was refused before it reached an actor: the field at fault and the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: &'static str,
    pub code: Code,
    pub detail: String,
}

impl Invalid {
    pub fn bad(field: &'static str, detail: impl Into<String>) -> Invalid {
        Invalid {
            field,
            code: Code::BadFrame,
            detail: detail.into(),
        }
    }
}

/// Checks a send's content, idempotency key and `extra`.
pub fn check_send(
    content: &str,
    client_msg_id: Option<&str>,
    extra: &Map<String, Value>,
) -> Result<(), Invalid> {
    if content.is_empty() {
        return Err(Invalid {
            field: "content",
            code: Code::MessageIncomplete,
            detail: "`content` is required".into(),
        });
    }
    // Bytes bound characters from above: most contents are counted without a walk.
    if content.len() > MAX_CONTENT_CHARS && content.chars().count() > MAX_CONTENT_CHARS {
        return Err(Invalid::bad(
            "content",
            format!("`content` may have at most {MAX_CONTENT_CHARS} characters"),
        ));
    }
    if client_msg_id.is_some_and(|k| k.is_empty() || k.len() > MAX_CLIENT_MSG_ID) {
        return Err(Invalid::bad(
            "clientMsgId",
            format!("`clientMsgId` must have 1 to {MAX_CLIENT_MSG_ID} characters"),
        ));
    }
    check_extra(extra)
}

/// Checks `extra`'s depth and size.
pub fn check_extra(extra: &Map<String, Value>) -> Result<(), Invalid> {
    if extra.is_empty() {
        return Ok(());
    }
    if extra.values().any(|v| depth(v) >= MAX_EXTRA_DEPTH) {
        return Err(Invalid::bad(
            "extra",
            format!("`extra` may nest at most {MAX_EXTRA_DEPTH} levels"),
        ));
    }
    let bytes = serde_json::to_vec(extra).map(|b| b.len()).unwrap_or(0);
    if bytes > MAX_EXTRA_BYTES {
        return Err(Invalid::bad(
            "extra",
            format!("`extra` may take at most {MAX_EXTRA_BYTES} bytes as JSON"),
        ));
    }
    Ok(())
}

/// Removes the keys the server interprets from a client's `extra` (any letter case): a
/// client's value for one would be believed (an anonymous message in a group that forbids
/// them, another send's idempotency key, an edit that never happened).
pub fn strip_server_keys(extra: &mut Map<String, Value>) {
    extra.retain(|k, _| !SERVER_KEYS.iter().any(|s| s.eq_ignore_ascii_case(k)));
}

/// Whether `c` may not stand in a name people read (a nickname, a group name, a remark):
/// control characters, bidirectional overrides and isolates (which make a name read as
/// another), and zero-width characters (which make two names look alike).
pub fn is_hidden_or_control(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}'   // zero-width space, joiners, LRM, RLM
            | '\u{202A}'..='\u{202E}' // embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // isolates
            | '\u{061C}'              // Arabic letter mark
            | '\u{FEFF}'              // zero-width no-break space
        )
}

/// Whether `url` is an absolute `http` or `https` URL: the only kind a page may turn into a
/// link or an image (`javascript:` and `data:` URLs run or carry script).
pub fn is_http_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && lower.len() > "https://".len()
        && !url.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// How deeply `value` nests (a scalar is 0), without recursion: a hostile value cannot
/// exhaust the stack here.
fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((v, d)) = stack.pop() {
        deepest = deepest.max(d);
        match v {
            Value::Array(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
            Value::Object(map) => stack.extend(map.values().map(|i| (i, d + 1))),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn extra(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    fn nested(levels: usize) -> Value {
        (0..levels).fold(json!(1), |inner, _| json!([inner]))
    }

    #[test]
    fn content_and_keys() {
        let none = Map::new();
        assert_eq!(
            check_send("", None, &none).unwrap_err().code,
            Code::MessageIncomplete
        );
        assert!(check_send("hi", None, &none).is_ok());
        assert_eq!(
            check_send("hi", Some(""), &none).unwrap_err().field,
            "clientMsgId"
        );
        let long = "k".repeat(65);
        assert_eq!(
            check_send("hi", Some(&long), &none).unwrap_err().code,
            Code::BadFrame
        );
        let huge = "x".repeat(MAX_CONTENT_CHARS + 1);
        assert_eq!(check_send(&huge, None, &none).unwrap_err().field, "content");
    }

    #[test]
    fn extra_is_bounded_in_depth_and_size() {
        assert!(check_extra(&extra(json!({"a": nested(MAX_EXTRA_DEPTH - 1)}))).is_ok());
        let deep = check_extra(&extra(json!({"a": nested(MAX_EXTRA_DEPTH)}))).unwrap_err();
        assert_eq!((deep.field, deep.code), ("extra", Code::BadFrame));
        assert!(check_extra(&extra(json!({"a": nested(126)}))).is_err());
        let big = check_extra(&extra(json!({"a": "x".repeat(MAX_EXTRA_BYTES)}))).unwrap_err();
        assert_eq!(big.field, "extra");
    }

    #[test]
    fn names_and_urls() {
        for bad in [
            "a\u{202E}b",
            "a\u{200B}b",
            "a\nb",
            "a\u{0}b",
            "\u{2066}x",
            "x\u{FEFF}",
        ] {
            assert!(bad.chars().any(is_hidden_or_control), "{bad:?}");
        }
        assert!(!"Zoë 李 🎉".chars().any(is_hidden_or_control));
        assert!(is_http_url("https://cdn.example.com/a.png"));
        assert!(is_http_url("HTTP://x.io/"));
        for bad in [
            "javascript:alert(1)",
            " javascript:x",
            "data:image/png;base64,AA",
            "//x.io/a",
            "https://",
            "https://x .io",
            "ftp://x",
        ] {
            assert!(!is_http_url(bad), "{bad:?}");
        }
    }

    #[test]
    fn server_keys_are_never_taken_from_a_client() {
        let mut e =
            extra(json!({"IsAnonymous": true, "isanonymous": 1, "ClientMsgId": "x", "mine": 2}));
        strip_server_keys(&mut e);
        assert_eq!(Value::Object(e), json!({"mine": 2}));
    }
}
