//! A real S3-compatible server for the media tests: moto's (`moto_server`, from PyPI), a
//! separate process speaking S3's HTTP API, path-style, with presigned URLs. It is what this
//! machine can install from its package registries (MinIO ships as a download, not a package);
//! `.ci/run` installs it. Each test starts its own on a free port and stops it when done.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::helpers::say;

/// The access key the tests' nodes sign with (moto accepts any).
pub const ACCESS_KEY: &str = "imcluster-test";
pub const SECRET_KEY: &str = "imcluster-test-secret";

/// A running `moto_server`.
pub struct S3Server {
    child: Child,
    port: u16,
}

impl S3Server {
    /// Starts one, or `None` (with a line saying so) when `moto_server` is not installed;
    /// under `CI=true` it must be.
    pub async fn start(test: &str) -> Option<S3Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let spawned = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => {
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    panic!("moto_server does not start ({e}), and under CI=true S3 tests must run");
                }
                say(&format!(
                    "SKIPPED {test}: install moto's server (pip install 'moto[server]') to run it"
                ));
                return None;
            }
        };
        // It says where it listens once it does.
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if line.contains("Running on") {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(());
                    }
                }
            }
        });
        tokio::time::timeout(Duration::from_secs(60), rx)
            .await
            .expect("moto_server starts in time")
            .expect("moto_server says it runs");
        // The nodes of this process sign with these (a pod gets them in its environment).
        std::env::set_var("AWS_ACCESS_KEY_ID", ACCESS_KEY);
        std::env::set_var("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
        Some(S3Server { child, port })
    }

    /// The endpoint pods use.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The endpoint "browsers" use: the same server under another name, so a test can tell
    /// which one a presigned URL names.
    pub fn public_url(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    /// Makes the bucket `name`.
    pub async fn bucket(&self, name: &str) {
        let res = awc::Client::default()
            .put(format!("{}/{name}", self.endpoint()))
            .send()
            .await
            .expect("moto answers");
        assert!(res.status().is_success(), "bucket {name}: {}", res.status());
    }

    /// The environment a pod needs for this store, bucket `bucket`.
    pub fn pod_env(&self, bucket: &str) -> Vec<(String, String)> {
        vec![
            (
                "IMCLUSTER_MEDIA__STORE".into(),
                format!("s3://{bucket}/media"),
            ),
            ("IMCLUSTER_MEDIA__ENDPOINT".into(), self.endpoint()),
            ("IMCLUSTER_MEDIA__PUBLIC_URL".into(), self.public_url()),
            ("AWS_ACCESS_KEY_ID".into(), ACCESS_KEY.into()),
            ("AWS_SECRET_ACCESS_KEY".into(), SECRET_KEY.into()),
        ]
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
