//! Attacks tried from outside, as an attacker would: each test was seen to succeed against an
//! earlier build and must now fail (RELIABILITY.md, "Security").

use serde_json::{json, Value};

use crate::helpers::{unique, Backend, TestApp, TestDb};
use crate::on_both_databases;
use crate::ws::{to_group, to_user, WsClient};

/// A token signed by the node for `user` in `tenant` with `roles` and `name`.
fn token(
    app: &TestApp,
    user: uuid::Uuid,
    tenant: Option<uuid::Uuid>,
    name: &str,
    roles: &[&str],
) -> String {
    let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
    app.state().tokens.issue(user, tenant, name, &roles).0
}

/// The error code of a JSON error body.
fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

on_both_databases!(
    a_ban_stops_every_token_on_every_route,
    |db: TestDb| async move {
        let app = TestApp::start(db.config()).await;
        let root = crate::admin::create_admin(&db, &app).await;
        let (x, x_token) = app.user(&unique("mallory")).await;
        let (y, y_token) = app.user(&unique("yann")).await;
        app.befriend(&x, &y).await;
        let group = app.group(&x, &[&y]).await;
        let mut y_ws = WsClient::connect(&app, &y_token).await;

        let (status, body) = app
            .call(
                "POST",
                &format!("/api/admin/users/{x}/ban"),
                Some(&root),
                None,
            )
            .await;
        assert_eq!(status, 204, "{body}");
        let attempts = [
            (
                "POST",
                "/api/im/chat/send-message".to_string(),
                Some(json!({"toUserId": y, "content": "still here"})),
            ),
            (
                "POST",
                "/api/im/chat/send-message".to_string(),
                Some(json!({"groupId": group.to_string(), "content": "still here"})),
            ),
            (
                "POST",
                "/api/im/groups".to_string(),
                Some(json!({"name": "after the ban"})),
            ),
            (
                "POST",
                "/api/im/my-friends/add-request".to_string(),
                Some(json!({"friendId": uuid::Uuid::new_v4()})),
            ),
            ("GET", "/api/im/chat/my-last-messages".to_string(), None),
            ("GET", "/api/auth/me".to_string(), None),
        ];
        for (method, path, body) in attempts {
            let (status, answer) = app.call(method, &path, Some(&x_token), body).await;
            assert_eq!(
                (status, code(&answer)),
                (403, "IM:Banned"),
                "{method} {path}: {answer}"
            );
        }
        // Nothing the banned user tried reached anyone: the next frame y gets is its own ack.
        let ack = y_ws.request(to_user(&x, "are you there?")).await;
        assert_eq!(ack["type"], "ack", "{ack}");
        assert!(
            y_ws.pending().iter().all(|f| f["type"] != "message"),
            "{:?}",
            y_ws.pending()
        );

        // Unbanned, the same token works again.
        let (status, _) = app
            .call(
                "POST",
                &format!("/api/admin/users/{x}/unban"),
                Some(&root),
                None,
            )
            .await;
        assert_eq!(status, 204);
        let (status, _) = app.call("GET", "/api/auth/me", Some(&x_token), None).await;
        assert_eq!(status, 200);
        app.stop().await;
    }
);

#[actix_rt::test]
async fn pushes_stay_in_their_tenant_and_never_speak_as_the_hub() {
    let db = TestDb::new(Backend::Sqlite, "push_tenants").await.unwrap();
    let mut config = db.config();
    config.push.api_key = "push-key-123".into();
    let app = TestApp::start(config).await;
    let (tenant_a, tenant_b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let service_a = token(
        &app,
        uuid::Uuid::new_v4(),
        Some(tenant_a),
        "svc-a",
        &["service"],
    );
    let victim = uuid::Uuid::new_v4();
    let victim_token = token(&app, victim, Some(tenant_b), "victim", &[]);
    let mut victim_ws = WsClient::connect(&app, &victim_token).await;
    let connection = victim_ws.welcome["connectionId"]
        .as_str()
        .unwrap()
        .to_string();

    // Naming another tenant is refused outright.
    for path in [
        "/api/push/broadcast".to_string(),
        format!("/api/push/users/{victim}"),
    ] {
        let body = json!({"method": "phish", "data": 1, "tenantId": tenant_b});
        let (status, answer) = app.call("POST", &path, Some(&service_a), Some(body)).await;
        assert_eq!(status, 403, "{path}: {answer}");
    }
    // Another tenant's connection is out of reach: accepted, but delivered to nobody.
    let (status, answer) = app
        .call(
            "POST",
            &format!("/api/push/connections/{connection}"),
            Some(&service_a),
            Some(json!({"method": "phish", "data": 2})),
        )
        .await;
    assert_eq!(
        (status, answer["sessions"].as_u64()),
        (202, Some(0)),
        "{answer}"
    );
    // A broadcast by tenant A's service reaches only tenant A.
    let (_, answer) = app
        .call(
            "POST",
            "/api/push/broadcast",
            Some(&service_a),
            Some(json!({"method": "phish", "data": 3})),
        )
        .await;
    assert_eq!(answer["sessions"], 0, "{answer}");
    // The hubs' own callback names are refused, whoever pushes.
    for method in [
        "get-chat-message",
        "Recall-Chat-Message",
        "on-user-onlined",
        "on-user-offlined",
    ] {
        let res = app
            .client
            .post(format!("{}/api/push/users/{victim}", app.base))
            .insert_header(("x-api-key", "push-key-123"))
            .send_json(&json!({"method": method, "data": {}, "tenantId": tenant_b}))
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 400, "{method}");
    }
    // The API key may name a tenant: the victim's next event is this one, nothing before it.
    let res = app
        .client
        .post(format!("{}/api/push/users/{victim}", app.base))
        .insert_header(("x-api-key", "push-key-123"))
        .send_json(&json!({"method": "marker", "data": 4, "tenantId": tenant_b}))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 202);
    let event = victim_ws.next_of("event").await;
    assert_eq!(event["method"], "marker", "{event}");
    app.stop().await;
}

on_both_databases!(
    server_keys_in_extra_are_not_believed,
    |db: TestDb| async move {
        let app = TestApp::start(db.config()).await;
        let (owner, owner_token) = app.user(&unique("olive")).await;
        let (member, member_token) = app.user(&unique("mick")).await;
        let group = app.group(&owner, &[&member]).await;
        let mut ws = WsClient::connect(&app, &member_token).await;
        // The group forbids anonymous messages: the flag is refused, and so is its `extra` twin.
        let mut anonymous = to_group(group, "who am I");
        anonymous["isAnonymous"] = json!(true);
        assert_eq!(ws.request(anonymous).await["code"], "02401");
        let mut sneaky = to_group(group, "who am I, really");
        sneaky["extra"] = json!({"IsAnonymous": true, "ClientMsgId": "forged", "kept": 1});
        let ack = ws.request(sneaky).await;
        assert_eq!(ack["type"], "ack", "{ack}");
        let (status, page) = app
            .call(
                "GET",
                &format!("/api/im/chat/group/messages?groupId={group}&maxResultCount=10"),
                Some(&owner_token),
                None,
            )
            .await;
        assert_eq!(status, 200, "{page}");
        let m = &page["items"][0];
        assert_eq!(m["content"], "who am I, really");
        assert_eq!(m["fromUserId"], member.as_str(), "{m}");
        assert_eq!(m["isAnonymous"], false, "{m}");
        assert_eq!(m["extraProperties"], json!({"kept": 1}), "{m}");
        // `extra` is bounded: too deep, or too large, is refused on every protocol.
        let deep = (0..126).fold(json!(1), |inner, _| json!([inner]));
        let mut frame = to_group(group, "deep");
        frame["extra"] = json!({ "d": deep });
        let refused = ws.request(frame.clone()).await;
        assert_eq!(refused["code"], "IM:BadFrame", "{refused}");
        // Over HTTP, 20 levels: within what the JSON reader takes, past what `extra` may hold.
        let mut body = json!({"groupId": group.to_string(), "content": "deep"});
        body["extra"] = json!({ "d": (0..20).fold(json!(1), |inner, _| json!([inner])) });
        let (status, answer) = app
            .call(
                "POST",
                "/api/im/chat/send-message",
                Some(&member_token),
                Some(body),
            )
            .await;
        assert_eq!((status, code(&answer)), (400, "IM:Validation"), "{answer}");
        let big = json!({"groupId": group.to_string(), "content": "big", "extra": {"b": "x".repeat(20_000)}});
        let (status, _) = app
            .call(
                "POST",
                "/api/im/chat/send-message",
                Some(&member_token),
                Some(big),
            )
            .await;
        assert_eq!(status, 400);
        app.stop().await;
    }
);

on_both_databases!(
    the_blacklist_obeys_the_removal_rules,
    |db: TestDb| async move {
        let app = TestApp::start(db.config()).await;
        let (_owner, owner_token) = app.user(&unique("owen")).await;
        let (admin_a, a_token) = app.user(&unique("ada")).await;
        let (admin_b, _) = app.user(&unique("bea")).await;
        let (joiner, joiner_token) = app.user(&unique("joe")).await;
        let (member, _) = app.user(&unique("meg")).await;
        let (status, g) = app
            .call(
                "POST",
                "/api/im/groups",
                Some(&owner_token),
                Some(json!({"name": "club"})),
            )
            .await;
        assert_eq!(status, 201, "{g}");
        let group = g["id"].as_str().unwrap().to_string();
        for user in [&admin_a, &admin_b, &member] {
            app.state()
                .store
                .add_member(
                    None,
                    group.parse().unwrap(),
                    user.parse().unwrap(),
                    false,
                    None,
                )
                .await
                .unwrap();
        }
        for admin in [&admin_a, &admin_b] {
            let body = json!({"groupId": group, "userId": admin, "isAdmin": true});
            let (status, answer) = app
                .call(
                    "PUT",
                    "/api/im/user-groups/members",
                    Some(&owner_token),
                    Some(body),
                )
                .await;
            assert_eq!(status, 204, "{answer}");
        }
        let blacks = format!("/api/im/groups/{group}/blacks");
        // An admin can no more ban another admin than remove one; the owner can.
        let (status, answer) = app
            .call(
                "POST",
                &blacks,
                Some(&a_token),
                Some(json!({"userId": admin_b})),
            )
            .await;
        assert_eq!(status, 403, "{answer}");
        let (_, members) = app
            .call(
                "GET",
                &format!("/api/im/user-groups?groupId={group}&maxResultCount=50"),
                Some(&owner_token),
                None,
            )
            .await;
        assert!(members["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["userId"] == admin_b.as_str()));

        // Join, then banned, then accepted: refused (02403), and the request is gone.
        let (status, _) = app
            .call(
                "POST",
                "/api/im/user-groups/join",
                Some(&joiner_token),
                Some(json!({"groupId": group})),
            )
            .await;
        assert_eq!(status, 201);
        let (status, _) = app
            .call(
                "POST",
                &blacks,
                Some(&a_token),
                Some(json!({"userId": joiner})),
            )
            .await;
        assert_eq!(status, 201);
        let (_, pending) = app
            .call(
                "GET",
                &format!("/api/im/user-groups/requests?groupId={group}"),
                Some(&owner_token),
                None,
            )
            .await;
        assert_eq!(pending["totalCount"], 0, "{pending}");
        let accept = json!({"groupId": group, "userId": joiner, "allowAccept": true});
        let (status, answer) = app
            .call(
                "PUT",
                "/api/im/user-groups/accept",
                Some(&owner_token),
                Some(accept),
            )
            .await;
        assert_eq!((status, code(&answer)), (403, "02403"), "{answer}");

        // Banning a member twice: both answer 201, and the member is out and stays out.
        for _ in 0..2 {
            let (status, answer) = app
                .call(
                    "POST",
                    &blacks,
                    Some(&a_token),
                    Some(json!({"userId": member})),
                )
                .await;
            assert_eq!(status, 201, "{answer}");
        }
        let (_, members) = app
            .call(
                "GET",
                &format!("/api/im/user-groups?groupId={group}&maxResultCount=50"),
                Some(&owner_token),
                None,
            )
            .await;
        let ids: Vec<&str> = members["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["userId"].as_str())
            .collect();
        assert!(
            !ids.contains(&member.as_str()) && !ids.contains(&joiner.as_str()),
            "{members}"
        );
        app.stop().await;
    }
);

on_both_databases!(
    a_long_name_in_a_token_fails_nobody,
    |db: TestDb| async move {
        let app = TestApp::start(db.config()).await;
        let (bob, bob_token) = app.user(&unique("bob")).await;
        let (long_user, _) = app.user(&unique("longy")).await;
        let long_user: uuid::Uuid = long_user.parse().unwrap();
        let long_name = "n".repeat(256);
        let long_token = token(&app, long_user, None, &long_name, &[]);
        app.befriend(&long_user.to_string(), &bob).await;
        let mut long_ws = WsClient::connect(&app, &long_token).await;
        let mut bob_ws = WsClient::connect(&app, &bob_token).await;
        for i in 0..20 {
            let ack = long_ws.request(to_user(&bob, &format!("long {i}"))).await;
            assert_eq!(ack["type"], "ack", "{ack}");
            let ack = bob_ws
                .request(to_user(&long_user.to_string(), &format!("bob {i}")))
                .await;
            assert_eq!(ack["type"], "ack", "{ack}");
        }
        let message = bob_ws.next_of("message").await;
        assert_eq!(message["message"]["fromUserName"], "n".repeat(64));

        // The writer: a row the database refuses fails alone, not its whole batch.
        let state = app.state();
        let good = |i: i64| {
            imcluster::store::NewMessage::text(
                state.ids.next_id(),
                bob.parse().unwrap(),
                "bob",
                imcluster::store::Conversation::User(long_user),
                format!("batched {i}"),
            )
        };
        let mut answers = vec![];
        for i in 0..9 {
            let mut m = good(i);
            if i == 4 {
                m.from_name = "x".repeat(300); // past SendUserName's 64 on PostgreSQL
            }
            let (tx, rx) = tokio::sync::oneshot::channel();
            state.writer.queue(m, move |outcome| {
                let _ = tx.send(outcome.is_ok());
            });
            answers.push(rx);
        }
        let mut stored = vec![];
        for rx in answers {
            stored.push(rx.await.unwrap());
        }
        let refused = stored.iter().filter(|ok| !**ok).count();
        let expected = if db.schema.is_empty() { 0 } else { 1 }; // SQLite keeps any length
        assert_eq!(refused, expected, "{stored:?}");
        assert!(
            stored.iter().enumerate().all(|(i, ok)| *ok || i == 4),
            "{stored:?}"
        );
        app.stop().await;
    }
);

on_both_databases!(
    a_blocked_friend_cannot_erase_the_block,
    |db: TestDb| async move {
        let app = TestApp::start(db.config()).await;
        let (blocker, blocker_token) = app.user(&unique("bo")).await;
        let (blocked, blocked_token) = app.user(&unique("ed")).await;
        app.befriend(&blocker, &blocked).await;
        // The blocker takes friends without review, and blocks ed.
        let settings = json!({"allowAnonymous": false, "allowAddFriend": true, "requireAddFriendValition": false, "allowReceiveMessage": true, "allowSendMessage": true});
        let (status, answer) = app
            .call(
                "PUT",
                "/api/im/users/me/settings",
                Some(&blocker_token),
                Some(settings),
            )
            .await;
        assert!(status < 300, "{answer}");
        let (status, answer) = app
            .call(
                "PUT",
                &format!("/api/im/my-friends/{blocked}"),
                Some(&blocker_token),
                Some(json!({"black": true})),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
        let mut ws = WsClient::connect(&app, &blocked_token).await;
        assert_eq!(ws.request(to_user(&blocker, "hi")).await["code"], "03401");
        // Ed unfriends and re-adds at once: the block is still there.
        let (status, _) = app
            .call(
                "DELETE",
                &format!("/api/im/my-friends?friendId={blocker}"),
                Some(&blocked_token),
                None,
            )
            .await;
        assert_eq!(status, 204);
        let (status, answer) = app
            .call(
                "POST",
                "/api/im/my-friends/add-request",
                Some(&blocked_token),
                Some(json!({"friendId": blocker})),
            )
            .await;
        assert!(status < 300, "{answer}");
        assert_eq!(
            ws.request(to_user(&blocker, "hi again")).await["code"],
            "03401"
        );
        let (_, mine) = app
            .call(
                "GET",
                &format!("/api/im/my-friends/{blocked}"),
                Some(&blocker_token),
                None,
            )
            .await;
        assert_eq!(mine["black"], true, "{mine}");
        app.stop().await;
    }
);

on_both_databases!(
    every_text_field_is_checked_against_its_column,
    |db: TestDb| async move {
        let app = TestApp::start(db.config()).await;
        let (owner, owner_token) = app.user(&unique("tess")).await;
        let (joiner, joiner_token) = app.user(&unique("jan")).await;
        let (friend, _) = app.user(&unique("fay")).await;
        let group = app.group(&owner, &[]).await.to_string();
        let (status, _) = app
            .call(
                "POST",
                "/api/im/user-groups/join",
                Some(&joiner_token),
                Some(json!({"groupId": group})),
            )
            .await;
        assert_eq!(status, 201);
        let long = |n: usize| "y".repeat(n);
        let cases: Vec<(&str, String, &str, Value)> = vec![
            (
                "POST",
                "/api/im/groups".into(),
                "name",
                json!({"name": long(21)}),
            ),
            (
                "POST",
                "/api/im/groups".into(),
                "notice",
                json!({"name": "ok", "notice": long(65)}),
            ),
            (
                "POST",
                "/api/im/groups".into(),
                "description",
                json!({"name": "ok", "description": long(129)}),
            ),
            (
                "POST",
                "/api/im/groups".into(),
                "avatarUrl",
                json!({"name": "ok", "avatarUrl": format!("https://x.io/{}", long(200))}),
            ),
            (
                "PUT",
                format!("/api/im/groups/{group}"),
                "name",
                json!({"name": long(21)}),
            ),
            (
                "PUT",
                "/api/im/user-groups/accept".into(),
                "rejectReason",
                json!({"groupId": group, "userId": joiner, "allowAccept": false, "rejectReason": long(500_000)}),
            ),
            (
                "PUT",
                "/api/im/user-groups/members".into(),
                "nickName",
                json!({"groupId": group, "userId": owner, "nickName": long(257)}),
            ),
            (
                "PUT",
                "/api/im/users/me/card".into(),
                "nickName",
                json!({"nickName": long(257)}),
            ),
            (
                "PUT",
                "/api/im/users/me/card".into(),
                "sign",
                json!({"sign": long(31)}),
            ),
            (
                "PUT",
                "/api/im/users/me/card".into(),
                "description",
                json!({"description": long(51)}),
            ),
            (
                "PUT",
                "/api/im/users/me/card".into(),
                "avatarUrl",
                json!({"avatarUrl": format!("https://x.io/{}", long(600))}),
            ),
            (
                "POST",
                "/api/im/my-friends/add-request".into(),
                "remarkName",
                json!({"friendId": friend, "remarkName": long(257)}),
            ),
            (
                "POST",
                "/api/im/my-friends/add-request".into(),
                "description",
                json!({"friendId": friend, "description": long(51)}),
            ),
            (
                "POST",
                "/api/im/user-groups/join".into(),
                "joinInfo",
                json!({"groupId": group, "joinInfo": long(257)}),
            ),
        ];
        for (method, path, field, body) in cases {
            let (status, answer) = app
                .call(method, &path, Some(&owner_token), Some(body))
                .await;
            assert_eq!(
                (status, code(&answer)),
                (400, "IM:Validation"),
                "{method} {path}: {answer}"
            );
            let members = answer["error"]["validationErrors"][0]["members"].clone();
            assert_eq!(members, json!([field]), "{method} {path}: {answer}");
        }
        // The request that a 503 used to leave pending can still be answered.
        let reject =
            json!({"groupId": group, "userId": joiner, "allowAccept": false, "rejectReason": "no"});
        let (status, answer) = app
            .call(
                "PUT",
                "/api/im/user-groups/accept",
                Some(&owner_token),
                Some(reject),
            )
            .await;
        assert_eq!(status, 204, "{answer}");

        // Names people read: no bidi overrides, zero-width or control characters; update keeps
        // create's rules; avatars are http(s) only.
        let names = [
            (
                "POST",
                "/api/im/groups".to_string(),
                json!({"name": "evil\u{202E}gnp.exe"}),
            ),
            (
                "POST",
                "/api/im/groups".to_string(),
                json!({"name": "ad\u{200B}min"}),
            ),
            (
                "PUT",
                format!("/api/im/groups/{group}"),
                json!({"name": ""}),
            ),
            (
                "PUT",
                format!("/api/im/groups/{group}"),
                json!({"name": "   "}),
            ),
            (
                "PUT",
                format!("/api/im/groups/{group}"),
                json!({"avatarUrl": "javascript:alert(1)"}),
            ),
            (
                "PUT",
                "/api/im/users/me/card".to_string(),
                json!({"nickName": "a\u{0007}b"}),
            ),
            (
                "PUT",
                "/api/im/users/me/card".to_string(),
                json!({"avatarUrl": "javascript:alert(document.cookie)"}),
            ),
            (
                "PUT",
                "/api/im/users/me/card".to_string(),
                json!({"avatarUrl": "data:text/html,<script>1</script>"}),
            ),
            (
                "POST",
                "/api/im/my-friends/add-request".to_string(),
                json!({"friendId": friend, "remarkName": "\u{2066}x"}),
            ),
        ];
        for (method, path, body) in names {
            let (status, answer) = app
                .call(method, &path, Some(&owner_token), Some(body.clone()))
                .await;
            assert_eq!(
                (status, code(&answer)),
                (400, "IM:Validation"),
                "{method} {path} {body}: {answer}"
            );
        }
        let (status, answer) = app
            .call(
                "PUT",
                "/api/im/users/me/card",
                Some(&owner_token),
                Some(json!({"nickName": "Zoë 李", "avatarUrl": "https://cdn.example.com/a.png"})),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
        app.stop().await;
    }
);

on_both_databases!(
    an_outsider_cannot_probe_or_recall_group_messages,
    |db: TestDb| async move {
        let app = TestApp::start(db.config()).await;
        let (owner, owner_token) = app.user(&unique("gia")).await;
        let (member, member_token) = app.user(&unique("max")).await;
        let (_, outsider_token) = app.user(&unique("oz")).await;
        let group = app.group(&owner, &[&member]).await;
        let mut member_ws = WsClient::connect(&app, &member_token).await;
        let ack = member_ws.request(to_group(group, "mine")).await;
        let message_id = ack["messageId"].as_str().unwrap().to_string();
        let mut outsider = WsClient::connect(&app, &outsider_token).await;
        let real = outsider
            .request(json!({"type": "recall", "messageId": message_id}))
            .await;
        let missing = outsider
            .request(json!({"type": "recall", "messageId": "123456789"}))
            .await;
        assert_eq!(real["code"], "IM:NotFound", "{real}");
        assert_eq!(
            (real["code"].clone(), real["message"].clone()),
            (missing["code"].clone(), missing["message"].clone())
        );
        // Removed from the group, the sender can no longer recall what it sent there.
        let (status, _) = app
            .call(
                "PUT",
                "/api/im/user-groups/remove",
                Some(&owner_token),
                Some(json!({"groupId": group.to_string(), "userId": member})),
            )
            .await;
        assert_eq!(status, 204);
        let after = member_ws
            .request(json!({"type": "recall", "messageId": message_id}))
            .await;
        assert_eq!(after["code"], "IM:NotFound", "{after}");
        app.stop().await;
    }
);

#[actix_rt::test]
async fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
    for trusted in [false, true] {
        let db = TestDb::new(Backend::Sqlite, "forwarded").await.unwrap();
        let mut config = db.config();
        config.admin.api_key = "admin-key-123".into();
        if trusted {
            config.http.trusted_proxies = vec!["127.0.0.1".into()];
        }
        let app = TestApp::start(config).await;
        let (user, token) = app.user(&unique("fwd")).await;
        let url = format!(
            "{}/ws?access_token={token}",
            app.base.replace("http://", "ws://")
        );
        let (_res, _socket) = app
            .client
            .ws(url)
            .header("x-forwarded-for", "198.51.100.66")
            .connect()
            .await
            .unwrap();
        let mut res = app
            .client
            .get(format!("{}/api/admin/connections?userId={user}", app.base))
            .insert_header(("x-api-key", "admin-key-123"))
            .send()
            .await
            .unwrap();
        let list: Value = res.json().await.unwrap();
        let expected = if trusted {
            "198.51.100.66"
        } else {
            "127.0.0.1"
        };
        assert_eq!(
            list["items"][0]["remoteAddr"], expected,
            "trusted: {trusted}: {list}"
        );
        app.stop().await;
    }
}

#[actix_rt::test]
async fn creations_and_registrations_are_limited() {
    let db = TestDb::new(Backend::Sqlite, "creation_limits")
        .await
        .unwrap();
    let mut config = db.config();
    config.limits.creations_per_minute = 3;
    config.limits.registrations_per_hour = 4;
    let app = TestApp::start(config).await;
    let (_, token) = app.user(&unique("gus")).await;
    let (_, other) = app.user(&unique("hal")).await;
    for i in 0..3 {
        let (status, answer) = app
            .call(
                "POST",
                "/api/im/groups",
                Some(&token),
                Some(json!({"name": format!("g{i}")})),
            )
            .await;
        assert_eq!(status, 201, "{answer}");
    }
    let (status, answer) = app
        .call(
            "POST",
            "/api/im/groups",
            Some(&token),
            Some(json!({"name": "one too many"})),
        )
        .await;
    assert_eq!((status, code(&answer)), (429, "IM:RateLimited"), "{answer}");
    let (status, answer) = app
        .call(
            "POST",
            "/api/im/my-friends/add-request",
            Some(&token),
            Some(json!({"friendId": uuid::Uuid::new_v4()})),
        )
        .await;
    assert_eq!(status, 429, "{answer}");
    // Another user is not held back by this one.
    let (status, _) = app
        .call(
            "POST",
            "/api/im/groups",
            Some(&other),
            Some(json!({"name": "mine"})),
        )
        .await;
    assert_eq!(status, 201);
    // Two registered above; two more, then this address is told to wait.
    app.user(&unique("ivy")).await;
    app.user(&unique("jay")).await;
    let body = json!({"userName": unique("kit"), "password": "password-123"});
    let (status, answer) = app
        .call("POST", "/api/auth/register", None, Some(body))
        .await;
    assert_eq!((status, code(&answer)), (429, "IM:RateLimited"), "{answer}");
    app.stop().await;
}

#[actix_rt::test]
async fn tenants_registration_metrics_and_tokens_in_urls() {
    let db = TestDb::new(Backend::Sqlite, "tenant_scope").await.unwrap();
    let listed = uuid::Uuid::new_v4();
    let mut config = db.config();
    config.accounts.registration_tenants = vec![listed.to_string()];
    config.http.metrics_key = "scrape-key-123".into();
    let app = TestApp::start(config).await;

    // A tenant nobody configured takes no registrations; a listed one does.
    let register = |tenant: uuid::Uuid| json!({"userName": unique("ten"), "password": "password-123", "tenantId": tenant});
    let (status, answer) = app
        .call(
            "POST",
            "/api/auth/register",
            None,
            Some(register(uuid::Uuid::new_v4())),
        )
        .await;
    assert_eq!(status, 403, "{answer}");
    let (status, answer) = app
        .call("POST", "/api/auth/register", None, Some(register(listed)))
        .await;
    assert_eq!(status, 201, "{answer}");

    // A tenant's administrator manages its tenant, not the cluster.
    let tenant_admin = token(
        &app,
        uuid::Uuid::new_v4(),
        Some(listed),
        "tenant-root",
        &["admin"],
    );
    let host_admin = token(&app, uuid::Uuid::new_v4(), None, "root", &["admin"]);
    for path in ["/api/admin/stats", "/api/admin/nodes", "/api/admin/config"] {
        let (status, answer) = app.call("GET", path, Some(&tenant_admin), None).await;
        assert_eq!(status, 403, "{path}: {answer}");
        let (status, answer) = app.call("GET", path, Some(&host_admin), None).await;
        assert_eq!(status, 200, "{path}: {answer}");
    }
    let (status, _) = app
        .call("GET", "/api/admin/users", Some(&tenant_admin), None)
        .await;
    assert_eq!(status, 200);

    // /metrics wants its key.
    let res = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let res = app
        .client
        .get(format!("{}/metrics", app.base))
        .bearer_auth("scrape-key-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);

    // A token in the URL opens a WebSocket, and nothing else.
    let (_, user_token) = app.user(&unique("url")).await;
    let (status, answer) = app
        .call(
            "GET",
            &format!("/api/auth/me?access_token={user_token}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, 401, "{answer}");
    WsClient::connect(&app, &user_token).await;
    app.stop().await;
}

#[actix_rt::test]
async fn the_pages_forbid_inline_script() {
    let db = TestDb::new(Backend::Sqlite, "csp").await.unwrap();
    let app = TestApp::start(db.config()).await;
    for page in ["/", "/admin"] {
        let res = app
            .client
            .get(format!("{}{page}", app.base))
            .send()
            .await
            .unwrap();
        let csp = res
            .headers()
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let script = csp
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src"));
        assert_eq!(script, Some("script-src 'self'"), "{page}: {csp}");
        assert!(csp.contains("object-src 'none'"), "{page}: {csp}");
    }
    app.stop().await;
}

on_both_databases!(
    typing_follows_the_private_send_rule,
    |db: TestDb| async move {
        let app = TestApp::start(db.config()).await;
        let (bob, bob_token) = app.user(&unique("bob")).await;
        let (friend, friend_token) = app.user(&unique("fran")).await;
        let (blocked, blocked_token) = app.user(&unique("blake")).await;
        let (_, stranger_token) = app.user(&unique("stan")).await;
        app.befriend(&bob, &friend).await;
        app.befriend(&bob, &blocked).await;
        let (status, _) = app
            .call(
                "PUT",
                &format!("/api/im/my-friends/{blocked}"),
                Some(&bob_token),
                Some(json!({"black": true})),
            )
            .await;
        assert_eq!(status, 200);
        let mut bob_ws = WsClient::connect(&app, &bob_token).await;
        let typing = json!({"type": "typing", "toUserId": bob});
        let mut stranger = WsClient::connect(&app, &stranger_token).await;
        assert_eq!(stranger.request(typing.clone()).await["code"], "03403");
        let mut blocked_ws = WsClient::connect(&app, &blocked_token).await;
        assert_eq!(blocked_ws.request(typing.clone()).await["code"], "03401");
        // The same on the hub, ABP's other way in.
        for (token, code) in [(&stranger_token, "03403"), (&blocked_token, "03401")] {
            let mut hub = crate::raw_hub::RawHub::joined(&app, token).await;
            let (done, _) = hub.invoke("1", "typing", json!([{"toUserId": bob}])).await;
            let error = done["error"].as_str().unwrap_or_default();
            assert!(error.contains(code), "{done}");
        }
        // Without an id a refused typing is dropped silently, as typing is fire-and-forget.
        stranger.send(typing.clone()).await;
        // A friend's typing arrives, and it is the first bob sees.
        let mut friend_ws = WsClient::connect(&app, &friend_token).await;
        friend_ws.send(typing).await;
        let seen = bob_ws.next_of("typing").await;
        assert_eq!(seen["userId"], friend.as_str(), "{seen}");
        app.stop().await;
    }
);

#[actix_rt::test]
async fn sends_to_made_up_users_leave_no_actors_behind() {
    let db = TestDb::new(Backend::Sqlite, "nobody").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let (_, token) = app.user(&unique("nemo")).await;
    let mut ws = WsClient::connect(&app, &token).await;
    let actors = || app.state().delivery.supervisor.counts().1;
    let before = actors();
    for _ in 0..50 {
        let to = uuid::Uuid::new_v4().to_string();
        assert_eq!(ws.request(to_user(&to, "anyone?")).await["code"], "03404");
    }
    let deadline = tokio::time::Instant::now() + crate::ws::WAIT;
    while actors() > before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} user actors left for made-up users",
            actors() - before
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // The real ones still work.
    let (friend, _) = app.user(&unique("real")).await;
    assert_eq!(ws.request(to_user(&friend, "hi")).await["code"], "03403");
    app.stop().await;
}

#[actix_rt::test]
async fn sends_over_http_are_rate_limited_like_the_websocket() {
    let db = TestDb::new(Backend::Sqlite, "http_rate").await.unwrap();
    let mut config = db.config();
    config.limits.rate_burst = 5;
    config.limits.rate_per_second = 1;
    let app = TestApp::start(config).await;
    let (alice, alice_token) = app.user(&unique("alice")).await;
    let (bob, bob_token) = app.user(&unique("bob")).await;
    let (carol, carol_token) = app.user(&unique("carol")).await;
    app.befriend(&alice, &bob).await;
    app.befriend(&carol, &bob).await;
    let mut b = WsClient::connect(&app, &bob_token).await;
    let (mut acked, mut limited) = (0, 0);
    for n in 0..12 {
        let body = json!({"toUserId": bob, "content": format!("flood {n}")});
        let (status, answer) = app
            .call(
                "POST",
                "/api/im/chat/send-message",
                Some(&alice_token),
                Some(body),
            )
            .await;
        match status {
            200 => acked += 1,
            _ => {
                assert_eq!((status, code(&answer)), (429, "IM:RateLimited"), "{answer}");
                limited += 1;
            }
        }
    }
    assert!(
        limited >= 5 && acked >= 5,
        "acked {acked}, limited {limited}"
    );
    // Bob, online throughout, gets exactly the accepted ones before carol's marker.
    let mut c = WsClient::connect(&app, &carol_token).await;
    assert_eq!(c.request(to_user(&bob, "marker")).await["type"], "ack");
    let mut flood = 0;
    loop {
        let m = b.next_of("message").await;
        if m["message"]["content"] == "marker" {
            break;
        }
        assert_eq!(m["message"]["fromUserId"], alice.as_str(), "{m}");
        flood += 1;
    }
    assert_eq!(flood, acked);
    // Another user is not held back.
    let body = json!({"toUserId": bob, "content": "mine"});
    let (status, _) = app
        .call(
            "POST",
            "/api/im/chat/send-message",
            Some(&carol_token),
            Some(body),
        )
        .await;
    assert_eq!(status, 200);
    let _ = carol;
    app.stop().await;
}

on_both_databases!(recall_and_read_over_http, |db: TestDb| async move {
    let app = TestApp::start(db.config()).await;
    let (alice, alice_token) = app.user(&unique("alice")).await;
    let (bob, bob_token) = app.user(&unique("bob")).await;
    app.befriend(&alice, &bob).await;
    let mut a = WsClient::connect(&app, &alice_token).await;
    let mut b = WsClient::connect(&app, &bob_token).await;
    let first = acked(a.request(to_user(&bob, "one")).await);
    let second = acked(a.request(to_user(&bob, "two")).await);
    // Bob reads over HTTP: alice hears of it.
    let (status, answer) = app
        .call(
            "POST",
            &format!("/api/im/chat/messages/{second}/read"),
            Some(&bob_token),
            None,
        )
        .await;
    assert_eq!(status, 204, "{answer}");
    let read = a.next_of("read").await;
    assert_eq!(read["messageId"], second.as_str(), "{read}");
    // Bob may not recall alice's message; alice recalls hers over HTTP and bob hears it.
    let (status, answer) = app
        .call(
            "POST",
            &format!("/api/im/chat/messages/{first}/recall"),
            Some(&bob_token),
            None,
        )
        .await;
    assert_eq!((status, code(&answer)), (403, "IM:Forbidden"), "{answer}");
    let (status, answer) = app
        .call(
            "POST",
            &format!("/api/im/chat/messages/{first}/recall"),
            Some(&alice_token),
            None,
        )
        .await;
    assert_eq!(status, 204, "{answer}");
    let recalled = b.next_of("recalled").await;
    assert_eq!(recalled["messageId"], first.as_str(), "{recalled}");
    let (status, answer) = app
        .call(
            "POST",
            "/api/im/chat/messages/123456789/recall",
            Some(&alice_token),
            None,
        )
        .await;
    assert_eq!((status, code(&answer)), (404, "IM:NotFound"), "{answer}");
    app.stop().await;
});

/// The message id of an `ack`.
fn acked(ack: Value) -> String {
    assert_eq!(ack["type"], "ack", "{ack}");
    ack["messageId"].as_str().unwrap().to_string()
}
