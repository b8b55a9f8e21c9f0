//! `/api/im/my-friends`: friend requests and friendships, ABP's routes and codes. Every change
//! reaches the running user actors at once (a friend just removed cannot send the next second)
//! and the other party gets a `notice`.

use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::error::{ApiError, Validator};
use super::paging::{Page, Paging};
use super::users::UserCard;
use crate::auth::Identity;
use crate::protocol::Code;
use crate::state::AppState;
use crate::store::{FriendChange, FriendEntry, FriendOutcome, FriendUpdate, FRIEND_ADDED};

/// A friend as ABP's `UserFriend` shows one: the card and my side of the friendship.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserFriend {
    friend_id: Uuid,
    remark_name: Option<String>,
    black: bool,
    dont_disturb: bool,
    special_focus: bool,
    /// The friend's card, with `online`.
    #[serde(flatten)]
    card: Option<UserCard>,
}

/// A pending request to me.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FriendRequest {
    user_id: Uuid,
    /// What the requester wrote (the card has its own `description`).
    request_description: Option<String>,
    creation_time: DateTime<Utc>,
    #[serde(flatten)]
    card: Option<UserCard>,
}

fn friend_of(entry: FriendEntry, state: &AppState) -> UserFriend {
    UserFriend {
        friend_id: entry.row.frient_id,
        remark_name: entry.row.remark_name,
        black: entry.row.black.unwrap_or(false),
        dont_disturb: entry.row.dont_disturb.unwrap_or(false),
        special_focus: entry.row.special_focus.unwrap_or(false),
        card: entry.card.map(|c| UserCard::of(c, state)),
    }
}

/// Both users' actors reload what they know of each other.
fn reload_pair(state: &AppState, tenant: Option<Uuid>, a: Uuid, b: Uuid) {
    state.delivery.reload_user(&(tenant, a));
    state.delivery.reload_user(&(tenant, b));
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct AddRequest {
    friend_id: Uuid,
    #[schema(
        max_length = 256,
        pattern = "^([^\\u0000-\\u001F\\u007F-\\u009F\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\u061C\\uFEFF]*[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\u061C\\uFEFF][^\\u0000-\\u001F\\u007F-\\u009F\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\u061C\\uFEFF]*)?$"
    )]
    remark_name: Option<String>,
    #[schema(max_length = 50, pattern = "^[^\\u0000]*$")]
    description: Option<String>,
}

#[utoipa::path(tag = "friends", operation_id = "friends_add_request", responses((status = 201, description = "created"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/im/my-friends/add-request")]
async fn add_request(
    state: web::Data<AppState>,
    me: Identity,
    body: web::Json<AddRequest>,
) -> Result<HttpResponse, ApiError> {
    befriend_or_ask(state, me, body.into_inner()).await
}

/// ABP's `CreateAsync`. Upstream it makes a friendship without the other's consent; here it
/// accepts the other's pending request, or asks (as `add-request` does).
#[utoipa::path(tag = "friends", operation_id = "friends_create", responses((status = 201, description = "created"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/im/my-friends")]
async fn create(
    state: web::Data<AppState>,
    me: Identity,
    body: web::Json<AddRequest>,
) -> Result<HttpResponse, ApiError> {
    befriend_or_ask(state, me, body.into_inner()).await
}

/// Befriends at once when the target asked first or takes friends without review, else asks.
async fn befriend_or_ask(
    state: web::Data<AppState>,
    me: Identity,
    b: AddRequest,
) -> Result<HttpResponse, ApiError> {
    Validator::default()
        .check(
            b.friend_id != me.user_id,
            "friendId",
            "you cannot befriend yourself",
        )
        .label(b.remark_name.as_deref(), "remarkName", 256)
        .text(b.description.as_deref(), "description", 50)
        .finish()?;
    ApiError::check_creation(&state, &me)?;
    let (tenant, friend) = (me.tenant_id, b.friend_id);
    let target = state.store.user_facts(tenant, friend).await?;
    if !target.exists {
        return Err(Code::UserNotFound.into());
    }
    let settings = target.settings;
    if settings.is_some_and(|s| !s.allow_add_friend) {
        return Err(Code::RefusesFriends.into());
    }
    // They asked me first, or they take friends without review: we are friends now.
    let ask = FriendChange::Ask {
        remark_name: b.remark_name,
        description: b.description.clone(),
        direct: settings.is_some_and(|s| !s.require_add_friend_validation),
    };
    let outcome = state
        .store
        .change_friendship(tenant, me.user_id, friend, ask)
        .await?;
    let who = json!({"userId": me.user_id, "userName": me.user_name, "description": b.description});
    let direct = match outcome {
        FriendOutcome::Befriended => true,
        FriendOutcome::Asked => false,
        _ => return Err(Code::AlreadyFriends.into()),
    };
    if direct {
        reload_pair(&state, tenant, me.user_id, friend);
        state.delivery.notify(
            &(tenant, friend),
            "friend.accepted",
            json!({"userId": me.user_id, "userName": me.user_name, "code": 205}),
        );
        state.delivery.notify(
            &(tenant, me.user_id),
            "friend.accepted",
            json!({"userId": friend, "code": 205}),
        );
    } else {
        crate::notifications::record(
            state.clone().into_inner(),
            tenant,
            crate::notifications::Audience::Users,
            vec![friend],
            crate::notifications::builtin::FRIEND_REQUEST,
            json!({"title": "Friend request", "message": format!("{} wants to be your friend", me.user_name),
                   "formUser": me.user_name, "code": 203, "from": who.clone()}),
        );
        state.delivery.notify(
            &(tenant, friend),
            "friend.request",
            json!({"code": 203, "from": who}),
        );
    }
    Ok(HttpResponse::Created()
        .json(json!({"friendId": friend, "status": if direct { 1 } else { 0 }})))
}

#[utoipa::path(tag = "friends", operation_id = "friends_requests", params(Paging), responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[get("/api/im/my-friends/requests")]
async fn requests(
    state: web::Data<AppState>,
    me: Identity,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    let (skip, take) = paging.window();
    let (total, rows) = state
        .store
        .friend_requests(me.tenant_id, me.user_id, skip, take)
        .await?;
    let items = rows
        .into_iter()
        .map(|e| FriendRequest {
            user_id: e.row.user_id,
            request_description: e.row.description,
            creation_time: e.row.creation_time,
            card: e.card.map(|c| UserCard::of(c, &state)),
        })
        .collect();
    Ok(HttpResponse::Ok().json(Page {
        total_count: total,
        items,
    }))
}

#[utoipa::path(tag = "friends", operation_id = "friends_decide", responses((status = 204, description = "done"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[put("/api/im/my-friends/requests/{user_id}/{decision}")]
async fn decide(
    state: web::Data<AppState>,
    me: Identity,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (requester, decision) = path.into_inner();
    let tenant = me.tenant_id;
    let (change, kind, code) = match decision.as_str() {
        "accept" => (FriendChange::Accept, "friend.accepted", 205),
        "reject" => (FriendChange::Reject, "friend.rejected", 207),
        _ => return Err(ApiError::not_found("a request is accepted or rejected")),
    };
    // Under the pair's lock: of an accept and a reject at once, one finds the request, the
    // other finds it gone (404), and the requester hears one outcome.
    let outcome = state
        .store
        .change_friendship(tenant, me.user_id, requester, change)
        .await?;
    if outcome == FriendOutcome::Nothing {
        return Err(ApiError::not_found("no pending request from this user"));
    }
    if outcome == FriendOutcome::Befriended {
        reload_pair(&state, tenant, requester, me.user_id);
    }
    let who = json!({"userId": me.user_id, "userName": me.user_name});
    state
        .delivery
        .notify(&(tenant, requester), kind, json!({"code": code, "by": who}));
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    #[param(pattern = "^[^\\u0000]*$")]
    filter: Option<String>,
}

#[utoipa::path(tag = "friends", operation_id = "friends_list", params(Paging, ListQuery), responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[get("/api/im/my-friends")]
async fn list(
    state: web::Data<AppState>,
    me: Identity,
    paging: web::Query<Paging>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (skip, take) = paging.window();
    let (total, rows) = state
        .store
        .friends(
            me.tenant_id,
            me.user_id,
            query.filter.as_deref(),
            skip,
            take,
        )
        .await?;
    let items = rows.into_iter().map(|e| friend_of(e, &state)).collect();
    Ok(HttpResponse::Ok().json(Page {
        total_count: total,
        items,
    }))
}

#[utoipa::path(tag = "friends", operation_id = "friends_all", responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[get("/api/im/my-friends/all")]
async fn all(state: web::Data<AppState>, me: Identity) -> Result<HttpResponse, ApiError> {
    let (_, rows) = state
        .store
        .friends(me.tenant_id, me.user_id, None, 0, u64::MAX)
        .await?;
    let items: Vec<UserFriend> = rows.into_iter().map(|e| friend_of(e, &state)).collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

async fn one(state: &AppState, me: &Identity, friend: Uuid) -> Result<UserFriend, ApiError> {
    let row = state
        .store
        .friend_row(me.tenant_id, me.user_id, friend)
        .await?
        .filter(|r| r.status == FRIEND_ADDED);
    let row = row.ok_or_else(|| ApiError::not_found("not a friend"))?;
    let card = state.store.card(me.tenant_id, friend).await?;
    Ok(friend_of(FriendEntry { row, card }, state))
}

#[utoipa::path(tag = "friends", operation_id = "friends_get_one", responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[get("/api/im/my-friends/{friend_id}")]
async fn get_one(
    state: web::Data<AppState>,
    me: Identity,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(one(&state, &me, path.into_inner()).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct UpdateBody {
    #[schema(
        max_length = 256,
        pattern = "^([^\\u0000-\\u001F\\u007F-\\u009F\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\u061C\\uFEFF]*[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\u061C\\uFEFF][^\\u0000-\\u001F\\u007F-\\u009F\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\u061C\\uFEFF]*)?$"
    )]
    remark_name: Option<String>,
    black: Option<bool>,
    dont_disturb: Option<bool>,
    special_focus: Option<bool>,
}

#[utoipa::path(tag = "friends", operation_id = "friends_update", responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[put("/api/im/my-friends/{friend_id}")]
async fn update(
    state: web::Data<AppState>,
    me: Identity,
    path: web::Path<Uuid>,
    body: web::Json<UpdateBody>,
) -> Result<HttpResponse, ApiError> {
    let (friend, b) = (path.into_inner(), body.into_inner());
    Validator::default()
        .label(b.remark_name.as_deref(), "remarkName", 256)
        .finish()?;
    let update = FriendUpdate {
        remark_name: b.remark_name,
        black: b.black,
        dont_disturb: b.dont_disturb,
        special_focus: b.special_focus,
    };
    if !state
        .store
        .update_friend(me.tenant_id, me.user_id, friend, update)
        .await?
    {
        return Err(ApiError::not_found("not a friend"));
    }
    state.delivery.reload_user(&(me.tenant_id, me.user_id));
    Ok(HttpResponse::Ok().json(one(&state, &me, friend).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct RemoveQuery {
    friend_id: Uuid,
}

#[utoipa::path(tag = "friends", operation_id = "friends_remove", params(RemoveQuery), responses((status = 204, description = "done"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[delete("/api/im/my-friends")]
async fn remove(
    state: web::Data<AppState>,
    me: Identity,
    query: web::Query<RemoveQuery>,
) -> Result<HttpResponse, ApiError> {
    let friend = query.friend_id;
    let outcome = state
        .store
        .change_friendship(me.tenant_id, me.user_id, friend, FriendChange::Remove)
        .await?;
    if outcome == FriendOutcome::Nothing {
        return Err(ApiError::not_found("not a friend"));
    }
    reload_pair(&state, me.tenant_id, me.user_id, friend);
    Ok(HttpResponse::NoContent().finish())
}

/// Registers the routes of this file (fixed paths before `{friend_id}`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(add_request)
        .service(create)
        .service(requests)
        .service(decide)
        .service(list)
        .service(all)
        .service(get_one)
        .service(update)
        .service(remove);
}
