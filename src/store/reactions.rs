//! Reactions: one row per (message, user, emoji). They are written in batches (`batch_queue`):
//! a batch is one transaction that takes each message's lock in one order, reads the counts
//! once (`reaction_tally`), then applies its changes in queue order, each checked by the
//! caller's rule on the counts as they stand at that moment, so two pods adding the 21st emoji
//! at once cannot both succeed.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::{group_message, message_reaction, user_message};

use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbBackend,
    EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use uuid::Uuid;

use super::message_changes::{self, ChangeKind};
use super::messages::{StoredMessage, STATE_RECALLED};
use super::reaction_tally::Tally;
use super::{Store, StoreError};

/// The counts a reaction's rule decides on, for one message, one user and one emoji.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromQueryResult)]
pub struct ReactionStats {
    /// Distinct emoji on the message.
    pub kinds: i64,
    /// Users who reacted with this emoji.
    pub this_emoji: i64,
    /// This user's reactions on the message.
    pub mine: i64,
    /// Whether this user reacted with this emoji (0 or 1).
    pub mine_this: i64,
}

/// The rule a reaction is checked by: `Ok(true)` to write it, `Ok(false)` when there is
/// nothing to do (added twice, or removing what is not there), `Err(reason)` to refuse.
pub type ReactionRule = fn(&ReactionStats, bool) -> Result<bool, &'static str>;

/// Whether a user in `groups` (each with the first message id they may see there) may see a
/// message: checked in the batch on the message as stored.
pub type SeeRule = fn(Uuid, &StoredMessage, &[(i64, i64)]) -> bool;

/// A reaction to add or take back. The batch reads the message itself (one query for all the
/// batch's messages), so a reaction costs no look-up of its own.
#[derive(Clone, Debug)]
pub struct ReactionWrite {
    pub tenant_id: Option<Uuid>,
    pub message_id: i64,
    pub user: Uuid,
    /// The user's groups, for `see`.
    pub groups: Arc<[(i64, i64)]>,
    pub see: SeeRule,
    pub emoji: String,
    pub add: bool,
    pub rule: ReactionRule,
}

/// What became of one reaction.
#[derive(Clone, Debug)]
pub enum ReactionOutcome {
    /// Written: how many now react with the emoji, and the message (whose parties hear it).
    Applied {
        count: u32,
        message: Box<StoredMessage>,
    },
    /// Nothing to do; the count as it is.
    Unchanged { count: u32 },
    /// Refused by the rule.
    Refused(&'static str),
    /// The message does not exist for the user.
    Unseen,
    /// The message was recalled.
    Recalled,
}

/// Someone who reacted.
#[derive(Clone, Debug)]
pub struct Reactor {
    pub user_id: Uuid,
    pub emoji: String,
    pub at: DateTime<Utc>,
}

impl Store {
    /// Applies `writes` in one transaction, in order, and gives each its outcome.
    pub(super) async fn apply_reactions(
        &self,
        writes: &[ReactionWrite],
    ) -> Result<Vec<ReactionOutcome>, StoreError> {
        let txn = self.write_txn().await?;
        lock_messages(&txn, writes).await?;
        let messages = messages_of(&txn, writes).await?;
        let mut tally = tally(&txn, writes).await?;
        let mut outcomes = Vec::with_capacity(writes.len());
        let mut changes = Vec::new();
        // The feed says "this message changed" (sync serves it as it is now): once a batch.
        let mut changed = HashSet::new();
        for w in writes {
            let message = match messages.get(&w.message_id) {
                Some(m) if m.tenant_id == w.tenant_id && (w.see)(w.user, m, &w.groups) => m,
                _ => {
                    outcomes.push(ReactionOutcome::Unseen);
                    continue;
                }
            };
            if message.state == STATE_RECALLED {
                outcomes.push(ReactionOutcome::Recalled);
                continue;
            }
            let stats = tally.stats(w.message_id, w.user, &w.emoji);
            let count = stats.this_emoji.max(0) as u32;
            let outcome = match (w.rule)(&stats, w.add) {
                Err(reason) => ReactionOutcome::Refused(reason),
                Ok(false) => ReactionOutcome::Unchanged { count },
                Ok(true) => {
                    let count = tally.apply(w.message_id, w.user, &w.emoji, w.add);
                    if changed.insert(w.message_id) {
                        changes.push(message_changes::row(
                            w.tenant_id,
                            w.message_id,
                            message.from,
                            message.to,
                            ChangeKind::Reaction,
                            None,
                        ));
                    }
                    ReactionOutcome::Applied {
                        count: count.max(0) as u32,
                        message: Box::new(message.clone()),
                    }
                }
            };
            outcomes.push(outcome);
        }
        write_net(&txn, writes, &tally).await?;
        message_changes::record(&txn, changes).await?;
        txn.commit().await?;
        Ok(outcomes)
    }

    /// Who reacted to `message_id` (with `emoji`, or any), first first, and how many in all.
    pub async fn reactors(
        &self,
        message_id: i64,
        emoji: Option<&str>,
        skip: u64,
        take: u64,
    ) -> Result<(u64, Vec<Reactor>), StoreError> {
        use message_reaction::Column as R;
        let mut query = message_reaction::Entity::find().filter(R::MessageId.eq(message_id));
        if let Some(emoji) = emoji {
            query = query.filter(R::Emoji.eq(emoji));
        }
        let total = query.clone().count(&self.db).await?;
        let rows = query
            .order_by_asc(R::Id)
            .offset(skip)
            .limit(take)
            .all(&self.db)
            .await?;
        Ok((
            total,
            rows.into_iter()
                .map(|r| Reactor {
                    user_id: r.user_id,
                    emoji: r.emoji,
                    at: r.creation_time,
                })
                .collect(),
        ))
    }
}

/// Takes each written message's lock, in key order (PostgreSQL; SQLite's writer holds the
/// whole database): batches on two pods never wait for each other in a circle.
async fn lock_messages(
    txn: &DatabaseTransaction,
    writes: &[ReactionWrite],
) -> Result<(), StoreError> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    // Apart from the other advisory locks' keys (friend pairs).
    const SPACE: i64 = 0x5245_4143_5449_4f4e;
    let mut keys: Vec<i64> = writes.iter().map(|w| w.message_id ^ SPACE).collect();
    keys.sort_unstable();
    keys.dedup();
    // One statement: `unnest` yields the sorted keys in order, and each row takes its lock
    // as it is read.
    let keys = sea_orm::Value::Array(
        sea_orm::sea_query::ArrayType::BigInt,
        Some(Box::new(keys.into_iter().map(Into::into).collect())),
    );
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock(k) FROM unnest($1::int8[]) AS k",
        [keys],
    );
    txn.execute_raw(statement).await?;
    Ok(())
}

/// The batch's messages, by id, from either table.
async fn messages_of(
    txn: &DatabaseTransaction,
    writes: &[ReactionWrite],
) -> Result<HashMap<i64, StoredMessage>, StoreError> {
    let ids: HashSet<i64> = writes.iter().map(|w| w.message_id).collect();
    let ids: Vec<i64> = ids.into_iter().collect();
    let mut found: HashMap<i64, StoredMessage> = user_message::Entity::find()
        .filter(user_message::Column::MessageId.is_in(ids.clone()))
        .all(txn)
        .await?
        .into_iter()
        .map(|m| (m.message_id, m.into()))
        .collect();
    if found.len() < ids.len() {
        for m in group_message::Entity::find()
            .filter(group_message::Column::MessageId.is_in(ids))
            .all(txn)
            .await?
        {
            found.insert(m.message_id, m.into());
        }
    }
    Ok(found)
}

#[derive(FromQueryResult)]
struct EmojiCount {
    message_id: i64,
    emoji: String,
    n: i64,
}

/// The stored counts of the batch's messages and its users' own reactions on them.
async fn tally(txn: &DatabaseTransaction, writes: &[ReactionWrite]) -> Result<Tally, StoreError> {
    use message_reaction::Column as R;
    let messages: Vec<i64> = writes.iter().map(|w| w.message_id).collect();
    let users: Vec<Uuid> = writes.iter().map(|w| w.user).collect();
    let counts = message_reaction::Entity::find()
        .select_only()
        .column_as(R::MessageId, "message_id")
        .column_as(R::Emoji, "emoji")
        .column_as(R::Id.count(), "n")
        .filter(R::MessageId.is_in(messages))
        .group_by(R::MessageId)
        .group_by(R::Emoji)
        .into_model::<EmojiCount>()
        .all(txn)
        .await?;
    let pairs: HashSet<(i64, Uuid)> = writes.iter().map(|w| (w.message_id, w.user)).collect();
    let own = message_reaction::Entity::find()
        .filter(R::MessageId.is_in(pairs.iter().map(|p| p.0).collect::<Vec<_>>()))
        .filter(R::UserId.is_in(users))
        .all(txn)
        .await?
        .into_iter()
        .filter(|r| pairs.contains(&(r.message_id, r.user_id)))
        .map(|r| (r.message_id, r.user_id, r.emoji));
    Ok(Tally::new(
        counts.into_iter().map(|c| (c.message_id, c.emoji, c.n)),
        own,
    ))
}

/// Writes what the batch changed, net: one insert and one delete.
async fn write_net(
    txn: &DatabaseTransaction,
    writes: &[ReactionWrite],
    tally: &Tally,
) -> Result<(), StoreError> {
    use message_reaction::Column as R;
    let (insert, delete) = tally.net();
    let tenant: HashMap<i64, Option<Uuid>> =
        writes.iter().map(|w| (w.message_id, w.tenant_id)).collect();
    if !insert.is_empty() {
        let now = Utc::now();
        let rows =
            insert.into_iter().map(
                |(message_id, user_id, emoji)| message_reaction::ActiveModel {
                    tenant_id: Set(tenant.get(&message_id).copied().flatten()),
                    message_id: Set(message_id),
                    user_id: Set(user_id),
                    emoji: Set(emoji),
                    creation_time: Set(now),
                    ..Default::default()
                },
            );
        message_reaction::Entity::insert_many(rows)
            .exec_without_returning(txn)
            .await?;
    }
    if !delete.is_empty() {
        let any = delete
            .into_iter()
            .fold(Condition::any(), |any, (message_id, user_id, emoji)| {
                any.add(
                    Condition::all()
                        .add(R::MessageId.eq(message_id))
                        .add(R::UserId.eq(user_id))
                        .add(R::Emoji.eq(emoji)),
                )
            });
        message_reaction::Entity::delete_many()
            .filter(any)
            .exec(txn)
            .await?;
    }
    Ok(())
}
