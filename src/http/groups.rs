//! `/api/im/groups` and `/api/im/user-groups`: groups, joining, members, admins, silencing,
//! the blacklist (ABP's routes where it has them). Every change reaches the group's actor at
//! once, and the notices of the API spec go out.

use actix_web::http::StatusCode;
use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use entity::chat_group;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::error::{ApiError, Validator};
use super::paging::{Page, Paging};
use crate::auth::Identity;
use crate::chat::group_rules::{is_admin, may_accept, may_ban, may_remove, Refused};
use crate::protocol::{Code, Id};
use crate::state::AppState;
use crate::store::{Changed, GroupChange, GroupFacts, GroupUpdate, NewGroup, StoreError};

/// A group as ABP's `Group` DTO shows it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Group {
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
}

fn group_dto(g: chat_group::Model, count: u64) -> Group {
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
    }
}

/// The group's facts for a read, or 404 `02404`.
async fn facts(state: &AppState, me: &Identity, group: i64) -> Result<GroupFacts, ApiError> {
    state
        .store
        .group_facts(me.tenant_id, group)
        .await?
        .ok_or_else(|| Code::GroupNotFound.into())
}

/// Applies `change` by the caller if `rule` allows it on the group's facts as they are under
/// the group's lock: the facts as they were before, or `None` when what it acts on was not
/// there (no pending request, not a member, not banned). No group: 404 `02404`.
async fn change(
    state: &AppState,
    me: &Identity,
    group: i64,
    change: GroupChange,
    rule: impl FnOnce(&GroupFacts) -> Result<(), ApiError>,
) -> Result<Option<GroupFacts>, ApiError> {
    let changed = state
        .store
        .change_group(me.tenant_id, group, me.user_id, change, rule)
        .await?;
    outcome(changed)
}

/// A change's outcome as a route answers it.
fn outcome(changed: Changed<ApiError>) -> Result<Option<GroupFacts>, ApiError> {
    match changed {
        Changed::Done(f) => Ok(Some(f)),
        Changed::Nothing(_) => Ok(None),
        Changed::Refused(e) => Err(e),
        Changed::NoGroup => Err(Code::GroupNotFound.into()),
    }
}

fn is_full(f: &GroupFacts) -> bool {
    f.members.len() as i64 >= i64::from(f.max_user_count)
}

fn group_full() -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "IM:GroupFull", "the group is full")
}

fn conflict(message: &'static str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "IM:Conflict", message)
}

/// A group rule's refusal as a route answers it.
fn refusal(r: Refused) -> ApiError {
    match r.code {
        Code::Forbidden => ApiError::forbidden(r.reason),
        code => code.into(),
    }
}

fn require_admin(f: &GroupFacts, me: &Identity) -> Result<(), ApiError> {
    if is_admin(f, me.user_id) {
        Ok(())
    } else {
        Err(ApiError::forbidden("only the group's admins may do that"))
    }
}

fn require_owner(f: &GroupFacts, me: &Identity) -> Result<(), ApiError> {
    if f.owner == me.user_id {
        Ok(())
    } else {
        Err(ApiError::forbidden("only the group's owner may do that"))
    }
}

/// Sends a notice to every member in `f` (as it was before the change, so a member who just
/// left or was removed hears it too).
fn notify_members(
    state: &AppState,
    me: &Identity,
    f: &GroupFacts,
    kind: &str,
    data: serde_json::Value,
) {
    for user in &f.members {
        state.notify(&(me.tenant_id, *user), kind, data.clone());
    }
}

/// The group's actor and `user`'s actor reload what changed.
fn changed(state: &AppState, me: &Identity, group: i64, user: Option<Uuid>) {
    state.reload_group(&(me.tenant_id, group));
    if let Some(user) = user {
        state.reload_user(&(me.tenant_id, user));
    }
}

async fn dto(state: &AppState, me: &Identity, group: i64) -> Result<Group, ApiError> {
    let row = state
        .store
        .group_row(me.tenant_id, group)
        .await?
        .ok_or_else(|| ApiError::from(Code::GroupNotFound))?;
    let count = state.store.member_count(me.tenant_id, group).await?;
    Ok(group_dto(row, count))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct GroupBody {
    name: Option<String>,
    notice: Option<String>,
    description: Option<String>,
    avatar_url: Option<String>,
    max_user_count: Option<i32>,
    allow_anonymous: Option<bool>,
    allow_send_message: Option<bool>,
}

impl GroupBody {
    /// Create and update share one set of rules; create also needs a name.
    fn validate(&self, state: &AppState, creating: bool) -> Result<(), ApiError> {
        let max = state.config.limits.max_group_size as i32;
        Validator::default()
            .check(
                !creating || self.name.is_some(),
                "name",
                "`name` is required",
            )
            .name(self.name.as_deref(), "name", 20)
            .text(self.notice.as_deref(), "notice", 64)
            .text(self.description.as_deref(), "description", 128)
            .http_url(self.avatar_url.as_deref(), "avatarUrl", 128)
            .check(
                self.max_user_count.is_none_or(|m| (2..=max).contains(&m)),
                "maxUserCount",
                format!("`maxUserCount` must be between 2 and {max}"),
            )
            .finish()
    }
}

#[utoipa::path(tag = "groups", operation_id = "groups_create", responses((status = 201, description = "created"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/im/groups")]
async fn create(
    state: web::Data<AppState>,
    me: Identity,
    body: web::Json<GroupBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    b.validate(&state, true)?;
    ApiError::check_creation(&state, &me)?;
    let group_id = state.ids.next_id();
    let new = NewGroup {
        tenant_id: me.tenant_id,
        group_id,
        owner: me.user_id,
        name: b.name.clone().unwrap_or_default(),
        max_user_count: b
            .max_user_count
            .unwrap_or(state.config.limits.default_group_size as i32),
        allow_anonymous: b.allow_anonymous.unwrap_or(false),
        allow_send_message: b.allow_send_message.unwrap_or(true),
    };
    state.store.create_group(new).await?;
    let rest = GroupUpdate {
        notice: b.notice,
        description: b.description,
        avatar_url: b.avatar_url,
        ..Default::default()
    };
    change(&state, &me, group_id, GroupChange::Update(rest), |_| Ok(())).await?;
    state.reload_user(&(me.tenant_id, me.user_id));
    Ok(HttpResponse::Created().json(dto(&state, &me, group_id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchQuery {
    #[serde(default)]
    filter: String,
}

#[utoipa::path(tag = "groups", operation_id = "groups_search", params(Paging, SearchQuery), responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[get("/api/im/groups/search")]
async fn search(
    state: web::Data<AppState>,
    me: Identity,
    paging: web::Query<Paging>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let (skip, take) = paging.window();
    let (total, rows) = state
        .store
        .search_groups(me.tenant_id, &query.filter, skip, take)
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for g in rows {
        let count = state.store.member_count(me.tenant_id, g.group_id).await?;
        items.push(group_dto(g, count));
    }
    Ok(HttpResponse::Ok().json(Page {
        total_count: total,
        items,
    }))
}

#[utoipa::path(tag = "groups", operation_id = "groups_get_group", params(("group_id" = String, Path, description = "the group id (decimal)")), responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[get("/api/im/groups/{group_id}")]
async fn get_group(
    state: web::Data<AppState>,
    me: Identity,
    path: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(dto(&state, &me, path.into_inner().0).await?))
}

#[utoipa::path(tag = "groups", operation_id = "groups_update", params(("group_id" = String, Path, description = "the group id (decimal)")), responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[put("/api/im/groups/{group_id}")]
async fn update(
    state: web::Data<AppState>,
    me: Identity,
    path: web::Path<Id>,
    body: web::Json<GroupBody>,
) -> Result<HttpResponse, ApiError> {
    let group = path.into_inner().0;
    let b = body.into_inner();
    b.validate(&state, false)?;
    let max = b.max_user_count;
    let u = GroupUpdate {
        name: b.name,
        notice: b.notice,
        description: b.description,
        avatar_url: b.avatar_url,
        max_user_count: b.max_user_count,
        allow_anonymous: b.allow_anonymous,
        allow_send_message: b.allow_send_message,
    };
    change(&state, &me, group, GroupChange::Update(u), |f| {
        require_admin(f, &me)?;
        Validator::default()
            .check(
                max.is_none_or(|m| m as usize >= f.members.len()),
                "maxUserCount",
                "`maxUserCount` may not be below the group's member count",
            )
            .finish()
    })
    .await?;
    changed(&state, &me, group, None);
    Ok(HttpResponse::Ok().json(dto(&state, &me, group).await?))
}

#[utoipa::path(tag = "groups", operation_id = "groups_dismiss", params(("group_id" = String, Path, description = "the group id (decimal)")), responses((status = 204, description = "done"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[delete("/api/im/groups/{group_id}")]
async fn dismiss(
    state: web::Data<AppState>,
    me: Identity,
    path: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    let group = path.into_inner().0;
    let f = change(&state, &me, group, GroupChange::Dismiss, |f| {
        require_owner(f, &me)
    })
    .await?
    .ok_or_else(|| ApiError::from(Code::GroupNotFound))?;
    changed(&state, &me, group, None);
    for user in &f.members {
        state.reload_user(&(me.tenant_id, *user));
    }
    notify_members(
        &state,
        &me,
        &f,
        "group.dismissed",
        json!({"groupId": Id(group), "name": f.name}),
    );
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct JoinBody {
    group_id: Id,
    #[serde(default)]
    join_info: Option<String>,
}

#[utoipa::path(tag = "groups", operation_id = "groups_join", responses((status = 201, description = "created"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/im/user-groups/join")]
async fn join(
    state: web::Data<AppState>,
    me: Identity,
    body: web::Json<JoinBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    Validator::default()
        .text(b.join_info.as_deref(), "joinInfo", 256)
        .finish()?;
    let group = b.group_id.0;
    ApiError::check_creation(&state, &me)?;
    let asked = GroupChange::Join {
        info: b.join_info.clone(),
    };
    let rule = |f: &GroupFacts| {
        if f.blacklist.contains(&me.user_id) {
            return Err(ApiError::from(Code::GroupBanned));
        }
        if f.members.contains(&me.user_id) {
            return Err(conflict("you are already a member"));
        }
        if is_full(f) {
            return Err(group_full());
        }
        Ok(())
    };
    let f = match state
        .store
        .change_group(me.tenant_id, group, me.user_id, asked, rule)
        .await
    {
        Err(StoreError::Conflict) => return Err(conflict("you already asked to join")),
        other => outcome(other?)?.ok_or_else(|| ApiError::from(Code::GroupNotFound))?,
    };
    let data = json!({"code": 204, "groupId": Id(group), "userId": me.user_id, "userName": me.user_name, "joinInfo": b.join_info});
    for admin in f
        .admins
        .iter()
        .chain(std::iter::once(&f.owner))
        .collect::<std::collections::HashSet<_>>()
    {
        state.notify(&(me.tenant_id, *admin), "group.joinRequest", data.clone());
    }
    Ok(HttpResponse::Created().json(json!({"groupId": Id(group), "status": 0})))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct GroupQuery {
    group_id: Id,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JoinRequest {
    user_id: Uuid,
    join_info: Option<String>,
    creation_time: DateTime<Utc>,
}

#[utoipa::path(tag = "groups", operation_id = "groups_requests", params(Paging, GroupQuery), responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[get("/api/im/user-groups/requests")]
async fn requests(
    state: web::Data<AppState>,
    me: Identity,
    paging: web::Query<Paging>,
    query: web::Query<GroupQuery>,
) -> Result<HttpResponse, ApiError> {
    let group = query.group_id.0;
    require_admin(&facts(&state, &me, group).await?, &me)?;
    let (skip, take) = paging.window();
    let (total, rows) = state
        .store
        .join_requests(me.tenant_id, group, skip, take)
        .await?;
    let items = rows
        .into_iter()
        .map(|r| JoinRequest {
            user_id: r.user_id,
            join_info: r.join_info,
            creation_time: r.creation_time,
        })
        .collect();
    Ok(HttpResponse::Ok().json(Page {
        total_count: total,
        items,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct AcceptBody {
    user_id: Uuid,
    group_id: Id,
    allow_accept: bool,
    reject_reason: Option<String>,
}

#[utoipa::path(tag = "groups", operation_id = "groups_accept", responses((status = 204, description = "done"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[put("/api/im/user-groups/accept")]
async fn accept(
    state: web::Data<AppState>,
    me: Identity,
    body: web::Json<AcceptBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let group = b.group_id.0;
    Validator::default()
        .text(b.reject_reason.as_deref(), "rejectReason", 256)
        .finish()?;
    let user = b.user_id;
    let decision = if b.allow_accept {
        GroupChange::Accept { user }
    } else {
        GroupChange::Reject {
            user,
            reason: b.reject_reason.clone(),
        }
    };
    let f = change(&state, &me, group, decision, |f| {
        require_admin(f, &me)?;
        if !b.allow_accept {
            return Ok(());
        }
        may_accept(f, me.user_id, user).map_err(refusal)?;
        if f.members.contains(&user) {
            return Err(conflict("the user is already a member"));
        }
        if is_full(f) {
            return Err(group_full());
        }
        Ok(())
    })
    .await?
    .ok_or_else(|| ApiError::not_found("no pending request from this user"))?;
    let key = (me.tenant_id, user);
    if b.allow_accept {
        changed(&state, &me, group, Some(user));
        state.notify(
            &key,
            "group.joinAccepted",
            json!({"code": 206, "groupId": Id(group), "name": f.name}),
        );
        notify_members(
            &state,
            &me,
            &f,
            "group.memberJoined",
            json!({"groupId": Id(group), "userId": user}),
        );
    } else {
        state.notify(
            &key,
            "group.joinRejected",
            json!({"code": 207, "groupId": Id(group), "reason": b.reject_reason}),
        );
    }
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct MemberBody {
    user_id: Uuid,
    group_id: Id,
}

#[utoipa::path(tag = "groups", operation_id = "groups_remove", responses((status = 204, description = "done"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[put("/api/im/user-groups/remove")]
async fn remove(
    state: web::Data<AppState>,
    me: Identity,
    body: web::Json<MemberBody>,
) -> Result<HttpResponse, ApiError> {
    let (group, user) = (body.group_id.0, body.user_id);
    let f = change(&state, &me, group, GroupChange::Remove { user }, |f| {
        may_remove(f, me.user_id, user).map_err(refusal)
    })
    .await?
    .ok_or_else(|| ApiError::not_found("not a member"))?;
    changed(&state, &me, group, Some(user));
    notify_members(
        &state,
        &me,
        &f,
        "group.memberRemoved",
        json!({"groupId": Id(group), "userId": user, "by": me.user_id}),
    );
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct LeaveQuery {
    group_id: Id,
}

#[utoipa::path(tag = "groups", operation_id = "groups_leave", params(LeaveQuery), responses((status = 204, description = "done"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[delete("/api/im/user-groups/me")]
async fn leave(
    state: web::Data<AppState>,
    me: Identity,
    query: web::Query<LeaveQuery>,
) -> Result<HttpResponse, ApiError> {
    let group = query.group_id.0;
    let me_out = GroupChange::Remove { user: me.user_id };
    let f = change(&state, &me, group, me_out, |f| {
        if f.owner == me.user_id {
            return Err(ApiError::forbidden(
                "the owner transfers the group or dismisses it first",
            ));
        }
        Ok(())
    })
    .await?
    .ok_or_else(|| ApiError::from(Code::NotGroupMember))?;
    changed(&state, &me, group, Some(me.user_id));
    notify_members(
        &state,
        &me,
        &f,
        "group.memberLeft",
        json!({"groupId": Id(group), "userId": me.user_id}),
    );
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct MemberUpdate {
    group_id: Id,
    user_id: Uuid,
    is_admin: Option<bool>,
    /// A time to silence until; `null` lifts a silence; absent leaves it.
    #[serde(default, deserialize_with = "present")]
    silence_end: Option<Option<DateTime<Utc>>>,
    nick_name: Option<String>,
}

/// Tells a field sent as `null` (Some(None)) from one not sent at all (None).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[utoipa::path(tag = "groups", operation_id = "groups_update_member", responses((status = 204, description = "done"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[put("/api/im/user-groups/members")]
async fn update_member(
    state: web::Data<AppState>,
    me: Identity,
    body: web::Json<MemberUpdate>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let group = b.group_id.0;
    Validator::default()
        .label(b.nick_name.as_deref(), "nickName", 256)
        .finish()?;
    let user = b.user_id;
    let (is_admin, silence_end, nick_name) = (b.is_admin, b.silence_end, b.nick_name);
    let card = GroupChange::Member {
        user,
        is_admin,
        silence_end,
        nick_name: nick_name.clone(),
    };
    let f = change(&state, &me, group, card, |f| {
        if !f.members.contains(&user) {
            return Err(ApiError::not_found("not a member"));
        }
        if is_admin.is_some() {
            require_owner(f, &me)?;
        }
        if silence_end.is_some() {
            require_admin(f, &me)?;
            if user == f.owner {
                return Err(ApiError::forbidden("nobody silences the owner"));
            }
        }
        if nick_name.is_some() && user != me.user_id {
            return Err(ApiError::forbidden("members set their own nickname"));
        }
        Ok(())
    })
    .await?
    .ok_or_else(|| ApiError::not_found("not a member"))?;
    changed(&state, &me, group, None);
    if let Some(until) = silence_end {
        notify_members(
            &state,
            &me,
            &f,
            "group.silenced",
            json!({"groupId": Id(group), "userId": user, "until": until, "by": me.user_id}),
        );
    }
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct UserBody {
    user_id: Uuid,
}

#[utoipa::path(tag = "groups", operation_id = "groups_transfer", params(("group_id" = String, Path, description = "the group id (decimal)")), responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[put("/api/im/groups/{group_id}/owner")]
async fn transfer(
    state: web::Data<AppState>,
    me: Identity,
    path: web::Path<Id>,
    body: web::Json<UserBody>,
) -> Result<HttpResponse, ApiError> {
    let group = path.into_inner().0;
    let to = body.user_id;
    change(&state, &me, group, GroupChange::Transfer { to }, |f| {
        require_owner(f, &me)?;
        if !f.members.contains(&to) {
            return Err(ApiError::not_found("the new owner must be a member"));
        }
        Ok(())
    })
    .await?
    .ok_or_else(|| ApiError::not_found("the new owner must be a member"))?;
    changed(&state, &me, group, None);
    Ok(HttpResponse::Ok().json(dto(&state, &me, group).await?))
}

#[utoipa::path(tag = "groups", operation_id = "groups_ban", params(("group_id" = String, Path, description = "the group id (decimal)")), responses((status = 201, description = "created"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/im/groups/{group_id}/blacks")]
async fn ban(
    state: web::Data<AppState>,
    me: Identity,
    path: web::Path<Id>,
    body: web::Json<UserBody>,
) -> Result<HttpResponse, ApiError> {
    let (group, user) = (path.into_inner().0, body.user_id);
    let f = change(&state, &me, group, GroupChange::Ban { user }, |f| {
        may_ban(f, me.user_id, user).map_err(refusal)
    })
    .await?
    .ok_or_else(|| ApiError::from(Code::GroupNotFound))?;
    changed(&state, &me, group, Some(user));
    if f.members.contains(&user) {
        notify_members(
            &state,
            &me,
            &f,
            "group.memberRemoved",
            json!({"groupId": Id(group), "userId": user, "by": me.user_id, "banned": true}),
        );
    }
    Ok(HttpResponse::Created().finish())
}

#[utoipa::path(tag = "groups", operation_id = "groups_unban", responses((status = 204, description = "done"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[delete("/api/im/groups/{group_id}/blacks/{user_id}")]
async fn unban(
    state: web::Data<AppState>,
    me: Identity,
    path: web::Path<(Id, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (Id(group), user) = path.into_inner();
    change(&state, &me, group, GroupChange::Unban { user }, |f| {
        require_admin(f, &me)
    })
    .await?
    .ok_or_else(|| ApiError::not_found("not banned"))?;
    changed(&state, &me, group, None);
    Ok(HttpResponse::NoContent().finish())
}

/// A member as `GET /user-groups` lists them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GroupMember {
    user_id: Uuid,
    nick_name: Option<String>,
    is_admin: bool,
    is_super_admin: bool,
    silence_end: Option<DateTime<Utc>>,
    online: bool,
    join_time: DateTime<Utc>,
}

#[utoipa::path(tag = "groups", operation_id = "groups_members", params(Paging, GroupQuery), responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[get("/api/im/user-groups")]
async fn members(
    state: web::Data<AppState>,
    me: Identity,
    paging: web::Query<Paging>,
    query: web::Query<GroupQuery>,
) -> Result<HttpResponse, ApiError> {
    let group = query.group_id.0;
    let f = facts(&state, &me, group).await?;
    if !f.members.contains(&me.user_id) {
        return Err(ApiError::from(Code::NotGroupMember));
    }
    let (skip, take) = paging.window();
    let (total, rows) = state.store.members(me.tenant_id, group, skip, take).await?;
    let items = rows
        .into_iter()
        .map(|m| GroupMember {
            user_id: m.user_id,
            nick_name: m.card.as_ref().and_then(|c| c.nick_name.clone()),
            is_admin: is_admin(&f, m.user_id),
            is_super_admin: f.owner == m.user_id,
            silence_end: m.card.and_then(|c| c.silence_end),
            online: state.is_online(&(me.tenant_id, m.user_id)),
            join_time: m.joined,
        })
        .collect();
    Ok(HttpResponse::Ok().json(Page {
        total_count: total,
        items,
    }))
}

#[utoipa::path(tag = "groups", operation_id = "groups_my_groups", responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[get("/api/im/user-groups/me")]
async fn my_groups(state: web::Data<AppState>, me: Identity) -> Result<HttpResponse, ApiError> {
    let mut items = Vec::new();
    for g in state.store.groups_of(me.tenant_id, me.user_id).await? {
        let count = state.store.member_count(me.tenant_id, g.group_id).await?;
        items.push(group_dto(g, count));
    }
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// Registers the routes of this file (fixed paths before `{group_id}`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create)
        .service(search)
        .service(get_group)
        .service(update)
        .service(dismiss)
        .service(transfer)
        .service(ban)
        .service(unban)
        .service(join)
        .service(requests)
        .service(accept)
        .service(remove)
        .service(leave)
        .service(update_member)
        .service(my_groups)
        .service(members);
}
