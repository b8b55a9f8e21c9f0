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
struct Received {
    size: u64,
    sha256: String,
    head: Vec<u8>,
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
    let mut writer = WriteMultipart::new(store.objects().put_multipart(key).await?);
    let mut hasher = Sha256::new();
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    let mut size = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                let _ = writer.abort().await;
                return Err(Refused::Interrupted(e.to_string()));
            }
        };
        size += chunk.len() as u64;
        if size > max {
            let _ = writer.abort().await;
            return Err(Refused::TooLarge(max));
        }
        hasher.update(&chunk);
        if head.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        writer.write(&chunk);
        writer.wait_for_capacity(2).await?;
    }
    writer.finish().await?;
    let sha256 = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Received { size, sha256, head })
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
    let config = &state.config.media;
    let store = &state.media;
    let temp = MediaStore::temp_key();
    let received = receive(store, &temp, config.max_bytes, body).await?;
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
                store.objects().put(&temp, stripped.into()).await?;
            }
            let probed = measure(state, bytes).await;
            match probed {
                Ok(p) => {
                    let thumb = MediaStore::thumb_key(media_id);
                    store.objects().put(&thumb, p.thumb.into()).await?;
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

/// Measures the image `bytes` on a blocking thread, within the pixel and time limits.
async fn measure(state: &AppState, bytes: Bytes) -> Result<super::image::Probed, Refused> {
    let (max_pixels, thumb_px) = (
        state.config.media.max_pixels,
        state.config.media.thumbnail_px,
    );
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
