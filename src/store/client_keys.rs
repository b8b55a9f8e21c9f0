//! The idempotency keys (`clientMsgId`) of a batch of messages, claimed in the batch's
//! transaction: a key seen before turns its message into a [`Stored::Duplicate`] of the first.
//!
//! The client library sends a key with every message, so this runs once per message on the
//! hot path. PostgreSQL claims a batch's keys in one statement (the keys as arrays, `unnest`,
//! `ON CONFLICT DO NOTHING RETURNING`), not one insert per message; only a key that was not
//! new costs a look-up of its first message. SQLite, in process, inserts them one by one.

use chrono::Utc;
use entity::client_message_id;
use sea_orm::sea_query::{ArrayType, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    Statement, Value,
};
use std::collections::HashSet;

use super::accounts::tenant_filter;
use super::message_rows::array;
use super::messages::{NewMessage, Stored};
use super::StoreError;

const CLAIM: &str = "INSERT INTO \"AppClientMessageIds\" \
     (\"TenantId\", \"UserId\", \"ClientMsgId\", \"MessageId\", \"SendTime\", \"CreationTime\") \
     SELECT NULLIF(r.tn, '')::uuid, r.u, r.k, r.id, r.at, now() \
     FROM unnest($1::text[], $2::uuid[], $3::text[], $4::int8[], $5::timestamptz[]) \
     WITH ORDINALITY AS r(tn, u, k, id, at, o) ORDER BY r.o \
     ON CONFLICT DO NOTHING RETURNING \"MessageId\"";

/// Claims the keys of `batch`, in order: [`Stored::New`] for a message without a key or with
/// a key not seen before (a key twice in one batch: the first one), else the first message.
pub(super) async fn claim(
    txn: &DatabaseTransaction,
    batch: &[NewMessage],
) -> Result<Vec<Stored>, StoreError> {
    let keyed: Vec<(&NewMessage, &String)> = batch
        .iter()
        .filter_map(|m| m.client_msg_id.as_ref().map(|k| (m, k)))
        .collect();
    if keyed.is_empty() {
        return Ok(vec![Stored::New; batch.len()]);
    }
    if txn.get_database_backend() != DbBackend::Postgres {
        let mut outcome = Vec::with_capacity(batch.len());
        for m in batch {
            outcome.push(match &m.client_msg_id {
                Some(key) if !insert_one(txn, m, key).await? => first(txn, m, key).await?,
                _ => Stored::New,
            });
        }
        return Ok(outcome);
    }
    let column = |kind: ArrayType, f: &dyn Fn(&NewMessage, &String) -> Value| {
        array(kind, keyed.iter().map(|(m, k)| f(m, k)))
    };
    let text = |s: String| Value::String(Some(s));
    let values = vec![
        // The binder takes no NULL inside an array (it panics): the host tenant is ''.
        column(ArrayType::String, &|m, _| {
            text(m.tenant_id.map(|t| t.to_string()).unwrap_or_default())
        }),
        column(ArrayType::Uuid, &|m, _| Value::Uuid(Some(m.from))),
        column(ArrayType::String, &|_, k| text(k.clone())),
        column(ArrayType::BigInt, &|m, _| Value::BigInt(Some(m.message_id))),
        column(ArrayType::ChronoDateTimeUtc, &|m, _| {
            Value::ChronoDateTimeUtc(Some(m.send_time))
        }),
    ];
    let statement = Statement::from_sql_and_values(DbBackend::Postgres, CLAIM, values);
    let claimed: HashSet<i64> = txn
        .query_all_raw(statement)
        .await?
        .iter()
        .map(|row| row.try_get::<i64>("", "MessageId"))
        .collect::<Result<_, _>>()?;
    let mut outcome = Vec::with_capacity(batch.len());
    for m in batch {
        outcome.push(match &m.client_msg_id {
            Some(key) if !claimed.contains(&m.message_id) => first(txn, m, key).await?,
            _ => Stored::New,
        });
    }
    Ok(outcome)
}

/// Inserts one key; false when it was there already.
async fn insert_one(
    txn: &DatabaseTransaction,
    m: &NewMessage,
    key: &str,
) -> Result<bool, StoreError> {
    let insert = Query::insert()
        .into_table(client_message_id::Entity)
        .columns([
            client_message_id::Column::TenantId,
            client_message_id::Column::UserId,
            client_message_id::Column::ClientMsgId,
            client_message_id::Column::MessageId,
            client_message_id::Column::SendTime,
            client_message_id::Column::CreationTime,
        ])
        .values_panic([
            m.tenant_id.into(),
            m.from.into(),
            key.into(),
            m.message_id.into(),
            m.send_time.into(),
            Utc::now().into(),
        ])
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .to_owned();
    let backend = txn.get_database_backend();
    Ok(txn
        .execute_raw(backend.build(&insert))
        .await?
        .rows_affected()
        == 1)
}

/// The message that claimed `key` first.
async fn first(txn: &DatabaseTransaction, m: &NewMessage, key: &str) -> Result<Stored, StoreError> {
    let first = client_message_id::Entity::find()
        .filter(tenant_filter(
            client_message_id::Column::TenantId,
            m.tenant_id,
        ))
        .filter(client_message_id::Column::UserId.eq(m.from))
        .filter(client_message_id::Column::ClientMsgId.eq(key))
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::Unavailable("idempotency key vanished".into()))?;
    Ok(Stored::Duplicate {
        message_id: first.message_id,
        send_time: first.send_time,
    })
}
