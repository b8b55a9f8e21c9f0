//! Faults on one node, with clients sending all along: the database cut off mid-traffic.
//! (Pods killed, Redis stopped and clocks skewed are in `cluster.rs`.)

use std::collections::HashSet;

use crate::cutoff::Cutoff;
use crate::helpers::{unique, Backend, TestApp, TestDb};
use crate::pods::sync_all;
use crate::ws::{to_user, WsClient, WAIT};

#[actix_rt::test]
async fn a_database_outage_fails_sends_clearly_and_recovers_without_a_restart() {
    let Some(db) = TestDb::new(Backend::Postgres, "database_outage").await else {
        return;
    };
    // The node reaches PostgreSQL through a forwarder the test can cut.
    let host_port = db
        .url
        .split('@')
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("a postgres://user@host:port/db URL")
        .to_string();
    let mut cutoff = Cutoff::start(&host_port).await;
    let mut config = db.config();
    config.database.url = db
        .url
        .replacen(&host_port, &format!("127.0.0.1:{}", cutoff.port), 1);
    config.database.connect_timeout_seconds = 1;
    let app = TestApp::start(config).await;
    let (alice, at) = app.user(&unique("alice")).await;
    let (bob, bt) = app.user(&unique("bob")).await;
    app.befriend(&alice, &bob).await;
    let mut a = WsClient::connect(&app, &at).await;
    let mut b = WsClient::connect(&app, &bt).await;

    let mut acked = Vec::new();
    let ack = a.request(to_user(&bob, "before")).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    acked.push(ack["messageId"].as_str().unwrap().to_string());

    cutoff.cut();
    // Every send made while the database is gone is answered: an ack (committed before the
    // cut) or IM:Unavailable. Nothing hangs, nothing is half-stored.
    let mut refused = HashSet::new();
    for i in 0..10 {
        let content = format!("during {i}");
        let reply = a.request(to_user(&bob, &content)).await;
        match reply["type"].as_str() {
            Some("ack") => acked.push(reply["messageId"].as_str().unwrap().to_string()),
            _ => {
                assert_eq!(reply["code"], "IM:Unavailable", "{reply}");
                refused.insert(content);
            }
        }
    }
    assert!(
        !refused.is_empty(),
        "sends fail while the database is cut off"
    );
    let (status, body) = app
        .call(
            "GET",
            &format!("/api/im/chat/my-messages?receiveUserId={bob}"),
            Some(&at),
            None,
        )
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "IM:Unavailable");
    assert_eq!(app.call("GET", "/health", None, None).await.0, 200);

    // The database comes back; the node recovers by itself (its pool reconnects).
    cutoff.restore().await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        assert!(tokio::time::Instant::now() < deadline, "sends work again");
        let reply = a.request(to_user(&bob, "after")).await;
        if reply["type"] == "ack" {
            acked.push(reply["messageId"].as_str().unwrap().to_string());
            break;
        }
        assert_eq!(reply["code"], "IM:Unavailable", "{reply}");
    }

    // What bob holds after sync: every acknowledged message, once; no refused one. On a
    // PostgreSQL server that other tests share, a walk reads only what transactions older than
    // the oldest one still running wrote (docs/PROTOCOL.md, "Sync"): the last ack may need
    // another test's transaction to end before it shows, so the walk is repeated until then.
    let deadline = tokio::time::Instant::now() + WAIT;
    let all = loop {
        let all = sync_all(&mut b).await;
        let have: HashSet<&str> = all.iter().filter_map(|m| m["messageId"].as_str()).collect();
        if acked.iter().all(|id| have.contains(id.as_str()))
            || tokio::time::Instant::now() > deadline
        {
            break all;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let ids: Vec<String> = all
        .iter()
        .map(|m| m["messageId"].as_str().unwrap().to_string())
        .collect();
    let unique_ids: HashSet<_> = ids.iter().cloned().collect();
    assert_eq!(unique_ids.len(), ids.len(), "no id twice");
    for id in &acked {
        assert!(unique_ids.contains(id), "acknowledged {id} is missing");
    }
    for m in &all {
        let content = m["content"].as_str().unwrap_or_default();
        assert!(
            !refused.contains(content),
            "a refused send was stored: {content}"
        );
    }
    app.stop().await;
}
