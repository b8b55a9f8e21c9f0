//! The parts of a server frame the generator reads. Everything else in a frame is skipped
//! without being built, and strings are borrowed from the frame's text: at hundreds of
//! thousands of frames a second, a full `serde_json::Value` per frame made the generator the
//! bottleneck of the run it was measuring.

use std::borrow::Cow;

use serde::Deserialize;

/// A native-shaped frame (`ack`, `error`, `message`, `sync`); the relays' events are mapped
/// onto the same shape.
#[derive(Debug, Default, Deserialize, PartialEq)]
pub struct Frame<'a> {
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    #[serde(borrow)]
    pub id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub code: Option<Cow<'a, str>>,
    /// An `ack`'s message id.
    #[serde(borrow, rename = "messageId")]
    pub message_id: Option<Cow<'a, str>>,
    /// The message of a `message` frame.
    #[serde(borrow)]
    pub message: Option<Probe<'a>>,
    /// The messages of a `sync` page.
    #[serde(borrow)]
    pub messages: Option<Vec<Probe<'a>>>,
    /// A `sync` page's cursor and whether more pages follow.
    #[serde(borrow)]
    pub next: Option<Cow<'a, str>>,
    pub more: Option<bool>,
}

/// A delivered message: only its content, which carries the generator's probe.
#[derive(Debug, Default, Deserialize, PartialEq)]
pub struct Probe<'a> {
    #[serde(borrow)]
    pub content: Cow<'a, str>,
}

impl Frame<'_> {
    /// The number in an id the generator gave (`s17` → 17).
    pub fn seq(&self) -> Option<u64> {
        self.id.as_deref()?.strip_prefix('s')?.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_it_needs_and_skips_the_rest() {
        let text = r#"{"type":"sync","id":"s3","messages":[{"messageId":"1","content":"a","extra":{"x":[1,2]}},{"content":"b\"q"}],"next":"1.2.3.4.5","more":true}"#;
        let f: Frame = serde_json::from_str(text).unwrap();
        assert_eq!(f.kind, "sync");
        assert_eq!(f.seq(), Some(3));
        let contents: Vec<_> = f.messages.unwrap().into_iter().map(|p| p.content).collect();
        assert_eq!(contents, ["a", "b\"q"]);
        assert_eq!(f.next.as_deref(), Some("1.2.3.4.5"));
        assert_eq!(f.more, Some(true));
    }

    #[test]
    fn a_message_frame_gives_its_content() {
        let f: Frame = serde_json::from_str(
            r#"{"type":"message","message":{"content":"p:1","groupId":null}}"#,
        )
        .unwrap();
        assert_eq!(f.message.as_ref().unwrap().content, "p:1");
        assert_eq!(f.seq(), None);
    }
}
