//! Media: uploads stream into the media store with their type sniffed and checked, the same
//! bytes are one media, images are measured and get a thumbnail (and an image with too many
//! pixels is refused), downloads stream with ranges and ETags, only for the uploader and for
//! those who can read a message carrying the media; media messages are checked and stored.

use std::io::Cursor;

use serde_json::{json, Value};

use crate::helpers::{unique, TestApp, TestDb};
use crate::on_both_databases;
use crate::ws::WsClient;

/// A PNG of `w` × `h` pixels.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, 90])
    });
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// A raw upload: the status, the JSON answer.
pub async fn upload(app: &TestApp, token: &str, name: &str, bytes: Vec<u8>) -> (u16, Value) {
    let mut res = app
        .client
        .post(format!("{}/api/im/media?name={name}", app.base))
        .bearer_auth(token)
        .insert_header(("content-type", "application/octet-stream"))
        .send_body(bytes)
        .await
        .expect("the node answers");
    let body = res.body().limit(1 << 20).await.unwrap();
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    (res.status().as_u16(), json)
}

/// A download: the status, the headers asked for, the bytes.
pub async fn download(
    app: &TestApp,
    token: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut req = app
        .client
        .get(format!("{}{path}", app.base))
        .bearer_auth(token);
    for (k, v) in headers {
        req = req.insert_header((*k, *v));
    }
    let mut res = req.send().await.expect("the node answers");
    let seen = res
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let body = res.body().limit(1 << 26).await.unwrap();
    (res.status().as_u16(), seen, body.to_vec())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

on_both_databases!(
    uploads_are_checked_measured_and_served,
    |db: TestDb| async move {
        let mut config = db.config();
        config.media.max_bytes = 2 * 1024 * 1024;
        config.media.max_pixels = 1_000_000;
        let app = TestApp::start(config).await;
        let (_, at) = app.user(&unique("alice")).await;
        let (_, st) = app.user(&unique("stranger")).await;

        // An image: measured, a thumbnail made, its type from the bytes (not the name).
        let picture = png(800, 600);
        let (status, m) = upload(&app, &at, "holiday.txt", picture.clone()).await;
        assert_eq!(status, 201, "{m}");
        assert_eq!(m["kind"], "image");
        assert_eq!(m["mime"], "image/png");
        assert_eq!(
            (m["width"].clone(), m["height"].clone()),
            (json!(800), json!(600))
        );
        assert_eq!(m["thumb"], json!({"width": 320, "height": 240}));
        assert_eq!(m["size"], picture.len());
        assert_eq!(m["sha256"].as_str().unwrap().len(), 64);
        let id = m["mediaId"].as_str().unwrap().to_string();

        // The same bytes again are the same media.
        let (status, again) = upload(&app, &at, "copy.png", picture.clone()).await;
        assert_eq!((status, again["mediaId"].clone()), (201, json!(id)));

        // The uploader downloads it whole, in part, and conditionally; and its thumbnail.
        let path = format!("/api/im/media/{id}");
        let (status, h, bytes) = download(&app, &at, &path, &[]).await;
        assert_eq!(status, 200);
        assert_eq!(bytes, picture);
        assert_eq!(header(&h, "content-type"), "image/png");
        assert!(header(&h, "cache-control").starts_with("private"));
        assert_eq!(header(&h, "x-content-type-options"), "nosniff");
        let etag = header(&h, "etag").to_string();
        let (status, h, part) = download(&app, &at, &path, &[("range", "bytes=0-9")]).await;
        assert_eq!((status, part.as_slice()), (206, &picture[..10]));
        assert_eq!(
            header(&h, "content-range"),
            format!("bytes 0-9/{}", picture.len())
        );
        let (status, _, tail) = download(&app, &at, &path, &[("range", "bytes=-4")]).await;
        assert_eq!(
            (status, tail.as_slice()),
            (206, &picture[picture.len() - 4..])
        );
        let (status, _, _) = download(&app, &at, &path, &[("range", "bytes=99999999-")]).await;
        assert_eq!(status, 416);
        let (status, _, _) = download(&app, &at, &path, &[("if-none-match", &etag)]).await;
        assert_eq!(status, 304);
        let (status, h, thumb) = download(&app, &at, &format!("{path}/thumb"), &[]).await;
        assert_eq!((status, header(&h, "content-type")), (200, "image/jpeg"));
        let small = image::load_from_memory(&thumb).unwrap();
        assert_eq!((small.width(), small.height()), (320, 240));

        // Nobody else sees it (the same answer as for a media that does not exist).
        for p in [
            path.clone(),
            format!("{path}/thumb"),
            "/api/im/media/12345".into(),
        ] {
            let (status, _, _) = download(&app, &st, &p, &[]).await;
            assert_eq!(status, 404, "{p}");
        }

        // A text file is a file; a program is refused; too large is refused while it streams;
        // an image with too many pixels (a small file that decodes huge) is refused.
        let (status, text) = upload(&app, &at, "notes.txt", b"hello media\n".to_vec()).await;
        assert_eq!(
            (status, text["kind"].clone(), text["mime"].clone()),
            (201, json!("file"), json!("text/plain")),
            "{text}"
        );
        assert_eq!(text["name"], "notes.txt");
        let (status, h, _) = download(
            &app,
            &at,
            &format!("/api/im/media/{}", text["mediaId"].as_str().unwrap()),
            &[],
        )
        .await;
        assert_eq!(status, 200);
        assert!(header(&h, "content-disposition").starts_with("attachment"));
        let (status, exe) = upload(
            &app,
            &at,
            "setup.exe",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00".to_vec(),
        )
        .await;
        assert_eq!(
            (status, exe["error"]["code"].clone()),
            (415, json!("IM:UnsupportedMedia")),
            "{exe}"
        );
        let (status, big) = upload(&app, &at, "big.txt", vec![b'a'; 3 * 1024 * 1024]).await;
        assert_eq!(
            (status, big["error"]["code"].clone()),
            (413, json!("IM:TooLarge")),
            "{big}"
        );
        let (status, bomb) = upload(&app, &at, "bomb.png", png(2000, 1000)).await;
        assert_eq!(status, 400, "{bomb}");
        assert!(bomb.to_string().contains("pixels"), "{bomb}");
        let (status, _) = upload(&app, &at, "broken.png", picture[..200].to_vec()).await;
        assert_eq!(status, 400, "a damaged image");

        // Nothing half-made stays behind: the folder holds the two media and the thumbnail.
        let files: Vec<_> = walk(db.media.path());
        assert_eq!(files.len(), 3, "{files:?}");

        // Without a token, nothing.
        let res = app
            .client
            .post(format!("{}/api/im/media", app.base))
            .send_body("x")
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 401);
        let _ = WsClient::connect(&app, &at).await;
    }
);

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

on_both_databases!(
    media_messages_carry_checked_media,
    |db: TestDb| async move {
        let app = TestApp::start(db.config()).await;
        let (alice, at) = app.user(&unique("alice")).await;
        let (bob, bt) = app.user(&unique("bob")).await;
        let (carol, ct) = app.user(&unique("carol")).await;
        let (_, st) = app.user(&unique("stranger")).await;
        app.befriend(&alice, &bob).await;
        app.befriend(&bob, &carol).await;
        let mut a = WsClient::connect(&app, &at).await;
        let mut b = WsClient::connect(&app, &bt).await;

        let (_, photo) = upload(&app, &at, "cat.png", png(640, 480)).await;
        let photo_id = photo["mediaId"].as_str().unwrap().to_string();
        let (_, doc) = upload(&app, &at, "notes.txt", b"the plan\n".to_vec()).await;
        let doc_id = doc["mediaId"].as_str().unwrap().to_string();
        let path = format!("/api/im/media/{photo_id}");
        assert_eq!(download(&app, &bt, &path, &[]).await.0, 404, "not sent yet");

        // An image message: no content needed, the media as the server measured it.
        let ack = a
        .request(json!({"type": "send", "content": "", "toUserId": bob, "messageType": 10, "media": {"mediaId": photo_id}}))
        .await;
        assert_eq!(ack["type"], "ack", "{ack}");
        let got = b.next_of("message").await;
        let m = &got["message"];
        assert_eq!(m["content"], "[Image]", "{m}");
        assert_eq!(m["messageType"], 10);
        assert_eq!(m["media"]["mediaId"], photo_id.as_str());
        assert_eq!(
            (m["media"]["width"].clone(), m["media"]["height"].clone()),
            (json!(640), json!(480))
        );
        assert_eq!(m["media"]["thumb"]["width"], 320);
        assert!(
            m["extra"].get("Media").is_none(),
            "a server key is not in extra"
        );

        // Bob can now download it and its thumbnail; a stranger still cannot.
        assert_eq!(download(&app, &bt, &path, &[]).await.0, 200);
        assert_eq!(
            download(&app, &bt, &format!("{path}/thumb"), &[]).await.0,
            200
        );
        assert_eq!(download(&app, &st, &path, &[]).await.0, 404);

        // History serves it; a file message names its file.
        let ack = a
        .request(json!({"type": "send", "content": "", "toUserId": bob, "messageType": 50, "media": {"mediaId": doc_id}}))
        .await;
        assert_eq!(ack["type"], "ack", "{ack}");
        let file = b.next_of("message").await;
        assert_eq!(file["message"]["content"], "[File] notes.txt", "{file}");
        assert_eq!(file["message"]["media"]["name"], "notes.txt");
        let (_, history) = app
            .call(
                "GET",
                &format!("/api/im/chat/my-messages?receiveUserId={alice}&maxResultCount=10"),
                Some(&bt),
                None,
            )
            .await;
        assert!(history.to_string().contains(&photo_id), "{history}");

        // Bob forwards the photo to carol: she may download it too.
        let fwd = b
            .request(json!({"type": "forward", "messageIds": [m["messageId"]], "toUserId": carol}))
            .await;
        assert_eq!(fwd["type"], "ack", "{fwd}");
        assert_eq!(download(&app, &ct, &path, &[]).await.0, 200);

        // Refusals: someone else's upload, the wrong kind, no media, a media on a text message,
        // a bad link; a link and a place are fine.
        let (_, carols) = upload(&app, &ct, "c.txt", b"carol's\n".to_vec()).await;
        let refused = a
        .request(json!({"type": "send", "content": "", "toUserId": bob, "messageType": 50, "media": {"mediaId": carols["mediaId"]}}))
        .await;
        assert_eq!(refused["code"], "IM:NotFound", "{refused}");
        let refused = a
        .request(json!({"type": "send", "content": "", "toUserId": bob, "messageType": 10, "media": {"mediaId": doc_id}}))
        .await;
        assert_eq!(refused["code"], "IM:BadFrame", "{refused}");
        let refused = a
            .request(json!({"type": "send", "toUserId": bob, "messageType": 10, "content": "x"}))
            .await;
        assert_eq!(refused["code"], "IM:BadFrame", "{refused}");
        let refused = a
        .request(json!({"type": "send", "toUserId": bob, "content": "x", "media": {"mediaId": photo_id}}))
        .await;
        assert_eq!(refused["code"], "IM:BadFrame", "{refused}");
        let refused = a
        .request(json!({"type": "send", "content": "", "toUserId": bob, "messageType": 20, "media": {"url": "javascript:alert(1)"}}))
        .await;
        assert_eq!(refused["code"], "IM:BadFrame", "{refused}");
        let ack = a
        .request(json!({"type": "send", "content": "", "toUserId": bob, "messageType": 60,
                        "media": {"latitude": 48.8584, "longitude": 2.2945, "name": "Tour Eiffel"}}))
        .await;
        assert_eq!(ack["type"], "ack", "{ack}");
        let place = loop {
            let m = b.next_of("message").await;
            if m["message"]["messageType"] == 60 {
                break m;
            }
        };
        assert_eq!(place["message"]["content"], "[Location] Tour Eiffel");
        assert_eq!(place["message"]["media"]["latitude"], 48.8584);

        // A recalled message frees its media: the receiver loses access, and the sweep takes it.
        let (_, second) = upload(&app, &at, "oops.png", png(50, 40)).await;
        let second_id = second["mediaId"].as_str().unwrap().to_string();
        let ack = a
        .request(json!({"type": "send", "content": "", "toUserId": bob, "messageType": 10, "media": {"mediaId": second_id}}))
        .await;
        let oops = ack["messageId"].as_str().unwrap().to_string();
        let second_path = format!("/api/im/media/{second_id}");
        assert_eq!(download(&app, &bt, &second_path, &[]).await.0, 200);
        let recalled = a
            .request(json!({"type": "recall", "messageId": oops}))
            .await;
        assert_eq!(recalled["type"], "ack", "{recalled}");
        assert_eq!(
            download(&app, &bt, &second_path, &[]).await.0,
            404,
            "recalled: no longer bob's to read"
        );

        // Orphans: an upload nobody sent goes after media.orphan_hours; sent ones stay.
        let (_, lonely) = upload(&app, &at, "lonely.txt", b"nobody sends me\n".to_vec()).await;
        let lonely_id = lonely["mediaId"].as_str().unwrap().to_string();
        let state = app.state();
        let later = chrono::Utc::now() + chrono::Duration::hours(25);
        let gone = imcluster::media::sweep::sweep(&state, later).await.unwrap();
        assert_eq!(
            gone, 3,
            "the lonely file, carol's unsent one and the recalled picture"
        );
        assert_eq!(download(&app, &at, &second_path, &[]).await.0, 404);
        assert_eq!(
            download(&app, &at, &format!("/api/im/media/{lonely_id}"), &[])
                .await
                .0,
            404
        );
        assert_eq!(
            download(&app, &at, &path, &[]).await.0,
            200,
            "a sent photo stays"
        );
        assert_eq!(
            download(&app, &at, &format!("/api/im/media/{doc_id}"), &[])
                .await
                .0,
            200
        );
    }
);

#[actix_rt::test]
async fn a_photos_location_is_cut_before_it_is_served() {
    use img_parts::ImageEXIF;
    let db = TestDb::new(crate::helpers::Backend::Sqlite, "media_exif")
        .await
        .unwrap();
    let app = TestApp::start(db.config()).await;
    let (_, at) = app.user(&unique("alice")).await;
    // A JPEG as a phone makes it: the picture, and an EXIF block naming where it was taken.
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 80]));
    let mut plain = Vec::new();
    img.write_to(&mut Cursor::new(&mut plain), image::ImageFormat::Jpeg)
        .unwrap();
    let mut jpeg = img_parts::jpeg::Jpeg::from_bytes(plain.into()).unwrap();
    let secret = b"Exif\0\0MM\0*GPS 48.8584N 2.2945E Alice's phone".to_vec();
    jpeg.set_exif(Some(secret[6..].to_vec().into()));
    let photo = jpeg.encoder().bytes().to_vec();
    assert!(
        photo.windows(8).any(|w| w == b"GPS 48.8"),
        "the test photo carries it"
    );

    let (status, m) = upload(&app, &at, "IMG_0001.jpg", photo.clone()).await;
    assert_eq!(status, 201, "{m}");
    assert!(m["size"].as_u64().unwrap() < photo.len() as u64, "{m}");
    let id = m["mediaId"].as_str().unwrap();
    let (status, _, served) = download(&app, &at, &format!("/api/im/media/{id}"), &[]).await;
    assert_eq!(status, 200);
    assert!(
        !served.windows(8).any(|w| w == b"GPS 48.8"),
        "the location is gone"
    );
    let decoded = image::load_from_memory(&served).unwrap();
    assert_eq!(
        (decoded.width(), decoded.height()),
        (64, 48),
        "the picture is intact"
    );
}

#[actix_rt::test]
async fn media_sent_on_one_pod_is_read_on_another() {
    let Some(cluster) = crate::pods::Cluster::new("media_across_pods").await else {
        return;
    };
    let p1 = cluster.pod(1).await;
    let p2 = cluster.pod(2).await;
    let (alice, at) = p1.user(&unique("alice")).await;
    let (bob, bt) = p2.user(&unique("bob")).await;
    crate::pods::befriend(&p1, (&alice, &at), &p2, (&bob, &bt)).await;
    let mut a = WsClient::connect(&p1, &at).await;
    let mut b = WsClient::connect(&p2, &bt).await;
    crate::pods::await_online(&[&p1, &p2], &bob, &bt).await;

    let picture = png(300, 200);
    let (status, m) = upload(&p1, &at, "p.png", picture.clone()).await;
    assert_eq!(status, 201, "{m}");
    let id = m["mediaId"].as_str().unwrap().to_string();
    let ack = a
        .request(json!({"type": "send", "content": "", "toUserId": bob, "messageType": 10, "media": {"mediaId": id}}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let got = b.next_of("message").await;
    assert_eq!(got["message"]["media"]["mediaId"], id.as_str());
    let (status, _, bytes) = download(&p2, &bt, &format!("/api/im/media/{id}"), &[]).await;
    assert_eq!(
        (status, bytes),
        (200, picture),
        "the bytes, from the other pod"
    );
    let (status, _, _) = download(&p2, &bt, &format!("/api/im/media/{id}/thumb"), &[]).await;
    assert_eq!(status, 200);
}

#[actix_rt::test]
async fn a_pod_killed_mid_upload_leaves_no_media() {
    use tokio::io::AsyncWriteExt;
    let cluster = crate::pods::Cluster::single("media_killed_mid_upload").await;
    let mut pod = cluster.pod(1).await;
    let (_, token) = pod.user(&unique("alice")).await;
    // Half of a 2 MiB upload, then the pod dies (SIGKILL) before the rest arrives.
    let host = pod.base.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    let head = format!(
        "POST /api/im/media?name=half.bin HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
        2 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&vec![b'a'; 1024 * 1024]).await.unwrap();
    stream.flush().await.unwrap();
    // The pod has begun writing it.
    let folder = cluster.db.media.path().to_path_buf();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while walk(&folder).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the upload is being written"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    pod.kill();
    drop(stream);

    // On the same database and folder: no media row, and the sweep clears the leftover.
    let app = TestApp::start(cluster.db.config()).await;
    let state = app.state();
    assert_eq!(
        state.store.media_usage().await.unwrap(),
        (0, 0),
        "no half-made media"
    );
    let later = chrono::Utc::now() + chrono::Duration::hours(25);
    imcluster::media::sweep::sweep(&state, later).await.unwrap();
    let left: Vec<_> = walk(&folder);
    assert!(
        left.is_empty(),
        "the cut-off upload's bytes are gone: {left:?}"
    );
}
