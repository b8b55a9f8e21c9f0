//! A group's members: removal, leaving, cards (admins, silences, nicknames), bans, and the
//! member lists.

use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::*;
use crate::chat::rules::groups::{
    is_admin, may_administer, may_ban, may_change_member, may_leave, may_remove, MemberChange,
};
use crate::http::error::{ApiError, Validator};
use crate::http::paging::{Page, Paging};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct MemberBody {
    user_id: Uuid,
    group_id: Id,
}

#[utoipa::path(tag = "groups", operation_id = "groups_remove", responses((status = 204, description = "done"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[put("/api/im/user-groups/remove")]
pub(super) async fn remove(
    state: web::Data<AppState>,
    me: Identity,
    body: web::Json<MemberBody>,
) -> Result<HttpResponse, ApiError> {
    let (group, user) = (body.group_id.0, body.user_id);
    let f = change(&state, &me, group, GroupChange::Remove { user }, |f| {
        may_remove(f, me.user_id, user)
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
pub(super) async fn leave(
    state: web::Data<AppState>,
    me: Identity,
    query: web::Query<LeaveQuery>,
) -> Result<HttpResponse, ApiError> {
    let group = query.group_id.0;
    let me_out = GroupChange::Remove { user: me.user_id };
    let f = change(&state, &me, group, me_out, |f| may_leave(f, me.user_id))
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
    #[schema(
        max_length = 256,
        pattern = "^([^\\u0000-\\u001F\\u007F-\\u009F\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\u061C\\uFEFF]*[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\u061C\\uFEFF][^\\u0000-\\u001F\\u007F-\\u009F\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\u061C\\uFEFF]*)?$"
    )]
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
pub(super) async fn update_member(
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
        let touches = MemberChange {
            admin: is_admin.is_some(),
            silence: silence_end.is_some(),
            nickname: nick_name.is_some(),
        };
        may_change_member(f, me.user_id, user, touches)
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

#[utoipa::path(tag = "groups", operation_id = "groups_ban", params(("group_id" = String, Path, description = "the group id (decimal)")), responses((status = 201, description = "created"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/im/groups/{group_id}/blacks")]
pub(super) async fn ban(
    state: web::Data<AppState>,
    me: Identity,
    path: web::Path<Id>,
    body: web::Json<UserBody>,
) -> Result<HttpResponse, ApiError> {
    let (group, user) = (path.into_inner().0, body.user_id);
    let f = change(&state, &me, group, GroupChange::Ban { user }, |f| {
        may_ban(f, me.user_id, user)
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
pub(super) async fn unban(
    state: web::Data<AppState>,
    me: Identity,
    path: web::Path<(Id, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (Id(group), user) = path.into_inner();
    change(&state, &me, group, GroupChange::Unban { user }, |f| {
        may_administer(f, me.user_id)
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
pub(super) async fn members(
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
            online: state.delivery.is_online(&(me.tenant_id, m.user_id)),
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
pub(super) async fn my_groups(
    state: web::Data<AppState>,
    me: Identity,
) -> Result<HttpResponse, ApiError> {
    let mut items = Vec::new();
    for g in state.store.groups_of(me.tenant_id, me.user_id).await? {
        let count = state.store.member_count(me.tenant_id, g.group_id).await?;
        items.push(group_dto(g, count));
    }
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}
