//! Builds a node from its configuration: the store (migrated), the shared state and the HTTP
//! server on its listener. `main` runs it; tests start it on a random port.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};

use crate::config::Config;
use crate::state::AppState;
use crate::store::Store;

/// A node ready to run.
pub struct Node {
    pub addr: SocketAddr,
    pub state: web::Data<AppState>,
    server: Server,
}

/// Why a node could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Database(String),
    #[error("cannot join the cluster: {0}")]
    Cluster(String),
    #[error("cannot open the media store: {0}")]
    Media(String),
}

impl Node {
    /// Opens the store, migrates it (in the background, retrying, if the database is not up
    /// yet), binds the listener and builds the server. Nothing is served until [`Node::run`].
    pub async fn build(config: Config) -> Result<Node, StartError> {
        let store = Store::open(&config.database)
            .await
            .map_err(|e| StartError::Database(e.to_string()))?;
        let listener =
            TcpListener::bind(&config.node.listen).map_err(|source| StartError::Listen {
                addr: config.node.listen.clone(),
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Listen {
            addr: config.node.listen.clone(),
            source,
        })?;
        let shutdown_timeout = config.node.shutdown_timeout_seconds;
        let migrate = config.database.migrate_on_start;
        let (bus, tasks): (Box<dyn crate::cluster::Bus>, _) = if !config.redis.enabled() {
            (Box::new(crate::cluster::LocalBus::default()), None)
        } else {
            let (bus, tasks) = crate::cluster::RedisBus::new(&config)
                .map_err(|e| StartError::Cluster(e.to_string()))?;
            tasks.check_node_id().await.map_err(StartError::Cluster)?;
            (Box::new(bus), Some(tasks))
        };
        let clock_skew = config.node.clock_skew_ms;
        let media = crate::media::MediaStore::open(&config.media).map_err(StartError::Media)?;
        let state = web::Data::new(AppState::new(config, store, bus, media));
        if clock_skew != 0 {
            tracing::warn!(clock_skew, "fault injection: this pod's id clock is skewed");
            state.ids.step_clock(clock_skew);
        }
        if let Some(tasks) = tasks {
            let pod = crate::delivery::ThisPod(state.clone().into_inner());
            tasks.start(std::sync::Arc::new(pod), addr);
        }
        if !migrate {
            state.set_schema_ready();
        } else if let Err(e) = state.store.migrate_up().await {
            tracing::error!(error = %e, "cannot migrate the database yet; retrying in the background");
            actix_rt::spawn(migrate_until_done(state.clone().into_inner()));
        } else {
            state.set_schema_ready();
        }
        if state.config.hooks.events.enabled() {
            crate::hooks::events::start(state.clone().into_inner());
        }
        crate::notifications::upkeep::start(state.clone().into_inner());
        crate::offline_push::start(state.clone().into_inner());
        crate::media::sweep::start(state.clone().into_inner());
        crate::history::start(state.clone().into_inner());
        crate::retention::start(state.clone().into_inner());
        let data = state.clone();
        let origins = data.config.http.cors_origins.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .wrap(crate::http::error_bodies())
                .wrap(actix_web::middleware::from_fn(
                    crate::http::nul_guard::refuse_nul,
                ))
                .wrap(actix_web::middleware::from_fn(crate::http::abp_wrap::wrap))
                .wrap(crate::http::cors(&origins))
                .wrap(tracing_actix_request())
                .wrap(actix_web::middleware::from_fn(crate::http::request_id))
                .configure(crate::http::routes)
                .default_service(web::to(crate::http::not_found))
        })
        .on_connect(crate::http::socket_end::remember)
        .disable_signals()
        // Chat frames are small and must leave at once: without TCP_NODELAY, Nagle's algorithm
        // holds a frame until the previous one is acknowledged (actix-web 4 leaves it off).
        .tcp_nodelay(true)
        .listen(listener)
        .map_err(|source| StartError::Listen {
            addr: addr.to_string(),
            source,
        })?
        .shutdown_timeout(shutdown_timeout)
        .run();
        Ok(Node {
            addr,
            state,
            server,
        })
    }

    /// Serves until the server is stopped. SIGTERM or Ctrl-C drain the node: sessions are
    /// closed with 1012 (reconnect elsewhere and `sync`), open requests finish, and every
    /// queued message is committed before the process ends.
    pub async fn run(self) -> std::io::Result<()> {
        tracing::info!(addr = %self.addr, node = %self.state.node_name, "serving on http://{}", self.addr);
        let (handle, state) = (self.server.handle(), self.state.clone());
        actix_rt::spawn(async move {
            shutdown_signal().await;
            drain(&state, &handle).await;
        });
        self.server.await?;
        self.state.writer.flush().await;
        Ok(())
    }

    /// A handle to stop the server.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }
}

/// Drains a node: closes every session with 1012 (reconnect elsewhere and `sync`), then stops
/// the server, letting open requests finish.
pub async fn drain(state: &AppState, handle: &actix_web::dev::ServerHandle) {
    tracing::info!("draining: closing sessions with 1012");
    state.set_draining();
    if let Some(left) = state.delivery.bus.leave() {
        // The other pods forget this one now rather than after its heartbeat times out.
        let _ = tokio::time::timeout(Duration::from_secs(2), left).await;
    }
    for session in state.delivery.supervisor.connections() {
        session.close(1012, "the pod is restarting".into());
    }
    handle.stop(true).await;
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

async fn migrate_until_done(state: Arc<AppState>) {
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        match state.store.migrate_up().await {
            Ok(()) => {
                tracing::info!("database migrated");
                state.set_schema_ready();
                return;
            }
            Err(e) => tracing::warn!(error = %e, "still cannot migrate the database"),
        }
    }
}

/// Logs every request with its method, path, status, time and request id (never its headers
/// or query, which may hold tokens).
fn tracing_actix_request() -> actix_web::middleware::Logger {
    actix_web::middleware::Logger::new("%s %{method}xi %U %Dms request_id=%{rid}xi")
        .custom_request_replace("method", |req| req.method().to_string())
        .custom_request_replace("rid", |req| {
            use actix_web::HttpMessage;
            req.extensions()
                .get::<crate::http::RequestId>()
                .map(|r| r.0.clone())
                .unwrap_or_default()
        })
}
