//! One way in: each request is carried out once (`requests::submit`) whichever protocol
//! brought it, so the same input gets the same answer on the WebSocket, the SignalR hub and
//! HTTP, each in its own form. These tests ask the same thing on all three and compare.

use serde_json::{json, Value};

use crate::helpers::{unique, Backend, TestApp, TestDb};
use crate::raw_hub::RawHub;
use crate::ws::{to_user, WsClient};

/// The ids of a sync page's messages.
fn ids(page: &Value) -> Vec<String> {
    page["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("a page: {page}"))
        .iter()
        .map(|m| m["messageId"].as_str().unwrap().to_string())
        .collect()
}

#[actix_rt::test]
async fn sync_serves_the_same_pages_on_every_protocol() {
    let db = TestDb::new(Backend::Sqlite, "sync_everywhere")
        .await
        .unwrap();
    let app = TestApp::start(db.config()).await;
    let (alice, alice_token) = app.user(&unique("alice")).await;
    let (bob, bob_token) = app.user(&unique("bob")).await;
    app.befriend(&alice, &bob).await;
    let mut a = WsClient::connect(&app, &alice_token).await;
    let mut sent = Vec::new();
    for i in 0..3 {
        let ack = a.request(to_user(&bob, &format!("m{i}"))).await;
        sent.push(ack["messageId"].as_str().unwrap().to_string());
    }

    let mut b = WsClient::connect(&app, &bob_token).await;
    let native = b.request(json!({"type": "sync", "limit": 2})).await;
    assert_eq!(
        (ids(&native), native["more"].clone()),
        (sent[..2].to_vec(), json!(true))
    );

    let mut hub = RawHub::joined(&app, &bob_token).await;
    let (done, _) = hub.invoke("1", "sync", json!([null, 2])).await;
    let over_hub = &done["result"];
    assert_eq!(ids(over_hub), sent[..2], "{done}");
    assert_eq!(over_hub["next"], native["next"]);

    let (status, over_http) = app
        .call("GET", "/api/im/chat/sync?limit=2", Some(&bob_token), None)
        .await;
    assert_eq!(status, 200, "{over_http}");
    assert_eq!(
        (ids(&over_http), &over_http["next"]),
        (sent[..2].to_vec(), &native["next"])
    );

    // A cursor one protocol gave serves the next page on another.
    let next = native["next"].as_str().unwrap();
    let (done, _) = hub.invoke("2", "sync", json!([next])).await;
    assert_eq!(ids(&done["result"]), sent[2..], "{done}");
    assert_eq!(done["result"]["more"], false);
    let (_, rest) = app
        .call(
            "GET",
            &format!("/api/im/chat/sync?after={next}"),
            Some(&bob_token),
            None,
        )
        .await;
    assert_eq!(ids(&rest), sent[2..]);
    app.stop().await;
}

#[actix_rt::test]
async fn the_same_input_gets_the_same_code_on_every_protocol() {
    let db = TestDb::new(Backend::Sqlite, "same_code").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let (bob, _) = app.user(&unique("bob")).await;
    let (_, stranger_token) = app.user(&unique("stan")).await;
    let mut ws = WsClient::connect(&app, &stranger_token).await;
    let mut hub = RawHub::joined(&app, &stranger_token).await;
    let http = |method: &'static str, path: String, body: Option<Value>| {
        let (app, token) = (&app, stranger_token.clone());
        async move { app.call(method, &path, Some(&token), body).await }
    };

    // A stranger's message: ABP's 03403 everywhere (the hub, as ABP does, as a notice).
    assert_eq!(ws.request(to_user(&bob, "hi")).await["code"], "03403");
    let (status, body) = http(
        "POST",
        "/api/im/chat/send-message".into(),
        Some(json!({"toUserId": bob, "content": "hi"})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (403, json!("03403"))
    );
    let (done, notices) = hub
        .invoke("1", "send", json!([{"toUserId": bob, "content": "hi"}]))
        .await;
    assert_eq!(done["result"], "", "{done}");
    let notice = &notices[0]["arguments"][0];
    assert_eq!(
        notice["content"],
        "Sending the message failed: the person needs to agree to add a friend!"
    );

    // No message by that id: IM:NotFound everywhere.
    assert_eq!(
        ws.request(json!({"type": "recall", "messageId": "42"}))
            .await["code"],
        "IM:NotFound"
    );
    let (status, body) = http("POST", "/api/im/chat/messages/42/recall".into(), None).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (404, json!("IM:NotFound"))
    );
    let (done, _) = hub
        .invoke("2", "recall", json!([{"messageId": "42"}]))
        .await;
    assert!(
        done["error"].as_str().unwrap().contains("IM:NotFound"),
        "{done}"
    );

    // Typing to a stranger: the code a send gets.
    assert_eq!(
        ws.request(json!({"type": "typing", "toUserId": bob})).await["code"],
        "03403"
    );
    let (done, _) = hub.invoke("3", "typing", json!([{"toUserId": bob}])).await;
    assert!(done["error"].as_str().unwrap().contains("03403"), "{done}");

    // A cursor this server never gave, and a client id too long: refused before anything runs,
    // as a bad frame (HTTP's form of it is 400 naming the field).
    assert_eq!(
        ws.request(json!({"type": "sync", "after": "nope"})).await["code"],
        "IM:BadFrame"
    );
    let (done, _) = hub.invoke("4", "sync", json!(["nope"])).await;
    assert!(
        done["error"].as_str().unwrap().contains("IM:BadFrame"),
        "{done}"
    );
    let (status, body) = http("GET", "/api/im/chat/sync?after=nope".into(), None).await;
    assert_eq!(
        (
            status,
            body["error"]["validationErrors"][0]["members"][0].clone()
        ),
        (400, json!("after"))
    );
    let long = "k".repeat(65);
    let frame = json!({"type": "send", "toUserId": bob, "content": "x", "clientMsgId": long});
    assert_eq!(ws.request(frame).await["code"], "IM:BadFrame");
    let (status, body) = http(
        "POST",
        "/api/im/chat/send-message".into(),
        Some(json!({"toUserId": bob, "content": "x", "clientMsgId": long})),
    )
    .await;
    assert_eq!(
        (
            status,
            body["error"]["validationErrors"][0]["members"][0].clone()
        ),
        (400, json!("clientMsgId"))
    );

    // Not exactly one target.
    let both = json!({"type": "send", "toUserId": bob, "groupId": "1", "content": "x"});
    assert_eq!(ws.request(both).await["code"], "IM:BadFrame");
    let (status, _) = http(
        "POST",
        "/api/im/chat/send-message".into(),
        Some(json!({"content": "x"})),
    )
    .await;
    assert_eq!(status, 400);
    app.stop().await;
}
