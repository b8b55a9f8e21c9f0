//! Every change to a friendship, each one transaction that first takes the pair's lock
//! (PostgreSQL: a transaction-scoped advisory lock keyed by the two users; SQLite's writers
//! take turns already) and reads both rows under it. Two users asking each other at once
//! become friends instead of leaving two requests; an accept racing a delete or a reject
//! finds the request gone and says so; a friendship is both rows or neither (a block the
//! other side holds stays, as its owner's).

use chrono::Utc;
use entity::user_chat_friend;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, Statement,
};
use uuid::Uuid;

use super::accounts::{concurrency_stamp, tenant_filter};
use super::friends::FRIEND_PENDING;
use super::social::FRIEND_ADDED;
use super::{Store, StoreError};

/// One change to the friendship of `me` and `other`, made by `me`.
#[derive(Clone, Debug)]
pub enum FriendChange {
    /// `me` asks `other`; friends at once when `direct` (the other takes friends without
    /// review) or when the other had already asked `me`.
    Ask {
        remark_name: Option<String>,
        description: Option<String>,
        direct: bool,
    },
    /// `me` accepts the other's pending request.
    Accept,
    /// `me` rejects the other's pending request.
    Reject,
    /// `me` ends the friendship (or withdraws or refuses a request).
    Remove,
}

/// What became of a friendship change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FriendOutcome {
    /// Friends now, both rows.
    Befriended,
    /// A request from `me` waits for the other.
    Asked,
    /// Rejected or removed.
    Done,
    /// `me` already has a row for the other (a friend, or a request already made).
    AlreadyThere,
    /// There was nothing to act on: no pending request, no friendship.
    Nothing,
}

impl Store {
    /// Applies `change` to the friendship of `me` and `other` under the pair's lock.
    pub async fn change_friendship(
        &self,
        tenant_id: Option<Uuid>,
        me: Uuid,
        other: Uuid,
        change: FriendChange,
    ) -> Result<FriendOutcome, StoreError> {
        let txn = self.write_txn().await?;
        lock_pair(&txn, tenant_id, me, other).await?;
        let mine = row(&txn, tenant_id, me, other).await?;
        let theirs = row(&txn, tenant_id, other, me).await?;
        let theirs_pending = theirs.as_ref().is_some_and(|r| r.status != FRIEND_ADDED);
        let were_friends = mine.as_ref().is_some_and(|r| r.status == FRIEND_ADDED);
        let outcome = match change {
            FriendChange::Ask { .. } if mine.is_some() => FriendOutcome::AlreadyThere,
            FriendChange::Ask {
                remark_name,
                description,
                direct,
            } => {
                let status = if direct || theirs_pending {
                    FRIEND_ADDED
                } else {
                    FRIEND_PENDING
                };
                insert_row(&txn, tenant_id, me, other, status, remark_name, description).await?;
                if status == FRIEND_ADDED {
                    befriend_in(&txn, tenant_id, me, other).await?;
                    FriendOutcome::Befriended
                } else {
                    FriendOutcome::Asked
                }
            }
            FriendChange::Accept if theirs_pending => {
                befriend_in(&txn, tenant_id, me, other).await?;
                FriendOutcome::Befriended
            }
            FriendChange::Reject if theirs_pending => {
                delete(&txn, tenant_id, other, me).await?;
                FriendOutcome::Done
            }
            FriendChange::Accept | FriendChange::Reject => FriendOutcome::Nothing,
            FriendChange::Remove => {
                let mut removed = false;
                if mine.is_some() {
                    removed |= delete(&txn, tenant_id, me, other).await?;
                }
                if theirs.as_ref().is_some_and(|r| r.black != Some(true)) {
                    removed |= delete(&txn, tenant_id, other, me).await?;
                }
                if removed {
                    FriendOutcome::Done
                } else {
                    FriendOutcome::Nothing
                }
            }
        };
        if self.outbox_on() {
            let kind = match (outcome, were_friends) {
                (FriendOutcome::Befriended, _) => Some("friend.added"),
                (FriendOutcome::Done, true) => Some("friend.removed"),
                _ => None,
            };
            if let Some(kind) = kind {
                let event = super::outbox::friend_event(kind, tenant_id, me, other);
                super::outbox::write(&txn, vec![event]).await?;
            }
        }
        txn.commit().await?;
        Ok(outcome)
    }
}

/// Takes the pair's lock for the rest of the transaction (PostgreSQL; a no-op on SQLite, whose
/// write transactions already run one at a time).
async fn lock_pair(
    txn: &DatabaseTransaction,
    tenant_id: Option<Uuid>,
    a: Uuid,
    b: Uuid,
) -> Result<(), StoreError> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    // FNV-1a over the tenant and the ordered pair: the same key whoever asks. A collision
    // only makes two unrelated pairs take turns.
    let mut key: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in tenant_id
        .unwrap_or_default()
        .as_bytes()
        .iter()
        .chain(lo.as_bytes())
        .chain(hi.as_bytes())
    {
        key = (key ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
    }
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)",
        [(key as i64).into()],
    );
    txn.execute_raw(statement).await?;
    Ok(())
}

/// `user`'s row for `friend` (either status), if any.
pub(super) async fn row<C: ConnectionTrait>(
    db: &C,
    tenant_id: Option<Uuid>,
    user: Uuid,
    friend: Uuid,
) -> Result<Option<user_chat_friend::Model>, StoreError> {
    Ok(user_chat_friend::Entity::find()
        .filter(tenant_filter(user_chat_friend::Column::TenantId, tenant_id))
        .filter(user_chat_friend::Column::UserId.eq(user))
        .filter(user_chat_friend::Column::FrientId.eq(friend))
        .one(db)
        .await?)
}

/// Deletes `user`'s row for `friend`; whether there was one.
async fn delete(
    txn: &DatabaseTransaction,
    tenant_id: Option<Uuid>,
    user: Uuid,
    friend: Uuid,
) -> Result<bool, StoreError> {
    let r = user_chat_friend::Entity::delete_many()
        .filter(tenant_filter(user_chat_friend::Column::TenantId, tenant_id))
        .filter(user_chat_friend::Column::UserId.eq(user))
        .filter(user_chat_friend::Column::FrientId.eq(friend))
        .exec(txn)
        .await?;
    Ok(r.rows_affected > 0)
}

/// Inserts `user`'s row for `friend` with `status`.
async fn insert_row<C: ConnectionTrait>(
    db: &C,
    tenant_id: Option<Uuid>,
    user: Uuid,
    friend: Uuid,
    status: i16,
    remark_name: Option<String>,
    description: Option<String>,
) -> Result<(), StoreError> {
    user_chat_friend::Entity::insert(user_chat_friend::ActiveModel {
        tenant_id: Set(tenant_id),
        user_id: Set(user),
        frient_id: Set(friend),
        is_static: Set(Some(false)),
        black: Set(Some(false)),
        dont_disturb: Set(Some(false)),
        special_focus: Set(Some(false)),
        remark_name: Set(remark_name),
        description: Set(description),
        status: Set(status),
        extra_properties: Set("{}".into()),
        concurrency_stamp: Set(concurrency_stamp()),
        creation_time: Set(Utc::now()),
        creator_id: Set(Some(user)),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
}

/// Makes `a` and `b` friends both ways: a pending row becomes a friendship, a missing one is
/// made; a row that is already a friendship (with its block, if any) stays as it is.
pub(super) async fn befriend_in<C: ConnectionTrait>(
    db: &C,
    tenant_id: Option<Uuid>,
    a: Uuid,
    b: Uuid,
) -> Result<(), StoreError> {
    for (user, friend) in [(a, b), (b, a)] {
        match row(db, tenant_id, user, friend).await? {
            Some(row) if row.status == FRIEND_ADDED => {}
            Some(row) => {
                let mut active: user_chat_friend::ActiveModel = row.into();
                active.status = Set(FRIEND_ADDED);
                active.concurrency_stamp = Set(concurrency_stamp());
                sea_orm::ActiveModelTrait::update(active, db).await?;
            }
            None => insert_row(db, tenant_id, user, friend, FRIEND_ADDED, None, None).await?,
        }
    }
    Ok(())
}
