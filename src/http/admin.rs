//! `/api/admin`: what operators do (`spec/API.md`, "Admin"). Open to tokens with role `admin`
//! and to `admin.api_key`; every action that changes something is logged with who did it.

use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::error::{ApiError, Validator};
use super::identity::{authenticate, bearer_token};
use super::paging::{Page, Paging};
use super::users::UserCard;
use crate::actors::user::CloseSessions;
use crate::chat::wire::served;
use crate::protocol::{Id, ServerFrame};
use crate::state::AppState;
use crate::store::HistoryFilter;

/// Who is acting, for the log, and in which tenant.
pub(super) struct Admin {
    pub(super) who: String,
    pub(super) tenant_id: Option<Uuid>,
    /// The API key or a host-tenant token: may see the whole cluster (stats, pods, config).
    /// A tenant's administrator sees and acts in that tenant only.
    host: bool,
}

impl Admin {
    /// Cluster-wide views are the host's: 403 for a tenant's administrator.
    pub(super) fn require_host(&self) -> Result<(), ApiError> {
        if self.host {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "cluster-wide views are for the host's administrators",
            ))
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
struct TenantQuery {
    /// With the API key: the tenant to act in (the host tenant when absent).
    tenant_id: Option<Uuid>,
}

/// The admin key, or a token with role `admin` (401 without either, 403 without the role).
pub(super) async fn admin(req: &HttpRequest, state: &AppState) -> Result<Admin, ApiError> {
    let key = &state.config.admin.api_key;
    if let Some(given) = req.headers().get("x-api-key") {
        if key.is_empty() || !crate::auth::same_hash(&sha(given.as_bytes()), &sha(key.as_bytes())) {
            return Err(ApiError::unauthorized("the API key is not valid"));
        }
        let tenant_id = web::Query::<TenantQuery>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.tenant_id);
        return Ok(Admin {
            who: "api-key".into(),
            tenant_id,
            host: true,
        });
    }
    let identity = authenticate(state, bearer_token(req)).await?;
    if !identity.has_role("admin") {
        return Err(ApiError::forbidden("this needs role `admin`"));
    }
    Ok(Admin {
        who: format!("{} ({})", identity.user_name, identity.user_id),
        tenant_id: identity.tenant_id,
        host: identity.tenant_id.is_none(),
    })
}

/// A key's SHA-256, so keys of any length compare in constant time.
fn sha(key: &[u8]) -> String {
    crate::auth::sha256_hex(&String::from_utf8_lossy(key))
}

/// This pod's description, as the heartbeat writes it for the others.
fn this_pod(state: &AppState) -> serde_json::Value {
    let (sessions, user_actors, group_actors, restarts) = state.delivery.supervisor.counts();
    json!({
        "node": state.node_name,
        "nodeId": state.config.node.id,
        "connections": sessions,
        "onlineUsers": state.delivery.supervisor.online_count(),
        "userActors": user_actors,
        "groupActors": group_actors,
        "actorRestarts": restarts,
        "messagesPerSecond": crate::metrics::metrics().messages_per_second(),
        "self": true,
    })
}

#[utoipa::path(tag = "admin", operation_id = "admin_stats", responses((status = 200, description = "the cluster at a glance"), (status = "4XX", description = "the error body with its code")))]
#[get("/api/admin/stats")]
async fn stats(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    admin(&req, &state).await?.require_host()?;
    let mut pods = vec![this_pod(&state)];
    pods.extend(other_pods(&state).await);
    let sum = |field: &str| -> f64 { pods.iter().filter_map(|p| p[field].as_f64()).sum() };
    Ok(HttpResponse::Ok().json(json!({
        "pods": pods.len(),
        "connections": sum("connections"),
        "onlineUsers": sum("onlineUsers"),
        "messagesPerSecond": sum("messagesPerSecond"),
        "perPod": pods,
    })))
}

#[utoipa::path(tag = "admin", operation_id = "admin_nodes", responses((status = 200, description = "every living pod"), (status = "4XX", description = "the error body with its code")))]
#[get("/api/admin/nodes")]
async fn nodes(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    admin(&req, &state).await?.require_host()?;
    let mut pods = vec![this_pod(&state)];
    pods.extend(other_pods(&state).await);
    Ok(HttpResponse::Ok().json(json!({ "items": pods })))
}

/// The other living pods as their heartbeats describe them, without their histories.
async fn other_pods(state: &AppState) -> Vec<serde_json::Value> {
    let mut pods = state.delivery.bus.pod_infos().await;
    for pod in &mut pods {
        if let Some(info) = pod.as_object_mut() {
            info.remove("history");
        }
    }
    pods
}

#[utoipa::path(tag = "admin", operation_id = "admin_stats_history", responses((status = 200, description = "{intervalSeconds, pods: [{node, samples}], total}: every living pod's figures over the last 15 minutes, a sample every 5 s on the clock's 5-second marks ({t, messagesPerSecond, connections, onlineUsers, writesPending, busPublishMs, errorsPerSecond}), and their sum at each mark (busPublishMs: the slowest pod's)"), (status = "4XX", description = "the error body with its code")))]
#[get("/api/admin/stats/history")]
async fn stats_history(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    admin(&req, &state).await?.require_host()?;
    let mut pods = vec![(state.node_name.clone(), state.history.samples())];
    for info in state.delivery.bus.pod_infos().await {
        let node = info["node"].as_str().unwrap_or_default().to_string();
        let samples = serde_json::from_value(info["history"].clone()).unwrap_or_default();
        pods.push((node, samples));
    }
    let total = crate::history::total(pods.iter().map(|(_, samples)| samples.as_slice()));
    Ok(HttpResponse::Ok().json(json!({
        "intervalSeconds": crate::history::INTERVAL.as_secs(),
        "pods": pods.iter().map(|(node, samples)| json!({"node": node, "samples": samples})).collect::<Vec<_>>(),
        "total": total,
    })))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
struct UserQuery {
    user_id: Uuid,
}

#[utoipa::path(tag = "admin", operation_id = "admin_connections", params(UserQuery), responses((status = 200, description = "the user's sessions on every pod"), (status = "4XX", description = "the error body with its code")))]
#[get("/api/admin/connections")]
async fn connections(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<UserQuery>,
) -> Result<HttpResponse, ApiError> {
    let a = admin(&req, &state).await?;
    let user = (a.tenant_id, query.user_id);
    let mut items: Vec<serde_json::Value> = state
        .delivery
        .supervisor
        .connections()
        .iter()
        .filter(|s| (s.tenant_id, s.user_id) == user)
        .map(|s| s.record(&state.node_name))
        .collect();
    items.extend(state.delivery.bus.remote_connections(user).await);
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[utoipa::path(tag = "admin", operation_id = "admin_kick", responses((status = 204, description = "every session of the user closed with 4003"), (status = "4XX", description = "the error body with its code")))]
#[post("/api/admin/users/{user_id}/kick")]
async fn kick(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let a = admin(&req, &state).await?;
    let user = path.into_inner();
    tracing::info!(admin = %a.who, user = %user, "admin: kick");
    state.delivery.close_sessions(
        &(a.tenant_id, user),
        CloseSessions::all(4003, "kicked by an administrator"),
    );
    Ok(HttpResponse::NoContent().finish())
}

async fn set_ban(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: Uuid,
    banned: bool,
) -> Result<HttpResponse, ApiError> {
    let a = admin(&req, &state).await?;
    if !state.store.set_banned(a.tenant_id, user, banned).await? {
        return Err(ApiError::not_found("no such user account"));
    }
    tracing::info!(admin = %a.who, user = %user, banned, "admin: ban");
    if banned {
        state.delivery.close_sessions(
            &(a.tenant_id, user),
            CloseSessions::all(4003, "banned by an administrator"),
        );
    }
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(tag = "admin", operation_id = "admin_ban", responses((status = 204, description = "banned: no login, no connection, sessions closed with 4003"), (status = "4XX", description = "the error body with its code")))]
#[post("/api/admin/users/{user_id}/ban")]
async fn ban(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    set_ban(req, state, path.into_inner(), true).await
}

#[utoipa::path(tag = "admin", operation_id = "admin_unban", responses((status = 204, description = "unbanned"), (status = "4XX", description = "the error body with its code")))]
#[post("/api/admin/users/{user_id}/unban")]
async fn unban(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    set_ban(req, state, path.into_inner(), false).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
struct FilterQuery {
    #[serde(default)]
    filter: String,
}

#[utoipa::path(tag = "admin", operation_id = "admin_users", params(FilterQuery, Paging), responses((status = 200, description = "users with their roles and ban flag"), (status = "4XX", description = "the error body with its code")))]
#[get("/api/admin/users")]
async fn users(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<FilterQuery>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    let a = admin(&req, &state).await?;
    let (skip, take) = paging.window();
    let (total, cards) = state
        .store
        .search_cards(a.tenant_id, &query.filter, skip, take)
        .await?;
    let ids: Vec<Uuid> = cards.iter().map(|c| c.user_id).collect();
    let standings = state.store.standings(a.tenant_id, &ids).await?;
    let items = cards
        .into_iter()
        .map(|c| {
            let standing = standings.get(&c.user_id).cloned();
            let mut item = serde_json::to_value(UserCard::of(c, &state)).unwrap_or_default();
            item["roles"] = json!(standing
                .as_ref()
                .map(|s| s.roles.clone())
                .unwrap_or_default());
            item["banned"] = json!(standing.is_some_and(|s| s.banned));
            item
        })
        .collect();
    Ok(HttpResponse::Ok().json(Page {
        total_count: total,
        items,
    }))
}

#[utoipa::path(tag = "admin", operation_id = "admin_groups", params(FilterQuery, Paging), responses((status = 200, description = "groups whose name contains the filter"), (status = "4XX", description = "the error body with its code")))]
#[get("/api/admin/groups")]
async fn groups(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<FilterQuery>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    let a = admin(&req, &state).await?;
    let (skip, take) = paging.window();
    let (total, rows) = state
        .store
        .search_groups(a.tenant_id, &query.filter, skip, take)
        .await?;
    let items = rows
        .into_iter()
        .map(|g| {
            json!({
                "id": Id(g.group_id), "name": g.name, "adminUserId": g.admin_user_id,
                "maxUserLength": g.max_user_count, "creationTime": g.creation_time,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(Page {
        total_count: total,
        items,
    }))
}

#[utoipa::path(tag = "admin", operation_id = "admin_dismiss_group", params(("group_id" = String, Path, description = "the group id (decimal)")), responses((status = 204, description = "dismissed; members get group.dismissed"), (status = "4XX", description = "the error body with its code")))]
#[delete("/api/admin/groups/{group_id}")]
async fn dismiss_group(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    let a = admin(&req, &state).await?;
    let group = path.into_inner().0;
    let facts = state
        .store
        .group_facts(a.tenant_id, group)
        .await?
        .ok_or_else(|| ApiError::not_found("no such group"))?;
    let dismiss = crate::store::GroupChange::Dismiss;
    let by = uuid::Uuid::nil(); // an operator, as recall's `byUserId`
    state
        .store
        .change_group(a.tenant_id, group, by, dismiss, |_| Ok::<(), ()>(()))
        .await?;
    tracing::info!(admin = %a.who, group, "admin: dismiss group");
    state.delivery.reload_group(&(a.tenant_id, group));
    let data = json!({"groupId": Id(group), "name": facts.name, "byAdministrator": true});
    for member in &facts.members {
        state.delivery.reload_user(&(a.tenant_id, *member));
        state
            .delivery
            .notify(&(a.tenant_id, *member), "group.dismissed", data.clone());
    }
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
struct MessagesQuery {
    user_id: Option<Uuid>,
    group_id: Option<Id>,
    #[serde(default)]
    filter: String,
}

#[utoipa::path(tag = "admin", operation_id = "admin_messages", params(MessagesQuery, Paging), responses((status = 200, description = "a user's private messages or a group's, newest first"), (status = "4XX", description = "the error body with its code")))]
#[get("/api/admin/messages")]
async fn messages(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<MessagesQuery>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    let a = admin(&req, &state).await?;
    let (skip, take) = paging.window();
    let filter = Some(query.filter.as_str()).filter(|f| !f.is_empty());
    let (total, rows) = match (query.user_id, &query.group_id) {
        (Some(user), None) => {
            state
                .store
                .messages_of_user(a.tenant_id, user, filter, skip, take)
                .await?
        }
        (None, Some(group)) => {
            let f = HistoryFilter {
                text: filter.map(str::to_string),
                ..Default::default()
            };
            state
                .store
                .group_history(a.tenant_id, group.0, &f, skip, take)
                .await?
        }
        _ => {
            return Err(ApiError::bad_request(
                "give `userId` or `groupId`, not both",
            ))
        }
    };
    let items = rows
        .iter()
        .map(|m| served(m, m.from.unwrap_or_default(), &Default::default()))
        .collect();
    Ok(HttpResponse::Ok().json(Page {
        total_count: total,
        items,
    }))
}

#[utoipa::path(tag = "admin", operation_id = "admin_recall", params(("message_id" = String, Path, description = "the message id (decimal)")), responses((status = 204, description = "recalled for everyone"), (status = "4XX", description = "the error body with its code")))]
#[delete("/api/admin/messages/{message_id}")]
async fn recall(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    let a = admin(&req, &state).await?;
    let message = state
        .store
        .find_message(a.tenant_id, path.into_inner().0)
        .await?
        .ok_or_else(|| ApiError::not_found("no such message"))?;
    state.store.recall_message(&message).await?;
    tracing::info!(admin = %a.who, message = message.message_id, "admin: recall");
    // An operator recalls anything; the parties see it taken back by nobody (the nil id).
    let state = state.into_inner();
    crate::requests::announce_recall(&state, a.tenant_id, &message, Uuid::nil(), None);
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
struct BroadcastBody {
    #[serde(default)]
    #[schema(
        required = true,
        min_length = 1,
        max_length = 4096,
        pattern = "^[^\\u0000]*$"
    )]
    content: String,
}

#[utoipa::path(tag = "admin", operation_id = "admin_broadcast", responses((status = 202, description = "sent to every online user: how many sessions of this pod it reached"), (status = "4XX", description = "the error body with its code")))]
#[post("/api/admin/broadcast")]
async fn broadcast(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<BroadcastBody>,
) -> Result<HttpResponse, ApiError> {
    let a = admin(&req, &state).await?;
    Validator::default()
        .length(&body.content, "content", 1, 4096)
        .finish()?;
    tracing::info!(admin = %a.who, "admin: broadcast");
    let text = ServerFrame::Notice {
        kind: "system".into(),
        data: json!({"content": body.content, "code": 0}),
    }
    .to_text();
    let sessions = state.delivery.push_to_everyone(a.tenant_id, &text);
    crate::notifications::record(
        state.clone().into_inner(),
        a.tenant_id,
        crate::notifications::Audience::Tenant,
        vec![],
        crate::notifications::builtin::SYSTEM_NOTICE,
        json!({"title": "System notice", "message": body.content, "formUser": "system"}),
    );
    Ok(HttpResponse::Accepted().json(json!({ "sessions": sessions })))
}

#[utoipa::path(tag = "admin", operation_id = "admin_config", responses((status = 200, description = "the effective configuration, secrets redacted"), (status = "4XX", description = "the error body with its code")))]
#[get("/api/admin/config")]
async fn config(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    admin(&req, &state).await?.require_host()?;
    Ok(HttpResponse::Ok().json(state.config.redacted()))
}

/// Registers the routes of this file.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(stats)
        .service(stats_history)
        .service(nodes)
        .service(connections)
        .service(kick)
        .service(ban)
        .service(unban)
        .service(users)
        .service(groups)
        .service(dismiss_group)
        .service(messages)
        .service(recall)
        .service(broadcast)
        .service(config);
}
