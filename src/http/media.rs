//! `/api/im/media`: uploading a file (the raw body, streamed to the media store) and
//! downloading one or its thumbnail — by its uploader, or by anyone who can read a message
//! that carries it (anyone else gets 404, as for a media that does not exist).

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use entity::media;
use futures_util::StreamExt;
use object_store::{GetOptions, GetRange, ObjectStoreExt};
use serde::Deserialize;
use serde_json::json;

use super::error::{ApiError, FieldError};
use crate::auth::Identity;
use crate::media::{upload, Refused};
use crate::protocol::{Code, Id};
use crate::state::AppState;

/// `?name=`: the file's name, as the uploader's device calls it.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct UploadQuery {
    /// At most 256 characters; no control characters (path separators are replaced).
    name: Option<String>,
}

/// A media as the API gives it.
pub fn dto(m: &media::Model) -> serde_json::Value {
    json!({
        "mediaId": Id(m.media_id), "kind": m.kind, "mime": m.mime, "size": m.size,
        "sha256": m.sha256, "name": m.name, "width": m.width, "height": m.height,
        "thumb": m.thumb_key.as_ref().map(|_| json!({"width": m.thumb_width, "height": m.thumb_height})),
    })
}

/// The answer to a refused upload.
pub(super) fn refused(r: Refused) -> ApiError {
    match r {
        Refused::TooLarge(max) => ApiError::new(
            Code::TooLarge,
            format!("a file may have at most {max} bytes"),
        ),
        Refused::Unsupported(mime) => ApiError::new(
            Code::UnsupportedMedia,
            format!("files of type {mime} are not accepted"),
        ),
        Refused::BadImage(why) => ApiError::validation(vec![FieldError {
            message: why,
            members: vec!["file".into()],
        }]),
        Refused::Interrupted(why) => ApiError::bad_request(format!("the upload broke off: {why}")),
        Refused::Unavailable(why) => {
            tracing::warn!(%why, "an upload failed in the store");
            ApiError::unavailable()
        }
        Refused::NotRemote => ApiError::bad_request(
            "direct uploads need an S3-compatible media store: POST the file to /api/im/media",
        ),
        Refused::NoSuchUpload => ApiError::not_found("no such upload"),
        Refused::NotUploaded => ApiError::new(
            Code::Conflict,
            "nothing was uploaded to the upload's URL yet",
        ),
        Refused::Mismatch(why) => ApiError::validation(vec![FieldError {
            message: why,
            members: vec!["file".into()],
        }]),
    }
}

/// A file's name as the client gave it, checked: at most 256 characters, no control
/// characters, path separators replaced; blank is none.
pub(super) fn clean_name(name: Option<String>) -> Result<Option<String>, ApiError> {
    match name {
        Some(n) if n.chars().count() > 256 || n.chars().any(char::is_control) => {
            Err(ApiError::validation(vec![FieldError {
                message: "a name of at most 256 characters, without control characters".into(),
                members: vec!["name".into()],
            }]))
        }
        Some(n) if !n.trim().is_empty() => Ok(Some(n.replace(['/', '\\'], "_"))),
        _ => Ok(None),
    }
}

#[utoipa::path(tag = "media", operation_id = "media_upload", params(UploadQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the file's bytes: raw, or the first file field of a multipart/form-data body (its filename names it unless ?name= does)"), responses((status = 201, description = "{mediaId, kind, mime, size, sha256, name, width, height, thumb}: the same bytes uploaded again give the same media"), (status = 413, description = "IM:TooLarge: past media.max_bytes"), (status = 415, description = "IM:UnsupportedMedia: a type media.allowed_types does not list"), (status = 400, description = "an image that cannot be read, or has too many pixels")))]
#[post("/api/im/media")]
async fn upload_media(
    req: HttpRequest,
    me: Identity,
    state: web::Data<AppState>,
    query: web::Query<UploadQuery>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let owner = (me.tenant_id, me.user_id);
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    let uploaded = if multipart {
        let mut form = actix_multipart::Multipart::new(req.headers(), body);
        let field = loop {
            match form.next().await {
                Some(Ok(field))
                    if field
                        .content_disposition()
                        .and_then(|d| d.get_filename())
                        .is_some() =>
                {
                    break field
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    return Err(ApiError::bad_request(format!(
                        "the form cannot be read: {e}"
                    )))
                }
                None => {
                    return Err(ApiError::validation(vec![FieldError {
                        message: "the form has no file".into(),
                        members: vec!["file".into()],
                    }]))
                }
            }
        };
        let filename = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_string);
        let name = clean_name(query.into_inner().name.or(filename))?;
        upload(&state, owner, name, field).await
    } else {
        let name = clean_name(query.into_inner().name)?;
        upload(&state, owner, name, body).await
    };
    Ok(HttpResponse::Created().json(dto(&uploaded.map_err(refused)?)))
}

/// The media `id` if `me` may read it.
async fn readable(state: &AppState, me: &Identity, id: i64) -> Result<media::Model, ApiError> {
    let not_found = || ApiError::not_found("no such media");
    let m = state.store.media(id).await?.ok_or_else(not_found)?;
    if m.owner_id == me.user_id && m.tenant_id == me.tenant_id {
        return Ok(m);
    }
    if m.tenant_id == me.tenant_id
        && state
            .store
            .may_read_media(me.tenant_id, me.user_id, id)
            .await?
    {
        return Ok(m);
    }
    Err(not_found())
}

/// The one byte range of a `Range: bytes=…` header, inclusive, within `size`: `None` when
/// there is none (the whole file), `Err` when it cannot be served.
fn range(req: &HttpRequest, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(value) = req.headers().get(header::RANGE) else {
        return Ok(None);
    };
    let spec = value
        .to_str()
        .map_err(|_| ())?
        .strip_prefix("bytes=")
        .ok_or(())?;
    if spec.contains(',') || size == 0 {
        return Err(());
    }
    let (a, b) = spec.split_once('-').ok_or(())?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().map_err(|_| ())?;
            (size.saturating_sub(n), size - 1)
        }
        (s, "") => (s.parse().map_err(|_| ())?, size - 1),
        (s, e) => (
            s.parse().map_err(|_| ())?,
            e.parse::<u64>().map_err(|_| ())?.min(size - 1),
        ),
    };
    if start > end || start >= size {
        return Err(());
    }
    Ok(Some((start, end)))
}

/// Serves the object at `key` (`mime`, `size` bytes when the row says so) as `m`'s bytes.
/// From a folder: streamed, with one
/// range if asked, an ETag from the content hash, and private caching (content never changes).
/// From an S3-compatible store: a redirect to a presigned URL, which answers with the same type
/// and disposition whatever the object was stored with.
async fn serve(
    req: &HttpRequest,
    state: &AppState,
    m: &media::Model,
    key: &object_store::path::Path,
    mime: &str,
    size: Option<u64>,
    etag: String,
) -> Result<HttpResponse, ApiError> {
    let mime = if mime == "text/plain" {
        "text/plain; charset=utf-8"
    } else {
        mime
    };
    let inline = matches!(m.kind.as_str(), "image" | "video" | "audio");
    let name = m.name.clone().unwrap_or_else(|| m.media_id.to_string());
    let disposition = format!(
        "{}; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        percent_encode(&name)
    );
    if let Some(signed) = state.media.presign_get(key, mime, &disposition).await {
        let signed = signed.map_err(|e| {
            tracing::warn!(error = %e, %key, "a media download could not be signed");
            ApiError::unavailable()
        })?;
        // The URL expires: the redirect is cached for less than it lives.
        let ttl = state.config.media.url_ttl_seconds / 2;
        return Ok(HttpResponse::Found()
            .insert_header((header::LOCATION, signed.url))
            .insert_header((header::CACHE_CONTROL, format!("private, max-age={ttl}")))
            .finish());
    }
    let size = match size {
        Some(size) => size,
        None => {
            state
                .media
                .objects()
                .head(key)
                .await
                .map_err(|e| {
                    tracing::warn!(error = %e, %key, "a media object could not be read");
                    ApiError::unavailable()
                })?
                .size
        }
    };
    let response = |status| {
        let mut r = HttpResponse::build(status);
        r.insert_header((header::ETAG, etag.clone()))
            .insert_header((
                header::CACHE_CONTROL,
                "private, max-age=31536000, immutable",
            ))
            .insert_header((header::ACCEPT_RANGES, "bytes"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; sandbox",
            ));
        r
    };
    if req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        return Ok(response(actix_web::http::StatusCode::NOT_MODIFIED).finish());
    }
    let Ok(wanted) = range(req, size) else {
        return Ok(response(actix_web::http::StatusCode::RANGE_NOT_SATISFIABLE)
            .insert_header((header::CONTENT_RANGE, format!("bytes */{size}")))
            .finish());
    };
    let options = GetOptions::new().with_range(wanted.map(|(a, b)| GetRange::Bounded(a..b + 1)));
    let got = state
        .media
        .objects()
        .get_opts(key, options)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, %key, "a media object could not be read");
            ApiError::unavailable()
        })?;
    let stream = got
        .into_stream()
        .map(|chunk| chunk.map_err(|e| actix_web::error::ErrorServiceUnavailable(e.to_string())));
    let mut r = match wanted {
        Some((a, b)) => {
            let mut r = response(actix_web::http::StatusCode::PARTIAL_CONTENT);
            r.insert_header((header::CONTENT_RANGE, format!("bytes {a}-{b}/{size}")));
            r
        }
        None => response(actix_web::http::StatusCode::OK),
    };
    r.insert_header((header::CONTENT_TYPE, mime));
    r.insert_header((header::CONTENT_DISPOSITION, disposition));
    Ok(r.streaming(stream))
}

/// `name` as an RFC 5987 value: unreserved characters kept, the rest percent-encoded.
fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[utoipa::path(tag = "media", operation_id = "media_download", responses((status = 200, description = "the file, streamed (Range, ETag)"), (status = 302, description = "on an S3-compatible store: a presigned URL of the file, valid media.url_ttl_seconds"), (status = 206, description = "the range asked"), (status = 404, description = "no such media, or not one the caller may read")))]
#[get("/api/im/media/{media_id}")]
async fn download(
    req: HttpRequest,
    me: Identity,
    state: web::Data<AppState>,
    path: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    let m = readable(&state, &me, path.into_inner().0).await?;
    let key = crate::media::MediaStore::file_key(m.media_id);
    let etag = format!("\"{}\"", m.sha256);
    let size = Some(m.size as u64);
    serve(&req, &state, &m, &key, &m.mime.clone(), size, etag).await
}

#[utoipa::path(tag = "media", operation_id = "media_thumbnail", responses((status = 200, description = "the thumbnail (JPEG)"), (status = 404, description = "no thumbnail, no such media, or not one the caller may read")))]
#[get("/api/im/media/{media_id}/thumb")]
async fn thumbnail(
    req: HttpRequest,
    me: Identity,
    state: web::Data<AppState>,
    path: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    let m = readable(&state, &me, path.into_inner().0).await?;
    if m.thumb_key.is_none() {
        return Err(ApiError::not_found("this media has no thumbnail"));
    }
    let key = crate::media::MediaStore::thumb_key(m.media_id);
    let etag = format!("\"t-{}\"", m.sha256);
    // The row does not hold the thumbnail's size: the store says.
    serve(&req, &state, &m, &key, "image/jpeg", None, etag).await
}

#[utoipa::path(tag = "admin", operation_id = "admin_media", responses((status = 200, description = "{media, bytes, store}: how many media are kept and how many bytes they take"), (status = "4XX", description = "the error body with its code")))]
#[get("/api/admin/media")]
async fn usage(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    super::admin::admin(&req, &state).await?.require_host()?;
    let (media, bytes) = state.store.media_usage().await?;
    Ok(HttpResponse::Ok().json(json!({
        "media": media, "bytes": bytes, "store": state.config.media.store,
    })))
}

/// Registers the routes of this file.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(usage)
        .service(upload_media)
        .service(thumbnail)
        .service(download);
}
