//! N users with missed messages reconnect at once and sync: time until all caught up.

use super::*;

/// A `sync` answer as the storm reads it.
enum Page {
    Synced {
        count: u64,
        next: Option<String>,
        more: bool,
    },
    Refused,
}

pub(super) async fn storm(cli: &Cli, n: usize, missed: usize) -> Value {
    let users = users(cli, n + 1, false).await;
    let (sender, receivers) = users.split_first().expect("users");
    let store = cli.store().await;
    let ids = imcluster::ids::IdGenerator::new(1022);
    let mut batch = Vec::with_capacity(2000);
    for (user, _) in receivers {
        for k in 0..missed {
            batch.push(imcluster::store::NewMessage::text(
                ids.next_id(),
                sender.0,
                "storm",
                imcluster::store::Conversation::User(*user),
                format!("missed {k}"),
            ));
            if batch.len() == 2000 {
                store.insert_messages(&batch).await.expect("stored");
                batch.clear();
            }
        }
    }
    if !batch.is_empty() {
        store.insert_messages(&batch).await.expect("stored");
    }
    let clients = clients(cli.sources);
    let synced = Rc::new(RefCell::new(0usize));
    let received = Rc::new(RefCell::new(0u64));
    let retries = Rc::new(RefCell::new(0u64));
    let mut each = report::Latency::new("reconnect → synced");
    let mut opened = report::Latency::new("reconnect → connected");
    let started = Instant::now();
    let runs = receivers.iter().enumerate().map(|(i, (_, token))| {
        let client = clients[i % clients.len()];
        let (synced, received, retries) = (synced.clone(), received.clone(), retries.clone());
        let url = cli.url_of(i);
        let token = token.clone();
        async move {
            let (page_tx, mut pages) = tokio::sync::mpsc::unbounded_channel::<Page>();
            let on_frame: Rc<dyn Fn(&Frame)> = Rc::new(move |f: &Frame| {
                let page = match &*f.kind {
                    "error" => Page::Refused,
                    "sync" => Page::Synced {
                        count: f.messages.as_ref().map_or(0, |m| m.len() as u64),
                        next: f.next.as_deref().map(str::to_string),
                        more: f.more == Some(true),
                    },
                    _ => return,
                };
                let _ = page_tx.send(page);
            });
            let login = Login {
                target: Target::Imcluster,
                url,
                user: Uuid::nil(),
                token: &token,
                group: None,
            };
            let out = connect(&client, login, on_frame).await.ok()?;
            let connected = started.elapsed().as_micros() as u64;
            let mut after: Option<String> = None;
            let mut got = 0u64;
            loop {
                let mut frame = json!({"type": "sync", "limit": 1000});
                if let Some(a) = &after {
                    frame["after"] = json!(a);
                }
                out.send(Message::Text(frame.to_string().into())).ok()?;
                let page = tokio::time::timeout(Duration::from_secs(60), pages.recv())
                    .await
                    .ok()??;
                let Page::Synced { count, next, more } = page else {
                    // What a client does with `IM:Unavailable`: wait a little, ask again.
                    *retries.borrow_mut() += 1;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    continue;
                };
                got += count;
                after = next;
                if !more {
                    break;
                }
            }
            *received.borrow_mut() += got;
            *synced.borrow_mut() += 1;
            Some((connected, started.elapsed().as_micros() as u64, got))
        }
    });
    let results = futures_util::future::join_all(runs).await;
    let total = started.elapsed().as_secs_f64();
    let mut complete = 0;
    for (connected, micros, got) in results.into_iter().flatten() {
        opened.record(connected);
        each.record(micros);
        if got >= missed as u64 {
            complete += 1;
        }
    }
    let received = *received.borrow();
    let synced = *synced.borrow();
    let retried = *retries.borrow();
    report::print(
        "reconnect storm",
        &[
            ("users", n as f64),
            ("missed messages each", missed as f64),
            ("users synced", synced as f64),
            ("users with every missed message", complete as f64),
            ("messages received", received as f64),
            (
                "sync requests answered IM:Unavailable (retried)",
                retried as f64,
            ),
            ("seconds until all synced", total),
            ("messages/s synced", received as f64 / total),
        ],
        &[&opened, &each],
    )
}
