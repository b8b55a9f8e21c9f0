//! Read receipts as group members see them: in a small group every member hears who read
//! what, at most once a second per reader; the sender and admins can ask who read a message
//! in a group of any size; and a user who keeps their reading to themselves is shown nowhere.

use serde_json::{json, Value};

use crate::helpers::{unique, TestApp, TestDb};
use crate::on_both_databases;
use crate::ws::{to_group, to_user, WsClient};

/// Sends `n` messages to `group` and returns their ids.
async fn send_n(c: &mut WsClient, group: i64, n: usize) -> Vec<Value> {
    let mut ids = Vec::new();
    for i in 0..n {
        let ack = c.request(to_group(group, &format!("m{i}"))).await;
        ids.push(ack["messageId"].clone());
    }
    ids
}

/// Reads up to `id` and expects the ack.
async fn read(c: &mut WsClient, id: &Value) {
    let ack = c.request(json!({"type": "read", "messageId": id})).await;
    assert_eq!(ack["type"], "ack", "{ack}");
}

on_both_databases!(
    group_receipts_are_paced_counted_and_private_when_asked,
    |db: TestDb| async move {
        let mut config = db.config();
        config.limits.receipt_group_max = 3;
        let app = TestApp::start(config).await;
        let (owner, ot) = app.user(&unique("owner")).await;
        let (bob, bt) = app.user(&unique("bob")).await;
        let (carol, ct) = app.user(&unique("carol")).await;
        let (dave, dt) = app.user(&unique("dave")).await;
        let small = app.group(&owner, &[&bob, &carol]).await;
        let large = app.group(&owner, &[&bob, &carol, &dave]).await;
        let mut o = WsClient::connect(&app, &ot).await;
        let mut b = WsClient::connect(&app, &bt).await;
        let mut c = WsClient::connect(&app, &ct).await;

        // A read is heard by the other members, the sender and carol alike.
        let ids = send_n(&mut o, small, 12).await;
        read(&mut b, &ids[0]).await;
        for member in [&mut o, &mut c] {
            let r = member.next_of("read").await;
            assert_eq!(
                (&r["messageId"], r["readerUserId"].as_str()),
                (&ids[0], Some(bob.as_str()))
            );
            assert_eq!(r["groupId"], small.to_string());
        }

        // Ten reads in a row: fewer frames, the last one the furthest read.
        for id in &ids[1..11] {
            read(&mut b, id).await;
        }
        let mut frames = 0;
        loop {
            let r = o.next_of("read").await;
            frames += 1;
            if r["messageId"] == ids[10] {
                break;
            }
        }
        assert!(frames < 10, "{frames} frames for ten reads");

        // Carol keeps her reading to herself: nobody hears it, no count shows it.
        let (_, mut settings) = app
            .call("GET", "/api/im/users/me/settings", Some(&ct), None)
            .await;
        assert_eq!(settings["shareReadReceipts"], true, "{settings}");
        settings["shareReadReceipts"] = json!(false);
        let (status, saved) = app
            .call(
                "PUT",
                "/api/im/users/me/settings",
                Some(&ct),
                Some(settings),
            )
            .await;
        assert_eq!((status, &saved["shareReadReceipts"]), (200, &json!(false)));
        read(&mut c, &ids[11]).await;
        read(&mut b, &ids[11]).await;
        let next = o.next_of("read").await;
        assert_eq!(
            (&next["messageId"], next["readerUserId"].as_str()),
            (&ids[11], Some(bob.as_str())),
            "bob's, not carol's"
        );

        // Who read it: to the sender and admins; bob counts, carol does not show.
        let path = |id: &Value| {
            format!(
                "/api/im/chat/group/messages/{}/readers",
                id.as_str().unwrap()
            )
        };
        let (status, who) = app.call("GET", &path(&ids[0]), Some(&ot), None).await;
        assert_eq!(status, 200, "{who}");
        assert_eq!(
            (who["readCount"].as_u64(), who["memberCount"].as_u64()),
            (Some(1), Some(2)),
            "{who}"
        );
        assert_eq!(who["items"], json!([{"userId": bob}]));
        let (status, _) = app.call("GET", &path(&ids[0]), Some(&bt), None).await;
        assert_eq!(status, 403, "a member who did not send it");
        let (status, _) = app.call("GET", &path(&ids[0]), Some(&dt), None).await;
        assert_eq!(status, 404, "an outsider");

        // A large group pushes nothing and lists nobody, but counts.
        let l1 = o.request(to_group(large, "to many")).await["messageId"].clone();
        read(&mut b, &l1).await;
        let (_, who) = app.call("GET", &path(&l1), Some(&ot), None).await;
        assert_eq!(
            (who["readCount"].as_u64(), who["memberCount"].as_u64()),
            (Some(1), Some(3)),
            "{who}"
        );
        assert!(who.get("items").is_none(), "{who}");
        let s13 = o.request(to_group(small, "again")).await["messageId"].clone();
        read(&mut b, &s13).await;
        let next = o.next_of("read").await;
        assert_eq!(next["messageId"], s13, "none from the large group: {next}");

        // In private too: the sender does not hear carol read.
        app.befriend(&owner, &carol).await;
        app.befriend(&owner, &bob).await;
        let p1 = o.request(to_user(&carol, "private")).await["messageId"].clone();
        let p2 = o.request(to_user(&bob, "private")).await["messageId"].clone();
        read(&mut c, &p1).await;
        read(&mut b, &p2).await;
        let next = o.next_of("read").await;
        assert_eq!(next["messageId"], p2, "bob's: {next}");
        app.stop().await;
    }
);
