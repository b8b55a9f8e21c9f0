//! Read positions: how far each user has read each conversation. Reads are written in
//! batches (`batch_queue`): a batch of marks is one transaction, each mark taking its rows'
//! locks in key order — (tenant, user, peer) as the private-message counter trigger takes
//! them — so batches on several pods and message batches never wait on each other in a cycle.

use chrono::Utc;
use entity::read_position;
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use super::accounts::tenant_filter;
use super::{Conversation, Store, StoreError};

/// A user read a conversation up to a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadMark {
    pub tenant_id: Option<Uuid>,
    pub user: Uuid,
    pub with: Conversation,
    pub message_id: i64,
}

impl ReadMark {
    /// The order its locks are taken in.
    fn key(&self) -> (Uuid, Uuid, Uuid, i64) {
        let (peer, group) = match self.with {
            Conversation::User(peer) => (peer, 0),
            Conversation::Group(group) => (Uuid::nil(), group),
        };
        (self.tenant_id.unwrap_or_default(), self.user, peer, group)
    }
}

impl Store {
    /// Moves each mark's read position forward to its message (never back), and for a private
    /// conversation sets the unread count from the position as stored, all in one transaction
    /// under the conversations' counter locks: reads from several devices and messages
    /// committing meanwhile leave each count equal to the messages after the position.
    pub async fn mark_reads(&self, mut marks: Vec<ReadMark>) -> Result<Vec<()>, StoreError> {
        marks.sort_by_key(|m| (m.key(), m.message_id));
        let txn = self.write_txn().await?;
        for mark in &marks {
            mark_in(&txn, mark).await?;
        }
        txn.commit().await?;
        Ok(vec![(); marks.len()])
    }
}

/// One mark, in `txn`.
async fn mark_in(txn: &DatabaseTransaction, mark: &ReadMark) -> Result<(), StoreError> {
    use read_position::Column as R;
    let ReadMark {
        tenant_id,
        user,
        with,
        message_id,
    } = *mark;
    let (peer, group) = match with {
        Conversation::User(peer) => (Some(peer), None),
        Conversation::Group(group) => (None, Some(group)),
    };
    let this = Condition::all()
        .add(tenant_filter(R::TenantId, tenant_id))
        .add(R::UserId.eq(user))
        .add(match peer {
            Some(p) => R::PeerUserId.eq(p),
            None => R::PeerUserId.is_null(),
        })
        .add(match group {
            Some(g) => R::GroupId.eq(g),
            None => R::GroupId.is_null(),
        });
    if let Some(peer) = peer {
        super::conversations::lock_counter(txn, tenant_id, user, peer).await?;
    }
    let insert = Query::insert()
        .into_table(read_position::Entity)
        .columns([
            R::TenantId,
            R::UserId,
            R::PeerUserId,
            R::GroupId,
            R::MessageId,
            R::LastModificationTime,
        ])
        .values_panic([
            tenant_id.into(),
            user.into(),
            peer.into(),
            group.into(),
            message_id.into(),
            Utc::now().into(),
        ])
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .to_owned();
    let backend = txn.get_database_backend();
    txn.execute_raw(backend.build(&insert)).await?;
    read_position::Entity::update_many()
        .col_expr(R::MessageId, Expr::value(message_id))
        .col_expr(R::LastModificationTime, Expr::value(Utc::now()))
        .filter(this.clone())
        .filter(R::MessageId.lt(message_id))
        .exec(txn)
        .await?;
    if let Some(peer) = peer {
        let stored = read_position::Entity::find()
            .filter(this)
            .one(txn)
            .await?
            .map_or(message_id, |r| r.message_id);
        super::conversations::recount_unread(txn, tenant_id, user, peer, stored).await?;
    }
    Ok(())
}
