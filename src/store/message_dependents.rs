//! What hangs on a message and goes when it is deleted (an account erased, retention): its
//! media references (a media nothing else carries is then swept as an orphan), edits,
//! reactions, hides, mentions and change-feed rows. Search entries go with the row itself.

use entity::{message_change, message_edit, message_hide, message_mention, message_reaction};
use sea_orm::sea_query::SelectStatement;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::StoreError;

/// Deletes what hangs on the messages `messages` selects (a select of `MessageId`s), in the
/// transaction that deletes the messages.
pub(super) async fn forget_dependents<C: ConnectionTrait>(
    db: &C,
    messages: SelectStatement,
) -> Result<(), StoreError> {
    super::media::release(db, messages.clone()).await?;
    message_edit::Entity::delete_many()
        .filter(message_edit::Column::MessageId.in_subquery(messages.clone()))
        .exec(db)
        .await?;
    message_reaction::Entity::delete_many()
        .filter(message_reaction::Column::MessageId.in_subquery(messages.clone()))
        .exec(db)
        .await?;
    message_hide::Entity::delete_many()
        .filter(message_hide::Column::MessageId.in_subquery(messages.clone()))
        .exec(db)
        .await?;
    message_mention::Entity::delete_many()
        .filter(message_mention::Column::MessageId.in_subquery(messages.clone()))
        .exec(db)
        .await?;
    message_change::Entity::delete_many()
        .filter(message_change::Column::MessageId.in_subquery(messages))
        .exec(db)
        .await?;
    Ok(())
}
