//! Group administration: the group row, join requests, members and their cards, the group's
//! blacklist, dismissal and ownership.

use chrono::{DateTime, Utc};
use entity::{chat_group, group_chat_black, group_join_request, user_chat_group, user_group_card};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::accounts::tenant_filter;
use super::filters::contains;
use super::{Store, StoreError};

/// Join request states.
pub const JOIN_PENDING: i16 = 0;
pub const JOIN_ACCEPTED: i16 = 1;
pub const JOIN_REJECTED: i16 = 2;

/// A member with their card in the group.
#[derive(Clone, Debug)]
pub struct Member {
    pub user_id: Uuid,
    pub joined: DateTime<Utc>,
    pub card: Option<user_group_card::Model>,
}

/// Changes to a group's own fields (`None` leaves one as it is).
#[derive(Clone, Debug, Default)]
pub struct GroupUpdate {
    pub name: Option<String>,
    pub notice: Option<String>,
    pub description: Option<String>,
    pub avatar_url: Option<String>,
    pub max_user_count: Option<i32>,
    pub allow_anonymous: Option<bool>,
    pub allow_send_message: Option<bool>,
}

impl Store {
    /// The group row.
    pub async fn group_row(
        &self,
        tenant_id: Option<Uuid>,
        group: i64,
    ) -> Result<Option<chat_group::Model>, StoreError> {
        Ok(chat_group::Entity::find()
            .filter(tenant_filter(chat_group::Column::TenantId, tenant_id))
            .filter(chat_group::Column::GroupId.eq(group))
            .one(&self.db)
            .await?)
    }

    /// How many members a group has.
    pub async fn member_count(
        &self,
        tenant_id: Option<Uuid>,
        group: i64,
    ) -> Result<u64, StoreError> {
        Ok(user_chat_group::Entity::find()
            .filter(tenant_filter(user_chat_group::Column::TenantId, tenant_id))
            .filter(user_chat_group::Column::GroupId.eq(group))
            .count(&self.db)
            .await?)
    }

    /// Groups whose name contains `filter`.
    pub async fn search_groups(
        &self,
        tenant_id: Option<Uuid>,
        filter: &str,
        skip: u64,
        take: u64,
    ) -> Result<(u64, Vec<chat_group::Model>), StoreError> {
        let query = chat_group::Entity::find()
            .filter(tenant_filter(chat_group::Column::TenantId, tenant_id))
            .filter(contains(chat_group::Column::Name, filter));
        let total = query.clone().count(&self.db).await?;
        Ok((
            total,
            query
                .order_by_asc(chat_group::Column::Name)
                .offset(skip)
                .limit(take)
                .all(&self.db)
                .await?,
        ))
    }

    /// The groups `user` belongs to.
    pub async fn groups_of(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
    ) -> Result<Vec<chat_group::Model>, StoreError> {
        let ids: Vec<i64> = user_chat_group::Entity::find()
            .filter(tenant_filter(user_chat_group::Column::TenantId, tenant_id))
            .filter(user_chat_group::Column::UserId.eq(user))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| m.group_id)
            .collect();
        if ids.is_empty() {
            return Ok(vec![]);
        }
        Ok(chat_group::Entity::find()
            .filter(tenant_filter(chat_group::Column::TenantId, tenant_id))
            .filter(chat_group::Column::GroupId.is_in(ids))
            .order_by_asc(chat_group::Column::Name)
            .all(&self.db)
            .await?)
    }

    /// Changes a group's fields.
    pub async fn update_group(
        &self,
        tenant_id: Option<Uuid>,
        group: i64,
        by: Uuid,
        u: GroupUpdate,
    ) -> Result<(), StoreError> {
        use chat_group::Column as G;
        let mut q = chat_group::Entity::update_many()
            .col_expr(G::LastModificationTime, Expr::value(Utc::now()))
            .col_expr(G::LastModifierId, Expr::value(by));
        if let Some(v) = u.name {
            q = q.col_expr(G::Name, Expr::value(v));
        }
        if let Some(v) = u.notice {
            q = q.col_expr(G::Notice, Expr::value(v));
        }
        if let Some(v) = u.description {
            q = q.col_expr(G::Description, Expr::value(v));
        }
        if let Some(v) = u.avatar_url {
            q = q.col_expr(G::AvatarUrl, Expr::value(v));
        }
        if let Some(v) = u.max_user_count {
            q = q.col_expr(G::MaxUserCount, Expr::value(v));
        }
        if let Some(v) = u.allow_anonymous {
            q = q.col_expr(G::AllowAnonymous, Expr::value(v));
        }
        if let Some(v) = u.allow_send_message {
            q = q.col_expr(G::AllowSendMessage, Expr::value(v));
        }
        q.filter(tenant_filter(G::TenantId, tenant_id))
            .filter(G::GroupId.eq(group))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Dismisses a group: the group, its members, cards, blacklist and requests go; its
    /// messages stay (history for the record).
    pub async fn dismiss_group(
        &self,
        tenant_id: Option<Uuid>,
        group: i64,
    ) -> Result<(), StoreError> {
        let txn = self.write_txn().await?;
        user_chat_group::Entity::delete_many()
            .filter(tenant_filter(user_chat_group::Column::TenantId, tenant_id))
            .filter(user_chat_group::Column::GroupId.eq(group))
            .exec(&txn)
            .await?;
        user_group_card::Entity::delete_many()
            .filter(tenant_filter(user_group_card::Column::TenantId, tenant_id))
            .filter(user_group_card::Column::GroupId.eq(group))
            .exec(&txn)
            .await?;
        group_chat_black::Entity::delete_many()
            .filter(tenant_filter(group_chat_black::Column::TenantId, tenant_id))
            .filter(group_chat_black::Column::GroupId.eq(group))
            .exec(&txn)
            .await?;
        group_join_request::Entity::delete_many()
            .filter(tenant_filter(
                group_join_request::Column::TenantId,
                tenant_id,
            ))
            .filter(group_join_request::Column::GroupId.eq(group))
            .exec(&txn)
            .await?;
        chat_group::Entity::delete_many()
            .filter(tenant_filter(chat_group::Column::TenantId, tenant_id))
            .filter(chat_group::Column::GroupId.eq(group))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Records a pending request to join; a second pending one is a conflict.
    pub async fn request_join(
        &self,
        tenant_id: Option<Uuid>,
        group: i64,
        user: Uuid,
        info: Option<String>,
    ) -> Result<(), StoreError> {
        group_join_request::Entity::insert(group_join_request::ActiveModel {
            tenant_id: Set(tenant_id),
            group_id: Set(group),
            user_id: Set(user),
            join_info: Set(info),
            status: Set(JOIN_PENDING),
            creation_time: Set(Utc::now()),
            ..Default::default()
        })
        .exec(&self.db)
        .await?;
        Ok(())
    }

    /// Pending requests to join a group, oldest first.
    pub async fn join_requests(
        &self,
        tenant_id: Option<Uuid>,
        group: i64,
        skip: u64,
        take: u64,
    ) -> Result<(u64, Vec<group_join_request::Model>), StoreError> {
        use group_join_request::Column as J;
        let q = group_join_request::Entity::find()
            .filter(tenant_filter(J::TenantId, tenant_id))
            .filter(J::GroupId.eq(group))
            .filter(J::Status.eq(JOIN_PENDING));
        let total = q.clone().count(&self.db).await?;
        Ok((
            total,
            q.order_by_asc(J::Id)
                .offset(skip)
                .limit(take)
                .all(&self.db)
                .await?,
        ))
    }

    /// Closes `user`'s pending request with `status`; false when there was none.
    pub async fn close_join_request(
        &self,
        tenant_id: Option<Uuid>,
        group: i64,
        user: Uuid,
        status: i16,
        by: Uuid,
        reason: Option<String>,
    ) -> Result<bool, StoreError> {
        use group_join_request::Column as J;
        let r = group_join_request::Entity::update_many()
            .col_expr(J::Status, Expr::value(status))
            .col_expr(J::RejectReason, Expr::value(reason))
            .col_expr(J::LastModificationTime, Expr::value(Utc::now()))
            .col_expr(J::LastModifierId, Expr::value(by))
            .filter(tenant_filter(J::TenantId, tenant_id))
            .filter(J::GroupId.eq(group))
            .filter(J::UserId.eq(user))
            .filter(J::Status.eq(JOIN_PENDING))
            .exec(&self.db)
            .await?;
        Ok(r.rows_affected > 0)
    }

    /// Removes `user` from a group (membership and member card); false if not a member.
    pub async fn remove_member(
        &self,
        tenant_id: Option<Uuid>,
        group: i64,
        user: Uuid,
    ) -> Result<bool, StoreError> {
        let txn = self.write_txn().await?;
        let r = user_chat_group::Entity::delete_many()
            .filter(tenant_filter(user_chat_group::Column::TenantId, tenant_id))
            .filter(user_chat_group::Column::GroupId.eq(group))
            .filter(user_chat_group::Column::UserId.eq(user))
            .exec(&txn)
            .await?;
        user_group_card::Entity::delete_many()
            .filter(tenant_filter(user_group_card::Column::TenantId, tenant_id))
            .filter(user_group_card::Column::GroupId.eq(group))
            .filter(user_group_card::Column::UserId.eq(user))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(r.rows_affected > 0)
    }

    /// Members of a group with their cards, by join time.
    pub async fn members(
        &self,
        tenant_id: Option<Uuid>,
        group: i64,
        skip: u64,
        take: u64,
    ) -> Result<(u64, Vec<Member>), StoreError> {
        let q = user_chat_group::Entity::find()
            .filter(tenant_filter(user_chat_group::Column::TenantId, tenant_id))
            .filter(user_chat_group::Column::GroupId.eq(group));
        let total = q.clone().count(&self.db).await?;
        let rows = q
            .order_by_asc(user_chat_group::Column::Id)
            .offset(skip)
            .limit(take)
            .all(&self.db)
            .await?;
        let users: Vec<Uuid> = rows.iter().map(|r| r.user_id).collect();
        let cards = user_group_card::Entity::find()
            .filter(tenant_filter(user_group_card::Column::TenantId, tenant_id))
            .filter(user_group_card::Column::GroupId.eq(group))
            .filter(user_group_card::Column::UserId.is_in(users))
            .all(&self.db)
            .await?;
        Ok((
            total,
            rows.into_iter()
                .map(|r| Member {
                    user_id: r.user_id,
                    joined: r.creation_time,
                    card: cards.iter().find(|c| c.user_id == r.user_id).cloned(),
                })
                .collect(),
        ))
    }

    /// Changes a member's card: admin flag, silence, nickname (`None` leaves one as it is;
    /// `Some(None)` clears the silence).
    pub async fn update_member(
        &self,
        tenant_id: Option<Uuid>,
        group: i64,
        user: Uuid,
        is_admin: Option<bool>,
        silence_end: Option<Option<DateTime<Utc>>>,
        nick_name: Option<String>,
    ) -> Result<(), StoreError> {
        use user_group_card::Column as C;
        let mut q = user_group_card::Entity::update_many()
            .col_expr(C::LastModificationTime, Expr::value(Utc::now()));
        if let Some(v) = is_admin {
            q = q.col_expr(C::IsAdmin, Expr::value(v));
        }
        if let Some(v) = silence_end {
            q = q.col_expr(C::SilenceEnd, Expr::value(v));
        }
        if let Some(v) = nick_name {
            q = q.col_expr(C::NickName, Expr::value(v));
        }
        q.filter(tenant_filter(C::TenantId, tenant_id))
            .filter(C::GroupId.eq(group))
            .filter(C::UserId.eq(user))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Makes `to` the owner (and an admin).
    pub async fn transfer_group(
        &self,
        tenant_id: Option<Uuid>,
        group: i64,
        to: Uuid,
    ) -> Result<(), StoreError> {
        chat_group::Entity::update_many()
            .col_expr(chat_group::Column::AdminUserId, Expr::value(to))
            .filter(tenant_filter(chat_group::Column::TenantId, tenant_id))
            .filter(chat_group::Column::GroupId.eq(group))
            .exec(&self.db)
            .await?;
        self.update_member(tenant_id, group, to, Some(true), None, None)
            .await
    }

    /// Lifts a ban; false if the user was not banned.
    pub async fn unblacklist_member(
        &self,
        tenant_id: Option<Uuid>,
        group: i64,
        user: Uuid,
    ) -> Result<bool, StoreError> {
        let r = group_chat_black::Entity::delete_many()
            .filter(tenant_filter(group_chat_black::Column::TenantId, tenant_id))
            .filter(
                Condition::all()
                    .add(group_chat_black::Column::GroupId.eq(group))
                    .add(group_chat_black::Column::ShieldUserId.eq(user)),
            )
            .exec(&self.db)
            .await?;
        Ok(r.rows_affected > 0)
    }
}
