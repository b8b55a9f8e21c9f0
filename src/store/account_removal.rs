//! Deleting an account (`DELETE /api/auth/me`) in one transaction: the credential, card,
//! settings, friendships (both sides), memberships, requests, read positions, sessions, inbox,
//! subscriptions, push tokens and conversation settings go;
//! the messages the user sent stay under the name "Deleted user", or go too (`erase`), with
//! their edits, reactions, mentions, hides and change-feed rows. An owner must first hand over
//! or dismiss their groups.

use entity::{
    auth_session, chat_group, client_message_id, conversation_setting, group_chat_black,
    group_join_request, group_message, message_hide, password_reset, push_token, read_position,
    refresh_token, user_chat_card, user_chat_friend, user_chat_group, user_chat_setting,
    user_credential, user_group_card, user_message, user_notification, user_preference,
    user_subscribe,
};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::accounts::tenant_filter;
use super::{Store, StoreError};

/// The name a deleted user's kept messages are shown under.
pub const DELETED_USER_NAME: &str = "Deleted user";

/// Who must hear that an account is gone: its former friends and groups.
#[derive(Debug, Default)]
pub struct Removed {
    pub friends: Vec<Uuid>,
    pub groups: Vec<i64>,
}

/// Why an account could not be deleted.
#[derive(Debug)]
pub enum Kept {
    /// The user owns these groups (id, name).
    Owns(Vec<(i64, String)>),
}

impl Store {
    /// Deletes the account of `user`; with `erase`, the messages they sent too.
    pub async fn delete_account(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        erase: bool,
    ) -> Result<Result<Removed, Kept>, StoreError> {
        let txn = self.write_txn().await?;
        let owned: Vec<(i64, String)> = chat_group::Entity::find()
            .filter(tenant_filter(chat_group::Column::TenantId, tenant_id))
            .filter(chat_group::Column::AdminUserId.eq(user))
            .all(&txn)
            .await?
            .into_iter()
            .map(|g| (g.group_id, g.name))
            .collect();
        if !owned.is_empty() {
            return Ok(Err(Kept::Owns(owned)));
        }
        let friendships = user_chat_friend::Entity::find()
            .filter(tenant_filter(user_chat_friend::Column::TenantId, tenant_id))
            .filter(
                Condition::any()
                    .add(user_chat_friend::Column::UserId.eq(user))
                    .add(user_chat_friend::Column::FrientId.eq(user)),
            )
            .all(&txn)
            .await?;
        let mut friends: Vec<Uuid> = friendships
            .iter()
            .map(|f| {
                if f.user_id == user {
                    f.frient_id
                } else {
                    f.user_id
                }
            })
            .collect();
        friends.sort();
        friends.dedup();
        let groups: Vec<i64> = user_chat_group::Entity::find()
            .filter(tenant_filter(user_chat_group::Column::TenantId, tenant_id))
            .filter(user_chat_group::Column::UserId.eq(user))
            .all(&txn)
            .await?
            .into_iter()
            .map(|m| m.group_id)
            .collect();

        user_chat_friend::Entity::delete_many()
            .filter(tenant_filter(user_chat_friend::Column::TenantId, tenant_id))
            .filter(
                Condition::any()
                    .add(user_chat_friend::Column::UserId.eq(user))
                    .add(user_chat_friend::Column::FrientId.eq(user)),
            )
            .exec(&txn)
            .await?;
        macro_rules! delete_where {
            ($entity:ident, $column:ident) => {
                $entity::Entity::delete_many()
                    .filter(tenant_filter($entity::Column::TenantId, tenant_id))
                    .filter($entity::Column::$column.eq(user))
                    .exec(&txn)
                    .await?;
            };
        }
        delete_where!(user_chat_group, UserId);
        delete_where!(user_group_card, UserId);
        delete_where!(group_join_request, UserId);
        delete_where!(group_chat_black, ShieldUserId);
        delete_where!(read_position, UserId);
        delete_where!(message_hide, UserId);
        delete_where!(client_message_id, UserId);
        delete_where!(user_chat_setting, UserId);
        delete_where!(user_preference, UserId);
        delete_where!(user_chat_card, UserId);
        delete_where!(user_credential, UserId);
        refresh_token::Entity::delete_many()
            .filter(
                refresh_token::Column::SessionId.in_subquery(
                    Query::select()
                        .column(auth_session::Column::Id)
                        .from(auth_session::Entity)
                        .and_where(Expr::col(auth_session::Column::UserId).eq(user))
                        .to_owned(),
                ),
            )
            .exec(&txn)
            .await?;
        delete_where!(auth_session, UserId);
        delete_where!(password_reset, UserId);
        delete_where!(user_notification, UserId);
        delete_where!(user_subscribe, UserId);
        delete_where!(push_token, UserId);
        delete_where!(conversation_setting, UserId);

        if erase {
            erase_sent(&txn, tenant_id, user).await?;
        } else {
            user_message::Entity::update_many()
                .col_expr(
                    user_message::Column::SendUserName,
                    Expr::value(DELETED_USER_NAME),
                )
                .filter(tenant_filter(user_message::Column::TenantId, tenant_id))
                .filter(user_message::Column::CreatorId.eq(user))
                .exec(&txn)
                .await?;
            group_message::Entity::update_many()
                .col_expr(
                    group_message::Column::SendUserName,
                    Expr::value(DELETED_USER_NAME),
                )
                .filter(tenant_filter(group_message::Column::TenantId, tenant_id))
                .filter(group_message::Column::CreatorId.eq(user))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(Ok(Removed { friends, groups }))
    }
}

/// Deletes the messages `user` sent, and what hangs on them.
async fn erase_sent<C: ConnectionTrait>(
    txn: &C,
    tenant_id: Option<Uuid>,
    user: Uuid,
) -> Result<(), StoreError> {
    let sent = |private: bool| {
        let mut q = Query::select();
        if private {
            q.column(user_message::Column::MessageId)
                .from(user_message::Entity)
                .cond_where(tenant_filter(user_message::Column::TenantId, tenant_id))
                .and_where(Expr::col(user_message::Column::CreatorId).eq(user));
        } else {
            q.column(group_message::Column::MessageId)
                .from(group_message::Entity)
                .cond_where(tenant_filter(group_message::Column::TenantId, tenant_id))
                .and_where(Expr::col(group_message::Column::CreatorId).eq(user));
        }
        q.to_owned()
    };
    for private in [true, false] {
        super::message_dependents::forget_dependents(txn, sent(private)).await?;
    }
    user_message::Entity::delete_many()
        .filter(tenant_filter(user_message::Column::TenantId, tenant_id))
        .filter(user_message::Column::CreatorId.eq(user))
        .exec(txn)
        .await?;
    group_message::Entity::delete_many()
        .filter(tenant_filter(group_message::Column::TenantId, tenant_id))
        .filter(group_message::Column::CreatorId.eq(user))
        .exec(txn)
        .await?;
    Ok(())
}
