//! The `imcluster` command: `serve` (the default), `migrate`, `token`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use imcluster::config::Config;
use imcluster::startup::Node;
use imcluster::store::Store;

/// jemalloc keeps a pod with many idle connections smaller than the system allocator does:
/// 17.2 against 21.6 KiB per idle connection here (BENCHMARKS.md, "Memory per connection").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// An actor-based instant-messaging cluster.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// The configuration file. Without this flag `cluster.toml` is read when it exists.
    #[arg(long, short, global = true, env = "IMCLUSTER_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the node (the default).
    Serve,
    /// Manage the database schema.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Administrators: `admin create NAME` makes an account with role `admin`; the password
    /// is read from standard input (never a default).
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Print a token for a user id, signed with this node's secret (for scripts and load tests).
    Token {
        /// The user's GUID.
        user_id: uuid::Uuid,
        /// The user's name in the token.
        #[arg(long, default_value = "user")]
        name: String,
        /// The tenant's GUID.
        #[arg(long)]
        tenant: Option<uuid::Uuid>,
        /// Roles, comma separated (e.g. `admin`, `service`).
        #[arg(long, value_delimiter = ',')]
        role: Vec<String>,
    },
}

#[derive(Subcommand)]
enum AdminAction {
    /// Create an administrator account.
    Create {
        /// The user name.
        name: String,
        /// The tenant's GUID (the host tenant when absent).
        #[arg(long)]
        tenant: Option<uuid::Uuid>,
    },
}

#[derive(Subcommand)]
enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back migrations (the last one unless --all or --steps N).
    Down {
        #[arg(long)]
        steps: Option<u32>,
        #[arg(long, conflicts_with = "steps")]
        all: bool,
    },
    /// List migrations and whether each is applied.
    Status,
    /// Drop every table and migrate from scratch.
    Fresh,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (path, required) = match &cli.config {
        Some(p) => (p.clone(), true),
        None => (PathBuf::from("cluster.toml"), false),
    };
    let config = match Config::load(&path, required) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("imcluster: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    imcluster::telemetry::init(&config.log);
    let result =
        actix_rt::System::new().block_on(run(cli.command.unwrap_or(Command::Serve), config));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("imcluster: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> Result<(), String> {
    match command {
        Command::Serve => {
            if config.jwt.secret.is_empty() {
                tracing::warn!(
                    "jwt.secret is empty: using a random secret, tokens end when this process does"
                );
            }
            let node = Node::build(config).await.map_err(|e| e.to_string())?;
            node.run().await.map_err(|e| e.to_string())
        }
        Command::Migrate { action } => {
            let store = Store::open(&config.database)
                .await
                .map_err(|e| e.to_string())?;
            match action {
                MigrateAction::Up => store.migrate_up().await,
                MigrateAction::Down { steps, all } => {
                    store
                        .migrate_down(if all { None } else { Some(steps.unwrap_or(1)) })
                        .await
                }
                MigrateAction::Fresh => store.migrate_fresh().await,
                MigrateAction::Status => {
                    for (name, applied) in
                        store.migration_status().await.map_err(|e| e.to_string())?
                    {
                        println!("{} {name}", if applied { "applied" } else { "pending" });
                    }
                    Ok(())
                }
            }
            .map_err(|e| e.to_string())
        }
        Command::Admin {
            action: AdminAction::Create { name, tenant },
        } => {
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .map_err(|e| e.to_string())?;
            let password = password.trim_end_matches(['\r', '\n']);
            if password.chars().count() < 8 {
                return Err(
                    "the password (one line on standard input) needs 8 characters or more".into(),
                );
            }
            let store = Store::open(&config.database)
                .await
                .map_err(|e| e.to_string())?;
            store.migrate_up().await.map_err(|e| e.to_string())?;
            let account = imcluster::store::NewAccount {
                tenant_id: tenant,
                user_name: name.clone(),
                password_hash: imcluster::auth::hash_password(password),
                roles: vec!["admin".into()],
            };
            let user_id = store
                .create_account(account)
                .await
                .map_err(|e| format!("cannot create `{name}`: {e}"))?;
            println!("{user_id}");
            Ok(())
        }
        Command::Token {
            user_id,
            name,
            tenant,
            role,
        } => {
            if config.jwt.secret.is_empty() {
                return Err(
                    "`jwt.secret` is empty: a token signed with a random secret would be useless"
                        .into(),
                );
            }
            let tokens = imcluster::auth::Tokens::from_config(&config);
            println!("{}", tokens.issue(user_id, tenant, &name, &role).0);
            Ok(())
        }
    }
}
