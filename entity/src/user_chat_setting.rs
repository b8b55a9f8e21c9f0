//! `AppUserChatSettings`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a user accepts: strangers, anonymous messages, friend requests.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppUserChatSettings", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: Option<Uuid>,
    pub user_id: Uuid,
    pub allow_anonymous: bool,
    pub allow_add_friend: bool,
    pub require_add_friend_valition: bool,
    pub allow_receive_message: bool,
    pub allow_send_message: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
