//! The actor core over real WebSockets: delivery, devices, sync, groups, recall, read,
//! presence, idempotency, and every error a client can cause.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{unique, Backend, TestApp, TestDb};
use crate::on_both_databases;
use crate::ws::{to_group, to_user, WsClient};

/// All messages `client` can sync from `after`, walking every page with `limit`.
async fn sync_all(
    client: &mut WsClient,
    after: Option<String>,
    limit: u32,
) -> (Vec<Value>, String) {
    let mut cursor = after;
    let mut all = Vec::new();
    loop {
        let mut frame = json!({"type": "sync", "limit": limit});
        if let Some(c) = &cursor {
            frame["after"] = json!(c);
        }
        let page = client.request(frame).await;
        assert_eq!(page["type"], "sync", "{page}");
        let messages = page["messages"].as_array().unwrap().clone();
        assert!(messages.len() <= limit as usize);
        let ids: Vec<i64> = messages
            .iter()
            .map(|m| m["messageId"].as_str().unwrap().parse().unwrap())
            .collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "ascending within a page: {ids:?}"
        );
        all.extend(messages);
        cursor = Some(page["next"].as_str().unwrap().to_string());
        if !page["more"].as_bool().unwrap() {
            return (all, cursor.unwrap());
        }
    }
}

fn ids_of(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m["messageId"].as_str().unwrap().to_string())
        .collect()
}

on_both_databases!(one_to_one_delivery_and_devices, |db: TestDb| async move {
    let app = TestApp::start(db.config()).await;
    let (alice, alice_token) = app.user(&unique("alice")).await;
    let (bob, bob_token) = app.user(&unique("bob")).await;
    app.befriend(&alice, &bob).await;
    let mut a1 = WsClient::connect(&app, &alice_token).await;
    let mut a2 = WsClient::connect(&app, &alice_token).await;
    let mut b1 = WsClient::connect(&app, &bob_token).await;
    let mut b2 = WsClient::connect(&app, &bob_token).await;
    assert_eq!(a1.welcome["userId"], alice.as_str());
    assert_eq!(a1.welcome["node"], "node-0");
    assert_ne!(a1.welcome["connectionId"], a2.welcome["connectionId"]);

    let ack = a1
        .request(json!({"type": "send", "toUserId": bob, "content": "hi bob", "extra": {"k": "v"}}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let id = ack["messageId"].as_str().unwrap().to_string();
    assert!(id.parse::<i64>().unwrap() > 0);
    assert!(ack["sendTime"].as_str().unwrap().ends_with('Z'));

    for client in [&mut b1, &mut b2, &mut a2] {
        let m = client.next_of("message").await["message"].clone();
        assert_eq!(m["messageId"], id.as_str());
        assert_eq!(m["fromUserId"], alice.as_str());
        assert_eq!(m["toUserId"], bob.as_str());
        assert_eq!(m["content"], "hi bob");
        assert_eq!(m["groupId"], Value::Null);
        assert_eq!(m["state"], 0);
        assert_eq!(m["messageType"], 0);
        assert_eq!(m["extra"], json!({"k": "v"}));
        assert_eq!(m["sendTime"], ack["sendTime"]);
    }
    // The sending device gets the ack, not a copy.
    let pong = a1.request(json!({"type": "ping"})).await;
    assert_eq!(pong["type"], "pong");
    assert!(
        a1.pending().iter().all(|f| f["type"] != "message"),
        "{:?}",
        a1.pending()
    );

    // Replies go the other way too, in order.
    for n in 0..5 {
        let ack = b2.request(to_user(&alice, &format!("reply {n}"))).await;
        assert_eq!(ack["type"], "ack");
    }
    for n in 0..5 {
        assert_eq!(
            a1.next_of("message").await["message"]["content"],
            format!("reply {n}")
        );
    }
    app.stop().await;
});

on_both_databases!(
    offline_messages_come_back_with_sync_exactly_once,
    |db: TestDb| async move {
        let app = TestApp::start(db.config()).await;
        let (alice, alice_token) = app.user(&unique("alice")).await;
        let (bob, bob_token) = app.user(&unique("bob")).await;
        let (carol, carol_token) = app.user(&unique("carol")).await;
        app.befriend(&alice, &bob).await;
        app.befriend(&carol, &bob).await;
        let group = app.group(&carol, &[&bob]).await;
        let mut a = WsClient::connect(&app, &alice_token).await;
        let mut c = WsClient::connect(&app, &carol_token).await;
        let mut sent = Vec::new();
        for n in 0..7 {
            let ack = a
                .request(to_user(&bob, &format!("while you were out {n}")))
                .await;
            sent.push(ack["messageId"].as_str().unwrap().to_string());
            let ack = c.request(to_group(group, &format!("group {n}"))).await;
            assert_eq!(ack["type"], "ack", "{ack}");
            sent.push(ack["messageId"].as_str().unwrap().to_string());
        }
        let mut b = WsClient::connect(&app, &bob_token).await;
        let (all, cursor) = sync_all(&mut b, None, 3).await;
        let got = ids_of(&all);
        let mut expected = sent.clone();
        expected.sort_by_key(|id| id.parse::<i64>().unwrap());
        assert_eq!(
            got.len(),
            got.iter().collect::<HashSet<_>>().len(),
            "each message exactly once"
        );
        assert_eq!(
            got.iter().collect::<HashSet<_>>(),
            expected.iter().collect::<HashSet<_>>()
        );

        // Nothing new: an empty page. Then one more message shows up after the cursor.
        let (again, cursor) = sync_all(&mut b, Some(cursor), 100).await;
        assert!(again.is_empty(), "{again:?}");
        let ack = a.request(to_user(&bob, "one more")).await;
        let (later, _) = sync_all(&mut b, Some(cursor), 100).await;
        assert_eq!(
            ids_of(&later),
            vec![ack["messageId"].as_str().unwrap().to_string()]
        );
        // Alice's own sync holds her sent messages too (her other devices catch up the same way).
        let (mine, _) = sync_all(&mut a, None, 1000).await;
        assert_eq!(mine.len(), 8);
        let bad = b
            .request(json!({"type": "sync", "after": "not-a-cursor"}))
            .await;
        assert_eq!(bad["code"], "IM:BadFrame");
        app.stop().await;
    }
);

#[actix_rt::test]
async fn group_messages_reach_a_hundred_online_members() {
    let db = TestDb::new(Backend::Sqlite, "group_100").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let (owner, owner_token) = app.user(&unique("owner")).await;
    let mut members = Vec::new();
    for n in 0..100 {
        members.push(app.user(&unique(&format!("m{n}x"))).await);
    }
    let ids: Vec<&str> = members.iter().map(|(id, _)| id.as_str()).collect();
    let group = app.group(&owner, &ids).await;
    let mut clients = Vec::new();
    for (_, token) in &members {
        clients.push(WsClient::connect(&app, token).await);
    }
    let mut o = WsClient::connect(&app, &owner_token).await;
    let ack = o.request(to_group(group, "hello everyone")).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    for client in &mut clients {
        let m = client.next_of("message").await["message"].clone();
        assert_eq!(m["messageId"], ack["messageId"]);
        assert_eq!(m["groupId"], group.to_string());
        assert_eq!(m["toUserId"], Value::Null);
    }
    // A member replies; the owner hears it.
    let ack = clients[42].request(to_group(group, "hi owner")).await;
    assert_eq!(
        o.next_of("message").await["message"]["messageId"],
        ack["messageId"]
    );
    app.stop().await;
}

#[actix_rt::test]
async fn recall_within_and_after_the_window() {
    let db = TestDb::new(Backend::Sqlite, "recall").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let (alice, alice_token) = app.user(&unique("alice")).await;
    let (bob, bob_token) = app.user(&unique("bob")).await;
    app.befriend(&alice, &bob).await;
    let mut a = WsClient::connect(&app, &alice_token).await;
    let mut b = WsClient::connect(&app, &bob_token).await;
    let ack = a.request(to_user(&bob, "oops")).await;
    let id = ack["messageId"].as_str().unwrap().to_string();
    b.next_of("message").await;
    let refused = b.request(json!({"type": "recall", "messageId": id})).await;
    assert_eq!(
        refused["type"], "error",
        "only the sender recalls a private message"
    );
    let ok = a.request(json!({"type": "recall", "messageId": id})).await;
    assert_eq!(ok["type"], "ack", "{ok}");
    for client in [&mut a, &mut b] {
        let r = client.next_of("recalled").await;
        assert_eq!(r["messageId"], id.as_str());
        assert_eq!(r["byUserId"], alice.as_str());
    }
    let (all, _) = sync_all(&mut b, None, 100).await;
    let served = all.iter().find(|m| m["messageId"] == id.as_str()).unwrap();
    assert_eq!(served["state"], 10);
    assert_eq!(
        served["content"], "",
        "a recalled message's content is never served"
    );
    app.stop().await;

    // A node whose recall window is zero refuses every recall by the sender with 01303.
    let mut config = db.config();
    config.limits.recall_window_seconds = 0;
    let app = TestApp::start(config).await;
    let (_, alice_token) = app.user(&unique("alice")).await;
    let mut a = WsClient::connect(&app, &alice_token).await;
    let (bob2, _) = app.user(&unique("bob")).await;
    let alice2 = a.welcome["userId"].as_str().unwrap().to_string();
    app.befriend(&alice2, &bob2).await;
    let ack = a.request(to_user(&bob2, "too late")).await;
    let late = a
        .request(json!({"type": "recall", "messageId": ack["messageId"]}))
        .await;
    assert_eq!(late["code"], "01303", "{late}");
    app.stop().await;
}

#[actix_rt::test]
async fn read_receipts_and_presence() {
    let db = TestDb::new(Backend::Sqlite, "read_presence").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let (alice, alice_token) = app.user(&unique("alice")).await;
    let (bob, bob_token) = app.user(&unique("bob")).await;
    app.befriend(&alice, &bob).await;
    let mut a = WsClient::connect(&app, &alice_token).await;
    let mut b1 = WsClient::connect(&app, &bob_token).await;
    let online = a.next_of("presence").await;
    assert_eq!(online["userId"], bob.as_str());
    assert_eq!(online["online"], true);
    let b2 = WsClient::connect(&app, &bob_token).await;

    let ack = a.request(to_user(&bob, "read me")).await;
    let read = b1
        .request(json!({"type": "read", "messageId": ack["messageId"]}))
        .await;
    assert_eq!(read["type"], "ack", "{read}");
    let receipt = a.next_of("read").await;
    assert_eq!(receipt["messageId"], ack["messageId"]);
    assert_eq!(receipt["readerUserId"], bob.as_str());

    // The second device leaving says nothing; the last one leaving says offline.
    drop(b2);
    drop(b1);
    let offline = a.next_of("presence").await;
    assert_eq!(offline["userId"], bob.as_str());
    assert_eq!(offline["online"], false, "{offline}");
    // A round trip: a second notice sent with the first would be read before this answer.
    assert_eq!(a.request(json!({"type": "ping"})).await["type"], "pong");
    assert!(
        a.pending().iter().all(|f| f["type"] != "presence"),
        "one offline notice for the last device"
    );
    // The card records it too (presence is written in batches, after the notices go out).
    let card = tokio::time::timeout(crate::ws::WAIT, async {
        loop {
            let (_, card) = app
                .call("GET", "/api/im/users/me/card", Some(&bob_token), None)
                .await;
            if card["state"] == 1 && card["lastOnlineTime"].is_string() {
                return card;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the card records bob offline");
    assert_eq!(card["online"], false, "{card}");
    app.stop().await;
}

#[actix_rt::test]
async fn every_refusal_has_its_code_and_stores_nothing() {
    let db = TestDb::new(Backend::Sqlite, "refusals").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let state = app.state();
    let (alice, alice_token) = app.user(&unique("alice")).await;
    let (bob, _) = app.user(&unique("bob")).await;
    let (stranger, _) = app.user(&unique("stranger")).await;
    let (owner, _) = app.user(&unique("owner")).await;
    app.befriend(&alice, &bob).await;
    let mut a = WsClient::connect(&app, &alice_token).await;
    let code = |v: Value| v["code"].as_str().unwrap_or("none").to_string();

    assert_eq!(
        code(
            a.request(to_user(&uuid::Uuid::new_v4().to_string(), "x"))
                .await
        ),
        "03404"
    );
    assert_eq!(code(a.request(to_user(&stranger, "x")).await), "03403");
    assert_eq!(
        code(
            a.request(
                json!({"type": "send", "toUserId": stranger, "content": "x", "isAnonymous": true})
            )
            .await
        ),
        "03402"
    );
    assert_eq!(code(a.request(to_user(&bob, "")).await), "01400");
    let bob_id: uuid::Uuid = bob.parse().unwrap();
    let settings = imcluster::store::ChatSettings {
        allow_anonymous: false,
        allow_add_friend: true,
        require_add_friend_validation: true,
        allow_receive_message: false,
        allow_send_message: true,
    };
    state
        .store
        .update_settings(None, bob_id, settings)
        .await
        .unwrap();
    state.delivery.reload_user(&(None, bob_id));
    assert_eq!(code(a.request(to_user(&bob, "x")).await), "03400");
    state
        .store
        .update_settings(
            None,
            bob_id,
            imcluster::store::ChatSettings {
                allow_receive_message: true,
                ..settings
            },
        )
        .await
        .unwrap();
    state
        .store
        .set_black(None, bob_id, alice.parse().unwrap(), true)
        .await
        .unwrap();
    state.delivery.reload_user(&(None, bob_id));
    assert_eq!(code(a.request(to_user(&bob, "x")).await), "03401");

    assert_eq!(code(a.request(to_group(987_654_321, "x")).await), "02404");
    let group = app.group(&owner, &[]).await;
    assert_eq!(code(a.request(to_group(group, "x")).await), "01401");
    let group = app.group(&owner, &[&alice]).await;
    let gid: i64 = group;
    state
        .store
        .set_group_flags(None, gid, true, false)
        .await
        .unwrap();
    state.delivery.reload_group(&(None, gid));
    assert_eq!(code(a.request(json!({"type": "send", "groupId": gid.to_string(), "content": "x", "isAnonymous": true})).await), "02401");
    state
        .store
        .set_group_flags(None, gid, false, false)
        .await
        .unwrap();
    state.delivery.reload_group(&(None, gid));
    assert_eq!(code(a.request(to_group(gid, "x")).await), "02400");
    state
        .store
        .set_group_flags(None, gid, true, false)
        .await
        .unwrap();
    let until = chrono::Utc::now() + chrono::Duration::hours(1);
    state
        .store
        .silence_member(None, gid, alice.parse().unwrap(), Some(until))
        .await
        .unwrap();
    state.delivery.reload_group(&(None, gid));
    assert_eq!(code(a.request(to_group(gid, "x")).await), "02403");
    state
        .store
        .blacklist_member(None, gid, alice.parse().unwrap(), owner.parse().unwrap())
        .await
        .unwrap();
    state.delivery.reload_group(&(None, gid));
    assert_eq!(code(a.request(to_group(gid, "x")).await), "02403");

    let (stored, _) = sync_all(&mut a, None, 1000).await;
    assert!(stored.is_empty(), "nothing refused was stored: {stored:?}");
    app.stop().await;
}

#[actix_rt::test]
async fn bad_frames_get_errors_and_the_connection_stays_until_abuse() {
    let db = TestDb::new(Backend::Sqlite, "bad_frames").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let (_, token) = app.user(&unique("mallory")).await;
    let mut c = WsClient::connect(&app, &token).await;
    for (frame, what) in [
        (r#"not json"#.to_string(), "not JSON"),
        (r#"{"type":"dance","id":"x1"}"#.to_string(), "unknown type"),
        (
            r#"{"type":"send","id":"x2","toUserId":"0b6a3f5e-7d3c-4a5e-9a4e-1c2b3d4e5f60"}"#
                .to_string(),
            "missing content",
        ),
        (
            r#"{"type":"recall","id":"x3","messageId":"abc"}"#.to_string(),
            "ill-typed id",
        ),
        (
            r#"{"type":"send","id":"x4","toUserId":"not-a-guid","content":"x"}"#.to_string(),
            "ill-typed user id",
        ),
        (
            r#"{"type":"publish","id":"x5","topic":"Bad Topic!","data":1}"#.to_string(),
            "bad topic",
        ),
    ] {
        c.send_text(frame).await;
        let err = c.next_of("error").await;
        assert_eq!(err["code"], "IM:BadFrame", "{what}: {err}");
    }
    let err = c.request(json!({"type": "dance"})).await;
    assert_eq!(
        err["code"], "IM:BadFrame",
        "the error echoes the frame's id"
    );
    assert_eq!(
        c.request(json!({"type": "ping"})).await["type"],
        "pong",
        "still open after bad frames"
    );
    for _ in 0..30 {
        c.send_text("garbage".into()).await;
    }
    assert_eq!(c.closed().await, Some(1008), "closed for repeated abuse");
    app.stop().await;
}

#[actix_rt::test]
async fn an_oversized_frame_closes_with_1009() {
    let db = TestDb::new(Backend::Sqlite, "too_large").await.unwrap();
    let mut config = db.config();
    config.limits.max_frame_bytes = 1024;
    let app = TestApp::start(config).await;
    let (_, token) = app.user(&unique("big")).await;
    let mut c = WsClient::connect(&app, &token).await;
    c.send(json!({"type": "ping", "pad": "x".repeat(4096)}))
        .await;
    let err = c.next_of("error").await;
    assert_eq!(err["code"], "IM:FrameTooLarge");
    assert_eq!(c.closed().await, Some(1009));
    app.stop().await;
}

#[actix_rt::test]
async fn over_the_rate_nothing_is_stored_or_delivered() {
    let db = TestDb::new(Backend::Sqlite, "rate").await.unwrap();
    let mut config = db.config();
    config.limits.rate_burst = 5;
    config.limits.rate_per_second = 1;
    let app = TestApp::start(config).await;
    let (alice, alice_token) = app.user(&unique("alice")).await;
    let (bob, bob_token) = app.user(&unique("bob")).await;
    app.befriend(&alice, &bob).await;
    let mut a = WsClient::connect(&app, &alice_token).await;
    let mut b = WsClient::connect(&app, &bob_token).await;
    let mut acked = 0;
    let mut limited = 0;
    for n in 0..12 {
        let reply = a.request(to_user(&bob, &format!("flood {n}"))).await;
        match reply["type"].as_str().unwrap() {
            "ack" => acked += 1,
            _ => {
                assert_eq!(reply["code"], "IM:RateLimited", "{reply}");
                limited += 1;
            }
        }
    }
    assert!(limited >= 5, "acked {acked}, limited {limited}");
    // Bob, online throughout, hears each acknowledged message and nothing else.
    for _ in 0..acked {
        b.next_of("message").await;
    }
    assert_eq!(b.request(json!({"type": "ping"})).await["type"], "pong");
    assert!(
        b.pending().iter().all(|f| f["type"] != "message"),
        "a refused message was delivered"
    );
    let (all, _) = sync_all(&mut b, None, 1000).await;
    assert_eq!(all.len(), acked, "only acknowledged messages were stored");
    app.stop().await;
}

#[actix_rt::test]
async fn a_silent_client_is_closed_with_4008() {
    let db = TestDb::new(Backend::Sqlite, "heartbeat").await.unwrap();
    let mut config = db.config();
    config.limits.heartbeat_seconds = 1;
    let app = TestApp::start(config).await;
    let (_, token) = app.user(&unique("quiet")).await;
    let mut c = WsClient::connect(&app, &token).await;
    c.answer_pings = false;
    assert_eq!(c.closed().await, Some(4008));
    // A client that answers pings stays.
    let mut d = WsClient::connect(&app, &token).await;
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(4) {
        assert_eq!(d.request(json!({"type": "ping"})).await["type"], "pong");
        tokio::time::timeout(std::time::Duration::from_millis(500), d.read())
            .await
            .ok();
    }
    app.stop().await;
}

#[actix_rt::test]
async fn a_slow_reader_is_closed_with_4008_and_loses_nothing() {
    let db = TestDb::new(Backend::Sqlite, "slow_reader").await.unwrap();
    let mut config = db.config();
    config.limits.outbound_queue = 8;
    config.limits.rate_burst = 10_000;
    config.limits.rate_per_second = 10_000;
    let app = TestApp::start(config).await;
    let (alice, alice_token) = app.user(&unique("alice")).await;
    let (bob, bob_token) = app.user(&unique("bob")).await;
    app.befriend(&alice, &bob).await;
    let mut a = WsClient::connect(&app, &alice_token).await;
    let mut slow = WsClient::connect(&app, &bob_token).await;
    // Bob does not read while Alice sends far more than the socket buffers and queue hold.
    let big = "y".repeat(20_000);
    let mut acked = Vec::new();
    for _ in 0..400 {
        let ack = a.request(to_user(&bob, &big)).await;
        assert_eq!(ack["type"], "ack");
        acked.push(ack["messageId"].as_str().unwrap().to_string());
    }
    assert_eq!(slow.closed().await, Some(4008));
    let mut again = WsClient::connect(&app, &bob_token).await;
    let (all, _) = sync_all(&mut again, None, 1000).await;
    assert_eq!(
        ids_of(&all).into_iter().collect::<HashSet<_>>(),
        acked.into_iter().collect::<HashSet<_>>()
    );
    app.stop().await;
}

#[actix_rt::test]
async fn a_panicking_actor_takes_down_nothing_else() {
    let db = TestDb::new(Backend::Sqlite, "panic").await.unwrap();
    let mut config = db.config();
    config.node.fault_injection = true;
    // Long enough that clients not being read meanwhile (b, c) are not closed as silent on a
    // busy machine; the restarted actor takes over the sessions at once anyway.
    config.limits.heartbeat_seconds = 5;
    let app = TestApp::start(config).await;
    let (alice, alice_token) = app.user(&unique("alice")).await;
    let (bob, bob_token) = app.user(&unique("bob")).await;
    let (carol, carol_token) = app.user(&unique("carol")).await;
    app.befriend(&alice, &bob).await;
    app.befriend(&alice, &carol).await;
    let mut a = WsClient::connect(&app, &alice_token).await;
    let mut b = WsClient::connect(&app, &bob_token).await;
    let mut c = WsClient::connect(&app, &carol_token).await;
    let bob_key = (None, bob.parse::<uuid::Uuid>().unwrap());
    let old_actor = app
        .state()
        .delivery
        .supervisor
        .running_user(&bob_key)
        .expect("bob is online");
    a.send(to_user(&bob, "imcluster:panic")).await;
    // Wait for the panic: the old actor answers until the poisoned message reaches it.
    let deadline = std::time::Instant::now() + crate::ws::WAIT;
    while old_actor
        .send(imcluster::actors::user::MyGroups)
        .await
        .is_ok()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the actor panicked in time"
        );
    }
    // Carol's conversation is untouched.
    let ack = a.request(to_user(&carol, "are you there")).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(
        c.next_of("message").await["message"]["messageId"],
        ack["messageId"]
    );
    // Bob's actor restarts on the next message and takes over his open session.
    let ack = a.request(to_user(&bob, "after the panic")).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let got = b.next_of("message").await;
    assert_eq!(got["message"]["content"], "after the panic", "{got}");
    assert_eq!(
        b.request(json!({"type": "ping"})).await["type"],
        "pong",
        "bob's connection survived"
    );
    assert!(
        app.state().delivery.supervisor.counts().3 >= 1,
        "the restart was counted"
    );
    // When Bob leaves, the new actor knows it: his friends see him go offline.
    drop(b);
    loop {
        let p = a.next_of("presence").await;
        if p["userId"] == bob.as_str() && p["online"] == false {
            break;
        }
    }
    app.stop().await;
}

on_both_databases!(
    a_retried_send_returns_the_first_ack,
    |db: TestDb| async move {
        let app = TestApp::start(db.config()).await;
        let (alice, alice_token) = app.user(&unique("alice")).await;
        let (bob, bob_token) = app.user(&unique("bob")).await;
        app.befriend(&alice, &bob).await;
        let mut a = WsClient::connect(&app, &alice_token).await;
        let frame =
            json!({"type": "send", "toUserId": bob, "content": "once", "clientMsgId": "c-1"});
        let first = a.request(frame.clone()).await;
        let second = a.request(frame.clone()).await;
        assert_eq!(first["type"], "ack");
        assert_eq!(first["messageId"], second["messageId"]);
        assert_eq!(first["sendTime"], second["sendTime"]);
        // Even when both are in flight at once.
        let racing =
            json!({"type": "send", "toUserId": bob, "content": "race", "clientMsgId": "c-2"});
        a.send(json!({"type": "send", "toUserId": bob, "content": "race", "clientMsgId": "c-2", "id": "p1"})).await;
        let r2 = a.request(racing).await;
        let r1 = a.next_of("ack").await;
        assert_eq!(r1["messageId"], r2["messageId"], "{r1} {r2}");
        let mut b = WsClient::connect(&app, &bob_token).await;
        let (all, _) = sync_all(&mut b, None, 100).await;
        assert_eq!(all.len(), 2, "{all:?}");
        assert_eq!(
            all[0]["clientMsgId"],
            Value::Null,
            "the receiver does not see the sender's key"
        );
        app.stop().await;
    }
);

on_both_databases!(
    a_batch_claims_each_client_key_once,
    |db: TestDb| async move {
        use imcluster::store::{Conversation, NewMessage, Store, Stored};
        let store = Store::open(&db.config().database).await.unwrap();
        store.migrate_up().await.unwrap();
        let (alice, bob) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        let message = |id: i64, key: Option<&str>| NewMessage {
            client_msg_id: key.map(String::from),
            ..NewMessage::text(
                id,
                alice,
                "alice",
                Conversation::User(bob),
                format!("m{id}"),
            )
        };
        // Each test has a database of its own: any ids will do.
        let base = 7_000_000_000_000;
        let first = store
            .insert_messages(&[
                message(base + 1, Some("k1")),
                message(base + 2, None),
                message(base + 3, Some("k1")),
                message(base + 4, Some("k2")),
            ])
            .await
            .unwrap();
        let ids = |outcome: &[Stored]| -> Vec<Option<i64>> {
            outcome
                .iter()
                .map(|o| match o {
                    Stored::New => None,
                    Stored::Duplicate { message_id, .. } => Some(*message_id),
                })
                .collect()
        };
        assert_eq!(ids(&first), vec![None, None, Some(base + 1), None]);
        let second = store
            .insert_messages(&[message(base + 5, Some("k2")), message(base + 6, Some("k3"))])
            .await
            .unwrap();
        assert_eq!(ids(&second), vec![Some(base + 4), None]);
        for (id, stored) in [
            (1, true),
            (2, true),
            (3, false),
            (4, true),
            (5, false),
            (6, true),
        ] {
            let found = store.find_message(None, base + id).await.unwrap();
            assert_eq!(found.is_some(), stored, "message {id}");
        }
    }
);

#[actix_rt::test]
async fn every_acknowledged_message_survives_a_restart() {
    let db = TestDb::new(Backend::Sqlite, "restart").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let (alice, alice_token) = app.user(&unique("alice")).await;
    let (bob, bob_token) = app.user(&unique("bob")).await;
    app.befriend(&alice, &bob).await;
    let mut a = WsClient::connect(&app, &alice_token).await;
    let mut acked = Vec::new();
    for n in 0..50 {
        acked.push(
            a.request(to_user(&bob, &format!("m{n}"))).await["messageId"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    app.stop().await;
    drop(a);
    let app = TestApp::start(db.config()).await;
    let mut b = WsClient::connect(&app, &bob_token).await;
    let (all, _) = sync_all(&mut b, None, 20).await;
    assert_eq!(ids_of(&all), acked);
    app.stop().await;
}

on_both_databases!(
    a_message_committed_late_is_never_skipped,
    |db: TestDb| async move {
        let app = TestApp::start(db.config()).await;
        let (alice, alice_token) = app.user(&unique("alice")).await;
        let (bob, bob_token) = app.user(&unique("bob")).await;
        app.befriend(&alice, &bob).await;
        let mut a = WsClient::connect(&app, &alice_token).await;
        let mut b = WsClient::connect(&app, &bob_token).await;
        let first = a.request(to_user(&bob, "first")).await;
        let (seen, cursor) = sync_all(&mut b, None, 100).await;
        assert_eq!(
            ids_of(&seen),
            vec![first["messageId"].as_str().unwrap().to_string()]
        );

        // The pod's clock steps back a minute: the next id is smaller than one already synced.
        app.state().ids.step_clock(-60_000);
        let behind = a
            .request(to_user(&bob, "from a clock that is behind"))
            .await;
        let behind_id: i64 = behind["messageId"].as_str().unwrap().parse().unwrap();
        assert!(
            behind_id > first["messageId"].as_str().unwrap().parse::<i64>().unwrap(),
            "ids on one pod still increase"
        );

        // Another writer (a second pod, ABP) commits a message of another conversation of
        // bob's with an older id while our cursor moves past younger rows: on PostgreSQL its
        // open transaction holds the walk back. (Within one conversation the writers take turns
        // on its counter row.)
        let (carol, _) = app.user(&unique("carol")).await;
        let late_id = first["messageId"].as_str().unwrap().parse::<i64>().unwrap() - 1000;
        let mut late_txn = None;
        if db.schema.is_empty() {
            let later = a.request(to_user(&bob, "later")).await;
            let (got, _) = sync_all(&mut b, Some(cursor.clone()), 100).await;
            assert_eq!(
                ids_of(&got),
                vec![
                    behind["messageId"].as_str().unwrap().to_string(),
                    later["messageId"].as_str().unwrap().to_string()
                ]
            );
        } else {
            use sea_orm::{ConnectionTrait, TransactionTrait};
            let mut options = sea_orm::ConnectOptions::new(db.url.clone());
            options.set_schema_search_path(db.schema.clone());
            let raw = sea_orm::Database::connect(options).await.unwrap();
            let txn = raw.begin().await.unwrap();
            txn.execute_unprepared(&format!(
            "INSERT INTO \"AppUserMessages\" (\"ReceiveUserId\", \"ExtraProperties\", \"ConcurrencyStamp\", \"CreationTime\", \"CreatorId\", \
             \"MessageId\", \"SendUserName\", \"Content\", \"Type\", \"Source\", \"State\") \
             VALUES ('{bob}', '{{}}', 'x', now(), '{carol}', {late_id}, 'carol', 'late', 0, 0, 0)"
        ))
        .await
        .unwrap();
            let later = a.request(to_user(&bob, "later")).await;
            let (held, cursor2) = sync_all(&mut b, Some(cursor.clone()), 100).await;
            assert!(
                !ids_of(&held).contains(&later["messageId"].as_str().unwrap().to_string()),
                "a row younger than an open writer is held back"
            );
            txn.commit().await.unwrap();
            late_txn = Some(raw);
            let (rest, _) = sync_all(&mut b, Some(cursor2), 100).await;
            let all: HashSet<String> = ids_of(&held).into_iter().chain(ids_of(&rest)).collect();
            let want: HashSet<String> = [
                behind_id.to_string(),
                later["messageId"].as_str().unwrap().to_string(),
                late_id.to_string(),
            ]
            .into_iter()
            .collect();
            assert_eq!(all, want, "nothing skipped, nothing twice");
            assert_eq!(held.len() + rest.len(), 3);
        }
        drop(late_txn);
        app.stop().await;
    }
);

#[actix_rt::test]
async fn backend_pushes_and_client_publishes() {
    let db = TestDb::new(Backend::Sqlite, "push").await.unwrap();
    let mut config = db.config();
    config.push.api_key = "push-key-123".into();
    let app = TestApp::start(config).await;
    let (alice, alice_token) = app.user(&unique("alice")).await;
    let (_, bob_token) = app.user(&unique("bob")).await;
    let mut a1 = WsClient::connect(&app, &alice_token).await;
    let mut a2 = WsClient::connect(&app, &alice_token).await;
    let mut b = WsClient::connect(&app, &bob_token).await;
    let post = |path: String, body: Value| {
        let req = app
            .client
            .post(format!("{}{}", app.base, path))
            .insert_header(("x-api-key", "push-key-123"));
        async move {
            let mut res = req.send_json(&body).await.unwrap();
            (
                res.status().as_u16(),
                res.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (status, body) = post(
        "/api/push/broadcast".into(),
        json!({"method": "refreshTable", "data": {"t": 1}}),
    )
    .await;
    assert_eq!((status, body["sessions"].as_u64()), (202, Some(3)));
    for c in [&mut a1, &mut a2, &mut b] {
        let e = c.next_of("event").await;
        assert_eq!(
            (e["method"].as_str(), e["data"]["t"].as_i64()),
            (Some("refreshTable"), Some(1))
        );
    }
    let (status, body) = post(
        format!("/api/push/users/{alice}"),
        json!({"method": "toAlice", "data": 2}),
    )
    .await;
    assert_eq!((status, body["sessions"].as_u64()), (202, Some(2)));
    assert_eq!(a1.next_of("event").await["method"], "toAlice");
    assert_eq!(a2.next_of("event").await["method"], "toAlice");
    let conn = b.welcome["connectionId"].as_str().unwrap().to_string();
    let (status, body) = post(
        format!("/api/push/connections/{conn}"),
        json!({"method": "toBob", "data": 3}),
    )
    .await;
    assert_eq!((status, body["sessions"].as_u64()), (202, Some(1)));
    assert_eq!(b.next_of("event").await["method"], "toBob");
    // Without the key or a service token: refused.
    let (status, _) = app
        .call(
            "POST",
            "/api/push/broadcast",
            Some(&alice_token),
            Some(json!({"method": "x"})),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .call(
            "POST",
            "/api/push/broadcast",
            None,
            Some(json!({"method": "x"})),
        )
        .await;
    assert_eq!(status, 401);

    let mut published = app.state().delivery.bus.subscribe_client_publishes();
    let ack = a1
        .request(json!({"type": "publish", "topic": "orders.updated", "data": {"order": 7}}))
        .await;
    assert_eq!(ack["type"], "ack");
    let p = tokio::time::timeout(crate::ws::WAIT, published.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.topic, "orders.updated");
    assert_eq!(p.data, json!({"order": 7}));
    assert_eq!(p.user_id.to_string(), alice);
    app.stop().await;
}

on_both_databases!(refused_before_the_upgrade, |db: TestDb| async move {
    let app = TestApp::start(db.config()).await;
    let ws = app.base.replace("http://", "ws://");
    let status_of = |token: &str| {
        let url = format!("{ws}/ws?access_token={token}");
        let client = app.client.clone();
        async move {
            match client.ws(url).connect().await {
                Err(awc::error::WsClientError::InvalidResponseStatus(status)) => status.as_u16(),
                Ok(_) => 101,
                Err(e) => panic!("expected an answer to the upgrade, got {e}"),
            }
        }
    };
    assert_eq!(status_of("nonsense").await, 401);
    let url = format!("{ws}/ws");
    assert!(
        matches!(app.client.ws(url).connect().await, Err(awc::error::WsClientError::InvalidResponseStatus(s)) if s.as_u16() == 401)
    );
    // A token logged out, and an account banned, are refused before the upgrade too.
    let (_, gone) = app.user(&unique("gone")).await;
    assert_eq!(status_of(&gone).await, 101);
    let (status, _) = app
        .call("POST", "/api/auth/logout", Some(&gone), None)
        .await;
    assert_eq!(status, 204);
    assert_eq!(status_of(&gone).await, 401, "a logged-out token");
    let (banned, banned_token) = app.user(&unique("banned")).await;
    let banned = uuid::Uuid::parse_str(&banned).unwrap();
    app.state()
        .store
        .set_banned(None, banned, true)
        .await
        .unwrap();
    assert_eq!(status_of(&banned_token).await, 403, "a banned account");
    app.stop().await;
});

#[actix_rt::test]
async fn a_message_near_the_frame_limit_goes_through() {
    let db = TestDb::new(Backend::Sqlite, "near_limit").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let (alice, alice_token) = app.user(&unique("alice")).await;
    let (bob, bob_token) = app.user(&unique("bob")).await;
    app.befriend(&alice, &bob).await;
    let mut a = WsClient::connect(&app, &alice_token).await;
    let mut b = WsClient::connect(&app, &bob_token).await;
    let big = "z".repeat(60_000);
    let ack = a.request(to_user(&bob, &big)).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(
        b.next_of("message").await["message"]["content"]
            .as_str()
            .unwrap()
            .len(),
        60_000
    );
    app.stop().await;
}

#[actix_rt::test]
async fn typing_reaches_the_peer_and_the_group() {
    let db = TestDb::new(Backend::Sqlite, "typing").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let (alice, alice_token) = app.user(&unique("alice")).await;
    let (bob, bob_token) = app.user(&unique("bob")).await;
    app.befriend(&alice, &bob).await;
    let group = app.group(&alice, &[&bob]).await;
    let mut a = WsClient::connect(&app, &alice_token).await;
    let mut b = WsClient::connect(&app, &bob_token).await;
    a.send(json!({"type": "typing", "toUserId": bob})).await;
    let t = b.next_of("typing").await;
    assert_eq!(
        (t["userId"].as_str(), t.get("groupId")),
        (Some(alice.as_str()), None)
    );
    a.send(json!({"type": "typing", "groupId": group.to_string()}))
        .await;
    let t = b.next_of("typing").await;
    assert_eq!(t["groupId"], group.to_string());
    assert_eq!(a.request(json!({"type": "ping"})).await["type"], "pong");
    assert!(
        a.pending().iter().all(|f| f["type"] != "typing"),
        "the typist is not told about itself"
    );
    app.stop().await;
}

#[actix_rt::test]
async fn a_token_that_expires_during_the_session_warns_then_closes_it_with_4001() {
    let db = TestDb::new(Backend::Sqlite, "expiry").await.unwrap();
    let mut config = db.config();
    config.limits.heartbeat_seconds = 1;
    let app = TestApp::start(config).await;
    let (user, _) = app.user(&unique("brief")).await;
    let exp = chrono::Utc::now().timestamp() + 2;
    let claims = json!({"sub": user, "name": "brief", "exp": exp,
                        "iss": "imcluster", "aud": "imcluster", "jti": uuid::Uuid::new_v4().to_string()});
    let key = jsonwebtoken::EncodingKey::from_secret(crate::helpers::TEST_SECRET.as_bytes());
    let token = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap();
    let mut c = WsClient::connect(&app, &token).await;
    let notice = c.next_notice("tokenExpiring").await;
    assert!(
        notice["data"]["expiresIn"].as_i64().unwrap() <= 2,
        "{notice}"
    );
    // Past the expiry the socket has its grace period: it still answers.
    let past = std::time::UNIX_EPOCH + std::time::Duration::from_secs(exp as u64 + 1);
    let wait = past
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    tokio::time::sleep(wait).await;
    assert_eq!(c.request(json!({"type": "ping"})).await["type"], "pong");
    assert_eq!(
        c.closed_within(std::time::Duration::from_secs(60)).await,
        Some(4001)
    );
    app.stop().await;
}

#[test]
fn sigterm_drains_sessions_with_1012() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_imcluster"))
        .current_dir(dir.path())
        .env("IMCLUSTER_NODE__LISTEN", format!("127.0.0.1:{port}"))
        .env("IMCLUSTER_JWT__SECRET", crate::helpers::TEST_SECRET)
        .env("IMCLUSTER_LOG__LEVEL", "info")
        .env("IMCLUSTER_LOG__FORMAT", "json")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // The node logs "serving on …" once it listens: wait for that line, not for time to pass.
    let stdout = child.stdout.take().unwrap();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains("serving on") {
                let _ = ready_tx.send(());
            }
        }
    });
    ready_rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the node starts serving");
    let code = actix_rt::System::new().block_on(async move {
        let client = awc::Client::default();
        let base = format!("http://127.0.0.1:{port}");
        let body = json!({"userName": "drained", "password": "password-123"});
        client
            .post(format!("{base}/api/auth/register"))
            .send_json(&body)
            .await
            .unwrap();
        let login: Value = client
            .post(format!("{base}/api/auth/login"))
            .send_json(&body)
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = login["accessToken"].as_str().unwrap();
        let (_, mut framed) = client
            .ws(format!("ws://127.0.0.1:{port}/ws?access_token={token}"))
            .connect()
            .await
            .unwrap();
        use futures_util::StreamExt;
        assert!(
            matches!(framed.next().await, Some(Ok(awc::ws::Frame::Text(_)))),
            "welcome"
        );
        std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        loop {
            match tokio::time::timeout(crate::ws::WAIT, framed.next())
                .await
                .expect("closed in time")
            {
                Some(Ok(awc::ws::Frame::Close(reason))) => {
                    return reason.map(|r| u16::from(r.code))
                }
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    });
    assert_eq!(code, Some(1012));
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "the node exits cleanly after draining: {status:?}"
    );
}

/// A client that closes gets the server's close frame and then the end of the connection at
/// once: the server closes TCP first, as RFC 6455 asks, instead of waiting for the client to.
#[actix_rt::test]
async fn a_closing_client_is_let_go_at_once() {
    let db = TestDb::new(Backend::Sqlite, "close_prompt").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let (_, token) = app.user(&unique("leaver")).await;
    for _ in 0..3 {
        let c = WsClient::connect(&app, &token).await;
        assert!(
            c.close_and_await_end(Duration::from_millis(500)).await,
            "the connection ends within 500 ms of the close handshake"
        );
    }
    app.stop().await;
}

on_both_databases!(
    a_catch_up_reads_what_others_committed_after_the_point,
    |db: TestDb| async move {
        let app = TestApp::start(db.config()).await;
        let (alice, alice_token) = app.user(&unique("alice")).await;
        let (bob, bob_token) = app.user(&unique("bob")).await;
        app.befriend(&alice, &bob).await;
        let gid = app.group(&alice, &[&bob]).await;
        let mut a = WsClient::connect(&app, &alice_token).await;
        let mut b = WsClient::connect(&app, &bob_token).await;
        a.request(to_user(&bob, "before")).await;
        let store = &app.state().store;
        let point = store.commit_point().await.unwrap();
        let private = a.request(to_user(&bob, "after")).await;
        let grouped = a.request(to_group(gid, "after, to the group")).await;
        b.request(to_user(&alice, "bob's own")).await;
        app.state().writer.flush().await;
        let bob_id: uuid::Uuid = bob.parse().unwrap();
        let first = imcluster::ids::IdGenerator::first_id_at(
            chrono::Utc::now() - chrono::Duration::minutes(5),
        );
        let got = store
            .messages_after(None, bob_id, &[(gid, 0)], point, first)
            .await
            .unwrap();
        let ids: Vec<String> = got.iter().map(|m| m.message_id.to_string()).collect();
        assert_eq!(
            ids,
            [&private, &grouped].map(|ack| ack["messageId"].as_str().unwrap().to_string()),
            "what alice sent after the point; not what came before, nor bob's own"
        );
        let later = imcluster::ids::IdGenerator::first_id_at(
            chrono::Utc::now() + chrono::Duration::minutes(1),
        );
        let none = store
            .messages_after(None, bob_id, &[(gid, 0)], point, later)
            .await
            .unwrap();
        assert!(none.is_empty(), "the id bound holds");
        app.stop().await;
    }
);
