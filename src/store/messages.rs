//! Messages: the batched insert the writer commits, the `sync` walk, look-ups, recall and read
//! positions.

use chrono::{DateTime, Utc};
use entity::{group_message, user_message};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::accounts::tenant_filter;
use super::forwards::Forwarded;
use super::mentions::Mentions;
use super::message_changes::ChangeKind;
use super::{Store, StoreError};

/// Message states, as ABP numbers them.
pub const STATE_SEND: i16 = 0;
pub const STATE_RECALLED: i16 = 10;

/// Keys this product keeps inside `ExtraProperties`, beside the client's own `extra` keys.
pub const EXTRA_ANONYMOUS: &str = "IsAnonymous";
pub const EXTRA_CLIENT_MSG_ID: &str = "ClientMsgId";
/// How many times the message was edited, and when last (RFC 3339).
pub const EXTRA_EDIT_VERSION: &str = "EditVersion";
pub const EXTRA_EDITED_AT: &str = "EditedAt";
/// The id of the message this one answers.
pub const EXTRA_REPLY_TO: &str = "ReplyTo";
/// The message a forwarded copy copies (`forwards::Forwarded`).
pub const EXTRA_FORWARDED_FROM: &str = "ForwardedFrom";
/// Whom a group message mentions (`mentions::Mentions`).
pub const EXTRA_MENTIONS: &str = "Mentions";
/// A media message's media, as served (`MessageMedia`).
pub const EXTRA_MEDIA: &str = "Media";

/// Every key of `ExtraProperties` that the server writes and interprets: a client's `extra`
/// never sets them, and the native protocol serves them as fields of their own.
pub const SERVER_KEYS: [&str; 8] = [
    EXTRA_MEDIA,
    EXTRA_ANONYMOUS,
    EXTRA_CLIENT_MSG_ID,
    EXTRA_EDIT_VERSION,
    EXTRA_EDITED_AT,
    EXTRA_REPLY_TO,
    EXTRA_FORWARDED_FROM,
    EXTRA_MENTIONS,
];

/// A media message's media: the object clients get (`{mediaId, width, …}` by its type), and
/// the uploads it names, which whoever reads the message may download.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageMedia {
    pub object: serde_json::Value,
    pub ids: Vec<i64>,
}

impl MessageMedia {
    /// The media of a stored object: its `mediaId` and a video's `poster`.
    pub fn of(object: serde_json::Value) -> MessageMedia {
        let id = |k: &str| {
            object
                .get(k)
                .and_then(|v| v.as_str())
                .and_then(|s| s.parse::<i64>().ok())
        };
        let ids = [
            id("mediaId"),
            object
                .get("poster")
                .and_then(|p| p.get("mediaId"))
                .and_then(|v| v.as_str())
                .and_then(|s| s.parse().ok()),
        ]
        .into_iter()
        .flatten()
        .collect();
        MessageMedia { object, ids }
    }
}

/// Where a message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Conversation {
    User(Uuid),
    Group(i64),
}

impl Conversation {
    /// `private` or `group`: a label for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Conversation::User(_) => "private",
            Conversation::Group(_) => "group",
        }
    }
}

/// A message about to be stored, its id already assigned.
#[derive(Clone, Debug)]
pub struct NewMessage {
    pub tenant_id: Option<Uuid>,
    pub message_id: i64,
    pub from: Uuid,
    pub from_name: String,
    pub to: Conversation,
    pub content: String,
    pub message_type: i32,
    pub source: i32,
    pub is_anonymous: bool,
    pub extra: serde_json::Map<String, serde_json::Value>,
    pub client_msg_id: Option<String>,
    /// The message this one answers, as it was read when the send was checked (same
    /// conversation, visible to the sender).
    pub reply_to: Option<Box<StoredMessage>>,
    /// The message this one copies, when it is a forward.
    pub forwarded_from: Option<Forwarded>,
    /// Whom it mentions (group messages; members only, checked).
    pub mentions: Mentions,
    /// The media it carries (checked: the sender's own uploads, or ones it can read).
    pub media: Option<MessageMedia>,
    pub send_time: DateTime<Utc>,
}

impl NewMessage {
    /// A plain text message of the host tenant, sent now, with nothing else set: what tools
    /// and tests that write messages directly start from.
    pub fn text(
        message_id: i64,
        from: Uuid,
        from_name: &str,
        to: Conversation,
        content: String,
    ) -> NewMessage {
        NewMessage {
            tenant_id: None,
            message_id,
            from,
            from_name: from_name.into(),
            to,
            content,
            message_type: 0,
            source: 0,
            is_anonymous: false,
            extra: Default::default(),
            client_msg_id: None,
            reply_to: None,
            forwarded_from: None,
            mentions: Default::default(),
            media: None,
            send_time: Utc::now(),
        }
    }
}

/// What storing one message did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stored {
    /// Stored now.
    New,
    /// The sender's `clientMsgId` was seen before: this is that message, nothing new stored.
    Duplicate {
        message_id: i64,
        send_time: DateTime<Utc>,
    },
}

/// A message read back from either table.
#[derive(Clone, Debug)]
pub struct StoredMessage {
    pub tenant_id: Option<Uuid>,
    pub message_id: i64,
    pub from: Option<Uuid>,
    pub from_name: String,
    pub to: Conversation,
    pub content: String,
    pub message_type: i32,
    pub source: i32,
    pub state: i16,
    pub extra: serde_json::Map<String, serde_json::Value>,
    pub send_time: DateTime<Utc>,
}

impl StoredMessage {
    /// Whether the sender asked to stay anonymous.
    pub fn is_anonymous(&self) -> bool {
        self.extra
            .get(EXTRA_ANONYMOUS)
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }

    /// The sender's idempotency key, if it gave one.
    pub fn client_msg_id(&self) -> Option<String> {
        self.extra
            .get(EXTRA_CLIENT_MSG_ID)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    }

    /// The message this one answers, if any.
    pub fn reply_to(&self) -> Option<i64> {
        self.extra.get(EXTRA_REPLY_TO).and_then(|v| v.as_i64())
    }

    /// The media it carries, as served.
    pub fn media(&self) -> Option<MessageMedia> {
        self.extra
            .get(EXTRA_MEDIA)
            .map(|o| MessageMedia::of(o.clone()))
    }

    /// The message this one copies, when it is a forward.
    pub fn forwarded_from(&self) -> Option<Forwarded> {
        self.extra
            .get(EXTRA_FORWARDED_FROM)
            .and_then(Forwarded::from_extra)
    }

    /// Whom it mentions.
    pub fn mentions(&self) -> Mentions {
        self.extra
            .get(EXTRA_MENTIONS)
            .and_then(Mentions::from_extra)
            .unwrap_or_default()
    }

    /// How many times it was edited (0: never), and when last.
    pub fn edit_version(&self) -> i32 {
        self.extra
            .get(EXTRA_EDIT_VERSION)
            .and_then(|v| v.as_i64())
            .unwrap_or(0) as i32
    }

    /// When it was last edited.
    pub fn edited_at(&self) -> Option<DateTime<Utc>> {
        self.extra
            .get(EXTRA_EDITED_AT)
            .and_then(|v| v.as_str())
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
    }
}

#[cfg(test)]
impl StoredMessage {
    /// A text message just sent, for the rules' tests.
    pub fn sample(from: Uuid, to: Conversation, message_id: i64) -> StoredMessage {
        StoredMessage {
            tenant_id: None,
            message_id,
            from: Some(from),
            from_name: "a".into(),
            to,
            content: "hi".into(),
            message_type: 0,
            source: 0,
            state: STATE_SEND,
            extra: Default::default(),
            send_time: Utc::now(),
        }
    }
}

/// How far a `sync` walk has come: a position in each message table and in the change feed,
/// in commit order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncCursor {
    pub user: (i64, i64),
    pub group: (i64, i64),
    pub changes: (i64, i64),
}

impl SyncCursor {
    /// The opaque text clients keep.
    pub fn encode(&self) -> String {
        format!(
            "2.{}.{}.{}.{}.{}.{}",
            self.user.0, self.user.1, self.group.0, self.group.1, self.changes.0, self.changes.1
        )
    }

    /// Reads a cursor a client kept; `None` if it is not one of ours. A cursor of the first
    /// form (no change feed yet) starts the feed at its beginning.
    pub fn decode(text: &str) -> Option<SyncCursor> {
        let parts: Vec<i64> = text
            .split('.')
            .map(|p| p.parse().ok())
            .collect::<Option<_>>()?;
        match parts.as_slice() {
            [1, a, b, c, d] => Some(SyncCursor {
                user: (*a, *b),
                group: (*c, *d),
                changes: (0, 0),
            }),
            [2, a, b, c, d, e, f] => Some(SyncCursor {
                user: (*a, *b),
                group: (*c, *d),
                changes: (*e, *f),
            }),
            _ => None,
        }
    }
}

/// One page of a `sync` walk: new messages, and what changed since the cursor.
pub struct SyncPage {
    pub messages: Vec<StoredMessage>,
    pub changes: Vec<super::message_changes::Change>,
    pub next: SyncCursor,
    pub more: bool,
}

fn parse_extra(text: &str) -> serde_json::Map<String, serde_json::Value> {
    serde_json::from_str(text).unwrap_or_default()
}

impl From<user_message::Model> for StoredMessage {
    fn from(m: user_message::Model) -> Self {
        StoredMessage {
            tenant_id: m.tenant_id,
            message_id: m.message_id,
            from: m.creator_id,
            from_name: m.send_user_name,
            to: Conversation::User(m.receive_user_id),
            content: m.content,
            message_type: m.message_type,
            source: m.source,
            state: m.state,
            extra: parse_extra(&m.extra_properties),
            send_time: m.creation_time,
        }
    }
}

impl From<group_message::Model> for StoredMessage {
    fn from(m: group_message::Model) -> Self {
        StoredMessage {
            tenant_id: m.tenant_id,
            message_id: m.message_id,
            from: m.creator_id,
            from_name: m.send_user_name,
            to: Conversation::Group(m.group_id),
            content: m.content,
            message_type: m.message_type,
            source: m.source,
            state: m.state,
            extra: parse_extra(&m.extra_properties),
            send_time: m.creation_time,
        }
    }
}

/// Rows after `(tx, id)` in commit order.
/// A group message the user may see: in one of `groups`, from the first id the user may see
/// there (when the user joined).
pub(super) fn visible_in(groups: &[(i64, i64)]) -> Condition {
    use group_message::Column as G;
    let mut mine = Condition::any();
    for (group, first) in groups {
        mine = mine.add(
            Condition::all()
                .add(G::GroupId.eq(*group))
                .add(G::MessageId.gte(*first)),
        );
    }
    mine
}

pub(super) fn after(tx: impl ColumnTrait, id: impl ColumnTrait, pos: (i64, i64)) -> Condition {
    Condition::any()
        .add(tx.gt(pos.0))
        .add(Condition::all().add(tx.eq(pos.0)).add(id.gt(pos.1)))
}

impl Store {
    /// Stores a batch in one transaction: idempotency keys first (`client_keys`: a key seen
    /// before turns its message into a [`Stored::Duplicate`]), then every new message in one
    /// insert per table (`message_rows`).
    pub async fn insert_messages(&self, batch: &[NewMessage]) -> Result<Vec<Stored>, StoreError> {
        let txn = self.write_txn().await?;
        let backend = txn.get_database_backend();
        let outcome = super::client_keys::claim(&txn, batch).await?;
        let mut rows = Vec::with_capacity(batch.len());
        for (m, o) in batch.iter().zip(&outcome) {
            if *o != Stored::New {
                continue;
            }
            let mut extra = m.extra.clone();
            if m.is_anonymous {
                extra.insert(EXTRA_ANONYMOUS.into(), true.into());
            }
            if let Some(key) = &m.client_msg_id {
                extra.insert(EXTRA_CLIENT_MSG_ID.into(), key.clone().into());
            }
            if let Some(target) = &m.reply_to {
                extra.insert(EXTRA_REPLY_TO.into(), target.message_id.into());
            }
            if let Some(original) = &m.forwarded_from {
                extra.insert(EXTRA_FORWARDED_FROM.into(), original.to_extra());
            }
            if !m.mentions.is_empty() {
                extra.insert(EXTRA_MENTIONS.into(), m.mentions.to_extra());
            }
            if let Some(media) = &m.media {
                extra.insert(EXTRA_MEDIA.into(), media.object.clone());
            }
            rows.push((m, serde_json::Value::Object(extra).to_string()));
        }
        super::message_rows::insert(&txn, backend, &rows).await?;
        let mentioning: Vec<&NewMessage> = rows
            .iter()
            .map(|(m, _)| *m)
            .filter(|m| !m.mentions.is_empty())
            .collect();
        super::mentions::insert_rows(&txn, &mentioning).await?;
        let carrying: Vec<&NewMessage> = rows
            .iter()
            .map(|(m, _)| *m)
            .filter(|m| m.media.is_some())
            .collect();
        super::media::reference(&txn, &carrying).await?;
        if self.outbox_on() {
            let events = rows.iter().map(|(m, _)| super::outbox::message_sent(m));
            super::outbox::write(&txn, events.collect()).await?;
        }
        txn.commit().await?;
        Ok(outcome)
    }

    /// The oldest transaction id still writing: rows of younger transactions may yet be joined
    /// by older ones, so a walk stops before them. SQLite commits in row-id order: no limit.
    pub(super) async fn stable_horizon(&self) -> Result<i64, StoreError> {
        if self.backend() != DbBackend::Postgres {
            return Ok(i64::MAX);
        }
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT {} AS horizon", super::private_walk::PG_HORIZON),
            ))
            .await?
            .ok_or_else(|| StoreError::Unavailable("no snapshot".into()))?;
        Ok(row.try_get::<i64>("", "horizon")?)
    }

    /// The next page of everything `user` may see after `cursor`: private messages to or from
    /// the user, and messages of `groups` (each with the first id the user may see there).
    pub async fn sync(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        groups: &[(i64, i64)],
        cursor: SyncCursor,
        limit: u64,
    ) -> Result<SyncPage, StoreError> {
        use group_message::Column as G;
        let walk = self
            .private_walk(tenant_id, user, cursor.user, limit)
            .await?;
        let (received, sent) = (walk.received, walk.sent);
        let private_full = received.len() as u64 == limit || sent.len() as u64 == limit;
        let private = merge_walks(received, sent, limit as usize);
        let group_rows = if groups.is_empty() {
            vec![]
        } else {
            let horizon = self.stable_horizon().await?;
            group_message::Entity::find()
                .filter(tenant_filter(G::TenantId, tenant_id))
                .filter(visible_in(groups))
                .filter(after(G::TxId, G::Id, cursor.group))
                .filter(G::TxId.lt(horizon))
                .order_by_asc(G::TxId)
                .order_by_asc(G::Id)
                .limit(limit)
                .all(&self.db)
                .await?
        };
        let more_rows = private_full || group_rows.len() as u64 == limit;
        // Merge the two walks by message id, each consumed as a prefix, up to `limit` in all.
        let (mut u, mut g) = (
            private.into_iter().peekable(),
            group_rows.into_iter().peekable(),
        );
        let mut next = cursor;
        let mut messages = Vec::new();
        while (messages.len() as u64) < limit {
            let take_user = match (u.peek(), g.peek()) {
                (Some(a), Some(b)) => a.message_id <= b.message_id,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            if take_user {
                let row = u.next().expect("peeked");
                next.user = (row.tx_id, row.id);
                messages.push(StoredMessage::from(row));
            } else {
                let row = g.next().expect("peeked");
                next.group = (row.tx_id, row.id);
                messages.push(StoredMessage::from(row));
            }
        }
        let (changes, last_change) = self
            .changes_after(tenant_id, user, groups, cursor.changes, limit)
            .await?;
        if let Some(last) = last_change {
            next.changes = last;
        }
        let more =
            more_rows || u.peek().is_some() || g.peek().is_some() || changes.len() as u64 == limit;
        messages.sort_by_key(|m| m.message_id);
        Ok(SyncPage {
            messages,
            changes,
            next,
            more,
        })
    }

    /// A message by its id, from either table, within `tenant_id`.
    pub async fn find_message(
        &self,
        tenant_id: Option<Uuid>,
        message_id: i64,
    ) -> Result<Option<StoredMessage>, StoreError> {
        message_by_id(&self.db, tenant_id, message_id, false).await
    }

    /// Marks a message recalled (state 10); its content is never served again. The change
    /// feed records it in the same transaction.
    pub async fn recall_message(&self, message: &StoredMessage) -> Result<(), StoreError> {
        let txn = self.write_txn().await?;
        let changed = match message.to {
            Conversation::User(_) => {
                user_message::Entity::update_many()
                    .col_expr(user_message::Column::State, Expr::value(STATE_RECALLED))
                    .filter(user_message::Column::MessageId.eq(message.message_id))
                    .filter(user_message::Column::State.ne(STATE_RECALLED))
                    .exec(&txn)
                    .await?
            }
            Conversation::Group(_) => {
                group_message::Entity::update_many()
                    .col_expr(group_message::Column::State, Expr::value(STATE_RECALLED))
                    .filter(group_message::Column::MessageId.eq(message.message_id))
                    .filter(group_message::Column::State.ne(STATE_RECALLED))
                    .exec(&txn)
                    .await?
            }
        };
        if changed.rows_affected > 0 {
            let row = super::message_changes::row(
                message.tenant_id,
                message.message_id,
                message.from,
                message.to,
                ChangeKind::Recalled,
                None,
            );
            super::message_changes::record(&txn, vec![row]).await?;
            let this_one = sea_orm::sea_query::Query::select()
                .expr(sea_orm::sea_query::Expr::val(message.message_id))
                .to_owned();
            super::media::release(&txn, this_one).await?;
            if self.outbox_on() {
                let event = super::outbox::message_changed("message.recalled", message);
                super::outbox::write(&txn, vec![event]).await?;
            }
        }
        txn.commit().await?;
        Ok(())
    }
}

/// A message by its id, from either table, within `tenant_id`; with `lock`, its row stays
/// locked until the caller's transaction ends (PostgreSQL; SQLite's writer holds the whole
/// database already).
pub(super) async fn message_by_id<C: ConnectionTrait>(
    db: &C,
    tenant_id: Option<Uuid>,
    message_id: i64,
    lock: bool,
) -> Result<Option<StoredMessage>, StoreError> {
    let mut private = user_message::Entity::find()
        .filter(tenant_filter(user_message::Column::TenantId, tenant_id))
        .filter(user_message::Column::MessageId.eq(message_id));
    if lock {
        private = private.lock_exclusive();
    }
    if let Some(m) = private.one(db).await? {
        return Ok(Some(m.into()));
    }
    let mut group = group_message::Entity::find()
        .filter(tenant_filter(group_message::Column::TenantId, tenant_id))
        .filter(group_message::Column::MessageId.eq(message_id));
    if lock {
        group = group.lock_exclusive();
    }
    Ok(group.one(db).await?.map(Into::into))
}

/// Two walks of private messages in commit order (`TxId`, `Id`), merged into one, a message
/// to oneself (in both) once, cut at `limit`.
fn merge_walks(
    a: Vec<user_message::Model>,
    b: Vec<user_message::Model>,
    limit: usize,
) -> Vec<user_message::Model> {
    let mut merged = Vec::with_capacity(limit.min(a.len() + b.len()));
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    while merged.len() < limit {
        let row = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if (x.tx_id, x.id) == (y.tx_id, y.id) => {
                b.next();
                a.next()
            }
            (Some(x), Some(y)) if (x.tx_id, x.id) < (y.tx_id, y.id) => a.next(),
            (Some(_), Some(_)) | (None, Some(_)) => b.next(),
            (Some(_), None) => a.next(),
            (None, None) => None,
        };
        match row {
            Some(row) => merged.push(row),
            None => break,
        }
    }
    merged
}
