//! Storage failures, sorted into what a caller can act on.

use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key already holds this value (a duplicate user name, friendship, membership…).
    #[error("already exists")]
    Conflict,
    /// The database refused a value of this statement (too long for its column, out of range,
    /// a constraint): the fault is in the data, not the connection, so the same statement will
    /// fail again. Validation at the edge should have caught it; clients are told
    /// `IM:Unavailable` all the same, and the writer uses it to find the one row at fault.
    #[error("the database refused a value: {0}")]
    Refused(String),
    /// The database could not be reached or failed: nothing was stored, try again.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Conflict,
            _ if refused_data(&err) => StoreError::Refused(err.to_string()),
            _ => StoreError::Unavailable(err.to_string()),
        }
    }
}

/// Whether the database itself answered that a value is wrong: a constraint, or on PostgreSQL
/// a data exception (SQLSTATE class 22: a string too long, a number out of range).
fn refused_data(err: &DbErr) -> bool {
    use sea_orm::sqlx::error::ErrorKind;
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = err
    else {
        return false;
    };
    let sea_orm::sqlx::Error::Database(db) = e.as_ref() else {
        return false;
    };
    !matches!(db.kind(), ErrorKind::Other)
        || db
            .code()
            .is_some_and(|c| c.starts_with("22") || c.starts_with("23"))
}
