//! Retention: messages older than the cutoff go, with their reactions and media references,
//! from history, sync, search and the conversation list, and the counters they were counted in
//! (history's total, unread counts) go down with them; newer messages stay.

use serde_json::{json, Value};

use crate::helpers::{unique, TestApp, TestDb};
use crate::media::{png, upload};
use crate::on_both_databases;
use crate::ws::WsClient;

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let (status, body) = app.call("GET", path, Some(token), None).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

fn unread_from(list: &Value, peer: &str) -> Option<u64> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["groupId"].is_null() && (c["fromUserId"] == peer || c["toUserId"] == peer))
        .map(|c| c["unreadCount"].as_u64().unwrap())
}

on_both_databases!(
    old_messages_go_with_what_hangs_on_them,
    |db: TestDb| async move {
        let mut config = db.config();
        config.retention.message_days = 30;
        config.retention.batch_size = 2; // several batches
        let app = TestApp::start(config).await;
        let (alice, at) = app.user(&unique("alice")).await;
        let (bob, bt) = app.user(&unique("bob")).await;
        let (carol, _) = app.user(&unique("carol")).await;
        app.befriend(&alice, &bob).await;
        app.befriend(&alice, &carol).await;
        let group = app.group(&alice, &[&bob]).await.to_string();
        let mut a = WsClient::connect(&app, &at).await;

        // The old messages: three texts and a picture to bob, one to carol, two in the group;
        // alice reacts to one.
        let mut old = Vec::new();
        for i in 0..3 {
            let ack = a
                .request(
                    json!({"type": "send", "toUserId": bob, "content": format!("old words {i}")}),
                )
                .await;
            assert_eq!(ack["type"], "ack", "{ack}");
            old.push(ack["messageId"].as_str().unwrap().to_string());
        }
        let (_, picture) = upload(&app, &at, "old.png", png(40, 30)).await;
        let picture_id = picture["mediaId"].as_str().unwrap().to_string();
        let ack = a
        .request(json!({"type": "send", "toUserId": bob, "content": "", "messageType": 10, "media": {"mediaId": picture_id}}))
        .await;
        assert_eq!(ack["type"], "ack", "{ack}");
        let ack = a
            .request(json!({"type": "send", "toUserId": carol, "content": "old words for carol"}))
            .await;
        assert_eq!(ack["type"], "ack", "{ack}");
        for i in 0..2 {
            let ack = a.request(json!({"type": "send", "groupId": group, "content": format!("old words in the group {i}")})).await;
            assert_eq!(ack["type"], "ack", "{ack}");
        }
        let ack = a
            .request(json!({"type": "react", "messageId": old[0], "emoji": "👍"}))
            .await;
        assert_eq!(ack["type"], "ack", "{ack}");
        let picture_path = format!("/api/im/media/{picture_id}");
        assert_eq!(
            crate::media::download(&app, &bt, &picture_path, &[])
                .await
                .0,
            200
        );

        let cutoff = chrono::Utc::now();
        while chrono::Utc::now() <= cutoff + chrono::Duration::milliseconds(1) {
            tokio::task::yield_now().await;
        }
        // The new ones.
        for i in 0..2 {
            let ack = a
                .request(
                    json!({"type": "send", "toUserId": bob, "content": format!("new words {i}")}),
                )
                .await;
            assert_eq!(ack["type"], "ack", "{ack}");
        }
        let ack = a
            .request(json!({"type": "send", "groupId": group, "content": "new words in the group"}))
            .await;
        assert_eq!(ack["type"], "ack", "{ack}");
        let bobs_list = get(&app, &bt, "/api/im/chat/my-last-messages").await;
        assert_eq!(unread_from(&bobs_list, &alice), Some(6), "{bobs_list}");

        let gone = imcluster::retention::sweep(&app.state(), cutoff)
            .await
            .unwrap();
        assert_eq!(gone, 7, "four to bob, one to carol, two in the group");

        // History: the new ones, counted right.
        let history = get(
            &app,
            &bt,
            &format!("/api/im/chat/my-messages?receiveUserId={alice}"),
        )
        .await;
        assert_eq!(history["totalCount"], 2, "{history}");
        let contents: Vec<&str> = history["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["content"].as_str().unwrap())
            .collect();
        assert_eq!(contents, ["new words 1", "new words 0"]);
        let history = get(
            &app,
            &at,
            &format!("/api/im/chat/my-messages?receiveUserId={bob}"),
        )
        .await;
        assert_eq!(history["totalCount"], 2, "the sender's side too: {history}");
        let groups = get(
            &app,
            &bt,
            &format!("/api/im/chat/group/messages?groupId={group}"),
        )
        .await;
        assert_eq!(groups["totalCount"], 1, "{groups}");
        // The conversation list: unread counts lowered; a conversation left empty is gone.
        let bobs_list = get(&app, &bt, "/api/im/chat/my-last-messages").await;
        assert_eq!(unread_from(&bobs_list, &alice), Some(2), "{bobs_list}");
        let alices_list = get(&app, &at, "/api/im/chat/my-last-messages").await;
        assert_eq!(unread_from(&alices_list, &carol), None, "{alices_list}");
        // Sync and search see only the new ones; the picture is no longer bob's to read.
        let mut b = WsClient::connect(&app, &bt).await;
        let synced = crate::pods::sync_all(&mut b).await;
        let mut synced: Vec<&str> = synced
            .iter()
            .map(|m| m["content"].as_str().unwrap())
            .collect();
        synced.sort();
        assert_eq!(
            synced,
            ["new words 0", "new words 1", "new words in the group"]
        );
        let found = get(&app, &bt, "/api/im/chat/search?q=words").await;
        assert!(!found.to_string().contains("old words"), "{found}");
        assert!(found.to_string().contains("new words"), "{found}");
        assert_eq!(
            crate::media::download(&app, &bt, &picture_path, &[])
                .await
                .0,
            404
        );

        // Nothing older is left: a second sweep deletes nothing.
        assert_eq!(
            imcluster::retention::sweep(&app.state(), cutoff)
                .await
                .unwrap(),
            0
        );
    }
);
