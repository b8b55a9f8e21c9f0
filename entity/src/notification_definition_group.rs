//! `AppNotificationDefinitionGroups`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A named group of notification definitions (ABP's `NotificationDefinitionGroupRecord`): how
/// the console and ABP's "assignables" list them, and whether clients may subscribe to its
/// definitions at all.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(
    table_name = "AppNotificationDefinitionGroups",
    rename_all = "PascalCase"
)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub name: String,
    #[sea_orm(column_type = "String(StringLen::N(255))", nullable)]
    pub display_name: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))", nullable)]
    pub description: Option<String>,
    pub allow_subscription_to_clients: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub extra_properties: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
