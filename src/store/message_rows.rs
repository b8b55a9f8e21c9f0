//! The rows of a committed batch of messages, written the fastest way each database allows.
//!
//! PostgreSQL gets one statement per table whose text never changes: each column travels as
//! one array parameter and `unnest` zips them back into rows, in order. It replaced SeaORM's
//! multi-row `INSERT`, which built and bound a model per row under a new text for each batch
//! size. Measured (BENCHMARKS.md, "The write path"): about 10 % less pod CPU per message; PostgreSQL's
//! own CPU did not change. SQLite, in process, keeps SeaORM's multi-row insert.

use entity::{group_message, user_message};
use sea_orm::sea_query::ArrayType;
use sea_orm::{ActiveValue::Set, DatabaseTransaction, DbBackend, EntityTrait, Statement, Value};

use super::accounts::concurrency_stamp;
use super::messages::{Conversation, NewMessage, STATE_SEND};
use super::StoreError;

/// Columns both tables share, after the conversation's own column, and their array types.
const SHARED: &str = "\"ExtraProperties\", \"ConcurrencyStamp\", \"CreationTime\", \"CreatorId\", \
     \"TenantId\", \"MessageId\", \"SendUserName\", \"Content\", \"Type\", \"Source\", \"State\"";
const SHARED_ARRAYS: &str = "$2::text[], $3::text[], $4::timestamptz[], $5::uuid[], $6::text[], \
     $7::int8[], $8::text[], $9::text[], $10::int4[], $11::int4[]";

/// Inserts `rows` (a message and its `ExtraProperties` text) into the message tables.
pub(super) async fn insert(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    rows: &[(&NewMessage, String)],
) -> Result<(), StoreError> {
    if backend != DbBackend::Postgres {
        return insert_models(txn, rows).await;
    }
    let (users, groups): (Vec<_>, Vec<_>) = rows
        .iter()
        .partition(|(m, _)| matches!(m.to, Conversation::User(_)));
    if !users.is_empty() {
        let to = users.iter().filter_map(|(m, _)| match m.to {
            Conversation::User(u) => Some(Value::Uuid(Some(u))),
            Conversation::Group(_) => None,
        });
        let to = array(ArrayType::Uuid, to);
        insert_arrays(
            txn,
            "AppUserMessages",
            "\"ReceiveUserId\"",
            "uuid",
            to,
            &users,
        )
        .await?;
    }
    if !groups.is_empty() {
        let to = groups.iter().filter_map(|(m, _)| match m.to {
            Conversation::Group(g) => Some(Value::BigInt(Some(g))),
            Conversation::User(_) => None,
        });
        let to = array(ArrayType::BigInt, to);
        insert_arrays(txn, "AppGroupMessages", "\"GroupId\"", "int8", to, &groups).await?;
    }
    Ok(())
}

/// One array parameter of `kind` (the binder takes no NULL inside one: callers bind '' instead).
pub(super) fn array(kind: ArrayType, values: impl Iterator<Item = Value>) -> Value {
    Value::Array(kind, Some(Box::new(values.collect())))
}

async fn insert_arrays(
    txn: &DatabaseTransaction,
    table: &str,
    column: &str,
    column_type: &str,
    to: Value,
    rows: &[&(&NewMessage, String)],
) -> Result<(), StoreError> {
    let column_of = |f: &dyn Fn(&NewMessage, &str) -> Value, kind: ArrayType| {
        array(kind, rows.iter().map(|(m, x)| f(m, x)))
    };
    let text = |s: &str| Value::String(Some(s.to_string()));
    let values = vec![
        to,
        column_of(&|_, x| text(x), ArrayType::String),
        column_of(&|_, _| text(&concurrency_stamp()), ArrayType::String),
        column_of(
            &|m, _| Value::ChronoDateTimeUtc(Some(m.send_time)),
            ArrayType::ChronoDateTimeUtc,
        ),
        column_of(&|m, _| Value::Uuid(Some(m.from)), ArrayType::Uuid),
        // The binder takes no NULL inside an array (it panics): the host tenant is ''.
        column_of(
            &|m, _| text(&m.tenant_id.map(|t| t.to_string()).unwrap_or_default()),
            ArrayType::String,
        ),
        column_of(&|m, _| Value::BigInt(Some(m.message_id)), ArrayType::BigInt),
        column_of(&|m, _| text(&m.from_name), ArrayType::String),
        column_of(&|m, _| text(&m.content), ArrayType::String),
        column_of(&|m, _| Value::Int(Some(m.message_type)), ArrayType::Int),
        column_of(&|m, _| Value::Int(Some(m.source)), ArrayType::Int),
    ];
    let sql = format!(
        "INSERT INTO \"{table}\" ({column}, {SHARED}) \
         SELECT r.\"to\", r.x, r.c, r.at, r.f, NULLIF(r.tn, '')::uuid, r.id, r.n, r.b, r.ty, r.s, {STATE_SEND} \
         FROM unnest($1::{column_type}[], {SHARED_ARRAYS}) \
         WITH ORDINALITY AS r(\"to\", x, c, at, f, tn, id, n, b, ty, s, k) ORDER BY r.k"
    );
    let statement = Statement::from_sql_and_values(DbBackend::Postgres, sql, values);
    sea_orm::ConnectionTrait::execute_raw(txn, statement).await?;
    Ok(())
}

async fn insert_models(
    txn: &DatabaseTransaction,
    rows: &[(&NewMessage, String)],
) -> Result<(), StoreError> {
    let mut users = Vec::new();
    let mut groups = Vec::new();
    for (m, extra) in rows {
        match m.to {
            Conversation::User(to) => users.push(user_message::ActiveModel {
                receive_user_id: Set(to),
                extra_properties: Set(extra.clone()),
                concurrency_stamp: Set(concurrency_stamp()),
                creation_time: Set(m.send_time),
                creator_id: Set(Some(m.from)),
                tenant_id: Set(m.tenant_id),
                message_id: Set(m.message_id),
                send_user_name: Set(m.from_name.clone()),
                content: Set(m.content.clone()),
                message_type: Set(m.message_type),
                source: Set(m.source),
                state: Set(STATE_SEND),
                ..Default::default()
            }),
            Conversation::Group(group) => groups.push(group_message::ActiveModel {
                group_id: Set(group),
                extra_properties: Set(extra.clone()),
                concurrency_stamp: Set(concurrency_stamp()),
                creation_time: Set(m.send_time),
                creator_id: Set(Some(m.from)),
                tenant_id: Set(m.tenant_id),
                message_id: Set(m.message_id),
                send_user_name: Set(m.from_name.clone()),
                content: Set(m.content.clone()),
                message_type: Set(m.message_type),
                source: Set(m.source),
                state: Set(STATE_SEND),
                ..Default::default()
            }),
        }
    }
    if !users.is_empty() {
        user_message::Entity::insert_many(users)
            .exec_without_returning(txn)
            .await?;
    }
    if !groups.is_empty() {
        group_message::Entity::insert_many(groups)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}
