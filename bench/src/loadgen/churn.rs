//! The `churn` scenario: N authenticated connections opened and closed, round after round, by
//! the same users, with the server's memory read after each round once its own gauge says every
//! session of the round is gone (other clients, such as a soak's chat, may stay connected). A leak per connection shows as RSS climbing round over round; a healthy
//! pod's memory stays flat after the first round has warmed its allocator.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

use super::{clients, connect_retrying, report, rss_kib, users, Cli, Login};

/// Runs `rounds` rounds of `connections` opens and closes, or as many as fit in `seconds`
/// (when not 0).
pub async fn churn(cli: &Cli, connections: usize, rounds: usize, seconds: u64) -> Value {
    let users = users(cli, connections, false).await;
    let sources = clients(cli.sources);
    let ignore: std::rc::Rc<dyn Fn(&super::Frame)> = std::rc::Rc::new(|_| {});
    let before = cli.server_pid.and_then(rss_kib);
    let started = Instant::now();
    let mut after_round = Vec::with_capacity(rounds);
    let mut failed = 0u64;
    for round in 0..rounds {
        if seconds > 0 && started.elapsed() >= Duration::from_secs(seconds) {
            break;
        }
        // Sessions that are not this round's (a soak's chat beside it) before it opens any.
        let baseline = open_sessions(cli).await;
        for (c, chunk) in users.chunks(200).enumerate() {
            let opens = chunk.iter().enumerate().map(|(i, (user, token))| {
                let login = Login {
                    target: cli.target,
                    url: cli.url_of(c * 200 + i),
                    user: *user,
                    token,
                    group: None,
                };
                connect_retrying(&sources[i % sources.len()], login, ignore.clone())
            });
            for opened in futures_util::future::join_all(opens).await {
                match opened {
                    Ok(outbox) => {
                        let _ = outbox.send(Message::Close(None));
                    }
                    Err(e) => {
                        failed += 1;
                        if failed <= 3 {
                            eprintln!("a connection failed: {e}");
                        }
                    }
                }
            }
        }
        let settled = wait_for_sessions(cli, baseline).await;
        let rss = cli.server_pid.and_then(rss_kib).unwrap_or(0);
        eprintln!(
            "round {}: sessions gone {settled}, RSS {} KiB",
            round + 1,
            rss
        );
        after_round.push(rss);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let done = after_round.len();
    let mut figures: Vec<(String, f64)> = vec![
        ("connections per round".into(), connections as f64),
        ("rounds".into(), done as f64),
        ("connections failed".into(), failed as f64),
        (
            "opens and closes per second".into(),
            (connections * done) as f64 / elapsed,
        ),
    ];
    if let Some(b) = before {
        figures.push(("server RSS before, MiB".into(), b as f64 / 1024.0));
    }
    // Every round of a short run; the first two, the middle and the last of a long one.
    let shown: Vec<usize> = if done <= 20 {
        (0..done).collect()
    } else {
        vec![0, 1, done / 2, done - 1]
    };
    for i in shown {
        let mib = after_round[i] as f64 / 1024.0;
        figures.push((format!("server RSS after round {}, MiB", i + 1), mib));
    }
    if let Some(highest) = after_round.iter().max() {
        let mib = *highest as f64 / 1024.0;
        figures.push(("server RSS, highest after any round, MiB".into(), mib));
    }
    // The first round warms the allocator and starts the user actors: growth counts after it.
    if let (Some(second), Some(last)) = (after_round.get(1), after_round.last()) {
        figures.push((
            "growth from round 2 to the last, KiB".into(),
            *last as f64 - *second as f64,
        ));
    }
    let named: Vec<(&str, f64)> = figures.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    report::print("connection churn", &named, &[])
}

/// Sessions open on every pod together (`im_connections`); infinite if a pod did not answer.
async fn open_sessions(cli: &Cli) -> f64 {
    let mut open = 0.0;
    for url in cli.urls() {
        open += gauge(&url, "im_connections").await.unwrap_or(f64::INFINITY);
    }
    open
}

/// Waits (at most 60 s) until the pods hold no more sessions than `baseline`; false if they
/// never did.
async fn wait_for_sessions(cli: &Cli, baseline: f64) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if open_sessions(cli).await <= baseline {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// One gauge from a pod's `/metrics`, read over a plain HTTP/1.0 request.
async fn gauge(url: &str, name: &str) -> Option<f64> {
    let host = url.split("://").nth(1)?.trim_end_matches('/');
    let mut stream = tokio::net::TcpStream::connect(host).await.ok()?;
    let request = format!("GET /metrics HTTP/1.0\r\nHost: {host}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut body = String::new();
    stream.read_to_string(&mut body).await.ok()?;
    body.lines().find_map(|line| {
        line.strip_prefix(name)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}
