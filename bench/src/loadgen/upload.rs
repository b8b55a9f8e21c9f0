//! Uploads of a picture of about 1 MiB, C at a time, N in all (each by a user of its own, so
//! none is a duplicate): MB/s and pictures (each measured and thumbnailed) per second, upload
//! latency, and the server's memory at its peak above idle, per concurrent upload.

use super::*;

/// A noise picture of about `mib` MiB as PNG (noise does not compress).
fn picture(mib: f64) -> Vec<u8> {
    let side = ((mib * 1024.0 * 1024.0) / 3.0).sqrt() as u32;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let img = image::RgbImage::from_fn(side, side, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        image::Rgb([seed as u8, (seed >> 8) as u8, (seed >> 16) as u8])
    });
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("a PNG");
    out
}

/// `png` with a text chunk saying `n` before its end: a picture that decodes the same, with
/// bytes of its own (so the same user's uploads are not one media).
fn variant(png: &[u8], n: u64) -> Vec<u8> {
    let data = format!("Comment\0upload {n}");
    let mut chunk = Vec::with_capacity(data.len() + 12);
    chunk.extend_from_slice(&(data.len() as u32).to_be_bytes());
    chunk.extend_from_slice(b"tEXt");
    chunk.extend_from_slice(data.as_bytes());
    let crc = crc32fast::hash(&chunk[4..]);
    chunk.extend_from_slice(&crc.to_be_bytes());
    let end = png.len() - 12; // the IEND chunk
    [&png[..end], &chunk, &png[end..]].concat()
}

/// Uploads running beside a chat: `workers` at a time, each uploading a new variant of the
/// picture as soon as the last is answered, until dropped.
pub(super) struct Uploaders {
    pub done: Rc<RefCell<(u64, u64)>>,
    pub bytes: usize,
    tasks: Vec<actix_rt::task::JoinHandle<()>>,
}

impl Uploaders {
    pub async fn start(cli: &Cli, workers: usize, mib: f64) -> Uploaders {
        let users = users(cli, workers, false).await;
        let body = Rc::new(picture(mib));
        let done = Rc::new(RefCell::new((0u64, 0u64)));
        let tasks = users
            .into_iter()
            .enumerate()
            .map(|(w, (_, token))| {
                let (body, done, base) = (body.clone(), done.clone(), cli.url_of(w));
                actix_rt::spawn(async move {
                    for n in 0.. {
                        let status = post(&base, &token, &variant(&body, n)).await;
                        let mut d = done.borrow_mut();
                        if status.starts_with("HTTP/1.1 201") {
                            d.0 += 1;
                        } else {
                            d.1 += 1;
                        }
                    }
                })
            })
            .collect();
        Uploaders {
            done,
            bytes: body.len(),
            tasks,
        }
    }

    /// Stops them: their figures over `seconds`.
    pub fn stop(self, seconds: f64) -> Value {
        for t in &self.tasks {
            t.abort();
        }
        let (ok, failed) = *self.done.borrow();
        let figures = [
            ("uploaders", self.tasks.len() as f64),
            ("uploads", ok as f64),
            ("uploads failed", failed as f64),
            ("uploads/s", ok as f64 / seconds),
            ("upload MB/s", ok as f64 * self.bytes as f64 / 1e6 / seconds),
        ];
        report::print("uploads beside the chat", &figures, &[])
    }
}

/// POSTs `body` to `/api/im/media` on `base` with `token`: the status line.
async fn post(base: &str, token: &str, body: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .expect("the node");
    let head = format!(
        "POST /api/im/media?name=load.png HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("sent");
    stream.write_all(body).await.expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("answered");
    answer.lines().next().unwrap_or_default().to_string()
}

pub(super) async fn upload(cli: &Cli, count: usize, concurrency: usize, mib: f64) -> Value {
    let users = users(cli, count, false).await;
    let body = Rc::new(picture(mib));
    let idle = cli.server_pid.and_then(rss_kib);
    let peak = Rc::new(RefCell::new(idle.unwrap_or(0)));
    let latency = Rc::new(RefCell::new(report::Latency::new("upload (1 picture)")));
    let failed = Rc::new(RefCell::new(0usize));
    let next = Rc::new(RefCell::new(0usize));
    let started = Instant::now();
    let workers = (0..concurrency).map(|_| {
        let (body, latency, failed, next, users) = (
            body.clone(),
            latency.clone(),
            failed.clone(),
            next.clone(),
            &users,
        );
        async move {
            loop {
                let i = {
                    let mut n = next.borrow_mut();
                    *n += 1;
                    *n - 1
                };
                if i >= users.len() {
                    return;
                }
                let at = Instant::now();
                let status = post(&cli.url_of(i), &users[i].1, &body).await;
                if status.starts_with("HTTP/1.1 201") {
                    latency.borrow_mut().record(at.elapsed().as_micros() as u64);
                } else {
                    *failed.borrow_mut() += 1;
                }
            }
        }
    });
    let sampler = {
        let peak = peak.clone();
        let pid = cli.server_pid;
        async move {
            loop {
                tokio::time::sleep(Duration::from_millis(20)).await;
                if let Some(kib) = pid.and_then(rss_kib) {
                    let mut p = peak.borrow_mut();
                    *p = (*p).max(kib);
                }
            }
        }
    };
    tokio::select! {
        _ = futures_util::future::join_all(workers) => {}
        _ = sampler => {}
    }
    let seconds = started.elapsed().as_secs_f64();
    let done = (count - *failed.borrow()) as f64;
    let bytes = body.len() as f64 * done;
    let above_idle = idle.map(|i| (*peak.borrow()).saturating_sub(i) as f64 / 1024.0);
    let latency = latency.borrow();
    let mut figures = vec![
        ("uploads", count as f64),
        ("concurrent", concurrency as f64),
        ("picture MiB", body.len() as f64 / 1048576.0),
        ("failed", *failed.borrow() as f64),
        ("MB/s", bytes / 1e6 / seconds),
        ("pictures (thumbnails) per second", done / seconds),
    ];
    if let Some(above) = above_idle {
        figures.push(("server memory at peak above idle, MiB", above));
        figures.push(("per concurrent upload, MiB", above / concurrency as f64));
    }
    report::print("uploads", &figures, &[&latency])
}
