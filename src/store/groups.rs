//! Groups as a group actor caches them: the group's flags, members, admins, silenced and
//! blacklisted members. Also creating a group and adding members.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{chat_group, group_chat_black, user_chat_group, user_group_card};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::accounts::{concurrency_stamp, tenant_filter};
use super::{Store, StoreError};

/// Everything a group actor caches.
#[derive(Clone, Debug)]
pub struct GroupFacts {
    pub group_id: i64,
    pub name: String,
    pub owner: Uuid,
    pub allow_anonymous: bool,
    pub allow_send_message: bool,
    pub max_user_count: i32,
    pub members: HashSet<Uuid>,
    pub admins: HashSet<Uuid>,
    pub silenced_until: HashMap<Uuid, DateTime<Utc>>,
    pub blacklist: HashSet<Uuid>,
}

/// A group to create.
pub struct NewGroup {
    pub tenant_id: Option<Uuid>,
    pub group_id: i64,
    pub owner: Uuid,
    pub name: String,
    pub max_user_count: i32,
    pub allow_anonymous: bool,
    pub allow_send_message: bool,
}

impl Store {
    /// The facts of group `group_id`, or `None` if it does not exist in `tenant_id`.
    pub async fn group_facts(
        &self,
        tenant_id: Option<Uuid>,
        group_id: i64,
    ) -> Result<Option<GroupFacts>, StoreError> {
        let Some(group) = chat_group::Entity::find()
            .filter(tenant_filter(chat_group::Column::TenantId, tenant_id))
            .filter(chat_group::Column::GroupId.eq(group_id))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let members = user_chat_group::Entity::find()
            .filter(tenant_filter(user_chat_group::Column::TenantId, tenant_id))
            .filter(user_chat_group::Column::GroupId.eq(group_id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| m.user_id)
            .collect();
        let cards = user_group_card::Entity::find()
            .filter(tenant_filter(user_group_card::Column::TenantId, tenant_id))
            .filter(user_group_card::Column::GroupId.eq(group_id))
            .all(&self.db)
            .await?;
        let admins = cards
            .iter()
            .filter(|c| c.is_admin)
            .map(|c| c.user_id)
            .collect();
        let silenced_until = cards
            .iter()
            .filter_map(|c| c.silence_end.map(|t| (c.user_id, t)))
            .collect();
        let blacklist = group_chat_black::Entity::find()
            .filter(tenant_filter(group_chat_black::Column::TenantId, tenant_id))
            .filter(group_chat_black::Column::GroupId.eq(group_id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|b| b.shield_user_id)
            .collect();
        Ok(Some(GroupFacts {
            group_id,
            name: group.name,
            owner: group.admin_user_id,
            allow_anonymous: group.allow_anonymous,
            allow_send_message: group.allow_send_message,
            max_user_count: group.max_user_count,
            members,
            admins,
            silenced_until,
            blacklist,
        }))
    }

    /// Creates a group whose owner is its first member and admin.
    pub async fn create_group(&self, group: NewGroup) -> Result<(), StoreError> {
        let now = Utc::now();
        let txn = self.write_txn().await?;
        chat_group::Entity::insert(chat_group::ActiveModel {
            tenant_id: Set(group.tenant_id),
            admin_user_id: Set(group.owner),
            group_id: Set(group.group_id),
            name: Set(group.name),
            max_user_count: Set(group.max_user_count),
            allow_anonymous: Set(group.allow_anonymous),
            allow_send_message: Set(group.allow_send_message),
            creation_time: Set(now),
            creator_id: Set(Some(group.owner)),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        txn.commit().await?;
        self.add_member(
            group.tenant_id,
            group.group_id,
            group.owner,
            true,
            Some(group.owner),
        )
        .await
    }

    /// Adds `user` to a group (with a member card). Adding a member twice is a conflict.
    pub async fn add_member(
        &self,
        tenant_id: Option<Uuid>,
        group_id: i64,
        user: Uuid,
        is_admin: bool,
        by: Option<Uuid>,
    ) -> Result<(), StoreError> {
        let now = Utc::now();
        let txn = self.write_txn().await?;
        user_chat_group::Entity::insert(user_chat_group::ActiveModel {
            tenant_id: Set(tenant_id),
            user_id: Set(user),
            group_id: Set(group_id),
            creation_time: Set(now),
            creator_id: Set(by),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        user_group_card::Entity::insert(user_group_card::ActiveModel {
            tenant_id: Set(tenant_id),
            user_id: Set(user),
            group_id: Set(Some(group_id)),
            is_admin: Set(is_admin),
            extra_properties: Set("{}".into()),
            concurrency_stamp: Set(concurrency_stamp()),
            creation_time: Set(now),
            creator_id: Set(by),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Silences a member until `until` (or lifts it with `None`).
    pub async fn silence_member(
        &self,
        tenant_id: Option<Uuid>,
        group_id: i64,
        user: Uuid,
        until: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        use sea_orm::sea_query::Expr;
        use user_group_card::Column as C;
        user_group_card::Entity::update_many()
            .col_expr(C::SilenceEnd, Expr::value(until))
            .filter(tenant_filter(C::TenantId, tenant_id))
            .filter(C::GroupId.eq(group_id))
            .filter(C::UserId.eq(user))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Sets whether members may send, and whether they may send anonymously.
    pub async fn set_group_flags(
        &self,
        tenant_id: Option<Uuid>,
        group_id: i64,
        allow_send: bool,
        allow_anonymous: bool,
    ) -> Result<(), StoreError> {
        use chat_group::Column as G;
        use sea_orm::sea_query::Expr;
        chat_group::Entity::update_many()
            .col_expr(G::AllowSendMessage, Expr::value(allow_send))
            .col_expr(G::AllowAnonymous, Expr::value(allow_anonymous))
            .filter(tenant_filter(G::TenantId, tenant_id))
            .filter(G::GroupId.eq(group_id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Bans `user` from a group: blacklisted, no longer a member, and any pending request to
    /// join rejected. Banning a banned user changes nothing more and is no error.
    pub async fn blacklist_member(
        &self,
        tenant_id: Option<Uuid>,
        group_id: i64,
        user: Uuid,
        by: Uuid,
    ) -> Result<(), StoreError> {
        let txn = self.write_txn().await?;
        user_chat_group::Entity::delete_many()
            .filter(tenant_filter(user_chat_group::Column::TenantId, tenant_id))
            .filter(user_chat_group::Column::GroupId.eq(group_id))
            .filter(user_chat_group::Column::UserId.eq(user))
            .exec(&txn)
            .await?;
        user_group_card::Entity::delete_many()
            .filter(tenant_filter(user_group_card::Column::TenantId, tenant_id))
            .filter(user_group_card::Column::GroupId.eq(group_id))
            .filter(user_group_card::Column::UserId.eq(user))
            .exec(&txn)
            .await?;
        {
            use entity::group_join_request::{Column as J, Entity as Requests};
            use sea_orm::sea_query::Expr;
            Requests::update_many()
                .col_expr(J::Status, Expr::value(super::JOIN_REJECTED))
                .col_expr(J::LastModificationTime, Expr::value(Utc::now()))
                .col_expr(J::LastModifierId, Expr::value(by))
                .filter(tenant_filter(J::TenantId, tenant_id))
                .filter(J::GroupId.eq(group_id))
                .filter(J::UserId.eq(user))
                .filter(J::Status.eq(super::JOIN_PENDING))
                .exec(&txn)
                .await?;
        }
        let listed = group_chat_black::Entity::find()
            .filter(tenant_filter(group_chat_black::Column::TenantId, tenant_id))
            .filter(group_chat_black::Column::GroupId.eq(group_id))
            .filter(group_chat_black::Column::ShieldUserId.eq(user))
            .one(&txn)
            .await?
            .is_some();
        if !listed {
            group_chat_black::Entity::insert(group_chat_black::ActiveModel {
                tenant_id: Set(tenant_id),
                group_id: Set(group_id),
                shield_user_id: Set(user),
                creation_time: Set(Utc::now()),
                creator_id: Set(Some(by)),
                ..Default::default()
            })
            .exec(&txn)
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }
}

impl Store {
    /// Names and avatars of `groups`, by id.
    pub async fn group_names(
        &self,
        tenant_id: Option<Uuid>,
        groups: Vec<i64>,
    ) -> Result<HashMap<i64, (String, Option<String>)>, StoreError> {
        if groups.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(chat_group::Entity::find()
            .filter(tenant_filter(chat_group::Column::TenantId, tenant_id))
            .filter(chat_group::Column::GroupId.is_in(groups))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|g| (g.group_id, (g.name, g.avatar_url)))
            .collect())
    }
}
