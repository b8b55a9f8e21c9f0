//! What a media message must carry, by its type: ABP's Image 10, Link 20, Video 30, Voice 40
//! and File 50, and this product's Location 60. The shape is checked here, the same for every
//! protocol; that each `mediaId` is the sender's (or in a message the sender can read) and of
//! the right kind is checked against the store before the message goes on
//! (`requests::media`).

use serde_json::{Map, Value};

use super::input::{is_http_url, Invalid};

pub const IMAGE: i32 = 10;
pub const LINK: i32 = 20;
pub const VIDEO: i32 = 30;
pub const VOICE: i32 = 40;
pub const FILE: i32 = 50;
/// A place: this product's type, beside ABP's.
pub const LOCATION: i32 = 60;

/// The longest voice or video, in milliseconds (a day).
const MAX_DURATION_MS: i64 = 86_400_000;

/// A media message's `media`, its shape checked.
#[derive(Clone, Debug, PartialEq)]
pub enum Claim {
    Image {
        media_id: i64,
    },
    File {
        media_id: i64,
        name: Option<String>,
    },
    Voice {
        media_id: i64,
        duration_ms: i64,
    },
    Video {
        media_id: i64,
        duration_ms: i64,
        poster: Option<i64>,
    },
    Link {
        url: String,
        title: Option<String>,
        description: Option<String>,
    },
    Location {
        latitude: f64,
        longitude: f64,
        name: Option<String>,
        address: Option<String>,
    },
}

impl Claim {
    /// The uploads it names: the file, and a video's poster.
    pub fn media_ids(&self) -> Vec<i64> {
        match self {
            Claim::Image { media_id }
            | Claim::File { media_id, .. }
            | Claim::Voice { media_id, .. } => {
                vec![*media_id]
            }
            Claim::Video {
                media_id, poster, ..
            } => std::iter::once(*media_id).chain(*poster).collect(),
            Claim::Link { .. } | Claim::Location { .. } => vec![],
        }
    }
}

fn bad(detail: impl Into<String>) -> Invalid {
    Invalid::bad("media", detail)
}

/// An id as JSON carries it: a decimal string, or a number.
fn id(v: Option<&Value>, field: &str) -> Result<i64, Invalid> {
    match v {
        Some(Value::String(s)) => s.parse().ok(),
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    }
    .filter(|i| *i > 0)
    .ok_or_else(|| bad(format!("`media.{field}` is a media id")))
}

fn text(map: &Map<String, Value>, field: &str, max: usize) -> Result<Option<String>, Invalid> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max && !s.chars().any(char::is_control) => {
            Ok(Some(s.clone()))
        }
        Some(_) => Err(bad(format!(
            "`media.{field}` is text of at most {max} characters"
        ))),
    }
}

fn duration(map: &Map<String, Value>) -> Result<i64, Invalid> {
    map.get("durationMs")
        .and_then(Value::as_i64)
        .filter(|d| (1..=MAX_DURATION_MS).contains(d))
        .ok_or_else(|| bad(format!("`media.durationMs` is 1 to {MAX_DURATION_MS}")))
}

fn degrees(map: &Map<String, Value>, field: &str, limit: f64) -> Result<f64, Invalid> {
    map.get(field)
        .and_then(Value::as_f64)
        .filter(|d| d.is_finite() && d.abs() <= limit)
        .ok_or_else(|| {
            bad(format!(
                "`media.{field}` is a number from -{limit} to {limit}"
            ))
        })
}

/// The `media` a message of `message_type` carries, checked: required for the media types,
/// refused for the others.
pub fn claim(message_type: i32, media: Option<&Value>) -> Result<Option<Claim>, Invalid> {
    let is_media_type = matches!(message_type, IMAGE | LINK | VIDEO | VOICE | FILE | LOCATION);
    let map = match (media, is_media_type) {
        (None | Some(Value::Null), false) => return Ok(None),
        (Some(_), false) => {
            return Err(bad(format!(
                "a message of type {message_type} carries no `media`"
            )))
        }
        (Some(Value::Object(map)), true) => map,
        (_, true) => {
            return Err(bad(format!(
                "a message of type {message_type} needs a `media` object"
            )))
        }
    };
    let claim = match message_type {
        IMAGE => Claim::Image {
            media_id: id(map.get("mediaId"), "mediaId")?,
        },
        FILE => Claim::File {
            media_id: id(map.get("mediaId"), "mediaId")?,
            name: text(map, "name", 256)?,
        },
        VOICE => Claim::Voice {
            media_id: id(map.get("mediaId"), "mediaId")?,
            duration_ms: duration(map)?,
        },
        VIDEO => Claim::Video {
            media_id: id(map.get("mediaId"), "mediaId")?,
            duration_ms: duration(map)?,
            poster: match map.get("poster") {
                None | Some(Value::Null) => None,
                p => Some(id(p, "poster")?),
            },
        },
        LINK => {
            let url = text(map, "url", 2048)?
                .filter(|u| is_http_url(u))
                .ok_or_else(|| bad("`media.url` is an http(s) URL"))?;
            Claim::Link {
                url,
                title: text(map, "title", 256)?,
                description: text(map, "description", 1024)?,
            }
        }
        _ => Claim::Location {
            latitude: degrees(map, "latitude", 90.0)?,
            longitude: degrees(map, "longitude", 180.0)?,
            name: text(map, "name", 256)?,
            address: text(map, "address", 512)?,
        },
    };
    Ok(Some(claim))
}

/// What ABP's clients show for a media message, which show every message's content as text.
pub fn display_text(claim: &Claim, name: Option<&str>) -> String {
    let seconds = |ms: i64| format!("{}:{:02}", ms / 60_000, (ms / 1000) % 60);
    match claim {
        Claim::Image { .. } => "[Image]".into(),
        Claim::File { .. } => format!("[File] {}", name.unwrap_or("")).trim_end().into(),
        Claim::Voice { duration_ms, .. } => format!("[Voice] {}", seconds(*duration_ms)),
        Claim::Video { duration_ms, .. } => format!("[Video] {}", seconds(*duration_ms)),
        Claim::Link { url, .. } => url.clone(),
        Claim::Location {
            name,
            latitude,
            longitude,
            ..
        } => match name {
            Some(n) => format!("[Location] {n}"),
            None => format!("[Location] {latitude:.5}, {longitude:.5}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_type_has_its_shape() {
        assert_eq!(claim(0, None), Ok(None));
        assert!(claim(0, Some(&json!({"mediaId": "1"}))).is_err());
        assert!(claim(IMAGE, None).is_err());
        assert_eq!(
            claim(IMAGE, Some(&json!({"mediaId": "7"}))).unwrap(),
            Some(Claim::Image { media_id: 7 })
        );
        assert!(claim(IMAGE, Some(&json!({"mediaId": "x"}))).is_err());
        assert!(claim(VOICE, Some(&json!({"mediaId": 3, "durationMs": 0}))).is_err());
        assert!(claim(
            VIDEO,
            Some(&json!({"mediaId": 3, "durationMs": 5000, "poster": "4"}))
        )
        .is_ok());
        assert!(claim(LINK, Some(&json!({"url": "javascript:alert(1)"}))).is_err());
        assert!(claim(
            LINK,
            Some(&json!({"url": "https://example.com/a", "title": "A"}))
        )
        .is_ok());
        assert!(claim(LOCATION, Some(&json!({"latitude": 91, "longitude": 0}))).is_err());
        let place = claim(
            LOCATION,
            Some(&json!({"latitude": 48.8584, "longitude": 2.2945, "name": "Tour Eiffel"})),
        )
        .unwrap()
        .unwrap();
        assert_eq!(display_text(&place, None), "[Location] Tour Eiffel");
        let voice = claim(VOICE, Some(&json!({"mediaId": 3, "durationMs": 72_000})))
            .unwrap()
            .unwrap();
        assert_eq!(display_text(&voice, None), "[Voice] 1:12");
        assert_eq!(voice.media_ids(), vec![3]);
    }
}
