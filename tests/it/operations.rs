//! Message operations as their users see them: an edit, a reply, reactions, "delete for me"
//! and read positions reach every device they concern, show in history, and reach a client
//! that was away through `sync` (its change feed); on the native protocol, the hub and HTTP.

use serde_json::{json, Value};

use crate::helpers::{unique, Backend, TestApp, TestDb};
use crate::on_both_databases;
use crate::raw_hub::RawHub;
use crate::ws::{to_user, WsClient};

/// A message of a sync or history list by id.
fn find<'a>(list: &'a Value, id: &Value) -> Option<&'a Value> {
    list.as_array()?.iter().find(|m| m["messageId"] == *id)
}

/// The `next` cursor of a sync from `after` (none: the beginning) and its page.
async fn sync(c: &mut WsClient, after: Option<&Value>) -> Value {
    let mut frame = json!({"type": "sync", "limit": 1000});
    if let Some(a) = after {
        frame["after"] = a.clone();
    }
    let page = c.request(frame).await;
    assert_eq!(page["type"], "sync", "{page}");
    page
}

on_both_databases!(
    edits_replies_reactions_and_hides_reach_every_device_and_sync,
    |db: TestDb| async move {
        let app = TestApp::start(db.config()).await;
        let (alice, at) = app.user(&unique("alice")).await;
        let (bob, bt) = app.user(&unique("bob")).await;
        app.befriend(&alice, &bob).await;
        let mut a1 = WsClient::connect(&app, &at).await;
        let mut a2 = WsClient::connect(&app, &at).await;
        let mut b = WsClient::connect(&app, &bt).await;

        let first = a1.request(to_user(&bob, "hello there")).await;
        let m1 = first["messageId"].clone();
        b.next_of("message").await;
        let before_changes = sync(&mut b, None).await["next"].clone();

        // A reply carries its target and a preview of it, live and in history.
        let mut reply = to_user(&alice, "hi!");
        reply["replyTo"] = m1.clone();
        let ack = b.request(reply).await;
        assert_eq!(ack["type"], "ack", "{ack}");
        let m2 = ack["messageId"].clone();
        let live = loop {
            let m = a2.next_of("message").await;
            if m["message"]["messageId"] == m2 {
                break m;
            }
        };
        assert_eq!(live["message"]["replyTo"], m1);
        assert_eq!(live["message"]["replyPreview"]["snippet"], "hello there");
        assert_eq!(
            live["message"]["replyPreview"]["fromUserId"],
            alice.as_str()
        );

        // A reply to a message of another conversation does not exist for the sender.
        let (carol, ct) = app.user(&unique("carol")).await;
        app.befriend(&carol, &alice).await;
        let mut c = WsClient::connect(&app, &ct).await;
        let mut astray = to_user(&alice, "me too");
        astray["replyTo"] = m1.clone();
        assert_eq!(c.request(astray).await["code"], "IM:NotFound");

        // Only the sender edits; every device of both hears it, the sender's other one too.
        let edit = json!({"type": "edit", "messageId": m1, "content": "hello, edited"});
        assert_eq!(b.request(edit.clone()).await["code"], "IM:Forbidden");
        assert_eq!(c.request(edit.clone()).await["code"], "IM:NotFound");
        let edited = a1.request(edit).await;
        assert_eq!(
            (edited["type"].as_str(), edited["editVersion"].as_i64()),
            (Some("ack"), Some(1)),
            "{edited}"
        );
        for device in [&mut a2, &mut b] {
            let e = device.next_of("edited").await;
            assert_eq!(
                (
                    &e["messageId"],
                    e["content"].as_str(),
                    e["editVersion"].as_i64()
                ),
                (&m1, Some("hello, edited"), Some(1))
            );
        }
        let empty = json!({"type": "edit", "messageId": m1, "content": ""});
        assert_eq!(a1.request(empty).await["code"], "01400");

        // Reactions: idempotent, counted, limited, heard by both parties.
        let react = |emoji: &str, add: bool| json!({"type": "react", "messageId": m1, "emoji": emoji, "add": add});
        assert_eq!(b.request(react("👍", true)).await["type"], "ack");
        let r = a1.next_of("reaction").await;
        assert_eq!(
            (
                r["emoji"].as_str(),
                r["count"].as_u64(),
                r["added"].as_bool()
            ),
            (Some("👍"), Some(1), Some(true)),
            "{r}"
        );
        assert_eq!(r["userId"], bob.as_str());
        assert_eq!(b.request(react("👍", true)).await["type"], "ack");
        assert_eq!(a1.request(react("👍", true)).await["type"], "ack");
        assert_eq!(a2.next_of("reaction").await["count"], 1, "bob's, first");
        assert_eq!(a2.next_of("reaction").await["count"], 2, "then alice's");
        for emoji in [":party:", "🎉"] {
            assert_eq!(b.request(react(emoji, true)).await["type"], "ack");
        }
        let fourth = b.request(react("🔥", true)).await;
        assert_eq!(fourth["code"], "IM:Conflict", "{fourth}");
        assert_eq!(b.request(react(":party:", false)).await["type"], "ack");
        assert_eq!(b.request(react("🔥", true)).await["type"], "ack");
        assert_eq!(b.request(react("ab", true)).await["code"], "IM:BadFrame");
        assert_eq!(
            c.request(react("👍", true)).await["code"],
            "IM:NotFound",
            "not carol's conversation"
        );

        // Read positions: the reader's other devices hear it too.
        assert_eq!(
            a1.request(json!({"type": "read", "messageId": m2})).await["type"],
            "ack"
        );
        let read = a2.next_of("read").await;
        assert_eq!(
            (&read["messageId"], read["peerUserId"].as_str()),
            (&m2, Some(bob.as_str()))
        );

        // Delete for me: gone from alice's history on every device, not from bob's.
        let before_hide = sync(&mut a2, None).await["next"].clone();
        let hidden = a1.request(json!({"type": "hide", "messageId": m2})).await;
        assert_eq!(hidden["type"], "ack", "{hidden}");
        assert_eq!(a2.next_of("hidden").await["messageId"], m2);
        let path = |peer: &str| format!("/api/im/chat/my-messages?receiveUserId={peer}");
        let (_, mine) = app.call("GET", &path(&bob), Some(&at), None).await;
        assert!(find(&mine["items"], &m2).is_none(), "{mine}");
        let shown = find(&mine["items"], &m1)
            .expect("the edited message")
            .clone();
        assert_eq!(
            (shown["content"].as_str(), shown["editVersion"].as_i64()),
            (Some("hello, edited"), Some(1))
        );
        assert_eq!(
            shown["reactions"],
            json!([{"emoji": "👍", "count": 2, "me": true},
                   {"emoji": "🎉", "count": 1, "me": false},
                   {"emoji": "🔥", "count": 1, "me": false}])
        );
        let (_, theirs) = app.call("GET", &path(&alice), Some(&bt), None).await;
        let kept = find(&theirs["items"], &m2).expect("bob still has his reply");
        assert_eq!(kept["replyPreview"]["snippet"], "hello, edited");
        let (_, list) = app
            .call("GET", "/api/im/chat/my-last-messages", Some(&at), None)
            .await;
        let with_bob = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| {
                c["object"].as_str().is_some()
                    && (c["toUserId"] == bob.as_str() || c["fromUserId"] == bob.as_str())
            })
            .expect("the conversation with bob");
        assert_eq!(
            with_bob["messageId"], m1,
            "the last message alice did not hide"
        );

        // Away meanwhile: bob's sync after his cursor carries the edit and the reactions as
        // the message is now; alice's carries the hide.
        let page = sync(&mut b, Some(&before_changes)).await;
        assert!(find(&page["messages"], &m2).is_some(), "{page}");
        let changed = find(&page["changes"], &m1).expect("m1 changed");
        assert_eq!(changed["content"], "hello, edited");
        assert_eq!(changed["reactions"][0]["me"], true, "bob reacted with it");
        let page = sync(&mut a2, Some(&before_hide)).await;
        assert_eq!(page["hidden"], json!([m2]), "{page}");
        let again = sync(&mut a2, Some(&page["next"])).await;
        assert_eq!(
            (
                again["changes"].as_array().map(Vec::len),
                again["hidden"].as_array().map(Vec::len)
            ),
            (Some(0), Some(0)),
            "nothing twice: {again}"
        );

        // A recall is a change too, and a recalled message is edited no more.
        let third = a1.request(to_user(&bob, "oops")).await;
        let m3 = third["messageId"].clone();
        let cursor = sync(&mut b, None).await["next"].clone();
        let recall = json!({"type": "recall", "messageId": m3});
        assert_eq!(a1.request(recall).await["type"], "ack");
        let page = sync(&mut b, Some(&cursor)).await;
        let gone = find(&page["changes"], &m3).expect("the recall");
        assert_eq!(
            (gone["state"].as_i64(), gone["content"].as_str()),
            (Some(10), Some(""))
        );
        let late = json!({"type": "edit", "messageId": m3, "content": "x"});
        assert_eq!(a1.request(late).await["code"], "IM:Conflict");
        let late = json!({"type": "react", "messageId": m3, "emoji": "👍"});
        assert_eq!(b.request(late).await["code"], "IM:Conflict");
        app.stop().await;
    }
);

#[actix_rt::test]
async fn operations_on_the_hub_and_over_http() {
    let db = TestDb::new(Backend::Sqlite, "operations_hub_http")
        .await
        .unwrap();
    let app = TestApp::start(db.config()).await;
    let (alice, at) = app.user(&unique("alice")).await;
    let (bob, bt) = app.user(&unique("bob")).await;
    app.befriend(&alice, &bob).await;
    let mut hub = RawHub::joined(&app, &bt).await;
    let (status, sent) = app
        .call(
            "POST",
            "/api/im/chat/send-message",
            Some(&at),
            Some(json!({"toUserId": bob, "content": "first"})),
        )
        .await;
    assert_eq!(status, 200, "{sent}");
    let id = sent["messageId"].clone();
    let id_text = id.as_str().unwrap().to_string();

    // HTTP: edit, react, list who reacted.
    let (status, edited) = app
        .call(
            "PUT",
            &format!("/api/im/chat/messages/{id_text}"),
            Some(&at),
            Some(json!({"content": "first, edited"})),
        )
        .await;
    assert_eq!(
        (status, edited["editVersion"].as_i64()),
        (200, Some(1)),
        "{edited}"
    );
    let (status, _) = app
        .call(
            "PUT",
            &format!("/api/im/chat/messages/{id_text}"),
            Some(&bt),
            Some(json!({"content": "not mine"})),
        )
        .await;
    assert_eq!(status, 403);
    // The hub hears the edit under its callback.
    let call = loop {
        let record = hub.next().await.expect("a record");
        if record["target"] == "edit-chat-message" {
            break record;
        }
    };
    assert_eq!(call["arguments"][0]["content"], "first, edited", "{call}");

    // The hub: react (its answer; alice hears it over HTTP's list), hide.
    let (done, _) = hub.invoke("1", "react", json!([id, "👍"])).await;
    assert!(done["error"].is_null(), "{done}");
    let (done, _) = hub.invoke("2", "react", json!([id, "no"])).await;
    assert!(
        done["error"].as_str().unwrap().contains("IM:BadFrame"),
        "{done}"
    );
    let (status, body) = app
        .call(
            "POST",
            &format!("/api/im/chat/messages/{id_text}/reactions"),
            Some(&at),
            Some(json!({"emoji": ":ok:"})),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (status, who) = app
        .call(
            "GET",
            &format!("/api/im/chat/messages/{id_text}/reactions?emoji=%F0%9F%91%8D"),
            Some(&at),
            None,
        )
        .await;
    assert_eq!(status, 200, "{who}");
    assert_eq!(who["totalCount"], 1);
    assert_eq!(who["items"][0]["userId"], bob.as_str());
    let (stranger, st) = app.user(&unique("stan")).await;
    let _ = stranger;
    let (status, _) = app
        .call(
            "GET",
            &format!("/api/im/chat/messages/{id_text}/reactions"),
            Some(&st),
            None,
        )
        .await;
    assert_eq!(status, 404, "a stranger learns nothing of it");
    let (done, _) = hub.invoke("3", "edit", json!([id, "by bob"])).await;
    assert!(
        done["error"].as_str().unwrap().contains("IM:Forbidden"),
        "{done}"
    );
    let (done, _) = hub.invoke("4", "hide", json!([id])).await;
    assert!(done["error"].is_null(), "{done}");
    let (_, page) = app.call("GET", "/api/im/chat/sync", Some(&bt), None).await;
    assert!(
        find(&page["messages"], &id).is_none(),
        "hidden for bob: {page}"
    );
    let (_, page) = app.call("GET", "/api/im/chat/sync", Some(&at), None).await;
    let kept = find(&page["messages"], &id).expect("alice keeps it");
    assert_eq!(
        kept["reactions"].as_array().map(Vec::len),
        Some(2),
        "{kept}"
    );
    let (status, _) = app
        .call(
            "POST",
            &format!("/api/im/chat/messages/{id_text}/hide"),
            Some(&at),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (done, _) = hub.invoke("5", "sync", json!([])).await;
    assert!(done["result"]["hidden"].is_array(), "{done}");
    app.stop().await;
}

on_both_databases!(
    at_most_twenty_emoji_on_a_message_however_many_react_at_once,
    |db: TestDb| async move {
        let app = TestApp::start(db.config()).await;
        let (owner, ot) = app.user(&unique("owner")).await;
        let mut members = Vec::new();
        for i in 0..24 {
            members.push(app.user(&unique(&format!("m{i}"))).await);
        }
        let ids: Vec<&str> = members.iter().map(|(id, _)| id.as_str()).collect();
        let group = app.group(&owner, &ids).await;
        let (status, sent) = app
            .call(
                "POST",
                "/api/im/chat/send-message",
                Some(&ot),
                Some(json!({"groupId": group.to_string(), "content": "react!"})),
            )
            .await;
        assert_eq!(status, 200, "{sent}");
        let id = sent["messageId"].as_str().unwrap().to_string();
        let path = format!("/api/im/chat/messages/{id}/reactions");
        let reactions = members.iter().enumerate().map(|(i, (_, token))| {
            let emoji = char::from_u32(0x1F600 + i as u32).unwrap().to_string();
            let (app, path) = (&app, &path);
            async move {
                app.call("POST", path, Some(token), Some(json!({"emoji": emoji})))
                    .await
                    .0
            }
        });
        let statuses = futures_util::future::join_all(reactions).await;
        let done = statuses.iter().filter(|s| **s == 204).count();
        let refused = statuses.iter().filter(|s| **s == 409).count();
        assert_eq!((done, refused), (20, 4), "{statuses:?}");
        let (_, who) = app.call("GET", &path, Some(&ot), None).await;
        assert_eq!(who["totalCount"], 20);
        app.stop().await;
    }
);
