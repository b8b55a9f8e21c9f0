//! An upload: the body streams into a temporary object while it is measured and hashed (past
//! `media.max_bytes` it stops), its type is sniffed from the first bytes and checked, the same
//! content from the same user answers the media it already has, an image is measured and gets
//! a thumbnail, and only then the object takes its place and the row is written. A pod killed
//! midway leaves a temporary object (swept later) and no row: a media is complete or absent.

use std::time::Duration;

use bytes::Bytes;
use entity::media;
use futures_util::{Stream, StreamExt};
use object_store::{ObjectStoreExt, WriteMultipart};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::image::{probe, NotAnImage};
use super::kind::{kind_of, sniff, SNIFF_BYTES};
use super::MediaStore;
use crate::state::AppState;
use crate::store::StoreError;

/// How long decoding an image may take before the upload is refused.
const DECODE_TIME: Duration = Duration::from_secs(10);

/// An accepted upload: the media (new, or the one the same bytes already made).
pub type Uploaded = media::Model;

/// Why an upload was refused.
#[derive(Debug)]
pub enum Refused {
    /// Past `media.max_bytes`.
    TooLarge(u64),
    /// A type `media.allowed_types` does not list.
    Unsupported(String),
    /// An image with too many pixels, a damaged one, or one that took too long to decode.
    BadImage(String),
    /// The body broke off.
    Interrupted(String),
    /// The store or the database failed: nothing was kept.
    Unavailable(String),
    /// A direct upload, on a store that has none (a local folder).
    NotRemote,
    /// No direct upload of this user's has this id.
    NoSuchUpload,
    /// A direct upload completed before its bytes were put.
    NotUploaded,
    /// A direct upload's bytes are not those declared (they were deleted).
    Mismatch(String),
}

impl From<object_store::Error> for Refused {
    fn from(e: object_store::Error) -> Self {
        Refused::Unavailable(e.to_string())
    }
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Self {
        Refused::Unavailable(e.to_string())
    }
}

/// What the body was, once all of it is in the temporary object.
pub(super) struct Received {
    pub size: u64,
    pub sha256: String,
    pub head: Vec<u8>,
}

/// Measures the bytes of an upload as they pass: size, SHA-256, and the first bytes (to sniff
/// the type from).
pub(super) struct Tally {
    hasher: Sha256,
    head: Vec<u8>,
    size: u64,
}

impl Tally {
    pub fn new() -> Tally {
        Tally {
            hasher: Sha256::new(),
            head: Vec::with_capacity(SNIFF_BYTES),
            size: 0,
        }
    }

    /// Counts `chunk`; the size so far.
    pub fn add(&mut self, chunk: &[u8]) -> u64 {
        self.size += chunk.len() as u64;
        self.hasher.update(chunk);
        if self.head.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.size
    }

    /// The first bytes seen.
    pub fn head(&self) -> &[u8] {
        &self.head
    }

    pub fn finish(self) -> Received {
        Received {
            size: self.size,
            sha256: crate::auth::hex(&self.hasher.finalize()),
            head: self.head,
        }
    }
}

/// Streams `body` into the temporary object `key`.
async fn receive<S, E>(
    store: &MediaStore,
    key: &object_store::path::Path,
    max: u64,
    mut body: S,
) -> Result<Received, Refused>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    // The object is made once the type is known (S3 keeps it with the object): the first
    // chunks wait until there are enough bytes to sniff.
    let mut writer: Option<WriteMultipart> = None;
    let mut waiting: Vec<Bytes> = Vec::new();
    let mut tally = Tally::new();
    loop {
        let chunk = match body.next().await {
            Some(Ok(c)) => Some(c),
            Some(Err(e)) => {
                if let Some(w) = writer {
                    let _ = w.abort().await;
                }
                return Err(Refused::Interrupted(e.to_string()));
            }
            None => None,
        };
        if let Some(chunk) = &chunk {
            if tally.add(chunk) > max {
                if let Some(w) = writer {
                    let _ = w.abort().await;
                }
                return Err(Refused::TooLarge(max));
            }
        }
        let w = match writer.as_mut() {
            Some(w) => w,
            None if chunk.is_some() && tally.head().len() < SNIFF_BYTES => {
                waiting.extend(chunk);
                continue;
            }
            None => {
                let mut w = store.writer(key, &sniff(tally.head())).await?;
                for early in waiting.drain(..) {
                    w.write(&early);
                }
                writer.insert(w)
            }
        };
        let Some(chunk) = chunk else { break };
        w.write(&chunk);
        w.wait_for_capacity(2).await?;
    }
    if let Some(w) = writer {
        w.finish().await?;
    }
    Ok(tally.finish())
}

/// Takes an upload of `owner`'s, named `name`, from `body`.
pub async fn upload<S, E>(
    state: &AppState,
    owner: (Option<Uuid>, Uuid),
    name: Option<String>,
    body: S,
) -> Result<Uploaded, Refused>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let temp = MediaStore::temp_key();
    let received = receive(&state.media, &temp, state.config.media.max_bytes, body).await?;
    accept(state, owner, name, temp, received).await
}

/// Makes the upload `received` in the temporary object `temp` a media of `owner`'s: its type
/// checked, the same bytes answered with the media they already are, an image measured and
/// given a thumbnail, the object moved to its place and the row written.
pub(super) async fn accept(
    state: &AppState,
    owner: (Option<Uuid>, Uuid),
    name: Option<String>,
    temp: object_store::path::Path,
    received: Received,
) -> Result<Uploaded, Refused> {
    let config = &state.config.media;
    let store = &state.media;
    let mime = sniff(&received.head);
    if !config.allows(&mime) {
        store.remove(&temp).await;
        return Err(Refused::Unsupported(mime));
    }
    if let Some(existing) = state
        .store
        .media_by_content(owner.1, &received.sha256)
        .await?
    {
        store.remove(&temp).await;
        return Ok(existing);
    }
    let media_id = state.ids.next_id();
    let mut kind = kind_of(&mime);
    let mut row = media::Model {
        id: 0,
        media_id,
        tenant_id: owner.0,
        owner_id: owner.1,
        kind: String::new(),
        mime,
        size: received.size as i64,
        sha256: received.sha256,
        name,
        width: None,
        height: None,
        thumb_width: None,
        thumb_height: None,
        store_key: MediaStore::file_key(media_id).to_string(),
        thumb_key: None,
        referenced: false,
        creation_time: crate::state::now_millis(),
    };
    if kind == "image" {
        if received.size <= config.max_image_bytes {
            let bytes = store.objects().get(&temp).await?.bytes().await?;
            if let Some(stripped) = super::metadata::strip(&row.mime, bytes.clone()) {
                row.size = stripped.len() as i64;
                store.put(&temp, stripped, &row.mime).await?;
            }
            let probed = measure(state, bytes).await;
            match probed {
                Ok(p) => {
                    let thumb = MediaStore::thumb_key(media_id);
                    store.put(&thumb, p.thumb.into(), "image/jpeg").await?;
                    row.width = Some(p.width as i32);
                    row.height = Some(p.height as i32);
                    row.thumb_width = Some(p.thumb_width as i32);
                    row.thumb_height = Some(p.thumb_height as i32);
                    row.thumb_key = Some(thumb.to_string());
                }
                Err(refused) => {
                    store.remove(&temp).await;
                    return Err(refused);
                }
            }
        } else {
            // Too large to decode here: kept and served as a file.
            kind = "file";
        }
    }
    row.kind = kind.to_string();
    let key = MediaStore::file_key(media_id);
    store.objects().rename(&temp, &key).await?;
    match state.store.insert_media(row.clone()).await {
        Ok(()) => Ok(row),
        Err(StoreError::Conflict) => {
            // The same bytes, uploaded twice at once: the other one's media stands.
            store.remove(&key).await;
            store.remove(&MediaStore::thumb_key(media_id)).await;
            Ok(state
                .store
                .media_by_content(owner.1, &row.sha256)
                .await?
                .ok_or_else(|| Refused::Unavailable("a media vanished".into()))?)
        }
        Err(e) => {
            store.remove(&key).await;
            store.remove(&MediaStore::thumb_key(media_id)).await;
            Err(e.into())
        }
    }
}

/// Measures the image `bytes` on a blocking thread, within the pixel and time limits, when
/// its turn comes (`media.decode_concurrency` at a time).
async fn measure(state: &AppState, bytes: Bytes) -> Result<super::image::Probed, Refused> {
    let (max_pixels, thumb_px) = (
        state.config.media.max_pixels,
        state.config.media.thumbnail_px,
    );
    let _turn = state
        .media
        .decode_turns()
        .acquire()
        .await
        .map_err(|e| Refused::Unavailable(e.to_string()))?;
    let work = tokio::task::spawn_blocking(move || probe(&bytes, max_pixels, thumb_px));
    match tokio::time::timeout(DECODE_TIME, work).await {
        Ok(Ok(Ok(probed))) => Ok(probed),
        Ok(Ok(Err(NotAnImage::TooManyPixels(n)))) => Err(Refused::BadImage(format!(
            "the image has {n} pixels, more than the {max_pixels} accepted"
        ))),
        Ok(Ok(Err(NotAnImage::Undecodable(why)))) => Err(Refused::BadImage(format!(
            "the image cannot be read: {why}"
        ))),
        Ok(Err(e)) => Err(Refused::BadImage(format!("decoding failed: {e}"))),
        Err(_) => Err(Refused::BadImage(
            "the image took too long to decode".into(),
        )),
    }
}
