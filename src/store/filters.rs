//! Query conditions used across the store.

use sea_orm::sea_query::{Expr, ExprTrait, IntoColumnRef, LikeExpr};

/// `column` contains `text`, with `%`, `_` and `\` in `text` taken literally.
pub(crate) fn contains(column: impl IntoColumnRef, text: &str) -> Expr {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Expr::col(column).like(LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}
