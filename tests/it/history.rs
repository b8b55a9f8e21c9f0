//! Sending over HTTP, history pages and the conversation list.

use serde_json::{json, Value};

use crate::helpers::{unique, TestApp, TestDb};
use crate::on_both_databases;
use crate::ws::{to_user, WsClient};

on_both_databases!(send_over_http_and_read_history, |db: TestDb| async move {
    let app = TestApp::start(db.config()).await;
    let (alice, at) = app.user(&unique("alice")).await;
    let (bob, bt) = app.user(&unique("bob")).await;
    let (carol, ct) = app.user(&unique("carol")).await;
    app.befriend(&alice, &bob).await;
    let group = app.group(&alice, &[&bob]).await;
    let mut b = WsClient::connect(&app, &bt).await;

    let mut ids = Vec::new();
    for n in 0..12 {
        let kind = if n % 3 == 0 { 7 } else { 0 };
        let (status, sent) = app
            .call(
                "POST",
                "/api/im/chat/send-message",
                Some(&at),
                Some(json!({"toUserId": bob, "content": format!("note {n}"), "messageType": kind})),
            )
            .await;
        assert_eq!(status, 200, "{sent}");
        ids.push(sent["messageId"].as_str().unwrap().to_string());
        assert_eq!(
            b.next_of("message").await["message"]["messageId"],
            sent["messageId"],
            "delivered like a WebSocket send"
        );
    }
    let (status, err) = app
        .call(
            "POST",
            "/api/im/chat/send-message",
            Some(&at),
            Some(json!({"toUserId": carol, "content": "hi"})),
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (403, Some("03403"))
    );
    let (status, err) = app
        .call(
            "POST",
            "/api/im/chat/send-message",
            Some(&at),
            Some(json!({"toUserId": bob})),
        )
        .await;
    assert_eq!(status, 400, "{err}");

    let (status, page) = app
        .call(
            "GET",
            &format!("/api/im/chat/my-messages?receiveUserId={bob}&maxResultCount=5"),
            Some(&at),
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["totalCount"], 12);
    let got: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["messageId"].as_str().unwrap())
        .collect();
    let newest: Vec<&str> = ids.iter().rev().take(5).map(String::as_str).collect();
    assert_eq!(got, newest, "newest first");
    let first = &page["items"][0];
    assert_eq!(
        first["formUserId"],
        alice.as_str(),
        "ABP's names beside ours"
    );
    assert_eq!(first["fromUserId"], alice.as_str());
    assert!(first["extraProperties"].is_object());
    // The same conversation from Bob's side; older pages by cursor; filters.
    let before = got[4];
    let (_, older) = app
        .call(
            "GET",
            &format!(
                "/api/im/chat/my-messages?receiveUserId={alice}&before={before}&maxResultCount=100"
            ),
            Some(&bt),
            None,
        )
        .await;
    assert_eq!(older["items"].as_array().unwrap().len(), 7);
    let (_, images) = app
        .call(
            "GET",
            &format!(
                "/api/im/chat/my-messages?receiveUserId={bob}&messageType=7&maxResultCount=100"
            ),
            Some(&at),
            None,
        )
        .await;
    assert_eq!(images["totalCount"], 4);
    let (_, text) = app
        .call(
            "GET",
            &format!("/api/im/chat/my-messages?receiveUserId={bob}&filter=note%2011"),
            Some(&at),
            None,
        )
        .await;
    assert_eq!(text["totalCount"], 1);
    // Carol is not in this conversation: her view of it is empty.
    let (_, theirs) = app
        .call(
            "GET",
            &format!("/api/im/chat/my-messages?receiveUserId={bob}"),
            Some(&ct),
            None,
        )
        .await;
    assert_eq!(theirs["totalCount"], 0);

    // Groups: members only.
    let (status, sent) = app
        .call(
            "POST",
            "/api/im/chat/send-message",
            Some(&bt),
            Some(json!({"groupId": group.to_string(), "content": "in the group"})),
        )
        .await;
    assert_eq!(status, 200, "{sent}");
    let (status, page) = app
        .call(
            "GET",
            &format!("/api/im/chat/group/messages?groupId={group}"),
            Some(&at),
            None,
        )
        .await;
    assert_eq!(
        (status, page["totalCount"].as_u64()),
        (200, Some(1)),
        "{page}"
    );
    let (status, err) = app
        .call(
            "GET",
            &format!("/api/im/chat/group/messages?groupId={group}"),
            Some(&ct),
            None,
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (403, Some("01401"))
    );
    app.stop().await;
});

on_both_databases!(
    the_conversation_list_counts_unread,
    |db: TestDb| async move {
        let app = TestApp::start(db.config()).await;
        let (alice, at) = app.user(&unique("alice")).await;
        let (bob, bt) = app.user(&unique("bob")).await;
        let (carol, _) = app.user(&unique("carol")).await;
        app.befriend(&alice, &bob).await;
        app.befriend(&alice, &carol).await;
        let group = app.group(&carol, &[&alice]).await;
        let mut b = WsClient::connect(&app, &bt).await;
        let mut last = Value::Null;
        for n in 0..3 {
            last = b.request(to_user(&alice, &format!("from bob {n}"))).await;
        }
        app.call(
            "POST",
            "/api/im/chat/send-message",
            Some(&at),
            Some(json!({"toUserId": carol, "content": "to carol"})),
        )
        .await;
        app.call(
            "POST",
            "/api/im/chat/send-message",
            Some(&at),
            Some(json!({"groupId": group.to_string(), "content": "group hello"})),
        )
        .await;

        let (status, list) = app
            .call(
                "GET",
                "/api/im/chat/my-last-messages?maxResultCount=10",
                Some(&at),
                None,
            )
            .await;
        assert_eq!(status, 200, "{list}");
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 3, "{list}");
        assert_eq!(items[0]["content"], "group hello", "newest first");
        assert_eq!(items[0]["object"], "test group");
        assert_eq!(items[0]["unreadCount"], 0, "my own message is not unread");
        let bob_row = items
            .iter()
            .find(|i| i["fromUserId"] == bob.as_str())
            .unwrap();
        assert_eq!(bob_row["unreadCount"], 3);
        assert_eq!(bob_row["content"], "from bob 2");

        let mut a = WsClient::connect(&app, &at).await;
        let read = a
            .request(json!({"type": "read", "messageId": last["messageId"]}))
            .await;
        assert_eq!(read["type"], "ack");
        let (_, list) = app
            .call("GET", "/api/im/chat/my-last-messages", Some(&at), None)
            .await;
        let bob_row = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["fromUserId"] == bob.as_str())
            .unwrap()
            .clone();
        assert_eq!(bob_row["unreadCount"], 0, "{bob_row}");
        app.stop().await;
    }
);

on_both_databases!(search_finds_only_what_i_may_see, |db: TestDb| async move {
    let app = TestApp::start(db.config()).await;
    let (alice, at) = app.user(&unique("alice")).await;
    let (bob, bt) = app.user(&unique("bob")).await;
    let (carol, ct) = app.user(&unique("carol")).await;
    app.befriend(&alice, &bob).await;
    app.befriend(&carol, &bob).await;
    let group = app.group(&alice, &[&bob]).await;
    let send = |token: String, body: Value| {
        let app = &app;
        async move {
            app.call(
                "POST",
                "/api/im/chat/send-message",
                Some(&token),
                Some(body),
            )
            .await
            .1
        }
    };
    send(
        at.clone(),
        json!({"toUserId": bob, "content": "the pineapple pizza debate"}),
    )
    .await;
    send(
        bt.clone(),
        json!({"toUserId": carol, "content": "secret pineapple recipe"}),
    )
    .await;
    let recalled = send(
        at.clone(),
        json!({"toUserId": bob, "content": "pineapple regret"}),
    )
    .await;
    send(
        bt.clone(),
        json!({"groupId": group.to_string(), "content": "group pineapple party"}),
    )
    .await;
    send(
        at.clone(),
        json!({"toUserId": bob, "content": "nothing to see"}),
    )
    .await;
    let mut a = WsClient::connect(&app, &at).await;
    assert_eq!(
        a.request(json!({"type": "recall", "messageId": recalled["messageId"]}))
            .await["type"],
        "ack"
    );

    let (status, found) = app
        .call("GET", "/api/im/chat/search?q=pineapple", Some(&at), None)
        .await;
    assert_eq!(status, 200, "{found}");
    let contents: Vec<&str> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        contents,
        vec!["group pineapple party", "the pineapple pizza debate"],
        "newest first, no recalled, nothing of others"
    );
    let (_, found) = app
        .call(
            "GET",
            &format!("/api/im/chat/search?q=pineapple&groupId={group}"),
            Some(&at),
            None,
        )
        .await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    let (_, found) = app
        .call(
            "GET",
            &format!("/api/im/chat/search?q=pineapple&peerUserId={carol}"),
            Some(&bt),
            None,
        )
        .await;
    assert_eq!(found["items"][0]["content"], "secret pineapple recipe");
    let (status, err) = app
        .call(
            "GET",
            &format!("/api/im/chat/search?q=pineapple&groupId={group}"),
            Some(&ct),
            None,
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (403, Some("01401"))
    );
    let (status, _) = app
        .call("GET", "/api/im/chat/search?q=", Some(&at), None)
        .await;
    assert_eq!(status, 400);
    let (_, odd) = app
        .call(
            "GET",
            "/api/im/chat/search?q=%22%27%3B%20DROP%20TABLE",
            Some(&at),
            None,
        )
        .await;
    assert_eq!(
        odd["items"].as_array().unwrap().len(),
        0,
        "quotes and SQL in a query are just text"
    );
    app.stop().await;
});

on_both_databases!(unread_counts_within_a_tenant, |db: TestDb| async move {
    let app = TestApp::start(db.config()).await;
    let tenant = uuid::Uuid::new_v4();
    let mut users = Vec::new();
    for name in ["tina", "tom"] {
        let body =
            json!({"userName": unique(name), "password": "password-123", "tenantId": tenant});
        let (_, reg) = app
            .call("POST", "/api/auth/register", None, Some(body.clone()))
            .await;
        let (_, login) = app.call("POST", "/api/auth/login", None, Some(body)).await;
        users.push((
            reg["userId"].as_str().unwrap().to_string(),
            login["accessToken"].as_str().unwrap().to_string(),
        ));
    }
    let (tina, tt) = users[0].clone();
    let (tom, mt) = users[1].clone();
    app.state()
        .store
        .befriend(Some(tenant), tina.parse().unwrap(), tom.parse().unwrap())
        .await
        .unwrap();
    let group = app.state().ids.next_id();
    let new = imcluster::store::NewGroup {
        tenant_id: Some(tenant),
        group_id: group,
        owner: tina.parse().unwrap(),
        name: "tenant group".into(),
        max_user_count: 10,
        allow_anonymous: false,
        allow_send_message: true,
    };
    app.state().store.create_group(new).await.unwrap();
    app.state()
        .store
        .add_member(Some(tenant), group, tom.parse().unwrap(), false, None)
        .await
        .unwrap();
    for n in 0..2 {
        let (s, _) = app
            .call(
                "POST",
                "/api/im/chat/send-message",
                Some(&tt),
                Some(json!({"toUserId": tom, "content": format!("t{n}")})),
            )
            .await;
        assert_eq!(s, 200);
    }
    let (s, _) = app
        .call(
            "POST",
            "/api/im/chat/send-message",
            Some(&tt),
            Some(json!({"groupId": group.to_string(), "content": "g"})),
        )
        .await;
    assert_eq!(s, 200);
    let (_, list) = app
        .call("GET", "/api/im/chat/my-last-messages", Some(&mt), None)
        .await;
    let unread: Vec<u64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["unreadCount"].as_u64().unwrap())
        .collect();
    assert_eq!(unread, vec![1, 2], "{list}");
    app.stop().await;
});

on_both_databases!(rows_written_by_abp_itself_count, |db: TestDb| async move {
    // ABP's own MessageAppService, on a shared database, stores rows without this server:
    // the conversation list, unread counts and totals must see them all the same.
    let app = TestApp::start(db.config()).await;
    let (alice, at) = app.user(&unique("alice")).await;
    let (bob, bt) = app.user(&unique("bob")).await;
    app.befriend(&alice, &bob).await;
    use sea_orm::ConnectionTrait;
    let mut options = sea_orm::ConnectOptions::new(db.url.clone());
    if !db.schema.is_empty() {
        options.set_schema_search_path(db.schema.clone());
    }
    let raw = sea_orm::Database::connect(options).await.unwrap();
    let backend = raw.get_database_backend();
    let ph = |n: usize| match backend {
        sea_orm::DbBackend::Postgres => format!("${n}"),
        _ => "?".to_string(),
    };
    let abp_id = app.state().ids.next_id();
    let sql = format!(
        "INSERT INTO \"AppUserMessages\" (\"ReceiveUserId\", \"ExtraProperties\", \"ConcurrencyStamp\", \"CreationTime\", \
         \"CreatorId\", \"MessageId\", \"SendUserName\", \"Content\", \"Type\", \"Source\", \"State\") \
         VALUES ({}, '{{}}', 'abp', {}, {}, {}, 'alice', 'written by ABP', 0, 0, 0)",
        ph(1),
        ph(2),
        ph(3),
        ph(4)
    );
    let values: Vec<sea_orm::Value> = vec![
        bob.parse::<uuid::Uuid>().unwrap().into(),
        chrono::Utc::now().into(),
        alice.parse::<uuid::Uuid>().unwrap().into(),
        abp_id.into(),
    ];
    raw.execute_raw(sea_orm::Statement::from_sql_and_values(
        backend, sql, values,
    ))
    .await
    .unwrap();
    let (_, list) = app
        .call("GET", "/api/im/chat/my-last-messages", Some(&bt), None)
        .await;
    assert_eq!(
        (
            &list["items"][0]["content"],
            &list["items"][0]["unreadCount"]
        ),
        (&json!("written by ABP"), &json!(1)),
        "{list}"
    );
    let mut a = WsClient::connect(&app, &at).await;
    a.request(to_user(&bob, "written by imcluster")).await;
    let (_, page) = app
        .call(
            "GET",
            &format!("/api/im/chat/my-messages?receiveUserId={alice}"),
            Some(&bt),
            None,
        )
        .await;
    assert_eq!(page["totalCount"], 2, "{page}");
    let mut b = WsClient::connect(&app, &bt).await;
    let read = b
        .request(json!({"type": "read", "messageId": abp_id.to_string()}))
        .await;
    assert_eq!(read["type"], "ack", "{read}");
    let (_, list) = app
        .call("GET", "/api/im/chat/my-last-messages", Some(&bt), None)
        .await;
    assert_eq!(
        list["items"][0]["unreadCount"], 1,
        "the newer one is still unread: {list}"
    );
    app.stop().await;
});
