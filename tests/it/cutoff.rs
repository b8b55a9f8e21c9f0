//! A TCP forwarder a test can cut: between a node and its database (or Redis), it relays
//! bytes until `cut()`, which resets every open connection and every new one, as a stopped
//! server or a lost network would; `restore()` relays again. The forwarder keeps its port
//! throughout: were it let go during the cut, another test's server could take it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// The forwarder.
pub struct Cutoff {
    pub port: u16,
    upstream: String,
    open: Arc<AtomicBool>,
    /// Tells every relayed connection to drop.
    cut: watch::Sender<u64>,
    listener: Option<tokio::task::JoinHandle<()>>,
}

impl Cutoff {
    /// Forwards a new local port to `upstream` (`host:port`).
    pub async fn start(upstream: &str) -> Cutoff {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (cut, _) = watch::channel(0);
        let mut cutoff = Cutoff {
            port,
            upstream: upstream.to_string(),
            open: Arc::new(AtomicBool::new(true)),
            cut,
            listener: None,
        };
        cutoff.listen(listener);
        cutoff
    }

    fn listen(&mut self, listener: TcpListener) {
        let (upstream, open, cut) = (self.upstream.clone(), self.open.clone(), self.cut.clone());
        self.listener = Some(tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if !open.load(Ordering::Acquire) {
                    let _ = client.set_zero_linger();
                    continue;
                }
                let (upstream, mut dropped) = (upstream.clone(), cut.subscribe());
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let (mut client, mut server) = (client, server);
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = dropped.changed() => {
                            // A reset, not a polite close: the peer sees the link die.
                            let _ = client.set_zero_linger();
                        }
                    }
                });
            }
        }));
    }

    /// Resets every relayed connection, and every new one until `restore`.
    pub fn cut(&mut self) {
        self.open.store(false, Ordering::Release);
        self.cut.send_modify(|n| *n += 1);
    }

    /// Relays connections again.
    pub async fn restore(&mut self) {
        self.open.store(true, Ordering::Release);
    }
}

impl Drop for Cutoff {
    fn drop(&mut self) {
        if let Some(task) = self.listener.take() {
            task.abort();
        }
        self.cut.send_modify(|n| *n += 1);
    }
}
