//! The container image (`Containerfile`, built by `scripts/build-image.sh`, which `just image`
//! runs): built with buildah or podman when one is installed (`.ci/run` installs them when it is
//! root with apt; otherwise this prints SKIP and passes), then `warden --version --json` is run
//! from it. `podman run` first; where the sandbox refuses to start containers (crun cannot set
//! its rlimits on some machines), the image's filesystem is exported and run under `chroot`. The
//! test says which it did.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"))
}

fn check(cmd: &mut Command) -> Output {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{path:?}: {e}")))
        .unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// Unpacks the image's layers (an OCI layout written by `<tool> push IMAGE oci:DIR`) into `root`.
fn export_rootfs(tool: &str, image: &str, dir: &Path) -> PathBuf {
    let layout = dir.join("oci");
    check(
        Command::new(tool)
            .args(["push", "--quiet", image])
            .arg(format!("oci:{}", layout.display())),
    );
    let blob = |digest: &str| {
        let (algorithm, hex) = digest.split_once(':').unwrap();
        layout.join("blobs").join(algorithm).join(hex)
    };
    let index = read_json(&layout.join("index.json"));
    let manifest = read_json(&blob(index["manifests"][0]["digest"].as_str().unwrap()));
    let root = dir.join("rootfs");
    std::fs::create_dir(&root).unwrap();
    for layer in manifest["layers"].as_array().unwrap() {
        // GNU tar recognises the layer's compression (gzip or none) by itself.
        check(
            Command::new("tar")
                .arg("-xf")
                .arg(blob(layer["digest"].as_str().unwrap()))
                .arg("-C")
                .arg(&root),
        );
    }
    root
}

#[test]
fn image_builds_and_runs_warden_version() {
    // The Kubernetes manifest names the image the recipe tags (pushed to the operator's
    // registry) and runs it as the image's user. Checked even without a container tool.
    let release = read_json(&repo("RELEASE.json"));
    let version = release["version"].as_str().unwrap();
    let manifest = std::fs::read_to_string(repo("deploy/kubernetes/warden.yaml")).unwrap();
    let docs = yaml_rust2::YamlLoader::load_from_str(&manifest).unwrap();
    let pods: Vec<_> = docs
        .iter()
        .filter(|d| d["kind"].as_str() == Some("CronJob"))
        .map(|d| &d["spec"]["jobTemplate"]["spec"]["template"]["spec"])
        .collect();
    assert!(!pods.is_empty());
    for pod in pods {
        assert_eq!(pod["securityContext"]["runAsUser"].as_i64(), Some(10001));
        for container in pod["containers"].as_vec().unwrap() {
            assert_eq!(
                container["image"].as_str(),
                Some(format!("warden:{version}").as_str())
            );
        }
    }

    let Some(tool) = ["buildah", "podman"].into_iter().find(|t| have(t)) else {
        println!("SKIP container image: neither buildah nor podman is installed (Debian: buildah)");
        return;
    };
    let started = Instant::now();
    let image = format!("localhost/warden:{version}");

    // The recipe's script, with a target dir of its own: the cargo running this test holds the
    // lock on the usual one. After the first run the release build is incremental.
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("image-release");
    let built = check(
        Command::new("bash")
            .arg(repo("scripts/build-image.sh"))
            .args(["--tool", tool, "--target-dir"])
            .arg(&target_dir)
            .env("CARGO", env!("CARGO")),
    );
    let stdout = String::from_utf8(built.stdout).unwrap();
    assert_eq!(stdout.lines().last(), Some(image.as_str()), "{stdout}");
    println!("{tool} built {image} in {:.0?}", started.elapsed());

    // What the build embedded: the script passes HEAD (unless WARDEN_GIT_COMMIT is set); without
    // git the binary says null and the label "unknown".
    let commit = std::env::var("WARDEN_GIT_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| {
            let out = Command::new("git")
                .args(["rev-parse", "--verify", "HEAD"])
                .current_dir(repo(""))
                .output()
                .ok()?;
            out.status
                .success()
                .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        });

    // The image's configuration.
    let config = if tool == "podman" {
        let out = check(Command::new("podman").args(["image", "inspect", &image]));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()[0]["Config"].clone()
    } else {
        let out = check(Command::new("buildah").args(["inspect", "--type", "image", &image]));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["OCIv1"]["config"].clone()
    };
    assert_eq!(config["User"], "10001", "{config:#}");
    assert_eq!(
        config["Entrypoint"],
        serde_json::json!(["/usr/local/bin/warden"]),
        "{config:#}"
    );
    let labels = &config["Labels"];
    assert_eq!(labels["org.opencontainers.image.version"], version);
    assert_eq!(
        labels["org.opencontainers.image.revision"],
        commit.as_deref().unwrap_or("unknown")
    );
    let source = labels["org.opencontainers.image.source"].as_str().unwrap();
    assert!(source.starts_with("https://"), "{labels:#}");

    // The image's files: the ones the image promises, at their paths.
    let dir = tempfile::tempdir().unwrap();
    let root = export_rootfs(tool, &image, dir.path());
    assert_eq!(
        read_json(&root.join("usr/share/warden/RELEASE.json")),
        release
    );
    let bundle = std::fs::read_to_string(root.join("etc/ssl/certs/ca-certificates.crt")).unwrap();
    assert!(bundle.contains("-----BEGIN CERTIFICATE-----"));
    let passwd = std::fs::read_to_string(root.join("etc/passwd")).unwrap();
    assert!(passwd.contains("warden:x:10001:10001:"), "{passwd}");
    let group = std::fs::read_to_string(root.join("etc/group")).unwrap();
    assert!(group.contains("warden:x:10001:"), "{group}");

    // `warden --version --json` from the image, as a container if the sandbox allows one.
    let mut how = "podman run";
    let mut out = None;
    if have("podman") {
        let ran = run(Command::new("podman").args(["run", "--rm", &image, "--version", "--json"]));
        if ran.status.success() {
            out = Some(ran);
        } else {
            println!(
                "podman run refused to start the container ({}): {}",
                ran.status,
                String::from_utf8_lossy(&ran.stderr).trim()
            );
        }
    }
    let out = out.unwrap_or_else(|| {
        how = "chroot into the exported image filesystem";
        // As the image's user (USER 10001, group from its /etc/passwd), with the image's
        // environment only (its PATH also finds chroot on the host).
        let mut chroot = Command::new("chroot");
        chroot.env_clear();
        for var in config["Env"].as_array().into_iter().flatten() {
            let (name, value) = var.as_str().unwrap().split_once('=').unwrap();
            chroot.env(name, value);
        }
        let warden = ["/usr/local/bin/warden", "--version", "--json"];
        chroot.arg("--userspec=10001:10001").arg(&root).args(warden);
        check(&mut chroot)
    });
    println!("ran warden --version --json with {how}");
    assert_eq!(out.status.code(), Some(0));
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stdout));
    });
    let mut expected = release.clone();
    expected["git_commit"] = serde_json::json!(commit);
    assert_eq!(printed, expected);
    println!("image test took {:.0?}", started.elapsed());
}
