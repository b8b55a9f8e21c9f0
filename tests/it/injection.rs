//! SQL metacharacters are data: stored and returned byte for byte, never run, and a filter's
//! LIKE wildcards or a search's tsquery operators match only themselves.

use serde_json::{json, Value};

use crate::helpers::{unique, TestApp, TestDb};
use crate::on_both_databases;

/// Texts a careless query builder would run, or a careless LIKE or tsquery would widen.
const NASTY: [&str; 5] = [
    "x'); DROP TABLE \"AppUserMessages\"; --",
    "100%_done \\ back",
    "' OR '1'='1",
    "a & | ! ( ) : * <-> 'b' \"c\"",
    "\u{202e}bidi and \u{1}control",
];

fn contents(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a page: {page}"))
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_string())
        .collect()
}

on_both_databases!(sql_metacharacters_are_data, |db: TestDb| async move {
    let app = TestApp::start(db.config()).await;
    let (alice, at) = app.user(&unique("alice")).await;
    let (bob, _) = app.user(&unique("bob")).await;
    app.befriend(&alice, &bob).await;
    app.call(
        "POST",
        "/api/im/chat/send-message",
        Some(&at),
        Some(json!({"toUserId": bob, "content": "plain words"})),
    )
    .await;
    for text in NASTY {
        let (status, sent) = app
            .call(
                "POST",
                "/api/im/chat/send-message",
                Some(&at),
                Some(json!({"toUserId": bob, "content": text})),
            )
            .await;
        assert_eq!(status, 200, "{text:?}: {sent}");
    }
    let history = |filter: &str| {
        let filter: String = filter.bytes().map(|b| format!("%{b:02X}")).collect();
        let app = &app;
        let (at, bob) = (at.clone(), bob.clone());
        async move {
            let path = format!(
                "/api/im/chat/my-messages?receiveUserId={bob}&maxResultCount=100&filter={filter}"
            );
            let (status, page) = app.call("GET", &path, Some(&at), None).await;
            assert_eq!(status, 200, "{page}");
            contents(&page)
        }
    };
    // Every text came back as sent, and the table the first one names is still there.
    let all = history("").await;
    assert_eq!(all.len(), NASTY.len() + 1);
    for text in NASTY {
        assert!(all.iter().any(|c| c == text), "{text:?} in {all:?}");
    }
    // A filter's %, _ and \ are literal: each finds its own message only.
    assert_eq!(history("%").await, vec![NASTY[1]]);
    assert_eq!(history("_").await, vec![NASTY[1]]);
    assert_eq!(history("\\").await, vec![NASTY[1]]);
    assert_eq!(history("'1'='1").await, vec![NASTY[2]]);
    // Search: operators and quotes are words or nothing, never a syntax error.
    for q in ["&", "a & | !", "'", "\"", ":*", "<->", "DROP TABLE"] {
        let q: String = q.bytes().map(|b| format!("%{b:02X}")).collect();
        let (status, found) = app
            .call(
                "GET",
                &format!("/api/im/chat/search?q={q}"),
                Some(&at),
                None,
            )
            .await;
        assert_eq!(status, 200, "{q}: {found}");
    }
    // U+0000 cannot be stored by PostgreSQL: refused where it comes in (400, IM:BadFrame),
    // never a 503 from the database, never a failed batch, on both databases alike.
    let (status, refused) = app
        .call(
            "POST",
            "/api/im/chat/send-message",
            Some(&at),
            Some(json!({"toUserId": bob, "content": "nul\u{0}here"})),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("U+0000"),
        "{refused}"
    );
    let (status, _) = app
        .call(
            "POST",
            "/api/im/groups",
            Some(&at),
            Some(json!({"name": "n\u{0}"})),
        )
        .await;
    assert_eq!(status, 400);
    let path = format!("/api/im/chat/my-messages?receiveUserId={bob}&filter=%00");
    assert_eq!(app.call("GET", &path, Some(&at), None).await.0, 400);
    assert_eq!(
        app.call("GET", "/api/im/chat/search?q=a%00", Some(&at), None)
            .await
            .0,
        400
    );
    let mut ws = crate::ws::WsClient::connect(&app, &at).await;
    let answer = ws
        .request(json!({"type": "send", "toUserId": bob, "content": "nul\u{0}here"}))
        .await;
    assert_eq!(answer["code"], "IM:BadFrame", "{answer}");
    assert_eq!(
        history("").await.len(),
        NASTY.len() + 1,
        "nothing more was stored"
    );

    // A group named with quotes and a comment keeps its name.
    let name = "a'b\"c;--%_";
    let (status, group) = app
        .call(
            "POST",
            "/api/im/groups",
            Some(&at),
            Some(json!({"name": name})),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    assert_eq!(group["name"], name);
    let (_, groups) = app
        .call("GET", "/api/im/groups/search?filter=%25_", Some(&at), None)
        .await;
    assert_eq!(groups["totalCount"], 1, "{groups}");
    app.stop().await;
});
