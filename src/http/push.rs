//! `/api/push`: backend services push `event` frames to browsers — to everyone, to every
//! device of a user, or to one connection (`spec/API.md`, "Push").

use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::error::{ApiError, Validator};
use super::identity::{authenticate, bearer_token};
use crate::cluster::{is_reserved_method, Push, PushTarget, TenantScope};
use crate::state::AppState;

/// The body of every push route.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct PushBody {
    /// The event's name; not one of the hubs' own callbacks (`getChatMessage`, …).
    #[serde(default)]
    #[schema(
        required = true,
        min_length = 1,
        max_length = 128,
        pattern = "^[^\\u0000]*$"
    )]
    method: String,
    #[serde(default)]
    data: serde_json::Value,
    #[serde(default)]
    tenant_id: Option<Uuid>,
}

/// Which tenants a pusher may reach: the API key and host tokens any (and may name one), a
/// tenant's token its own tenant only.
#[derive(Clone, Copy)]
enum Reach {
    Any,
    Tenant(Option<Uuid>),
}

impl Reach {
    /// The tenant a push goes to: the one the body names, which a tenant's token may only
    /// name as its own.
    fn tenant(self, named: Option<Uuid>) -> Result<Option<Uuid>, ApiError> {
        match self {
            Reach::Any => Ok(named),
            Reach::Tenant(own) if named.is_none() || named == own => Ok(own),
            Reach::Tenant(_) => Err(ApiError::forbidden(
                "a tenant's token pushes to its own tenant only",
            )),
        }
    }
}

/// Pushes are for backend services: the configured `X-API-Key`, or a token with role `service`
/// (or `admin`).
async fn authorize(req: &HttpRequest, state: &AppState) -> Result<Reach, ApiError> {
    let key = &state.config.push.api_key;
    if let Some(given) = req.headers().get("x-api-key") {
        return if !key.is_empty() && given.as_bytes() == key.as_bytes() {
            Ok(Reach::Any)
        } else {
            Err(ApiError::unauthorized("the API key is not valid"))
        };
    }
    let identity = authenticate(state, bearer_token(req)).await?;
    if !(identity.has_role("service") || identity.has_role("admin")) {
        return Err(ApiError::forbidden("pushing needs role `service`"));
    }
    Ok(match identity.tenant_id {
        None => Reach::Any,
        own => Reach::Tenant(own),
    })
}

/// The tenant a publisher (API key, or a token with role `service` or `admin`) publishes a
/// notification to: the one it names, which a tenant's token may only name as its own.
pub(super) async fn publisher_tenant(
    req: &HttpRequest,
    state: &AppState,
    named: Option<Uuid>,
) -> Result<Option<Uuid>, ApiError> {
    authorize(req, state).await?.tenant(named)
}

#[utoipa::path(tag = "push", operation_id = "push_notification", request_body = crate::notifications::Publication, responses((status = 201, description = "published: {id, recipients}"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/push/notifications")]
async fn notification(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<crate::notifications::Publication>,
) -> Result<HttpResponse, ApiError> {
    let mut publication = body.into_inner();
    publication.tenant_id = publisher_tenant(&req, &state, publication.tenant_id).await?;
    let published = crate::notifications::publish(&state, publication).await?;
    Ok(HttpResponse::Created().json(published))
}

/// Pushes `body` to the target a route resolves from its path and the pusher's reach (and the
/// tenant the body names).
async fn push(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: PushBody,
    target: impl FnOnce(Reach, Option<Uuid>) -> Result<PushTarget, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let reach = authorize(&req, &state).await?;
    Validator::default()
        .length(&body.method, "method", 1, 128)
        .check(
            !is_reserved_method(&body.method),
            "method",
            "`method` names one of the hubs' own callbacks",
        )
        .finish()?;
    let push = Push {
        target: target(reach, body.tenant_id)?,
        method: body.method,
        data: body.data,
    };
    let sessions = state.delivery.push_here(&push).await;
    state.delivery.bus.push(&push);
    Ok(HttpResponse::Accepted().json(json!({ "sessions": sessions })))
}

#[utoipa::path(tag = "push", operation_id = "push_broadcast", responses((status = 202, description = "accepted: how many sessions of this pod it reached"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/push/broadcast")]
async fn broadcast(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<PushBody>,
) -> Result<HttpResponse, ApiError> {
    let target = |reach: Reach, named| {
        Ok(PushTarget::Broadcast {
            tenant_id: reach.tenant(named)?,
        })
    };
    push(req, state, body.into_inner(), target).await
}

#[utoipa::path(tag = "push", operation_id = "push_to_user", responses((status = 202, description = "accepted: how many sessions of this pod it reached"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/push/users/{user_id}")]
async fn to_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: web::Json<PushBody>,
) -> Result<HttpResponse, ApiError> {
    let user_id = path.into_inner();
    let target = move |reach: Reach, named| {
        Ok(PushTarget::User {
            tenant_id: reach.tenant(named)?,
            user_id,
        })
    };
    push(req, state, body.into_inner(), target).await
}

#[utoipa::path(tag = "push", operation_id = "push_to_connection", responses((status = 202, description = "accepted: how many sessions of this pod it reached"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[post("/api/push/connections/{connection_id}")]
async fn to_connection(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<PushBody>,
) -> Result<HttpResponse, ApiError> {
    let connection_id = path.into_inner();
    let target = move |reach: Reach, _| {
        Ok(PushTarget::Connection {
            connection_id,
            only_tenant: match reach {
                Reach::Any => None,
                Reach::Tenant(own) => Some(TenantScope(own)),
            },
        })
    };
    push(req, state, body.into_inner(), target).await
}

/// Registers the routes of this file.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(broadcast)
        .service(notification)
        .service(to_user)
        .service(to_connection);
}
