//! `AppUserSubscribes`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A user's subscription to a notification definition: a notification published to the
/// definition's subscribers reaches the user.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppUserSubscribes", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(128))")]
    pub user_name: String,
    pub tenant_id: Option<Uuid>,
    pub creation_time: DateTimeUtc,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub notification_name: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
