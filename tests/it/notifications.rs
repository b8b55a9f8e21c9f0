//! Notifications, ABP's and native: definitions managed by administrators (with the built-in
//! ones), publishing to users, to subscribers and to a tenant, the inbox with its read states,
//! subscriptions, expiry, live delivery on the WebSocket and on the notifications hub (the
//! real `@microsoft/signalr` client), social events stored as notifications, and across pods.

use std::time::Duration;

use serde_json::{json, Value};

use crate::admin::create_admin;
use crate::helpers::{unique, Backend, TestApp, TestDb};
use crate::hub_client::{node_ready, HubClient};
use crate::on_both_databases;
use crate::pods::{await_online, Cluster};
use crate::ws::WsClient;

/// Waits (up to ten seconds) until `check` holds, polling.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "{what} in time");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A definition clients may subscribe to, in a group of its own (made by an administrator).
async fn define(app: &TestApp, admin: &str, name: &str, subscribable: bool) {
    let group = format!("{name}.Group");
    let (status, body) = app
        .call(
            "POST",
            "/api/notifications/definitions/groups",
            Some(admin),
            Some(json!({"name": group, "displayName": "Ops", "allowSubscriptionToClients": true})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .call(
            "POST",
            "/api/notifications/definitions/notifications",
            Some(admin),
            Some(
                json!({"name": name, "groupName": group, "displayName": "Alert",
                        "allowSubscriptionToClients": subscribable, "notificationType": 10,
                        "contentType": 2, "providers": ["SignalR"]}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], name);
    assert_eq!(body["contentType"], 2);
    assert_eq!(body["isStatic"], false);
}

async fn publish(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    app.call("POST", "/api/push/notifications", Some(token), Some(body))
        .await
}

async fn inbox(app: &TestApp, token: &str, query: &str) -> Value {
    let (status, body) = app
        .call(
            "GET",
            &format!("/api/notifications/my-notifilers{query}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

on_both_databases!(
    published_notifications_reach_inboxes_and_sockets,
    |db: TestDb| async move {
        let app = TestApp::start(db.config()).await;
        let admin = create_admin(&db, &app).await;
        let (alice, at) = app.user(&unique("alice")).await;
        let (bob, bt) = app.user(&unique("bob")).await;

        // The built-in ones are there for administrators to see; users may not manage them.
        let (status, defs) = app
            .call(
                "GET",
                "/api/notifications/definitions/notifications",
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(status, 200, "{defs}");
        let names: Vec<&str> = defs["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap())
            .collect();
        for builtin in ["IM.FriendRequest", "IM.GroupJoinRequest", "IM.SystemNotice"] {
            assert!(names.contains(&builtin), "{builtin} in {names:?}");
        }
        let (status, _) = app
            .call(
                "GET",
                "/api/notifications/definitions/notifications",
                Some(&at),
                None,
            )
            .await;
        assert_eq!(status, 403);
        let (status, _) = app
            .call(
                "DELETE",
                "/api/notifications/definitions/notifications/IM.FriendRequest",
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(status, 403, "a built-in definition stays");
        let alert = unique("Ops.Alert");
        define(&app, &admin, &alert, true).await;

        // Published to alice: stored, in her inbox unread, and live on her socket.
        let mut a = WsClient::connect(&app, &at).await;
        let (status, published) = publish(
            &app,
            &admin,
            json!({"name": alert, "userIds": [alice], "severity": 20,
                   "data": {"title": "Disk", "message": "disk 91% full"}}),
        )
        .await;
        assert_eq!(status, 201, "{published}");
        assert_eq!(published["recipients"], 1);
        let id = published["id"].as_str().unwrap().to_string();
        let live = a.next_of("notification").await;
        let n = &live["notification"];
        assert_eq!(n["id"], id.as_str(), "{live}");
        assert_eq!(n["name"], alert.as_str());
        assert_eq!(n["data"]["message"], "disk 91% full");
        assert_eq!(n["severity"], 20);
        assert_eq!(n["type"], 10);
        assert_eq!(n["contentType"], 2);

        let page = inbox(&app, &at, "").await;
        assert_eq!(page["totalCount"], 1, "{page}");
        let item = &page["items"][0];
        assert_eq!(item["id"], id.as_str());
        assert_eq!(item["name"], alert.as_str());
        assert_eq!(item["state"], 1, "unread");
        assert_eq!(item["data"]["title"], "Disk");
        assert!(item["creationTime"].as_str().unwrap().ends_with('Z'));
        assert_eq!(
            inbox(&app, &bt, "").await["totalCount"],
            0,
            "bob got nothing"
        );
        let (_, native) = app
            .call("GET", "/api/im/notifications", Some(&at), None)
            .await;
        assert_eq!(native["unread"], 1, "{native}");

        // Marked read (ABP's route), then the read-state filter; unread again (native).
        let (status, _) = app
            .call(
                "PUT",
                "/api/notifications/my-notifilers/mark-read-state",
                Some(&at),
                Some(json!({"idList": [id.clone()], "state": 0})),
            )
            .await;
        assert_eq!(status, 204);
        assert_eq!(inbox(&app, &at, "?readState=1").await["totalCount"], 0);
        assert_eq!(inbox(&app, &at, "?readState=0").await["totalCount"], 1);
        let (status, one) = app
            .call(
                "GET",
                &format!("/api/notifications/my-notifilers/{id}"),
                Some(&at),
                None,
            )
            .await;
        assert_eq!((status, one["state"].clone()), (200, json!(0)), "{one}");
        let (status, marked) = app
            .call(
                "POST",
                "/api/im/notifications/read",
                Some(&at),
                Some(json!({"ids": [id.clone()], "read": false})),
            )
            .await;
        assert_eq!(status, 200, "{marked}");
        assert_eq!(
            (marked["changed"].clone(), marked["unread"].clone()),
            (json!(1), json!(1))
        );
        let (status, _) = app
            .call(
                "PUT",
                "/api/notifications/my-notifilers/mark-read-state",
                Some(&at),
                Some(json!({"idList": [id.clone()], "state": 7})),
            )
            .await;
        assert_eq!(status, 400, "a read state is 0 or 1");

        // Bob's id is not in alice's inbox; deleting her own works once.
        let (status, _) = app
            .call(
                "DELETE",
                &format!("/api/notifications/my-notifilers/{id}"),
                Some(&bt),
                None,
            )
            .await;
        assert_eq!(status, 404);
        let (status, _) = app
            .call(
                "DELETE",
                &format!("/api/notifications/my-notifilers/{id}"),
                Some(&at),
                None,
            )
            .await;
        assert_eq!(status, 204);
        assert_eq!(inbox(&app, &at, "").await["totalCount"], 0);

        // Subscriptions: bob subscribes; a publication to the subscribers reaches him only.
        let (status, assignables) = app
            .call("GET", "/api/notifications/assignables", Some(&bt), None)
            .await;
        assert_eq!(status, 200);
        assert!(assignables.to_string().contains(&alert), "{assignables}");
        let (status, _) = app
            .call(
                "POST",
                "/api/notifications/my-subscribes",
                Some(&bt),
                Some(json!({"name": alert})),
            )
            .await;
        assert_eq!(status, 204);
        let (_, subscribed) = app
            .call(
                "GET",
                &format!("/api/notifications/my-subscribes/is-subscribed/{alert}"),
                Some(&bt),
                None,
            )
            .await;
        assert_eq!(subscribed["isSubscribed"], true);
        let (_, all) = app
            .call(
                "GET",
                "/api/notifications/my-subscribes/all",
                Some(&bt),
                None,
            )
            .await;
        assert_eq!(all["items"], json!([{"name": alert}]));
        let (status, _) = app
            .call(
                "POST",
                "/api/notifications/my-subscribes",
                Some(&bt),
                Some(json!({"name": "IM.FriendRequest"})),
            )
            .await;
        assert_eq!(status, 403, "clients may not subscribe to it");
        let (status, published) = publish(
            &app,
            &admin,
            json!({"name": alert, "data": {"message": "to subscribers"}}),
        )
        .await;
        assert_eq!(
            (status, published["recipients"].clone()),
            (201, json!(1)),
            "{published}"
        );
        let page = inbox(&app, &bt, "").await;
        assert_eq!(
            page["items"][0]["data"]["message"], "to subscribers",
            "{page}"
        );
        assert_eq!(
            inbox(&app, &at, "").await["totalCount"],
            0,
            "alice is not subscribed"
        );
        let (status, _) = app
            .call(
                "DELETE",
                &format!("/api/notifications/my-subscribes?name={alert}"),
                Some(&bt),
                None,
            )
            .await;
        assert_eq!(status, 204);
        let (_, published) =
            publish(&app, &admin, json!({"name": alert, "to": "subscribers"})).await;
        assert_eq!(published["recipients"], 0);

        // To the tenant: every user.
        let (_, published) = publish(
            &app,
            &admin,
            json!({"name": alert, "to": "tenant", "data": {}}),
        )
        .await;
        assert!(
            published["recipients"].as_u64().unwrap() >= 3,
            "{published}"
        );

        // Expiry: gone from the inbox once past its time.
        let (_, short) = publish(
            &app,
            &admin,
            json!({"name": alert, "userIds": [alice], "expiresInSeconds": 1}),
        )
        .await;
        let short = short["id"].as_str().unwrap().to_string();
        assert!(inbox(&app, &at, "").await.to_string().contains(&short));
        eventually("the expired notification leaves the inbox", || async {
            !inbox(&app, &at, "").await.to_string().contains(&short)
        })
        .await;

        // Refusals: an unknown name, a user without the role, a bad severity.
        let (status, _) =
            publish(&app, &admin, json!({"name": "No.Such", "userIds": [alice]})).await;
        assert_eq!(status, 404);
        let (status, _) = publish(&app, &at, json!({"name": alert, "userIds": [bob]})).await;
        assert_eq!(status, 403);
        let (status, _) = publish(
            &app,
            &admin,
            json!({"name": alert, "userIds": [bob], "severity": 3}),
        )
        .await;
        assert_eq!(status, 400);

        // A friend request is stored as a notification of the built-in kind.
        let (status, _) = app
            .call(
                "POST",
                "/api/im/my-friends/add-request",
                Some(&at),
                Some(json!({"friendId": bob})),
            )
            .await;
        assert_eq!(status, 201);
        eventually("the friend request is in bob's inbox", || async {
            inbox(&app, &bt, "").await["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| {
                    n["name"] == "IM.FriendRequest" && n["data"]["from"]["userId"] == alice.as_str()
                })
        })
        .await;
    }
);

#[actix_rt::test]
async fn the_notifications_hub_serves_abp_clients() {
    if !node_ready("notifications_hub") {
        return;
    }
    let db = TestDb::new(Backend::Sqlite, "notifications_hub")
        .await
        .unwrap();
    let app = TestApp::start(db.config()).await;
    let admin = create_admin(&db, &app).await;
    let (alice, at) = app.user(&unique("alice")).await;
    let alert = unique("Ops.Alert");
    define(&app, &admin, &alert, true).await;
    let (status, _) = app
        .call(
            "POST",
            "/api/notifications/my-subscribes",
            Some(&at),
            Some(json!({"name": alert})),
        )
        .await;
    assert_eq!(status, 204);

    let mut hub = HubClient::of_hub(
        &app.base,
        "notifications",
        &at,
        json!({"callbacks": ["get-notification"]}),
    )
    .await;
    assert_eq!(hub.start().await["event"], "started");
    let (_, published) = publish(
        &app,
        &admin,
        json!({"name": alert, "userIds": [alice], "data": {"message": "over SignalR"}}),
    )
    .await;
    let id = published["id"].as_str().unwrap().to_string();
    let got = hub.next_call("get-notification").await;
    let n = &got[0];
    assert_eq!(n["id"], id.as_str(), "{n}");
    assert_eq!(n["name"], alert.as_str());
    assert_eq!(n["data"]["message"], "over SignalR");
    assert_eq!(n["severity"], 10);

    // ABP's hub methods: the unread ones, my subscriptions, and changing a state.
    let unread = hub.invoke("get-notifications", json!([])).await.unwrap();
    assert_eq!(unread["items"][0]["id"], id.as_str(), "{unread}");
    let subscriptions = hub.invoke("my-subscriptions", json!([])).await.unwrap();
    assert_eq!(
        subscriptions["items"][0]["notificationName"],
        alert.as_str()
    );
    hub.invoke("change-state", json!([id, 0])).await.unwrap();
    let page = inbox(&app, &at, "").await;
    assert_eq!(page["items"][0]["state"], 0, "{page}");
    let unread = hub.invoke("get-notifications", json!([])).await.unwrap();
    assert_eq!(unread["items"], json!([]));
    let refused = hub.invoke("send", json!([{}])).await.unwrap_err();
    assert!(refused.contains("Unknown hub method"), "{refused}");

    // The messages hub does not hear notifications; the notifications hub hears no chat.
    let mut chat =
        HubClient::connected(&app.base, &at, json!({"callbacks": ["get-notification"]})).await;
    let (_, second) = publish(&app, &admin, json!({"name": alert, "userIds": [alice]})).await;
    let got = hub.next_call("get-notification").await;
    assert_eq!(got[0]["id"], second["id"]);
    chat.stop().await;
    assert!(
        !chat.seen_call("get-notification"),
        "the messages hub got no notification"
    );
    hub.stop().await;
}

#[actix_rt::test]
async fn notifications_cross_pods_over_http_and_redis() {
    let Some(cluster) = Cluster::new("notifications_cross_pods").await else {
        return;
    };
    let env = [("IMCLUSTER_PUSH__API_KEY", "push-key-123")];
    let p1 = cluster.pod_with(1, &env).await;
    let p2 = cluster.pod_with(2, &env).await;
    let (alice, at) = p2.user(&unique("alice")).await;
    let mut a = WsClient::connect(&p2, &at).await;
    await_online(&[&p1, &p2], &alice, &at).await;

    // Published over HTTP on pod 1: alice on pod 2 hears it.
    let mut res = p1
        .client
        .post(format!("{}/api/push/notifications", p1.base))
        .insert_header(("x-api-key", "push-key-123"))
        .send_json(&json!({"name": "IM.SystemNotice", "userIds": [alice], "data": {"message": "from pod 1"}}))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let published: Value = res.json().await.unwrap();
    let live = a.next_of("notification").await;
    assert_eq!(live["notification"]["id"], published["id"], "{live}");

    // Published on Redis: stored once (one pod claims it), heard on pod 2.
    let client = redis::Client::open(cluster.redis_url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let body =
        json!({"name": "IM.SystemNotice", "userIds": [alice], "data": {"message": "over redis"}});
    let _: i64 = redis::cmd("PUBLISH")
        .arg(format!("{}.notifications", cluster.namespace))
        .arg(body.to_string())
        .query_async(&mut conn)
        .await
        .unwrap();
    let live = a.next_of("notification").await;
    assert_eq!(
        live["notification"]["data"]["message"], "over redis",
        "{live}"
    );
    let (_, page) = p1
        .call("GET", "/api/notifications/my-notifilers", Some(&at), None)
        .await;
    let from_redis = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["data"]["message"] == "over redis")
        .count();
    assert_eq!(from_redis, 1, "stored once: {page}");
}
