//! Every change to a group's membership, roles and rows, each one transaction that first locks
//! the group's row and reads its facts again under the lock. The caller's rule is checked on
//! what is true at that moment, and nothing else changes the group between the check and the
//! writes: two requests that are each allowed alone can no longer both be applied when
//! together they break the group (two owners, a member who is also banned, a full group
//! overfilled, rows left behind by a dismissal).

use chrono::{DateTime, Utc};
use entity::{chat_group, group_chat_black, group_join_request, user_chat_group, user_group_card};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::accounts::{concurrency_stamp, tenant_filter};
use super::groups::load_facts;
use super::memberships::{GroupUpdate, JOIN_ACCEPTED, JOIN_PENDING, JOIN_REJECTED};
use super::{GroupFacts, Store, StoreError};

/// One change to a group, by an actor the rule has vetted.
#[derive(Clone, Debug)]
pub enum GroupChange {
    /// The group's own fields.
    Update(GroupUpdate),
    /// The group and every row that hangs from it (its messages stay).
    Dismiss,
    /// The actor asks to join.
    Join { info: Option<String> },
    /// `user`'s pending request is accepted: a member now.
    Accept { user: Uuid },
    /// `user`'s pending request is rejected.
    Reject { user: Uuid, reason: Option<String> },
    /// `user` is taken out (removed by an admin, or leaving).
    Remove { user: Uuid },
    /// `user` is banned: out, blacklisted, and any pending request rejected.
    Ban { user: Uuid },
    /// `user`'s ban is lifted.
    Unban { user: Uuid },
    /// `to` becomes the owner (and an admin).
    Transfer { to: Uuid },
    /// `user`'s card: admin flag, silence (`Some(None)` lifts it), nickname.
    Member {
        user: Uuid,
        is_admin: Option<bool>,
        silence_end: Option<Option<DateTime<Utc>>>,
        nick_name: Option<String>,
    },
}

/// What became of a change.
#[derive(Debug)]
pub enum Changed<R> {
    /// Applied; the facts as they were just before it.
    Done(Box<GroupFacts>),
    /// There is no such group (any more).
    NoGroup,
    /// The rule refused it, on the facts under the lock.
    Refused(R),
    /// What it acts on is not there: no pending request, not a member, not banned.
    Nothing,
}

impl Store {
    /// Applies `change` by `actor` to a group if `rule` allows it on the group's facts as they
    /// are under the lock.
    pub async fn change_group<R>(
        &self,
        tenant_id: Option<Uuid>,
        group: i64,
        actor: Uuid,
        change: GroupChange,
        rule: impl FnOnce(&GroupFacts) -> Result<(), R>,
    ) -> Result<Changed<R>, StoreError> {
        let txn = self.write_txn().await?;
        let Some(facts) = load_facts(&txn, tenant_id, group, true).await? else {
            txn.rollback().await?;
            return Ok(Changed::NoGroup);
        };
        if let Err(refused) = rule(&facts) {
            txn.rollback().await?;
            return Ok(Changed::Refused(refused));
        }
        let at = Where {
            tenant_id,
            group,
            actor,
        };
        let event = self
            .outbox_on()
            .then(|| group_event_of(&change, tenant_id, group, actor))
            .flatten();
        if !apply(&txn, &at, change).await? {
            // Nothing was written (every write of a change that finds nothing is conditional).
            txn.rollback().await?;
            return Ok(Changed::Nothing);
        }
        if let Some(event) = event {
            super::outbox::write(&txn, vec![event]).await?;
        }
        txn.commit().await?;
        Ok(Changed::Done(Box::new(facts)))
    }
}

/// The event a group change reports, if any (requests, rejections and unbans report none).
fn group_event_of(
    change: &GroupChange,
    tenant_id: Option<Uuid>,
    group: i64,
    actor: Uuid,
) -> Option<super::outbox::NewEvent> {
    use serde_json::json;
    let (kind, data) = match change {
        GroupChange::Update(_) => ("group.updated", json!({"byUserId": actor})),
        GroupChange::Transfer { to } => (
            "group.updated",
            json!({"byUserId": actor, "ownerUserId": to}),
        ),
        GroupChange::Member { user, .. } => (
            "group.updated",
            json!({"byUserId": actor, "memberUserId": user}),
        ),
        GroupChange::Dismiss => ("group.dismissed", json!({"byUserId": actor})),
        GroupChange::Accept { user } => (
            "group.memberJoined",
            json!({"userId": user, "byUserId": actor}),
        ),
        GroupChange::Remove { user } if *user == actor => {
            ("group.memberLeft", json!({"userId": user}))
        }
        GroupChange::Remove { user } => (
            "group.memberRemoved",
            json!({"userId": user, "byUserId": actor, "banned": false}),
        ),
        GroupChange::Ban { user } => (
            "group.memberRemoved",
            json!({"userId": user, "byUserId": actor, "banned": true}),
        ),
        GroupChange::Join { .. } | GroupChange::Reject { .. } | GroupChange::Unban { .. } => {
            return None
        }
    };
    Some(super::outbox::group_event(kind, tenant_id, group, data))
}

/// Which group, and who acts.
struct Where {
    tenant_id: Option<Uuid>,
    group: i64,
    actor: Uuid,
}

/// The writes of one change; false when what it acts on was not there.
async fn apply(
    txn: &DatabaseTransaction,
    at: &Where,
    change: GroupChange,
) -> Result<bool, StoreError> {
    let now = Utc::now();
    match change {
        GroupChange::Update(u) => {
            update_row(txn, at, u).await?;
            Ok(true)
        }
        GroupChange::Dismiss => {
            dismiss(txn, at).await?;
            Ok(true)
        }
        GroupChange::Join { info } => {
            group_join_request::Entity::insert(group_join_request::ActiveModel {
                tenant_id: Set(at.tenant_id),
                group_id: Set(at.group),
                user_id: Set(at.actor),
                join_info: Set(info),
                status: Set(JOIN_PENDING),
                creation_time: Set(now),
                ..Default::default()
            })
            .exec(txn)
            .await?;
            Ok(true)
        }
        GroupChange::Accept { user } => {
            if !close_request(txn, at, user, JOIN_ACCEPTED, None).await? {
                return Ok(false);
            }
            insert_member(txn, at.tenant_id, at.group, user, false, Some(at.actor)).await?;
            Ok(true)
        }
        GroupChange::Reject { user, reason } => {
            close_request(txn, at, user, JOIN_REJECTED, reason).await
        }
        GroupChange::Remove { user } => remove(txn, at, user).await,
        GroupChange::Ban { user } => {
            remove(txn, at, user).await?;
            close_request(txn, at, user, JOIN_REJECTED, None).await?;
            let listed = group_chat_black::Entity::find()
                .filter(tenant_filter(
                    group_chat_black::Column::TenantId,
                    at.tenant_id,
                ))
                .filter(group_chat_black::Column::GroupId.eq(at.group))
                .filter(group_chat_black::Column::ShieldUserId.eq(user))
                .one(txn)
                .await?
                .is_some();
            if !listed {
                group_chat_black::Entity::insert(group_chat_black::ActiveModel {
                    tenant_id: Set(at.tenant_id),
                    group_id: Set(at.group),
                    shield_user_id: Set(user),
                    creation_time: Set(now),
                    creator_id: Set(Some(at.actor)),
                    ..Default::default()
                })
                .exec(txn)
                .await?;
            }
            Ok(true)
        }
        GroupChange::Unban { user } => {
            let r = group_chat_black::Entity::delete_many()
                .filter(tenant_filter(
                    group_chat_black::Column::TenantId,
                    at.tenant_id,
                ))
                .filter(group_chat_black::Column::GroupId.eq(at.group))
                .filter(group_chat_black::Column::ShieldUserId.eq(user))
                .exec(txn)
                .await?;
            Ok(r.rows_affected > 0)
        }
        GroupChange::Transfer { to } => {
            chat_group::Entity::update_many()
                .col_expr(chat_group::Column::AdminUserId, Expr::value(to))
                .col_expr(chat_group::Column::LastModificationTime, Expr::value(now))
                .col_expr(chat_group::Column::LastModifierId, Expr::value(at.actor))
                .filter(tenant_filter(chat_group::Column::TenantId, at.tenant_id))
                .filter(chat_group::Column::GroupId.eq(at.group))
                .exec(txn)
                .await?;
            update_card(txn, at, to, Some(true), None, None).await
        }
        GroupChange::Member {
            user,
            is_admin,
            silence_end,
            nick_name,
        } => update_card(txn, at, user, is_admin, silence_end, nick_name).await,
    }
}

/// Adds `user` to a group with a member card. Adding a member twice is a conflict.
pub(super) async fn insert_member<C: sea_orm::ConnectionTrait>(
    db: &C,
    tenant_id: Option<Uuid>,
    group_id: i64,
    user: Uuid,
    is_admin: bool,
    by: Option<Uuid>,
) -> Result<(), StoreError> {
    let now = Utc::now();
    user_chat_group::Entity::insert(user_chat_group::ActiveModel {
        tenant_id: Set(tenant_id),
        user_id: Set(user),
        group_id: Set(group_id),
        creation_time: Set(now),
        creator_id: Set(by),
        ..Default::default()
    })
    .exec(db)
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
    .exec(db)
    .await?;
    Ok(())
}

/// Closes `user`'s pending request with `status`; false when there was none.
async fn close_request(
    txn: &DatabaseTransaction,
    at: &Where,
    user: Uuid,
    status: i16,
    reason: Option<String>,
) -> Result<bool, StoreError> {
    use group_join_request::Column as J;
    let r = group_join_request::Entity::update_many()
        .col_expr(J::Status, Expr::value(status))
        .col_expr(J::RejectReason, Expr::value(reason))
        .col_expr(J::LastModificationTime, Expr::value(Utc::now()))
        .col_expr(J::LastModifierId, Expr::value(at.actor))
        .filter(tenant_filter(J::TenantId, at.tenant_id))
        .filter(J::GroupId.eq(at.group))
        .filter(J::UserId.eq(user))
        .filter(J::Status.eq(JOIN_PENDING))
        .exec(txn)
        .await?;
    Ok(r.rows_affected > 0)
}

/// Takes `user`'s membership and card; false if not a member.
async fn remove(txn: &DatabaseTransaction, at: &Where, user: Uuid) -> Result<bool, StoreError> {
    let r = user_chat_group::Entity::delete_many()
        .filter(tenant_filter(
            user_chat_group::Column::TenantId,
            at.tenant_id,
        ))
        .filter(user_chat_group::Column::GroupId.eq(at.group))
        .filter(user_chat_group::Column::UserId.eq(user))
        .exec(txn)
        .await?;
    user_group_card::Entity::delete_many()
        .filter(tenant_filter(
            user_group_card::Column::TenantId,
            at.tenant_id,
        ))
        .filter(user_group_card::Column::GroupId.eq(at.group))
        .filter(user_group_card::Column::UserId.eq(user))
        .exec(txn)
        .await?;
    Ok(r.rows_affected > 0)
}

/// Changes `user`'s member card; false when there is no card.
async fn update_card(
    txn: &DatabaseTransaction,
    at: &Where,
    user: Uuid,
    is_admin: Option<bool>,
    silence_end: Option<Option<DateTime<Utc>>>,
    nick_name: Option<String>,
) -> Result<bool, StoreError> {
    use user_group_card::Column as C;
    let mut q = user_group_card::Entity::update_many()
        .col_expr(C::LastModificationTime, Expr::value(Utc::now()))
        .col_expr(C::LastModifierId, Expr::value(at.actor));
    if let Some(v) = is_admin {
        q = q.col_expr(C::IsAdmin, Expr::value(v));
    }
    if let Some(v) = silence_end {
        q = q.col_expr(C::SilenceEnd, Expr::value(v));
    }
    if let Some(v) = nick_name {
        q = q.col_expr(C::NickName, Expr::value(v));
    }
    let r = q
        .filter(tenant_filter(C::TenantId, at.tenant_id))
        .filter(C::GroupId.eq(at.group))
        .filter(C::UserId.eq(user))
        .exec(txn)
        .await?;
    Ok(r.rows_affected > 0)
}

/// Changes the group's own fields.
async fn update_row(
    txn: &DatabaseTransaction,
    at: &Where,
    u: GroupUpdate,
) -> Result<(), StoreError> {
    use chat_group::Column as G;
    let mut q = chat_group::Entity::update_many()
        .col_expr(G::LastModificationTime, Expr::value(Utc::now()))
        .col_expr(G::LastModifierId, Expr::value(at.actor));
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
    q.filter(tenant_filter(G::TenantId, at.tenant_id))
        .filter(G::GroupId.eq(at.group))
        .exec(txn)
        .await?;
    if let Some(v) = u.mention_all {
        super::mentions::set_mention_all(txn, at.tenant_id, at.group, v).await?;
    }
    Ok(())
}

/// Deletes the group and every row that hangs from it.
async fn dismiss(txn: &DatabaseTransaction, at: &Where) -> Result<(), StoreError> {
    let (tenant_id, group) = (at.tenant_id, at.group);
    user_chat_group::Entity::delete_many()
        .filter(tenant_filter(user_chat_group::Column::TenantId, tenant_id))
        .filter(user_chat_group::Column::GroupId.eq(group))
        .exec(txn)
        .await?;
    user_group_card::Entity::delete_many()
        .filter(tenant_filter(user_group_card::Column::TenantId, tenant_id))
        .filter(user_group_card::Column::GroupId.eq(group))
        .exec(txn)
        .await?;
    group_chat_black::Entity::delete_many()
        .filter(tenant_filter(group_chat_black::Column::TenantId, tenant_id))
        .filter(group_chat_black::Column::GroupId.eq(group))
        .exec(txn)
        .await?;
    group_join_request::Entity::delete_many()
        .filter(tenant_filter(
            group_join_request::Column::TenantId,
            tenant_id,
        ))
        .filter(group_join_request::Column::GroupId.eq(group))
        .exec(txn)
        .await?;
    entity::group_setting::Entity::delete_by_id(group)
        .exec(txn)
        .await?;
    chat_group::Entity::delete_many()
        .filter(tenant_filter(chat_group::Column::TenantId, tenant_id))
        .filter(chat_group::Column::GroupId.eq(group))
        .exec(txn)
        .await?;
    Ok(())
}
