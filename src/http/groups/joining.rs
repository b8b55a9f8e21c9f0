//! Asking to join a group, and the admins' answer.

use actix_web::{get, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::*;
use crate::chat::rules::groups::{may_accept, may_administer, may_join};
use crate::http::error::{ApiError, Validator};
use crate::http::paging::{Page, Paging};
use crate::store::StoreError;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct JoinBody {
    group_id: Id,
    #[serde(default)]
    #[schema(max_length = 256, pattern = "^[^\\u0000]*$")]
    join_info: Option<String>,
}

#[utoipa::path(tag = "groups", operation_id = "groups_join", responses((status = 201, description = "created"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/im/user-groups/join")]
pub(super) async fn join(
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
    let rule = |f: &GroupFacts| may_join(f, me.user_id);
    let f = match state
        .store
        .change_group(me.tenant_id, group, me.user_id, asked, rule)
        .await
    {
        Err(StoreError::Conflict) => return Err(conflict("you already asked to join")),
        other => outcome(other?)?.ok_or_else(|| ApiError::from(Code::GroupNotFound))?,
    };
    let data = json!({"code": 204, "groupId": Id(group), "userId": me.user_id, "userName": me.user_name, "joinInfo": b.join_info});
    let deciders: std::collections::HashSet<_> =
        f.admins.iter().chain(std::iter::once(&f.owner)).collect();
    crate::notifications::record(
        state.clone().into_inner(),
        me.tenant_id,
        crate::notifications::Audience::Users,
        deciders.iter().map(|a| **a).collect(),
        crate::notifications::builtin::GROUP_JOIN_REQUEST,
        json!({"title": "Request to join a group", "message": format!("{} asks to join the group", me.user_name),
               "formUser": me.user_name, "code": 204, "groupId": Id(group), "userId": me.user_id,
               "joinInfo": b.join_info.clone()}),
    );
    for admin in deciders {
        state
            .delivery
            .notify(&(me.tenant_id, *admin), "group.joinRequest", data.clone());
    }
    Ok(HttpResponse::Created().json(json!({"groupId": Id(group), "status": 0})))
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
pub(super) async fn requests(
    state: web::Data<AppState>,
    me: Identity,
    paging: web::Query<Paging>,
    query: web::Query<GroupQuery>,
) -> Result<HttpResponse, ApiError> {
    let group = query.group_id.0;
    may_administer(&facts(&state, &me, group).await?, me.user_id)?;
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
    #[schema(max_length = 256, pattern = "^[^\\u0000]*$")]
    reject_reason: Option<String>,
}

#[utoipa::path(tag = "groups", operation_id = "groups_accept", responses((status = 204, description = "done"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[put("/api/im/user-groups/accept")]
pub(super) async fn accept(
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
        if b.allow_accept {
            may_accept(f, me.user_id, user)
        } else {
            may_administer(f, me.user_id)
        }
    })
    .await?
    .ok_or_else(|| ApiError::not_found("no pending request from this user"))?;
    let key = (me.tenant_id, user);
    if b.allow_accept {
        changed(&state, &me, group, Some(user));
        state.delivery.notify(
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
        state.delivery.notify(
            &key,
            "group.joinRejected",
            json!({"code": 207, "groupId": Id(group), "reason": b.reject_reason}),
        );
    }
    Ok(HttpResponse::NoContent().finish())
}
