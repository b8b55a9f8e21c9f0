//! Publishing a notification: checked against its definition, stored once, put in each
//! recipient's inbox (in batches), sent live to their sessions, and offered to the push
//! hand-off. HTTP (`/api/push/notifications`, ABP's `POST /api/notifications`), Redis
//! (`<namespace>.notifications`) and the server itself (social events) all publish here.

use chrono::Duration;
use entity::notification;
use serde::Deserialize;
use uuid::Uuid;

use crate::http::error::{ApiError, Validator};
use crate::protocol::{Notification, ServerFrame};
use crate::state::AppState;

/// Who a publication reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Audience {
    /// The users `userIds` names.
    Users,
    /// Every user of the tenant subscribed to the definition.
    Subscribers,
    /// Every user of the tenant.
    Tenant,
}

/// A notification to publish.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Publication {
    /// The definition's name.
    #[schema(min_length = 1, max_length = 64)]
    pub name: String,
    /// What the notification says (ABP's `NotificationData`): any JSON object.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// 0 success, 10 info (the default), 20 warn, 30 error, 40 fatal.
    #[serde(default)]
    pub severity: Option<i16>,
    /// `users` (the default when `userIds` is given), `subscribers` (otherwise) or `tenant`.
    #[serde(default)]
    pub to: Option<Audience>,
    #[serde(default)]
    pub user_ids: Vec<Uuid>,
    /// The tenant it is for (a tenant's own token may name only its own).
    #[serde(default)]
    pub tenant_id: Option<Uuid>,
    /// How long it stays in inboxes; `notifications.expire_days` when not given.
    #[serde(default)]
    pub expires_in_seconds: Option<u64>,
}

/// What a publication did.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Published {
    /// The notification's id.
    pub id: String,
    /// How many inboxes it went to.
    pub recipients: usize,
}

/// The most users one publication may name in `userIds`.
pub const MAX_NAMED_USERS: usize = 10_000;

impl Publication {
    fn check(&self) -> Result<(), ApiError> {
        Validator::default()
            .length(&self.name, "name", 1, 64)
            .check(
                self.data.is_object() || self.data.is_null(),
                "data",
                "`data` must be a JSON object",
            )
            .check(
                self.severity.is_none_or(|s| super::SEVERITIES.contains(&s)),
                "severity",
                "`severity` is one of 0, 10, 20, 30, 40",
            )
            .check(
                self.user_ids.len() <= MAX_NAMED_USERS,
                "userIds",
                format!("at most {MAX_NAMED_USERS} users"),
            )
            .check(
                self.to != Some(Audience::Users) || !self.user_ids.is_empty(),
                "userIds",
                "`to: users` needs `userIds`",
            )
            .check(
                self.expires_in_seconds
                    .is_none_or(|s| (1..=10 * 365 * 86_400).contains(&s)),
                "expiresInSeconds",
                "between 1 second and 10 years",
            )
            .finish()
    }

    fn audience(&self) -> Audience {
        self.to.unwrap_or(if self.user_ids.is_empty() {
            Audience::Subscribers
        } else {
            Audience::Users
        })
    }
}

/// Publishes `p` (its `tenant_id` already checked against the publisher's reach).
pub async fn publish(state: &AppState, p: Publication) -> Result<Published, ApiError> {
    p.check()?;
    let store = &state.store;
    let Some(definition) = store.notification_definition(&p.name).await? else {
        return Err(ApiError::not_found(format!(
            "no notification is defined under the name `{}`",
            p.name
        )));
    };
    let tenant = p.tenant_id;
    let mut users = match p.audience() {
        Audience::Users => p.user_ids.clone(),
        Audience::Subscribers => store.subscribers(tenant, &p.name).await?,
        Audience::Tenant => store.tenant_users(tenant).await?,
    };
    users.sort_unstable();
    users.dedup();
    let now = crate::state::now_millis();
    let expires = match p.expires_in_seconds {
        Some(s) => now + Duration::seconds(s as i64),
        None => now + Duration::days(state.config.notifications.expire_days as i64),
    };
    let id = state.ids.next_id();
    let data = if p.data.is_null() {
        serde_json::json!({})
    } else {
        p.data.clone()
    };
    let severity = p.severity.unwrap_or(10);
    store
        .store_notification(notification::Model {
            id: 0,
            tenant_id: tenant,
            severity,
            r#type: definition.notification_type,
            content_type: definition.content_type,
            notification_id: id,
            notification_name: p.name.clone(),
            notification_type_name: super::DATA_TYPE_NAME.into(),
            expiration_time: Some(expires),
            creation_time: now,
            extra_properties: Some(data.to_string()),
        })
        .await?;
    store.add_to_inboxes(tenant, id, &users).await?;
    let live = Notification {
        tenant_id: tenant,
        name: p.name.clone(),
        id: id.to_string(),
        data,
        creation_time: now,
        lifetime: definition.notification_lifetime,
        kind: definition.notification_type,
        content_type: definition.content_type,
        severity,
        state: None,
    };
    let keys: Vec<_> = users.iter().map(|u| (tenant, *u)).collect();
    let text = ServerFrame::Notification {
        notification: live.clone(),
    }
    .to_text();
    state.delivery.deliver(&keys, &text, None);
    crate::metrics::metrics().notifications_published.inc();
    state
        .push_jobs
        .offer_notification(&state.delivery.supervisor, &keys, &live);
    Ok(Published {
        id: id.to_string(),
        recipients: users.len(),
    })
}

/// Records a social event the server itself tells users of (a friend request, a request to
/// join a group, a system notice) as a notification under a built-in name, in the background:
/// the event has happened whatever becomes of its notification.
pub fn record(
    state: std::sync::Arc<AppState>,
    tenant_id: Option<Uuid>,
    to: Audience,
    user_ids: Vec<Uuid>,
    name: &str,
    data: serde_json::Value,
) {
    let publication = Publication {
        name: name.to_string(),
        data,
        severity: None,
        to: Some(to),
        user_ids,
        tenant_id,
        expires_in_seconds: None,
    };
    actix_rt::spawn(async move {
        if let Err(e) = publish(&state, publication).await {
            tracing::warn!(code = e.code.as_str(), message = %e.message, "a built-in notification was not recorded");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn publication(v: serde_json::Value) -> Publication {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn the_audience_and_the_fields_are_checked() {
        let one = Uuid::new_v4();
        assert_eq!(
            publication(json!({"name": "A"})).audience(),
            Audience::Subscribers
        );
        let named = publication(json!({"name": "A", "userIds": [one]}));
        assert_eq!(named.audience(), Audience::Users);
        assert!(named.check().is_ok());
        let tenant = publication(json!({"name": "A", "to": "tenant"}));
        assert_eq!(tenant.audience(), Audience::Tenant);
        for bad in [
            json!({"name": ""}),
            json!({"name": "A", "data": [1]}),
            json!({"name": "A", "severity": 3}),
            json!({"name": "A", "to": "users"}),
            json!({"name": "A", "expiresInSeconds": 0}),
        ] {
            assert!(publication(bad.clone()).check().is_err(), "{bad}");
        }
    }
}
