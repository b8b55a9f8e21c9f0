//! Each user's settings for a conversation (`AppConversationSettings`): muting, which the
//! push hand-off honours.

use std::collections::HashSet;

use entity::conversation_setting as setting;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use super::accounts::tenant_filter;
use super::{Conversation, Store, StoreError};

impl Store {
    /// Mutes or unmutes `with` for a user.
    pub async fn set_muted(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        with: Conversation,
        muted: bool,
    ) -> Result<(), StoreError> {
        let (peer, group) = split(with);
        let txn = self.write_txn().await?;
        setting::Entity::delete_many()
            .filter(tenant_filter(setting::Column::TenantId, tenant_id))
            .filter(setting::Column::UserId.eq(user))
            .filter(match peer {
                Some(p) => setting::Column::PeerUserId.eq(p),
                None => setting::Column::PeerUserId.is_null(),
            })
            .filter(match group {
                Some(g) => setting::Column::GroupId.eq(g),
                None => setting::Column::GroupId.is_null(),
            })
            .exec(&txn)
            .await?;
        if muted {
            setting::Entity::insert(setting::ActiveModel {
                tenant_id: Set(tenant_id),
                user_id: Set(user),
                peer_user_id: Set(peer),
                group_id: Set(group),
                muted: Set(true),
                ..Default::default()
            })
            .exec(&txn)
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// The conversations a user has muted.
    pub async fn muted_conversations(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
    ) -> Result<Vec<Conversation>, StoreError> {
        Ok(setting::Entity::find()
            .filter(tenant_filter(setting::Column::TenantId, tenant_id))
            .filter(setting::Column::UserId.eq(user))
            .filter(setting::Column::Muted.eq(true))
            .all(&self.db)
            .await?
            .into_iter()
            .filter_map(|r| match (r.peer_user_id, r.group_id) {
                (Some(p), _) => Some(Conversation::User(p)),
                (None, Some(g)) => Some(Conversation::Group(g)),
                _ => None,
            })
            .collect())
    }

    /// Which of `users` muted their conversation `with`: for a private conversation each
    /// user's side is the other party (`with` names the sender).
    pub async fn muted_among(
        &self,
        users: &[Uuid],
        with: &[(Uuid, Conversation)],
    ) -> Result<HashSet<(Uuid, Conversation)>, StoreError> {
        if users.is_empty() {
            return Ok(HashSet::new());
        }
        let rows: Vec<(Uuid, Option<Uuid>, Option<i64>)> = setting::Entity::find()
            .select_only()
            .columns([
                setting::Column::UserId,
                setting::Column::PeerUserId,
                setting::Column::GroupId,
            ])
            .filter(setting::Column::UserId.is_in(users.to_vec()))
            .filter(setting::Column::Muted.eq(true))
            .into_tuple()
            .all(&self.db)
            .await?;
        let wanted: HashSet<&(Uuid, Conversation)> = with.iter().collect();
        Ok(rows
            .into_iter()
            .filter_map(|(user, peer, group)| {
                let c = match (peer, group) {
                    (Some(p), _) => Conversation::User(p),
                    (None, Some(g)) => Conversation::Group(g),
                    _ => return None,
                };
                wanted.contains(&(user, c)).then_some((user, c))
            })
            .collect())
    }
}

fn split(with: Conversation) -> (Option<Uuid>, Option<i64>) {
    match with {
        Conversation::User(p) => (Some(p), None),
        Conversation::Group(g) => (None, Some(g)),
    }
}
