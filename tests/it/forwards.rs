//! Forwards and mentions as their users see them: copies arrive in order naming their
//! originals, a retried forward stores nothing twice, and a mention marks the conversation
//! list until the member reads past it; on the native protocol, the hub and HTTP.

use serde_json::{json, Value};

use crate::helpers::{unique, TestApp, TestDb};
use crate::on_both_databases;
use crate::raw_hub::RawHub;
use crate::ws::{to_group, to_user, WsClient};

/// The next `message` frame's message.
async fn next_message(c: &mut WsClient) -> Value {
    c.next_of("message").await["message"].clone()
}

on_both_databases!(
    forwards_copy_in_order_name_their_originals_and_retry_safely,
    |db: TestDb| async move {
        let app = TestApp::start(db.config()).await;
        let (alice, at) = app.user(&unique("alice")).await;
        let (bob, bt) = app.user(&unique("bob")).await;
        let (carol, ct) = app.user(&unique("carol")).await;
        app.befriend(&alice, &bob).await;
        app.befriend(&bob, &carol).await;
        let group = app.group(&alice, &[&bob, &carol]).await;
        let mut a = WsClient::connect(&app, &at).await;
        let mut b = WsClient::connect(&app, &bt).await;
        let mut c = WsClient::connect(&app, &ct).await;

        let m1 = a.request(to_user(&bob, "one")).await["messageId"].clone();
        let mut two = to_user(&alice, "two");
        two["extra"] = json!({"k": "v"});
        let m2 = b.request(two).await["messageId"].clone();
        let m3 = c.request(to_group(group, "three")).await["messageId"].clone();
        let private = c.request(to_user(&bob, "between us")).await["messageId"].clone();

        // Three copies into the group, in the order asked, with one ack.
        let forward = json!({"type": "forward", "messageIds": [m2, m1, m3],
                             "groupId": group.to_string(), "clientMsgId": "fw-1"});
        let ack = a.request(forward.clone()).await;
        assert_eq!(ack["type"], "ack", "{ack}");
        let ids = ack["messageIds"]
            .as_array()
            .expect("the copies' ids")
            .clone();
        assert_eq!(ids.len(), 3);
        let mut copies = Vec::new();
        while copies.len() < 3 {
            let m = next_message(&mut c).await;
            if m["forwardedFrom"].is_object() {
                copies.push(m);
            }
        }
        let order: Vec<&Value> = copies.iter().map(|m| &m["messageId"]).collect();
        assert_eq!(order, ids.iter().collect::<Vec<_>>(), "in the order asked");
        let named: Vec<&Value> = copies
            .iter()
            .map(|m| &m["forwardedFrom"]["messageId"])
            .collect();
        assert_eq!(named, vec![&m2, &m1, &m3]);
        assert_eq!(copies[0]["forwardedFrom"]["fromUserId"], bob.as_str());
        assert_eq!(
            copies[0]["fromUserId"],
            alice.as_str(),
            "alice sent the copy"
        );
        assert_eq!(copies[0]["content"], "two");
        assert_eq!(
            copies[0]["extra"],
            json!({"k": "v"}),
            "the client's extra travels"
        );

        // Retried with its key, the forward stores nothing new.
        let again = a.request(forward).await;
        assert_eq!(again["messageIds"], json!(ids), "{again}");

        // A copy of a copy names the first original.
        let chain = json!({"type": "forward", "messageIds": [ids[0]], "toUserId": bob});
        let ack = a.request(chain).await;
        let copy = loop {
            let m = next_message(&mut b).await;
            if m["messageId"] == ack["messageIds"][0] {
                break m;
            }
        };
        assert_eq!(copy["forwardedFrom"]["messageId"], m2, "{copy}");

        // What alice cannot read, a recalled message, a bad list: refused, nothing sent.
        let of = |ids: Value| json!({"type": "forward", "messageIds": ids, "toUserId": bob});
        assert_eq!(a.request(of(json!([private]))).await["code"], "IM:NotFound");
        let gone = a.request(to_user(&bob, "gone")).await["messageId"].clone();
        let recall = json!({"type": "recall", "messageId": gone});
        assert_eq!(a.request(recall).await["type"], "ack");
        assert_eq!(
            a.request(of(json!([m1, gone]))).await["code"],
            "IM:Conflict"
        );
        assert_eq!(a.request(of(json!([]))).await["code"], "IM:BadFrame");
        assert_eq!(a.request(of(json!([m1, m1]))).await["code"], "IM:BadFrame");
        let many: Vec<String> = (0..101).map(|i| (i + 1).to_string()).collect();
        assert_eq!(a.request(of(json!(many))).await["code"], "IM:BadFrame");

        // History shows where a copy came from.
        let (_, page) = app
            .call(
                "GET",
                &format!("/api/im/chat/group/messages?groupId={group}"),
                Some(&bt),
                None,
            )
            .await;
        let listed = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["messageId"] == ids[2])
            .unwrap_or_else(|| panic!("the third copy in {page}"));
        assert_eq!(listed["forwardedFrom"]["messageId"], m3, "{listed}");

        // Over HTTP and the hub.
        let (status, body) = app
            .call(
                "POST",
                "/api/im/chat/forward",
                Some(&at),
                Some(json!({"messageIds": [m1], "toUserId": bob})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["messageIds"].as_array().map(Vec::len), Some(1));
        let (status, _) = app
            .call(
                "POST",
                "/api/im/chat/forward",
                Some(&at),
                Some(json!({"messageIds": [private], "toUserId": bob})),
            )
            .await;
        assert_eq!(status, 404);
        let mut hub = RawHub::joined(&app, &bt).await;
        let (done, _) = hub
            .invoke(
                "1",
                "forward",
                json!([{"messageIds": [m2], "groupId": group.to_string()}]),
            )
            .await;
        assert_eq!(
            done["result"]["messageIds"].as_array().map(Vec::len),
            Some(1),
            "{done}"
        );
        app.stop().await;
    }
);

on_both_databases!(
    mentions_reach_members_and_mark_the_list_until_read,
    |db: TestDb| async move {
        let app = TestApp::start(db.config()).await;
        let (owner, ot) = app.user(&unique("owner")).await;
        let (bob, bt) = app.user(&unique("bob")).await;
        let (carol, ct) = app.user(&unique("carol")).await;
        let (stranger, _) = app.user(&unique("stranger")).await;
        let group = app.group(&owner, &[&bob, &carol]).await;
        let mut o = WsClient::connect(&app, &ot).await;
        let mut b = WsClient::connect(&app, &bt).await;

        let mentioned = |token: &str| {
            let (app, token) = (&app, token.to_string());
            async move {
                let (_, list) = app
                    .call("GET", "/api/im/chat/my-last-messages", Some(&token), None)
                    .await;
                list["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|c| c["groupId"].as_str() == Some(group.to_string().as_str()))
                    .map(|c| c["mentioned"] == true)
                    .unwrap_or(false)
            }
        };

        // By name: members only; the stored message names bob, not the stranger.
        let mut send = to_group(group, "@bob look");
        send["mentions"] = json!({"userIds": [bob, stranger]});
        let ack = o.request(send).await;
        assert_eq!(ack["type"], "ack", "{ack}");
        let got = next_message(&mut b).await;
        assert_eq!(got["mentions"], json!({"userIds": [bob], "all": false}));
        assert!(mentioned(&bt).await, "bob is mentioned");
        assert!(!mentioned(&ct).await, "carol is not");
        assert!(!mentioned(&ot).await, "nor the sender");

        // Reading past it clears the mark.
        let read = json!({"type": "read", "messageId": ack["messageId"]});
        assert_eq!(b.request(read).await["type"], "ack");
        assert!(!mentioned(&bt).await, "read past");

        // `@all`: admins by default; a member is refused until the group allows members.
        let mut all = to_group(group, "@all hello");
        all["mentions"] = json!({"all": true});
        assert_eq!(b.request(all.clone()).await["code"], "IM:Forbidden");
        let (status, g) = app
            .call(
                "PUT",
                &format!("/api/im/groups/{group}"),
                Some(&ot),
                Some(json!({"mentionAll": "members"})),
            )
            .await;
        assert_eq!(
            (status, g["mentionAll"].as_str()),
            (200, Some("members")),
            "{g}"
        );
        let (status, _) = app
            .call(
                "PUT",
                &format!("/api/im/groups/{group}"),
                Some(&ot),
                Some(json!({"mentionAll": "everyone"})),
            )
            .await;
        assert_eq!(status, 400);
        let ack = b.request(all).await;
        assert_eq!(ack["type"], "ack", "{ack}");
        assert!(mentioned(&ct).await, "carol, through @all");
        assert!(!mentioned(&bt).await, "not the sender of @all");
        assert!(mentioned(&ot).await, "the owner too");

        // A recalled mention marks nothing.
        let recall = json!({"type": "recall", "messageId": ack["messageId"]});
        assert_eq!(b.request(recall).await["type"], "ack");
        assert!(!mentioned(&ct).await, "recalled");

        // Mentions are for groups.
        let mut private = to_user(&owner, "hi");
        private["mentions"] = json!({"userIds": [owner]});
        assert_eq!(b.request(private).await["code"], "IM:BadFrame");
        app.stop().await;
    }
);
