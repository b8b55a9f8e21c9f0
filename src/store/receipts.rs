//! Who read a group message: the members (other than its sender) whose read position in the
//! group has reached it, leaving out those who keep their reading to themselves
//! (`shareReadReceipts` off). Read from the read positions and memberships, for any size.

use sea_orm::{FromQueryResult, Statement};
use uuid::Uuid;

use super::conversations::ph;
use super::{Store, StoreError};

#[derive(FromQueryResult)]
struct Count {
    n: i64,
}

#[derive(FromQueryResult)]
struct Reader {
    user_id: Uuid,
}

impl Store {
    /// How many members of `group` but `sender` read `message_id`, and how many members but
    /// `sender` there are; with `page` (skip, take), which readers, in the order they were
    /// members.
    pub async fn group_readers(
        &self,
        tenant_id: Option<Uuid>,
        group: i64,
        message_id: i64,
        sender: Uuid,
        page: Option<(u64, u64)>,
    ) -> Result<(u64, u64, Vec<Uuid>), StoreError> {
        let b = self.backend();
        let mut values: Vec<sea_orm::Value> =
            vec![group.into(), message_id.into(), sender.into(), false.into()];
        let tenant = |alias: &str, values: &mut Vec<sea_orm::Value>| match tenant_id {
            Some(t) => {
                values.push(t.into());
                format!("{alias}.\"TenantId\" = {}", ph(b, values.len()))
            }
            None => format!("{alias}.\"TenantId\" IS NULL"),
        };
        let members = tenant("m", &mut values);
        let positions = tenant("r", &mut values);
        let readers = format!(
            "FROM \"AppUserChatGroups\" m JOIN \"AppChatReadPositions\" r ON r.\"UserId\" = m.\"UserId\" \
             AND r.\"GroupId\" = m.\"GroupId\" AND r.\"PeerUserId\" IS NULL AND {positions} \
             WHERE {members} AND m.\"GroupId\" = {g} AND m.\"UserId\" <> {s} AND r.\"MessageId\" >= {id} \
             AND NOT EXISTS (SELECT 1 FROM \"AppUserChatPreferences\" p WHERE p.\"UserId\" = m.\"UserId\" \
             AND p.\"ShareReadReceipts\" = {no})",
            g = ph(b, 1),
            id = ph(b, 2),
            s = ph(b, 3),
            no = ph(b, 4),
        );
        let count = |sql: String, values: Vec<sea_orm::Value>| {
            Count::find_by_statement(Statement::from_sql_and_values(b, sql, values))
        };
        let read = count(format!("SELECT COUNT(*) AS n {readers}"), values.clone())
            .one(&self.db)
            .await?
            .map_or(0, |c| c.n as u64);
        let all = count(
            format!(
                "SELECT COUNT(*) AS n FROM \"AppUserChatGroups\" m WHERE {members} \
                 AND m.\"GroupId\" = {} AND m.\"UserId\" <> {}",
                ph(b, 1),
                ph(b, 3)
            ),
            values.clone(),
        )
        .one(&self.db)
        .await?
        .map_or(0, |c| c.n as u64);
        let listed = match page {
            None => Vec::new(),
            Some((skip, take)) => Reader::find_by_statement(Statement::from_sql_and_values(
                b,
                format!(
                    "SELECT m.\"UserId\" AS user_id {readers} ORDER BY m.\"Id\" LIMIT {take} OFFSET {skip}"
                ),
                values,
            ))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| r.user_id)
            .collect(),
        };
        Ok((read, all, listed))
    }
}
