//! Uploads nobody sent: a media no message references after `media.orphan_hours` is deleted
//! (its bytes, its thumbnail, its row), and so is what an upload cut short, or a direct upload
//! never completed, left in `tmp/`.
//! Every pod sweeps every ten minutes; a row is deleted only while still unreferenced, so a
//! message sent at that moment keeps its media.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use object_store::path::Path;

use super::MediaStore;
use crate::state::AppState;

/// Starts the sweep on this pod.
pub fn start(state: Arc<AppState>) {
    actix_rt::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(600)).await;
            if state.is_draining() {
                return;
            }
            if state.schema_ready() {
                if let Err(e) = sweep(&state, crate::state::now_millis()).await {
                    tracing::debug!(error = %e, "orphan media not swept");
                }
            }
        }
    });
}

/// Deletes what was orphaned as of `now`; how many media went.
pub async fn sweep(state: &AppState, now: DateTime<Utc>) -> Result<u64, String> {
    let before = now - chrono::Duration::hours(state.config.media.orphan_hours as i64);
    let mut gone = 0;
    loop {
        let orphans = state
            .store
            .orphan_media(before, 500)
            .await
            .map_err(|e| e.to_string())?;
        if orphans.is_empty() {
            break;
        }
        let ids: Vec<i64> = orphans.iter().map(|m| m.media_id).collect();
        let deleted = state
            .store
            .delete_unreferenced_media(&ids)
            .await
            .map_err(|e| e.to_string())?;
        for m in &orphans {
            // A row a message took meanwhile is still there: its bytes stay.
            if state
                .store
                .media(m.media_id)
                .await
                .map_err(|e| e.to_string())?
                .is_none()
            {
                state.media.remove(&MediaStore::file_key(m.media_id)).await;
                state.media.remove(&MediaStore::thumb_key(m.media_id)).await;
            }
        }
        gone += deleted;
        if orphans.len() < 500 {
            break;
        }
    }
    // Direct uploads never completed: the record goes here, the object below.
    state
        .store
        .delete_stale_media_uploads(before)
        .await
        .map_err(|e| e.to_string())?;
    // Uploads cut short (a pod killed mid-stream), and direct uploads never completed, leave
    // their temporary object.
    let mut temps = state.media.objects().list(Some(&Path::from("tmp")));
    while let Some(meta) = temps.next().await {
        let Ok(meta) = meta else { break };
        if meta.last_modified < before {
            state.media.remove(&meta.location).await;
        }
    }
    // In a folder, an upload cut short is a staged file (`tmp/<key>#<n>`), which the store
    // does not list as an object: those are removed from the folder itself.
    if let Some(folder) = state.config.media.folder() {
        let tmp = std::path::Path::new(folder).join("tmp");
        let cutoff = std::time::SystemTime::from(before);
        let _ = tokio::task::spawn_blocking(move || remove_older(&tmp, cutoff)).await;
    }
    Ok(gone)
}

/// Removes the files of `dir` last changed before `cutoff`.
fn remove_older(dir: &std::path::Path, cutoff: std::time::SystemTime) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < cutoff);
        if old && entry.path().is_file() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
