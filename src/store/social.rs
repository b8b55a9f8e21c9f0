//! What a user actor caches to decide, without a query per message, whether a message may
//! reach its user: whether the user exists, their chat settings, their friends and blacklist,
//! and their groups. Also the writes that change those facts.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{user_chat_card, user_chat_friend, user_chat_group, user_chat_setting};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::accounts::tenant_filter;
use super::{PresenceWrite, Store, StoreError};

/// Friendship status, as ABP numbers it.
pub const FRIEND_ADDED: i16 = 1;

/// A user's chat settings (ABP's `AppUserChatSettings`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChatSettings {
    pub allow_anonymous: bool,
    pub allow_add_friend: bool,
    pub require_add_friend_validation: bool,
    pub allow_receive_message: bool,
    pub allow_send_message: bool,
}

/// One friend as the user sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FriendFacts {
    /// The user has blacklisted this friend.
    pub black: bool,
}

/// Everything a user actor caches about its user.
#[derive(Clone, Debug, Default)]
pub struct UserFacts {
    pub exists: bool,
    pub user_name: String,
    pub settings: Option<ChatSettings>,
    pub friends: HashMap<Uuid, FriendFacts>,
    /// The user's groups and when the user joined each.
    pub groups: HashMap<i64, DateTime<Utc>>,
    /// Whether others see what the user reads (`shareReadReceipts`).
    pub shares_read_receipts: bool,
}

impl Store {
    /// Loads the facts of `user` in `tenant_id` (from a replica while the primary is down).
    pub async fn user_facts(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
    ) -> Result<UserFacts, StoreError> {
        let db = self.primary_or_standby();
        match self.user_facts_on(db, tenant_id, user).await {
            Err(e) if std::ptr::eq(db, &self.db) => match self.standby_after_failure() {
                Some(standby) => self.user_facts_on(standby, tenant_id, user).await,
                None => Err(e),
            },
            facts => facts,
        }
    }

    async fn user_facts_on(
        &self,
        db: &sea_orm::DatabaseConnection,
        tenant_id: Option<Uuid>,
        user: Uuid,
    ) -> Result<UserFacts, StoreError> {
        let card = user_chat_card::Entity::find()
            .filter(tenant_filter(user_chat_card::Column::TenantId, tenant_id))
            .filter(user_chat_card::Column::UserId.eq(user))
            .one(db)
            .await?;
        let Some(card) = card else {
            return Ok(UserFacts::default());
        };
        let settings = user_chat_setting::Entity::find()
            .filter(tenant_filter(
                user_chat_setting::Column::TenantId,
                tenant_id,
            ))
            .filter(user_chat_setting::Column::UserId.eq(user))
            .one(db)
            .await?
            .map(|s| ChatSettings {
                allow_anonymous: s.allow_anonymous,
                allow_add_friend: s.allow_add_friend,
                require_add_friend_validation: s.require_add_friend_valition,
                allow_receive_message: s.allow_receive_message,
                allow_send_message: s.allow_send_message,
            });
        let friends = user_chat_friend::Entity::find()
            .filter(tenant_filter(user_chat_friend::Column::TenantId, tenant_id))
            .filter(user_chat_friend::Column::UserId.eq(user))
            .filter(user_chat_friend::Column::Status.eq(FRIEND_ADDED))
            .all(db)
            .await?
            .into_iter()
            .map(|f| {
                (
                    f.frient_id,
                    FriendFacts {
                        black: f.black.unwrap_or(false),
                    },
                )
            })
            .collect();
        let groups = user_chat_group::Entity::find()
            .filter(tenant_filter(user_chat_group::Column::TenantId, tenant_id))
            .filter(user_chat_group::Column::UserId.eq(user))
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.group_id, m.creation_time))
            .collect();
        Ok(UserFacts {
            exists: true,
            user_name: card.user_name,
            settings,
            friends,
            groups,
            shares_read_receipts: super::preferences::shares_read_receipts(db, user).await?,
        })
    }

    /// Makes `a` and `b` friends in both directions (accepting a pending request if there is
    /// one). Doing it twice changes nothing.
    pub async fn befriend(
        &self,
        tenant_id: Option<Uuid>,
        a: Uuid,
        b: Uuid,
    ) -> Result<(), StoreError> {
        let txn = self.write_txn().await?;
        super::friend_changes::befriend_in(&txn, tenant_id, a, b).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Changes `user`'s chat settings.
    pub async fn update_settings(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        settings: ChatSettings,
    ) -> Result<(), StoreError> {
        use sea_orm::sea_query::Expr;
        use user_chat_setting::Column as S;
        user_chat_setting::Entity::update_many()
            .col_expr(S::AllowAnonymous, Expr::value(settings.allow_anonymous))
            .col_expr(S::AllowAddFriend, Expr::value(settings.allow_add_friend))
            .col_expr(
                S::RequireAddFriendValition,
                Expr::value(settings.require_add_friend_validation),
            )
            .col_expr(
                S::AllowReceiveMessage,
                Expr::value(settings.allow_receive_message),
            )
            .col_expr(
                S::AllowSendMessage,
                Expr::value(settings.allow_send_message),
            )
            .filter(tenant_filter(S::TenantId, tenant_id))
            .filter(S::UserId.eq(user))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Sets whether `user` has blacklisted `friend`.
    pub async fn set_black(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        friend: Uuid,
        black: bool,
    ) -> Result<(), StoreError> {
        use sea_orm::sea_query::Expr;
        use user_chat_friend::Column as F;
        user_chat_friend::Entity::update_many()
            .col_expr(F::Black, Expr::value(black))
            .filter(tenant_filter(F::TenantId, tenant_id))
            .filter(F::UserId.eq(user))
            .filter(F::FrientId.eq(friend))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Marks users online or offline on their chat cards, in one transaction
    /// (`presence_writer`).
    pub async fn set_presences(&self, changes: &[PresenceWrite]) -> Result<(), StoreError> {
        use sea_orm::sea_query::Expr;
        use user_chat_card::Column as C;
        let txn = self.write_txn().await?;
        for c in changes {
            user_chat_card::Entity::update_many()
                .col_expr(C::State, Expr::value(if c.online { 0 } else { 1 }))
                .col_expr(C::LastOnlineTime, Expr::value(c.at))
                .filter(tenant_filter(C::TenantId, c.tenant_id))
                .filter(C::UserId.eq(c.user_id))
                .exec(&txn)
                .await?;
        }
        if self.outbox_on() {
            let events = changes
                .iter()
                .map(|c| super::outbox::presence_event(c.tenant_id, c.user_id, c.online, c.at));
            super::outbox::write(&txn, events.collect()).await?;
        }
        txn.commit().await?;
        Ok(())
    }
}
