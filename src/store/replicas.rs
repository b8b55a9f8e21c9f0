//! PostgreSQL read replicas (`database.replica_urls`). A read that may go to a replica (history,
//! search, the conversation list) first asks the primary for its WAL position, then takes the
//! next replica (round robin) that has replayed up to it, waiting up to `replica_wait_ms` for
//! one to get there. Such a read sees everything committed before it began, whichever pod
//! committed it: nobody misses their own message. A replica still behind, or failing, is passed
//! over for the primary (a failing one is left alone for a few seconds). With the primary down,
//! reads go to a replica as it is: nothing newer can be committed meanwhile.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement};

use super::Store;
use crate::config::DatabaseConfig;

/// How long a failing replica (or primary) is left alone.
const REST: Duration = Duration::from_secs(3);
/// How often a replica that is behind is asked again.
const POLL: Duration = Duration::from_millis(2);
/// How long the primary may take to tell its position.
const ASK: Duration = Duration::from_millis(500);

/// The replicas of one node's primary.
pub(crate) struct Replicas {
    pools: Vec<Replica>,
    next: AtomicUsize,
    wait: Duration,
    /// The primary did not answer: until then, reads do not ask it.
    primary_resting: Mutex<Option<Instant>>,
}

/// One replica's pool, and whether it is resting after a failure.
struct Replica {
    db: DatabaseConnection,
    resting: Mutex<Option<Instant>>,
}

fn resting(until: &Mutex<Option<Instant>>) -> bool {
    until.lock().is_some_and(|t| Instant::now() < t)
}

fn rest(until: &Mutex<Option<Instant>>) {
    *until.lock() = Some(Instant::now() + REST);
}

impl Replicas {
    /// Pools for the replicas `config` names (connected lazily, like the primary's), or `None`.
    pub(crate) async fn open(
        config: &DatabaseConfig,
        options: impl Fn(&str) -> sea_orm::ConnectOptions,
    ) -> Result<Option<Replicas>, DbErr> {
        if config.replica_urls.is_empty() {
            return Ok(None);
        }
        let mut pools = Vec::new();
        for url in &config.replica_urls {
            pools.push(Replica {
                db: Database::connect(options(url)).await?,
                resting: Mutex::new(None),
            });
        }
        Ok(Some(Replicas {
            pools,
            next: AtomicUsize::new(0),
            wait: Duration::from_millis(config.replica_wait_ms),
            primary_resting: Mutex::new(None),
        }))
    }

    /// The primary's WAL position now, or `None` when it does not answer. Always asked, even
    /// while the primary is known to be failing: a primary that is back may have just
    /// committed what the reader wrote.
    async fn position(&self, primary: &DatabaseConnection) -> Option<String> {
        let ask = primary.query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_current_wal_lsn()::text",
        ));
        match tokio::time::timeout(ASK, ask).await {
            Ok(Ok(Some(row))) => row.try_get_by_index::<String>(0).ok(),
            _ => {
                rest(&self.primary_resting);
                None
            }
        }
    }
}

impl Replica {
    /// Whether this replica has replayed up to `position` (waiting up to `wait`); with no
    /// position (the primary is down), whether it is a replica that answers.
    async fn caught_up(&self, position: Option<&str>, wait: Duration) -> Result<bool, DbErr> {
        let deadline = Instant::now() + wait;
        let ask = match position {
            Some(p) => Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT COALESCE(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)",
                [p.into()],
            ),
            None => Statement::from_string(DbBackend::Postgres, "SELECT pg_is_in_recovery()"),
        };
        loop {
            let answer = tokio::time::timeout(ASK, self.db.query_one_raw(ask.clone()))
                .await
                .map_err(|_| DbErr::Custom("the replica did not answer in time".into()))??;
            if answer.and_then(|row| row.try_get_by_index::<bool>(0).ok()) == Some(true) {
                return Ok(true);
            }
            if position.is_none() || Instant::now() >= deadline {
                return Ok(false);
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

impl Store {
    /// Where a read that may go to a replica goes: a replica that has everything committed
    /// when the read began, else the primary.
    pub(crate) async fn reader(&self) -> &DatabaseConnection {
        let Some(replicas) = &self.replicas else {
            return &self.db;
        };
        let reads = &crate::metrics::metrics().db_reads;
        let position = replicas.position(&self.db).await;
        let n = replicas.pools.len();
        let start = replicas.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..n {
            let replica = &replicas.pools[(start + i) % n];
            if resting(&replica.resting) {
                continue;
            }
            match replica.caught_up(position.as_deref(), replicas.wait).await {
                Ok(true) => {
                    reads.with_label_values(&["replica"]).inc();
                    return &replica.db;
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "a read replica failed; passing it over for a while");
                    rest(&replica.resting);
                }
            }
        }
        reads.with_label_values(&["primary"]).inc();
        &self.db
    }

    /// For a read the primary answers: the primary, or a replica while the primary is failing.
    pub(crate) fn primary_or_standby(&self) -> &DatabaseConnection {
        match &self.replicas {
            Some(r) if resting(&r.primary_resting) => r.standby().unwrap_or(&self.db),
            _ => &self.db,
        }
    }

    /// The primary failed a read: a replica to ask instead, if there is one (the primary is
    /// then passed over for a few seconds).
    pub(crate) fn standby_after_failure(&self) -> Option<&DatabaseConnection> {
        let replicas = self.replicas.as_ref()?;
        rest(&replicas.primary_resting);
        replicas.standby()
    }
}

impl Replicas {
    /// A replica that is not resting.
    fn standby(&self) -> Option<&DatabaseConnection> {
        self.pools
            .iter()
            .find(|r| !resting(&r.resting))
            .map(|r| &r.db)
    }
}
