//! Published notifications and the inboxes they land in: a notification is stored once
//! (`AppNotifications`) and each recipient gets a row (`AppUserNotifications`) with its read
//! state, written in batches. Inbox reads skip expired notifications; a sweep deletes them.

use chrono::{DateTime, Utc};
use entity::{notification, user_chat_card, user_notification as inbox, user_subscribe};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, IntoActiveModel, QueryFilter, QuerySelect, Set,
    Statement,
};
use uuid::Uuid;

use super::accounts::tenant_filter;
use super::conversations::ph;
use super::{Store, StoreError};

/// ABP's `NotificationReadState`.
pub const READ: i32 = 0;
pub const UNREAD: i32 = 1;

/// What an inbox read selects, as [`InboxItem`]'s fields.
const INBOX_COLUMNS: &str = "n.\"NotificationId\" AS notification_id, \
     n.\"NotificationName\" AS notification_name, n.\"Severity\" AS severity, n.\"Type\" AS kind, \
     n.\"ContentType\" AS content_type, n.\"CreationTime\" AS creation_time, \
     n.\"ExtraProperties\" AS extra_properties, u.\"ReadStatus\" AS read_status";

/// Inbox rows are inserted this many per statement.
const INBOX_BATCH: usize = 1000;

/// A notification as an inbox lists it: the stored one, and this user's read state.
#[derive(Clone, Debug, FromQueryResult)]
pub struct InboxItem {
    pub notification_id: i64,
    pub notification_name: String,
    pub severity: i16,
    pub kind: i32,
    pub content_type: i32,
    pub creation_time: DateTime<Utc>,
    pub extra_properties: Option<String>,
    pub read_status: i32,
}

/// Which of a user's notifications a page holds.
#[derive(Clone, Copy, Debug, Default)]
pub struct InboxFilter {
    pub read_status: Option<i32>,
    pub skip: u64,
    pub take: u64,
}

#[derive(FromQueryResult)]
struct Count {
    n: i64,
}

impl Store {
    /// Stores a published notification (once, whoever it reaches).
    pub async fn store_notification(&self, row: notification::Model) -> Result<(), StoreError> {
        let mut row = row.into_active_model();
        row.id = sea_orm::ActiveValue::NotSet;
        notification::Entity::insert(row).exec(&self.db).await?;
        Ok(())
    }

    /// Puts notification `id` in the inboxes of `users`, unread, a batch per statement.
    pub async fn add_to_inboxes(
        &self,
        tenant_id: Option<Uuid>,
        id: i64,
        users: &[Uuid],
    ) -> Result<(), StoreError> {
        for batch in users.chunks(INBOX_BATCH) {
            let rows = batch.iter().map(|user| inbox::ActiveModel {
                tenant_id: Set(tenant_id),
                user_id: Set(*user),
                notification_id: Set(id),
                read_status: Set(UNREAD),
                ..Default::default()
            });
            inbox::Entity::insert_many(rows).exec(&self.db).await?;
        }
        Ok(())
    }

    /// The users of a tenant subscribed to notification `name`.
    pub async fn subscribers(
        &self,
        tenant_id: Option<Uuid>,
        name: &str,
    ) -> Result<Vec<Uuid>, StoreError> {
        Ok(user_subscribe::Entity::find()
            .select_only()
            .column(user_subscribe::Column::UserId)
            .filter(tenant_filter(user_subscribe::Column::TenantId, tenant_id))
            .filter(user_subscribe::Column::NotificationName.eq(name))
            .into_tuple()
            .all(&self.db)
            .await?)
    }

    /// Every user of a tenant (every user card).
    pub async fn tenant_users(&self, tenant_id: Option<Uuid>) -> Result<Vec<Uuid>, StoreError> {
        Ok(user_chat_card::Entity::find()
            .select_only()
            .column(user_chat_card::Column::UserId)
            .filter(tenant_filter(user_chat_card::Column::TenantId, tenant_id))
            .into_tuple()
            .all(&self.db)
            .await?)
    }

    fn inbox_where(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        read_status: Option<i32>,
        now: DateTime<Utc>,
    ) -> (String, Vec<sea_orm::Value>) {
        let b = self.backend();
        let mut values: Vec<sea_orm::Value> = vec![user.into(), now.into()];
        let mut sql = format!(
            "FROM \"AppUserNotifications\" u JOIN \"AppNotifications\" n ON n.\"NotificationId\" = u.\"NotificationId\" \
             WHERE u.\"UserId\" = {} AND (n.\"ExpirationTime\" IS NULL OR n.\"ExpirationTime\" > {})",
            ph(b, 1),
            ph(b, 2)
        );
        match tenant_id {
            Some(t) => {
                values.push(t.into());
                sql.push_str(&format!(" AND u.\"TenantId\" = {}", ph(b, values.len())));
            }
            None => sql.push_str(" AND u.\"TenantId\" IS NULL"),
        }
        if let Some(state) = read_status {
            values.push(state.into());
            sql.push_str(&format!(" AND u.\"ReadStatus\" = {}", ph(b, values.len())));
        }
        (sql, values)
    }

    /// A page of a user's unexpired notifications, newest first, and how many match in all.
    pub async fn inbox(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        filter: InboxFilter,
    ) -> Result<(u64, Vec<InboxItem>), StoreError> {
        let now = crate::state::now_millis();
        let (from, values) = self.inbox_where(tenant_id, user, filter.read_status, now);
        let b = self.backend();
        let total = Count::find_by_statement(Statement::from_sql_and_values(
            b,
            format!("SELECT COUNT(*) AS n {from}"),
            values.clone(),
        ))
        .one(&self.db)
        .await?
        .map_or(0, |c| c.n as u64);
        let sql = format!(
            "SELECT {INBOX_COLUMNS} {from} ORDER BY u.\"NotificationId\" DESC LIMIT {} OFFSET {}",
            filter.take, filter.skip
        );
        let items = InboxItem::find_by_statement(Statement::from_sql_and_values(b, sql, values))
            .all(&self.db)
            .await?;
        Ok((total, items))
    }

    /// One notification of a user's inbox.
    pub async fn inbox_item(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        id: i64,
    ) -> Result<Option<InboxItem>, StoreError> {
        let now = crate::state::now_millis();
        let (from, mut values) = self.inbox_where(tenant_id, user, None, now);
        values.push(id.into());
        let sql = format!(
            "SELECT {INBOX_COLUMNS} {from} AND u.\"NotificationId\" = {}",
            ph(self.backend(), values.len())
        );
        Ok(InboxItem::find_by_statement(Statement::from_sql_and_values(
            self.backend(),
            sql,
            values,
        ))
        .one(&self.db)
        .await?)
    }

    /// How many unexpired notifications of a user are unread.
    pub async fn unread_notifications(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
    ) -> Result<u64, StoreError> {
        let now = crate::state::now_millis();
        let (from, values) = self.inbox_where(tenant_id, user, Some(UNREAD), now);
        Ok(Count::find_by_statement(Statement::from_sql_and_values(
            self.backend(),
            format!("SELECT COUNT(*) AS n {from}"),
            values,
        ))
        .one(&self.db)
        .await?
        .map_or(0, |c| c.n as u64))
    }

    /// Sets the read state of notifications `ids` in a user's inbox; how many rows changed.
    pub async fn mark_notifications(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        ids: &[i64],
        state: i32,
    ) -> Result<u64, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let done = inbox::Entity::update_many()
            .col_expr(inbox::Column::ReadStatus, state.into())
            .filter(tenant_filter(inbox::Column::TenantId, tenant_id))
            .filter(inbox::Column::UserId.eq(user))
            .filter(inbox::Column::NotificationId.is_in(ids.to_vec()))
            .filter(inbox::Column::ReadStatus.ne(state))
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected)
    }

    /// Removes notification `id` from a user's inbox; whether it was there.
    pub async fn delete_from_inbox(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        id: i64,
    ) -> Result<bool, StoreError> {
        let gone = inbox::Entity::delete_many()
            .filter(tenant_filter(inbox::Column::TenantId, tenant_id))
            .filter(inbox::Column::UserId.eq(user))
            .filter(inbox::Column::NotificationId.eq(id))
            .exec(&self.db)
            .await?;
        Ok(gone.rows_affected > 0)
    }

    /// Deletes up to `limit` notifications that expired before `now`, with their inbox rows;
    /// how many.
    pub async fn sweep_expired_notifications(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<u64, StoreError> {
        let ids: Vec<i64> = notification::Entity::find()
            .select_only()
            .column(notification::Column::NotificationId)
            .filter(notification::Column::ExpirationTime.lt(now))
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await?;
        if ids.is_empty() {
            return Ok(0);
        }
        let txn = self.write_txn().await?;
        inbox::Entity::delete_many()
            .filter(inbox::Column::NotificationId.is_in(ids.clone()))
            .exec(&txn)
            .await?;
        notification::Entity::delete_many()
            .filter(notification::Column::NotificationId.is_in(ids.clone()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(ids.len() as u64)
    }
}
