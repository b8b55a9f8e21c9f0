//! A bad configuration stops the binary at start with a message naming the key (exit code 2),
//! never a panic trace.

use std::process::Command;

fn run(args: &[&str], env: &[(&str, &str)], dir: &std::path::Path) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_imcluster"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("IMCLUSTER_CONFIG");
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("IMCLUSTER_")) {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_values_name_their_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("IMCLUSTER_NODE__ID", "5000")], "node.id"),
        (
            &[("IMCLUSTER_MEDIA__THUMBNAIL_PX", "5")],
            "media.thumbnail_px",
        ),
        (
            &[("IMCLUSTER_PUSH__WEBHOOK_URL", "ftp://x")],
            "push.webhook_url",
        ),
        (
            &[("IMCLUSTER_NOTIFICATIONS__EXPIRE_DAYS", "0")],
            "notifications.expire_days",
        ),
        (&[("IMCLUSTER_NODE__ID", "abc")], "node.id"),
        (&[("IMCLUSTER_NODE__LISTEN", "nowhere")], "node.listen"),
        (&[("IMCLUSTER_DATABASE__URL", "mysql://x")], "database.url"),
        (&[("IMCLUSTER_JWT__SECRET", "short")], "jwt.secret"),
        (
            &[(
                "IMCLUSTER_JWT__RS256_PUBLIC_KEY",
                "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----",
            )],
            "jwt.rs256_public_key",
        ),
        (
            &[("IMCLUSTER_LIMITS__MAX_FRAME_BYTES", "1")],
            "limits.max_frame_bytes",
        ),
        (
            &[("IMCLUSTER_LIMITS__HEARTBEAT_SECONDS", "-3")],
            "limits.heartbeat_seconds",
        ),
        (&[("IMCLUSTER_LOG__FORMAT", "xml")], "log.format"),
        (&[("IMCLUSTER_REDIS__URL", "http://not-redis")], "redis.url"),
        (
            &[("IMCLUSTER_REDIS__CLUSTER_URLS", r#"["http://not-redis"]"#)],
            "redis.cluster_urls",
        ),
        (
            &[
                ("IMCLUSTER_REDIS__URL", "redis://127.0.0.1:6379"),
                (
                    "IMCLUSTER_REDIS__CLUSTER_URLS",
                    r#"["redis://127.0.0.1:7000"]"#,
                ),
            ],
            "redis.cluster_urls",
        ),
    ];
    for (env, key) in cases {
        let (code, stderr) = run(&["migrate", "status"], env, dir.path());
        assert_eq!(code, 2, "{env:?}: {stderr}");
        assert!(
            stderr.contains(key),
            "{env:?}: the message names `{key}`: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn a_bad_file_names_the_key_and_a_missing_one_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[limits]\nrate_per_second = \"fast\"\n").unwrap();
    let (code, stderr) = run(
        &["--config", file.to_str().unwrap(), "migrate", "status"],
        &[],
        dir.path(),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("limits.rate_per_second"), "{stderr}");

    std::fs::write(&file, "[node]\nidd = 3\n").unwrap();
    let (code, stderr) = run(
        &["--config", file.to_str().unwrap(), "migrate", "status"],
        &[],
        dir.path(),
    );
    assert_eq!(
        code, 2,
        "an unknown key is a mistake worth stopping for: {stderr}"
    );
    assert!(stderr.contains("idd"), "{stderr}");

    let (code, stderr) = run(
        &["--config", "/no/such/file.toml", "migrate", "status"],
        &[],
        dir.path(),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("/no/such/file.toml"), "{stderr}");
}

#[test]
fn the_shipped_cluster_toml_is_valid_and_documents_every_key() {
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/cluster.toml");
    let text = std::fs::read_to_string(shipped).unwrap();
    let config = imcluster::config::Config::load(std::path::Path::new(shipped), true).unwrap();
    let defaults = serde_json::to_value(imcluster::config::Config::default()).unwrap();
    for (section, keys) in defaults.as_object().unwrap() {
        assert!(
            text.contains(&format!("[{section}]")),
            "cluster.toml has a [{section}] table"
        );
        for (key, value) in keys.as_object().unwrap() {
            if let Some(table) = value.as_object() {
                // A table of its own: `[section.key]`, and each of its keys.
                assert!(
                    text.contains(&format!("[{section}.{key}]")),
                    "cluster.toml has a [{section}.{key}] table"
                );
                for inner in table.keys() {
                    assert!(
                        text.contains(&format!("\n{inner} =")),
                        "cluster.toml documents {section}.{key}.{inner}"
                    );
                }
                continue;
            }
            assert!(
                text.contains(&format!("\n{key} =")) || text.contains(&format!("\n# {key} =")),
                "cluster.toml documents {section}.{key}"
            );
        }
    }
    assert_eq!(
        serde_json::to_value(&config).unwrap(),
        defaults,
        "cluster.toml states the defaults"
    );
}

#[test]
fn migrate_commands_work_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let env = [("IMCLUSTER_DATABASE__URL", url.as_str())];
    let (code, out) = run(&["migrate", "up"], &env, dir.path());
    assert_eq!(code, 0, "{out}");
    let status = Command::new(env!("CARGO_BIN_EXE_imcluster"))
        .args(["migrate", "status"])
        .env("IMCLUSTER_DATABASE__URL", &url)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&status.stdout);
    assert!(
        listing.lines().count() >= 2 && listing.lines().all(|l| l.starts_with("applied ")),
        "{listing}"
    );
    let (code, out) = run(&["migrate", "down", "--all"], &env, dir.path());
    assert_eq!(code, 0, "{out}");
    let status = Command::new(env!("CARGO_BIN_EXE_imcluster"))
        .args(["migrate", "status"])
        .env("IMCLUSTER_DATABASE__URL", &url)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&status.stdout);
    assert!(
        listing.lines().all(|l| l.starts_with("pending ")),
        "{listing}"
    );
    let (code, out) = run(&["migrate", "fresh"], &env, dir.path());
    assert_eq!(code, 0, "{out}");
}
