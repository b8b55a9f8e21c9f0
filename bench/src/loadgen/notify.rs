//! A notification published to N subscribers, M of them online, round after round: how long
//! the publish takes (stored once, N inbox rows) and how long until the last online
//! subscriber has it live.

use super::*;

/// POSTs `body` to `/api/push/notifications` on `base` with the push API key: the answer's
/// status line and body (plain HTTP/1.1 over one connection: the generator needs no client).
async fn publish(base: &str, key: &str, body: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .expect("the node");
    let request = format!(
        "POST /api/push/notifications HTTP/1.1\r\nHost: {host}\r\nX-API-Key: {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("answered");
    answer
}

pub(super) async fn notify(
    cli: &Cli,
    subscribers: usize,
    online: usize,
    rounds: u32,
    key: &str,
) -> Value {
    let users = users(cli, subscribers, false).await;
    let store = cli.store().await;
    for (user, _) in &users {
        store
            .subscribe(None, *user, "loadgen", "IM.SystemNotice")
            .await
            .expect("subscribed");
    }
    // Each online subscriber's arrivals: (round, microseconds since the run started).
    let start = Instant::now();
    let arrivals: Rc<RefCell<Vec<u64>>> = Rc::new(RefCell::new(Vec::new()));
    let on_frame: Rc<dyn Fn(&Frame)> = {
        let a = arrivals.clone();
        Rc::new(move |f: &Frame| {
            if f.kind == "notification" {
                a.borrow_mut().push(start.elapsed().as_micros() as u64);
            }
        })
    };
    let _outboxes = connect_all(cli, &users[..online], on_frame).await;
    let mut stored = report::Latency::new("publish → stored (answered)");
    let mut delivered = report::Latency::new("publish → last online subscriber");
    let mut missing = 0usize;
    for round in 0..rounds {
        arrivals.borrow_mut().clear();
        let body = json!({"name": "IM.SystemNotice", "to": "subscribers",
                          "data": {"title": "loadgen", "message": format!("round {round}")}})
        .to_string();
        let sent = start.elapsed().as_micros() as u64;
        let answer = publish(&cli.url_of(0), key, &body).await;
        assert!(answer.starts_with("HTTP/1.1 201"), "published: {answer}");
        stored.record(start.elapsed().as_micros() as u64 - sent);
        let deadline = Instant::now() + Duration::from_secs(30);
        while arrivals.borrow().len() < online && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let got = arrivals.borrow();
        missing += online - got.len().min(online);
        if let Some(last) = got.iter().max() {
            delivered.record(last - sent);
        }
    }
    report::print(
        "a notification to subscribers",
        &[
            ("subscribers", subscribers as f64),
            ("online", online as f64),
            ("rounds", rounds as f64),
            ("online subscribers that missed one", missing as f64),
        ],
        &[&stored, &delivered],
    )
}
