//! Media on an S3-compatible store (a real server process, `s3_server.rs`): uploads through a
//! pod and direct ones with presigned URLs for the public endpoint, checked when completed;
//! downloads redirected to presigned URLs that answer with the media's type; access, forwards,
//! the orphan sweep, and a direct upload begun on one pod and completed on another.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::{unique, TestApp, TestDb};
use crate::media::{png, upload};
use crate::on_both_databases;
use crate::s3_server::S3Server;
use crate::ws::WsClient;

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fresh bucket's name.
fn bucket() -> String {
    format!("im-{}", uuid::Uuid::new_v4().simple())
}

/// A client that does not follow redirects and sends no token: what a browser does at the
/// store.
fn plain() -> awc::Client {
    awc::Client::builder()
        .disable_redirects()
        .timeout(std::time::Duration::from_secs(30))
        .finish()
}

/// `POST /api/im/media/uploads` for `bytes`, declared as `mime`.
async fn begin(app: &TestApp, token: &str, bytes: &[u8], mime: &str) -> (u16, Value) {
    let body =
        json!({"name": "direct.bin", "size": bytes.len(), "mime": mime, "sha256": sha256(bytes)});
    app.call("POST", "/api/im/media/uploads", Some(token), Some(body))
        .await
}

/// PUTs `bytes` to a begun upload's URL with its headers, as a browser would.
async fn put(begun: &Value, bytes: Vec<u8>) -> u16 {
    let mut req = plain().put(begun["url"].as_str().unwrap());
    for (k, v) in begun["headers"].as_object().unwrap() {
        req = req.insert_header((k.as_str(), v.as_str().unwrap()));
    }
    req.send_body(bytes)
        .await
        .expect("the store answers")
        .status()
        .as_u16()
}

async fn complete(app: &TestApp, token: &str, upload_id: &Value) -> (u16, Value) {
    let path = format!(
        "/api/im/media/uploads/{}/complete",
        upload_id.as_str().unwrap()
    );
    app.call("POST", &path, Some(token), None).await
}

/// `GET path` on the node: it must redirect; the status there, its type, the bytes.
async fn fetch(app: &TestApp, token: &str, path: &str, public: &str) -> (String, Vec<u8>) {
    let res = plain()
        .get(format!("{}{path}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("the node answers");
    assert_eq!(res.status().as_u16(), 302, "{path} redirects to the store");
    let location = res
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        location.starts_with(public),
        "the public endpoint: {location}"
    );
    let mut res = plain()
        .get(&location)
        .send()
        .await
        .expect("the store answers");
    assert_eq!(res.status().as_u16(), 200, "{location}");
    let mime = res
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    (mime, res.body().limit(1 << 26).await.unwrap().to_vec())
}

async fn status_of(app: &TestApp, token: &str, path: &str) -> u16 {
    plain()
        .get(format!("{}{path}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("the node answers")
        .status()
        .as_u16()
}

on_both_databases!(media_on_an_s3_store, |db: TestDb| async move {
    let Some(s3) = S3Server::start("media_on_an_s3_store").await else {
        return;
    };
    let name = bucket();
    s3.bucket(&name).await;
    let mut config = db.config();
    config.media.store = format!("s3://{name}/media");
    config.media.endpoint = s3.endpoint();
    config.media.public_url = s3.public_url();
    config.media.max_bytes = 4 * 1024 * 1024;
    config.media.max_pixels = 2_000_000;
    let app = TestApp::start(config).await;
    let public = s3.public_url();
    let (alice, at) = app.user(&unique("alice")).await;
    let (bob, bt) = app.user(&unique("bob")).await;
    let (carol, ct) = app.user(&unique("carol")).await;
    let (_, st) = app.user(&unique("stranger")).await;
    app.befriend(&alice, &bob).await;
    app.befriend(&bob, &carol).await;

    // A direct upload: a presigned PUT for the public endpoint, bound to the type and hash.
    let picture = png(800, 600);
    let (status, begun) = begin(&app, &at, &picture, "image/png").await;
    assert_eq!(status, 201, "{begun}");
    let url = begun["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{public}/{name}/media/tmp/")),
        "{url}"
    );
    assert!(url.contains("X-Amz-Signature="), "{url}");
    assert_eq!(begun["method"], "PUT");
    assert_eq!(begun["headers"]["content-type"], "image/png");
    assert!(begun["headers"]["x-amz-checksum-sha256"].is_string());
    assert!(begun["expiresAt"].is_string());

    // Completing before the bytes are there, or someone else's upload, is refused.
    let (status, early) = complete(&app, &at, &begun["uploadId"]).await;
    assert_eq!(
        (status, early["error"]["code"].clone()),
        (409, json!("IM:Conflict")),
        "{early}"
    );
    assert_eq!(complete(&app, &bt, &begun["uploadId"]).await.0, 404);

    assert_eq!(put(&begun, picture.clone()).await, 200);
    let (status, m) = complete(&app, &at, &begun["uploadId"]).await;
    assert_eq!(status, 201, "{m}");
    assert_eq!(
        (m["kind"].clone(), m["mime"].clone()),
        (json!("image"), json!("image/png"))
    );
    assert_eq!(
        (m["width"].clone(), m["height"].clone()),
        (json!(800), json!(600))
    );
    assert_eq!(m["thumb"], json!({"width": 320, "height": 240}));
    assert_eq!(m["sha256"], sha256(&picture));
    let id = m["mediaId"].as_str().unwrap().to_string();

    // Completing again, or declaring the same bytes again, answers the same media.
    let (status, again) = complete(&app, &at, &begun["uploadId"]).await;
    assert_eq!((status, again["mediaId"].clone()), (201, json!(id)));
    let (status, known) = begin(&app, &at, &picture, "image/png").await;
    assert_eq!(
        (status, known["mediaId"].clone()),
        (200, json!(id)),
        "{known}"
    );

    // Downloads are redirects to presigned URLs, which answer with the media's type.
    let path = format!("/api/im/media/{id}");
    let (mime, bytes) = fetch(&app, &at, &path, &public).await;
    assert_eq!((mime.as_str(), bytes == picture), ("image/png", true));
    let (mime, thumb) = fetch(&app, &at, &format!("{path}/thumb"), &public).await;
    assert_eq!(mime, "image/jpeg");
    let small = image::load_from_memory(&thumb).unwrap();
    assert_eq!((small.width(), small.height()), (320, 240));
    assert_eq!(status_of(&app, &st, &path).await, 404, "a stranger");
    assert_eq!(
        status_of(&app, &bt, &path).await,
        404,
        "bob, before it is sent to him"
    );

    // Bytes that are not those declared are refused, and deleted.
    let (_, lie) = begin(&app, &at, b"what was declared", "text/plain").await;
    assert_eq!(put(&lie, b"something else entirely".to_vec()).await, 200);
    let (status, refused) = complete(&app, &at, &lie["uploadId"]).await;
    assert_eq!(
        (status, refused["error"]["code"].clone()),
        (400, json!("IM:Validation")),
        "{refused}"
    );
    assert_eq!(
        complete(&app, &at, &lie["uploadId"]).await.0,
        409,
        "the object is gone"
    );

    // A type the bytes do not bear out, a type not accepted, too large, a bad hash.
    let text = b"plain words\n".to_vec();
    let (_, wrong) = begin(&app, &at, &text, "application/pdf").await;
    assert_eq!(put(&wrong, text).await, 200);
    let (status, refused) = complete(&app, &at, &wrong["uploadId"]).await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused.to_string().contains("the bytes are text/plain"),
        "{refused}"
    );
    let program = [b"\x7fELF\x02\x01\x01".as_slice(), &[0u8; 64]].concat();
    let (_, elf) = begin(&app, &at, &program, "text/plain").await;
    assert_eq!(put(&elf, program.clone()).await, 200);
    let (status, refused) = complete(&app, &at, &elf["uploadId"]).await;
    assert_eq!(
        (status, refused["error"]["code"].clone()),
        (415, json!("IM:UnsupportedMedia"))
    );
    assert_eq!(begin(&app, &at, b"<html>", "text/html").await.0, 415);
    let big =
        json!({"size": 5 * 1024 * 1024, "mime": "application/pdf", "sha256": "00".repeat(32)});
    let (status, too_large) = app
        .call("POST", "/api/im/media/uploads", Some(&at), Some(big))
        .await;
    assert_eq!(
        (status, too_large["error"]["code"].clone()),
        (413, json!("IM:TooLarge"))
    );
    let bad = json!({"size": 3, "mime": "text/plain", "sha256": "xyz"});
    assert_eq!(
        app.call("POST", "/api/im/media/uploads", Some(&at), Some(bad))
            .await
            .0,
        400
    );

    // A decompression bomb put directly is refused like one posted.
    let bomb = png(2000, 1500);
    let (_, begun_bomb) = begin(&app, &at, &bomb, "image/png").await;
    assert_eq!(put(&begun_bomb, bomb).await, 200);
    assert_eq!(complete(&app, &at, &begun_bomb["uploadId"]).await.0, 400);

    // Through the pod, raw and as a form, the bytes land in the same store.
    let (status, doc) = upload(&app, &at, "notes.txt", b"meeting notes\n".to_vec()).await;
    assert_eq!(status, 201, "{doc}");
    let doc_id = doc["mediaId"].as_str().unwrap().to_string();
    let (mime, bytes) = fetch(&app, &at, &format!("/api/im/media/{doc_id}"), &public).await;
    // (S3 answers with the signed response-content-type, "text/plain; charset=utf-8"; moto
    // with the type the object was stored with.)
    assert!(mime.starts_with("text/plain"), "{mime}");
    assert_eq!(bytes, b"meeting notes\n");
    let form = b"--XyZ\r\nContent-Disposition: form-data; name=\"caption\"\r\n\r\nhi\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"form.png\"\r\nContent-Type: image/png\r\n\r\n"
        .iter()
        .copied()
        .chain(png(40, 30))
        .chain(b"\r\n--XyZ--\r\n".iter().copied())
        .collect::<Vec<u8>>();
    let mut res = app
        .client
        .post(format!("{}/api/im/media", app.base))
        .bearer_auth(&at)
        .insert_header(("content-type", "multipart/form-data; boundary=XyZ"))
        .send_body(form)
        .await
        .unwrap();
    let formed: Value = serde_json::from_slice(&res.body().await.unwrap()).unwrap();
    assert_eq!(res.status().as_u16(), 201, "{formed}");
    assert_eq!(
        (formed["name"].clone(), formed["width"].clone()),
        (json!("form.png"), json!(40))
    );

    // Sent: bob may read it; forwarded: carol may.
    let mut a = WsClient::connect(&app, &at).await;
    let mut b = WsClient::connect(&app, &bt).await;
    let ack = a
        .request(json!({"type": "send", "content": "", "toUserId": bob, "messageType": 10, "media": {"mediaId": id}}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let got = b.next_of("message").await;
    assert_eq!(got["message"]["media"]["mediaId"], id.as_str());
    assert_eq!(fetch(&app, &bt, &path, &public).await.1, picture);
    let fwd = b
        .request(json!({"type": "forward", "messageIds": [got["message"]["messageId"]], "toUserId": carol}))
        .await;
    assert_eq!(fwd["type"], "ack", "{fwd}");
    assert_eq!(fetch(&app, &ct, &path, &public).await.1, picture);

    // The sweep takes what was never sent, and what direct uploads left; the sent one stays.
    let (_, unfinished) = begin(&app, &at, b"never completed", "text/plain").await;
    assert_eq!(put(&unfinished, b"never completed".to_vec()).await, 200);
    let state = app.state();
    let later = chrono::Utc::now() + chrono::Duration::hours(25);
    let gone = imcluster::media::sweep::sweep(&state, later).await.unwrap();
    assert_eq!(gone, 2, "the posted text file and the form's picture");
    assert_eq!(
        status_of(&app, &at, &format!("/api/im/media/{doc_id}")).await,
        404
    );
    assert_eq!(fetch(&app, &bt, &path, &public).await.1, picture);
    assert_eq!(
        complete(&app, &at, &unfinished["uploadId"]).await.0,
        404,
        "forgotten"
    );
    use futures_util::StreamExt;
    let left: Vec<String> = state
        .media
        .objects()
        .list(None)
        .map(|m| m.unwrap().location.to_string())
        .collect()
        .await;
    let mut left = left;
    left.sort();
    assert_eq!(
        left,
        vec![format!("m/{id}"), format!("t/{id}")],
        "only the sent picture"
    );
});

#[actix_rt::test]
async fn a_direct_upload_begun_on_one_pod_completes_on_another() {
    let Some(cluster) = crate::pods::Cluster::new("direct_upload_across_pods").await else {
        return;
    };
    let Some(s3) = S3Server::start("direct_upload_across_pods").await else {
        return;
    };
    let name = bucket();
    s3.bucket(&name).await;
    let env = s3.pod_env(&name);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let p1 = cluster.pod_with(1, &env).await;
    let p2 = cluster.pod_with(2, &env).await;
    let (alice, at) = p1.user(&unique("alice")).await;
    let (bob, bt) = p2.user(&unique("bob")).await;
    crate::pods::befriend(&p1, (&alice, &at), &p2, (&bob, &bt)).await;
    let mut a = WsClient::connect(&p1, &at).await;
    let mut b = WsClient::connect(&p2, &bt).await;
    crate::pods::await_online(&[&p1, &p2], &bob, &bt).await;

    let picture = png(300, 200);
    let (status, begun) = begin(&p1, &at, &picture, "image/png").await;
    assert_eq!(status, 201, "{begun}");
    assert_eq!(put(&begun, picture.clone()).await, 200);
    let (status, m) = complete(&p2, &at, &begun["uploadId"]).await;
    assert_eq!(status, 201, "completed on the other pod: {m}");
    let id = m["mediaId"].as_str().unwrap().to_string();
    let ack = a
        .request(json!({"type": "send", "content": "", "toUserId": bob, "messageType": 10, "media": {"mediaId": id}}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(
        b.next_of("message").await["message"]["media"]["mediaId"],
        id.as_str()
    );
    let public = s3.public_url();
    assert_eq!(
        fetch(&p2, &bt, &format!("/api/im/media/{id}"), &public)
            .await
            .1,
        picture
    );
    assert_eq!(
        fetch(&p1, &bt, &format!("/api/im/media/{id}/thumb"), &public)
            .await
            .0,
        "image/jpeg"
    );
}
