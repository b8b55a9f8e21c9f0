//! Sessions and their refresh tokens (`AppAuthSessions`, `AppRefreshTokens`): starting one
//! under the login policy, exchanging a refresh token (with the retry window and reuse
//! detection), listing and ending them. A user's logins and session ends take turns on the
//! user's credential row, so two logins at once cannot both keep a place `single` allows once.

use chrono::{DateTime, Duration, Utc};
use entity::{auth_session, refresh_token, user_credential};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::accounts::tenant_filter;
use super::{Store, StoreError};
use crate::auth::{LiveSession, Platform, RefreshToken};

/// What a login starts.
pub struct NewSession {
    pub tenant_id: Option<Uuid>,
    pub user_id: Uuid,
    pub platform: Platform,
    pub device_id: Option<String>,
    pub device_name: Option<String>,
    pub ip: String,
    pub refresh: RefreshToken,
    /// How long the refresh token lives unused.
    pub refresh_ttl: Duration,
}

/// A session as its owner and administrators see it.
#[derive(Clone, Debug)]
pub struct SessionInfo {
    pub id: String,
    pub tenant_id: Option<Uuid>,
    pub user_id: Uuid,
    pub platform: Platform,
    pub device_id: Option<String>,
    pub device_name: Option<String>,
    pub created: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub last_ip: String,
}

impl From<auth_session::Model> for SessionInfo {
    fn from(m: auth_session::Model) -> Self {
        SessionInfo {
            platform: Platform::from_stored(&m.platform),
            id: m.id,
            tenant_id: m.tenant_id,
            user_id: m.user_id,
            device_id: m.device_id,
            device_name: m.device_name,
            created: m.creation_time,
            last_seen: m.last_seen_time,
            last_ip: m.last_ip,
        }
    }
}

/// What presenting a refresh token came to.
#[derive(Debug)]
pub enum Exchange {
    /// Exchanged: the next token was stored, issued at `issued_at`.
    Rotated {
        session: SessionInfo,
        issued_at: DateTime<Utc>,
    },
    /// It was exchanged within the retry window: the same answer again.
    Repeated {
        session: SessionInfo,
        issued_at: DateTime<Utc>,
    },
    /// It was exchanged before the retry window: someone else holds it. The session is ended.
    Reused { session: SessionInfo },
    /// Unknown, wrong, or its session is gone or unused for too long (then ended).
    Refused,
}

/// Which of a user's sessions to end.
#[derive(Clone, Copy, Debug)]
pub enum Ending<'a> {
    One(&'a str),
    AllBut(&'a str),
    All,
}

impl Store {
    /// Starts a session with its first refresh token. `pick` chooses, from the user's live
    /// sessions, those the login ends (the login policy); they end in the same transaction.
    /// Returns the new session's id and the ended sessions.
    pub async fn start_session(
        &self,
        new: NewSession,
        pick: impl FnOnce(&[LiveSession]) -> Vec<String>,
    ) -> Result<(String, Vec<SessionInfo>), StoreError> {
        let txn = self.write_txn().await?;
        lock_user(&txn, new.tenant_id, new.user_id).await?;
        let live = sessions_of(&txn, new.tenant_id, new.user_id).await?;
        let policy_view: Vec<LiveSession> = live
            .iter()
            .map(|s| LiveSession {
                id: s.id.clone(),
                platform: s.platform,
                device_id: s.device_id.clone(),
                created: s.created,
            })
            .collect();
        let ending = pick(&policy_view);
        let ended: Vec<SessionInfo> = live
            .into_iter()
            .filter(|s| ending.contains(&s.id))
            .collect();
        delete_sessions(&txn, ended.iter().map(|s| s.id.clone()).collect()).await?;
        let now = Utc::now();
        let id = Uuid::new_v4().simple().to_string();
        auth_session::Entity::insert(auth_session::ActiveModel {
            id: Set(id.clone()),
            tenant_id: Set(new.tenant_id),
            user_id: Set(new.user_id),
            platform: Set(new.platform.as_str().to_string()),
            device_id: Set(new.device_id),
            device_name: Set(new.device_name),
            creation_time: Set(now),
            last_seen_time: Set(now),
            last_ip: Set(clip(&new.ip)),
            refresh_expires_at: Set(now + new.refresh_ttl),
        })
        .exec(&txn)
        .await?;
        insert_token(&txn, &id, &new.refresh, now).await?;
        txn.commit().await?;
        Ok((id, ended))
    }

    /// Presents a refresh token: `next` is the token that replaces it. Within `retry` of an
    /// exchange the same token gets the same answer; later it ends its session.
    pub async fn exchange_refresh(
        &self,
        presented: &RefreshToken,
        next: &RefreshToken,
        ip: &str,
        retry: Duration,
        ttl: Duration,
    ) -> Result<Exchange, StoreError> {
        let txn = self.write_txn().await?;
        let Some(token) = refresh_token::Entity::find_by_id(presented.selector())
            .lock_exclusive()
            .one(&txn)
            .await?
        else {
            return Ok(Exchange::Refused);
        };
        if !presented.matches(&token.verifier_hash) {
            return Ok(Exchange::Refused);
        }
        let Some(session) = auth_session::Entity::find_by_id(token.session_id.clone())
            .one(&txn)
            .await?
        else {
            return Ok(Exchange::Refused);
        };
        let now = Utc::now();
        let expires = session.refresh_expires_at;
        let session_id = session.id.clone();
        let session = SessionInfo::from(session);
        let outcome = match token.retired_at {
            _ if expires <= now => {
                delete_sessions(&txn, vec![session_id]).await?;
                Exchange::Refused
            }
            None => {
                use sea_orm::sea_query::Expr;
                refresh_token::Entity::update_many()
                    .col_expr(refresh_token::Column::RetiredAt, Expr::value(Some(now)))
                    .filter(refresh_token::Column::Selector.eq(presented.selector()))
                    .exec(&txn)
                    .await?;
                insert_token(&txn, &session_id, next, now).await?;
                auth_session::Entity::update_many()
                    .col_expr(auth_session::Column::LastSeenTime, Expr::value(now))
                    .col_expr(auth_session::Column::LastIp, Expr::value(clip(ip)))
                    .col_expr(
                        auth_session::Column::RefreshExpiresAt,
                        Expr::value(now + ttl),
                    )
                    .filter(auth_session::Column::Id.eq(&session_id))
                    .exec(&txn)
                    .await?;
                Exchange::Rotated {
                    session,
                    issued_at: now,
                }
            }
            Some(retired) if now - retired <= retry => {
                match refresh_token::Entity::find_by_id(next.selector())
                    .one(&txn)
                    .await?
                {
                    Some(answer) if answer.session_id == session_id => Exchange::Repeated {
                        session,
                        issued_at: answer.issued_at,
                    },
                    _ => Exchange::Refused,
                }
            }
            Some(_) => {
                delete_sessions(&txn, vec![session_id]).await?;
                Exchange::Reused { session }
            }
        };
        txn.commit().await?;
        Ok(outcome)
    }

    /// The user's sessions, newest first.
    pub async fn sessions(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
    ) -> Result<Vec<SessionInfo>, StoreError> {
        sessions_of(&self.db, tenant_id, user).await
    }

    /// Ends the user's sessions named by `which`, with their refresh tokens; returns them.
    pub async fn end_sessions(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        which: Ending<'_>,
    ) -> Result<Vec<SessionInfo>, StoreError> {
        let txn = self.write_txn().await?;
        lock_user(&txn, tenant_id, user).await?;
        let ended: Vec<SessionInfo> = sessions_of(&txn, tenant_id, user)
            .await?
            .into_iter()
            .filter(|s| match which {
                Ending::One(id) => s.id == id,
                Ending::AllBut(id) => s.id != id,
                Ending::All => true,
            })
            .collect();
        delete_sessions(&txn, ended.iter().map(|s| s.id.clone()).collect()).await?;
        txn.commit().await?;
        Ok(ended)
    }

    /// Marks sessions whose socket opened as seen now, from the address given, in one
    /// transaction; one outcome per sighting.
    pub(super) async fn touch_sessions(
        &self,
        seen: &[(String, String)],
    ) -> Result<Vec<()>, StoreError> {
        use sea_orm::sea_query::Expr;
        let now = Utc::now();
        let txn = self.write_txn().await?;
        for (id, ip) in seen {
            auth_session::Entity::update_many()
                .col_expr(auth_session::Column::LastSeenTime, Expr::value(now))
                .col_expr(auth_session::Column::LastIp, Expr::value(clip(ip)))
                .filter(auth_session::Column::Id.eq(id))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(vec![(); seen.len()])
    }
}

/// Makes the user's logins and session ends take turns (PostgreSQL `FOR UPDATE` on the
/// credential; SQLite's writers take turns already).
async fn lock_user<C: ConnectionTrait>(
    db: &C,
    tenant_id: Option<Uuid>,
    user: Uuid,
) -> Result<(), StoreError> {
    user_credential::Entity::find()
        .filter(tenant_filter(user_credential::Column::TenantId, tenant_id))
        .filter(user_credential::Column::UserId.eq(user))
        .lock_exclusive()
        .one(db)
        .await?;
    Ok(())
}

async fn sessions_of<C: ConnectionTrait>(
    db: &C,
    tenant_id: Option<Uuid>,
    user: Uuid,
) -> Result<Vec<SessionInfo>, StoreError> {
    Ok(auth_session::Entity::find()
        .filter(tenant_filter(auth_session::Column::TenantId, tenant_id))
        .filter(auth_session::Column::UserId.eq(user))
        .order_by_desc(auth_session::Column::CreationTime)
        .all(db)
        .await?
        .into_iter()
        .map(SessionInfo::from)
        .collect())
}

async fn delete_sessions<C: ConnectionTrait>(db: &C, ids: Vec<String>) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::SessionId.is_in(ids.clone()))
        .exec(db)
        .await?;
    auth_session::Entity::delete_many()
        .filter(auth_session::Column::Id.is_in(ids))
        .exec(db)
        .await?;
    Ok(())
}

async fn insert_token<C: ConnectionTrait>(
    db: &C,
    session_id: &str,
    token: &RefreshToken,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    refresh_token::Entity::insert(refresh_token::ActiveModel {
        selector: Set(token.selector().to_string()),
        session_id: Set(session_id.to_string()),
        verifier_hash: Set(token.verifier_hash()),
        issued_at: Set(now),
        retired_at: Set(None),
    })
    .exec(db)
    .await?;
    Ok(())
}

/// An address cut to its column.
fn clip(ip: &str) -> String {
    ip.chars().take(64).collect()
}
