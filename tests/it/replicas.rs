//! PostgreSQL read replicas (`database.replica_urls`) on a real primary and a real streaming
//! replica (`pg_basebackup -R`), started by the test: history, search and the conversation
//! list are read on the replica, each message is found by its sender right after the send,
//! and reads go on when the replica stops (to the primary) and when the primary stops (to the
//! replica, while sends answer `IM:Unavailable`).

use serde_json::Value;

use crate::helpers::{unique, TestApp, TestDb};
use crate::pg_servers::PgPair;
use crate::pods::{befriend, Cluster};
use crate::ws::{to_user, WsClient};

/// `im_db_reads_total` of a pod: (to the replica, to the primary).
async fn reads(pod: &TestApp) -> (u64, u64) {
    let text = pod
        .client
        .get(format!("{}/metrics", pod.base))
        .send()
        .await
        .expect("metrics answer")
        .body()
        .await
        .expect("a body");
    let text = String::from_utf8_lossy(&text).to_string();
    let count = |target: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("im_db_reads_total{{target=\"{target}\"}}")))
            .and_then(|l| l.split_whitespace().last())
            .map_or(0, |n| n.parse().expect("a count"))
    };
    (count("replica"), count("primary"))
}

/// The newest message id of the conversation with `peer`, as `token`'s owner reads it.
async fn newest(pod: &TestApp, token: &str, peer: &str) -> Value {
    let path = format!("/api/im/chat/my-messages?receiveUserId={peer}&maxResultCount=5");
    let (status, page) = pod.call("GET", &path, Some(token), None).await;
    assert_eq!(status, 200, "{page}");
    page["items"][0]["messageId"].clone()
}

#[actix_rt::test]
async fn reads_go_to_a_replica_that_has_the_readers_own_writes() {
    let test = "reads_go_to_a_replica";
    let Some(mut pg) = PgPair::start(test).await else {
        return;
    };
    let cluster = Cluster::on_database(TestDb::at(pg.primary.url()));
    let replicas = format!("[{:?}]", pg.replica.url());
    let pod = cluster
        .pod_with(
            1,
            &[("IMCLUSTER_DATABASE__REPLICA_URLS", replicas.as_str())],
        )
        .await;
    let (alice, at) = pod.user(&unique("alice")).await;
    let (bob, bt) = pod.user(&unique("bob")).await;
    befriend(&pod, (&alice, &at), &pod, (&bob, &bt)).await;
    let mut a = WsClient::connect(&pod, &at).await;

    // Each message, read back at once by its sender and its receiver: there, every time.
    let before = reads(&pod).await;
    for i in 0..30 {
        let ack = a.request(to_user(&bob, &format!("word{i} hello"))).await;
        assert_eq!(ack["type"], "ack", "{ack}");
        assert_eq!(newest(&pod, &at, &bob).await, ack["messageId"], "round {i}");
        assert_eq!(
            newest(&pod, &bt, &alice).await,
            ack["messageId"],
            "round {i}"
        );
        let (status, list) = pod
            .call("GET", "/api/im/chat/my-last-messages", Some(&bt), None)
            .await;
        assert_eq!(status, 200, "{list}");
        // Bob's only conversation, with its newest message.
        let last = &list["items"][0];
        assert_eq!(last["messageId"], ack["messageId"], "round {i}: {list}");
    }
    let (status, found) = pod
        .call("GET", "/api/im/chat/search?q=word29", Some(&bt), None)
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["items"].as_array().map(Vec::len), Some(1), "{found}");
    let after = reads(&pod).await;
    let (replica, primary) = (after.0 - before.0, after.1 - before.1);
    crate::helpers::say(&format!(
        "reads_go_to_a_replica: {replica} reads on the replica, {primary} on the primary"
    ));
    assert!(
        replica > primary,
        "most reads went to the replica: {replica} replica, {primary} primary"
    );

    // The replica stops: reads go to the primary, still with every message.
    pg.replica.stop();
    let ack = a.request(to_user(&bob, "while the replica is down")).await;
    assert_eq!(newest(&pod, &bt, &alice).await, ack["messageId"]);
    let during = reads(&pod).await;
    assert!(during.1 > after.1, "the primary answered");
    let replica_reads = during.0;
    pg.replica.start();

    // The primary stops: sends answer IM:Unavailable, reads go on (from the replica, once it
    // is back: the read waits for it or goes to the primary, which is down).
    let last = ack["messageId"].clone();
    let deadline = tokio::time::Instant::now() + crate::ws::WAIT;
    while reads(&pod).await.0 == replica_reads {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the replica is used again"
        );
        assert_eq!(newest(&pod, &bt, &alice).await, last);
    }
    pg.primary.stop();
    let refused = a.request(to_user(&bob, "while the primary is down")).await;
    assert_eq!(
        (refused["type"].as_str(), refused["code"].as_str()),
        (Some("error"), Some("IM:Unavailable")),
        "{refused}"
    );
    assert_eq!(newest(&pod, &bt, &alice).await, last);
    let (status, found) = pod
        .call("GET", "/api/im/chat/search?q=word29", Some(&at), None)
        .await;
    assert_eq!(
        (status, found["items"].as_array().map(Vec::len)),
        (200, Some(1)),
        "{found}"
    );
    // The primary back: sends are stored again.
    pg.primary.start();
    let deadline = tokio::time::Instant::now() + crate::ws::WAIT;
    loop {
        let ack = a.request(to_user(&bob, "the primary is back")).await;
        if ack["type"] == "ack" {
            assert_eq!(newest(&pod, &bt, &alice).await, ack["messageId"]);
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "sends work again");
    }
}
