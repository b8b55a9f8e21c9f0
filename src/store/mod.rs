//! Everything that talks SQL, through SeaORM. The rest of the product asks the [`Store`] for
//! what it needs and never sees a query.

mod account_removal;
mod accounts;
mod admin;
mod annotations;
mod batch_queue;
mod cards;
mod catch_up;
mod client_keys;
mod conversation_settings;
mod conversations;
mod edits;
mod error;
mod exports;
mod filters;
mod forwards;
mod friend_changes;
mod friends;
mod group_changes;
mod groups;
mod hides;
mod history;
mod media;
mod media_uploads;
mod memberships;
mod mentions;
mod message_changes;
mod message_dependents;
mod message_rows;
mod messages;
mod notification_definitions;
mod notifications;
mod outbox;
mod password_resets;
mod preferences;
mod presence_writer;
mod private_walk;
mod push_tokens;
mod reaction_tally;
mod reactions;
mod read_positions;
mod receipts;
mod replicas;
mod retention;
mod search;
mod sessions;
mod social;
mod subscriptions;
mod writer;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};

pub use account_removal::{Kept, Removed, DELETED_USER_NAME};
pub use accounts::{NewAccount, StoredCredential};
pub use admin::Standing;
pub use annotations::{Annotations, ReactionCount};
pub use cards::CardUpdate;
pub use conversations::{ConversationSummary, GROUP_UNREAD_CAP};
pub use edits::EditOutcome;
pub use error::StoreError;
pub use forwards::Forwarded;
pub use friend_changes::{FriendChange, FriendOutcome};
pub use friends::{FriendEntry, FriendUpdate, FRIEND_PENDING};
pub use group_changes::{Changed, GroupChange};
pub use groups::{GroupFacts, NewGroup};
pub use history::HistoryFilter;
pub use memberships::{GroupUpdate, Member, JOIN_ACCEPTED, JOIN_PENDING, JOIN_REJECTED};
pub use mentions::{MentionAll, Mentions};
pub use message_changes::Change;
pub use messages::{
    Conversation, MessageMedia, NewMessage, Stored, StoredMessage, SyncCursor, SyncPage,
    EXTRA_ANONYMOUS, EXTRA_CLIENT_MSG_ID, EXTRA_FORWARDED_FROM, SERVER_KEYS, STATE_RECALLED,
};
pub use notifications::{InboxFilter, InboxItem, READ, UNREAD};
pub use outbox::{conversation_key, NewEvent, OutboxDepth};
pub use presence_writer::PresenceWrite;
pub use push_tokens::PushToken;
pub use reactions::{ReactionOutcome, ReactionRule, ReactionStats, ReactionWrite, Reactor};
pub use read_positions::ReadMark;
pub use search::SearchScope;
pub use sessions::{Ending, Exchange, NewSession, SessionInfo};
pub use social::{ChatSettings, FriendFacts, UserFacts, FRIEND_ADDED};
pub use writer::Writer;

use crate::config::DatabaseConfig;

/// The product's handle on its database: a pool, shared by every actor and request.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// Whether changes write their events to the outbox (`hooks.events`).
    outbox: bool,
    /// Read replicas for history, search and conversations (`database.replica_urls`).
    replicas: Option<std::sync::Arc<replicas::Replicas>>,
}

impl Store {
    /// A pool for `config`. It connects lazily, so a database that is down at start does not
    /// stop the node: requests answer `IM:Unavailable` until it is back.
    pub async fn open(config: &DatabaseConfig) -> Result<Store, StoreError> {
        let db = Database::connect(Self::options(config, &config.url)).await?;
        let replicas = replicas::Replicas::open(config, |url| Self::options(config, url))
            .await?
            .map(std::sync::Arc::new);
        Ok(Store {
            db,
            outbox: false,
            replicas,
        })
    }

    /// The pool settings of `config` for the database at `url`.
    fn options(config: &DatabaseConfig, url: &str) -> ConnectOptions {
        let mut options = ConnectOptions::new(url.to_string());
        options
            .max_connections(config.max_connections)
            .min_connections(0)
            .connect_timeout(Duration::from_secs(config.connect_timeout_seconds))
            .acquire_timeout(Duration::from_secs(config.connect_timeout_seconds))
            .connect_lazy(true)
            .sqlx_logging(false);
        if !config.schema.is_empty() {
            options.set_schema_search_path(config.schema.clone());
        }
        options.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(false)
        });
        options
    }

    /// Applies every pending migration.
    pub async fn migrate_up(&self) -> Result<(), StoreError> {
        Ok(Migrator::up(&self.db, None).await?)
    }

    /// Rolls back the last `steps` migrations (all of them when `None`).
    pub async fn migrate_down(&self, steps: Option<u32>) -> Result<(), StoreError> {
        Ok(Migrator::down(&self.db, steps).await?)
    }

    /// Drops everything and migrates from scratch.
    pub async fn migrate_fresh(&self) -> Result<(), StoreError> {
        Ok(Migrator::fresh(&self.db).await?)
    }

    /// Each migration's name and whether it is applied.
    pub async fn migration_status(&self) -> Result<Vec<(String, bool)>, StoreError> {
        let applied = Migrator::get_applied_migrations(&self.db).await?;
        let pending = Migrator::get_pending_migrations(&self.db).await?;
        Ok(applied
            .iter()
            .map(|m| (m.name().to_string(), true))
            .chain(pending.iter().map(|m| (m.name().to_string(), false)))
            .collect())
    }

    /// Whether the database answers a trivial query now.
    pub async fn ping(&self) -> bool {
        self.db.execute_unprepared("SELECT 1").await.is_ok()
    }

    /// A transaction that writes. On SQLite it takes the write lock at `BEGIN` (IMMEDIATE), so
    /// it waits its turn (busy timeout) instead of failing when it upgrades from reading after
    /// another writer committed.
    pub(crate) async fn write_txn(&self) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
        use sea_orm::TransactionTrait;
        let options = sea_orm::TransactionOptions {
            isolation_level: None,
            access_mode: None,
            sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        };
        self.db.begin_with_options(options).await
    }

    /// Which database this is.
    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }
}
