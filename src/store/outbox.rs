//! The event outbox (`AppEventOutbox`): events for backend services are written in the same
//! transaction as the change they report, so an event exists exactly when its change
//! committed; a delivering pod (one at a time, by lease) reads them in order, and removes them
//! once delivered, retries them later, or moves them to the dead letters.

use chrono::{DateTime, Duration, Utc};
use entity::{event_dead_letter, event_outbox, outbox_lease};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::{json, Value};
use uuid::Uuid;

use super::messages::{Conversation, NewMessage, StoredMessage};
use super::{Store, StoreError};

/// The lease's name.
const LEASE: &str = "events";

/// The outbox at a glance (the admin route, the gauges).
pub struct OutboxDepth {
    pub waiting: u64,
    pub oldest: Option<DateTime<Utc>>,
    pub dead_letters: u64,
}

/// An event to write beside the change it reports.
pub struct NewEvent {
    pub kind: &'static str,
    pub conversation: String,
    pub payload: Value,
}

/// The key events of one conversation are ordered under.
pub fn conversation_key(from: Uuid, to: Conversation) -> String {
    match to {
        Conversation::Group(group) => format!("g:{group}"),
        Conversation::User(user) => {
            let (a, b) = if from < user {
                (from, user)
            } else {
                (user, from)
            };
            format!("u:{a}:{b}")
        }
    }
}

fn target(to: Conversation) -> Value {
    match to {
        Conversation::User(user) => json!({"toUserId": user}),
        Conversation::Group(group) => json!({"groupId": group.to_string()}),
    }
}

/// `message.sent` for a message just stored.
pub fn message_sent(m: &NewMessage) -> NewEvent {
    let mut payload = json!({
        "tenantId": m.tenant_id,
        "messageId": m.message_id.to_string(),
        "fromUserId": m.from,
        "fromUserName": m.from_name,
        "content": m.content,
        "messageType": m.message_type,
        "isAnonymous": m.is_anonymous,
        "extra": m.extra,
        "sendTime": m.send_time,
        "replyTo": m.reply_to.as_ref().map(|r| r.message_id.to_string()),
    });
    merge(&mut payload, target(m.to));
    NewEvent {
        kind: "message.sent",
        conversation: conversation_key(m.from, m.to),
        payload,
    }
}

/// `message.recalled` or `message.edited` for a stored message, as it is now.
pub fn message_changed(kind: &'static str, m: &StoredMessage) -> NewEvent {
    let from = m.from.unwrap_or_default();
    let mut payload = json!({
        "tenantId": m.tenant_id,
        "messageId": m.message_id.to_string(),
        "fromUserId": m.from,
    });
    if kind == "message.edited" {
        merge(
            &mut payload,
            json!({"content": m.content, "editVersion": m.edit_version()}),
        );
    }
    merge(&mut payload, target(m.to));
    NewEvent {
        kind,
        conversation: conversation_key(from, m.to),
        payload,
    }
}

/// A `group.*` event about `group`; `data` gets the tenant and the group id.
pub fn group_event(
    kind: &'static str,
    tenant_id: Option<Uuid>,
    group: i64,
    data: Value,
) -> NewEvent {
    let mut payload = json!({"tenantId": tenant_id, "groupId": group.to_string()});
    merge(&mut payload, data);
    NewEvent {
        kind,
        conversation: format!("g:{group}"),
        payload,
    }
}

/// A `friend.*` event between `user` and `friend` (ordered with their private conversation).
pub fn friend_event(
    kind: &'static str,
    tenant_id: Option<Uuid>,
    user: Uuid,
    friend: Uuid,
) -> NewEvent {
    NewEvent {
        kind,
        conversation: conversation_key(user, Conversation::User(friend)),
        payload: json!({"tenantId": tenant_id, "userId": user, "friendId": friend}),
    }
}

/// `user.online` or `user.offline`.
pub fn presence_event(
    tenant_id: Option<Uuid>,
    user: Uuid,
    online: bool,
    at: DateTime<Utc>,
) -> NewEvent {
    NewEvent {
        kind: if online {
            "user.online"
        } else {
            "user.offline"
        },
        conversation: format!("p:{user}"),
        payload: json!({"tenantId": tenant_id, "userId": user, "at": at}),
    }
}

fn merge(into: &mut Value, from: Value) {
    if let (Some(into), Value::Object(from)) = (into.as_object_mut(), from) {
        into.extend(from);
    }
}

/// Writes `events` on `db` (the caller's transaction).
pub(super) async fn write<C: ConnectionTrait>(
    db: &C,
    events: Vec<NewEvent>,
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let rows = events.into_iter().map(|e| event_outbox::ActiveModel {
        event_id: Set(Uuid::new_v4().simple().to_string()),
        kind: Set(e.kind.to_string()),
        conversation: Set(e.conversation),
        payload: Set(e.payload.to_string()),
        creation_time: Set(now),
        next_attempt_at: Set(now),
        attempts: Set(0),
        ..Default::default()
    });
    event_outbox::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

impl Store {
    /// This store writes events to the outbox with the changes they report.
    pub fn with_outbox(mut self) -> Store {
        self.outbox = true;
        self
    }

    /// Whether events are written.
    pub(super) fn outbox_on(&self) -> bool {
        self.outbox
    }

    /// Takes the delivery lease for `holder`, or keeps it, for `term`; false when another
    /// pod holds it.
    pub async fn hold_outbox_lease(
        &self,
        holder: &str,
        term: Duration,
    ) -> Result<bool, StoreError> {
        let now = Utc::now();
        let insert = Query::insert()
            .into_table(outbox_lease::Entity)
            .columns([
                outbox_lease::Column::Name,
                outbox_lease::Column::Holder,
                outbox_lease::Column::Until,
            ])
            .values_panic([LEASE.into(), holder.into(), (now + term).into()])
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .to_owned();
        let inserted = self.db.execute_raw(self.backend().build(&insert)).await?;
        if inserted.rows_affected() == 1 {
            return Ok(true);
        }
        let updated = outbox_lease::Entity::update_many()
            .col_expr(outbox_lease::Column::Holder, Expr::value(holder))
            .col_expr(outbox_lease::Column::Until, Expr::value(now + term))
            .filter(outbox_lease::Column::Name.eq(LEASE))
            .filter(
                sea_orm::Condition::any()
                    .add(outbox_lease::Column::Holder.eq(holder))
                    .add(outbox_lease::Column::Until.lt(now)),
            )
            .exec(&self.db)
            .await?;
        Ok(updated.rows_affected == 1)
    }

    /// The next events to deliver, oldest first: none whose conversation has an earlier event
    /// waiting for a retry, so a conversation's events leave in order. The waiting ones are
    /// few (a receiver failing): their conversations are read first (one row each) and left
    /// out of the query, so a conversation held back by a failing event cannot fill the batch
    /// and starve the others.
    pub async fn due_events(&self, limit: u64) -> Result<Vec<event_outbox::Model>, StoreError> {
        use event_outbox::Column as E;
        /// Conversations left out in SQL at most (the rest are filtered in memory).
        const IN_SQL: usize = 500;
        let now = Utc::now();
        let held_back: std::collections::HashMap<String, i64> = event_outbox::Entity::find()
            .select_only()
            .column(E::Conversation)
            .column_as(E::Id.min(), "first")
            .filter(E::NextAttemptAt.gt(now))
            .group_by(E::Conversation)
            .into_tuple::<(String, i64)>()
            .all(&self.db)
            .await?
            .into_iter()
            .collect();
        let mut due = event_outbox::Entity::find()
            .filter(E::NextAttemptAt.lte(now))
            .order_by_asc(E::Id)
            .limit(limit);
        if !held_back.is_empty() {
            due = due.filter(E::Conversation.is_not_in(held_back.keys().take(IN_SQL).cloned()));
        }
        Ok(due
            .all(&self.db)
            .await?
            .into_iter()
            .filter(|e| {
                held_back
                    .get(&e.conversation)
                    .is_none_or(|first| e.id < *first)
            })
            .collect())
    }

    /// Removes delivered events.
    pub async fn events_delivered(&self, ids: Vec<i64>) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        event_outbox::Entity::delete_many()
            .filter(event_outbox::Column::Id.is_in(ids))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Schedules the next attempt at events (a failed call's), each one attempt more.
    pub async fn events_retry(&self, ids: Vec<i64>, at: DateTime<Utc>) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        event_outbox::Entity::update_many()
            .col_expr(
                event_outbox::Column::Attempts,
                sea_orm::ExprTrait::add(Expr::col(event_outbox::Column::Attempts), 1),
            )
            .col_expr(event_outbox::Column::NextAttemptAt, Expr::value(at))
            .filter(event_outbox::Column::Id.is_in(ids))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Moves an event that ran out of retries to the dead letters.
    pub async fn event_dead(
        &self,
        event: &event_outbox::Model,
        attempts: i32,
        error: &str,
    ) -> Result<(), StoreError> {
        let txn = self.write_txn().await?;
        event_dead_letter::Entity::insert(event_dead_letter::ActiveModel {
            event_id: Set(event.event_id.clone()),
            kind: Set(event.kind.clone()),
            conversation: Set(event.conversation.clone()),
            payload: Set(event.payload.clone()),
            creation_time: Set(event.creation_time),
            attempts: Set(attempts),
            last_error: Set(error.chars().take(256).collect()),
            dead_at: Set(Utc::now()),
            ..Default::default()
        })
        .exec_without_returning(&txn)
        .await?;
        event_outbox::Entity::delete_by_id(event.id)
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Dead letters, newest first, and how many there are.
    pub async fn dead_letters(
        &self,
        skip: u64,
        take: u64,
    ) -> Result<(u64, Vec<event_dead_letter::Model>), StoreError> {
        let total = event_dead_letter::Entity::find().count(&self.db).await?;
        let rows = event_dead_letter::Entity::find()
            .order_by_desc(event_dead_letter::Column::Id)
            .offset(skip)
            .limit(take)
            .all(&self.db)
            .await?;
        Ok((total, rows))
    }

    /// Puts a dead letter back in the outbox (same event id, attempts from zero); false when
    /// there is no such dead letter.
    pub async fn replay_dead_letter(&self, id: i64) -> Result<bool, StoreError> {
        let txn = self.write_txn().await?;
        let Some(dead) = event_dead_letter::Entity::find_by_id(id).one(&txn).await? else {
            return Ok(false);
        };
        let now = Utc::now();
        event_outbox::Entity::insert(event_outbox::ActiveModel {
            event_id: Set(dead.event_id),
            kind: Set(dead.kind),
            conversation: Set(dead.conversation),
            payload: Set(dead.payload),
            creation_time: Set(now),
            next_attempt_at: Set(now),
            attempts: Set(0),
            ..Default::default()
        })
        .exec_without_returning(&txn)
        .await?;
        event_dead_letter::Entity::delete_by_id(id)
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(true)
    }

    /// How many events wait, since when the oldest, and how many are dead letters.
    pub async fn outbox_depth(&self) -> Result<OutboxDepth, StoreError> {
        let waiting = event_outbox::Entity::find().count(&self.db).await?;
        let oldest = event_outbox::Entity::find()
            .order_by_asc(event_outbox::Column::Id)
            .one(&self.db)
            .await?
            .map(|e| e.creation_time);
        let dead_letters = event_dead_letter::Entity::find().count(&self.db).await?;
        Ok(OutboxDepth {
            waiting,
            oldest,
            dead_letters,
        })
    }
}
