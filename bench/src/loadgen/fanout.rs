//! One sender to a group of N online members: deliveries/s and latency to the last.

use super::*;

/// Makes group `group` in the node's database: the first user owns it, the rest are members.
async fn make_group(cli: &Cli, group: i64, users: &[(Uuid, String)]) {
    let store = cli.store().await;
    store
        .create_group(imcluster::store::NewGroup {
            tenant_id: None,
            group_id: group,
            owner: users[0].0,
            name: "loadgen".into(),
            max_user_count: users.len() as i32 + 1,
            allow_anonymous: false,
            allow_send_message: true,
        })
        .await
        .expect("group made");
    for (user, _) in &users[1..] {
        store
            .add_member(None, group, *user, false, None)
            .await
            .expect("member added");
    }
}

pub(super) async fn fanout(cli: &Cli, members: usize, rate: u64, duration: u64) -> Value {
    let users = users(cli, members, false).await;
    let group = imcluster::ids::IdGenerator::new(1023).next_id();
    if cli.target == Target::Imcluster {
        make_group(cli, group, &users).await;
    }
    let clients = clients(cli.sources);
    let tracker = Rc::new(RefCell::new(Fanout::new(
        &Uuid::new_v4().simple().to_string()[..8],
        members as u64 - 1,
    )));
    let on_frame: Rc<dyn Fn(&Frame)> = {
        let t = tracker.clone();
        Rc::new(move |f: &Frame| {
            if f.kind == "message" {
                if let Some(c) = f.message.as_ref().map(|m| &*m.content) {
                    t.borrow_mut().on_message(c);
                }
            }
        })
    };
    let ignore: Rc<dyn Fn(&Frame)> = Rc::new(|_| {});
    let mut sender = None;
    for (i, chunk) in users.chunks(100).enumerate() {
        let batch = chunk.iter().enumerate().map(|(j, (user, token))| {
            let f = if i == 0 && j == 0 {
                ignore.clone()
            } else {
                on_frame.clone()
            };
            let login = Login {
                target: cli.target,
                url: cli.url_of(i * 100 + j),
                user: *user,
                token,
                group: Some(group),
            };
            connect_retrying(&clients[j % clients.len()], login, f)
        });
        for (j, result) in futures_util::future::join_all(batch)
            .await
            .into_iter()
            .enumerate()
        {
            let tx = result.expect("a member connects");
            if i == 0 && j == 0 {
                sender = Some(tx);
            }
        }
    }
    let sender = sender.expect("the sender");
    let per_tick = rate as f64 / 100.0;
    let mut owed = 0.0;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let started = Instant::now();
    let first_send = tracker.borrow().now_micros();
    while started.elapsed() < Duration::from_secs(duration) {
        tick.tick().await;
        owed += per_tick;
        while owed >= 1.0 {
            owed -= 1.0;
            let (n, content) = tracker.borrow_mut().probe();
            let frame = cli
                .target
                .send(&format!("s{n}"), Dest::Group(group), &content);
            let _ = sender.send(Message::Text(frame.into()));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let done = {
            let t = tracker.borrow();
            t.completed >= t.sent
        };
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let t = tracker.borrow();
    let span = (t.last_delivery.saturating_sub(first_send)) as f64 / 1e6;
    report::print(
        "group fan-out",
        &[
            ("members online", members as f64),
            ("offered messages/s", rate as f64),
            ("sent", t.sent as f64),
            ("deliveries", t.deliveries as f64),
            (
                "messages complete (every member has it)",
                t.completed as f64,
            ),
            (
                "deliveries/s",
                t.deliveries as f64 / span.max(duration as f64),
            ),
        ],
        &[&t.each, &t.last],
    )
}
