//! A user's own account as data: `DELETE /api/auth/me` deletes it (`accounts.deletion`:
//! anonymize or erase), `GET /api/auth/me/export` streams everything about it as one JSON
//! document, a page of messages at a time.

use actix_web::web::Bytes;
use actix_web::{delete, get, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::error::ApiError;
use super::users::UserCard;
use crate::actors::user::CloseSessions;
use crate::auth::Identity;
use crate::chat::wire::served;
use crate::config::AccountDeletion;
use crate::protocol::Code;
use crate::state::AppState;
use crate::store::{Kept, StoreError, StoredMessage};

#[derive(Deserialize, utoipa::ToSchema)]
struct DeleteBody {
    #[serde(default)]
    #[schema(required = true, max_length = 128)]
    password: String,
}

#[utoipa::path(tag = "accounts", operation_id = "accounts_delete_me", responses((status = 204, description = "deleted; every session closed"), (status = 409, description = "IM:Conflict: the caller owns groups (named in the message)"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[delete("/api/auth/me")]
async fn delete_me(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: Identity,
    body: web::Json<DeleteBody>,
) -> Result<HttpResponse, ApiError> {
    super::password::confirm_password(&req, &state, &me, body.into_inner().password).await?;
    let erase = state.config.accounts.deletion == AccountDeletion::Erase;
    let removed = match state
        .store
        .delete_account(me.tenant_id, me.user_id, erase)
        .await?
    {
        Ok(removed) => removed,
        Err(Kept::Owns(groups)) => {
            let named: Vec<String> = groups
                .iter()
                .map(|(id, name)| format!("{name} ({id})"))
                .collect();
            return Err(ApiError::new(
                Code::Conflict,
                format!(
                    "transfer or dismiss the groups you own first: {}",
                    named.join(", ")
                ),
            ));
        }
    };
    tracing::info!(user = %me.user_id, erase, "account deleted");
    let user = (me.tenant_id, me.user_id);
    state
        .delivery
        .close_sessions(&user, CloseSessions::all(4001, "account deleted"));
    state.delivery.reload_user(&user);
    for friend in removed.friends {
        state.delivery.reload_user(&(me.tenant_id, friend));
    }
    for group in removed.groups {
        state.delivery.reload_group(&(me.tenant_id, group));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Messages read per page of the export.
const EXPORT_PAGE: u64 = 100;

/// Where the export's stream stands.
enum Phase {
    Private(i64),
    Group(i64),
    Done,
}

/// The export being written.
struct Export {
    state: web::Data<AppState>,
    tenant_id: Option<Uuid>,
    user: Uuid,
    groups: Vec<i64>,
    phase: Phase,
}

impl Export {
    /// The next piece of the document after the head, or none at its end.
    async fn next(&mut self) -> Option<Result<Bytes, StoreError>> {
        let store = &self.state.store;
        let (page, after) = match self.phase {
            Phase::Private(after) => (
                store
                    .private_messages_after(self.tenant_id, self.user, after, EXPORT_PAGE)
                    .await,
                after,
            ),
            Phase::Group(after) => (
                store
                    .group_messages_after(
                        self.tenant_id,
                        self.user,
                        &self.groups,
                        after,
                        EXPORT_PAGE,
                    )
                    .await,
                after,
            ),
            Phase::Done => return None,
        };
        let page = match page {
            Ok(page) => page,
            Err(e) => {
                tracing::warn!(error = %e, user = %self.user, "export cut short");
                self.phase = Phase::Done;
                return Some(Err(e));
            }
        };
        let first = after == 0;
        let Some(last) = page.last().map(|m| m.message_id) else {
            let (text, next) = match self.phase {
                Phase::Private(_) => ("],\"groupMessages\":[", Phase::Group(0)),
                _ => ("]}", Phase::Done),
            };
            self.phase = next;
            return Some(Ok(Bytes::from_static(text.as_bytes())));
        };
        self.phase = match self.phase {
            Phase::Private(_) => Phase::Private(last),
            _ => Phase::Group(last),
        };
        Some(Ok(Bytes::from(self.items(&page, first))))
    }

    /// A page of messages as JSON array items (a comma first unless it opens the array).
    fn items(&self, page: &[StoredMessage], first: bool) -> String {
        let mut text = String::new();
        for (i, m) in page.iter().enumerate() {
            if !(first && i == 0) {
                text.push(',');
            }
            let message = served(m, self.user, &Default::default());
            text.push_str(&serde_json::to_string(&message).unwrap_or_default());
        }
        text
    }
}

#[utoipa::path(tag = "accounts", operation_id = "accounts_export_me", responses((status = 200, description = "the caller's card, settings, friends, groups and messages, as one JSON document"), (status = "4XX", description = "the error body with its code"), (status = 503, description = "IM:Unavailable")))]
#[get("/api/auth/me/export")]
async fn export(state: web::Data<AppState>, me: Identity) -> Result<HttpResponse, ApiError> {
    let store = &state.store;
    let card = store
        .card(me.tenant_id, me.user_id)
        .await?
        .map(|c| UserCard::of(c, &state));
    let facts = store.user_facts(me.tenant_id, me.user_id).await?;
    let (_, friends) = store
        .friends(me.tenant_id, me.user_id, None, 0, u64::MAX)
        .await?;
    let groups = store.groups_of(me.tenant_id, me.user_id).await?;
    let head = json!({
        "exportedAt": chrono::Utc::now(),
        "userId": me.user_id,
        "tenantId": me.tenant_id,
        "card": card,
        "settings": facts.settings.map(|s| json!({
            "allowAnonymous": s.allow_anonymous,
            "allowAddFriend": s.allow_add_friend,
            "requireAddFriendValition": s.require_add_friend_validation,
            "allowReceiveMessage": s.allow_receive_message,
            "allowSendMessage": s.allow_send_message,
            "shareReadReceipts": facts.shares_read_receipts,
        })),
        "friends": friends.iter().map(|f| json!({
            "userId": f.row.frient_id,
            "userName": f.card.as_ref().map(|c| &c.user_name),
            "nickName": f.card.as_ref().and_then(|c| c.nick_name.as_ref()),
            "remarkName": f.row.remark_name,
            "since": f.row.creation_time,
        })).collect::<Vec<_>>(),
        "groups": groups.iter().map(|g| json!({
            "groupId": g.group_id.to_string(),
            "name": g.name,
            "owner": g.admin_user_id == me.user_id,
        })).collect::<Vec<_>>(),
    });
    // The head without its closing brace, then the message arrays, page by page.
    let mut opening = head.to_string();
    opening.pop();
    opening.push_str(",\"privateMessages\":[");
    let export = Export {
        state: state.clone(),
        tenant_id: me.tenant_id,
        user: me.user_id,
        groups: groups.iter().map(|g| g.group_id).collect(),
        phase: Phase::Private(0),
    };
    let pages = futures_util::stream::unfold(export, |mut export| async move {
        export.next().await.map(|piece| (piece, export))
    });
    let body = futures_util::stream::once(async move { Ok::<_, StoreError>(Bytes::from(opening)) })
        .chain(pages);
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"imcluster-export.json\"",
        ))
        .streaming(body))
}

/// Registers the routes of this file.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(delete_me).service(export);
}
