//! `/api/im/groups` and `/api/im/user-groups`: groups, joining, members, admins, silencing,
//! the blacklist (ABP's routes where it has them), split as the store splits them: the group
//! itself (`lifecycle`), asking to join (`joining`), and its members (`members`). Every change
//! is one locked transaction (`store::change_group`) under the rules of `chat::rules::groups`;
//! it reaches the group's actor at once, and the notices of the API spec go out.

pub(super) mod joining;
pub(super) mod lifecycle;
pub(super) mod members;

use actix_web::web;
use entity::chat_group;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::ApiError;
use crate::auth::Identity;
use crate::chat::rules::groups::Refused;
use crate::protocol::{Code, Id};
use crate::state::AppState;
use crate::store::{Changed, GroupChange, GroupFacts};

/// A group as ABP's `Group` DTO shows it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Group {
    id: Id,
    name: String,
    avatar_url: Option<String>,
    notice: Option<String>,
    description: Option<String>,
    allow_anonymous: bool,
    allow_send_message: bool,
    max_user_length: i32,
    group_user_count: u64,
    admin_user_id: Uuid,
    /// Who may mention everyone: `owner`, `admins` or `members` (one group's read only).
    #[serde(skip_serializing_if = "Option::is_none")]
    mention_all: Option<&'static str>,
}

pub(super) fn group_dto(g: chat_group::Model, count: u64) -> Group {
    Group {
        id: Id(g.group_id),
        name: g.name,
        avatar_url: g.avatar_url,
        notice: g.notice,
        description: g.description,
        allow_anonymous: g.allow_anonymous,
        allow_send_message: g.allow_send_message,
        max_user_length: g.max_user_count,
        group_user_count: count,
        admin_user_id: g.admin_user_id,
        mention_all: None,
    }
}

/// The group's facts for a read, or 404 `02404`.
pub(super) async fn facts(
    state: &AppState,
    me: &Identity,
    group: i64,
) -> Result<GroupFacts, ApiError> {
    state
        .store
        .group_facts(me.tenant_id, group)
        .await?
        .ok_or_else(|| Code::GroupNotFound.into())
}

/// Applies `change` by the caller if `rule` allows it on the group's facts as they are under
/// the group's lock: the facts as they were before, or `None` when what it acts on was not
/// there (no pending request, not a member, not banned). No group: 404 `02404`.
pub(super) async fn change<E: Into<ApiError>>(
    state: &AppState,
    me: &Identity,
    group: i64,
    change: GroupChange,
    rule: impl FnOnce(&GroupFacts) -> Result<(), E>,
) -> Result<Option<GroupFacts>, ApiError> {
    let changed = state
        .store
        .change_group(me.tenant_id, group, me.user_id, change, rule)
        .await?;
    outcome(changed)
}

/// A change's outcome as a route answers it.
pub(super) fn outcome<E: Into<ApiError>>(
    changed: Changed<E>,
) -> Result<Option<GroupFacts>, ApiError> {
    match changed {
        Changed::Done(f) => Ok(Some(*f)),
        Changed::Nothing => Ok(None),
        Changed::Refused(e) => Err(e.into()),
        Changed::NoGroup => Err(Code::GroupNotFound.into()),
    }
}

pub(super) fn conflict(message: &'static str) -> ApiError {
    ApiError::new(Code::Conflict, message)
}

impl From<Refused> for ApiError {
    /// A group rule's refusal as a route answers it: ABP's codes with ABP's text, this
    /// product's with the rule's reason.
    fn from(r: Refused) -> Self {
        if r.code.is_business() {
            r.code.into()
        } else {
            ApiError::new(r.code, r.reason)
        }
    }
}

/// Sends a notice to every member in `f` (as it was before the change, so a member who just
/// left or was removed hears it too).
pub(super) fn notify_members(
    state: &AppState,
    me: &Identity,
    f: &GroupFacts,
    kind: &str,
    data: serde_json::Value,
) {
    for user in &f.members {
        state
            .delivery
            .notify(&(me.tenant_id, *user), kind, data.clone());
    }
}

/// The group's actor and `user`'s actor reload what changed.
pub(super) fn changed(state: &AppState, me: &Identity, group: i64, user: Option<Uuid>) {
    state.delivery.reload_group(&(me.tenant_id, group));
    if let Some(user) = user {
        state.delivery.reload_user(&(me.tenant_id, user));
    }
}

pub(super) async fn dto(state: &AppState, me: &Identity, group: i64) -> Result<Group, ApiError> {
    let row = state
        .store
        .group_row(me.tenant_id, group)
        .await?
        .ok_or_else(|| ApiError::from(Code::GroupNotFound))?;
    let count = state.store.member_count(me.tenant_id, group).await?;
    let mention_all = state.store.mention_all(group).await?;
    Ok(Group {
        mention_all: Some(mention_all.as_str()),
        ..group_dto(row, count)
    })
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub(super) struct GroupQuery {
    pub(super) group_id: Id,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct UserBody {
    pub(super) user_id: Uuid,
}

/// Registers the routes of this folder (fixed paths before `{group_id}`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(lifecycle::create)
        .service(lifecycle::search)
        .service(lifecycle::get_group)
        .service(lifecycle::update)
        .service(lifecycle::dismiss)
        .service(lifecycle::transfer)
        .service(members::ban)
        .service(members::unban)
        .service(joining::join)
        .service(joining::requests)
        .service(joining::accept)
        .service(members::remove)
        .service(members::leave)
        .service(members::update_member)
        .service(members::my_groups)
        .service(members::members);
}
