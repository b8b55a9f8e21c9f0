//! What a pod writes to its log: never a password, a token, a connection token, the JWT secret
//! or an API key, whatever a client sends and however it fails.

use serde_json::json;

use crate::helpers::{unique, TEST_SECRET};
use crate::ws::WsClient;

#[actix_rt::test]
async fn no_secret_or_token_reaches_the_log() {
    // One pod is enough: the log of a real process, on SQLite, wherever the tests run.
    let cluster = crate::pods::Cluster::single("logs").await;
    let key = "log-test-api-key-log-test-api-key-0123";
    let pod = cluster
        .pod_with(
            1,
            &[
                ("IMCLUSTER_LOG__LEVEL", "debug"),
                ("IMCLUSTER_ADMIN__API_KEY", key),
                ("IMCLUSTER_PUSH__API_KEY", key),
            ],
        )
        .await;
    let name = unique("secretive");
    let (_, token) = pod.user(&name).await;

    // A wrong password, a forged token, a token in the query string and in a header.
    let wrong = json!({"userName": name, "password": "not-the-password-987"});
    assert_eq!(
        pod.call("POST", "/api/auth/login", None, Some(wrong))
            .await
            .0,
        401
    );
    let forged = format!("{}x", &token[..token.len() - 1]);
    assert_eq!(
        pod.call("GET", "/api/auth/me", Some(&forged), None).await.0,
        401
    );
    let mut ws = WsClient::connect(&pod, &token).await;
    assert_eq!(ws.request(json!({"type": "ping"})).await["type"], "pong");
    let (status, negotiated) = pod
        .call(
            "POST",
            "/signalr-hubs/messages/negotiate?negotiateVersion=1",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 200, "{negotiated}");
    let connection_token = negotiated["connectionToken"].as_str().unwrap().to_string();
    let mut admin = pod
        .client
        .get(format!("{}/api/admin/config", pod.base))
        .insert_header(("X-API-Key", key))
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status().as_u16(), 200);
    let config = String::from_utf8(admin.body().await.unwrap().to_vec()).unwrap();
    assert!(
        !config.contains(TEST_SECRET) && !config.contains(key),
        "{config}"
    );
    assert_eq!(
        pod.call("POST", "/api/auth/logout", Some(&token), None)
            .await
            .0,
        204
    );
    assert_eq!(ws.closed().await, Some(4001), "logout closes the session");

    // Refresh tokens (rotated, then one reused), a password change and a reset code.
    let body = json!({"userName": name, "password": "password-123", "deviceName": "log phone"});
    let (status, first) = pod.call("POST", "/api/auth/login", None, Some(body)).await;
    assert_eq!(status, 200, "{first}");
    let refresh = |t: &serde_json::Value| json!({"refreshToken": t});
    let (status, second) = pod
        .call(
            "POST",
            "/api/auth/refresh",
            None,
            Some(refresh(&first["refreshToken"])),
        )
        .await;
    assert_eq!(status, 200, "{second}");
    let change = json!({"currentPassword": "password-123", "newPassword": "changed-password-555"});
    let access = second["accessToken"].as_str().unwrap();
    assert_eq!(
        pod.call("PUT", "/api/auth/password", Some(access), Some(change))
            .await
            .0,
        204
    );
    let user_id = pod.call("GET", "/api/auth/me", Some(access), None).await.1["userId"].clone();
    let mut made = pod
        .client
        .post(format!(
            "{}/api/admin/users/{}/password-reset",
            pod.base,
            user_id.as_str().unwrap()
        ))
        .insert_header(("X-API-Key", key))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status().as_u16(), 201);
    let made: serde_json::Value = made.json().await.unwrap();
    let code = made["code"].as_str().unwrap().to_string();
    let reset = json!({"userName": name, "code": code, "newPassword": "reset-password-777"});
    assert_eq!(
        pod.call("POST", "/api/auth/password/reset", None, Some(reset))
            .await
            .0,
        204
    );
    let first_refresh = first["refreshToken"].as_str().unwrap().to_string();
    let second_refresh = second["refreshToken"].as_str().unwrap().to_string();

    let log = pod.log.lock().unwrap().join("\n");
    assert!(log.lines().count() > 3, "the pod logged at debug: {log}");
    let signature = token.rsplit('.').next().unwrap();
    for (what, secret) in [
        ("the password", "password-123"),
        ("the wrong password", "not-the-password-987"),
        ("a token's signature", signature),
        ("the forged token", forged.as_str()),
        ("the hub's connection token", connection_token.as_str()),
        ("the JWT secret", TEST_SECRET),
        ("the API key", key),
        ("a refresh token", first_refresh.split('.').nth(1).unwrap()),
        (
            "a rotated refresh token",
            second_refresh.split('.').nth(1).unwrap(),
        ),
        ("the changed password", "changed-password-555"),
        ("a reset code", code.as_str()),
        ("the reset password", "reset-password-777"),
    ] {
        assert!(!log.contains(secret), "{what} is in the log:\n{log}");
    }
}
