//! Edits: a message's text replaced in place, in one transaction that locks the row, checks
//! the caller's rule on what is stored at that moment, keeps the replaced text in
//! `AppMessageEdits` and records the change for `sync`. Two edits at once get versions one
//! after the other; an edit and a recall at once never leave an edited recalled message.

use chrono::{DateTime, SecondsFormat, Utc};
use entity::{group_message, message_edit, user_message};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::accounts::concurrency_stamp;
use super::message_changes::{self, ChangeKind};
use super::messages::{
    message_by_id, Conversation, StoredMessage, EXTRA_EDITED_AT, EXTRA_EDIT_VERSION,
};
use super::{Store, StoreError};

/// What became of an edit.
#[derive(Debug)]
pub enum EditOutcome<R> {
    /// Stored: the message as it is now.
    Done(Box<StoredMessage>),
    /// No such message in the tenant.
    NotFound,
    /// The rule refused it, on the message as stored under the lock.
    Refused(R),
}

impl Store {
    /// Replaces the text of `message_id` by `content` for `editor`, if `rule` allows it on the
    /// message as stored now.
    pub async fn edit_message<R>(
        &self,
        tenant_id: Option<Uuid>,
        message_id: i64,
        editor: Uuid,
        content: String,
        at: DateTime<Utc>,
        rule: impl FnOnce(&StoredMessage) -> Result<(), R>,
    ) -> Result<EditOutcome<R>, StoreError> {
        let txn = self.write_txn().await?;
        let Some(mut message) = message_by_id(&txn, tenant_id, message_id, true).await? else {
            return Ok(EditOutcome::NotFound);
        };
        if let Err(refusal) = rule(&message) {
            return Ok(EditOutcome::Refused(refusal));
        }
        let version = message.edit_version() + 1;
        message_edit::Entity::insert(message_edit::ActiveModel {
            tenant_id: Set(tenant_id),
            message_id: Set(message_id),
            version: Set(version),
            previous_content: Set(std::mem::replace(&mut message.content, content)),
            editor_id: Set(editor),
            creation_time: Set(at),
            ..Default::default()
        })
        .exec_without_returning(&txn)
        .await?;
        message
            .extra
            .insert(EXTRA_EDIT_VERSION.into(), version.into());
        message.extra.insert(
            EXTRA_EDITED_AT.into(),
            at.to_rfc3339_opts(SecondsFormat::Millis, true).into(),
        );
        let extra = serde_json::Value::Object(message.extra.clone()).to_string();
        match message.to {
            Conversation::User(_) => {
                use user_message::Column as U;
                user_message::Entity::update_many()
                    .col_expr(U::Content, Expr::value(message.content.clone()))
                    .col_expr(U::ExtraProperties, Expr::value(extra))
                    .col_expr(U::ConcurrencyStamp, Expr::value(concurrency_stamp()))
                    .filter(U::MessageId.eq(message_id))
                    .exec(&txn)
                    .await?;
            }
            Conversation::Group(_) => {
                use group_message::Column as G;
                group_message::Entity::update_many()
                    .col_expr(G::Content, Expr::value(message.content.clone()))
                    .col_expr(G::ExtraProperties, Expr::value(extra))
                    .col_expr(G::ConcurrencyStamp, Expr::value(concurrency_stamp()))
                    .filter(G::MessageId.eq(message_id))
                    .exec(&txn)
                    .await?;
            }
        }
        let change = message_changes::row(
            tenant_id,
            message_id,
            message.from,
            message.to,
            ChangeKind::Edited,
            None,
        );
        message_changes::record(&txn, vec![change]).await?;
        if self.outbox_on() {
            let event = super::outbox::message_changed("message.edited", &message);
            super::outbox::write(&txn, vec![event]).await?;
        }
        txn.commit().await?;
        Ok(EditOutcome::Done(Box::new(message)))
    }
}
