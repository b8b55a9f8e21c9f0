//! A user's inbox and subscriptions, one core for every protocol: ABP's routes
//! (`/api/notifications/my-notifilers`, `/my-subscribes`), the native ones
//! (`/api/im/notifications`) and the notifications hub's methods call these.

use serde::Serialize;
use uuid::Uuid;

use crate::http::error::{ApiError, Validator};
use crate::protocol::Notification;
use crate::state::AppState;
use crate::store::{InboxFilter, InboxItem, READ, UNREAD};

/// Whose inbox: a tenant and a user.
pub type Owner = (Option<Uuid>, Uuid);

/// A page of an inbox, with the unread count.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InboxPage {
    pub total_count: u64,
    pub items: Vec<Notification>,
}

/// A definition a user may subscribe to, as ABP's `NotificationDto` gives it.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Subscribable {
    pub name: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub lifetime: i32,
    #[serde(rename = "type")]
    pub kind: i32,
    pub content_type: i32,
}

/// A group of subscribable definitions, as ABP's `NotificationGroupDto` gives it.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscribableGroup {
    pub name: String,
    pub display_name: Option<String>,
    pub notifications: Vec<Subscribable>,
}

fn wire(tenant_id: Option<Uuid>, item: InboxItem) -> Notification {
    Notification {
        tenant_id,
        name: item.notification_name,
        id: item.notification_id.to_string(),
        data: item
            .extra_properties
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or_else(|| serde_json::json!({})),
        creation_time: item.creation_time,
        lifetime: 0,
        kind: item.kind,
        content_type: item.content_type,
        severity: item.severity,
        state: Some(item.read_status),
    }
}

/// A read state as a client names it: ABP's 0 (read) or 1 (unread).
pub fn read_state(value: i32) -> Result<i32, ApiError> {
    Validator::default()
        .check(
            matches!(value, READ | UNREAD),
            "state",
            "the read state is 0 (read) or 1 (unread)",
        )
        .finish()?;
    Ok(value)
}

/// A page of `owner`'s notifications, newest first.
pub async fn page(
    state: &AppState,
    owner: Owner,
    read_status: Option<i32>,
    skip: u64,
    take: u64,
) -> Result<InboxPage, ApiError> {
    let read_status = read_status.map(read_state).transpose()?;
    let filter = InboxFilter {
        read_status,
        skip,
        take,
    };
    let (total_count, items) = state.store.inbox(owner.0, owner.1, filter).await?;
    Ok(InboxPage {
        total_count,
        items: items.into_iter().map(|i| wire(owner.0, i)).collect(),
    })
}

/// One of `owner`'s notifications.
pub async fn one(state: &AppState, owner: Owner, id: i64) -> Result<Notification, ApiError> {
    match state.store.inbox_item(owner.0, owner.1, id).await? {
        Some(item) => Ok(wire(owner.0, item)),
        None => Err(ApiError::not_found("no such notification in the inbox")),
    }
}

/// How many of `owner`'s notifications are unread.
pub async fn unread(state: &AppState, owner: Owner) -> Result<u64, ApiError> {
    Ok(state.store.unread_notifications(owner.0, owner.1).await?)
}

/// Marks notifications `ids` read (0) or unread (1); how many changed.
pub async fn mark(
    state: &AppState,
    owner: Owner,
    ids: &[i64],
    read_status: i32,
) -> Result<u64, ApiError> {
    let read_status = read_state(read_status)?;
    Validator::default()
        .check(ids.len() <= 1000, "idList", "at most 1000 ids at a time")
        .finish()?;
    Ok(state
        .store
        .mark_notifications(owner.0, owner.1, ids, read_status)
        .await?)
}

/// Removes notification `id` from `owner`'s inbox.
pub async fn delete(state: &AppState, owner: Owner, id: i64) -> Result<(), ApiError> {
    if state.store.delete_from_inbox(owner.0, owner.1, id).await? {
        Ok(())
    } else {
        Err(ApiError::not_found("no such notification in the inbox"))
    }
}

/// A page of the names `owner` is subscribed to.
pub async fn subscriptions(
    state: &AppState,
    owner: Owner,
    skip: u64,
    take: u64,
) -> Result<(u64, Vec<String>), ApiError> {
    Ok(state
        .store
        .subscriptions(owner.0, owner.1, skip, take)
        .await?)
}

/// Whether `owner` is subscribed to `name`.
pub async fn is_subscribed(state: &AppState, owner: Owner, name: &str) -> Result<bool, ApiError> {
    Ok(state.store.is_subscribed(owner.0, owner.1, name).await?)
}

/// Subscribes `owner` to `name`, which must exist and allow clients to subscribe (itself and
/// its group).
pub async fn subscribe(
    state: &AppState,
    owner: Owner,
    user_name: &str,
    name: &str,
) -> Result<(), ApiError> {
    let Some(definition) = state.store.notification_definition(name).await? else {
        return Err(ApiError::not_found(format!(
            "no notification is defined under the name `{name}`"
        )));
    };
    let group_allows = state
        .store
        .notification_group(&definition.group_name)
        .await?
        .is_none_or(|g| g.allow_subscription_to_clients);
    if !(definition.allow_subscription_to_clients && group_allows) {
        return Err(ApiError::forbidden(format!(
            "clients may not subscribe to `{name}`"
        )));
    }
    Ok(state
        .store
        .subscribe(owner.0, owner.1, user_name, name)
        .await?)
}

/// Unsubscribes `owner` from `name` (not subscribed is no change).
pub async fn unsubscribe(state: &AppState, owner: Owner, name: &str) -> Result<(), ApiError> {
    state.store.unsubscribe(owner.0, owner.1, name).await?;
    Ok(())
}

/// The definitions clients may subscribe to, by group (ABP's "assignables").
pub async fn subscribable(state: &AppState) -> Result<Vec<SubscribableGroup>, ApiError> {
    let groups = state.store.notification_groups().await?;
    let definitions = state.store.notification_definitions(None).await?;
    Ok(groups
        .into_iter()
        .filter(|g| g.allow_subscription_to_clients)
        .map(|g| SubscribableGroup {
            notifications: definitions
                .iter()
                .filter(|d| d.group_name == g.name && d.allow_subscription_to_clients)
                .map(|d| Subscribable {
                    name: d.name.clone(),
                    display_name: d.display_name.clone(),
                    description: d.description.clone(),
                    lifetime: d.notification_lifetime,
                    kind: d.notification_type,
                    content_type: d.content_type,
                })
                .collect(),
            name: g.name,
            display_name: g.display_name,
        })
        .collect())
}
