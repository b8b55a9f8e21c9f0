//! Index definitions written once and rendered for each backend. Unique keys must treat a NULL
//! `TenantId` (the host tenant) as one value, which neither SQLite nor PostgreSQL does by
//! default, so nullable key columns are wrapped in `COALESCE`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// One index: its table, columns, uniqueness and an optional partial-index condition.
pub(crate) struct Idx {
    name: String,
    table: &'static str,
    columns: &'static [&'static str],
    unique: bool,
    condition: Option<&'static str>,
}

/// Key columns that may hold NULL, with the value NULL is folded to in a unique key.
const NULLABLE: &[(&str, &str, &str)] = &[
    (
        "TenantId",
        "'00000000-0000-0000-0000-000000000000'::uuid",
        "x''",
    ),
    (
        "PeerUserId",
        "'00000000-0000-0000-0000-000000000000'::uuid",
        "x''",
    ),
    ("GroupId", "0", "0"),
];

impl Idx {
    /// A non-unique index named the way ABP (EF Core) names it: `IX_<Table>_<Col>_<Col>`.
    pub(crate) fn plain(table: &'static str, columns: &'static [&'static str]) -> Self {
        let name = format!("IX_{}_{}", table, columns.join("_"));
        Idx {
            name,
            table,
            columns,
            unique: false,
            condition: None,
        }
    }

    /// An index under a name of its own (as ABP names some: `IX_Tenant_User_Notification_Id`).
    pub(crate) fn named(
        name: &str,
        table: &'static str,
        columns: &'static [&'static str],
        unique: bool,
    ) -> Self {
        Idx {
            name: name.to_string(),
            table,
            columns,
            unique,
            condition: None,
        }
    }

    /// A unique index named `UX_<Table>_<what>`.
    pub(crate) fn unique(
        table: &'static str,
        what: &str,
        columns: &'static [&'static str],
    ) -> Self {
        let name = format!("UX_{table}_{what}");
        Idx {
            name,
            table,
            columns,
            unique: true,
            condition: None,
        }
    }

    /// Makes this a partial index over the rows matching `condition` (SQL, quoted identifiers).
    pub(crate) fn only_where(mut self, condition: &'static str) -> Self {
        self.condition = Some(condition);
        self
    }

    fn sql(&self, backend: DbBackend) -> String {
        let cols: Vec<String> = self
            .columns
            .iter()
            .map(|c| {
                let nullable = NULLABLE.iter().find(|(n, _, _)| n == c);
                match (self.unique, nullable, backend) {
                    (true, Some((_, pg, _)), DbBackend::Postgres) => {
                        format!("COALESCE(\"{c}\", {pg})")
                    }
                    (true, Some((_, _, lite)), _) => format!("IFNULL(\"{c}\", {lite})"),
                    _ => format!("\"{c}\""),
                }
            })
            .collect();
        let mut sql = format!(
            "CREATE {}INDEX \"{}\" ON \"{}\" ({})",
            if self.unique { "UNIQUE " } else { "" },
            self.name,
            self.table,
            cols.join(", ")
        );
        if let Some(cond) = self.condition {
            sql.push_str(" WHERE ");
            sql.push_str(cond);
        }
        sql
    }
}

/// Creates `idx` on the manager's backend.
pub(crate) async fn create_index(manager: &SchemaManager<'_>, idx: &Idx) -> Result<(), DbErr> {
    let db = manager.get_connection();
    db.execute_unprepared(&idx.sql(db.get_database_backend()))
        .await?;
    Ok(())
}

/// Drops `idx` (tables dropped whole take their indexes with them).
pub(crate) async fn drop_index(manager: &SchemaManager<'_>, idx: &Idx) -> Result<(), DbErr> {
    let db = manager.get_connection();
    db.execute_unprepared(&format!("DROP INDEX IF EXISTS \"{}\"", idx.name))
        .await?;
    Ok(())
}

/// Drops the table that `create` made.
pub(crate) async fn drop_table(
    manager: &SchemaManager<'_>,
    create: &TableCreateStatement,
) -> Result<(), DbErr> {
    let name = create
        .get_table_name()
        .expect("every table statement names its table")
        .clone();
    manager
        .drop_table(Table::drop().table(name).to_owned())
        .await
}

/// Creates `tables`, then `indexes` on them: the whole `up` of a migration that adds tables.
pub(crate) async fn create_all(
    manager: &SchemaManager<'_>,
    tables: Vec<TableCreateStatement>,
    indexes: &[Idx],
) -> Result<(), DbErr> {
    for table in tables {
        manager.create_table(table).await?;
    }
    for idx in indexes {
        create_index(manager, idx).await?;
    }
    Ok(())
}

/// Undoes [`create_all`]: the indexes, then the tables, newest first.
pub(crate) async fn drop_all(
    manager: &SchemaManager<'_>,
    tables: &[TableCreateStatement],
    indexes: &[Idx],
) -> Result<(), DbErr> {
    for idx in indexes.iter().rev() {
        drop_index(manager, idx).await?;
    }
    for table in tables.iter().rev() {
        drop_table(manager, table).await?;
    }
    Ok(())
}
