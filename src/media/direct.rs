//! Direct uploads, on an S3-compatible store: the client declares what it will upload (name,
//! size, type, SHA-256) and gets a presigned `PUT` for the endpoint browsers reach, so the
//! bytes go straight to the store and never through a pod; completing it measures what arrived
//! — size, hash, and the type sniffed from the bytes, which must be the one declared (the
//! object keeps it) — before it becomes a media like any upload.
//! Completing again answers the same media; an upload never completed is swept with the orphans.

use entity::media_upload;
use futures_util::StreamExt;
use object_store::ObjectStoreExt;
use uuid::Uuid;

use super::kind::sniff;
use super::store::Presigned;
use super::upload::{accept, Tally};
use super::{MediaStore, Refused, Uploaded};
use crate::state::AppState;

/// What a client says it will upload.
pub struct Declared {
    pub name: Option<String>,
    pub size: u64,
    pub mime: String,
    /// Lowercase hex.
    pub sha256: String,
}

/// How a direct upload begins.
pub enum Begun {
    /// The same bytes are already this user's media: nothing to upload.
    Existing(Uploaded),
    /// Upload to this URL, then complete `upload_id`.
    Started { upload_id: Uuid, put: Presigned },
}

/// Begins a direct upload of `owner`'s.
pub async fn begin(
    state: &AppState,
    owner: (Option<Uuid>, Uuid),
    declared: Declared,
) -> Result<Begun, Refused> {
    let config = &state.config.media;
    if declared.size > config.max_bytes {
        return Err(Refused::TooLarge(config.max_bytes));
    }
    if !config.allows(&declared.mime) {
        return Err(Refused::Unsupported(declared.mime));
    }
    if let Some(existing) = state
        .store
        .media_by_content(owner.1, &declared.sha256)
        .await?
    {
        return Ok(Begun::Existing(existing));
    }
    let raw: Vec<u8> = (0..declared.sha256.len() / 2)
        .filter_map(|i| u8::from_str_radix(&declared.sha256[2 * i..2 * i + 2], 16).ok())
        .collect();
    let upload_id = Uuid::new_v4();
    let key = MediaStore::direct_key(upload_id);
    let put = state
        .media
        .presign_put(&key, &declared.mime, &raw)
        .await
        .ok_or(Refused::NotRemote)?
        .map_err(Refused::Unavailable)?;
    state
        .store
        .insert_media_upload(media_upload::Model {
            id: 0,
            upload_id,
            tenant_id: owner.0,
            owner_id: owner.1,
            name: declared.name,
            size: declared.size as i64,
            mime: declared.mime,
            sha256: declared.sha256,
            expires_at: put.expires_at,
            creation_time: crate::state::now_millis(),
        })
        .await?;
    Ok(Begun::Started { upload_id, put })
}

/// Completes `owner`'s direct upload `upload_id`: what arrived must be what was declared.
pub async fn complete(
    state: &AppState,
    owner: (Option<Uuid>, Uuid),
    upload_id: Uuid,
) -> Result<Uploaded, Refused> {
    let declared = state
        .store
        .media_upload(owner.1, upload_id)
        .await?
        .ok_or(Refused::NoSuchUpload)?;
    let key = MediaStore::direct_key(upload_id);
    let got = match state.media.objects().get(&key).await {
        Ok(got) => got,
        Err(object_store::Error::NotFound { .. }) => {
            // Completed before (the object became the media), or never uploaded.
            return match state
                .store
                .media_by_content(owner.1, &declared.sha256)
                .await?
            {
                Some(existing) => Ok(existing),
                None => Err(Refused::NotUploaded),
            };
        }
        Err(e) => return Err(e.into()),
    };
    let max = state.config.media.max_bytes;
    let mut tally = Tally::new();
    let mut bytes = got.into_stream();
    while let Some(chunk) = bytes.next().await {
        if tally.add(&chunk?) > max {
            state.media.remove(&key).await;
            return Err(Refused::TooLarge(max));
        }
    }
    let received = tally.finish();
    if received.size != declared.size as u64 || received.sha256 != declared.sha256 {
        state.media.remove(&key).await;
        return Err(Refused::Mismatch(format!(
            "{} bytes with SHA-256 {} arrived, not the {} bytes with SHA-256 {} declared",
            received.size, received.sha256, declared.size, declared.sha256
        )));
    }
    // The object keeps the type it was put with, which downloads may answer with: it must be
    // what the bytes are.
    let sniffed = sniff(&received.head);
    if !state.config.media.allows(&sniffed) {
        state.media.remove(&key).await;
        return Err(Refused::Unsupported(sniffed));
    }
    if sniffed != declared.mime {
        state.media.remove(&key).await;
        return Err(Refused::Mismatch(format!(
            "the bytes are {sniffed}, not the {} declared",
            declared.mime
        )));
    }
    accept(state, owner, declared.name, key, received).await
}
