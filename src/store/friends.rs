//! Friend requests and friendships (ABP's `AppUserChatFriends`: one row per direction; a row
//! with `Status` 0 is a pending request from `UserId` to `FrientId`).

use entity::{user_chat_card, user_chat_friend};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::accounts::{concurrency_stamp, tenant_filter};
use super::social::FRIEND_ADDED;
use super::{Store, StoreError};

/// Friendship status of a pending request.
pub const FRIEND_PENDING: i16 = 0;

/// A friend (or a requester) with their chat card.
#[derive(Clone, Debug)]
pub struct FriendEntry {
    pub row: user_chat_friend::Model,
    pub card: Option<user_chat_card::Model>,
}

/// Changes to my side of a friendship.
#[derive(Clone, Debug, Default)]
pub struct FriendUpdate {
    pub remark_name: Option<String>,
    pub black: Option<bool>,
    pub dont_disturb: Option<bool>,
    pub special_focus: Option<bool>,
}

impl Store {
    /// `user`'s row for `friend` (either status).
    pub async fn friend_row(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        friend: Uuid,
    ) -> Result<Option<user_chat_friend::Model>, StoreError> {
        super::friend_changes::row(&self.db, tenant_id, user, friend).await
    }

    /// Pending requests to `user`, oldest first, with the requesters' cards, and their count.
    pub async fn friend_requests(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        skip: u64,
        take: u64,
    ) -> Result<(u64, Vec<FriendEntry>), StoreError> {
        use user_chat_friend::Column as F;
        let query = user_chat_friend::Entity::find()
            .filter(tenant_filter(F::TenantId, tenant_id))
            .filter(F::FrientId.eq(user))
            .filter(F::Status.eq(FRIEND_PENDING));
        let total = query.clone().count(&self.db).await?;
        let rows = query
            .order_by_asc(F::Id)
            .offset(skip)
            .limit(take)
            .all(&self.db)
            .await?;
        let cards = self
            .cards(tenant_id, rows.iter().map(|r| r.user_id).collect())
            .await?;
        Ok((
            total,
            rows.into_iter()
                .map(|row| FriendEntry {
                    card: cards.iter().find(|c| c.user_id == row.user_id).cloned(),
                    row,
                })
                .collect(),
        ))
    }

    /// `user`'s friends (added), by name, with their cards; `filter` matches remark, user or
    /// nick name.
    pub async fn friends(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        filter: Option<&str>,
        skip: u64,
        take: u64,
    ) -> Result<(u64, Vec<FriendEntry>), StoreError> {
        use user_chat_friend::Column as F;
        let rows = user_chat_friend::Entity::find()
            .filter(tenant_filter(F::TenantId, tenant_id))
            .filter(F::UserId.eq(user))
            .filter(F::Status.eq(FRIEND_ADDED))
            .order_by_asc(F::Id)
            .all(&self.db)
            .await?;
        let cards = self
            .cards(tenant_id, rows.iter().map(|r| r.frient_id).collect())
            .await?;
        let needle = filter.map(str::to_lowercase).filter(|f| !f.is_empty());
        let matching: Vec<FriendEntry> = rows
            .into_iter()
            .map(|row| FriendEntry {
                card: cards.iter().find(|c| c.user_id == row.frient_id).cloned(),
                row,
            })
            .filter(|e| match &needle {
                None => true,
                Some(n) => [
                    e.row.remark_name.as_deref(),
                    e.card.as_ref().map(|c| c.user_name.as_str()),
                    e.card.as_ref().and_then(|c| c.nick_name.as_deref()),
                ]
                .iter()
                .flatten()
                .any(|v| v.to_lowercase().contains(n)),
            })
            .collect();
        let total = matching.len() as u64;
        Ok((
            total,
            matching
                .into_iter()
                .skip(skip as usize)
                .take(take as usize)
                .collect(),
        ))
    }

    /// Changes `user`'s side of the friendship with `friend`; false if they are not friends.
    pub async fn update_friend(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        friend: Uuid,
        update: FriendUpdate,
    ) -> Result<bool, StoreError> {
        use user_chat_friend::Column as F;
        let mut query = user_chat_friend::Entity::update_many()
            .col_expr(F::ConcurrencyStamp, Expr::value(concurrency_stamp()));
        if let Some(v) = update.remark_name {
            query = query.col_expr(F::RemarkName, Expr::value(v));
        }
        if let Some(v) = update.black {
            query = query.col_expr(F::Black, Expr::value(v));
        }
        if let Some(v) = update.dont_disturb {
            query = query.col_expr(F::DontDisturb, Expr::value(v));
        }
        if let Some(v) = update.special_focus {
            query = query.col_expr(F::SpecialFocus, Expr::value(v));
        }
        let result = query
            .filter(tenant_filter(F::TenantId, tenant_id))
            .filter(F::UserId.eq(user))
            .filter(F::FrientId.eq(friend))
            .filter(F::Status.eq(FRIEND_ADDED))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected > 0)
    }
}
