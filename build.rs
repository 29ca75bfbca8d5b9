//! Embeds the git commit (when the build can see one) so `warden --version` names the exact build.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
    println!("cargo:rerun-if-env-changed=WARDEN_GIT_COMMIT");
    let commit = std::env::var("WARDEN_GIT_COMMIT").ok().or_else(|| {
        let output = Command::new("git")
            .args(["rev-parse", "--verify", "HEAD"])
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
    });
    if let Some(commit) = commit.filter(|c| !c.is_empty()) {
        println!("cargo:rustc-env=WARDEN_GIT_COMMIT={commit}");
    }
}
