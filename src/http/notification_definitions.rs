//! ABP's definition routes (`/api/notifications/definitions/groups` and `…/notifications`):
//! administrators list, read, create, change and remove notification groups and definitions.

use actix_web::{delete, get, post, put, web, HttpRequest, HttpResponse};
use entity::{notification_definition as def, notification_definition_group as grp};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::admin::admin;
use super::error::{ApiError, Validator};
use crate::notifications::{builtin, CONTENT_TYPES, LIFETIMES, TYPES};
use crate::state::AppState;

/// ABP's `NotificationGroupDefinitionDto` and its create/update input.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct GroupDto {
    /// From the path when updating.
    #[serde(default)]
    name: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    allow_subscription_to_clients: bool,
    /// Whether it is one of the built-in ones (read only).
    #[serde(default)]
    is_static: bool,
}

/// ABP's `NotificationDefinitionDto` and its create/update input.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct DefinitionDto {
    /// From the path when updating.
    #[serde(default)]
    name: String,
    #[serde(default)]
    group_name: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    allow_subscription_to_clients: bool,
    /// 0 persistent, 1 only once.
    #[serde(default)]
    notification_lifetime: i32,
    /// 0 application, 10 system, 20 user (the default), 30 service callback.
    #[serde(default = "user_type")]
    notification_type: i32,
    /// 0 text, 1 HTML, 2 Markdown, 3 JSON.
    #[serde(default)]
    content_type: i32,
    #[serde(default)]
    providers: Vec<String>,
    #[serde(default)]
    is_static: bool,
}

fn user_type() -> i32 {
    20
}

fn is_builtin(name: &str) -> bool {
    [
        builtin::GROUP,
        builtin::FRIEND_REQUEST,
        builtin::GROUP_JOIN_REQUEST,
        builtin::SYSTEM_NOTICE,
    ]
    .contains(&name)
}

fn group_dto(g: grp::Model) -> GroupDto {
    GroupDto {
        is_static: is_builtin(&g.name),
        name: g.name,
        display_name: g.display_name,
        description: g.description,
        allow_subscription_to_clients: g.allow_subscription_to_clients,
    }
}

fn definition_dto(d: def::Model) -> DefinitionDto {
    DefinitionDto {
        is_static: is_builtin(&d.name),
        name: d.name,
        group_name: d.group_name,
        display_name: d.display_name,
        description: d.description,
        allow_subscription_to_clients: d.allow_subscription_to_clients,
        notification_lifetime: d.notification_lifetime,
        notification_type: d.notification_type,
        content_type: d.content_type,
        providers: d
            .providers
            .unwrap_or_default()
            .split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
    }
}

fn check_group(g: &GroupDto) -> Result<(), ApiError> {
    Validator::default()
        .length(&g.name, "name", 1, 64)
        .text(g.display_name.as_deref(), "displayName", 255)
        .text(g.description.as_deref(), "description", 255)
        .finish()
}

fn check_definition(d: &DefinitionDto) -> Result<String, ApiError> {
    let providers = d.providers.join(",");
    Validator::default()
        .length(&d.name, "name", 1, 64)
        .length(&d.group_name, "groupName", 1, 64)
        .text(d.display_name.as_deref(), "displayName", 255)
        .text(d.description.as_deref(), "description", 255)
        .check(
            LIFETIMES.contains(&d.notification_lifetime),
            "notificationLifetime",
            "0 (persistent) or 1 (only once)",
        )
        .check(
            TYPES.contains(&d.notification_type),
            "notificationType",
            "one of 0, 10, 20, 30",
        )
        .check(
            CONTENT_TYPES.contains(&d.content_type),
            "contentType",
            "one of 0, 1, 2, 3",
        )
        .check(
            providers.len() <= 200,
            "providers",
            "at most 200 characters in all",
        )
        .finish()?;
    Ok(providers)
}

#[utoipa::path(tag = "notifications", operation_id = "notification_groups", responses((status = 200, description = "{items}"), (status = "4XX", description = "the error body with its code")))]
#[get("/api/notifications/definitions/groups")]
async fn groups(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    admin(&req, &state).await?.require_host()?;
    let items: Vec<_> = state
        .store
        .notification_groups()
        .await?
        .into_iter()
        .map(group_dto)
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[utoipa::path(tag = "notifications", operation_id = "notification_group", responses((status = 200, description = "the group"), (status = 404, description = "no such group")))]
#[get("/api/notifications/definitions/groups/{name}")]
async fn group(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    admin(&req, &state).await?.require_host()?;
    match state.store.notification_group(&path).await? {
        Some(g) => Ok(HttpResponse::Ok().json(group_dto(g))),
        None => Err(ApiError::not_found("no such notification group")),
    }
}

async fn save_group(state: &AppState, g: GroupDto) -> Result<HttpResponse, ApiError> {
    check_group(&g)?;
    let model = grp::Model {
        id: Uuid::new_v4(),
        name: g.name.clone(),
        display_name: g.display_name,
        description: g.description,
        allow_subscription_to_clients: g.allow_subscription_to_clients,
        extra_properties: None,
    };
    state.store.save_notification_group(model).await?;
    let saved = state.store.notification_group(&g.name).await?;
    Ok(HttpResponse::Ok().json(saved.map(group_dto)))
}

#[utoipa::path(tag = "notifications", operation_id = "notification_group_create", request_body = GroupDto, responses((status = 200, description = "the group"), (status = 409, description = "the name is taken")))]
#[post("/api/notifications/definitions/groups")]
async fn create_group(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<GroupDto>,
) -> Result<HttpResponse, ApiError> {
    admin(&req, &state).await?.require_host()?;
    if state.store.notification_group(&body.name).await?.is_some() {
        return Err(ApiError::from(crate::store::StoreError::Conflict));
    }
    save_group(&state, body.into_inner()).await
}

#[utoipa::path(tag = "notifications", operation_id = "notification_group_update", request_body = GroupDto, responses((status = 200, description = "the group"), (status = 404, description = "no such group")))]
#[put("/api/notifications/definitions/groups/{name}")]
async fn update_group(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<GroupDto>,
) -> Result<HttpResponse, ApiError> {
    admin(&req, &state).await?.require_host()?;
    if state.store.notification_group(&path).await?.is_none() {
        return Err(ApiError::not_found("no such notification group"));
    }
    let mut g = body.into_inner();
    g.name = path.into_inner();
    save_group(&state, g).await
}

#[utoipa::path(tag = "notifications", operation_id = "notification_group_delete", responses((status = 204, description = "removed with its definitions"), (status = 404, description = "no such group")))]
#[delete("/api/notifications/definitions/groups/{name}")]
async fn delete_group(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    admin(&req, &state).await?.require_host()?;
    if is_builtin(&path) {
        return Err(ApiError::forbidden("a built-in group stays"));
    }
    if state.store.delete_notification_group(&path).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("no such notification group"))
    }
}

/// `?groupName=`: the definitions of one group.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct DefinitionsQuery {
    #[serde(default)]
    group_name: Option<String>,
}

#[utoipa::path(tag = "notifications", operation_id = "notification_definitions", params(DefinitionsQuery), responses((status = 200, description = "{items}"), (status = "4XX", description = "the error body with its code")))]
#[get("/api/notifications/definitions/notifications")]
async fn definitions(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<DefinitionsQuery>,
) -> Result<HttpResponse, ApiError> {
    admin(&req, &state).await?.require_host()?;
    let items: Vec<_> = state
        .store
        .notification_definitions(query.group_name.as_deref())
        .await?
        .into_iter()
        .map(definition_dto)
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[utoipa::path(tag = "notifications", operation_id = "notification_definition", responses((status = 200, description = "the definition"), (status = 404, description = "no such definition")))]
#[get("/api/notifications/definitions/notifications/{name}")]
async fn definition(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    admin(&req, &state).await?.require_host()?;
    match state.store.notification_definition(&path).await? {
        Some(d) => Ok(HttpResponse::Ok().json(definition_dto(d))),
        None => Err(ApiError::not_found("no such notification definition")),
    }
}

async fn save_definition(state: &AppState, d: DefinitionDto) -> Result<HttpResponse, ApiError> {
    let providers = check_definition(&d)?;
    if state
        .store
        .notification_group(&d.group_name)
        .await?
        .is_none()
    {
        return Err(ApiError::not_found(format!(
            "no notification group named `{}`",
            d.group_name
        )));
    }
    let model = def::Model {
        id: Uuid::new_v4(),
        name: d.name.clone(),
        group_name: d.group_name,
        display_name: d.display_name,
        description: d.description,
        notification_lifetime: d.notification_lifetime,
        notification_type: d.notification_type,
        content_type: d.content_type,
        providers: (!providers.is_empty()).then_some(providers),
        allow_subscription_to_clients: d.allow_subscription_to_clients,
        extra_properties: None,
    };
    state.store.save_notification_definition(model).await?;
    let saved = state.store.notification_definition(&d.name).await?;
    Ok(HttpResponse::Ok().json(saved.map(definition_dto)))
}

#[utoipa::path(tag = "notifications", operation_id = "notification_definition_create", request_body = DefinitionDto, responses((status = 200, description = "the definition"), (status = 409, description = "the name is taken")))]
#[post("/api/notifications/definitions/notifications")]
async fn create_definition(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<DefinitionDto>,
) -> Result<HttpResponse, ApiError> {
    admin(&req, &state).await?.require_host()?;
    if state
        .store
        .notification_definition(&body.name)
        .await?
        .is_some()
    {
        return Err(ApiError::from(crate::store::StoreError::Conflict));
    }
    save_definition(&state, body.into_inner()).await
}

#[utoipa::path(tag = "notifications", operation_id = "notification_definition_update", request_body = DefinitionDto, responses((status = 200, description = "the definition"), (status = 404, description = "no such definition")))]
#[put("/api/notifications/definitions/notifications/{name}")]
async fn update_definition(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<DefinitionDto>,
) -> Result<HttpResponse, ApiError> {
    admin(&req, &state).await?.require_host()?;
    let Some(old) = state.store.notification_definition(&path).await? else {
        return Err(ApiError::not_found("no such notification definition"));
    };
    let mut d = body.into_inner();
    d.name = path.into_inner();
    if d.group_name.is_empty() {
        d.group_name = old.group_name;
    }
    save_definition(&state, d).await
}

#[utoipa::path(tag = "notifications", operation_id = "notification_definition_delete", responses((status = 204, description = "removed"), (status = 404, description = "no such definition")))]
#[delete("/api/notifications/definitions/notifications/{name}")]
async fn delete_definition(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    admin(&req, &state).await?.require_host()?;
    if is_builtin(&path) {
        return Err(ApiError::forbidden("a built-in definition stays"));
    }
    if state.store.delete_notification_definition(&path).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("no such notification definition"))
    }
}

/// Registers the routes of this file.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(groups)
        .service(group)
        .service(create_group)
        .service(update_group)
        .service(delete_group)
        .service(definitions)
        .service(definition)
        .service(create_definition)
        .service(update_definition)
        .service(delete_definition);
}
