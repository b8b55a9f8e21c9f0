//! Hooks for backend services, against real HTTP receivers the tests start: the before-send
//! hook allows, rejects and modifies; its calls are signed with every configured secret; a slow
//! or failing hook applies `on_failure`, and its breaker stops calling it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{unique, Backend, TestApp, TestDb};
use crate::ws::{to_user, WsClient};

/// What the test's receiver answers.
#[derive(Clone)]
enum Mode {
    Allow,
    Reject(&'static str),
    Modify(Value),
    Slow(Duration),
    Fail,
    /// Fails calls whose body holds this text, answers the others.
    FailIf(&'static str),
}

/// A call as the receiver got it: its JSON body and its headers.
type Call = (Value, Vec<(String, String)>);

/// A calls receiver on a random port: it answers as `mode` says and keeps every call.
struct Receiver {
    url: String,
    mode: Arc<Mutex<Mode>>,
    calls: Arc<Mutex<Vec<Call>>>,
    _server: actix_web::dev::ServerHandle,
}

impl Receiver {
    async fn start() -> Receiver {
        let mode = Arc::new(Mutex::new(Mode::Allow));
        let calls = Arc::new(Mutex::new(Vec::new()));
        let (m, c) = (mode.clone(), calls.clone());
        let server = HttpServer::new(move || {
            let (m, c) = (m.clone(), c.clone());
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (m, c) = (m.clone(), c.clone());
                async move {
                    let headers = req
                        .headers()
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                        .collect();
                    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let text = String::from_utf8_lossy(&body).into_owned();
                    c.lock().unwrap().push((json, headers));
                    let mode = m.lock().unwrap().clone();
                    match mode {
                        Mode::Allow => HttpResponse::Ok().json(json!({"action": "allow"})),
                        Mode::Reject(reason) => HttpResponse::Ok().json(
                            json!({"action": "reject", "error": {"code": "spam", "reason": reason}}),
                        ),
                        Mode::Modify(message) => HttpResponse::Ok()
                            .json(json!({"action": "modify", "message": message})),
                        Mode::Slow(wait) => {
                            tokio::time::sleep(wait).await;
                            HttpResponse::Ok().json(json!({"action": "allow"}))
                        }
                        Mode::Fail => HttpResponse::InternalServerError().finish(),
                        Mode::FailIf(wanted) if text.contains(wanted) => {
                            HttpResponse::InternalServerError().finish()
                        }
                        Mode::FailIf(_) => HttpResponse::Ok().finish(),
                    }
                }
            }))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        actix_rt::spawn(server);
        Receiver {
            url: format!("http://{addr}/hook"),
            mode,
            calls,
            _server: handle,
        }
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    fn count(&self) -> usize {
        self.calls.lock().unwrap().len()
    }

    fn last(&self) -> Call {
        self.calls.lock().unwrap().last().unwrap().clone()
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// Whether `signature` holds a `v1=` made with `secret` over `timestamp.body`.
fn signed_with(signature: &str, secret: &str, timestamp: &str, body: &Value) -> bool {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    signature.split(',').any(|s| s == format!("v1={hex}"))
}

async fn history(app: &TestApp, token: &str, peer: &str) -> Vec<String> {
    let path = format!("/api/im/chat/my-messages?receiveUserId={peer}&maxResultCount=100");
    let (_, page) = app.call("GET", &path, Some(token), None).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_string())
        .collect()
}

const SECRETS: [&str; 2] = ["hook-secret-one-0001", "hook-secret-two-0002"];

#[actix_rt::test]
async fn the_before_send_hook_allows_rejects_and_modifies_with_signed_calls() {
    let receiver = Receiver::start().await;
    let db = TestDb::new(Backend::Sqlite, "before_send").await.unwrap();
    let mut config = db.config();
    config.hooks.before_send.url = receiver.url.clone();
    config.hooks.before_send.message_types = vec![0];
    config.hooks.secrets = SECRETS.iter().map(|s| s.to_string()).collect();
    let app = TestApp::start(config).await;
    let (amy, at) = app.user(&unique("amy")).await;
    let (ben, bt) = app.user(&unique("ben")).await;
    app.befriend(&amy, &ben).await;
    let mut a = WsClient::connect(&app, &at).await;
    let mut b = WsClient::connect(&app, &bt).await;

    // Allowed: stored as sent; the call describes the message and is signed with both secrets.
    let ack = a.request(to_user(&ben, "hello ben")).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(
        b.next_of("message").await["message"]["content"],
        "hello ben"
    );
    let (call, headers) = receiver.last();
    assert_eq!(call["event"], "message.beforeSend");
    assert_eq!(call["message"]["content"], "hello ben");
    assert_eq!(call["sender"]["userId"], amy.as_str());
    assert_eq!(call["conversation"]["toUserId"], ben.as_str());
    let (signature, timestamp) = (
        header(&headers, "x-im-signature"),
        header(&headers, "x-im-timestamp"),
    );
    for secret in SECRETS {
        assert!(
            signed_with(signature, secret, timestamp, &call),
            "{signature}"
        );
    }
    assert!(!signed_with(
        signature,
        "another-secret-0003",
        timestamp,
        &call
    ));

    // Rejected: the sender hears why; nothing is stored or delivered.
    receiver.set(Mode::Reject("no links please"));
    let refused = a.request(to_user(&ben, "buy at http://spam")).await;
    assert_eq!(refused["code"], "IM:Rejected", "{refused}");
    assert!(refused["message"]
        .as_str()
        .unwrap()
        .contains("no links please"));

    // Modified: the new content is what is stored and delivered.
    receiver.set(Mode::Modify(
        json!({"content": "hello ***", "extra": {"moderated": true}}),
    ));
    let ack = a.request(to_user(&ben, "hello darn")).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let got = b.next_of("message").await;
    assert_eq!(got["message"]["content"], "hello ***");
    assert_eq!(got["message"]["extra"]["moderated"], true);
    // A modification that would not pass as a send is refused.
    receiver.set(Mode::Modify(json!({"content": ""})));
    let refused = a.request(to_user(&ben, "make me empty")).await;
    assert_eq!(refused["code"], "IM:Rejected", "{refused}");

    // A message type the hook does not cover goes straight through.
    receiver.set(Mode::Reject("would refuse"));
    let calls = receiver.count();
    let mut typed = to_user(&ben, "an image, say");
    typed["messageType"] = json!(1);
    assert_eq!(a.request(typed).await["type"], "ack");
    assert_eq!(receiver.count(), calls, "not asked");

    // A send over HTTP asks the same hook.
    let body = json!({"toUserId": ben, "content": "over http"});
    let (status, refused) = app
        .call("POST", "/api/im/chat/send-message", Some(&at), Some(body))
        .await;
    assert_eq!(
        (status, &refused["error"]["code"]),
        (403, &json!("IM:Rejected")),
        "{refused}"
    );

    assert_eq!(
        history(&app, &bt, &amy).await,
        ["an image, say", "hello ***", "hello ben"]
    );
    app.stop().await;
}

#[actix_rt::test]
async fn a_slow_or_failing_hook_applies_on_failure_and_its_breaker_stops_calling() {
    let receiver = Receiver::start().await;
    let db = TestDb::new(Backend::Sqlite, "before_send_failures")
        .await
        .unwrap();
    let mut config = db.config();
    config.hooks.before_send.url = receiver.url.clone();
    config.hooks.before_send.timeout_ms = 200;
    config.hooks.before_send.breaker_failures = 3;
    config.hooks.before_send.breaker_seconds = 600;
    let app = TestApp::start(config.clone()).await;
    let (cal, ct) = app.user(&unique("cal")).await;
    let (dee, dt) = app.user(&unique("dee")).await;
    app.befriend(&cal, &dee).await;
    let mut c = WsClient::connect(&app, &ct).await;

    // on_failure = allow: a hook slower than its timeout lets the message through.
    receiver.set(Mode::Slow(Duration::from_millis(1500)));
    assert_eq!(
        c.request(to_user(&dee, "through a slow hook")).await["type"],
        "ack"
    );
    app.stop().await;

    // on_failure = reject: the same send is refused as unavailable, and nothing is stored;
    // after three failures in a row the breaker opens and the hook is not called at all.
    config.hooks.before_send.on_failure = imcluster::config::OnFailure::Reject;
    let app = TestApp::start(config).await;
    let mut c = WsClient::connect(&app, &ct).await;
    let refused = c.request(to_user(&dee, "not through a slow hook")).await;
    assert_eq!(refused["code"], "IM:Unavailable", "{refused}");
    receiver.set(Mode::Fail);
    let before = receiver.count();
    for i in 0..5 {
        let refused = c.request(to_user(&dee, &format!("failing {i}"))).await;
        assert_eq!(refused["code"], "IM:Unavailable", "{refused}");
    }
    assert_eq!(
        receiver.count() - before,
        2,
        "one failure was the slow call: two more open the breaker, then no calls"
    );
    assert_eq!(history(&app, &dt, &cal).await, ["through a slow hook"]);
    app.stop().await;
}

/// Waits until the receiver has had `n` calls.
async fn calls_reach(receiver: &Receiver, n: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while receiver.count() < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} calls of {n}",
            receiver.count()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn events_of(receiver: &Receiver) -> Vec<Call> {
    receiver.calls.lock().unwrap().clone()
}

/// The `message.*` events the receiver got (presence and friend events interleave).
fn message_events(receiver: &Receiver) -> Vec<Call> {
    events_of(receiver)
        .into_iter()
        .filter(|(b, _)| {
            b["event"]
                .as_str()
                .is_some_and(|k| k.starts_with("message."))
        })
        .collect()
}

/// Waits until the receiver has had `n` calls about messages.
async fn message_calls_reach(receiver: &Receiver, n: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while message_events(receiver).len() < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "fewer than {n} message events"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

crate::on_both_databases!(
    events_are_delivered_signed_in_order_and_retried_under_one_id,
    |db: TestDb| async move {
        let receiver = Receiver::start().await;
        let mut config = db.config();
        config.hooks.events.url = receiver.url.clone();
        config.hooks.secrets = SECRETS.iter().map(|s| s.to_string()).collect();
        let app = TestApp::start(config).await;
        let (amy, at) = app.user(&unique("amy")).await;
        let (ben, _) = app.user(&unique("ben")).await;
        app.befriend(&amy, &ben).await;
        let mut a = WsClient::connect(&app, &at).await;
        let mut sent = Vec::new();
        for i in 0..5 {
            sent.push(a.request(to_user(&ben, &format!("event {i}"))).await["messageId"].clone());
        }
        let edit = json!({"type": "edit", "messageId": sent[1], "content": "event 1, edited"});
        assert_eq!(a.request(edit).await["type"], "ack");
        let recall = json!({"type": "recall", "messageId": sent[2]});
        assert_eq!(a.request(recall).await["type"], "ack");
        message_calls_reach(&receiver, 7).await;
        let events = message_events(&receiver);
        let kinds: Vec<&str> = events
            .iter()
            .map(|(b, _)| b["event"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "message.sent",
                "message.sent",
                "message.sent",
                "message.sent",
                "message.sent",
                "message.edited",
                "message.recalled"
            ],
            "in commit order"
        );
        for (i, (body, _)) in events.iter().take(5).enumerate() {
            assert_eq!(body["data"]["messageId"], sent[i]);
            assert_eq!(body["data"]["content"], format!("event {i}"));
            assert_eq!(body["data"]["toUserId"], ben.as_str());
        }
        assert_eq!(events[5].0["data"]["content"], "event 1, edited");
        for (body, headers) in &events {
            assert_eq!(
                header(headers, "x-im-event-id"),
                body["id"].as_str().unwrap()
            );
            assert_eq!(header(headers, "x-im-attempt"), "1");
            let (signature, timestamp) = (
                header(headers, "x-im-signature"),
                header(headers, "x-im-timestamp"),
            );
            for secret in SECRETS {
                assert!(signed_with(signature, secret, timestamp, body));
            }
        }

        // A receiver that fails, then recovers: the event comes again under the same id,
        // and the conversation's next event waits behind it.
        receiver.set(Mode::Fail);
        a.request(to_user(&ben, "retry me")).await;
        message_calls_reach(&receiver, 9).await;
        a.request(to_user(&ben, "after the retry")).await;
        receiver.set(Mode::Allow);
        message_calls_reach(&receiver, 11).await;
        let events = message_events(&receiver);
        let retried: Vec<&Call> = events[7..]
            .iter()
            .filter(|(b, _)| b["data"]["content"] == "retry me")
            .collect();
        assert!(retried.len() >= 3, "{retried:?}");
        let id = retried[0].0["id"].clone();
        assert!(retried.iter().all(|(b, _)| b["id"] == id), "one event id");
        let attempts: Vec<&str> = retried
            .iter()
            .map(|(_, h)| header(h, "x-im-attempt"))
            .collect();
        assert_eq!(&attempts[..3], ["1", "2", "3"]);
        let contents: Vec<&str> = events[7..]
            .iter()
            .map(|(b, _)| b["data"]["content"].as_str().unwrap())
            .collect();
        assert_eq!(contents.last(), Some(&"after the retry"), "{contents:?}");
        app.stop().await;
    }
);

/// The `message.sent` events in every call the receiver got, in the order received; calls
/// that carry several events (`{"events": […]}`) unrolled.
fn sent_in_calls(receiver: &Receiver) -> Vec<Value> {
    events_of(receiver)
        .into_iter()
        .flat_map(|(body, _)| match body["events"].as_array() {
            Some(events) => events.clone(),
            None => vec![body],
        })
        .filter(|e| e["event"] == "message.sent")
        .collect()
}

/// Waits until every one of `wanted` (messages' contents) has been in a call, and answers
/// every event the receiver got.
async fn sent_reach(receiver: &Receiver, wanted: &[&str]) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let events = sent_in_calls(receiver);
        if wanted
            .iter()
            .all(|w| events.iter().any(|e| e["data"]["content"] == *w))
        {
            return events;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not all of {wanted:?} in {events:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

crate::on_both_databases!(
    calls_carry_many_events_in_order_signed_and_retried_together,
    |db: TestDb| async move {
        let receiver = Receiver::start().await;
        let mut config = db.config();
        config.hooks.events.url = receiver.url.clone();
        config.hooks.events.events_per_post = 50;
        config.hooks.secrets = SECRETS.iter().map(|s| s.to_string()).collect();
        let app = TestApp::start(config).await;
        let (amy, at) = app.user(&unique("amy")).await;
        let (ben, _) = app.user(&unique("ben")).await;
        let (cal, _) = app.user(&unique("cal")).await;
        app.befriend(&amy, &ben).await;
        app.befriend(&amy, &cal).await;
        let mut a = WsClient::connect(&app, &at).await;
        // Sent without waiting, and answered slowly at first, so that several wait in the
        // outbox while a call is out.
        receiver.set(Mode::Slow(Duration::from_millis(200)));
        for i in 0..40 {
            let to = if i % 2 == 0 { &ben } else { &cal };
            let mut frame = to_user(to, &format!("many {i}"));
            frame["id"] = json!(format!("m{i}"));
            a.send(frame).await;
        }
        for _ in 0..40 {
            a.next_of("ack").await;
        }
        receiver.set(Mode::Allow);
        let events = sent_reach(&receiver, &["many 38", "many 39"]).await;
        let contents = |peer: &str| -> Vec<String> {
            events
                .iter()
                .filter(|e| e["data"]["toUserId"] == peer)
                .map(|e| e["data"]["content"].as_str().unwrap().to_string())
                .collect()
        };
        let wanted = |parity: usize| -> Vec<String> {
            (0..40)
                .filter(|i| i % 2 == parity)
                .map(|i| format!("many {i}"))
                .collect()
        };
        assert_eq!(
            contents(&ben),
            wanted(0),
            "one conversation in commit order"
        );
        assert_eq!(contents(&cal), wanted(1), "the other in commit order");
        let calls = events_of(&receiver);
        assert!(
            calls.len() < events.len(),
            "{} calls carried {} events",
            calls.len(),
            events.len()
        );
        for (body, headers) in &calls {
            let carried = body["events"].as_array().expect("an array of events");
            assert!(!carried.is_empty() && carried.len() <= 50);
            assert_eq!(
                header(headers, "x-im-event-count"),
                carried.len().to_string()
            );
            assert_eq!(
                header(headers, "x-im-event-id"),
                "",
                "each event has its own id"
            );
            let (signature, timestamp) = (
                header(headers, "x-im-signature"),
                header(headers, "x-im-timestamp"),
            );
            for secret in SECRETS {
                assert!(signed_with(signature, secret, timestamp, body));
            }
        }

        // A failing call: its events come again under their ids, attempt by attempt, and
        // the conversation's next event waits behind them.
        receiver.set(Mode::FailIf("retry together"));
        a.request(to_user(&ben, "retry together")).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while events_of(&receiver)
            .iter()
            .filter(|(b, _)| b.to_string().contains("retry together"))
            .count()
            < 2
        {
            assert!(tokio::time::Instant::now() < deadline, "no retry");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        a.request(to_user(&ben, "after the batch retry")).await;
        receiver.set(Mode::Allow);
        let events = sent_reach(&receiver, &["after the batch retry"]).await;
        let calls = events_of(&receiver);
        let attempts: Vec<&str> = calls
            .iter()
            .filter(|(b, _)| b.to_string().contains("retry together"))
            .map(|(_, h)| header(h, "x-im-attempt"))
            .collect();
        assert_eq!(&attempts[..2], ["1", "2"], "{attempts:?}");
        let ids: std::collections::HashSet<&Value> = events
            .iter()
            .filter(|e| e["data"]["content"] == "retry together")
            .map(|e| &e["id"])
            .collect();
        assert_eq!(ids.len(), 1, "one event id on every attempt");
        let order: Vec<&str> = events
            .iter()
            .filter(|e| e["data"]["toUserId"] == ben.as_str())
            .map(|e| e["data"]["content"].as_str().unwrap())
            .filter(|c| c.contains("retry together") || c.contains("after the batch"))
            .collect();
        assert_eq!(order.last(), Some(&"after the batch retry"), "{order:?}");
        app.stop().await;
    }
);

#[actix_rt::test]
async fn a_conversation_held_back_by_a_failing_event_does_not_starve_the_others() {
    let receiver = Receiver::start().await;
    let db = TestDb::new(Backend::Sqlite, "held_back").await.unwrap();
    let mut config = db.config();
    config.hooks.events.url = receiver.url.clone();
    // Fewer events read at a time than the held-back conversation has waiting.
    config.hooks.events.batch = 5;
    let app = TestApp::start(config).await;
    let (amy, at) = app.user(&unique("amy")).await;
    let (ben, _) = app.user(&unique("ben")).await;
    let (cal, ct) = app.user(&unique("cal")).await;
    let (dee, _) = app.user(&unique("dee")).await;
    app.befriend(&amy, &ben).await;
    app.befriend(&cal, &dee).await;
    receiver.set(Mode::FailIf("poison"));
    let mut a = WsClient::connect(&app, &at).await;
    a.request(to_user(&ben, "poison")).await;
    for i in 0..10 {
        a.request(to_user(&ben, &format!("behind the poison {i}")))
            .await;
    }
    let mut c = WsClient::connect(&app, &ct).await;
    c.request(to_user(&dee, "another conversation")).await;
    let events = sent_reach(&receiver, &["another conversation"]).await;
    assert!(
        events
            .iter()
            .all(|e| !e["data"]["content"].as_str().unwrap().starts_with("behind")),
        "nothing behind the failing event left before it"
    );
    app.stop().await;
}

#[actix_rt::test]
async fn undeliverable_events_become_dead_letters_that_replay() {
    let receiver = Receiver::start().await;
    let db = TestDb::new(Backend::Sqlite, "dead_letters").await.unwrap();
    let mut config = db.config();
    config.hooks.events.url = receiver.url.clone();
    config.hooks.events.max_retry_seconds = 1;
    let app = TestApp::start(config).await;
    let admin = crate::admin::create_admin(&db, &app).await;
    let (cal, ct) = app.user(&unique("cal")).await;
    let (dee, _) = app.user(&unique("dee")).await;
    app.befriend(&cal, &dee).await;
    let mut c = WsClient::connect(&app, &ct).await;
    receiver.set(Mode::Fail);
    c.request(to_user(&dee, "never heard")).await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let dead = loop {
        let (status, page) = app
            .call("GET", "/api/admin/events/dead-letters", Some(&admin), None)
            .await;
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().unwrap();
        if let Some(dead) = items.iter().find(|d| d["event"] == "message.sent") {
            break dead.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no dead letter: {page}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(dead["event"], "message.sent");
    assert_eq!(dead["data"]["content"], "never heard");
    let attempts = events_of(&receiver)
        .iter()
        .filter(|(b, _)| b["id"] == dead["eventId"])
        .count();
    assert_eq!(
        dead["attempts"].as_u64().unwrap() as usize,
        attempts,
        "every attempt counted: {dead}"
    );
    assert!(
        dead["lastError"].as_str().unwrap().contains("500"),
        "{dead}"
    );
    let (_, outbox) = app
        .call("GET", "/api/admin/events/outbox", Some(&admin), None)
        .await;
    assert!(outbox["deadLetters"].as_u64().unwrap() >= 1, "{outbox}");

    receiver.set(Mode::Allow);
    let calls = receiver.count();
    let path = format!(
        "/api/admin/events/dead-letters/{}/replay",
        dead["id"].as_str().unwrap()
    );
    let (status, _) = app.call("POST", &path, Some(&admin), None).await;
    assert_eq!(status, 202);
    calls_reach(&receiver, calls + 1).await;
    let (body, _) = receiver.last();
    assert_eq!(body["id"], dead["eventId"], "the same event id");
    let (_, page) = app
        .call("GET", "/api/admin/events/dead-letters", Some(&admin), None)
        .await;
    let items = page["items"].as_array().unwrap();
    assert!(
        items.iter().all(|d| d["eventId"] != dead["eventId"]),
        "{page}"
    );
    assert_eq!(app.call("POST", &path, Some(&admin), None).await.0, 404);
    app.stop().await;
}

#[actix_rt::test]
async fn a_killed_delivering_pod_leaves_its_events_to_another() {
    let Some(cluster) = crate::pods::Cluster::new("events_after_a_kill").await else {
        return;
    };
    let receiver = Receiver::start().await;
    receiver.set(Mode::Slow(Duration::from_millis(40)));
    let env = [("IMCLUSTER_HOOKS__EVENTS__URL", receiver.url.as_str())];
    // Pod 1 starts first and takes the delivery lease; pod 2 stands by.
    let mut p1 = cluster.pod_with(1, &env).await;
    let p2 = cluster.pod_with(2, &env).await;
    let (amy, at) = p2.user(&unique("amy")).await;
    let (ben, bt) = p2.user(&unique("ben")).await;
    crate::pods::befriend(&p2, (&amy, &at), &p2, (&ben, &bt)).await;
    let mut a = WsClient::connect(&p2, &at).await;
    let mut sent = std::collections::HashSet::new();
    for i in 0..100 {
        let ack = a.request(to_user(&ben, &format!("kill {i}"))).await;
        assert_eq!(ack["type"], "ack", "{ack}");
        sent.insert(ack["messageId"].as_str().unwrap().to_string());
    }
    calls_reach(&receiver, 10).await;
    p1.kill();

    // Pod 2 takes over once the lease runs out, and delivers every event that was left.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    let (calls, delivered) = loop {
        let calls = events_of(&receiver);
        let delivered: std::collections::HashSet<String> = calls
            .iter()
            .filter(|(b, _)| b["event"] == "message.sent")
            .map(|(b, _)| b["data"]["messageId"].as_str().unwrap().to_string())
            .collect();
        if sent.is_subset(&delivered) {
            break (calls, delivered);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {} events delivered",
            sent.intersection(&delivered).count(),
            sent.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let calls: Vec<&Call> = calls
        .iter()
        .filter(|(b, _)| b["event"] == "message.sent")
        .collect();
    let ids: std::collections::HashSet<&str> = calls
        .iter()
        .map(|(b, _)| b["id"].as_str().unwrap())
        .collect();
    crate::helpers::say(&format!(
        "events after a kill: {} acknowledged messages, {} delivered, {} calls, {} duplicates (same event id)",
        sent.len(),
        delivered.len(),
        calls.len(),
        calls.len() - ids.len()
    ));
    assert_eq!(ids.len(), delivered.len(), "one event id per message");
}

#[actix_rt::test]
async fn group_friend_and_presence_changes_are_events_too() {
    let receiver = Receiver::start().await;
    let db = TestDb::new(Backend::Sqlite, "more_events").await.unwrap();
    let mut config = db.config();
    config.hooks.events.url = receiver.url.clone();
    let app = TestApp::start(config).await;
    let (ann, at) = app.user(&unique("ann")).await;
    let (bob, bt) = app.user(&unique("bob")).await;
    crate::pods::befriend(&app, (&ann, &at), &app, (&bob, &bt)).await;
    let group = app.group(&ann, &[&bob]).await;
    let c = WsClient::connect(&app, &bt).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !events_of(&receiver)
        .iter()
        .any(|(b, _)| b["event"] == "user.online" && b["data"]["userId"] == bob.as_str())
    {
        assert!(tokio::time::Instant::now() < deadline, "no user.online");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(c.close_and_await_end(Duration::from_secs(5)).await);
    let path = format!("/api/im/user-groups/me?groupId={group}");
    assert_eq!(app.call("DELETE", &path, Some(&bt), None).await.0, 204);
    let path = format!("/api/im/groups/{group}");
    assert_eq!(app.call("DELETE", &path, Some(&at), None).await.0, 204);
    let path = format!("/api/im/my-friends?friendId={bob}");
    assert_eq!(app.call("DELETE", &path, Some(&at), None).await.0, 204);

    let wanted = [
        "friend.added",
        "group.created",
        "user.online",
        "user.offline",
        "group.memberLeft",
        "group.dismissed",
        "friend.removed",
    ];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let kinds: Vec<String> = events_of(&receiver)
            .iter()
            .map(|(b, _)| b["event"].as_str().unwrap().to_string())
            .collect();
        if wanted.iter().all(|w| kinds.iter().any(|k| k == w)) {
            let position = |k: &str| kinds.iter().position(|x| x == k).unwrap();
            assert!(position("group.created") < position("group.memberLeft"));
            assert!(position("group.memberLeft") < position("group.dismissed"));
            assert!(position("friend.added") < position("friend.removed"));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{kinds:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let calls = events_of(&receiver);
    let left = calls
        .iter()
        .find(|(b, _)| b["event"] == "group.memberLeft")
        .unwrap();
    assert_eq!(left.0["data"]["userId"], bob.as_str());
    assert_eq!(left.0["data"]["groupId"], group.to_string());
    app.stop().await;
}

#[actix_rt::test]
async fn events_reach_a_redis_stream() {
    let Ok(redis_url) = std::env::var(crate::pods::REDIS_ENV) else {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "Redis is needed under CI=true"
        );
        crate::helpers::say("SKIPPED events_reach_a_redis_stream: set IM_TEST_REDIS_URL");
        return;
    };
    let db = TestDb::new(Backend::Sqlite, "events_stream").await.unwrap();
    let mut config = db.config();
    config.redis.url = redis_url.clone();
    config.redis.namespace = unique("stream");
    config.hooks.events.redis_stream = true;
    let key = format!("{}:events", config.redis.namespace);
    let app = TestApp::start(config).await;
    let (eva, et) = app.user(&unique("eva")).await;
    let (fay, _) = app.user(&unique("fay")).await;
    app.befriend(&eva, &fay).await;
    let mut e = WsClient::connect(&app, &et).await;
    let mut sent = Vec::new();
    for i in 0..3 {
        sent.push(e.request(to_user(&fay, &format!("streamed {i}"))).await["messageId"].clone());
    }
    let mut conn = redis::Client::open(redis_url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let entries: Vec<(String, Vec<(String, String)>)> = redis::cmd("XRANGE")
            .arg(&key)
            .arg("-")
            .arg("+")
            .query_async(&mut conn)
            .await
            .unwrap();
        let messages: Vec<Value> = entries
            .iter()
            .filter(|(_, fields)| {
                fields
                    .iter()
                    .any(|(k, v)| k == "event" && v == "message.sent")
            })
            .map(|(_, fields)| {
                let data = &fields.iter().find(|(k, _)| k == "data").unwrap().1;
                serde_json::from_str(data).unwrap()
            })
            .collect();
        if messages.len() == 3 {
            let ids: Vec<&Value> = messages.iter().map(|m| &m["messageId"]).collect();
            assert_eq!(ids, sent.iter().collect::<Vec<_>>(), "in order");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{entries:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _: i64 = redis::cmd("DEL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    app.stop().await;
}
