//! Reading groups: the group row, member counts, search, a user's groups, join requests and
//! members with their cards. Changes go through `group_changes`.

use chrono::{DateTime, Utc};
use entity::{chat_group, group_join_request, user_chat_group, user_group_card};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
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
    /// Who may mention everyone (`AppChatGroupSettings`).
    pub mention_all: Option<super::MentionAll>,
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
}
