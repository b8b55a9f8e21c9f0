//! ABP's notification routes (`/api/notifications`): my notifications (paged, by read state),
//! marking them read or unread, deleting one; my subscriptions; the definitions clients may
//! subscribe to; and sending one (for services). Each calls `notifications::inbox`, as the
//! native routes and the notifications hub do.

use actix_web::{delete, get, post, put, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::error::ApiError;
use super::paging::{Page, Paging};
use crate::auth::Identity;
use crate::notifications::{inbox, Publication};
use crate::state::AppState;

fn owner(me: &Identity) -> inbox::Owner {
    (me.tenant_id, me.user_id)
}

/// ABP's `UserNotificationGetByPagedDto`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub(super) struct InboxQuery {
    /// 0 read, 1 unread; all when absent.
    #[serde(default)]
    pub read_state: Option<i32>,
    #[serde(default)]
    pub skip_count: u64,
    #[serde(default = "ten")]
    pub max_result_count: u64,
}

fn ten() -> u64 {
    10
}

impl InboxQuery {
    pub(super) fn window(&self) -> (u64, u64) {
        Paging {
            skip_count: self.skip_count,
            max_result_count: self.max_result_count,
        }
        .window()
    }
}

#[utoipa::path(tag = "notifications", operation_id = "abp_my_notifications", params(InboxQuery), responses((status = 200, description = "{totalCount, items}: ABP's UserNotificationDto, newest first"), (status = "4XX", description = "the error body with its code")))]
#[get("/api/notifications/my-notifilers")]
async fn my_notifications(
    me: Identity,
    state: web::Data<AppState>,
    query: web::Query<InboxQuery>,
) -> Result<HttpResponse, ApiError> {
    let (skip, take) = query.window();
    let page = inbox::page(&state, owner(&me), query.read_state, skip, take).await?;
    Ok(HttpResponse::Ok().json(page))
}

#[utoipa::path(tag = "notifications", operation_id = "abp_my_notification", responses((status = 200, description = "one UserNotificationDto"), (status = 404, description = "not in my inbox")))]
#[get("/api/notifications/my-notifilers/{id}")]
async fn my_notification(
    me: Identity,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let item = inbox::one(&state, owner(&me), path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(item))
}

/// ABP's `NotificationMarkReadStateInput`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct MarkBody {
    /// Notification ids (numbers or strings).
    #[schema(value_type = Vec<String>, max_items = 1000)]
    id_list: Vec<crate::protocol::Id>,
    /// 0 read (the default), 1 unread.
    #[serde(default)]
    state: i32,
}

#[utoipa::path(tag = "notifications", operation_id = "abp_mark_read_state", request_body = MarkBody, responses((status = 204, description = "marked"), (status = "4XX", description = "the error body with its code")))]
#[put("/api/notifications/my-notifilers/mark-read-state")]
async fn mark_read_state(
    me: Identity,
    state: web::Data<AppState>,
    body: web::Json<MarkBody>,
) -> Result<HttpResponse, ApiError> {
    let ids: Vec<i64> = body.id_list.iter().map(|i| i.0).collect();
    inbox::mark(&state, owner(&me), &ids, body.state).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(tag = "notifications", operation_id = "abp_delete_notification", responses((status = 204, description = "deleted from my inbox"), (status = 404, description = "not in my inbox")))]
#[delete("/api/notifications/my-notifilers/{id}")]
async fn delete_notification(
    me: Identity,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    inbox::delete(&state, owner(&me), path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(tag = "notifications", operation_id = "abp_my_subscriptions_all", responses((status = 200, description = "{items: [{name}]}")))]
#[get("/api/notifications/my-subscribes/all")]
async fn all_subscriptions(
    me: Identity,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (_, names) = inbox::subscriptions(&state, owner(&me), 0, 10_000).await?;
    let items: Vec<_> = names
        .into_iter()
        .map(|name| json!({ "name": name }))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[utoipa::path(tag = "notifications", operation_id = "abp_my_subscriptions", params(Paging), responses((status = 200, description = "{totalCount, items: [{name}]}")))]
#[get("/api/notifications/my-subscribes")]
async fn subscriptions(
    me: Identity,
    state: web::Data<AppState>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    let (skip, take) = paging.window();
    let (total_count, names) = inbox::subscriptions(&state, owner(&me), skip, take).await?;
    Ok(HttpResponse::Ok().json(Page {
        total_count,
        items: names
            .into_iter()
            .map(|name| json!({ "name": name }))
            .collect(),
    }))
}

#[utoipa::path(tag = "notifications", operation_id = "abp_is_subscribed", responses((status = 200, description = "{isSubscribed}")))]
#[get("/api/notifications/my-subscribes/is-subscribed/{name}")]
async fn is_subscribed(
    me: Identity,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let yes = inbox::is_subscribed(&state, owner(&me), &path).await?;
    Ok(HttpResponse::Ok().json(json!({ "isSubscribed": yes })))
}

/// ABP's `SubscriptionsGetByNameDto`.
#[derive(Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct NameBody {
    #[schema(min_length = 1, max_length = 100)]
    name: String,
}

#[utoipa::path(tag = "notifications", operation_id = "abp_subscribe", request_body = NameBody, responses((status = 204, description = "subscribed"), (status = 403, description = "clients may not subscribe to it"), (status = 404, description = "no such definition")))]
#[post("/api/notifications/my-subscribes")]
async fn subscribe(
    me: Identity,
    state: web::Data<AppState>,
    body: web::Json<NameBody>,
) -> Result<HttpResponse, ApiError> {
    inbox::subscribe(&state, owner(&me), &me.user_name, &body.name).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(tag = "notifications", operation_id = "abp_unsubscribe", params(NameBody), responses((status = 204, description = "unsubscribed")))]
#[delete("/api/notifications/my-subscribes")]
async fn unsubscribe(
    me: Identity,
    state: web::Data<AppState>,
    query: web::Query<NameBody>,
) -> Result<HttpResponse, ApiError> {
    inbox::unsubscribe(&state, owner(&me), &query.name).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(tag = "notifications", operation_id = "abp_assignables", responses((status = 200, description = "{items: [NotificationGroupDto]}: the definitions clients may subscribe to")))]
#[get("/api/notifications/assignables")]
async fn assignables(_me: Identity, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let items = inbox::subscribable(&state).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// ABP's `NotificationSendDto`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct SendBody {
    name: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    data: serde_json::Value,
    #[serde(default)]
    to_users: Vec<UserIdentifier>,
    #[serde(default)]
    severity: Option<i16>,
}

/// ABP's `UserIdentifier`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct UserIdentifier {
    user_id: Uuid,
}

#[utoipa::path(tag = "notifications", operation_id = "abp_send_notification", request_body = SendBody, responses((status = 204, description = "published"), (status = 403, description = "needs role service or admin"), (status = 404, description = "no such definition")))]
#[post("/api/notifications")]
async fn send(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<SendBody>,
) -> Result<HttpResponse, ApiError> {
    let tenant = super::push::publisher_tenant(&req, &state, None).await?;
    let body = body.into_inner();
    let publication = Publication {
        name: body.name,
        data: body.data,
        severity: body.severity,
        to: None,
        user_ids: body.to_users.into_iter().map(|u| u.user_id).collect(),
        tenant_id: tenant,
        expires_in_seconds: None,
    };
    crate::notifications::publish(&state, publication).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Registers the routes of this file.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(mark_read_state)
        .service(my_notifications)
        .service(my_notification)
        .service(delete_notification)
        .service(all_subscriptions)
        .service(is_subscribed)
        .service(subscriptions)
        .service(subscribe)
        .service(unsubscribe)
        .service(assignables)
        .service(send);
}
