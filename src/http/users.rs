//! `/api/im/users`: my chat card and settings, another user's card, user search.

use actix_web::{get, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use entity::user_chat_card;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::{ApiError, Validator};
use super::paging::{Page, Paging};
use crate::auth::Identity;
use crate::state::AppState;
use crate::store::{CardUpdate, ChatSettings};

/// A user's chat card as clients see it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserCard {
    pub user_id: Uuid,
    pub user_name: String,
    pub nick_name: Option<String>,
    pub sex: i32,
    pub sign: Option<String>,
    pub description: Option<String>,
    pub avatar_url: Option<String>,
    pub birthday: Option<DateTime<Utc>>,
    pub age: i32,
    pub last_online_time: Option<DateTime<Utc>>,
    pub state: i32,
    pub online: bool,
}

impl UserCard {
    pub fn of(card: user_chat_card::Model, state: &AppState) -> UserCard {
        let online = state.delivery.is_online(&(card.tenant_id, card.user_id));
        UserCard {
            user_id: card.user_id,
            user_name: card.user_name,
            nick_name: card.nick_name,
            sex: card.sex,
            sign: card.sign,
            description: card.description,
            avatar_url: card.avatar_url,
            birthday: card.birthday,
            age: card.age,
            last_online_time: card.last_online_time,
            state: card.state,
            online,
        }
    }
}

/// The changes to my card.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct CardBody {
    /// A name people read; empty clears it.
    #[schema(
        max_length = 256,
        pattern = "^([^\\u0000-\\u001F\\u007F-\\u009F\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\u061C\\uFEFF]*[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\u061C\\uFEFF][^\\u0000-\\u001F\\u007F-\\u009F\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\u061C\\uFEFF]*)?$"
    )]
    nick_name: Option<String>,
    /// 0 male, 1 female, 2 other.
    #[schema(minimum = 0, maximum = 2)]
    sex: Option<i32>,
    #[schema(max_length = 30, pattern = "^[^\\u0000]*$")]
    sign: Option<String>,
    #[schema(max_length = 50, pattern = "^[^\\u0000]*$")]
    description: Option<String>,
    /// An `http` or `https` URL.
    #[schema(
        max_length = 512,
        pattern = "^([Hh][Tt][Tt][Pp][Ss]?://[^\\s\\u0000-\\u001F\\u007F-\\u009F]+)?$"
    )]
    avatar_url: Option<String>,
    birthday: Option<DateTime<Utc>>,
    #[schema(minimum = 0, maximum = 200)]
    age: Option<i32>,
}

/// Chat settings as clients see and send them (ABP's names, `Valition` and all).
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct SettingsBody {
    allow_anonymous: bool,
    allow_add_friend: bool,
    require_add_friend_valition: bool,
    allow_receive_message: bool,
    allow_send_message: bool,
    /// Whether others see what I read (group receipts, a private sender's `read`); true
    /// unless turned off. Left out of a change, it stays as it is.
    #[serde(default)]
    share_read_receipts: Option<bool>,
}

async fn card_of(state: &AppState, tenant: Option<Uuid>, user: Uuid) -> Result<UserCard, ApiError> {
    let card = state
        .store
        .card(tenant, user)
        .await?
        .ok_or_else(|| ApiError::not_found("no such user"))?;
    Ok(UserCard::of(card, state))
}

#[utoipa::path(tag = "users", operation_id = "users_my_card", responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[get("/api/im/users/me/card")]
async fn my_card(state: web::Data<AppState>, me: Identity) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(card_of(&state, me.tenant_id, me.user_id).await?))
}

#[utoipa::path(tag = "users", operation_id = "users_update_my_card", responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[put("/api/im/users/me/card")]
async fn update_my_card(
    state: web::Data<AppState>,
    me: Identity,
    body: web::Json<CardBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    Validator::default()
        .label(b.nick_name.as_deref(), "nickName", 256)
        .text(b.sign.as_deref(), "sign", 30)
        .text(b.description.as_deref(), "description", 50)
        .http_url(b.avatar_url.as_deref(), "avatarUrl", 512)
        .check(
            b.sex.is_none_or(|s| (0..=2).contains(&s)),
            "sex",
            "`sex` is 0 (male), 1 (female) or 2 (other)",
        )
        .check(
            b.age.is_none_or(|a| (0..=200).contains(&a)),
            "age",
            "`age` must be between 0 and 200",
        )
        .finish()?;
    let update = CardUpdate {
        nick_name: b.nick_name,
        sex: b.sex,
        sign: b.sign,
        description: b.description,
        avatar_url: b.avatar_url,
        birthday: b.birthday,
        age: b.age,
    };
    state
        .store
        .update_card(me.tenant_id, me.user_id, update)
        .await?;
    Ok(HttpResponse::Ok().json(card_of(&state, me.tenant_id, me.user_id).await?))
}

#[utoipa::path(tag = "users", operation_id = "users_my_settings", responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[get("/api/im/users/me/settings")]
async fn my_settings(state: web::Data<AppState>, me: Identity) -> Result<HttpResponse, ApiError> {
    let facts = state.store.user_facts(me.tenant_id, me.user_id).await?;
    let s = facts
        .settings
        .ok_or_else(|| ApiError::not_found("no chat settings"))?;
    Ok(HttpResponse::Ok().json(SettingsBody {
        allow_anonymous: s.allow_anonymous,
        allow_add_friend: s.allow_add_friend,
        require_add_friend_valition: s.require_add_friend_validation,
        allow_receive_message: s.allow_receive_message,
        allow_send_message: s.allow_send_message,
        share_read_receipts: Some(facts.shares_read_receipts),
    }))
}

#[utoipa::path(tag = "users", operation_id = "users_update_my_settings", responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[put("/api/im/users/me/settings")]
async fn update_my_settings(
    state: web::Data<AppState>,
    me: Identity,
    body: web::Json<SettingsBody>,
) -> Result<HttpResponse, ApiError> {
    let mut b = body.into_inner();
    let settings = ChatSettings {
        allow_anonymous: b.allow_anonymous,
        allow_add_friend: b.allow_add_friend,
        require_add_friend_validation: b.require_add_friend_valition,
        allow_receive_message: b.allow_receive_message,
        allow_send_message: b.allow_send_message,
    };
    state
        .store
        .update_settings(me.tenant_id, me.user_id, settings)
        .await?;
    let share = match b.share_read_receipts {
        Some(share) => {
            state
                .store
                .set_share_read_receipts(me.tenant_id, me.user_id, share)
                .await?;
            share
        }
        None => state.store.shares_read_receipts(me.user_id).await?,
    };
    b.share_read_receipts = Some(share);
    state.delivery.reload_user(&(me.tenant_id, me.user_id));
    Ok(HttpResponse::Ok().json(b))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchQuery {
    #[serde(default)]
    #[param(pattern = "^[^\\u0000]*$")]
    filter: String,
}

#[utoipa::path(tag = "users", operation_id = "users_search", params(Paging, SearchQuery), responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[get("/api/im/users/search")]
async fn search(
    state: web::Data<AppState>,
    me: Identity,
    paging: web::Query<Paging>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let (skip, take) = paging.window();
    let (total, cards) = state
        .store
        .search_cards(me.tenant_id, &query.filter, skip, take)
        .await?;
    let items = cards.into_iter().map(|c| UserCard::of(c, &state)).collect();
    Ok(HttpResponse::Ok().json(Page {
        total_count: total,
        items,
    }))
}

#[utoipa::path(tag = "users", operation_id = "users_user_card", responses((status = 200, description = "OK"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[get("/api/im/users/{user_id}/card")]
async fn user_card(
    state: web::Data<AppState>,
    me: Identity,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(card_of(&state, me.tenant_id, path.into_inner()).await?))
}

/// Registers the routes of this file (the `me` and `search` routes before `{user_id}`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(my_card)
        .service(update_my_card)
        .service(my_settings)
        .service(update_my_settings)
        .service(search)
        .service(user_card);
}
