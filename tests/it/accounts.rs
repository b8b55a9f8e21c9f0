//! Register, log in, log out, and every way a request can be refused.

use serde_json::{json, Value};

use crate::helpers::{unique, TestApp, TestDb};
use crate::on_both_databases;

on_both_databases!(register_login_logout, |db: TestDb| async move {
    let app = TestApp::start(db.config()).await;
    let name = unique("alice");
    let body = json!({"userName": name, "password": "password-123"});
    let (status, reg) = app
        .call("POST", "/api/auth/register", None, Some(body.clone()))
        .await;
    assert_eq!(status, 201, "{reg}");
    let user_id = reg["userId"].as_str().unwrap().to_string();
    assert_eq!(
        uuid::Uuid::parse_str(&user_id)
            .unwrap()
            .hyphenated()
            .to_string(),
        user_id,
        "lowercase dashed GUID"
    );

    let (status, login) = app.call("POST", "/api/auth/login", None, Some(body)).await;
    assert_eq!(status, 200, "{login}");
    assert_eq!(login["tokenType"], "Bearer");
    assert_eq!(login["userId"], user_id.as_str());
    assert!(login["expiresIn"].as_i64().unwrap() > 0);
    let token = login["accessToken"].as_str().unwrap();

    let (status, me) = app.call("GET", "/api/auth/me", Some(token), None).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["userId"], user_id.as_str());
    assert_eq!(me["userName"], name.as_str());

    let (status, _) = app
        .call("POST", "/api/auth/logout", Some(token), None)
        .await;
    assert_eq!(status, 204);
    let (status, err) = app.call("GET", "/api/auth/me", Some(token), None).await;
    assert_eq!(status, 401, "a token is refused after logout");
    assert_eq!(err["error"]["code"], "IM:Unauthorized");
    app.stop().await;
});

on_both_databases!(duplicate_user_names_conflict, |db: TestDb| async move {
    let app = TestApp::start(db.config()).await;
    let name = unique("bob");
    let (status, _) = app
        .call(
            "POST",
            "/api/auth/register",
            None,
            Some(json!({"userName": name, "password": "password-123"})),
        )
        .await;
    assert_eq!(status, 201);
    for taken in [name.clone(), name.to_uppercase()] {
        let (status, err) = app
            .call(
                "POST",
                "/api/auth/register",
                None,
                Some(json!({"userName": taken, "password": "another-pass"})),
            )
            .await;
        assert_eq!(status, 409, "{err}");
        assert_eq!(err["error"]["code"], "IM:UserNameTaken");
    }
    // The same name in another tenant is another user.
    let tenant = uuid::Uuid::new_v4().to_string();
    let (status, _) = app
        .call(
            "POST",
            "/api/auth/register",
            None,
            Some(json!({"userName": name, "password": "password-123", "tenantId": tenant})),
        )
        .await;
    assert_eq!(status, 201);
    let (status, login) = app
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({"userName": name, "password": "password-123", "tenantId": tenant})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, me) = app
        .call(
            "GET",
            "/api/auth/me",
            Some(login["accessToken"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(me["tenantId"], tenant.as_str());
    app.stop().await;
});

on_both_databases!(
    concurrent_registrations_make_one_user,
    |db: TestDb| async move {
        let app = TestApp::start(db.config()).await;
        let name = unique("race");
        let body = json!({"userName": name, "password": "password-123"});
        let calls =
            (0..8).map(|_| app.call("POST", "/api/auth/register", None, Some(body.clone())));
        let statuses: Vec<u16> = futures_util::future::join_all(calls)
            .await
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            1,
            "{statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 409).count(),
            7,
            "{statuses:?}"
        );
        app.stop().await;
    }
);

#[actix_rt::test]
async fn invalid_fields_are_listed() {
    let db = TestDb::new(crate::helpers::Backend::Sqlite, "invalid_fields")
        .await
        .unwrap();
    let app = TestApp::start(db.config()).await;
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            json!({"userName": "ab", "password": "password-123"}),
            vec!["userName"],
        ),
        (
            json!({"userName": "a".repeat(65), "password": "password-123"}),
            vec!["userName"],
        ),
        (
            json!({"userName": "with space", "password": "password-123"}),
            vec!["userName"],
        ),
        (
            json!({"userName": "carol", "password": "short"}),
            vec!["password"],
        ),
        (
            json!({"userName": "carol", "password": "p".repeat(129)}),
            vec!["password"],
        ),
        (json!({}), vec!["userName", "password"]),
    ];
    for (body, fields) in cases {
        let (status, err) = app
            .call("POST", "/api/auth/register", None, Some(body.clone()))
            .await;
        assert_eq!(status, 400, "{body} → {err}");
        assert_eq!(err["error"]["code"], "IM:Validation");
        let members: Vec<&str> = err["error"]["validationErrors"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|e| {
                e["members"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m.as_str().unwrap())
            })
            .collect();
        assert_eq!(members, fields, "{body}");
    }
    let (status, err) = app
        .call(
            "POST",
            "/api/auth/register",
            None,
            Some(json!({"userName": 5, "password": []})),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["error"]["code"], "IM:BadRequest");
    app.stop().await;
}

#[actix_rt::test]
async fn malformed_json_and_unknown_routes_get_the_error_body() {
    let db = TestDb::new(crate::helpers::Backend::Sqlite, "malformed")
        .await
        .unwrap();
    let app = TestApp::start(db.config()).await;
    let mut res = app
        .client
        .post(format!("{}/api/auth/login", app.base))
        .insert_header(("content-type", "application/json"))
        .send_body("{not json")
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"]["code"], "IM:BadRequest");

    let (status, err) = app.call("GET", "/api/no/such/route", None, None).await;
    assert_eq!(status, 404);
    assert_eq!(err["error"]["code"], "IM:NotFound");
    app.stop().await;
}

#[actix_rt::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let db = TestDb::new(crate::helpers::Backend::Sqlite, "bad_credentials")
        .await
        .unwrap();
    let app = TestApp::start(db.config()).await;
    let name = unique("dave");
    app.user(&name).await;
    let (s1, wrong) = app
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({"userName": name, "password": "wrong-password"})),
        )
        .await;
    let (s2, unknown) = app
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({"userName": unique("nobody"), "password": "wrong-password"})),
        )
        .await;
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(
        wrong, unknown,
        "the answer must not tell which part was wrong"
    );
    assert_eq!(wrong["error"]["code"], "IM:BadCredentials");
    app.stop().await;
}

#[actix_rt::test]
async fn password_guessing_is_throttled_alike_for_real_and_unknown_names() {
    let db = TestDb::new(crate::helpers::Backend::Sqlite, "login_throttle")
        .await
        .unwrap();
    let mut config = db.config();
    config.limits.login_failures_per_minute = 3;
    let app = TestApp::start(config).await;
    let real = unique("erin");
    app.user(&real).await;
    let login = |name: String, password: &'static str| {
        let app = &app;
        async move {
            app.call(
                "POST",
                "/api/auth/login",
                None,
                Some(json!({"userName": name, "password": password})),
            )
            .await
        }
    };
    let unknown = unique("nobody");
    for name in [&real, &unknown] {
        for _ in 0..3 {
            assert_eq!(login(name.clone(), "wrong-password").await.0, 401);
        }
        let (status, body) = login(name.clone(), "wrong-password").await;
        assert_eq!(status, 429, "{body}");
        assert_eq!(body["error"]["code"], "IM:TooManyAttempts");
    }
    // Even the right password waits now: guessing cannot go on by trying it.
    assert_eq!(login(real.clone(), "password-123").await.0, 429);
    // Other names are not held (the address allows five times as many failures).
    let other = unique("frank");
    app.user(&other).await;
    assert_eq!(login(other, "password-123").await.0, 200);
    app.stop().await;
}

#[actix_rt::test]
async fn storage_down_answers_unavailable_and_the_node_keeps_running() {
    let mut config = TestDb::new(crate::helpers::Backend::Sqlite, "unavailable")
        .await
        .unwrap()
        .config();
    config.database.url = "postgres://nobody@127.0.0.1:1/none".into();
    config.database.connect_timeout_seconds = 1;
    let app = TestApp::start(config).await;
    let (status, _) = app.call("GET", "/health", None, None).await;
    assert_eq!(status, 200);
    let (status, ready) = app.call("GET", "/ready", None, None).await;
    assert_eq!(status, 503);
    assert_eq!(ready["database"], false);
    let (status, err) = app
        .call(
            "POST",
            "/api/auth/register",
            None,
            Some(json!({"userName": "erin", "password": "password-123"})),
        )
        .await;
    assert_eq!(status, 503, "{err}");
    assert_eq!(err["error"]["code"], "IM:Unavailable");
    let (status, err) = app
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({"userName": "erin", "password": "password-123"})),
        )
        .await;
    assert_eq!(status, 503, "{err}");
    assert_eq!(err["error"]["code"], "IM:Unavailable");
    let (status, _) = app.call("GET", "/health", None, None).await;
    assert_eq!(status, 200, "still serving");
    app.stop().await;
}
