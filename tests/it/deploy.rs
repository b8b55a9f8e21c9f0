//! The deployment kit (`deploy/`): the Kubernetes manifests pass the Kubernetes schema
//! (`kubernetes-validate --strict`, from PyPI; `.ci/run` installs it), and agree with the
//! server: the ConfigMap's cluster.toml loads, the ports and probes are the server's, the grace
//! period covers the drain, media go to a store the pods share; the image runs the binary alone
//! as a user that is not root.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::helpers::say;

fn deploy_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("deploy")
}

fn manifests() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(deploy_dir().join("k8s"))
        .expect("deploy/k8s")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_kubernetes_manifests_are_valid_and_agree_with_the_server() {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let files = manifests();
    let validated = Command::new("kubernetes-validate")
        .args(["--strict", "--quiet"])
        .args(&files)
        .output();
    let validated = match validated {
        Ok(out) => out,
        Err(e) => {
            assert!(!ci, "kubernetes-validate is needed under CI=true: {e}");
            say("SKIPPED the manifests' check: pip install kubernetes-validate to run it");
            return;
        }
    };
    assert!(
        validated.status.success(),
        "{}{}",
        String::from_utf8_lossy(&validated.stdout),
        String::from_utf8_lossy(&validated.stderr)
    );

    // Every document, as JSON (PyYAML comes with kubernetes-validate).
    let dump = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps([d for f in sys.argv[1:] for d in yaml.safe_load_all(open(f)) if d]))",
        ])
        .args(&files)
        .output()
        .expect("python3 runs");
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let docs: Vec<Value> = serde_json::from_slice(&dump.stdout).unwrap();
    let of = |kind: &str| {
        docs.iter()
            .find(|d| d["kind"] == kind)
            .unwrap_or_else(|| panic!("a {kind}"))
    };

    // The ConfigMap's file is a configuration the server loads.
    let toml = of("ConfigMap")["data"]["cluster.toml"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cluster.toml");
    std::fs::write(&path, toml).unwrap();
    let config =
        imcluster::config::Config::load(&path, true).expect("the ConfigMap's cluster.toml loads");
    let port: u64 = config
        .node
        .listen
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        config.node.listen.starts_with("0.0.0.0:"),
        "reachable from outside the pod"
    );
    assert!(
        config.media.store.starts_with("s3://"),
        "pods share no disk"
    );

    let set = of("StatefulSet");
    let pod = &set["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(container["ports"][0]["containerPort"], port);
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/ready");
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/health");
    let env: Vec<&str> = container["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(
        env.contains(&"IMCLUSTER_NODE__ID"),
        "each pod its own node id"
    );
    let pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
        .as_u64()
        .unwrap();
    let grace = pod["terminationGracePeriodSeconds"].as_u64().unwrap();
    assert!(
        grace > pre_stop + config.node.shutdown_timeout_seconds,
        "the grace period ({grace} s) covers the preStop wait and the drain"
    );
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    let args: Vec<&str> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(args, ["--config", "/etc/imcluster/cluster.toml", "serve"]);
    let mounted = container["volumeMounts"][0]["mountPath"].as_str().unwrap();
    assert_eq!(mounted, "/etc/imcluster");
    assert_eq!(of("Service")["spec"]["ports"][0]["targetPort"], "http");
    assert_eq!(of("PodDisruptionBudget")["spec"]["maxUnavailable"], 1);
}

#[test]
fn the_image_runs_the_binary_alone_as_a_user_that_is_not_root() {
    let file = std::fs::read_to_string(deploy_dir().join("Dockerfile")).unwrap();
    let stages = file.lines().filter(|l| l.starts_with("FROM ")).count();
    assert_eq!(stages, 2, "a build stage and a runtime stage");
    let runtime = file.rsplit("\nFROM ").next().unwrap();
    assert!(
        runtime.starts_with("gcr.io/distroless/cc-debian12:nonroot"),
        "{runtime}"
    );
    let copies: Vec<&str> = runtime.lines().filter(|l| l.starts_with("COPY")).collect();
    assert_eq!(
        copies,
        ["COPY --from=build /imcluster /imcluster"],
        "the binary only"
    );
    assert!(runtime.contains("\nUSER nonroot:nonroot\n"));
    assert!(runtime.contains("ENTRYPOINT [\"/imcluster\"]"));
    assert!(
        std::path::Path::new(env!("CARGO_BIN_EXE_imcluster")).ends_with("imcluster"),
        "the binary the image copies is the one cargo builds"
    );
}
