//! Sessions and devices: login answers a refresh token and a session; a refresh rotates it
//! (the same answer again within the retry window, the session ended on reuse after it); the
//! login policy ends older sessions with `sessionReplaced` and 4004; users list and end their
//! sessions; a password change or reset ends the others; a socket refreshed in place outlives
//! its first token.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::{unique, Backend, TestApp, TestDb};
use crate::on_both_databases;
use crate::ws::WsClient;

const PASSWORD: &str = "password-123";

/// Registers `name`.
async fn register(app: &TestApp, name: &str) -> String {
    let body = json!({"userName": name, "password": PASSWORD});
    let (status, reg) = app
        .call("POST", "/api/auth/register", None, Some(body))
        .await;
    assert_eq!(status, 201, "{reg}");
    reg["userId"].as_str().unwrap().to_string()
}

/// Logs `name` in with the device fields in `device`; the whole answer.
async fn login(app: &TestApp, name: &str, device: Value) -> Value {
    login_with(app, name, PASSWORD, device).await
}

/// Logs `name` in with `password`.
async fn login_with(app: &TestApp, name: &str, password: &str, device: Value) -> Value {
    let mut body = json!({"userName": name, "password": password});
    body.as_object_mut()
        .unwrap()
        .extend(device.as_object().unwrap().clone());
    let (status, answer) = app.call("POST", "/api/auth/login", None, Some(body)).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

async fn refresh(app: &TestApp, token: &Value) -> (u16, Value) {
    let body = json!({"refreshToken": token});
    app.call("POST", "/api/auth/refresh", None, Some(body))
        .await
}

fn access(answer: &Value) -> &str {
    answer["accessToken"].as_str().unwrap()
}

async fn me_status(app: &TestApp, token: &str) -> u16 {
    app.call("GET", "/api/auth/me", Some(token), None).await.0
}

async fn sessions(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, list) = app
        .call("GET", "/api/auth/sessions", Some(token), None)
        .await;
    assert_eq!(status, 200, "{list}");
    list["items"].as_array().unwrap().clone()
}

/// Moves a spent refresh token's exchange `seconds` into the past, as if time had passed.
async fn age_exchange(db: &TestDb, selector: &str, seconds: i64) {
    use entity::refresh_token::{Column, Entity};
    let conn = crate::schema::connect(db).await;
    let past = Utc::now() - chrono::Duration::seconds(seconds);
    Entity::update_many()
        .col_expr(Column::RetiredAt, Expr::value(Some(past)))
        .filter(Column::Selector.eq(selector))
        .exec(&conn)
        .await
        .unwrap();
}

fn selector(refresh_token: &Value) -> &str {
    refresh_token.as_str().unwrap().split('.').next().unwrap()
}

on_both_databases!(
    refresh_rotates_answers_a_retry_and_ends_the_session_on_reuse,
    |db: TestDb| async move {
        let app = TestApp::start(db.config()).await;
        let name = unique("rita");
        register(&app, &name).await;
        let first = login(
            &app,
            &name,
            json!({"deviceId": "phone-1", "platform": "ios", "deviceName": "Rita's phone"}),
        )
        .await;
        assert_eq!(first["expiresIn"], 900, "{first}");
        assert_eq!(first["tokenType"], "Bearer");
        let sid = first["sessionId"].as_str().unwrap().to_string();
        let (_, me) = app
            .call("GET", "/api/auth/me", Some(access(&first)), None)
            .await;
        assert_eq!(
            me["sessionId"],
            sid.as_str(),
            "the token carries its session"
        );

        // A refresh rotates both tokens, in the same session.
        let (status, second) = refresh(&app, &first["refreshToken"]).await;
        assert_eq!(status, 200, "{second}");
        assert_eq!(second["sessionId"], sid.as_str());
        assert_ne!(second["refreshToken"], first["refreshToken"]);
        assert_ne!(second["accessToken"], first["accessToken"]);
        assert_eq!(me_status(&app, access(&second)).await, 200);

        // The same token again, within the retry window: the same answer, nothing ended.
        let (status, again) = refresh(&app, &first["refreshToken"]).await;
        assert_eq!(status, 200, "{again}");
        assert_eq!(again["accessToken"], second["accessToken"]);
        assert_eq!(again["refreshToken"], second["refreshToken"]);

        // The newer token works on; then the first is presented after the window: reuse.
        let (status, third) = refresh(&app, &second["refreshToken"]).await;
        assert_eq!(status, 200, "{third}");
        let mut socket = WsClient::connect(&app, access(&third)).await;
        age_exchange(&db, selector(&first["refreshToken"]), 60).await;
        let (status, reused) = refresh(&app, &first["refreshToken"]).await;
        assert_eq!(status, 401, "{reused}");
        assert_eq!(reused["error"]["code"], "IM:Unauthorized");
        assert_eq!(
            socket.closed().await,
            Some(4001),
            "the session's socket closes"
        );
        assert_eq!(me_status(&app, access(&third)).await, 401, "its tokens die");
        let (status, _) = refresh(&app, &third["refreshToken"]).await;
        assert_eq!(status, 401, "its newest refresh token dies too");
        assert!(sessions(&app, access(&login(&app, &name, json!({})).await))
            .await
            .iter()
            .all(|s| s["id"] != sid.as_str()));

        // A session unused past its refresh lifetime is refused, and ended.
        let stale = login(&app, &name, json!({})).await;
        {
            use entity::auth_session::{Column, Entity};
            let conn = crate::schema::connect(&db).await;
            Entity::update_many()
                .col_expr(
                    Column::RefreshExpiresAt,
                    Expr::value(Utc::now() - chrono::Duration::seconds(1)),
                )
                .filter(Column::Id.eq(stale["sessionId"].as_str().unwrap()))
                .exec(&conn)
                .await
                .unwrap();
        }
        let (status, _) = refresh(&app, &stale["refreshToken"]).await;
        assert_eq!(status, 401, "an expired refresh token is refused");
        assert_eq!(
            me_status(&app, access(&stale)).await,
            401,
            "and its session ended"
        );

        // Garbage, a forged verifier, and an unknown token get the same answer.
        for bad in [json!("nonsense"), json!(""), json!(42)] {
            let (status, _) = refresh(&app, &bad).await;
            assert!(status == 401 || status == 400, "{bad}: {status}");
        }
        let token = third["refreshToken"].as_str().unwrap();
        let forged = format!("{}.{}", selector(&third["refreshToken"]), "A".repeat(43));
        assert_ne!(forged, token);
        let (status, _) = refresh(&app, &json!(forged)).await;
        assert_eq!(status, 401);
        app.stop().await;
    }
);

on_both_databases!(
    users_list_and_end_their_sessions_and_no_one_elses,
    |db: TestDb| async move {
        let app = TestApp::start(db.config()).await;
        let (ann, bob) = (unique("ann"), unique("bob"));
        register(&app, &ann).await;
        register(&app, &bob).await;
        let web = login(
            &app,
            &ann,
            json!({"platform": "web", "deviceName": "Firefox"}),
        )
        .await;
        let phone = login(
            &app,
            &ann,
            json!({"platform": "android", "deviceName": "Pixel"}),
        )
        .await;
        let desk = login(&app, &ann, json!({"platform": "linux"})).await;
        let bobs = login(&app, &bob, json!({})).await;
        let mut phone_socket = WsClient::connect(&app, access(&phone)).await;
        let mut desk_socket = WsClient::connect(&app, access(&desk)).await;

        let list = sessions(&app, access(&web)).await;
        assert_eq!(list.len(), 3, "{list:?}");
        let of = |sid: &Value| list.iter().find(|s| s["id"] == *sid).unwrap().clone();
        let (w, p) = (of(&web["sessionId"]), of(&phone["sessionId"]));
        assert_eq!(w["current"], true);
        assert_eq!(w["online"], false);
        assert_eq!(w["deviceName"], "Firefox");
        assert_eq!(p["platform"], "android");
        assert_eq!(p["online"], true, "a socket of it is open");
        assert_eq!(p["current"], false);
        assert!(p["lastSeenAt"].is_string() && p["createdAt"].is_string());
        assert!(p["lastIp"].is_string());

        // Another user's session id is as good as none: 404, and it lives on.
        let path = format!("/api/auth/sessions/{}", bobs["sessionId"].as_str().unwrap());
        let (status, _) = app.call("DELETE", &path, Some(access(&web)), None).await;
        assert_eq!(status, 404);
        assert_eq!(me_status(&app, access(&bobs)).await, 200);

        // Ending one session closes its socket and kills its tokens.
        let path = format!(
            "/api/auth/sessions/{}",
            phone["sessionId"].as_str().unwrap()
        );
        let (status, _) = app.call("DELETE", &path, Some(access(&web)), None).await;
        assert_eq!(status, 204);
        assert_eq!(phone_socket.closed().await, Some(4001));
        assert_eq!(me_status(&app, access(&phone)).await, 401);
        assert_eq!(refresh(&app, &phone["refreshToken"]).await.0, 401);

        // Signing out the others leaves the caller's own.
        let (status, ended) = app
            .call(
                "DELETE",
                "/api/auth/sessions?scope=others",
                Some(access(&web)),
                None,
            )
            .await;
        assert_eq!(status, 200, "{ended}");
        assert_eq!(ended["ended"], 1);
        assert_eq!(desk_socket.closed().await, Some(4001));
        assert_eq!(me_status(&app, access(&web)).await, 200);
        assert_eq!(sessions(&app, access(&web)).await.len(), 1);

        // Logout ends the session itself.
        let (status, _) = app
            .call("POST", "/api/auth/logout", Some(access(&web)), None)
            .await;
        assert_eq!(status, 204);
        assert_eq!(me_status(&app, access(&web)).await, 401);
        assert_eq!(refresh(&app, &web["refreshToken"]).await.0, 401);
        app.stop().await;
    }
);

/// Starts a node with `policy` (and `max` sessions per platform).
async fn node_with(db: &TestDb, policy: &str, max: u32) -> TestApp {
    let mut config = db.config();
    config.auth.multi_login = serde_json::from_value(json!(policy)).unwrap();
    config.auth.max_sessions_per_platform = max;
    TestApp::start(config).await
}

/// Logs in on each platform in turn and returns which of those sessions are still alive.
async fn survivors(app: &TestApp, platforms: &[&str]) -> Vec<bool> {
    let name = unique("poli");
    register(app, &name).await;
    let mut answers = Vec::new();
    for platform in platforms {
        answers.push(login(app, &name, json!({"platform": platform})).await);
    }
    let mut alive = Vec::new();
    for answer in &answers {
        alive.push(me_status(app, access(answer)).await == 200);
    }
    alive
}

#[actix_rt::test]
async fn every_login_policy_ends_what_it_names() {
    let db = TestDb::new(Backend::Sqlite, "login_policies")
        .await
        .unwrap();
    let order = ["ios", "android", "ipad", "web", "ios", "macos"];

    let app = node_with(&db, "unlimited", 10).await;
    assert_eq!(survivors(&app, &order).await, [true; 6]);
    let three_webs = ["web", "web", "mini-web", "web"];
    app.stop().await;
    let app = node_with(&db, "unlimited", 2).await;
    assert_eq!(
        survivors(&app, &three_webs).await,
        [false, true, true, true],
        "at most two per platform: the oldest web session ends"
    );
    app.stop().await;

    let app = node_with(&db, "one_per_platform", 10).await;
    assert_eq!(
        survivors(&app, &order).await,
        [false, true, true, true, true, true],
        "the second iOS login ends the first"
    );
    app.stop().await;

    let app = node_with(&db, "one_per_class", 10).await;
    assert_eq!(
        survivors(&app, &order).await,
        [false, false, true, true, true, true],
        "mobile is one class: the last iOS login ends iOS and Android"
    );
    app.stop().await;

    let app = node_with(&db, "single", 10).await;
    assert_eq!(
        survivors(&app, &order).await,
        [false, false, false, false, false, true]
    );

    // An ended session's socket hears why, then closes with 4004; the new session's own
    // sockets and refreshes never end it.
    let name = unique("solo");
    register(&app, &name).await;
    let old = login(&app, &name, json!({"platform": "web"})).await;
    let mut old_socket = WsClient::connect(&app, access(&old)).await;
    let new = login(&app, &name, json!({"platform": "ios"})).await;
    let notice = old_socket.next_notice("sessionReplaced").await;
    assert_eq!(notice["data"]["bySessionId"], new["sessionId"], "{notice}");
    assert_eq!(notice["data"]["platform"], "ios");
    assert_eq!(old_socket.closed().await, Some(4004));
    assert_eq!(refresh(&app, &old["refreshToken"]).await.0, 401);
    let mut a = WsClient::connect(&app, access(&new)).await;
    let mut b = WsClient::connect(&app, access(&new)).await;
    let (status, newer) = refresh(&app, &new["refreshToken"]).await;
    assert_eq!(status, 200, "{newer}");
    for socket in [&mut a, &mut b] {
        assert_eq!(
            socket.request(json!({"type": "ping"})).await["type"],
            "pong"
        );
    }
    assert_eq!(sessions(&app, access(&newer)).await.len(), 1);
    app.stop().await;
}

#[actix_rt::test]
async fn a_login_from_the_same_install_replaces_its_session() {
    let db = TestDb::new(Backend::Sqlite, "same_install").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let name = unique("inst");
    register(&app, &name).await;
    let device = json!({"deviceId": "install-7", "platform": "android"});
    let first = login(&app, &name, device.clone()).await;
    let second = login(&app, &name, device).await;
    assert_eq!(me_status(&app, access(&first)).await, 401);
    assert_eq!(me_status(&app, access(&second)).await, 200);
    let (status, bad) = app
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({"userName": name, "password": PASSWORD, "platform": "toaster"})),
        )
        .await;
    assert_eq!(status, 400, "an unknown platform is refused: {bad}");
    app.stop().await;
}

on_both_databases!(
    a_password_change_or_reset_ends_the_other_sessions,
    |db: TestDb| async move {
        let app = TestApp::start(db.config()).await;
        let name = unique("pam");
        register(&app, &name).await;
        let here = login(&app, &name, json!({"platform": "web"})).await;
        let there = login(&app, &name, json!({"platform": "ios"})).await;
        let mut there_socket = WsClient::connect(&app, access(&there)).await;

        let change =
            |current: &str, new: &str| json!({"currentPassword": current, "newPassword": new});
        let (status, wrong) = app
            .call(
                "PUT",
                "/api/auth/password",
                Some(access(&here)),
                Some(change("nope-nope", "new-password-1")),
            )
            .await;
        assert_eq!(status, 401, "{wrong}");
        assert_eq!(wrong["error"]["code"], "IM:BadCredentials");
        let (status, short) = app
            .call(
                "PUT",
                "/api/auth/password",
                Some(access(&here)),
                Some(change(PASSWORD, "short")),
            )
            .await;
        assert_eq!(status, 400, "{short}");
        let (status, _) = app
            .call(
                "PUT",
                "/api/auth/password",
                Some(access(&here)),
                Some(change(PASSWORD, "new-password-1")),
            )
            .await;
        assert_eq!(status, 204);
        assert_eq!(
            there_socket.closed().await,
            Some(4001),
            "the other session ends"
        );
        assert_eq!(me_status(&app, access(&there)).await, 401);
        assert_eq!(
            me_status(&app, access(&here)).await,
            200,
            "this one goes on"
        );
        let old = json!({"userName": name, "password": PASSWORD});
        assert_eq!(
            app.call("POST", "/api/auth/login", None, Some(old)).await.0,
            401
        );

        // An administrator's one-time code resets it, once, and ends every session.
        let admin = crate::admin::create_admin(&db, &app).await;
        let user_id = app
            .call("GET", "/api/auth/me", Some(access(&here)), None)
            .await
            .1["userId"]
            .as_str()
            .unwrap()
            .to_string();
        let path = format!("/api/admin/users/{user_id}/password-reset");
        let (status, code) = app.call("POST", &path, Some(access(&here)), None).await;
        assert_eq!(status, 403, "only administrators make codes: {code}");
        let (status, code) = app.call("POST", &path, Some(&admin), None).await;
        assert_eq!(status, 201, "{code}");
        let code = code["code"].as_str().unwrap().to_string();
        let reset =
            |code: &str| json!({"userName": name, "code": code, "newPassword": "reset-password-2"});
        let (status, wrong) = app
            .call(
                "POST",
                "/api/auth/password/reset",
                None,
                Some(reset("not-the-code")),
            )
            .await;
        assert_eq!(status, 401, "{wrong}");
        let stranger =
            json!({"userName": unique("nobody"), "code": code, "newPassword": "reset-password-2"});
        let (status, unknown) = app
            .call("POST", "/api/auth/password/reset", None, Some(stranger))
            .await;
        assert_eq!(
            (status, &unknown["error"]["message"]),
            (401, &wrong["error"]["message"]),
            "the same answer for an unknown name"
        );
        let (status, _) = app
            .call("POST", "/api/auth/password/reset", None, Some(reset(&code)))
            .await;
        assert_eq!(status, 204);
        assert_eq!(
            me_status(&app, access(&here)).await,
            401,
            "every session ends"
        );
        let (status, _) = app
            .call("POST", "/api/auth/password/reset", None, Some(reset(&code)))
            .await;
        assert_eq!(status, 401, "a code works once");
        let new = json!({"userName": name, "password": "reset-password-2"});
        assert_eq!(
            app.call("POST", "/api/auth/login", None, Some(new)).await.0,
            200
        );

        // Administrators see and end anyone's sessions.
        let fresh = login_with(
            &app,
            &name,
            "reset-password-2",
            json!({"platform": "macos"}),
        )
        .await;
        let path = format!("/api/admin/users/{user_id}/sessions");
        let (status, list) = app.call("GET", &path, Some(&admin), None).await;
        assert_eq!(status, 200, "{list}");
        assert!(list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == fresh["sessionId"]));
        let one = format!("{path}/{}", fresh["sessionId"].as_str().unwrap());
        assert_eq!(app.call("DELETE", &one, Some(&admin), None).await.0, 204);
        assert_eq!(me_status(&app, access(&fresh)).await, 401);
        assert_eq!(app.call("DELETE", &one, Some(&admin), None).await.0, 404);
        app.stop().await;
    }
);

/// The records of a hub connection up to the Completion of `id`.
async fn hub_refresh(
    hub: &mut crate::raw_hub::RawHub,
    id: &str,
    token: &str,
) -> (Value, Vec<Value>) {
    hub.invoke(id, "refresh", json!([token])).await
}

#[actix_rt::test]
async fn a_socket_refreshed_in_place_outlives_its_first_token() {
    let db = TestDb::new(Backend::Sqlite, "refresh_in_place")
        .await
        .unwrap();
    let mut config = db.config();
    config.jwt.ttl_seconds = 4;
    let app = TestApp::start(config).await;
    let name = unique("sam");
    register(&app, &name).await;
    let mut tokens = login(&app, &name, json!({})).await;
    let mut native = WsClient::connect(&app, access(&tokens)).await;
    let mut hub = crate::raw_hub::RawHub::joined(&app, access(&tokens)).await;
    let mut control = WsClient::connect(&app, access(&tokens)).await;

    // Another user's token, or one of another session, is refused; the socket goes on.
    let stranger = login(&app, &name, json!({"platform": "ios"})).await;
    let refused = native
        .request(json!({"type": "refresh", "accessToken": access(&stranger)}))
        .await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["code"], "IM:Forbidden");
    let (completion, _) = hub_refresh(&mut hub, "x", "not-a-token").await;
    assert!(
        completion["error"]
            .as_str()
            .unwrap()
            .contains("IM:Unauthorized"),
        "{completion}"
    );

    // The client refreshes whenever it is told its token is expiring, as a real one does,
    // until the socket that never refreshes is closed for its expired token.
    let mut rounds = 0;
    let mut heard_on_hub = false;
    let keep_fresh = async {
        loop {
            let notice = native.next_notice("tokenExpiring").await;
            assert!(
                notice["data"]["expiresIn"].as_i64().unwrap() <= 4,
                "{notice}"
            );
            let (status, next) = refresh(&app, &tokens["refreshToken"]).await;
            assert_eq!(status, 200, "{next}");
            tokens = next;
            let ack = native
                .request(json!({"type": "refresh", "accessToken": access(&tokens)}))
                .await;
            assert_eq!(ack["type"], "ack", "{ack}");
            assert!(ack["expiresIn"].as_i64().unwrap() > 0);
            rounds += 1;
            let (completion, before) =
                hub_refresh(&mut hub, &format!("r{rounds}"), access(&tokens)).await;
            assert!(completion["error"].is_null(), "{completion}");
            assert!(completion["result"]["expiresIn"].as_i64().unwrap() > 0);
            heard_on_hub |= before.iter().any(|r| r["target"] == "token-expiring");
        }
    };
    let expired = control.closed_within(std::time::Duration::from_secs(90));
    tokio::select! {
        _ = keep_fresh => unreachable!(),
        closed = expired => assert_eq!(closed, Some(4001), "the unrefreshed socket closes"),
    }
    assert!(rounds >= 3, "several refreshes happened ({rounds})");
    assert!(heard_on_hub, "the hub heard token-expiring");

    // Both refreshed connections still work, well past the first token's expiry and grace.
    let ack = native.request(json!({"type": "sync"})).await;
    assert_eq!(ack["type"], "sync", "{ack}");
    let (completion, _) = hub.invoke("s", "sync", json!([])).await;
    assert!(completion["error"].is_null(), "{completion}");
    app.stop().await;
}

#[actix_rt::test]
async fn sessions_end_on_every_pod() {
    let Some(cluster) = crate::pods::Cluster::new("sessions_end_on_every_pod").await else {
        return;
    };
    let env = [("IMCLUSTER_AUTH__MULTI_LOGIN", "one_per_platform")];
    let (p1, p2) = (
        cluster.pod_with(1, &env).await,
        cluster.pod_with(2, &env).await,
    );
    let name = unique("carl");
    register(&p1, &name).await;

    // A login on pod 2 ends the same platform's session whose socket is on pod 1.
    let phone = login(&p1, &name, json!({"platform": "ios"})).await;
    let web = login(&p1, &name, json!({"platform": "web"})).await;
    let mut phone_on_1 = WsClient::connect(&p1, access(&phone)).await;
    let mut web_on_2 = WsClient::connect(&p2, access(&web)).await;
    let newer = login(&p2, &name, json!({"platform": "ios"})).await;
    let notice = phone_on_1.next_notice("sessionReplaced").await;
    assert_eq!(
        notice["data"]["bySessionId"], newer["sessionId"],
        "{notice}"
    );
    assert_eq!(phone_on_1.closed().await, Some(4004));
    assert_eq!(
        web_on_2.request(json!({"type": "ping"})).await["type"],
        "pong"
    );

    // The session list on pod 1 sees the socket on pod 2.
    let deadline = tokio::time::Instant::now() + crate::ws::WAIT;
    loop {
        let list = sessions(&p1, access(&newer)).await;
        let web_seen = list.iter().find(|s| s["id"] == web["sessionId"]).unwrap();
        if web_seen["online"] == true {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{list:?}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    // A spent refresh token presented again closes the session's sockets on both pods.
    let mut on_1 = WsClient::connect(&p1, access(&newer)).await;
    let mut on_2 = WsClient::connect(&p2, access(&newer)).await;
    let (status, next) = refresh(&p2, &newer["refreshToken"]).await;
    assert_eq!(status, 200, "{next}");
    age_exchange(&cluster.db, selector(&newer["refreshToken"]), 60).await;
    let (status, _) = refresh(&p1, &newer["refreshToken"]).await;
    assert_eq!(status, 401);
    assert_eq!(on_1.closed().await, Some(4001));
    assert_eq!(on_2.closed().await, Some(4001));
    assert_eq!(me_status(&p2, access(&next)).await, 401);
    assert_eq!(
        web_on_2.request(json!({"type": "ping"})).await["type"],
        "pong"
    );
}
