//! The OpenAPI document describes every route, and Swagger UI is served without a network.

use crate::helpers::{Backend, TestApp, TestDb};

const ROUTES: &[(&str, &str)] = &[
    ("post", "/api/auth/register"),
    ("post", "/api/auth/login"),
    ("post", "/api/auth/logout"),
    ("get", "/api/auth/me"),
    ("get", "/health"),
    ("get", "/ready"),
    ("get", "/ws"),
    ("post", "/signalr-hubs/messages/negotiate"),
    ("get", "/signalr-hubs/messages"),
    ("post", "/api/push/broadcast"),
    ("post", "/api/push/users/{user_id}"),
    ("post", "/api/push/connections/{connection_id}"),
    ("get", "/api/im/users/me/card"),
    ("put", "/api/im/users/me/card"),
    ("get", "/api/im/users/me/settings"),
    ("put", "/api/im/users/me/settings"),
    ("get", "/api/im/users/search"),
    ("get", "/api/im/users/{user_id}/card"),
    ("post", "/api/im/my-friends/add-request"),
    ("post", "/api/im/my-friends"),
    ("get", "/api/im/my-friends/requests"),
    ("put", "/api/im/my-friends/requests/{user_id}/{decision}"),
    ("get", "/api/im/my-friends"),
    ("get", "/api/im/my-friends/all"),
    ("get", "/api/im/my-friends/{friend_id}"),
    ("put", "/api/im/my-friends/{friend_id}"),
    ("delete", "/api/im/my-friends"),
    ("post", "/api/im/groups"),
    ("get", "/api/im/groups/search"),
    ("get", "/api/im/groups/{group_id}"),
    ("put", "/api/im/groups/{group_id}"),
    ("delete", "/api/im/groups/{group_id}"),
    ("put", "/api/im/groups/{group_id}/owner"),
    ("post", "/api/im/groups/{group_id}/blacks"),
    ("delete", "/api/im/groups/{group_id}/blacks/{user_id}"),
    ("post", "/api/im/user-groups/join"),
    ("get", "/api/im/user-groups/requests"),
    ("put", "/api/im/user-groups/accept"),
    ("put", "/api/im/user-groups/remove"),
    ("delete", "/api/im/user-groups/me"),
    ("put", "/api/im/user-groups/members"),
    ("get", "/api/im/user-groups"),
    ("get", "/api/im/user-groups/me"),
    ("post", "/api/im/chat/send-message"),
    ("get", "/api/im/chat/my-messages"),
    ("get", "/api/im/chat/group/messages"),
    ("get", "/api/im/chat/my-last-messages"),
    ("get", "/api/im/chat/search"),
    ("post", "/api/im/chat/messages/{message_id}/recall"),
    ("post", "/api/im/chat/messages/{message_id}/read"),
    ("get", "/api/im/chat/sync"),
    ("put", "/api/im/chat/messages/{message_id}"),
    ("post", "/api/im/chat/messages/{message_id}/reactions"),
    ("get", "/api/im/chat/messages/{message_id}/reactions"),
    ("post", "/api/im/chat/messages/{message_id}/hide"),
    ("post", "/api/im/chat/forward"),
    ("get", "/api/im/chat/group/messages/{message_id}/readers"),
    ("get", "/metrics"),
    ("get", "/api/admin/stats"),
    ("get", "/api/admin/stats/history"),
    ("get", "/api/admin/nodes"),
    ("get", "/api/admin/connections"),
    ("post", "/api/admin/users/{user_id}/kick"),
    ("post", "/api/admin/users/{user_id}/ban"),
    ("post", "/api/admin/users/{user_id}/unban"),
    ("get", "/api/admin/users"),
    ("get", "/api/admin/groups"),
    ("delete", "/api/admin/groups/{group_id}"),
    ("get", "/api/admin/messages"),
    ("delete", "/api/admin/messages/{message_id}"),
    ("post", "/api/admin/broadcast"),
    ("get", "/api/admin/config"),
    ("post", "/api/auth/refresh"),
    ("get", "/api/admin/events/outbox"),
    ("get", "/api/admin/events/dead-letters"),
    ("post", "/api/admin/events/dead-letters/{id}/replay"),
    ("delete", "/api/auth/me"),
    ("get", "/api/auth/me/export"),
    ("get", "/api/auth/sessions"),
    ("delete", "/api/auth/sessions"),
    ("delete", "/api/auth/sessions/{session_id}"),
    ("put", "/api/auth/password"),
    ("post", "/api/auth/password/reset"),
    ("post", "/api/admin/users/{user_id}/password-reset"),
    ("get", "/api/admin/users/{user_id}/sessions"),
    ("delete", "/api/admin/users/{user_id}/sessions"),
    ("delete", "/api/admin/users/{user_id}/sessions/{session_id}"),
    ("post", "/api/push/notifications"),
    ("get", "/api/admin/push"),
    ("post", "/api/im/media"),
    ("post", "/api/im/media/uploads"),
    ("post", "/api/im/media/uploads/{upload_id}/complete"),
    ("get", "/api/admin/media"),
    ("get", "/api/im/media/{media_id}"),
    ("get", "/api/im/media/{media_id}/thumb"),
    ("post", "/signalr-hubs/notifications/negotiate"),
    ("get", "/signalr-hubs/notifications"),
    ("get", "/api/notifications/my-notifilers"),
    ("get", "/api/notifications/my-notifilers/{id}"),
    ("put", "/api/notifications/my-notifilers/mark-read-state"),
    ("delete", "/api/notifications/my-notifilers/{id}"),
    ("get", "/api/notifications/my-subscribes/all"),
    ("get", "/api/notifications/my-subscribes"),
    (
        "get",
        "/api/notifications/my-subscribes/is-subscribed/{name}",
    ),
    ("post", "/api/notifications/my-subscribes"),
    ("delete", "/api/notifications/my-subscribes"),
    ("get", "/api/notifications/assignables"),
    ("post", "/api/notifications"),
    ("get", "/api/notifications/definitions/groups"),
    ("get", "/api/notifications/definitions/groups/{name}"),
    ("post", "/api/notifications/definitions/groups"),
    ("put", "/api/notifications/definitions/groups/{name}"),
    ("delete", "/api/notifications/definitions/groups/{name}"),
    ("get", "/api/notifications/definitions/notifications"),
    ("get", "/api/notifications/definitions/notifications/{name}"),
    ("post", "/api/notifications/definitions/notifications"),
    ("put", "/api/notifications/definitions/notifications/{name}"),
    (
        "delete",
        "/api/notifications/definitions/notifications/{name}",
    ),
    ("get", "/api/im/notifications"),
    ("get", "/api/im/notifications/unread"),
    ("post", "/api/im/notifications/read"),
    ("delete", "/api/im/notifications/{id}"),
    ("get", "/api/im/notifications/subscriptions"),
    ("put", "/api/im/notifications/subscriptions/{name}"),
    ("delete", "/api/im/notifications/subscriptions/{name}"),
    ("post", "/api/im/devices/push-token"),
    ("delete", "/api/im/devices/push-token"),
    ("get", "/api/im/devices/push-tokens"),
    ("put", "/api/im/conversations/muted"),
    ("get", "/api/im/conversations/muted"),
];

#[actix_rt::test]
async fn every_route_is_described_and_swagger_ui_is_served() {
    let db = TestDb::new(Backend::Sqlite, "openapi").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let (status, doc) = app.call("GET", "/api/openapi.json", None, None).await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let described: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_object().unwrap().len())
        .sum();
    for (method, path) in ROUTES {
        assert!(
            doc["paths"][path][method].is_object(),
            "{} {path} is described",
            method.to_uppercase()
        );
    }
    assert_eq!(described, ROUTES.len(), "and nothing else");
    let params: Vec<&str> = doc["paths"]["/api/im/my-friends"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        params.contains(&"skipCount") && params.contains(&"filter"),
        "{params:?}"
    );
    assert!(doc["paths"]["/api/auth/register"]["post"]["requestBody"].is_object());
    // Limits are stated where generated clients read them, as the server checks them.
    let schemas = &doc["components"]["schemas"];
    let send = &schemas["SendFrame"]["allOf"][1]["properties"];
    assert_eq!(send["content"]["maxLength"], 1_048_576, "{send}");
    assert!(
        send["content"].get("minLength").is_none(),
        "a media message may leave it empty"
    );
    assert_eq!(send["clientMsgId"]["maxLength"], 64);
    let credentials = &schemas["Credentials"];
    assert_eq!(credentials["properties"]["password"]["minLength"], 8);
    assert!(credentials["required"]
        .as_array()
        .is_some_and(|r| r.contains(&serde_json::json!("userName"))));
    assert_eq!(schemas["CardBody"]["properties"]["sex"]["maximum"], 2);
    assert!(schemas["GroupBody"]["properties"]["name"]["pattern"].is_string());
    let sync = doc["paths"]["/api/im/chat/sync"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let limit = sync.iter().find(|p| p["name"] == "limit").unwrap();
    assert_eq!(limit["schema"]["maximum"], 1000, "{limit}");
    assert!(schemas["Id"]["pattern"].is_string(), "{}", schemas["Id"]);
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

    let mut page = app
        .client
        .get(format!("{}/api/docs/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = String::from_utf8(page.body().await.unwrap().to_vec()).unwrap();
    assert!(html.contains("swagger"), "the Swagger UI page");
    app.stop().await;
}
