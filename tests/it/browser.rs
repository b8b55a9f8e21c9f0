//! The admin console and the try-it page in a real browser: headless Chromium driven through
//! chromedriver's WebDriver API (plain HTTP), against a running node. Without Chromium the
//! test says it is skipped; under `CI=true` it must run.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{say, unique, Backend, TestApp, TestDb};
use crate::ws::WsClient;

/// A chromedriver process on a free port.
struct Driver {
    base: String,
    child: Child,
    http: awc::Client,
}

/// One browser window (a WebDriver session).
struct Browser<'a> {
    driver: &'a Driver,
    session: String,
}

impl Driver {
    async fn start() -> Option<Driver> {
        let found = ["/usr/bin/chromedriver", "/usr/bin/chromium"]
            .iter()
            .all(|p| std::path::Path::new(p).exists());
        if !found {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "chromium and chromium-driver are needed under CI=true (.ci/run installs them)"
                );
            }
            say("SKIPPED browser tests: install chromium and chromium-driver to run them");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver = Driver {
            base: format!("http://127.0.0.1:{port}"),
            child,
            http: awc::Client::builder()
                .timeout(Duration::from_secs(60))
                .finish(),
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while driver
            .http
            .get(format!("{}/status", driver.base))
            .send()
            .await
            .is_err()
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "chromedriver answers"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Some(driver)
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{}", self.base, path);
        let req = self.http.request(method.parse().unwrap(), url);
        let mut res = match body {
            Some(b) => req.send_json(&b).await,
            None => req.send().await,
        }
        .expect("chromedriver answers");
        let body: Value = res.json().limit(64 * 1024 * 1024).await.expect("JSON");
        assert!(res.status().is_success(), "{method} {path}: {body}");
        body["value"].clone()
    }

    async fn window(&self) -> Browser<'_> {
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"]
            }
        }}});
        let value = self.call("POST", "/session", Some(caps)).await;
        Browser {
            driver: self,
            session: value["sessionId"].as_str().unwrap().to_string(),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser<'_> {
    async fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.driver
            .call(method, &format!("/session/{}{path}", self.session), body)
            .await
    }

    async fn open(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({"url": url}))).await;
    }

    async fn element(&self, css: &str) -> String {
        let v = self
            .cmd(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        // The reference is the one value of a W3C element object.
        let reference = v.as_object().and_then(|o| o.values().next());
        reference
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let e = self.element(css).await;
        self.cmd(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    /// Clicks the first element `css` finds, once there is one. Found and clicked in one
    /// script, so a list the page redraws meanwhile (presence, unread counts) cannot leave a
    /// stale reference between the two.
    async fn click(&self, css: &str) {
        let found = format!("document.querySelector({css:?})");
        self.until(&format!("{css} to click"), &found).await;
        self.script(&format!("{found}.click(); return 0;")).await;
    }

    async fn script(&self, script: &str) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Waits until `script` (an expression) is true in the page.
    async fn until(&self, what: &str, expression: &str) {
        self.until_within(what, expression, crate::ws::WAIT).await
    }

    /// Waits until `script` (an expression) is true in the page, failing after `within`.
    async fn until_within(&self, what: &str, expression: &str, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if self.script(&format!("return !!({expression});")).await == true {
                return;
            }
            let error = self
                .script(
                    "const e = document.getElementById('error'); return e ? e.textContent : '';",
                )
                .await;
            assert!(
                tokio::time::Instant::now() < deadline,
                "the page never showed {what} (banner: {error})"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Saves a screenshot when `IM_SCREENSHOTS` names a folder (the README's pictures).
    async fn screenshot(&self, name: &str) {
        let Ok(dir) = std::env::var("IM_SCREENSHOTS") else {
            return;
        };
        use base64::Engine;
        let png = self.cmd("GET", "/screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        std::fs::write(std::path::Path::new(&dir).join(name), bytes).unwrap();
    }

    async fn close(self) {
        self.cmd("DELETE", "", None).await;
    }
}

fn text_of(id: &str) -> String {
    format!("document.getElementById('{id}').textContent")
}

#[actix_rt::test]
async fn the_admin_console_and_the_try_it_page_work_in_a_browser() {
    let Some(driver) = Driver::start().await else {
        return;
    };
    let db = TestDb::new(Backend::Sqlite, "browser").await.unwrap();
    let receiver = crate::push_jobs::PushReceiver::start().await;
    let mut config = db.config();
    config.push.webhook_url = receiver.url.clone();
    config.push.debounce_ms = 100;
    let app = TestApp::start(config).await;
    let root_token = crate::admin::create_admin(&db, &app).await;
    let (_, me) = app
        .call("GET", "/api/auth/me", Some(&root_token), None)
        .await;
    let root_name = me["userName"].as_str().unwrap().to_string();

    // The console: sign in, watch the online count rise when a client connects.
    let admin = driver.window().await;
    admin.open(&format!("{}/admin", app.base)).await;
    admin.click("#login-submit").await;
    admin
        .until(
            "the form's own validation",
            &format!("{}.length > 0", text_of("login-error")),
        )
        .await;
    admin.type_into("#login-user", &root_name).await;
    admin.type_into("#login-password", "a-long-password").await;
    admin.click("#login-submit").await;
    admin
        .until("0 online", &format!("{} === '0'", text_of("stat-online")))
        .await;
    admin
        .until(
            "the webhook events' state",
            &format!("{}.includes('off')", text_of("outbox-state")),
        )
        .await;
    let name = unique("visitor");
    let (user, token) = app.user(&name).await;
    let mut client = WsClient::connect(&app, &token).await;
    admin
        .until("1 online", &format!("{} === '1'", text_of("stat-online")))
        .await;

    // A broadcast from the console reaches the client.
    admin
        .type_into("#broadcast-text", "hello from the console")
        .await;
    admin.click("#broadcast-send").await;
    assert_eq!(
        client.next_notice("system").await["data"]["content"],
        "hello from the console"
    );
    // Find the user, see the connection, kick it: the client is closed with 4003.
    admin.type_into("#user-filter", &name).await;
    admin.click("#user-search").await;
    admin
        .until(
            "the user",
            &format!("document.querySelector('[data-kick=\"{user}\"]')"),
        )
        .await;
    admin.click(&format!("[data-connections=\"{user}\"]")).await;
    admin
        .until(
            "the connection",
            "document.querySelectorAll('#connections td').length === 4",
        )
        .await;
    // The charts of the last 15 minutes: six figures, the total and this pod in each, drawn
    // from the samples the server keeps (one every 5 s), the connection counted in the latest.
    admin
        .until_within(
            "charts with two samples, the last counting the connection",
            "adminConsole.charts.size === 6 && [...adminConsole.charts.values()].every(c => c.plot.series.length === 3) && (d => d[0].length >= 2 && d[1][d[1].length - 1] === 1)(adminConsole.charts.get('connections').plot.data)",
            Duration::from_secs(30),
        )
        .await;
    admin.screenshot("admin-console.png").await;
    admin
        .script("document.getElementById('charts').scrollIntoView(); return 0;")
        .await;
    admin.screenshot("admin-charts.png").await;
    admin.click(&format!("[data-kick=\"{user}\"]")).await;
    assert_eq!(client.closed().await, Some(4003));
    admin
        .until(
            "0 online again",
            &format!("{} === '0'", text_of("stat-online")),
        )
        .await;

    // Notifications: the built-in definitions are listed; a test notification published from
    // the console reaches the (now offline) visitor's inbox and becomes a push job, which the
    // console counts.
    admin
        .until(
            "the built-in definitions",
            "document.getElementById('definitions').textContent.includes('IM.SystemNotice')",
        )
        .await;
    admin
        .until(
            "the push hand-off's counts",
            &format!("{}.includes('0 sent')", text_of("push-state")),
        )
        .await;
    crate::push_jobs::register_token(&app, &token, "apns-visitor").await;
    admin
        .script("document.getElementById('publish-name').value = 'IM.SystemNotice'")
        .await;
    admin.type_into("#publish-user", &user).await;
    admin.type_into("#publish-text", "from the console").await;
    admin.click("#publish-send").await;
    admin
        .until(
            "published",
            &format!("{}.includes('1 inbox')", text_of("publish-result")),
        )
        .await;
    let (_, inbox) = app
        .call("GET", "/api/im/notifications", Some(&token), None)
        .await;
    assert_eq!(
        inbox["items"][0]["data"]["message"], "from the console",
        "{inbox}"
    );
    let id = inbox["items"][0]["id"].as_str().unwrap().to_string();
    receiver.job_for("notificationId", &id).await;
    admin
        .until(
            "the push counted",
            &format!("{}.includes('1 sent')", text_of("push-state")),
        )
        .await;
    // Storage: an upload shows in the media figure.
    admin
        .until(
            "no media yet",
            &format!("{}.startsWith('0 ·')", text_of("stat-media")),
        )
        .await;
    let (status, _) = crate::media::upload(&app, &token, "a.png", crate::media::png(10, 10)).await;
    assert_eq!(status, 201);
    admin
        .until(
            "one media",
            &format!("{}.startsWith('1 ·')", text_of("stat-media")),
        )
        .await;
    admin.screenshot("admin-notifications.png").await;
    admin.close().await;

    // The try-it page: two windows, two new users, a friend request, a chat both ways.
    let (a_name, b_name) = (unique("ann"), unique("ben"));
    let a = driver.window().await;
    let b = driver.window().await;
    for (w, n) in [(&a, &a_name), (&b, &b_name)] {
        w.open(&app.base).await;
        w.type_into("#name", n).await;
        w.type_into("#password", "password-123").await;
        w.click("#register").await;
        w.until(
            "the chat",
            "!document.getElementById('app').classList.contains('hidden')",
        )
        .await;
    }
    a.type_into("#add-name", &b_name).await;
    a.click("#add").await;
    b.until("ann's request", "document.querySelector('[data-accept]')")
        .await;
    b.click("[data-accept]").await;
    a.until(
        "ben as a friend",
        "document.querySelector('#friends [data-user]')",
    )
    .await;
    b.until(
        "ann as a friend",
        "document.querySelector('#friends [data-user]')",
    )
    .await;
    a.click("#friends [data-user]").await;
    b.click("#friends [data-user]").await;
    a.until("ben online", "document.querySelector('#friends .dot.on')")
        .await;
    a.type_into("#send-text", "hi ben, it's ann").await;
    a.click("#send").await;
    b.until(
        "ann's message",
        "[...document.querySelectorAll('.bubble')].some(x => x.textContent.includes(\"hi ben, it's ann\"))",
    )
    .await;
    b.type_into("#send-text", "hello ann").await;
    b.click("#send").await;
    a.until(
        "ben's answer",
        "[...document.querySelectorAll('.bubble')].some(x => x.textContent.includes('hello ann'))",
    )
    .await;
    a.until(
        "a read receipt",
        "document.querySelector('.bubble.mine .receipt').textContent.includes('read')",
    )
    .await;

    // A picture and a file, picked in ann's window: ben sees the picture's thumbnail (fetched
    // with his token) and the file's name.
    let files = tempfile::tempdir().unwrap();
    let picture = files.path().join("sunset.png");
    std::fs::write(&picture, crate::media::png(480, 360)).unwrap();
    a.type_into("#attach", picture.to_str().unwrap()).await;
    b.until(
        "ann's picture, shown",
        "[...document.querySelectorAll('.bubble img.thumb')].some(i => i.complete && i.naturalWidth === 320)",
    )
    .await;
    let notes = files.path().join("plan.txt");
    std::fs::write(&notes, "the plan\n").unwrap();
    a.type_into("#attach", notes.to_str().unwrap()).await;
    b.until(
        "ann's file",
        "[...document.querySelectorAll('.bubble a.file')].some(x => x.textContent.includes('plan.txt'))",
    )
    .await;
    b.screenshot("try-it-media.png").await;

    // A reply quotes what it answers; an edit and a reaction show on the other side.
    b.click(".bubble:not(.mine) [data-act=reply]").await;
    b.type_into("#send-text", "replying to you").await;
    b.click("#send").await;
    a.until(
        "ben's reply quoting ann",
        "[...document.querySelectorAll('.bubble')].some(x => x.textContent.includes('replying to you') && x.querySelector('.quote') && x.querySelector('.quote').textContent.includes('hi ben'))",
    )
    .await;
    a.click(".bubble.mine [data-act=edit]").await;
    a.script("document.getElementById('send-text').value = 'hi ben, edited'; return 0;")
        .await;
    a.click("#send").await;
    b.until(
        "ann's edit",
        "[...document.querySelectorAll('.bubble')].some(x => x.textContent.includes('hi ben, edited') && x.querySelector('.edited'))",
    )
    .await;
    b.click(".bubble:not(.mine) [data-act=react]").await;
    a.until(
        "ben's reaction",
        "[...document.querySelectorAll('.bubble.mine .chip')].some(c => c.textContent.includes('👍 1'))",
    )
    .await;

    a.screenshot("try-it.png").await;

    // In a group: "read by N" as the members read.
    let id_of = |name: String| {
        let app = &app;
        async move {
            let body = json!({"userName": name, "password": "password-123"});
            let (_, login) = app.call("POST", "/api/auth/login", None, Some(body)).await;
            login["userId"].as_str().unwrap().to_string()
        }
    };
    let (a_id, b_id) = (id_of(a_name.clone()).await, id_of(b_name.clone()).await);
    app.group(&a_id, &[&b_id]).await;
    for w in [&a, &b] {
        w.script("tryIt.loadSide(); return 0;").await;
        w.until(
            "the group",
            "document.querySelector('#groups [data-group]')",
        )
        .await;
        w.click("#groups [data-group]").await;
    }
    a.type_into("#send-text", "hello group").await;
    a.click("#send").await;
    b.until(
        "ann's group message",
        "[...document.querySelectorAll('.bubble')].some(x => x.textContent.includes('hello group'))",
    )
    .await;
    a.until(
        "read by 1",
        "[...document.querySelectorAll('.bubble.mine .receipt')].some(r => r.textContent === 'read by 1')",
    )
    .await;

    // A private message while ben has the group open: his conversation list counts it unread,
    // until he opens the conversation.
    a.click("#friends [data-user]").await;
    a.type_into("#send-text", "psst, ben").await;
    a.click("#send").await;
    b.until(
        "one unread from ann",
        "document.querySelector('#conversations li[data-user] .badge')?.textContent === '1'",
    )
    .await;
    b.screenshot("try-it-unread.png").await;
    b.click("#conversations li[data-user]").await;
    b.until(
        "read, so no badge",
        "[...document.querySelectorAll('.bubble')].some(x => x.textContent.includes('psst, ben')) && !document.querySelector('#conversations li[data-user] .badge')",
    )
    .await;

    // History scrolls back: forty more messages, thirty shown, the rest at the top.
    let (_, ann) = app
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({"userName": a_name, "password": "password-123"})),
        )
        .await;
    let ann_token = ann["accessToken"].as_str().unwrap().to_string();
    for i in 0..40 {
        let body = json!({"toUserId": b_id, "content": format!("backlog {i}")});
        let (status, sent) = app
            .call(
                "POST",
                "/api/im/chat/send-message",
                Some(&ann_token),
                Some(body),
            )
            .await;
        assert_eq!(status, 200, "{sent}");
    }
    b.click("#groups [data-group]").await;
    b.click("#conversations li[data-user]").await;
    b.until(
        "the newest thirty",
        "document.querySelectorAll('.bubble').length === 30 && document.querySelector('.bubble').textContent.includes('backlog 10')",
    )
    .await;
    b.script("document.getElementById('messages').scrollTop = 0; return 0;")
        .await;
    b.until(
        "older messages above",
        "[...document.querySelectorAll('.bubble')].some(x => x.textContent.includes('backlog 0')) && document.querySelector('.bubble').textContent.includes('hi ben')",
    )
    .await;

    // A group made from the page opens at once.
    a.type_into("#group-name", "team").await;
    a.click("#group-create").await;
    a.until(
        "the new group, open",
        "document.getElementById('peer-title').textContent === '# team' && document.getElementById('members').textContent.includes('Members')",
    )
    .await;
    a.close().await;
    b.close().await;
    app.stop().await;
}

#[actix_rt::test]
async fn the_try_it_page_refreshes_its_token_and_signs_out_other_sessions() {
    let Some(driver) = Driver::start().await else {
        return;
    };
    let db = TestDb::new(Backend::Sqlite, "browser_sessions")
        .await
        .unwrap();
    let mut config = db.config();
    config.jwt.ttl_seconds = 4;
    let app = TestApp::start(config).await;
    let name = unique("tess");
    app.user(&name).await;
    let body = json!({"userName": name, "password": "password-123", "platform": "ios", "deviceName": "Tess's phone"});
    let (_, phone) = app.call("POST", "/api/auth/login", None, Some(body)).await;
    let phone_token = phone["accessToken"].as_str().unwrap().to_string();

    let w = driver.window().await;
    w.open(&app.base).await;
    w.type_into("#name", &name).await;
    w.type_into("#password", "password-123").await;
    w.click("#login").await;
    let signed_in = chrono::Utc::now().timestamp();
    w.until(
        "the phone and this page in the session list",
        "document.querySelectorAll('#sessions li').length === 3 && document.getElementById('sessions').textContent.includes(\"Tess's phone\") && document.getElementById('sessions').textContent.includes('this one')",
    )
    .await;
    let first = w.script("return tryIt.token;").await;

    // "Sign out other sessions" ends the phone's (and the sign-up's) session.
    w.click("#end-others").await;
    w.until(
        "only this session",
        "document.querySelectorAll('#sessions li').length === 1",
    )
    .await;
    assert_eq!(
        app.call("GET", "/api/auth/me", Some(&phone_token), None)
            .await
            .0,
        401
    );

    // The page refreshes its 4-second token again and again; its socket outlives the first
    // token's expiry and grace, and its API calls keep working.
    let outlived = (signed_in + 4 + 31) * 1000;
    w.until_within(
        "refreshes past the first token's grace",
        &format!(
            "tryIt.refreshes >= 3 && Date.now() > {outlived} && tryIt.client.state === 'ready'"
        ),
        Duration::from_secs(60),
    )
    .await;
    assert_ne!(w.script("return tryIt.token;").await, first);
    w.script("tryIt.loadSessions(); return 0;").await;
    w.until(
        "the session online",
        "document.querySelector('#sessions .dot.on')",
    )
    .await;
    let banner = w.script(&format!("return {};", text_of("info"))).await;
    assert!(
        !banner.as_str().unwrap().contains("Disconnected"),
        "{banner}"
    );
    w.close().await;
    app.stop().await;
}

/// Waits until every image the page asked for so far has loaded or failed: a control image
/// added after them reports through a listener (script, which the policy allows), and the
/// browser fetches in order on one connection, so by then the hostile ones have failed too.
async fn images_settled(w: &Browser<'_>) {
    w.script(
        "window.__control = false; const i = new Image(); \
         i.addEventListener('error', () => { window.__control = true; }); \
         i.src = '/nonexistent-control.png'; document.body.appendChild(i); return 1;",
    )
    .await;
    w.until("the control image to fail", "window.__control === true")
        .await;
}

#[actix_rt::test]
async fn hostile_names_and_messages_run_no_script() {
    let Some(driver) = Driver::start().await else {
        return;
    };
    let db = TestDb::new(Backend::Sqlite, "browser_xss").await.unwrap();
    let mut config = db.config();
    config.admin.api_key = "admin-key-123".into();
    let app = TestApp::start(config).await;
    let victim_name = unique("vic");
    let (victim, _) = app.user(&victim_name).await;
    let (attacker, attacker_token) = app.user(&unique("eve")).await;
    // Quote-breaking attributes, markup and `javascript:` in every value the page shows.
    let nick = "x\" onmouseover=\"window.__pwned='nick'\" data-x=\"<img src=x onerror=\"window.__pwned='nickimg'\">";
    let (status, answer) = app
        .call(
            "PUT",
            "/api/im/users/me/card",
            Some(&attacker_token),
            Some(json!({ "nickName": nick })),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    app.befriend(&victim, &attacker).await;
    for name in [
        "<svg onload=__p=1>",
        "\"onmouseover=\"__p=2",
        "'onfocus='__p=3'",
    ] {
        let (status, g) = app
            .call(
                "POST",
                "/api/im/groups",
                Some(&attacker_token),
                Some(json!({ "name": name })),
            )
            .await;
        assert_eq!(status, 201, "{g}");
        let group: i64 = g["id"].as_str().unwrap().parse().unwrap();
        app.state()
            .store
            .add_member(None, group, victim.parse().unwrap(), false, None)
            .await
            .unwrap();
    }
    let mut eve = WsClient::connect(&app, &attacker_token).await;
    for content in [
        "<img src=x onerror=\"window.__pwned='msg'\">",
        "</div><script>window.__pwned='script'</script>",
        "javascript:window.__pwned='js'",
    ] {
        let ack = eve
            .request(json!({"type": "send", "toUserId": victim, "content": content}))
            .await;
        assert_eq!(ack["type"], "ack", "{ack}");
    }

    let w = driver.window().await;
    w.open(&app.base).await;
    w.type_into("#name", &victim_name).await;
    w.type_into("#password", "password-123").await;
    w.click("#login").await;
    w.until(
        "the friend and the three groups",
        "document.querySelector('#friends [data-user]') && document.querySelectorAll('#groups [data-group]').length === 3",
    )
    .await;
    w.click("#friends [data-user]").await;
    w.until(
        "the hostile messages, as text",
        "[...document.querySelectorAll('.bubble')].filter(b => b.textContent.includes('__pwned')).length === 3",
    )
    .await;
    // A system notice with markup, while the page is open.
    let res = app
        .client
        .post(format!("{}/api/admin/broadcast", app.base))
        .insert_header(("x-api-key", "admin-key-123"))
        .send_json(&json!({"content": "<img src=x onerror=\"window.__pwned='notice'\">"}))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 202);
    w.until(
        "the notice, as text",
        "document.getElementById('info').textContent.includes('onerror')",
    )
    .await;
    // Hover and focus everything; then let every image load or fail.
    w.script(
        "document.querySelectorAll('*').forEach(e => ['mouseover', 'focus', 'mouseenter'] \
         .forEach(t => e.dispatchEvent(new Event(t, { bubbles: true })))); return 1;",
    )
    .await;
    images_settled(&w).await;
    let ran = w
        .script("return [window.__pwned === undefined ? null : window.__pwned, window.__p === undefined ? null : window.__p];")
        .await;
    assert_eq!(ran, json!([null, null]), "a hostile value ran as script");
    // The names are shown as written.
    let shown = w
        .script("return document.getElementById('friends').textContent;")
        .await;
    assert!(shown.as_str().unwrap().contains("onmouseover"), "{shown}");

    // Even markup that got into the page cannot run: the policy forbids inline handlers.
    w.script(
        "document.body.insertAdjacentHTML('beforeend', '<img src=\"/nope.png\" onerror=\"window.__csp=1\">'); return 1;",
    )
    .await;
    images_settled(&w).await;
    assert_eq!(
        w.script("return window.__csp === undefined;").await,
        true,
        "an inline handler ran despite the Content-Security-Policy"
    );
    w.close().await;
    app.stop().await;
}

/// The client library's IndexedDB store, in a real browser: three saves made at once (the
/// cursor, the outbox, the ids seen) all land, and a new store on the same key reads them back,
/// as a page does after a reload.
#[actix_rt::test]
async fn the_client_librarys_indexeddb_store_keeps_what_is_saved_at_once() {
    let Some(driver) = Driver::start().await else {
        return;
    };
    let db = TestDb::new(Backend::Sqlite, "browser_idb").await.unwrap();
    let app = TestApp::start(db.config()).await;
    let w = driver.window().await;
    w.open(&app.base).await;
    w.script(
        "import('/console/imcluster-client.js').then(async (m) => {
           const store = new m.IndexedDbStore('test-user');
           await Promise.all([
             store.save({ cursor: 'c-1' }),
             store.save({ outbox: [{ clientMsgId: 'm-1', message: { content: 'hi' }, queuedAt: 1 }] }),
             store.save({ seen: ['1', '2'] }),
           ]);
           const again = await new m.IndexedDbStore('test-user').load();
           window.__saved = JSON.stringify(again);
         }).catch((e) => { window.__saved = 'failed: ' + e; });
         return 0;",
    )
    .await;
    w.until("the store's answer", "window.__saved").await;
    let saved: Value =
        serde_json::from_str(w.script("return window.__saved;").await.as_str().unwrap()).unwrap();
    assert_eq!(
        saved,
        json!({"cursor": "c-1", "outbox": [{"clientMsgId": "m-1", "message": {"content": "hi"}, "queuedAt": 1}], "seen": ["1", "2"]})
    );
    w.close().await;
    app.stop().await;
}
