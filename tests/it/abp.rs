//! What ABP's clients expect of the HTTP side beyond the routes themselves: the result
//! wrapper when asked for, and CORS for a browser app on another origin.

use serde_json::Value;

use crate::helpers::{unique, Backend, TestApp, TestDb};

async fn get(
    app: &TestApp,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
) -> (u16, Option<String>, Value) {
    let mut req = app
        .client
        .get(format!("{}{path}", app.base))
        .bearer_auth(token);
    for h in headers {
        req = req.insert_header(*h);
    }
    let mut res = req.send().await.unwrap();
    let wrapped = res
        .headers()
        .get("_AbpWrapResult")
        .map(|v| v.to_str().unwrap().to_string());
    let body = res.body().await.unwrap();
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).unwrap()
    };
    (res.status().as_u16(), wrapped, json)
}

#[actix_rt::test]
async fn abp_result_wrapper_on_request() {
    let db = TestDb::new(Backend::Sqlite, "abp_wrap").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let (alice, token) = app.user(&unique("alice")).await;
    let (bob, _) = app.user(&unique("bob")).await;
    app.befriend(&alice, &bob).await;

    // Unwrapped by default: the Vue client takes the plain result.
    let (status, wrapped, plain) = get(&app, "/api/im/my-friends/all", &token, &[]).await;
    assert_eq!((status, wrapped), (200, None));
    assert_eq!(plain["items"][0]["friendId"], bob.as_str());

    // Wrapped when asked, with the header the Vue client looks for.
    let ask = [("_AbpWrapResult", "true")];
    let (status, wrapped, body) = get(&app, "/api/im/my-friends/all", &token, &ask).await;
    assert_eq!((status, wrapped.as_deref()), (200, Some("true")));
    assert_eq!(body["code"], "0");
    assert_eq!(body["message"], "OK");
    assert_eq!(body["details"], Value::Null);
    assert_eq!(body["result"], plain);

    // An error is wrapped with its ABP code, status 200 as upstream.
    let (status, _, body) = get(&app, "/api/im/chat/group/messages?groupId=42", &token, &ask).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["code"].as_str().is_some_and(|c| c != "0"), "{body}");
    assert!(body["message"].is_string());
    assert!(body.get("result").is_none());

    // `_AbpDontWrapResult` wins.
    let both = [("_AbpWrapResult", "true"), ("_AbpDontWrapResult", "true")];
    let (_, wrapped, body) = get(&app, "/api/im/my-friends/all", &token, &both).await;
    assert_eq!((wrapped, body), (None, plain));
    app.stop().await;
}

#[actix_rt::test]
async fn cors_for_browsers_on_other_origins() {
    let db = TestDb::new(Backend::Sqlite, "cors").await.unwrap();
    let mut config = db.config();
    config.http.cors_origins = vec!["https://app.example.com".into()];
    let app = TestApp::start(config).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(
                actix_web::http::Method::OPTIONS,
                format!("{}/signalr-hubs/messages/negotiate", app.base),
            )
            .insert_header(("Origin", origin))
            .insert_header(("Access-Control-Request-Method", "POST"))
            .insert_header((
                "Access-Control-Request-Headers",
                "authorization,x-signalr-user-agent,x-requested-with",
            ))
            .send()
    };
    let res = preflight("https://app.example.com").await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let header = |name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_ascii_lowercase())
    };
    assert_eq!(
        header("access-control-allow-origin").as_deref(),
        Some("https://app.example.com")
    );
    assert_eq!(
        header("access-control-allow-credentials").as_deref(),
        Some("true")
    );
    let allowed = header("access-control-allow-headers").unwrap_or_default();
    assert!(allowed.contains("x-signalr-user-agent"), "{allowed}");
    // Another origin is refused: no allow-origin header for it.
    let res = preflight("https://evil.example.com").await.unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
    assert_ne!(res.status().as_u16(), 200);

    // A WebSocket opened by a page on another origin is refused too (browsers always send
    // Origin on a WebSocket, and cannot be made to leave it out), on /ws and on the hub.
    let (_, token) = app.user(&crate::helpers::unique("olga")).await;
    let ws = app.base.replace("http://", "ws://");
    for path in ["/ws", "/signalr-hubs/messages"] {
        let url = format!("{ws}{path}?access_token={token}");
        let refused = app
            .client
            .ws(url.clone())
            .origin("https://evil.example.com")
            .connect()
            .await;
        assert!(refused.is_err(), "{path} from another origin");
        let allowed = app
            .client
            .ws(url)
            .origin("https://app.example.com")
            .connect()
            .await;
        assert!(allowed.is_ok(), "{path} from the allowed origin");
    }
    app.stop().await;
}
