//! The `[media]` section: where uploaded files are kept, and what is accepted.

use serde::{Deserialize, Serialize};

use super::{bad, ConfigError};

/// Media: uploads, thumbnails, downloads.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaConfig {
    /// Where the bytes go: `file://FOLDER` (relative to the node's working folder, made when
    /// missing), or `s3://BUCKET[/PREFIX]` on an S3-compatible store (credentials from the
    /// environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`).
    pub store: String,
    /// The S3 endpoint pods reach (`http://minio:9000`); empty = AWS itself.
    pub endpoint: String,
    /// The S3 endpoint browsers reach, which presigned URLs name; empty = `endpoint`.
    pub public_url: String,
    /// The S3 region (signed into every request).
    pub region: String,
    /// Path-style S3 addresses (`endpoint/bucket/key`: MinIO and most self-hosted stores);
    /// `false` = virtual-hosted (`bucket.endpoint/key`).
    pub path_style: bool,
    /// How long a presigned URL (a direct upload, a download redirect) is valid, in seconds.
    pub url_ttl_seconds: u64,
    /// The largest upload, in bytes (checked while it streams).
    pub max_bytes: u64,
    /// Types accepted, as sniffed from the bytes (`image/*` covers every image type).
    pub allowed_types: Vec<String>,
    /// The longest side of a thumbnail, in pixels.
    pub thumbnail_px: u32,
    /// Images with more pixels than this are refused (a decompression bomb is a small file).
    pub max_pixels: u64,
    /// Images larger than this many bytes are kept as files: not decoded, no thumbnail.
    pub max_image_bytes: u64,
    /// How many images a pod decodes at once (0 = half its cores, at least one): thumbnails
    /// wait their turn rather than take every core from the chat.
    pub decode_concurrency: usize,
    /// Uploads no message references are deleted after this many hours.
    pub orphan_hours: u64,
}

impl Default for MediaConfig {
    fn default() -> Self {
        MediaConfig {
            store: "file://media".into(),
            endpoint: String::new(),
            public_url: String::new(),
            region: "us-east-1".into(),
            path_style: true,
            url_ttl_seconds: 300,
            max_bytes: 100 * 1024 * 1024,
            allowed_types: [
                "image/jpeg",
                "image/png",
                "image/gif",
                "image/webp",
                "video/mp4",
                "video/webm",
                "video/quicktime",
                "audio/mpeg",
                "audio/ogg",
                "audio/mp4",
                "audio/x-m4a",
                "audio/aac",
                "audio/x-wav",
                "audio/webm",
                "application/pdf",
                "application/zip",
                "text/plain",
            ]
            .map(String::from)
            .to_vec(),
            thumbnail_px: 320,
            max_pixels: 40_000_000,
            max_image_bytes: 32 * 1024 * 1024,
            decode_concurrency: 0,
            orphan_hours: 24,
        }
    }
}

impl MediaConfig {
    /// The folder of a `file://` store.
    pub fn folder(&self) -> Option<&str> {
        self.store.strip_prefix("file://")
    }

    /// The bucket and key prefix of an `s3://` store.
    pub fn bucket(&self) -> Option<(&str, &str)> {
        let rest = self.store.strip_prefix("s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        Some((bucket, prefix.trim_matches('/')))
    }

    /// How many images may be decoded at once.
    pub fn decodes_at_once(&self) -> usize {
        match self.decode_concurrency {
            0 => std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
            n => n,
        }
    }

    /// Whether `mime` is accepted.
    pub fn allows(&self, mime: &str) -> bool {
        self.allowed_types
            .iter()
            .any(|a| match a.strip_suffix("/*") {
                Some(family) => mime.split('/').next() == Some(family),
                None => a.eq_ignore_ascii_case(mime),
            })
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let bucket_ok = self.bucket().is_some_and(|(b, _)| !b.is_empty());
        if self.folder().is_none_or(str::is_empty) && !bucket_ok {
            return bad(
                "media.store",
                "must be file://FOLDER or s3://BUCKET[/PREFIX]",
            );
        }
        for (key, url) in [
            ("media.endpoint", &self.endpoint),
            ("media.public_url", &self.public_url),
        ] {
            if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
                return bad(key, "must be an http:// or https:// URL");
            }
        }
        if !(1..=7 * 24 * 3600).contains(&self.url_ttl_seconds) {
            return bad(
                "media.url_ttl_seconds",
                "must be between 1 and 604800 (S3's limit)",
            );
        }
        if self.max_bytes == 0 {
            return bad("media.max_bytes", "must be more than 0");
        }
        if !(16..=2048).contains(&self.thumbnail_px) {
            return bad("media.thumbnail_px", "must be between 16 and 2048");
        }
        if self.max_pixels == 0 || self.max_image_bytes == 0 || self.orphan_hours == 0 {
            return bad(
                "media",
                "max_pixels, max_image_bytes and orphan_hours must be more than 0",
            );
        }
        Ok(())
    }
}
