//! A media message's `media`, resolved against the store: each upload it names must exist and
//! be the sender's own, or be in a message the sender can read (a forward of someone's photo),
//! and be of the kind the type says. The object stored and served is made here, from what the
//! server measured (size, type, an image's dimensions and thumbnail), not from the client's
//! word.

use serde_json::{json, Value};

use super::Origin;
use crate::chat::media::Claim;
use crate::protocol::{Code, Id};
use crate::state::AppState;
use crate::store::MessageMedia;

/// Why a claim was refused: the code and what to tell the sender.
pub type Refusal = (Code, String);

async fn upload_of(
    state: &AppState,
    origin: &Origin,
    media_id: i64,
    kinds: &[&str],
) -> Result<entity::media::Model, Refusal> {
    let unavailable = |_| (Code::Unavailable, Code::Unavailable.message().to_string());
    let not_found = || (Code::NotFound, format!("no media {media_id} of yours"));
    let m = state
        .store
        .media(media_id)
        .await
        .map_err(unavailable)?
        .filter(|m| m.tenant_id == origin.tenant_id)
        .ok_or_else(not_found)?;
    let mine = m.owner_id == origin.user_id;
    if !mine
        && !state
            .store
            .may_read_media(origin.tenant_id, origin.user_id, media_id)
            .await
            .map_err(unavailable)?
    {
        return Err(not_found());
    }
    if !kinds.is_empty() && !kinds.contains(&m.kind.as_str()) {
        return Err((
            Code::BadFrame,
            format!(
                "media {media_id} is a {} where {} is needed",
                m.kind,
                kinds.join(" or ")
            ),
        ));
    }
    Ok(m)
}

fn image_object(m: &entity::media::Model) -> Value {
    json!({
        "mediaId": Id(m.media_id), "mime": m.mime, "size": m.size,
        "width": m.width, "height": m.height,
        "thumb": m.thumb_key.as_ref().map(|_| json!({
            "mediaId": Id(m.media_id), "width": m.thumb_width, "height": m.thumb_height,
        })),
    })
}

/// The media `claim` names, checked, as the message will carry it.
pub async fn resolve(
    state: &AppState,
    origin: &Origin,
    claim: &Claim,
) -> Result<MessageMedia, Refusal> {
    let object = match claim {
        Claim::Image { media_id } => {
            image_object(&upload_of(state, origin, *media_id, &["image"]).await?)
        }
        Claim::File { media_id, name } => {
            let m = upload_of(state, origin, *media_id, &[]).await?;
            json!({"mediaId": Id(m.media_id), "name": name.clone().or(m.name), "size": m.size, "mime": m.mime})
        }
        Claim::Voice {
            media_id,
            duration_ms,
        } => {
            let m = upload_of(state, origin, *media_id, &["audio"]).await?;
            json!({"mediaId": Id(m.media_id), "durationMs": duration_ms, "size": m.size, "mime": m.mime})
        }
        Claim::Video {
            media_id,
            duration_ms,
            poster,
        } => {
            let m = upload_of(state, origin, *media_id, &["video"]).await?;
            let poster = match poster {
                Some(p) => Some(image_object(
                    &upload_of(state, origin, *p, &["image"]).await?,
                )),
                None => None,
            };
            json!({"mediaId": Id(m.media_id), "durationMs": duration_ms, "size": m.size,
                   "mime": m.mime, "poster": poster})
        }
        Claim::Link {
            url,
            title,
            description,
        } => {
            json!({"url": url, "title": title, "description": description})
        }
        Claim::Location {
            latitude,
            longitude,
            name,
            address,
        } => {
            json!({"latitude": latitude, "longitude": longitude, "name": name, "address": address})
        }
    };
    Ok(MessageMedia::of(object))
}
