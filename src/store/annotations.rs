//! What a page of messages shows beside each message's own row, read for the whole page at
//! once: the reactions (each emoji's count, and whether the viewer is among them), the
//! messages replied to (for their previews), and which of them the viewer hid.

use std::collections::{HashMap, HashSet};

use entity::{group_message, message_hide, user_message};
use sea_orm::{ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, Statement};
use uuid::Uuid;

use super::accounts::tenant_filter;
use super::conversations::ph;
use super::messages::StoredMessage;
use super::{Store, StoreError};

/// An emoji on a message: how many reacted with it, and whether the viewer did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReactionCount {
    pub emoji: String,
    pub count: u32,
    pub me: bool,
}

/// The page's annotations, by message id.
#[derive(Debug, Default)]
pub struct Annotations {
    pub hidden: HashSet<i64>,
    pub reactions: HashMap<i64, Vec<ReactionCount>>,
    pub replied: HashMap<i64, StoredMessage>,
}

#[derive(FromQueryResult)]
struct Tally {
    message_id: i64,
    emoji: String,
    n: i64,
    mine: i64,
}

impl Store {
    /// The annotations of `messages` as `viewer` sees them: three indexed look-ups for the
    /// page (none when it is empty).
    pub async fn annotations(
        &self,
        tenant_id: Option<Uuid>,
        viewer: Uuid,
        messages: &[&StoredMessage],
    ) -> Result<Annotations, StoreError> {
        let db = self.reader().await;
        let mut notes = Annotations::default();
        if messages.is_empty() {
            return Ok(notes);
        }
        let ids: Vec<i64> = messages.iter().map(|m| m.message_id).collect();
        notes.hidden = message_hide::Entity::find()
            .filter(message_hide::Column::UserId.eq(viewer))
            .filter(message_hide::Column::MessageId.is_in(ids.clone()))
            .all(db)
            .await?
            .into_iter()
            .map(|h| h.message_id)
            .collect();
        let b = self.backend();
        let list: Vec<String> = (2..ids.len() + 2).map(|n| ph(b, n)).collect();
        let sql = format!(
            "SELECT \"MessageId\" AS message_id, \"Emoji\" AS emoji, COUNT(*) AS n, \
             SUM(CASE WHEN \"UserId\" = {} THEN 1 ELSE 0 END) AS mine \
             FROM \"AppMessageReactions\" WHERE \"MessageId\" IN ({}) \
             GROUP BY \"MessageId\", \"Emoji\" ORDER BY MIN(\"Id\")",
            ph(b, 1),
            list.join(", ")
        );
        let mut values: Vec<sea_orm::Value> = vec![viewer.into()];
        values.extend(ids.iter().map(|id| (*id).into()));
        for t in Tally::find_by_statement(Statement::from_sql_and_values(b, sql, values))
            .all(db)
            .await?
        {
            notes
                .reactions
                .entry(t.message_id)
                .or_default()
                .push(ReactionCount {
                    emoji: t.emoji,
                    count: t.n.max(0) as u32,
                    me: t.mine > 0,
                });
        }
        let targets: Vec<i64> = messages.iter().filter_map(|m| m.reply_to()).collect();
        if !targets.is_empty() {
            for m in self.find_messages(tenant_id, &targets).await? {
                notes.replied.insert(m.message_id, m);
            }
        }
        Ok(notes)
    }

    /// The messages among `ids` (from either table) within `tenant_id`; missing ones are left
    /// out.
    pub async fn find_messages(
        &self,
        tenant_id: Option<Uuid>,
        ids: &[i64],
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let mut found: Vec<StoredMessage> = user_message::Entity::find()
            .filter(tenant_filter(user_message::Column::TenantId, tenant_id))
            .filter(user_message::Column::MessageId.is_in(ids.clone()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
        if found.len() < ids.len() {
            found.extend(
                group_message::Entity::find()
                    .filter(tenant_filter(group_message::Column::TenantId, tenant_id))
                    .filter(group_message::Column::MessageId.is_in(ids.clone()))
                    .all(&self.db)
                    .await?
                    .into_iter()
                    .map(StoredMessage::from),
            );
        }
        Ok(found)
    }
}
