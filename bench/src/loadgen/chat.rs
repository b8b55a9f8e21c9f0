//! Pairs of friends chatting at an offered rate (with optional flooders), in windows.

use super::*;

/// What runs beside the chat: flooders (connections, frames/s each), reactors
/// (connections, reactions/s in all) and uploaders; and whether the receivers stay offline (each with a push
/// token), so that every message is stored for later and offered to the push hand-off.
pub(super) struct Beside {
    pub flood: (usize, u64),
    pub reactions: (usize, u64),
    pub offline_receivers: bool,
    /// Uploads of a 1 MiB picture, this many at a time.
    pub uploaders: usize,
}

pub(super) async fn chat(
    cli: &Cli,
    pairs: usize,
    rate: u64,
    duration: u64,
    every: u64,
    beside: Beside,
) -> Value {
    let users = users(cli, pairs * 2, true).await;
    let tracker = Rc::new(RefCell::new(Tracker::new(
        &Uuid::new_v4().simple().to_string()[..8],
    )));
    let on_frame: Rc<dyn Fn(&Frame)> = {
        let t = tracker.clone();
        Rc::new(move |f: &Frame| match (&*f.kind, f.seq()) {
            ("ack", Some(n)) => t.borrow_mut().on_ack(n),
            ("error", Some(n)) => t.borrow_mut().on_error(n),
            ("message", _) => {
                if let Some(m) = &f.message {
                    t.borrow_mut().on_message(&m.content);
                }
            }
            _ => {}
        })
    };
    let offline = beside.offline_receivers;
    let outboxes = if offline {
        let store = cli.store().await;
        for (i, (receiver, _)) in users.iter().enumerate().filter(|(i, _)| i % 2 == 1) {
            store
                .register_push_token(
                    None,
                    *receiver,
                    "ios",
                    &format!("bench-token-{i}-{receiver}"),
                    None,
                )
                .await
                .expect("a push token");
        }
        let senders: Vec<(Uuid, String)> = users.iter().step_by(2).cloned().collect();
        connect_all(cli, &senders, on_frame).await
    } else {
        connect_all(cli, &users, on_frame).await
    };
    let mut flood = match beside.flood {
        (0, _) => None,
        (flooders, rate) => Some(flood::Flood::start(cli, flooders, rate).await),
    };
    let mut reactors = match beside.reactions {
        (0, _) => None,
        (reactors, rate) => Some(reactions::Reactors::start(cli, reactors, rate).await),
    };
    let uploaders = match beside.uploaders {
        0 => None,
        n => Some(upload::Uploaders::start(cli, n, 1.0).await),
    };
    // Every 10 ms, rate/100 messages, round-robin over the senders (each to its partner).
    let per_tick = (rate as f64 / 100.0).max(0.0);
    let mut owed = 0.0;
    let mut next = 0usize;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let started = Instant::now();
    let mut windows = Vec::new();
    let mut window_start = Instant::now();
    while started.elapsed() < Duration::from_secs(duration) {
        tick.tick().await;
        if every > 0 && window_start.elapsed() >= Duration::from_secs(every) {
            window_start = Instant::now();
            windows.push(window(cli, &mut tracker.borrow_mut(), started));
        }
        if let Some(flood) = &mut flood {
            flood.tick(cli);
        }
        if let Some(reactors) = &mut reactors {
            reactors.tick();
        }
        owed += per_tick;
        while owed >= 1.0 {
            owed -= 1.0;
            let from = next % outboxes.len();
            // Offline receivers: sender k (user 2k) writes to user 2k + 1, who is not connected.
            let to = if offline { 2 * from + 1 } else { from ^ 1 };
            next += 1;
            let (n, content) = tracker.borrow_mut().probe();
            let frame = cli
                .target
                .send(&format!("s{n}"), Dest::User(users[to].0), &content);
            let _ = outboxes[from].send(Message::Text(frame.into()));
        }
    }
    let sending = started.elapsed().as_secs_f64();
    let uploaded = uploaders.map(|u| u.stop(sending));
    let first_send = tracker.borrow().now_micros() as f64 / 1e6 - sending;
    // Let what is in flight arrive (at most 5 s), then count.
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let done = {
            let t = tracker.borrow();
            t.delivered + t.errors >= t.sent && t.acked + t.errors >= t.sent
        };
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let t = tracker.borrow();
    let mut result = report::print(
        "1:1 chat",
        &[
            ("pairs", pairs as f64),
            ("offered messages/s", rate as f64),
            ("sent", t.sent as f64),
            ("acknowledged", t.acked as f64),
            ("delivered", t.delivered as f64),
            ("refused", t.errors as f64),
            (
                "acknowledged, never delivered",
                t.acked.saturating_sub(t.delivered) as f64,
            ),
            // Over the time from the first send to the last delivery: a backlog drained after
            // the sending stopped does not inflate the rate.
            (
                "delivered messages/s",
                t.delivered as f64 / (t.last_delivery as f64 / 1e6 - first_send).max(sending),
            ),
            (
                "acknowledged messages/s",
                t.acked as f64 / (t.last_ack as f64 / 1e6 - first_send).max(sending),
            ),
        ],
        &[&t.ack, &t.deliver],
    );
    if !windows.is_empty() {
        result["windows"] = Value::Array(windows);
    }
    if let Some(flood) = flood {
        let answers = flood.answers.borrow();
        let figures = [
            ("flood frames sent", flood.sent as f64),
            ("flood frames acknowledged (stored)", answers.acked as f64),
            (
                "flood frames refused IM:RateLimited",
                answers.rate_limited as f64,
            ),
            (
                "flood frames refused otherwise",
                answers.other_errors as f64,
            ),
        ];
        result["flood"] = report::print("flood beside the chat", &figures, &[]);
    }
    if let Some(uploaded) = uploaded {
        result["uploads"] = uploaded;
    }
    if let Some(reactors) = reactors {
        let answers = reactors.answers.borrow();
        let figures = [
            ("reactions sent", reactors.sent as f64),
            ("reactions acknowledged", answers.acked as f64),
            ("reactions refused", answers.errors as f64),
            ("reactions acknowledged/s", answers.acked as f64 / sending),
        ];
        result["reactions"] = report::print("reactions beside the chat", &figures, &[&answers.ack]);
    }
    result
}

/// One window of a long chat run: when, how much, how fast, and the server's memory.
fn window(cli: &Cli, tracker: &mut Tracker, started: Instant) -> Value {
    let latency = tracker.take_window();
    let line = json!({
        "seconds": started.elapsed().as_secs(),
        "sent": tracker.sent,
        "delivered": tracker.delivered,
        "refused": tracker.errors,
        "server_rss_mib": cli.server_pid.and_then(rss_kib).map(|k| k as f64 / 1024.0),
        "deliver": latency.json(),
    });
    eprintln!("{line}");
    line
}
