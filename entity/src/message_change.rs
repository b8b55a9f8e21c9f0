//! `AppMessageChanges`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Something that happened to a stored message (an edit, a recall, a reaction, a hide),
/// written in the same transaction as the change, so that `sync` can tell a client that was
/// away. Who sees it: a private message's two parties (`UserId` the sender, `PeerUserId` the
/// receiver), a group's members (`GroupId`), or, for a hide, the one user (`UserId` alone).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppMessageChanges", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: Option<Uuid>,
    pub message_id: i64,
    pub group_id: Option<i64>,
    pub user_id: Option<Uuid>,
    pub peer_user_id: Option<Uuid>,
    pub kind: i16,
    pub creation_time: DateTimeUtc,
    /// The writing transaction (PostgreSQL; 0 on SQLite): the feed's commit order.
    pub tx_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
