//! The media store: where the bytes are, behind `object_store`'s one interface — a local
//! folder, or an S3-compatible store. Keys: `tmp/<uuid>` while an upload streams (or waits for
//! a direct upload's completion), `m/<mediaId>` for a file, `t/<mediaId>` for its thumbnail.
//! On S3 the store also presigns URLs, for the endpoint browsers reach (`media.public_url`),
//! which may differ from the one pods use.

use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::signer::{SignedUrlOptions, Signer};
use object_store::{Attribute, Attributes, ObjectStore, ObjectStoreExt, WriteMultipart};

use crate::config::MediaConfig;

/// The node's media store.
#[derive(Clone)]
pub struct MediaStore {
    inner: Arc<dyn ObjectStore>,
    remote: Option<Arc<Remote>>,
    /// Turns at decoding an image (`media.decode_concurrency`).
    decodes: Arc<tokio::sync::Semaphore>,
}

/// An S3-compatible store's signer: a client for the public endpoint (it never connects, it
/// only signs), the key prefix, and how long a URL lives.
struct Remote {
    signer: AmazonS3,
    prefix: String,
    ttl: Duration,
}

/// A presigned request a client makes itself, straight to the store.
#[derive(Debug, Clone)]
pub struct Presigned {
    pub url: String,
    /// The headers the request must carry as they are (they are signed).
    pub headers: Vec<(String, String)>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// An S3 client for `endpoint` (`""` = AWS), with the credentials of the environment.
fn s3(config: &MediaConfig, endpoint: &str) -> Result<AmazonS3, String> {
    let (bucket, _) = config.bucket().ok_or("media.store must be s3://BUCKET")?;
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .with_region(&config.region)
        .with_virtual_hosted_style_request(!config.path_style);
    if !endpoint.is_empty() {
        builder = builder
            .with_endpoint(endpoint)
            .with_allow_http(endpoint.starts_with("http://"));
    }
    builder
        .build()
        .map_err(|e| format!("the S3 media store: {e}"))
}

impl MediaStore {
    /// The store `media.store` names (a folder is made when missing).
    pub fn open(config: &MediaConfig) -> Result<MediaStore, String> {
        if let Some((_, prefix)) = config.bucket() {
            let client: Arc<dyn ObjectStore> = Arc::new(s3(config, &config.endpoint)?);
            let public = match config.public_url.as_str() {
                "" => config.endpoint.as_str(),
                url => url,
            };
            let remote = Remote {
                signer: s3(config, public)?,
                prefix: prefix.to_string(),
                ttl: Duration::from_secs(config.url_ttl_seconds),
            };
            let inner: Arc<dyn ObjectStore> = if prefix.is_empty() {
                client
            } else {
                Arc::new(PrefixStore::new(client, prefix))
            };
            return Ok(MediaStore {
                inner,
                remote: Some(Arc::new(remote)),
                decodes: Arc::new(tokio::sync::Semaphore::new(config.decodes_at_once())),
            });
        }
        let folder = config
            .folder()
            .ok_or("media.store must be file://FOLDER or s3://BUCKET")?;
        std::fs::create_dir_all(folder).map_err(|e| format!("media folder {folder}: {e}"))?;
        let local = LocalFileSystem::new_with_prefix(folder).map_err(|e| e.to_string())?;
        Ok(MediaStore {
            inner: Arc::new(local),
            remote: None,
            decodes: Arc::new(tokio::sync::Semaphore::new(config.decodes_at_once())),
        })
    }

    /// Turns at decoding an image: take one for the time a decode runs.
    pub fn decode_turns(&self) -> &tokio::sync::Semaphore {
        &self.decodes
    }

    /// The object store itself.
    pub fn objects(&self) -> &Arc<dyn ObjectStore> {
        &self.inner
    }

    /// Whether clients reach the bytes at the store itself (presigned URLs), not through pods.
    pub fn is_remote(&self) -> bool {
        self.remote.is_some()
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
        MediaStore::direct_key(uuid::Uuid::new_v4())
    }

    /// The key a direct upload `upload_id` is put at until it is completed.
    pub fn direct_key(upload_id: uuid::Uuid) -> Path {
        Path::from(format!("tmp/{}", upload_id.simple()))
    }

    /// What an object is stored with: its type, on a store that keeps one (S3, which answers
    /// downloads with it); nothing in a folder (the pod serves those itself).
    fn typed(&self, mime: &str) -> Attributes {
        let mut attributes = Attributes::new();
        if self.remote.is_some() {
            attributes.insert(Attribute::ContentType, mime.to_string().into());
        }
        attributes
    }

    /// Writes `bytes` of type `mime` at `key`.
    pub async fn put(
        &self,
        key: &Path,
        bytes: bytes::Bytes,
        mime: &str,
    ) -> Result<(), object_store::Error> {
        let options = self.typed(mime).into();
        self.inner.put_opts(key, bytes.into(), options).await?;
        Ok(())
    }

    /// A writer of an object of type `mime` at `key`, in parts.
    pub async fn writer(
        &self,
        key: &Path,
        mime: &str,
    ) -> Result<WriteMultipart, object_store::Error> {
        let options = self.typed(mime).into();
        Ok(WriteMultipart::new(
            self.inner.put_multipart_opts(key, options).await?,
        ))
    }

    /// Deletes `key`, if it is there.
    pub async fn remove(&self, key: &Path) {
        match self.inner.delete(key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => tracing::warn!(error = %e, %key, "a media object was not deleted"),
        }
    }

    /// A presigned `PUT` of exactly the bytes whose SHA-256 is `sha256` (raw), typed `mime`,
    /// to `key`; `None` on a local store.
    pub async fn presign_put(
        &self,
        key: &Path,
        mime: &str,
        sha256: &[u8],
    ) -> Option<Result<Presigned, String>> {
        use base64::Engine;
        let remote = self.remote.as_ref()?;
        let checksum = base64::engine::general_purpose::STANDARD.encode(sha256);
        let headers = vec![
            ("content-type".to_string(), mime.to_string()),
            ("x-amz-checksum-sha256".to_string(), checksum),
        ];
        Some(remote.sign(http::Method::PUT, key, &[], &headers).await)
    }

    /// A presigned `GET` of `key` that answers with `mime` and `disposition` whatever the
    /// object was stored with; `None` on a local store.
    pub async fn presign_get(
        &self,
        key: &Path,
        mime: &str,
        disposition: &str,
    ) -> Option<Result<Presigned, String>> {
        let remote = self.remote.as_ref()?;
        let query = [
            ("response-content-type", mime),
            ("response-content-disposition", disposition),
            (
                "response-cache-control",
                "private, max-age=31536000, immutable",
            ),
        ];
        Some(remote.sign(http::Method::GET, key, &query, &[]).await)
    }
}

impl Remote {
    async fn sign(
        &self,
        method: http::Method,
        key: &Path,
        query: &[(&str, &str)],
        headers: &[(String, String)],
    ) -> Result<Presigned, String> {
        let mut options = SignedUrlOptions::new().with_query(query.iter().copied());
        for (name, value) in headers {
            let name = http::HeaderName::from_bytes(name.as_bytes()).map_err(|e| e.to_string())?;
            let value = http::HeaderValue::from_str(value).map_err(|e| e.to_string())?;
            options = options.with_signed_header(name, value);
        }
        let full = match self.prefix.as_str() {
            "" => key.clone(),
            prefix => Path::from(format!("{prefix}/{key}")),
        };
        let url = self
            .signer
            .signed_url_opts(method, &full, self.ttl, &options)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Presigned {
            url: url.to_string(),
            headers: headers.to_vec(),
            expires_at: crate::state::now_millis()
                + chrono::Duration::seconds(self.ttl.as_secs() as i64),
        })
    }
}
