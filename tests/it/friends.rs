//! Friends, cards and settings over HTTP, with their notices over WebSocket, and their effect
//! on who may message whom taking hold at once.

use serde_json::{json, Value};

use crate::helpers::{unique, Backend, TestApp, TestDb};
use crate::on_both_databases;
use crate::ws::{to_user, WsClient};

on_both_databases!(request_accept_chat_remove, |db: TestDb| async move {
    let app = TestApp::start(db.config()).await;
    let (alice, at) = app.user(&unique("alice")).await;
    let (bob, bt) = app.user(&unique("bob")).await;
    let mut a = WsClient::connect(&app, &at).await;
    let mut b = WsClient::connect(&app, &bt).await;
    assert_eq!(
        a.request(to_user(&bob, "hi?")).await["code"],
        "03403",
        "strangers cannot write"
    );

    let (status, body) = app
        .call(
            "POST",
            "/api/im/my-friends/add-request",
            Some(&at),
            Some(json!({"friendId": bob, "description": "it's alice"})),
        )
        .await;
    assert_eq!((status, body["status"].as_i64()), (201, Some(0)), "{body}");
    let notice = b.next_notice("friend.request").await;
    assert_eq!(notice["kind"], "friend.request");
    assert_eq!(notice["data"]["from"]["userId"], alice.as_str());
    let (status, again) = app
        .call(
            "POST",
            "/api/im/my-friends/add-request",
            Some(&at),
            Some(json!({"friendId": bob})),
        )
        .await;
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (409, Some("03411"))
    );

    let (_, pending) = app
        .call("GET", "/api/im/my-friends/requests", Some(&bt), None)
        .await;
    assert_eq!(pending["totalCount"], 1);
    assert_eq!(pending["items"][0]["userId"], alice.as_str());
    assert_eq!(pending["items"][0]["requestDescription"], "it's alice");
    let (status, _) = app
        .call(
            "PUT",
            &format!("/api/im/my-friends/requests/{alice}/accept"),
            Some(&bt),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        a.next_notice("friend.accepted").await["kind"],
        "friend.accepted"
    );

    for (token, other) in [(&at, &bob), (&bt, &alice)] {
        let (_, list) = app
            .call("GET", "/api/im/my-friends", Some(token), None)
            .await;
        assert_eq!(list["totalCount"], 1, "{list}");
        assert_eq!(list["items"][0]["friendId"], other.as_str());
        assert_eq!(list["items"][0]["online"], true);
    }
    // Friends now: messages flow at once, both ways.
    let ack = a.request(to_user(&bob, "friends!")).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(b.next_of("message").await["message"]["content"], "friends!");

    // Bob blacklists Alice: 03401 from the next message on.
    let (status, f) = app
        .call(
            "PUT",
            &format!("/api/im/my-friends/{alice}"),
            Some(&bt),
            Some(json!({"black": true, "remarkName": "A"})),
        )
        .await;
    assert_eq!(
        (status, f["black"].as_bool(), f["remarkName"].as_str()),
        (200, Some(true), Some("A")),
        "{f}"
    );
    assert_eq!(a.request(to_user(&bob, "x")).await["code"], "03401");
    app.call(
        "PUT",
        &format!("/api/im/my-friends/{alice}"),
        Some(&bt),
        Some(json!({"black": false})),
    )
    .await;
    assert_eq!(a.request(to_user(&bob, "y")).await["type"], "ack");

    // Removed: the next message is refused, in both directions.
    let (status, _) = app
        .call(
            "DELETE",
            &format!("/api/im/my-friends?friendId={bob}"),
            Some(&at),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        a.request(to_user(&bob, "still there?")).await["code"],
        "03403"
    );
    assert_eq!(
        b.request(to_user(&alice, "still there?")).await["code"],
        "03403"
    );
    let (status, _) = app
        .call("GET", &format!("/api/im/my-friends/{bob}"), Some(&at), None)
        .await;
    assert_eq!(status, 404);
    app.stop().await;
});

#[actix_rt::test]
async fn reject_direct_add_and_refusals() {
    let db = TestDb::new(Backend::Sqlite, "friend_refusals")
        .await
        .unwrap();
    let app = TestApp::start(db.config()).await;
    let (alice, at) = app.user(&unique("alice")).await;
    let (bob, bt) = app.user(&unique("bob")).await;
    let (carol, ct) = app.user(&unique("carol")).await;
    let mut a = WsClient::connect(&app, &at).await;
    app.call(
        "POST",
        "/api/im/my-friends/add-request",
        Some(&at),
        Some(json!({"friendId": bob})),
    )
    .await;
    let (status, _) = app
        .call(
            "PUT",
            &format!("/api/im/my-friends/requests/{alice}/reject"),
            Some(&bt),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        a.next_notice("friend.rejected").await["kind"],
        "friend.rejected"
    );
    let (status, _) = app
        .call(
            "PUT",
            &format!("/api/im/my-friends/requests/{alice}/accept"),
            Some(&bt),
            None,
        )
        .await;
    assert_eq!(status, 404, "the request is gone");

    // Carol takes friends without review: added at once.
    let settings = json!({"allowAnonymous": false, "allowAddFriend": true, "requireAddFriendValition": false,
                          "allowReceiveMessage": true, "allowSendMessage": true});
    let (status, s) = app
        .call(
            "PUT",
            "/api/im/users/me/settings",
            Some(&ct),
            Some(settings.clone()),
        )
        .await;
    assert_eq!(status, 200, "{s}");
    let (_, s) = app
        .call("GET", "/api/im/users/me/settings", Some(&ct), None)
        .await;
    let mut shown = settings.clone();
    shown["shareReadReceipts"] = json!(true);
    assert_eq!(s, shown, "ABP's five, and this product's receipts setting");
    let (status, body) = app
        .call(
            "POST",
            "/api/im/my-friends/add-request",
            Some(&at),
            Some(json!({"friendId": carol})),
        )
        .await;
    assert_eq!((status, body["status"].as_i64()), (201, Some(1)));
    assert_eq!(
        a.request(to_user(&carol, "hello carol")).await["type"],
        "ack"
    );

    // Carol then refuses friends altogether: 03410.
    let refuse = json!({"allowAnonymous": false, "allowAddFriend": false, "requireAddFriendValition": true,
                        "allowReceiveMessage": true, "allowSendMessage": true});
    app.call("PUT", "/api/im/users/me/settings", Some(&ct), Some(refuse))
        .await;
    let (status, err) = app
        .call(
            "POST",
            "/api/im/my-friends/add-request",
            Some(&bt),
            Some(json!({"friendId": carol})),
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (403, Some("03410"))
    );
    let (status, err) = app
        .call(
            "POST",
            "/api/im/my-friends/add-request",
            Some(&bt),
            Some(json!({"friendId": uuid::Uuid::new_v4()})),
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (404, Some("03404"))
    );
    let (status, err) = app
        .call(
            "POST",
            "/api/im/my-friends/add-request",
            Some(&bt),
            Some(json!({"friendId": bob})),
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (400, Some("IM:Validation"))
    );
    let (status, _) = app.call("GET", "/api/im/my-friends", None, None).await;
    assert_eq!(status, 401);
    app.stop().await;
}

#[actix_rt::test]
async fn another_tenants_users_do_not_exist() {
    let db = TestDb::new(Backend::Sqlite, "friend_tenants")
        .await
        .unwrap();
    let app = TestApp::start(db.config()).await;
    let (_, at) = app.user(&unique("alice")).await;
    let tenant = uuid::Uuid::new_v4().to_string();
    let body = json!({"userName": unique("zed"), "password": "password-123", "tenantId": tenant});
    let (_, reg) = app
        .call("POST", "/api/auth/register", None, Some(body))
        .await;
    let zed = reg["userId"].as_str().unwrap();
    let (status, err) = app
        .call(
            "POST",
            "/api/im/my-friends/add-request",
            Some(&at),
            Some(json!({"friendId": zed})),
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (404, Some("03404"))
    );
    let (status, _) = app
        .call("GET", &format!("/api/im/users/{zed}/card"), Some(&at), None)
        .await;
    assert_eq!(status, 404);
    app.stop().await;
}

#[actix_rt::test]
async fn cards_and_search() {
    let db = TestDb::new(Backend::Sqlite, "cards").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let name = unique("dora");
    let (dora, dt) = app.user(&name).await;
    let (_, et) = app.user(&unique("eve")).await;
    let (_, card) = app
        .call("GET", "/api/im/users/me/card", Some(&dt), None)
        .await;
    assert_eq!(
        (
            card["userName"].as_str(),
            card["nickName"].as_str(),
            card["sex"].as_i64()
        ),
        (Some(name.as_str()), Some(name.as_str()), Some(0))
    );
    let (status, card) = app
        .call(
            "PUT",
            "/api/im/users/me/card",
            Some(&dt),
            Some(json!({"nickName": "Dora the Explorer", "sign": "hola", "age": 7})),
        )
        .await;
    assert_eq!(status, 200, "{card}");
    assert_eq!(
        (card["nickName"].as_str(), card["age"].as_i64()),
        (Some("Dora the Explorer"), Some(7))
    );
    let (status, err) = app
        .call(
            "PUT",
            "/api/im/users/me/card",
            Some(&dt),
            Some(json!({"sign": "x".repeat(31), "sex": 9})),
        )
        .await;
    assert_eq!(status, 400);
    let fields: Vec<Value> = err["error"]["validationErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["members"][0].clone())
        .collect();
    assert_eq!(fields, vec![json!("sign"), json!("sex")]);
    let (_, other) = app
        .call(
            "GET",
            &format!("/api/im/users/{dora}/card"),
            Some(&et),
            None,
        )
        .await;
    assert_eq!(
        (other["nickName"].as_str(), other["online"].as_bool()),
        (Some("Dora the Explorer"), Some(false))
    );
    let _d = WsClient::connect(&app, &dt).await;
    let (_, other) = app
        .call(
            "GET",
            &format!("/api/im/users/{dora}/card"),
            Some(&et),
            None,
        )
        .await;
    assert_eq!(other["online"], true);
    let (_, found) = app
        .call(
            "GET",
            "/api/im/users/search?filter=explorer",
            Some(&et),
            None,
        )
        .await;
    assert_eq!(found["totalCount"], 1, "{found}");
    assert_eq!(found["items"][0]["userId"], dora.as_str());
    let (_, none) = app
        .call("GET", "/api/im/users/search?filter=%25", Some(&et), None)
        .await;
    assert_eq!(none["totalCount"], 0, "a % in the filter is a literal %");
    app.stop().await;
}

on_both_databases!(
    simultaneous_accepts_and_joins_make_one_of_each,
    |db: TestDb| async move {
        let app = TestApp::start(db.config()).await;
        let (alice, at) = app.user(&unique("alice")).await;
        let (_, bt) = app.user(&unique("bob")).await;
        let bob: String = app.call("GET", "/api/auth/me", Some(&bt), None).await.1["userId"]
            .as_str()
            .unwrap()
            .into();
        app.call(
            "POST",
            "/api/im/my-friends/add-request",
            Some(&at),
            Some(json!({"friendId": bob})),
        )
        .await;
        let path = format!("/api/im/my-friends/requests/{alice}/accept");
        let accepts = (0..4).map(|_| app.call("PUT", &path, Some(&bt), None));
        let statuses: Vec<u16> = futures_util::future::join_all(accepts)
            .await
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        assert!(
            statuses.contains(&204) && statuses.iter().all(|s| [204, 404, 409].contains(s)),
            "{statuses:?}"
        );
        for token in [&at, &bt] {
            let (_, list) = app
                .call("GET", "/api/im/my-friends", Some(token), None)
                .await;
            assert_eq!(
                list["totalCount"], 1,
                "one friendship per direction: {list}"
            );
        }
        let (_, g) = app
            .call(
                "POST",
                "/api/im/groups",
                Some(&at),
                Some(json!({"name": "race"})),
            )
            .await;
        let joins = (0..4).map(|_| {
            app.call(
                "POST",
                "/api/im/user-groups/join",
                Some(&bt),
                Some(json!({"groupId": g["id"]})),
            )
        });
        let statuses: Vec<u16> = futures_util::future::join_all(joins)
            .await
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            1,
            "{statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| [201, 409].contains(s)),
            "{statuses:?}"
        );
        let (_, reqs) = app
            .call(
                "GET",
                &format!(
                    "/api/im/user-groups/requests?groupId={}",
                    g["id"].as_str().unwrap()
                ),
                Some(&at),
                None,
            )
            .await;
        assert_eq!(reqs["totalCount"], 1);
        app.stop().await;
    }
);

#[actix_rt::test]
async fn abps_create_accepts_a_pending_request_or_asks() {
    let db = TestDb::new(Backend::Sqlite, "friend_create").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let (alice, at) = app.user(&unique("alice")).await;
    let (bob, bt) = app.user(&unique("bob")).await;
    let (carol, _) = app.user(&unique("carol")).await;
    app.call(
        "POST",
        "/api/im/my-friends/add-request",
        Some(&bt),
        Some(json!({"friendId": alice})),
    )
    .await;
    let (status, body) = app
        .call(
            "POST",
            "/api/im/my-friends",
            Some(&at),
            Some(json!({"friendId": bob})),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_i64()),
        (201, Some(1)),
        "Bob had asked: now friends"
    );
    let (_, f) = app
        .call(
            "GET",
            &format!("/api/im/my-friends/{alice}"),
            Some(&bt),
            None,
        )
        .await;
    assert_eq!(f["friendId"], alice.as_str());
    let (status, body) = app
        .call(
            "POST",
            "/api/im/my-friends",
            Some(&at),
            Some(json!({"friendId": carol})),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_i64()),
        (201, Some(0)),
        "Carol did not ask: only a request, never a forced friendship"
    );
    app.stop().await;
}
