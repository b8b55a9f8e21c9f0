//! Mentions: whom a group message names (stored in its `ExtraProperties` for readers, and as
//! rows for the conversation list: one per named member, one for `@all`), who may mention
//! everyone in a group, and which of a user's groups hold a mention they have not read past.

use std::collections::HashSet;

use entity::{group_setting, message_mention};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, FromQueryResult, Statement};
use serde_json::{json, Value};
use uuid::Uuid;

use super::conversations::ph;
use super::messages::{Conversation, NewMessage, STATE_RECALLED};
use super::{Store, StoreError};

/// Whom a message mentions: members by id, and everyone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mentions {
    pub user_ids: Vec<Uuid>,
    pub all: bool,
}

impl Mentions {
    /// Whether it mentions nobody.
    pub fn is_empty(&self) -> bool {
        !self.all && self.user_ids.is_empty()
    }

    /// Whether it mentions `user`.
    pub fn names(&self, user: Uuid) -> bool {
        self.all || self.user_ids.contains(&user)
    }

    /// Its form in `ExtraProperties`.
    pub(super) fn to_extra(&self) -> Value {
        json!({"UserIds": self.user_ids, "All": self.all})
    }

    /// Reads it back from `ExtraProperties`.
    pub(super) fn from_extra(value: &Value) -> Option<Mentions> {
        let user_ids = value
            .get("UserIds")?
            .as_array()?
            .iter()
            .filter_map(|v| v.as_str()?.parse().ok())
            .collect();
        let all = value.get("All").and_then(Value::as_bool).unwrap_or(false);
        Some(Mentions { user_ids, all })
    }
}

/// Who may mention everyone in a group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MentionAll {
    Owner,
    #[default]
    Admins,
    Members,
}

impl MentionAll {
    /// Its name, as clients send and see it.
    pub fn as_str(&self) -> &'static str {
        match self {
            MentionAll::Owner => "owner",
            MentionAll::Admins => "admins",
            MentionAll::Members => "members",
        }
    }

    /// The setting named `name`, if it is one.
    pub fn parse(name: &str) -> Option<MentionAll> {
        match name {
            "owner" => Some(MentionAll::Owner),
            "admins" => Some(MentionAll::Admins),
            "members" => Some(MentionAll::Members),
            _ => None,
        }
    }
}

/// Writes the mention rows of a committed batch's new group messages, in its transaction.
pub(super) async fn insert_rows<C: ConnectionTrait>(
    db: &C,
    messages: &[&NewMessage],
) -> Result<(), StoreError> {
    let mut rows = Vec::new();
    for m in messages {
        let Conversation::Group(group) = m.to else {
            continue;
        };
        let named = m.mentions.user_ids.iter().copied().map(Some);
        let all = m.mentions.all.then_some(None);
        for user in named.chain(all) {
            rows.push(message_mention::ActiveModel {
                tenant_id: Set(m.tenant_id),
                group_id: Set(group),
                message_id: Set(m.message_id),
                user_id: Set(user),
                creator_id: Set(m.from),
                ..Default::default()
            });
        }
    }
    if !rows.is_empty() {
        message_mention::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}

/// A group's `mentionAll` setting (the default when it has none).
pub(super) async fn mention_all_of<C: ConnectionTrait>(
    db: &C,
    group: i64,
) -> Result<MentionAll, StoreError> {
    let row = group_setting::Entity::find_by_id(group).one(db).await?;
    Ok(row
        .and_then(|r| MentionAll::parse(&r.mention_all))
        .unwrap_or_default())
}

/// Sets a group's `mentionAll`, in the transaction that changes the group.
pub(super) async fn set_mention_all<C: ConnectionTrait>(
    db: &C,
    tenant_id: Option<Uuid>,
    group: i64,
    value: MentionAll,
) -> Result<(), StoreError> {
    use group_setting::Column as S;
    group_setting::Entity::insert(group_setting::ActiveModel {
        group_id: Set(group),
        tenant_id: Set(tenant_id),
        mention_all: Set(value.as_str().to_string()),
    })
    .on_conflict(
        OnConflict::column(S::GroupId)
            .update_column(S::MentionAll)
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

#[derive(FromQueryResult)]
struct MentionedGroup {
    grp: i64,
}

impl Store {
    /// Who may mention everyone in `group`.
    pub async fn mention_all(&self, group: i64) -> Result<MentionAll, StoreError> {
        mention_all_of(&self.db, group).await
    }

    /// Which of `groups` hold a message of another member that mentions `me` (by name or
    /// `@all`), after my read position there, neither recalled nor hidden by me.
    pub async fn mentioned_groups(
        &self,
        tenant_id: Option<Uuid>,
        me: Uuid,
        groups: &[i64],
    ) -> Result<HashSet<i64>, StoreError> {
        if groups.is_empty() {
            return Ok(HashSet::new());
        }
        let b = self.backend();
        let mut values: Vec<sea_orm::Value> = vec![me.into()];
        let tenant = match tenant_id {
            Some(t) => {
                values.push(t.into());
                format!("r.\"TenantId\" = {}", ph(b, 2))
            }
            None => "r.\"TenantId\" IS NULL".to_string(),
        };
        let list: Vec<String> = groups
            .iter()
            .map(|g| {
                values.push((*g).into());
                ph(b, values.len())
            })
            .collect();
        let sql = format!(
            "SELECT DISTINCT mm.\"GroupId\" AS grp FROM \"AppMessageMentions\" mm \
             WHERE mm.\"GroupId\" IN ({list}) AND (mm.\"UserId\" = {me} OR mm.\"UserId\" IS NULL) \
             AND mm.\"CreatorId\" <> {me} \
             AND mm.\"MessageId\" > COALESCE((SELECT MAX(r.\"MessageId\") FROM \"AppChatReadPositions\" r \
             WHERE {tenant} AND r.\"UserId\" = {me} AND r.\"GroupId\" = mm.\"GroupId\" AND r.\"PeerUserId\" IS NULL), 0) \
             AND NOT EXISTS (SELECT 1 FROM \"AppGroupMessages\" g WHERE g.\"MessageId\" = mm.\"MessageId\" AND g.\"State\" = {STATE_RECALLED}) \
             AND NOT EXISTS (SELECT 1 FROM \"AppMessageHides\" h WHERE h.\"UserId\" = {me} AND h.\"MessageId\" = mm.\"MessageId\")",
            list = list.join(", "),
            me = ph(b, 1),
        );
        let rows =
            MentionedGroup::find_by_statement(Statement::from_sql_and_values(b, sql, values))
                .all(&self.db)
                .await?;
        Ok(rows.into_iter().map(|r| r.grp).collect())
    }
}
