//! The admin API, metrics and the `admin create` command, through real HTTP and WebSocket.

use serde_json::{json, Value};

use crate::helpers::{unique, Backend, TestApp, TestDb};
use crate::ws::{to_user, WsClient};

/// An admin account made the way operators make one: `imcluster admin create`, the password
/// on standard input. Returns its token (logged in over HTTP).
pub async fn create_admin(db: &TestDb, app: &TestApp) -> String {
    use std::io::Write;
    let name = unique("root");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_imcluster"))
        .args(["admin", "create", &name])
        .env("IMCLUSTER_DATABASE__URL", &db.url)
        .env("IMCLUSTER_DATABASE__SCHEMA", &db.schema)
        .env("IMCLUSTER_LOG__LEVEL", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "a-long-password").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "admin create: {out:?}");
    let body = json!({"userName": name, "password": "a-long-password"});
    let (status, login) = app.call("POST", "/api/auth/login", None, Some(body)).await;
    assert_eq!(status, 200, "{login}");
    login["accessToken"].as_str().unwrap().to_string()
}

#[actix_rt::test]
async fn admin_routes_refuse_users_and_strangers() {
    let db = TestDb::new(Backend::Sqlite, "admin_auth").await.unwrap();
    let mut config = db.config();
    config.admin.api_key = "admin-key-123".into();
    let app = TestApp::start(config).await;
    let (_, user) = app.user(&unique("plain")).await;
    let routes = [
        ("GET", "/api/admin/stats"),
        ("GET", "/api/admin/stats/history"),
        ("GET", "/api/admin/nodes"),
        ("GET", "/api/admin/users"),
        ("GET", "/api/admin/groups"),
        ("GET", "/api/admin/config"),
        ("POST", "/api/admin/broadcast"),
        (
            "POST",
            &format!("/api/admin/users/{}/kick", uuid::Uuid::new_v4()),
        ),
        ("DELETE", "/api/admin/messages/1"),
    ];
    for (method, path) in routes {
        let (status, body) = app.call(method, path, None, Some(json!({}))).await;
        assert_eq!(status, 401, "{method} {path} without a token: {body}");
        let (status, body) = app.call(method, path, Some(&user), Some(json!({}))).await;
        assert_eq!(status, 403, "{method} {path} as a user: {body}");
    }
    let res = app
        .client
        .get(format!("{}/api/admin/config", app.base))
        .insert_header(("x-api-key", "wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let mut res = app
        .client
        .get(format!("{}/api/admin/config", app.base))
        .insert_header(("x-api-key", "admin-key-123"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let config: Value = res.json().await.unwrap();
    assert_eq!(config["jwt"]["secret"], "<redacted>");
    assert_eq!(config["admin"]["api_key"], "<redacted>");
    app.stop().await;
}

#[actix_rt::test]
async fn an_admin_sees_kicks_bans_broadcasts_and_recalls() {
    let db = TestDb::new(Backend::Sqlite, "admin_actions").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let root = create_admin(&db, &app).await;
    let name = unique("alice");
    let (alice, at) = app.user(&name).await;
    let (bob, bt) = app.user(&unique("bob")).await;
    app.befriend(&alice, &bob).await;
    let mut a = WsClient::connect(&app, &at).await;
    let mut b = WsClient::connect(&app, &bt).await;

    let (status, stats) = app.call("GET", "/api/admin/stats", Some(&root), None).await;
    assert_eq!(status, 200, "{stats}");
    assert_eq!(
        (stats["pods"].as_u64(), stats["connections"].as_f64()),
        (Some(1), Some(2.0))
    );
    assert_eq!(stats["onlineUsers"].as_f64(), Some(2.0));
    let (status, history) = app
        .call("GET", "/api/admin/stats/history", Some(&root), None)
        .await;
    assert_eq!(status, 200, "{history}");
    assert_eq!(history["intervalSeconds"], 5);
    assert_eq!(history["pods"].as_array().unwrap().len(), 1, "{history}");
    assert!(history["total"].is_array(), "{history}");
    let (_, conns) = app
        .call(
            "GET",
            &format!("/api/admin/connections?userId={alice}"),
            Some(&root),
            None,
        )
        .await;
    let items = conns["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{conns}");
    assert_eq!(items[0]["connectionId"], a.welcome["connectionId"]);
    assert!(items[0]["remoteAddr"]
        .as_str()
        .unwrap()
        .starts_with("127.0.0.1"));

    // A broadcast reaches everyone as a system notice.
    let (status, _) = app
        .call(
            "POST",
            "/api/admin/broadcast",
            Some(&root),
            Some(json!({"content": "maintenance at noon"})),
        )
        .await;
    assert_eq!(status, 202);
    for c in [&mut a, &mut b] {
        assert_eq!(
            c.next_notice("system").await["data"]["content"],
            "maintenance at noon"
        );
    }
    let (status, _) = app
        .call(
            "POST",
            "/api/admin/broadcast",
            Some(&root),
            Some(json!({"content": ""})),
        )
        .await;
    assert_eq!(status, 400, "an empty broadcast is refused");

    // Any message can be recalled, without a time limit; both sides hear it.
    let ack = a.request(to_user(&bob, "regrettable")).await;
    b.next_of("message").await;
    let (_, listed) = app
        .call(
            "GET",
            &format!("/api/admin/messages?userId={alice}&filter=regret"),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(
        listed["items"][0]["messageId"], ack["messageId"],
        "{listed}"
    );
    let (status, _) = app
        .call(
            "DELETE",
            &format!("/api/admin/messages/{}", ack["messageId"].as_str().unwrap()),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(b.next_of("recalled").await["messageId"], ack["messageId"]);
    assert_eq!(a.next_of("recalled").await["messageId"], ack["messageId"]);

    // A kick closes every session with 4003; a ban also refuses login and connection.
    let (status, _) = app
        .call(
            "POST",
            &format!("/api/admin/users/{bob}/kick"),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(b.closed().await, Some(4003));
    let (status, _) = app
        .call(
            "POST",
            &format!("/api/admin/users/{alice}/ban"),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(a.closed().await, Some(4003));
    let login = json!({"userName": name, "password": "password-123"});
    let (status, body) = app
        .call("POST", "/api/auth/login", None, Some(login.clone()))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("IM:Banned"))
    );
    let (_, users) = app
        .call(
            "GET",
            &format!("/api/admin/users?filter={name}"),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(users["items"][0]["banned"], true, "{users}");
    let (status, _) = app
        .call(
            "POST",
            &format!("/api/admin/users/{alice}/unban"),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = app.call("POST", "/api/auth/login", None, Some(login)).await;
    assert_eq!(status, 200);
    let (status, _) = app
        .call(
            "POST",
            &format!("/api/admin/users/{}/ban", uuid::Uuid::new_v4()),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(status, 404, "no such account");

    // Metrics count what happened.
    let mut res = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    let text = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
    assert!(
        text.contains("im_messages_stored_total{kind=\"private\"}"),
        "{text}"
    );
    assert!(
        text.contains("im_frames_received_total{type=\"send\"}"),
        "{text}"
    );
    assert!(text.contains("im_commit_seconds_bucket"), "{text}");
    app.stop().await;
}

#[actix_rt::test]
async fn every_response_carries_a_request_id() {
    let db = TestDb::new(Backend::Sqlite, "request_id").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let res = app
        .client
        .get(format!("{}/health", app.base))
        .send()
        .await
        .unwrap();
    let id = res
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(id.len(), 32, "a fresh id: {id}");
    let res = app
        .client
        .get(format!("{}/nope", app.base))
        .insert_header(("x-request-id", "trace-me-42"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(
        res.headers().get("x-request-id").unwrap(),
        "trace-me-42",
        "the caller's id is kept"
    );
    let res = app
        .client
        .get(format!("{}/health", app.base))
        .insert_header(("x-request-id", "not a token; <script>"))
        .send()
        .await
        .unwrap();
    assert_ne!(
        res.headers().get("x-request-id").unwrap(),
        "not a token; <script>"
    );
    app.stop().await;
}

/// Found by schemathesis: a `skipCount` past `i64::MAX` panicked in the SQLite driver's
/// binding and dropped the connection. Every paged route now answers an empty page.
#[actix_rt::test]
async fn a_huge_skip_count_is_an_empty_page() {
    let db = TestDb::new(Backend::Sqlite, "huge_skip").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let admin = create_admin(&db, &app).await;
    let huge = "skipCount=9223372036854775808&maxResultCount=5";
    for path in [
        format!("/api/admin/users?{huge}"),
        format!("/api/admin/groups?{huge}"),
        format!("/api/im/my-friends?{huge}"),
        format!("/api/im/groups/search?{huge}"),
    ] {
        let (status, page) = app.call("GET", &path, Some(&admin), None).await;
        assert_eq!(status, 200, "{path}: {page}");
        assert_eq!(page["items"], json!([]), "{path}");
    }
    app.stop().await;
}
