//! Media rows (`AppMedia`), which messages carry them (`AppMessageMedia`), and who may read
//! one: its uploader, and anyone who can read a message that carries it.

use chrono::{DateTime, Utc};
use entity::{media, message_media};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ConnectionTrait, Set};

use super::messages::NewMessage;
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, IntoActiveModel, QueryFilter, QuerySelect, Statement,
};
use uuid::Uuid;

use super::conversations::ph;
use super::{Store, StoreError};

#[derive(FromQueryResult)]
struct Found {
    n: i64,
}

impl Store {
    /// Writes a new media's row.
    pub async fn insert_media(&self, row: media::Model) -> Result<(), StoreError> {
        let mut row = row.into_active_model();
        row.id = sea_orm::ActiveValue::NotSet;
        media::Entity::insert(row).exec(&self.db).await?;
        Ok(())
    }

    /// The media `owner` already uploaded with these bytes.
    pub async fn media_by_content(
        &self,
        owner: Uuid,
        sha256: &str,
    ) -> Result<Option<media::Model>, StoreError> {
        Ok(media::Entity::find()
            .filter(media::Column::OwnerId.eq(owner))
            .filter(media::Column::Sha256.eq(sha256))
            .one(&self.db)
            .await?)
    }

    /// The media `media_id`.
    pub async fn media(&self, media_id: i64) -> Result<Option<media::Model>, StoreError> {
        Ok(media::Entity::find()
            .filter(media::Column::MediaId.eq(media_id))
            .one(&self.db)
            .await?)
    }

    /// Whether `user` can read a message that carries `media_id`: a private one they sent or
    /// received, or one of a group they belong to.
    pub async fn may_read_media(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        media_id: i64,
    ) -> Result<bool, StoreError> {
        let b = self.backend();
        let mut values: Vec<sea_orm::Value> = vec![media_id.into(), user.into()];
        if let Some(t) = tenant_id {
            values.push(t.into());
        }
        let t = |alias: &str| match tenant_id {
            Some(_) => format!("{alias}.\"TenantId\" = {}", ph(b, 3)),
            None => format!("{alias}.\"TenantId\" IS NULL"),
        };
        let (m, u) = (ph(b, 1), ph(b, 2));
        let sql = format!(
            "SELECT COUNT(*) AS n FROM \"AppMessageMedia\" mm WHERE mm.\"MediaId\" = {m} AND (\
             EXISTS (SELECT 1 FROM \"AppUserMessages\" p WHERE p.\"MessageId\" = mm.\"MessageId\" AND {pt} \
               AND (p.\"CreatorId\" = {u} OR p.\"ReceiveUserId\" = {u})) \
             OR EXISTS (SELECT 1 FROM \"AppGroupMessages\" g JOIN \"AppUserChatGroups\" c \
               ON c.\"GroupId\" = g.\"GroupId\" AND c.\"UserId\" = {u} AND {ct} \
               WHERE g.\"MessageId\" = mm.\"MessageId\" AND {gt}))",
            pt = t("p"),
            ct = t("c"),
            gt = t("g"),
        );
        let found = Found::find_by_statement(Statement::from_sql_and_values(b, sql, values))
            .one(&self.db)
            .await?;
        Ok(found.is_some_and(|f| f.n > 0))
    }

    /// The unreferenced uploads made before `before`, at most `limit`.
    pub async fn orphan_media(
        &self,
        before: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<media::Model>, StoreError> {
        Ok(media::Entity::find()
            .filter(media::Column::Referenced.eq(false))
            .filter(media::Column::CreationTime.lt(before))
            .limit(limit)
            .all(&self.db)
            .await?)
    }

    /// Deletes the rows of `media_ids` that no message references (yet).
    pub async fn delete_unreferenced_media(&self, media_ids: &[i64]) -> Result<u64, StoreError> {
        if media_ids.is_empty() {
            return Ok(0);
        }
        let gone = media::Entity::delete_many()
            .filter(media::Column::MediaId.is_in(media_ids.to_vec()))
            .filter(media::Column::Referenced.eq(false))
            .exec(&self.db)
            .await?;
        Ok(gone.rows_affected)
    }

    /// How many media there are and how many bytes they take.
    pub async fn media_usage(&self) -> Result<(u64, u64), StoreError> {
        #[derive(FromQueryResult)]
        struct Usage {
            n: i64,
            bytes: i64,
        }
        let sql = "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(\"Size\"), 0) AS BIGINT) AS bytes FROM \"AppMedia\"";
        let row = Usage::find_by_statement(Statement::from_string(self.backend(), sql))
            .one(&self.db)
            .await?;
        Ok(row.map_or((0, 0), |u| (u.n as u64, u.bytes as u64)))
    }
}

/// Records, in the transaction that stores `messages`, the media each carries, and marks those
/// media referenced (no longer orphans).
pub(super) async fn reference<C: ConnectionTrait>(
    db: &C,
    messages: &[&NewMessage],
) -> Result<(), StoreError> {
    let mut rows = Vec::new();
    let mut ids = Vec::new();
    for m in messages {
        for id in m.media.iter().flat_map(|media| media.ids.iter()) {
            ids.push(*id);
            rows.push(message_media::ActiveModel {
                message_id: Set(m.message_id),
                media_id: Set(*id),
                ..Default::default()
            });
        }
    }
    if rows.is_empty() {
        return Ok(());
    }
    message_media::Entity::insert_many(rows).exec(db).await?;
    media::Entity::update_many()
        .col_expr(media::Column::Referenced, true.into())
        .filter(media::Column::MediaId.is_in(ids))
        .filter(media::Column::Referenced.eq(false))
        .exec(db)
        .await?;
    Ok(())
}

/// Frees the media of messages that are gone or recalled (the messages `messages` selects):
/// their references go, and a media no other message carries is unreferenced again, so the
/// orphan sweep deletes it. Runs in the transaction that recalls or deletes the messages.
pub(super) async fn release<C: ConnectionTrait>(
    db: &C,
    messages: sea_orm::sea_query::SelectStatement,
) -> Result<(), StoreError> {
    let ids: Vec<i64> = message_media::Entity::find()
        .select_only()
        .column(message_media::Column::MediaId)
        .filter(message_media::Column::MessageId.in_subquery(messages.clone()))
        .into_tuple()
        .all(db)
        .await?;
    if ids.is_empty() {
        return Ok(());
    }
    message_media::Entity::delete_many()
        .filter(message_media::Column::MessageId.in_subquery(messages))
        .exec(db)
        .await?;
    let still_carried = sea_orm::sea_query::Query::select()
        .column(message_media::Column::MediaId)
        .from(message_media::Entity)
        .and_where(sea_orm::sea_query::Expr::col(message_media::Column::MediaId).is_in(ids.clone()))
        .to_owned();
    media::Entity::update_many()
        .col_expr(media::Column::Referenced, false.into())
        .filter(media::Column::MediaId.is_in(ids))
        .filter(media::Column::MediaId.not_in_subquery(still_carried))
        .exec(db)
        .await?;
    Ok(())
}
