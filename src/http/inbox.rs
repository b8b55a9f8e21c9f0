//! The native notification routes (`/api/im/notifications`): my inbox with its unread count,
//! marking read or unread, deleting, and my subscriptions. The same core as ABP's routes
//! (`notifications::inbox`), in this API's style.

use actix_web::{delete, get, post, put, web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::notifications::InboxQuery;
use crate::auth::Identity;
use crate::notifications::inbox;
use crate::state::AppState;
use crate::store::{READ, UNREAD};

fn owner(me: &Identity) -> inbox::Owner {
    (me.tenant_id, me.user_id)
}

#[utoipa::path(tag = "notifications", operation_id = "my_inbox", params(InboxQuery), responses((status = 200, description = "{totalCount, unread, items}: newest first"), (status = "4XX", description = "the error body with its code")))]
#[get("/api/im/notifications")]
async fn list(
    me: Identity,
    state: web::Data<AppState>,
    query: web::Query<InboxQuery>,
) -> Result<HttpResponse, ApiError> {
    let (skip, take) = query.window();
    let page = inbox::page(&state, owner(&me), query.read_state, skip, take).await?;
    let unread = inbox::unread(&state, owner(&me)).await?;
    Ok(HttpResponse::Ok().json(json!({
        "totalCount": page.total_count, "unread": unread, "items": page.items,
    })))
}

#[utoipa::path(tag = "notifications", operation_id = "my_inbox_unread", responses((status = 200, description = "{unread}")))]
#[get("/api/im/notifications/unread")]
async fn unread_count(me: Identity, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let unread = inbox::unread(&state, owner(&me)).await?;
    Ok(HttpResponse::Ok().json(json!({ "unread": unread })))
}

/// Which notifications to mark, and how.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct MarkBody {
    #[schema(value_type = Vec<String>, max_items = 1000)]
    ids: Vec<crate::protocol::Id>,
    /// true (the default): read; false: unread again.
    #[serde(default = "yes")]
    read: bool,
}

fn yes() -> bool {
    true
}

#[utoipa::path(tag = "notifications", operation_id = "my_inbox_mark", request_body = MarkBody, responses((status = 200, description = "{changed, unread}"), (status = "4XX", description = "the error body with its code")))]
#[post("/api/im/notifications/read")]
async fn mark(
    me: Identity,
    state: web::Data<AppState>,
    body: web::Json<MarkBody>,
) -> Result<HttpResponse, ApiError> {
    let ids: Vec<i64> = body.ids.iter().map(|i| i.0).collect();
    let to = if body.read { READ } else { UNREAD };
    let changed = inbox::mark(&state, owner(&me), &ids, to).await?;
    let unread = inbox::unread(&state, owner(&me)).await?;
    Ok(HttpResponse::Ok().json(json!({ "changed": changed, "unread": unread })))
}

#[utoipa::path(tag = "notifications", operation_id = "my_inbox_delete", responses((status = 204, description = "deleted"), (status = 404, description = "not in my inbox")))]
#[delete("/api/im/notifications/{id}")]
async fn remove(
    me: Identity,
    state: web::Data<AppState>,
    path: web::Path<crate::protocol::Id>,
) -> Result<HttpResponse, ApiError> {
    inbox::delete(&state, owner(&me), path.into_inner().0).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(tag = "notifications", operation_id = "my_notification_subscriptions", responses((status = 200, description = "{items: [name]}: what I am subscribed to; {subscribable}: groups of what I may subscribe to")))]
#[get("/api/im/notifications/subscriptions")]
async fn subscriptions(me: Identity, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, names) = inbox::subscriptions(&state, owner(&me), 0, 10_000).await?;
    let subscribable = inbox::subscribable(&state).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": names, "subscribable": subscribable })))
}

#[utoipa::path(tag = "notifications", operation_id = "my_notification_subscribe", responses((status = 204, description = "subscribed"), (status = 403, description = "clients may not subscribe to it"), (status = 404, description = "no such definition")))]
#[put("/api/im/notifications/subscriptions/{name}")]
async fn subscribe(
    me: Identity,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    inbox::subscribe(&state, owner(&me), &me.user_name, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(tag = "notifications", operation_id = "my_notification_unsubscribe", responses((status = 204, description = "unsubscribed")))]
#[delete("/api/im/notifications/subscriptions/{name}")]
async fn unsubscribe(
    me: Identity,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    inbox::unsubscribe(&state, owner(&me), &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Registers the routes of this file.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(unread_count)
        .service(mark)
        .service(subscriptions)
        .service(subscribe)
        .service(unsubscribe)
        .service(remove);
}
