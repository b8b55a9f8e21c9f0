//! ABP's MessagesHub over SignalR, tested with the real `@microsoft/signalr` client (Node):
//! hub clients chat with each other and with native WebSocket clients, business errors come
//! back as upstream sends them, recall and presence reach both sides, skipNegotiation works,
//! and a client reconnects by itself after the server restarts.

use serde_json::{json, Value};

use crate::helpers::{unique, Backend, TestApp, TestDb};
use crate::hub_client::{node_ready, HubClient};
use crate::raw_hub::RawHub;
use crate::ws::{to_user, WsClient};

/// A ChatMessage as the Vue client sends it (the sender fields are what it believes).
fn chat_message(from: &str, to: Option<&str>, group: Option<i64>, content: &str) -> Value {
    json!({
        "messageId": "", "sendTime": "2025-01-01T08:00:00.000Z", "toUserId": to,
        "groupId": group.map(|g| g.to_string()), "formUserId": from, "formUserName": "vue",
        "content": content, "messageType": 0, "extraProperties": {}, "source": 0,
        "isAnonymous": false
    })
}

#[actix_rt::test]
async fn hub_clients_chat_with_each_other_and_with_native_clients() {
    if !node_ready("hub_clients_chat") {
        return;
    }
    let db = TestDb::new(Backend::Sqlite, "hub_chat").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let (alice, alice_token) = app.user(&unique("alice")).await;
    let (bob, bob_token) = app.user(&unique("bob")).await;
    let (carol, carol_token) = app.user(&unique("carol")).await;
    let (dave, _) = app.user(&unique("dave")).await;
    app.befriend(&alice, &bob).await;
    app.befriend(&alice, &carol).await;

    let mut a = HubClient::connected(&app.base, &alice_token, json!({})).await;
    let mut b = HubClient::connected(&app.base, &bob_token, json!({})).await;
    let mut c = WsClient::connect(&app, &carol_token).await;

    // Hub to hub; the sender fields come from the token, not from the message.
    let sent = a
        .invoke(
            "send",
            json!([chat_message(&carol, Some(&bob), None, "hi bob")]),
        )
        .await
        .expect("send resolves");
    let id = sent.as_str().expect("the id as a string").to_string();
    assert!(id.parse::<i64>().unwrap() > 0, "{sent}");
    let got = b.next_call(GET).await;
    let m = &got[0];
    assert_eq!(m["messageId"], id.as_str());
    assert_eq!(m["formUserId"], alice.as_str());
    assert_ne!(m["formUserName"], "vue");
    assert_eq!(m["toUserId"], bob.as_str());
    assert_eq!(m["content"], "hi bob");
    assert_eq!(m["groupId"], Value::Null);
    assert_eq!(m["tenantId"], Value::Null);
    assert_eq!(m["messageType"], 0);
    assert_eq!(m["source"], 0);
    assert_eq!(m["isAnonymous"], false);
    assert_eq!(m["extraProperties"]["IsAnonymous"], false);
    assert!(m["sendTime"].as_str().unwrap().ends_with('Z'), "{m}");

    // Native to hub, and hub to native.
    let native = c.request(to_user(&alice, "hi from carol")).await;
    assert_eq!(native["type"], "ack", "{native}");
    let got = a.next_call(GET).await;
    assert_eq!(got[0]["content"], "hi from carol");
    assert_eq!(got[0]["formUserId"], carol.as_str());
    assert_eq!(got[0]["messageId"], native["messageId"]);
    let sent = a
        .invoke(
            "send",
            json!([chat_message(&alice, Some(&carol), None, "hi carol")]),
        )
        .await
        .unwrap();
    let frame = c.next_of("message").await;
    assert_eq!(frame["message"]["messageId"], sent);
    assert_eq!(frame["message"]["fromUserId"], alice.as_str());

    // A private message is not echoed to its sender: the next call alice sees is bob's reply.
    b.invoke(
        "send",
        json!([chat_message(&bob, Some(&alice), None, "hi alice")]),
    )
    .await
    .unwrap();
    let got = a.next_call(GET).await;
    assert_eq!(got[0]["content"], "hi alice", "{got:?}");

    // A business error: "" and upstream's Notifier message, from the intended receiver.
    let refused = a
        .invoke(
            "send",
            json!([chat_message(&alice, Some(&dave), None, "hi dave")]),
        )
        .await
        .unwrap();
    assert_eq!(refused, "");
    let notice = &a.next_call(GET).await[0];
    assert_eq!(notice["messageType"], 100);
    assert_eq!(notice["source"], 10);
    assert_eq!(notice["formUserName"], "system");
    assert_eq!(notice["formUserId"], dave.as_str());
    assert_eq!(notice["toUserId"], alice.as_str());
    assert_eq!(
        notice["content"],
        "Sending the message failed: the person needs to agree to add a friend!"
    );

    // Read, then recall: void completions; the recall notice reaches both parties.
    assert_eq!(
        b.invoke("read", json!([{"messageId": id}])).await,
        Ok(Value::Null)
    );
    assert_eq!(
        a.invoke("recall", json!([{"messageId": id, "toUserId": bob}]))
            .await,
        Ok(Value::Null)
    );
    for client in [&mut a, &mut b] {
        let notice = &client.next_call(RECALL).await[0];
        assert_eq!(notice["extraProperties"]["MessageId"], id.as_str());
        assert_eq!(notice["extraProperties"]["L"], true);
        assert_eq!(
            notice["extraProperties"]["Content"]["name"],
            "Messages:RecallMessage"
        );
        assert_eq!(
            notice["formUserId"],
            bob.as_str(),
            "from the original receiver"
        );
        assert_eq!(notice["toUserId"], alice.as_str());
        assert_eq!(notice["source"], 10);
    }
    let (_, page) = app
        .call(
            "GET",
            &format!("/api/im/chat/my-messages?receiveUserId={bob}&maxResultCount=50"),
            Some(&alice_token),
            None,
        )
        .await;
    let stored = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["messageId"] == id.as_str())
        .cloned()
        .unwrap_or_default();
    assert!(stored.is_null() || stored["state"] == 10, "{page}");

    // Recalling bob's message is not alice's to do: a failed invocation, nothing changes.
    let bobs = c.request(to_user(&alice, "keep me")).await["messageId"].clone();
    a.next_call(GET).await;
    let err = a
        .invoke("recall", json!([{"messageId": bobs}]))
        .await
        .unwrap_err();
    assert!(
        err.contains("An unexpected error occurred invoking 'recall'"),
        "{err}"
    );

    // Presence: bob leaves and comes back; alice hears both with [tenantId, userId].
    // (Carol's own online notice may still be on its way: each waits for bob's.)
    b.stop().await;
    let is_bob = |args: &[Value]| args.get(1) == Some(&json!(bob));
    let off = a.next_call_where(OFFLINE, is_bob).await;
    assert_eq!(off, vec![Value::Null, json!(bob)]);
    let mut b = HubClient::connected(&app.base, &bob_token, json!({})).await;
    let on = a.next_call_where(ONLINE, is_bob).await;
    assert_eq!(on, vec![Value::Null, json!(bob)]);

    // A group: the hub sender gets its own message too (it is in the group), as upstream.
    let group = app.group(&alice, &[&bob, &carol]).await;
    b.stop().await;
    let mut b = HubClient::connected(&app.base, &bob_token, json!({})).await;
    let sent = a
        .invoke(
            "send",
            json!([chat_message(&alice, None, Some(group), "hi all")]),
        )
        .await
        .unwrap();
    for client in [&mut a, &mut b] {
        let m = &client
            .next_call_where(GET, |args| args[0]["content"] == "hi all")
            .await[0];
        assert_eq!(m["groupId"], group.to_string());
        assert_eq!(m["messageId"], sent);
        assert_eq!(m["toUserId"], Value::Null);
    }
    let frame = c.next_of("message").await;
    assert_eq!(frame["message"]["messageId"], sent);
    app.stop().await;
}

#[actix_rt::test]
async fn hub_refuses_bad_calls_the_way_signalr_does() {
    if !node_ready("hub_bad_calls") {
        return;
    }
    let db = TestDb::new(Backend::Sqlite, "hub_bad_calls").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let (alice, token) = app.user(&unique("alice")).await;

    // Without a token neither negotiate nor the socket opens.
    let mut bad = HubClient::new(&app.base, "not-a-token", json!({})).await;
    let failed = bad.start().await;
    assert_eq!(failed["event"], "start-failed");
    assert!(
        failed["error"].as_str().unwrap().contains("401"),
        "{failed}"
    );

    let mut a = HubClient::connected(&app.base, &token, json!({})).await;
    assert_eq!(
        a.invoke("nosuch", json!([])).await,
        Err("Unknown hub method 'nosuch'".into())
    );
    let binding = "Failed to invoke 'send' due to an error on the server.";
    assert_eq!(a.invoke("send", json!([])).await, Err(binding.into()));
    assert_eq!(a.invoke("send", json!([1, 2])).await, Err(binding.into()));
    assert_eq!(
        a.invoke("send", json!([{"toUserId": "not-a-guid", "content": "x"}]))
            .await,
        Err(binding.into())
    );
    // Method names match case-insensitively, as on .NET.
    assert_eq!(
        a.invoke(
            "SEND",
            json!([chat_message(&alice, None, None, "to nobody")])
        )
        .await,
        Ok(json!(""))
    );
    let notice = &a.next_call(GET).await[0];
    assert_eq!(
        notice["content"],
        "Sending the message failed: the user does not exist or is deactivated!"
    );
    // Still connected after all of it.
    assert_eq!(
        a.invoke("read", json!([{"messageId": "1"}])).await,
        Ok(Value::Null)
    );
    app.stop().await;
}

#[actix_rt::test]
async fn skip_negotiation_and_automatic_reconnect_after_a_restart() {
    if !node_ready("hub_reconnect") {
        return;
    }
    let db = TestDb::new(Backend::Sqlite, "hub_reconnect").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let (alice, alice_token) = app.user(&unique("alice")).await;
    let (bob, bob_token) = app.user(&unique("bob")).await;
    app.befriend(&alice, &bob).await;

    let options = json!({"reconnectDelays": [0, 200, 500, 1000, 1000, 1000, 2000, 2000, 5000]});
    let mut a = HubClient::connected(&app.base, &alice_token, options).await;
    let mut b = HubClient::connected(
        &app.base,
        &bob_token,
        json!({"skipNegotiation": true, "reconnectDelays": [0, 200, 500, 1000, 1000, 1000, 2000, 2000, 5000]}),
    )
    .await;
    a.invoke(
        "send",
        json!([chat_message(&alice, Some(&bob), None, "before")]),
    )
    .await
    .unwrap();
    assert_eq!(b.next_call(GET).await[0]["content"], "before");

    // The server restarts on the same address and database.
    let address = app.base.trim_start_matches("http://").to_string();
    app.stop().await;
    a.next_event("reconnecting").await;
    let mut config = db.config();
    config.node.listen = address;
    let app = TestApp::start(config).await;
    let back = a.next_event("reconnected").await;
    assert!(back["connectionId"].is_string(), "{back}");
    b.next_event("reconnected").await;

    a.invoke(
        "send",
        json!([chat_message(&alice, Some(&bob), None, "after")]),
    )
    .await
    .unwrap();
    assert_eq!(b.next_call(GET).await[0]["content"], "after");
    app.stop().await;
}

const GET: &str = "get-chat-message";
const RECALL: &str = "recall-chat-message";
const ONLINE: &str = "on-user-onlined";
const OFFLINE: &str = "on-user-offlined";

#[actix_rt::test]
async fn negotiate_and_the_wire_protocol() {
    let db = TestDb::new(Backend::Sqlite, "hub_wire").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let (_, token) = app.user(&unique("alice")).await;
    let negotiate = |version: &'static str, token: Option<String>| {
        let app = &app;
        async move {
            app.call(
                "POST",
                &format!("/signalr-hubs/messages/negotiate{version}"),
                token.as_deref(),
                None,
            )
            .await
        }
    };
    assert_eq!(negotiate("?negotiateVersion=1", None).await.0, 401);
    let (status, v1) = negotiate("?negotiateVersion=1", Some(token.clone())).await;
    assert_eq!(status, 200);
    assert_eq!(v1["negotiateVersion"], 1);
    assert_eq!(v1["availableTransports"][0]["transport"], "WebSockets");
    let connection_token = v1["connectionToken"].as_str().unwrap().to_string();
    assert_ne!(v1["connectionId"], v1["connectionToken"]);
    let (_, v0) = negotiate("", Some(token.clone())).await;
    assert_eq!(v0["negotiateVersion"], 0);
    assert!(v0.get("connectionToken").is_none(), "{v0}");

    // The socket: an unknown id is 404, a second socket for one id 409, no token 401.
    assert_eq!(
        RawHub::open(&app, &format!("id=nosuch&access_token={token}"))
            .await
            .err(),
        Some(404)
    );
    assert_eq!(RawHub::open(&app, "").await.err(), Some(401));
    let query = format!("id={connection_token}&access_token={token}");
    let mut hub = RawHub::open(&app, &query).await.ok().unwrap();
    assert_eq!(RawHub::open(&app, &query).await.err(), Some(409));

    // Handshake, then several records in one frame, each answered.
    hub.send("{\"protocol\":\"json\",\"version\":1}\u{1e}")
        .await;
    assert_eq!(hub.next().await, Some(json!({})));
    hub.send(concat!(
        "{\"type\":6}\u{1e}",
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"nope\",\"arguments\":[]}\u{1e}",
        "{\"type\":1,\"invocationId\":\"2\",\"target\":\"read\",\"arguments\":[{\"messageId\":\"5\"}]}\u{1e}",
    ))
    .await;
    let first = hub.next().await.unwrap();
    assert_eq!(
        first,
        json!({"type": 3, "invocationId": "1", "error": "Unknown hub method 'nope'"})
    );
    let second = hub.next().await.unwrap();
    assert_eq!(second, json!({"type": 3, "invocationId": "2"}));
    // A record split across two frames is put back together.
    hub.send("{\"type\":1,\"invocationId\":\"3\",").await;
    hub.send("\"target\":\"read\",\"arguments\":[{}]}\u{1e}")
        .await;
    assert_eq!(
        hub.next().await,
        Some(json!({"type": 3, "invocationId": "3"}))
    );
    // Oversize: a Close record with the error, then the socket closes.
    let big = format!(
        "{{\"type\":1,\"target\":\"send\",\"arguments\":[{{\"content\":\"{}\"}}]}}\u{1e}",
        "x".repeat(40 * 1024)
    );
    hub.send(&big).await;
    let close = hub.next().await.unwrap();
    assert_eq!(close["type"], 7);
    assert!(
        close["error"]
            .as_str()
            .unwrap()
            .contains("maximum message size"),
        "{close}"
    );
    assert_eq!(hub.next().await, None);

    // skipNegotiation (no id); a wrong protocol in the handshake is refused and closed.
    let mut hub = RawHub::open(&app, &format!("access_token={token}"))
        .await
        .ok()
        .unwrap();
    hub.send("{\"protocol\":\"messagepack\",\"version\":1}\u{1e}")
        .await;
    assert_eq!(
        hub.next().await,
        Some(json!({"error": "Requested protocol 'messagepack' is not available."}))
    );
    assert_eq!(hub.next().await, None);
    // A first record that is not a handshake is refused too.
    let mut hub = RawHub::open(&app, &format!("access_token={token}"))
        .await
        .ok()
        .unwrap();
    hub.send("{\"type\":6}\u{1e}").await;
    let refused = hub.next().await.unwrap();
    assert!(refused["error"].is_string(), "{refused}");
    assert_eq!(hub.next().await, None);
    // Garbage after the handshake closes with an error, and the pod is fine.
    let mut hub = RawHub::open(&app, &format!("access_token={token}"))
        .await
        .ok()
        .unwrap();
    hub.send("{\"protocol\":\"json\",\"version\":1}\u{1e}")
        .await;
    assert_eq!(hub.next().await, Some(json!({})));
    hub.send("not json\u{1e}").await;
    assert_eq!(hub.next().await.unwrap()["type"], 7);
    assert_eq!(hub.next().await, None);
    assert_eq!(app.call("GET", "/health", None, None).await.0, 200);
    app.stop().await;
}

/// SignalR's keep-alive, handshake timeout and client timeout follow `heartbeat_seconds`
/// (15, 15 and 30 s by default); at 1 s they can be watched.
#[actix_rt::test]
async fn the_hub_pings_and_closes_silent_or_unshaken_connections() {
    let db = TestDb::new(Backend::Sqlite, "hub_timeouts").await.unwrap();
    let mut config = db.config();
    config.limits.heartbeat_seconds = 1;
    let app = TestApp::start(config).await;
    let (_, token) = app.user(&unique("quiet")).await;
    let query = format!("access_token={token}");
    let handshake = "{\"protocol\":\"json\",\"version\":1}\u{1e}";

    // No handshake: closed without a single record.
    let mut unshaken = RawHub::open(&app, &query).await.ok().unwrap();
    assert_eq!(unshaken.records().await, None);

    // Handshaken but silent: pings, then a Close record saying why, then the socket closes.
    let mut silent = RawHub::open(&app, &query).await.ok().unwrap();
    silent.send(handshake).await;
    assert_eq!(silent.next().await, Some(json!({})));
    let mut pings = 0;
    let close = loop {
        let records = silent
            .records()
            .await
            .expect("a Close record before the socket closes");
        pings += records.iter().filter(|r| r["type"] == 6).count();
        if let Some(close) = records.into_iter().find(|r| r["type"] != 6) {
            break close;
        }
    };
    assert!(pings >= 1, "pings came before the timeout");
    assert_eq!(close["type"], 7);
    assert_eq!(close["error"], "Client timeout elapsed.");
    assert_eq!(silent.records().await, None);

    // A client answering every ping stays well past the client timeout (2 s).
    let mut live = RawHub::open(&app, &query).await.ok().unwrap();
    live.send(handshake).await;
    assert_eq!(live.next().await, Some(json!({})));
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(5) {
        let records = live.records().await.expect("a live client stays open");
        assert!(records.iter().all(|r| r["type"] == 6), "{records:?}");
        live.send("{\"type\":6}\u{1e}").await;
    }
    app.stop().await;
}

#[actix_rt::test]
async fn a_hub_client_and_a_native_client_chat_across_pods() {
    if !node_ready("hub_across_pods") {
        return;
    }
    let Some(cluster) = crate::pods::Cluster::new("hub_across_pods").await else {
        return;
    };
    let (p1, p2) = (cluster.pod(1).await, cluster.pod(2).await);
    let (alice, at) = p1.user(&unique("alice")).await;
    let (bob, bt) = p2.user(&unique("bob")).await;
    crate::pods::befriend(&p1, (&alice, &at), &p2, (&bob, &bt)).await;
    let mut a = WsClient::connect(&p1, &at).await;
    let mut b = HubClient::connected(&p2.base, &bt, json!({})).await;
    crate::pods::await_online(&[&p1, &p2], &bob, &bt).await;

    let ack = a
        .request(to_user(&bob, "from a native client on pod 1"))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let got = b.next_call(GET).await;
    assert_eq!(got[0]["messageId"], ack["messageId"]);
    assert_eq!(got[0]["formUserId"], alice.as_str());

    let sent = b
        .invoke(
            "send",
            json!([chat_message(
                &bob,
                Some(&alice),
                None,
                "from the hub on pod 2"
            )]),
        )
        .await
        .unwrap();
    let frame = a.next_of("message").await;
    assert_eq!(frame["message"]["messageId"], sent);
    assert_eq!(frame["message"]["content"], "from the hub on pod 2");

    // The hub client's presence crosses pods too.
    b.stop().await;
    loop {
        let p = a.next_of("presence").await;
        if p["userId"] == bob.as_str() && p["online"] == false {
            break;
        }
    }
}

/// `typing`, this product's extension to the hub: the private-send rule applies as on `/ws`.
#[actix_rt::test]
async fn hub_typing_follows_the_private_send_rule() {
    let db = TestDb::new(Backend::Sqlite, "hub_typing").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let (bob, bob_token) = app.user(&unique("bob")).await;
    let (friend, friend_token) = app.user(&unique("fred")).await;
    let (_, stranger_token) = app.user(&unique("stan")).await;
    app.befriend(&bob, &friend).await;
    let mut bob_ws = crate::ws::WsClient::connect(&app, &bob_token).await;
    let handshake = "{\"protocol\":\"json\",\"version\":1}\u{1e}";
    let typing = |id: &str| {
        format!(
            "{}\u{1e}",
            json!({"type": 1, "invocationId": id, "target": "typing", "arguments": [{"toUserId": bob}]})
        )
    };
    let mut stranger = RawHub::open(&app, &format!("access_token={stranger_token}"))
        .await
        .ok()
        .unwrap();
    stranger.send(handshake).await;
    assert_eq!(stranger.next().await, Some(json!({})));
    stranger.send(&typing("1")).await;
    let refused = stranger.next().await.unwrap();
    assert_eq!(refused["type"], 3, "{refused}");
    assert!(
        refused["error"]
            .as_str()
            .unwrap_or_default()
            .contains("03403"),
        "{refused}"
    );
    let mut hub = RawHub::open(&app, &format!("access_token={friend_token}"))
        .await
        .ok()
        .unwrap();
    hub.send(handshake).await;
    assert_eq!(hub.next().await, Some(json!({})));
    hub.send(&typing("2")).await;
    let done = hub.next().await.unwrap();
    assert_eq!(
        (done["type"].clone(), done["error"].clone()),
        (json!(3), Value::Null),
        "{done}"
    );
    let seen = bob_ws.next_of("typing").await;
    assert_eq!(seen["userId"], friend.as_str(), "{seen}");
    app.stop().await;
}

/// A hub client that says goodbye (a Close record) is let go at once: the server ends the
/// connection right after its close frame, as on `/ws`.
#[actix_rt::test]
async fn a_closing_hub_client_is_let_go_at_once() {
    let db = TestDb::new(Backend::Sqlite, "hub_close_prompt")
        .await
        .unwrap();
    let app = TestApp::start(db.config()).await;
    let (_, token) = app.user(&unique("leaver")).await;
    let mut hub = RawHub::joined(&app, &token).await;
    hub.send("{\"type\":7}\u{1e}").await;
    let within = std::time::Duration::from_millis(500);
    assert!(
        hub.ended_within(within).await,
        "the connection ends within 500 ms of the Close record"
    );
    app.stop().await;
}
