//! `AppRefreshTokens`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A refresh token of a session, the current one or one already exchanged. Only a hash of its
/// secret part is kept. Exchanged tokens stay while their session lives, so that presenting
/// one again is recognised as reuse (a stolen token) and ends the session.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppRefreshTokens", rename_all = "PascalCase")]
pub struct Model {
    /// The token's public part, which finds its row.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(32))"
    )]
    pub selector: String,
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub session_id: String,
    /// SHA-256 of the token's secret part, hex.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub verifier_hash: String,
    pub issued_at: DateTimeUtc,
    /// When it was exchanged for the next one; none while it is the current token.
    pub retired_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
