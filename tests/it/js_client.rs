//! The TypeScript client library (`clients/js`): its own tests, under Node's test runner, run
//! against real pods of this build (`IMCLUSTER_BIN`), which they start, kill and restart
//! themselves. The npm packages are installed on first use (`npm ci`); without Node the test
//! says it is skipped, except under `CI=true`, where it must run.

use std::path::PathBuf;

use crate::helpers::say;

#[actix_rt::test]
async fn the_client_library_passes_its_tests_against_a_real_pod() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("clients/js");
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let node = std::process::Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        assert!(!ci, "node is needed under CI=true");
        say("SKIPPED the client library's tests: node is not installed");
        return;
    }
    let npm = |args: &[&str]| {
        tokio::process::Command::new("npm")
            .args(args)
            .current_dir(&dir)
            .env("IMCLUSTER_BIN", env!("CARGO_BIN_EXE_imcluster"))
            .output()
    };
    if !dir.join("node_modules/typescript").exists() {
        let installed = npm(&["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .await
            .expect("npm runs");
        assert!(
            installed.status.success(),
            "npm ci in clients/js: {}",
            String::from_utf8_lossy(&installed.stderr)
        );
    }
    let run = npm(&["test"]).await.expect("npm runs");
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "the library's tests failed:\n{out}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(out.contains("# fail 0"), "{out}");
}
