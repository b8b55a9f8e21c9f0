//! The media store: where the bytes are, behind `object_store`'s one interface (a local
//! folder; S3-compatible stores use the same calls). Keys: `tmp/<uuid>` while an upload
//! streams, `m/<mediaId>` for a file, `t/<mediaId>` for its thumbnail.

use std::sync::Arc;

use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

/// The node's media store.
#[derive(Clone)]
pub struct MediaStore {
    inner: Arc<dyn ObjectStore>,
}

impl MediaStore {
    /// The store `media.store` names, its folder made when missing.
    pub fn open(config: &crate::config::MediaConfig) -> Result<MediaStore, String> {
        let folder = config.folder().ok_or("media.store must be file://FOLDER")?;
        std::fs::create_dir_all(folder).map_err(|e| format!("media folder {folder}: {e}"))?;
        let local = LocalFileSystem::new_with_prefix(folder).map_err(|e| e.to_string())?;
        Ok(MediaStore {
            inner: Arc::new(local),
        })
    }

    /// The object store itself.
    pub fn objects(&self) -> &Arc<dyn ObjectStore> {
        &self.inner
    }

    /// Where a media's bytes are.
    pub fn file_key(media_id: i64) -> Path {
        Path::from(format!("m/{media_id}"))
    }

    /// Where a media's thumbnail is.
    pub fn thumb_key(media_id: i64) -> Path {
        Path::from(format!("t/{media_id}"))
    }

    /// A fresh key for an upload in progress.
    pub fn temp_key() -> Path {
        Path::from(format!("tmp/{}", uuid::Uuid::new_v4().simple()))
    }

    /// Deletes `key`, if it is there.
    pub async fn remove(&self, key: &Path) {
        match self.inner.delete(key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => tracing::warn!(error = %e, %key, "a media object was not deleted"),
        }
    }
}
