//! A pod at its connection cap (`node.max_connections`; by default seven eighths of the
//! open-file limit): a new WebSocket, native or SignalR, is answered 503 `IM:Unavailable`
//! before the upgrade, the connections it holds carry on, and a place freed is taken again.

use serde_json::json;

use crate::helpers::unique;
use crate::pods::Cluster;
use crate::ws::{WsClient, WAIT};

/// The status a WebSocket upgrade at `path` gets (101 when it succeeds).
async fn upgrade_status(pod: &crate::helpers::TestApp, path: &str, token: &str) -> u16 {
    let url = format!(
        "{}{path}?access_token={token}",
        pod.base.replace("http://", "ws://")
    );
    match pod.client.ws(url).connect().await {
        Ok(_) => 101,
        Err(awc::error::WsClientError::InvalidResponseStatus(status)) => status.as_u16(),
        Err(e) => panic!("the upgrade answers: {e}"),
    }
}

#[actix_rt::test]
async fn a_pod_at_its_connection_cap_refuses_new_sockets_and_keeps_the_others() {
    let cluster = Cluster::single("connection_cap").await;
    let pod = cluster
        .pod_with(1, &[("IMCLUSTER_NODE__MAX_CONNECTIONS", "3")])
        .await;
    let (_, token) = pod.user(&unique("cap")).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(WsClient::connect(&pod, &token).await);
    }
    assert_eq!(upgrade_status(&pod, "/ws", &token).await, 503);
    assert_eq!(
        upgrade_status(&pod, "/signalr-hubs/messages", &token).await,
        503
    );
    // The body says why, with the code clients retry on.
    let (status, body) = pod.call("GET", "/ws", Some(&token), None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("IM:Unavailable")),
        "{body}"
    );
    // The connections it holds carry on; HTTP is served.
    for c in &mut held {
        assert_eq!(c.request(json!({"type": "ping"})).await["type"], "pong");
    }
    assert_eq!(pod.call("GET", "/health", None, None).await.0, 200);
    // A place freed is taken again (once the pod has seen the socket close).
    drop(held.pop());
    let deadline = tokio::time::Instant::now() + WAIT;
    while upgrade_status(&pod, "/ws", &token).await != 101 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "a freed place is taken again"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
