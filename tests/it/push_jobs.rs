//! The hand-off to mobile push, against a real webhook receiver the test starts: a user with
//! no session in the foreground becomes a push job (debounced, collapsed per conversation,
//! with the real unread total as its badge, signed), a foreground one does not, a muted
//! conversation makes none, dead tokens are removed; and the same jobs on a Redis stream.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};

use crate::helpers::{unique, TestApp, TestDb};
use crate::notifications::eventually;
use crate::on_both_databases;
use crate::ws::{to_user, WsClient};

/// What the receiver got: each call's body and signature header.
type Calls = Arc<Mutex<Vec<(Value, String)>>>;

/// A push webhook on a random port: keeps every call, and answers `deadTokens` as told.
pub(crate) struct PushReceiver {
    pub(crate) url: String,
    calls: Calls,
    dead: Arc<Mutex<Vec<String>>>,
    _server: actix_web::dev::ServerHandle,
}

impl PushReceiver {
    pub(crate) async fn start() -> PushReceiver {
        let calls: Calls = Arc::new(Mutex::new(Vec::new()));
        let dead = Arc::new(Mutex::new(Vec::<String>::new()));
        let (c, d) = (calls.clone(), dead.clone());
        let server = HttpServer::new(move || {
            let (c, d) = (c.clone(), d.clone());
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (c, d) = (c.clone(), d.clone());
                async move {
                    let signature = req
                        .headers()
                        .get("x-im-signature")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    c.lock().unwrap().push((json, signature));
                    let dead = d.lock().unwrap().clone();
                    HttpResponse::Ok().json(json!({ "deadTokens": dead }))
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
        PushReceiver {
            url: format!("http://{addr}/push"),
            calls,
            dead,
            _server: handle,
        }
    }

    /// Every job received so far.
    pub(crate) fn jobs(&self) -> Vec<Value> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .flat_map(|(body, _)| body["jobs"].as_array().cloned().unwrap_or_default())
            .collect()
    }

    /// Waits for the next job whose message id is `id`, and returns it.
    pub(crate) async fn job_for(&self, key: &str, id: &str) -> Value {
        let mut found = None;
        eventually(&format!("a push job for {id}"), || {
            found = self.jobs().into_iter().find(|j| j[key] == id);
            std::future::ready(found.is_some())
        })
        .await;
        found.unwrap()
    }
}

async fn send(c: &mut WsClient, to: &str, content: &str) -> String {
    let ack = c.request(to_user(to, content)).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    ack["messageId"].as_str().unwrap().to_string()
}

pub(crate) async fn register_token(app: &TestApp, token: &str, device_token: &str) {
    let (status, body) = app
        .call(
            "POST",
            "/api/im/devices/push-token",
            Some(token),
            Some(json!({"platform": "ios", "token": device_token, "deviceId": "phone-1"})),
        )
        .await;
    assert_eq!(status, 204, "{body}");
}

on_both_databases!(offline_users_become_push_jobs, |db: TestDb| async move {
    let receiver = PushReceiver::start().await;
    let mut config = db.config();
    config.push.webhook_url = receiver.url.clone();
    config.push.debounce_ms = 300;
    config.hooks.secrets = vec!["a-push-secret-0001".into()];
    let app = TestApp::start(config).await;
    let alice_name = unique("alice");
    let (alice, at) = app.user(&alice_name).await;
    let (bob, bt) = app.user(&unique("bob")).await;
    let (carol, ct) = app.user(&unique("carol")).await;
    app.befriend(&alice, &bob).await;
    app.befriend(&carol, &bob).await;
    app.befriend(&alice, &carol).await;
    register_token(&app, &bt, "apns-bob-1").await;
    let (_, tokens) = app
        .call("GET", "/api/im/devices/push-tokens", Some(&bt), None)
        .await;
    assert_eq!(tokens["items"][0]["token"], "apns-bob-1", "{tokens}");
    let mut a = WsClient::connect(&app, &at).await;
    let mut c = WsClient::connect(&app, &ct).await;

    // Bob has no socket: three messages from alice make one job, the latest, badge 3.
    send(&mut a, &bob, "one").await;
    send(&mut a, &bob, "two").await;
    let third = send(&mut a, &bob, &"x".repeat(150)).await;
    let job = receiver.job_for("messageId", &third).await;
    assert_eq!(job["userId"], bob.as_str(), "{job}");
    assert_eq!(job["conversation"], json!({"type": "user", "id": alice}));
    assert_eq!(job["count"], 3, "collapsed: {job}");
    assert_eq!(job["badge"], 3, "the real unread total");
    assert_eq!(job["senderName"], alice_name.as_str());
    assert_eq!(job["preview"].as_str().unwrap().chars().count(), 100);
    assert_eq!(
        job["tokens"],
        json!([{"platform": "ios", "token": "apns-bob-1"}])
    );
    assert_eq!(receiver.jobs().len(), 1, "one job for the three");
    let signature = receiver.calls.lock().unwrap()[0].1.clone();
    assert!(signature.starts_with("v1="), "signed: {signature}");

    // Two conversations in one window: two jobs, each collapsed on its own.
    let from_alice = send(&mut a, &bob, "four").await;
    let from_carol = send(&mut c, &bob, "hi from carol").await;
    let ja = receiver.job_for("messageId", &from_alice).await;
    let jc = receiver.job_for("messageId", &from_carol).await;
    assert_eq!(ja["count"], 1);
    assert_eq!(jc["conversation"], json!({"type": "user", "id": carol}));
    assert_eq!(jc["badge"], 5, "four from alice and one from carol unread");

    // In the foreground, bob gets no push; in the background again, he does.
    let mut b = WsClient::connect(&app, &bt).await;
    let seen = receiver.jobs().len();
    let while_foreground = send(&mut a, &bob, "you are here").await;
    b.next_of("message").await;
    let ack = b
        .request(json!({"type": "state", "foreground": false}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let while_background = send(&mut a, &bob, "you are away").await;
    let job = receiver.job_for("messageId", &while_background).await;
    assert_eq!(job["count"], 1, "only the message sent while away: {job}");
    let jobs = receiver.jobs();
    assert!(
        !jobs
            .iter()
            .any(|j| j["messageId"] == while_foreground.as_str()),
        "no job while in the foreground"
    );
    assert_eq!(jobs.len(), seen + 1);
    let ack = b
        .request(json!({"type": "state", "foreground": true}))
        .await;
    assert_eq!(ack["type"], "ack");
    drop(b);

    // A muted conversation makes no push; the other one still does.
    let (status, _) = app
        .call(
            "PUT",
            "/api/im/conversations/muted",
            Some(&bt),
            Some(json!({"userId": alice, "muted": true})),
        )
        .await;
    assert_eq!(status, 204);
    let (_, muted) = app
        .call("GET", "/api/im/conversations/muted", Some(&bt), None)
        .await;
    assert_eq!(muted["items"], json!([{"userId": alice}]));
    eventually("bob's socket is gone", || async {
        !app.state()
            .delivery
            .supervisor
            .has_sessions(&(None, bob.parse().unwrap()))
    })
    .await;
    let seen = receiver.jobs().len();
    let muted_message = send(&mut a, &bob, "muted").await;
    let after = send(&mut c, &bob, "not muted").await;
    receiver.job_for("messageId", &after).await;
    let jobs = receiver.jobs();
    assert!(!jobs
        .iter()
        .any(|j| j["messageId"] == muted_message.as_str()));
    assert_eq!(jobs.len(), seen + 1);

    // The receiver reports the token dead: it is removed.
    receiver.dead.lock().unwrap().push("apns-bob-1".into());
    send(&mut c, &bob, "last").await;
    eventually("the dead token is removed", || async {
        let (_, tokens) = app
            .call("GET", "/api/im/devices/push-tokens", Some(&bt), None)
            .await;
        tokens["items"] == json!([])
    })
    .await;
    // Without a token, nothing more is pushed to him.
    receiver.dead.lock().unwrap().clear();
    let seen = receiver.jobs().len();
    register_token(&app, &ct, "fcm-carol-1").await;
    let to_carol = send(&mut a, &carol, "carol is offline? no, online").await;
    let unreached = send(&mut c, &bob, "no token").await;
    drop(c);
    eventually("carol's socket is gone", || async {
        !app.state()
            .delivery
            .supervisor
            .has_sessions(&(None, carol.parse().unwrap()))
    })
    .await;
    let to_carol_offline = send(&mut a, &carol, "now offline").await;
    let job = receiver.job_for("messageId", &to_carol_offline).await;
    assert_eq!(job["userId"], carol.as_str());
    let jobs = receiver.jobs();
    assert!(!jobs
        .iter()
        .any(|j| j["messageId"] == unreached.as_str() || j["messageId"] == to_carol.as_str()));
    assert_eq!(jobs.len(), seen + 1);
});

#[actix_rt::test]
async fn push_jobs_go_to_a_redis_stream_and_notifications_push_too() {
    let Ok(redis_url) = std::env::var("IM_TEST_REDIS_URL") else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("IM_TEST_REDIS_URL is not set, and under CI=true this test must run");
        }
        crate::helpers::say("SKIPPED push_jobs_go_to_a_redis_stream: set IM_TEST_REDIS_URL");
        return;
    };
    let db = TestDb::new(crate::helpers::Backend::Sqlite, "push_stream")
        .await
        .unwrap();
    let mut config = db.config();
    let namespace = unique("push");
    config.redis.url = redis_url.clone();
    config.redis.namespace = namespace.clone();
    config.push.redis_stream = true;
    config.push.preview = false;
    config.push.debounce_ms = 200;
    let app = TestApp::start(config).await;
    let admin = crate::admin::create_admin(&db, &app).await;
    let (bob, bt) = app.user(&unique("bob")).await;
    register_token(&app, &bt, "fcm-bob-1").await;
    let (status, published) = app
        .call(
            "POST",
            "/api/push/notifications",
            Some(&admin),
            Some(json!({"name": "IM.SystemNotice", "userIds": [bob], "data": {"title": "Maintenance tonight"}})),
        )
        .await;
    assert_eq!(status, 201, "{published}");
    let id = published["id"].as_str().unwrap().to_string();
    let client = redis::Client::open(redis_url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let key = format!("{namespace}:push");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let job = loop {
        let entries: Vec<(String, Vec<String>)> = redis::cmd("XRANGE")
            .arg(&key)
            .arg("-")
            .arg("+")
            .query_async(&mut conn)
            .await
            .unwrap();
        let found = entries.iter().find_map(|(_, fields)| {
            let at = fields.iter().position(|f| f == "job")?;
            let value: Value = serde_json::from_str(fields.get(at + 1)?).ok()?;
            (value["notificationId"] == id.as_str()).then_some(value)
        });
        if let Some(job) = found {
            break job;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the job is on the stream in time"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(job["userId"], bob.as_str(), "{job}");
    assert_eq!(
        job["conversation"],
        json!({"type": "notification", "id": "IM.SystemNotice"})
    );
    assert_eq!(job["preview"], Value::Null, "push.preview = false");
    assert_eq!(job["tokens"][0]["token"], "fcm-bob-1");
    let _: () = redis::cmd("DEL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
}

#[actix_rt::test]
async fn a_foreground_session_on_another_pod_holds_the_push_back() {
    let Some(cluster) = crate::pods::Cluster::new("push_across_pods").await else {
        return;
    };
    let receiver = PushReceiver::start().await;
    let env = [
        ("IMCLUSTER_PUSH__WEBHOOK_URL", receiver.url.as_str()),
        ("IMCLUSTER_PUSH__DEBOUNCE_MS", "200"),
    ];
    let p1 = cluster.pod_with(1, &env).await;
    let p2 = cluster.pod_with(2, &env).await;
    let (alice, at) = p1.user(&unique("alice")).await;
    let (bob, bt) = p2.user(&unique("bob")).await;
    let (carol, ct) = p1.user(&unique("carol")).await;
    crate::pods::befriend(&p1, (&alice, &at), &p2, (&bob, &bt)).await;
    crate::pods::befriend(&p1, (&alice, &at), &p1, (&carol, &ct)).await;
    register_token(&p2, &bt, "apns-bob-2").await;
    register_token(&p1, &ct, "fcm-carol-2").await;
    let mut a = WsClient::connect(&p1, &at).await;
    let mut b = WsClient::connect(&p2, &bt).await;
    crate::pods::await_online(&[&p1, &p2], &bob, &bt).await;

    // Bob reads on pod 2 in the foreground: alice's message on pod 1 makes no push.
    let here = send(&mut a, &bob, "you are on pod 2").await;
    b.next_of("message").await;
    // Carol is offline: her job, offered after bob's, goes out no earlier than his would.
    let to_carol = send(&mut a, &carol, "carol is offline").await;
    receiver.job_for("messageId", &to_carol).await;
    assert!(
        !receiver.jobs().iter().any(|j| j["userId"] == bob.as_str()),
        "no job for bob while he is in the foreground on pod 2"
    );
    // In the background there, the next one does.
    let ack = b
        .request(json!({"type": "state", "foreground": false}))
        .await;
    assert_eq!(ack["type"], "ack");
    let away = send(&mut a, &bob, "and now away").await;
    let job = receiver.job_for("messageId", &away).await;
    assert_eq!(job["userId"], bob.as_str(), "{job}");
    assert_eq!(job["count"], 1, "{job}");
    assert!(!receiver
        .jobs()
        .iter()
        .any(|j| j["messageId"] == here.as_str()));

    // A group message: a job for each member away (bob on pod 2, carol offline), none for
    // the sender; the conversation is the group.
    let gid = crate::pods::group(&p1, &at, &[(&p2, &bob, &bt), (&p1, &carol, &ct)]).await;
    let ack = a.request(crate::ws::to_group(gid, "to the group")).await;
    let id = ack["messageId"].as_str().unwrap().to_string();
    let mut found = vec![];
    eventually("a job for each member away", || {
        found = receiver
            .jobs()
            .into_iter()
            .filter(|j| j["messageId"] == id.as_str())
            .collect();
        std::future::ready(found.len() == 2)
    })
    .await;
    for job in &found {
        assert_eq!(
            job["conversation"],
            json!({"type": "group", "id": gid.to_string()})
        );
        assert_ne!(job["userId"], alice.as_str());
    }
}
