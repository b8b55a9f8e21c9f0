//! The real `@microsoft/signalr` client under Node, driven by a test: `tests/signalr/client.mjs`
//! takes commands on stdin and reports what the client sees on stdout. The npm package is
//! installed on first use (`npm ci`); without Node the SignalR tests say they are skipped,
//! except under `CI=true`, where they must run.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::helpers::say;

/// How long a test waits for what the client should see.
const WAIT: Duration = Duration::from_secs(15);

/// One SignalR client process.
pub struct HubClient {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    /// Events read while waiting for another kind.
    seen: VecDeque<Value>,
    next_id: u64,
}

fn package_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/signalr")
}

/// Whether Node and the client package are here (installing the package once if needed).
pub fn node_ready(test: &str) -> bool {
    static READY: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    let ready = READY.get_or_init(|| {
        let node = std::process::Command::new("node").arg("--version").output();
        if !node.is_ok_and(|o| o.status.success()) {
            return Err("node is not installed".into());
        }
        let dir = package_dir();
        if dir.join("node_modules/@microsoft/signalr").exists() {
            return Ok(());
        }
        let npm = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status();
        match npm {
            Ok(s) if s.success() => Ok(()),
            other => Err(format!("npm ci in tests/signalr failed: {other:?}")),
        }
    });
    match ready {
        Ok(()) => true,
        Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("the SignalR client is needed under CI=true: {why}")
        }
        Err(why) => {
            say(&format!("SKIPPED {test}: {why}"));
            false
        }
    }
}

impl HubClient {
    /// Starts a client for the hub at `base` with `token` and `options` (see client.mjs);
    /// it connects on [`HubClient::start`].
    pub async fn new(base: &str, token: &str, options: Value) -> HubClient {
        HubClient::of_hub(base, "messages", token, options).await
    }

    /// A client of the hub at `/signalr-hubs/<hub>` (`messages`, `notifications`).
    pub async fn of_hub(base: &str, hub: &str, token: &str, options: Value) -> HubClient {
        let mut child = Command::new("node")
            .arg(package_dir().join("client.mjs"))
            .arg(format!("{base}/signalr-hubs/{hub}"))
            .arg(token)
            .arg(options.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node starts");
        let stdin = child.stdin.take().unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        HubClient {
            child,
            stdin,
            lines,
            seen: VecDeque::new(),
            next_id: 0,
        }
    }

    /// Starts a client and connects it; panics if it cannot.
    pub async fn connected(base: &str, token: &str, options: Value) -> HubClient {
        let mut client = HubClient::new(base, token, options).await;
        let started = client.start().await;
        assert_eq!(started["event"], "started", "{started}");
        client
    }

    async fn command(&mut self, command: Value) {
        let mut line = command.to_string();
        line.push('\n');
        self.stdin
            .write_all(line.as_bytes())
            .await
            .expect("client takes commands");
    }

    /// `connection.start()`: the `started` or `start-failed` event.
    pub async fn start(&mut self) -> Value {
        self.command(json!({"op": "start"})).await;
        self.next_where(|e| e["event"] == "started" || e["event"] == "start-failed")
            .await
    }

    /// `connection.invoke(method, ...args)`: the result, or the error's message.
    pub async fn invoke(&mut self, method: &str, args: Value) -> Result<Value, String> {
        self.next_id += 1;
        let id = self.next_id;
        self.command(json!({"op": "invoke", "id": id, "method": method, "args": args}))
            .await;
        let event = self
            .next_where(|e| (e["event"] == "result" || e["event"] == "error") && e["id"] == id)
            .await;
        match event["event"].as_str() {
            Some("result") => Ok(event["value"].clone()),
            _ => Err(event["message"].as_str().unwrap_or_default().to_string()),
        }
    }

    /// `connection.stop()`.
    pub async fn stop(&mut self) {
        self.command(json!({"op": "stop"})).await;
        self.next_where(|e| e["event"] == "stopped").await;
    }

    /// The arguments of the next server call of `target`.
    pub async fn next_call(&mut self, target: &str) -> Vec<Value> {
        let event = self
            .next_where(|e| e["event"] == "call" && e["target"] == target)
            .await;
        event["args"].as_array().cloned().unwrap_or_default()
    }

    /// The next call of `target` whose arguments pass `keep`.
    pub async fn next_call_where(
        &mut self,
        target: &str,
        keep: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let event = self
            .next_where(|e| {
                e["event"] == "call"
                    && e["target"] == target
                    && keep(e["args"].as_array().map(Vec::as_slice).unwrap_or_default())
            })
            .await;
        event["args"].as_array().cloned().unwrap_or_default()
    }

    /// Whether a call of `target` is among the events read so far and not taken (after
    /// [`HubClient::stop`], every call the connection got).
    pub fn seen_call(&self, target: &str) -> bool {
        self.seen
            .iter()
            .any(|e| e["event"] == "call" && e["target"] == target)
    }

    /// The next lifecycle event named `name` (`reconnecting`, `reconnected`, `closed`).
    pub async fn next_event(&mut self, name: &str) -> Value {
        self.next_where(|e| e["event"] == name).await
    }

    /// The next event passing `keep`, keeping the others for later.
    pub async fn next_where(&mut self, keep: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.seen.iter().position(&keep) {
            return self.seen.remove(i).unwrap();
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let line = tokio::time::timeout_at(deadline, self.lines.next_line())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "the SignalR client saw nothing expected in time; it saw {:?}",
                        self.seen
                    )
                })
                .expect("client output")
                .expect("the client process is running");
            let event: Value = serde_json::from_str(&line).expect("client events are JSON");
            if keep(&event) {
                return event;
            }
            self.seen.push_back(event);
        }
    }
}

impl Drop for HubClient {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}
