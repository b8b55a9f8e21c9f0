//! The group itself: create, find, read, change, dismiss, hand over.

use actix_web::{delete, get, post, put, web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::*;
use crate::chat::rules::groups::{max_fits, may_administer, may_own, may_transfer};
use crate::http::error::{ApiError, Validator};
use crate::http::paging::{Page, Paging};
use crate::store::{GroupUpdate, MentionAll, NewGroup};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct GroupBody {
    /// Required to create.
    #[schema(
        min_length = 1,
        max_length = 20,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\u061C\\uFEFF]*[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\u061C\\uFEFF][^\\u0000-\\u001F\\u007F-\\u009F\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\u061C\\uFEFF]*$"
    )]
    name: Option<String>,
    #[schema(max_length = 64, pattern = "^[^\\u0000]*$")]
    notice: Option<String>,
    #[schema(max_length = 128, pattern = "^[^\\u0000]*$")]
    description: Option<String>,
    #[schema(
        max_length = 128,
        pattern = "^([Hh][Tt][Tt][Pp][Ss]?://[^\\s\\u0000-\\u001F\\u007F-\\u009F]+)?$"
    )]
    avatar_url: Option<String>,
    /// At least 2 and the group's member count; at most `limits.max_group_size`.
    #[schema(minimum = 2)]
    max_user_count: Option<i32>,
    allow_anonymous: Option<bool>,
    allow_send_message: Option<bool>,
    /// Who may mention everyone (`@all`): `owner`, `admins` (the default) or `members`.
    #[schema(pattern = "^(owner|admins|members)$")]
    mention_all: Option<String>,
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
            .check(
                self.mention_all
                    .as_deref()
                    .is_none_or(|m| MentionAll::parse(m).is_some()),
                "mentionAll",
                "`mentionAll` must be `owner`, `admins` or `members`",
            )
            .finish()
    }
}

#[utoipa::path(tag = "groups", operation_id = "groups_create", responses((status = 201, description = "created"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/im/groups")]
pub(super) async fn create(
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
        mention_all: b.mention_all.as_deref().and_then(MentionAll::parse),
        ..Default::default()
    };
    change(&state, &me, group_id, GroupChange::Update(rest), |_| {
        Ok::<(), ApiError>(())
    })
    .await?;
    state.delivery.reload_user(&(me.tenant_id, me.user_id));
    Ok(HttpResponse::Created().json(dto(&state, &me, group_id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchQuery {
    #[serde(default)]
    #[param(pattern = "^[^\\u0000]*$")]
    filter: String,
}

#[utoipa::path(tag = "groups", operation_id = "groups_search", params(Paging, SearchQuery), responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[get("/api/im/groups/search")]
pub(super) async fn search(
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
pub(super) async fn get_group(
    state: web::Data<AppState>,
    me: Identity,
    path: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(dto(&state, &me, path.into_inner().0).await?))
}

#[utoipa::path(tag = "groups", operation_id = "groups_update", params(("group_id" = String, Path, description = "the group id (decimal)")), responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[put("/api/im/groups/{group_id}")]
pub(super) async fn update(
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
        mention_all: b.mention_all.as_deref().and_then(MentionAll::parse),
    };
    change(&state, &me, group, GroupChange::Update(u), |f| {
        may_administer(f, me.user_id)?;
        Validator::default()
            .check(
                max_fits(f, max),
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
pub(super) async fn dismiss(
    state: web::Data<AppState>,
    me: Identity,
    path: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    let group = path.into_inner().0;
    let f = change(&state, &me, group, GroupChange::Dismiss, |f| {
        may_own(f, me.user_id)
    })
    .await?
    .ok_or_else(|| ApiError::from(Code::GroupNotFound))?;
    changed(&state, &me, group, None);
    for user in &f.members {
        state.delivery.reload_user(&(me.tenant_id, *user));
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

#[utoipa::path(tag = "groups", operation_id = "groups_transfer", params(("group_id" = String, Path, description = "the group id (decimal)")), responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[put("/api/im/groups/{group_id}/owner")]
pub(super) async fn transfer(
    state: web::Data<AppState>,
    me: Identity,
    path: web::Path<Id>,
    body: web::Json<UserBody>,
) -> Result<HttpResponse, ApiError> {
    let group = path.into_inner().0;
    let to = body.user_id;
    change(&state, &me, group, GroupChange::Transfer { to }, |f| {
        may_transfer(f, me.user_id, to)
    })
    .await?
    .ok_or_else(|| ApiError::not_found("the new owner must be a member"))?;
    changed(&state, &me, group, None);
    Ok(HttpResponse::Ok().json(dto(&state, &me, group).await?))
}
