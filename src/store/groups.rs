//! Groups as a group actor caches them: the group's flags, members, admins, silenced and
//! blacklisted members. Also creating a group and adding members.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{chat_group, group_chat_black, user_chat_group, user_group_card};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::accounts::tenant_filter;
use super::group_changes::{insert_member, GroupChange};
use super::mentions::MentionAll;
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
    /// Who may mention everyone.
    pub mention_all: MentionAll,
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
        load_facts(&self.db, tenant_id, group_id, false).await
    }
}

/// The facts of a group on `db`; with `lock`, its row is locked for the rest of the
/// transaction first (PostgreSQL `FOR UPDATE`; SQLite's writers take turns already), so the
/// facts stay true until it commits.
pub(super) async fn load_facts<C: sea_orm::ConnectionTrait>(
    db: &C,
    tenant_id: Option<Uuid>,
    group_id: i64,
    lock: bool,
) -> Result<Option<GroupFacts>, StoreError> {
    use sea_orm::QuerySelect;
    let mut row = chat_group::Entity::find()
        .filter(tenant_filter(chat_group::Column::TenantId, tenant_id))
        .filter(chat_group::Column::GroupId.eq(group_id));
    if lock {
        row = row.lock_exclusive();
    }
    let Some(group) = row.one(db).await? else {
        return Ok(None);
    };
    let members = user_chat_group::Entity::find()
        .filter(tenant_filter(user_chat_group::Column::TenantId, tenant_id))
        .filter(user_chat_group::Column::GroupId.eq(group_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let cards = user_group_card::Entity::find()
        .filter(tenant_filter(user_group_card::Column::TenantId, tenant_id))
        .filter(user_group_card::Column::GroupId.eq(group_id))
        .all(db)
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
        .all(db)
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
        mention_all: super::mentions::mention_all_of(db, group_id).await?,
    }))
}

impl Store {
    /// Creates a group whose owner is its first member and admin, in one transaction.
    pub async fn create_group(&self, group: NewGroup) -> Result<(), StoreError> {
        let now = Utc::now();
        let name = group.name.clone();
        let txn = self.write_txn().await?;
        chat_group::Entity::insert(chat_group::ActiveModel {
            tenant_id: Set(group.tenant_id),
            admin_user_id: Set(group.owner),
            group_id: Set(group.group_id),
            name: Set(name.clone()),
            max_user_count: Set(group.max_user_count),
            allow_anonymous: Set(group.allow_anonymous),
            allow_send_message: Set(group.allow_send_message),
            creation_time: Set(now),
            creator_id: Set(Some(group.owner)),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        insert_member(
            &txn,
            group.tenant_id,
            group.group_id,
            group.owner,
            true,
            Some(group.owner),
        )
        .await?;
        if self.outbox_on() {
            let data = serde_json::json!({"name": name, "ownerUserId": group.owner});
            let event =
                super::outbox::group_event("group.created", group.tenant_id, group.group_id, data);
            super::outbox::write(&txn, vec![event]).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Adds `user` to a group (with a member card), unchecked: for fixtures and tools. Adding
    /// a member twice is a conflict. Requests go through `change_group`.
    pub async fn add_member(
        &self,
        tenant_id: Option<Uuid>,
        group_id: i64,
        user: Uuid,
        is_admin: bool,
        by: Option<Uuid>,
    ) -> Result<(), StoreError> {
        let txn = self.write_txn().await?;
        insert_member(&txn, tenant_id, group_id, user, is_admin, by).await?;
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

    /// Bans `user` from a group, unchecked (for fixtures and tools): as the ban route does.
    pub async fn blacklist_member(
        &self,
        tenant_id: Option<Uuid>,
        group_id: i64,
        user: Uuid,
        by: Uuid,
    ) -> Result<(), StoreError> {
        let ban = GroupChange::Ban { user };
        self.change_group(tenant_id, group_id, by, ban, |_| Ok::<(), ()>(()))
            .await?;
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
