//! Idle connections: ramp to N, hold, and the server's memory per connection.

use super::*;

pub(super) async fn idle(cli: &Cli, connections: usize, hold: u64) -> Value {
    let users = users(cli, connections, false).await;
    let clients = clients(cli.sources);
    let before = cli.server_pid.and_then(rss_kib);
    let started = Instant::now();
    let mut open = Vec::with_capacity(connections);
    let mut failed = 0u64;
    let ignore: Rc<dyn Fn(&Frame)> = Rc::new(|_| {});
    for chunk in users.chunks(100) {
        let batch = chunk.iter().enumerate().map(|(i, (user, token))| {
            let login = Login {
                target: cli.target,
                url: cli.url_of(open.len() + i),
                user: *user,
                token,
                group: None,
            };
            connect(&clients[i % clients.len()], login, ignore.clone())
        });
        for result in futures_util::future::join_all(batch).await {
            match result {
                Ok(tx) => open.push(tx),
                Err(e) => {
                    failed += 1;
                    if failed <= 3 {
                        eprintln!("a connection failed: {e}");
                    }
                }
            }
        }
    }
    let ramp = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(hold)).await;
    let after = cli.server_pid.and_then(rss_kib);
    let mut figures = vec![
        ("connections open", open.len() as f64),
        ("connections failed", failed as f64),
        ("ramp seconds", ramp),
        ("connects per second", open.len() as f64 / ramp),
    ];
    if let (Some(b), Some(a)) = (before, after) {
        figures.push(("server RSS before, MiB", b as f64 / 1024.0));
        figures.push(("server RSS after, MiB", a as f64 / 1024.0));
        figures.push((
            "server KiB per connection",
            a.saturating_sub(b) as f64 / open.len().max(1) as f64,
        ));
    }
    report::print("idle connections", &figures, &[])
}
