//! `/api/im/media/uploads`: direct uploads to an S3-compatible media store. The client says
//! what it will upload and gets a presigned `PUT` for the store's public endpoint; it puts the
//! bytes there itself, then completes the upload, which checks what arrived.

use actix_web::{post, web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::error::{ApiError, Validator};
use super::media::{clean_name, dto, refused};
use crate::auth::Identity;
use crate::media::direct::{begin, complete, Begun, Declared};
use crate::state::AppState;

/// What the client will upload.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct UploadBody {
    /// The file's name, as the uploader's device calls it.
    #[serde(default)]
    #[schema(max_length = 256)]
    name: Option<String>,
    /// Its size in bytes.
    size: u64,
    /// Its type (checked against `media.allowed_types` now, and against the bytes later).
    #[schema(max_length = 128)]
    mime: String,
    /// Its SHA-256, hex.
    #[schema(min_length = 64, max_length = 64)]
    sha256: String,
}

#[utoipa::path(tag = "media", operation_id = "media_upload_begin", request_body = UploadBody, responses((status = 201, description = "{uploadId, url, method: PUT, headers, expiresAt}: PUT the bytes to url with exactly these headers before expiresAt, then complete the upload"), (status = 200, description = "the same bytes are already the caller's media: that media, as POST /api/im/media answers"), (status = 413, description = "IM:TooLarge"), (status = 415, description = "IM:UnsupportedMedia"), (status = 400, description = "the media store is a folder (no direct uploads), or a field is wrong")))]
#[post("/api/im/media/uploads")]
async fn begin_upload(
    me: Identity,
    state: web::Data<AppState>,
    body: web::Json<UploadBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let sha256 = body.sha256.to_ascii_lowercase();
    Validator::default()
        .check(body.size > 0, "size", "`size` must be at least 1")
        .length(&body.mime, "mime", 3, 128)
        .check(
            body.mime.contains('/') && !body.mime.chars().any(|c| c.is_control() || c == ' '),
            "mime",
            "`mime` must be a type such as image/png",
        )
        .check(
            sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit()),
            "sha256",
            "`sha256` must be 64 hexadecimal digits",
        )
        .finish()?;
    let declared = Declared {
        name: clean_name(body.name)?,
        size: body.size,
        mime: body.mime.to_ascii_lowercase(),
        sha256,
    };
    match begin(&state, (me.tenant_id, me.user_id), declared)
        .await
        .map_err(refused)?
    {
        Begun::Existing(media) => Ok(HttpResponse::Ok().json(dto(&media))),
        Begun::Started { upload_id, put } => {
            let headers: serde_json::Map<String, serde_json::Value> = put
                .headers
                .into_iter()
                .map(|(k, v)| (k, v.into()))
                .collect();
            Ok(HttpResponse::Created().json(json!({
                "uploadId": upload_id, "url": put.url, "method": "PUT",
                "headers": headers, "expiresAt": put.expires_at,
            })))
        }
    }
}

#[utoipa::path(tag = "media", operation_id = "media_upload_complete", responses((status = 201, description = "the media, as POST /api/im/media answers (completing again answers it again)"), (status = 409, description = "IM:Conflict: nothing was put at the upload's URL yet"), (status = 400, description = "the bytes put are not those declared (they are deleted), or an image that cannot be read"), (status = 404, description = "no such upload of the caller's")))]
#[post("/api/im/media/uploads/{upload_id}/complete")]
async fn complete_upload(
    me: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let media = complete(&state, (me.tenant_id, me.user_id), path.into_inner())
        .await
        .map_err(refused)?;
    Ok(HttpResponse::Created().json(dto(&media)))
}

/// Registers the routes of this file.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(begin_upload).service(complete_upload);
}
