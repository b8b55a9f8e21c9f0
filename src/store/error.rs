//! Storage failures, sorted into what a caller can act on.

use sea_orm::{DbErr, SqlErr};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key already holds this value (a duplicate user name, friendship, membership…).
    #[error("already exists")]
    Conflict,
    /// The database could not be reached or failed: nothing was stored, try again.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Conflict,
            _ => StoreError::Unavailable(err.to_string()),
        }
    }
}
