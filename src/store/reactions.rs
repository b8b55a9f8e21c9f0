//! Reactions: one row per (message, user, emoji). They are written in batches (the reaction
//! writer): a batch is one transaction that takes each message's lock in one order, then
//! applies its changes in queue order, each checked by the caller's rule on the counts as they
//! stand at that moment, so two pods adding the 21st emoji at once cannot both succeed.

use chrono::{DateTime, Utc};
use entity::message_reaction;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use uuid::Uuid;

use super::conversations::ph;
use super::message_changes::{self, ChangeKind};
use super::messages::Conversation;
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

/// A reaction to add or take back.
#[derive(Clone, Debug)]
pub struct ReactionWrite {
    pub tenant_id: Option<Uuid>,
    pub message_id: i64,
    /// The message's sender and conversation (who hears of the change).
    pub from: Option<Uuid>,
    pub to: Conversation,
    pub user: Uuid,
    pub emoji: String,
    pub add: bool,
    pub rule: ReactionRule,
}

/// What became of one reaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReactionOutcome {
    /// Written: how many now react with the emoji.
    Applied { count: u32 },
    /// Nothing to do; the count as it is.
    Unchanged { count: u32 },
    /// Refused by the rule.
    Refused(&'static str),
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
        let mut outcomes = Vec::with_capacity(writes.len());
        let mut changes = Vec::new();
        for w in writes {
            let stats = stats(&txn, w).await?;
            let count = stats.this_emoji.max(0) as u32;
            let outcome = match (w.rule)(&stats, w.add) {
                Err(reason) => ReactionOutcome::Refused(reason),
                Ok(false) => ReactionOutcome::Unchanged { count },
                Ok(true) if w.add => {
                    message_reaction::Entity::insert(message_reaction::ActiveModel {
                        tenant_id: Set(w.tenant_id),
                        message_id: Set(w.message_id),
                        user_id: Set(w.user),
                        emoji: Set(w.emoji.clone()),
                        creation_time: Set(Utc::now()),
                        ..Default::default()
                    })
                    .exec_without_returning(&txn)
                    .await?;
                    ReactionOutcome::Applied { count: count + 1 }
                }
                Ok(true) => {
                    use message_reaction::Column as R;
                    message_reaction::Entity::delete_many()
                        .filter(R::MessageId.eq(w.message_id))
                        .filter(R::UserId.eq(w.user))
                        .filter(R::Emoji.eq(w.emoji.as_str()))
                        .exec(&txn)
                        .await?;
                    ReactionOutcome::Applied {
                        count: count.saturating_sub(1),
                    }
                }
            };
            if matches!(outcome, ReactionOutcome::Applied { .. }) {
                changes.push(message_changes::row(
                    w.tenant_id,
                    w.message_id,
                    w.from,
                    w.to,
                    ChangeKind::Reaction,
                    None,
                ));
            }
            outcomes.push(outcome);
        }
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

/// The counts for `w`'s message, user and emoji, as the transaction sees them now.
async fn stats(txn: &DatabaseTransaction, w: &ReactionWrite) -> Result<ReactionStats, StoreError> {
    let b = txn.get_database_backend();
    let (m, e, u) = (ph(b, 1), ph(b, 2), ph(b, 3));
    let sql = format!(
        "SELECT COUNT(DISTINCT \"Emoji\") AS kinds, \
         COALESCE(SUM(CASE WHEN \"Emoji\" = {e} THEN 1 ELSE 0 END), 0) AS this_emoji, \
         COALESCE(SUM(CASE WHEN \"UserId\" = {u} THEN 1 ELSE 0 END), 0) AS mine, \
         COALESCE(SUM(CASE WHEN \"UserId\" = {u} AND \"Emoji\" = {e} THEN 1 ELSE 0 END), 0) AS mine_this \
         FROM \"AppMessageReactions\" WHERE \"MessageId\" = {m}"
    );
    let values: Vec<sea_orm::Value> =
        vec![w.message_id.into(), w.emoji.clone().into(), w.user.into()];
    let stats = ReactionStats::find_by_statement(Statement::from_sql_and_values(b, sql, values))
        .one(txn)
        .await?
        .unwrap_or_default();
    Ok(stats)
}
