//! `AppConversationSettings`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One user's settings for one conversation (a peer or a group): whether it is muted, so
/// that its messages make no push.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppConversationSettings", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: Option<Uuid>,
    pub user_id: Uuid,
    pub peer_user_id: Option<Uuid>,
    pub group_id: Option<i64>,
    pub muted: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
