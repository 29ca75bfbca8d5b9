//! `bundle.json` parsing and `verify_bundle` on hostile bundles. The fuzz bytes are split at NULs
//! into `bundle.json \0 checkpoint/manifest.json \0 SHA256SUMS \0 checkpoint/machine.bin` and
//! written as a directory bundle (an empty SHA256SUMS part makes the harness write correct sums
//! and patch the manifest's machine.bin entry, so mutations get past the checksums); the whole
//! input is also verified as a `.tar` bundle. Nothing may panic; a parsed `BundleMeta` must
//! survive a serialize/parse round trip.
//!
//! Files go to `$WARDEN_FUZZ_TMPDIR` (default `/tmp/warden-fuzz-tmpfs` when it exists, else the
//! system temp dir), one sub-directory per process: mount a tmpfs there for speed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use warden::canonical::Sha256Digest;
use warden::state::bundle::{BundleMeta, verify_bundle};
use warden_fuzz::split_bundle;

fn workdir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = std::env::var_os("WARDEN_FUZZ_TMPDIR")
            .map(PathBuf::from)
            .or_else(|| {
                let tmpfs = PathBuf::from("/tmp/warden-fuzz-tmpfs");
                tmpfs.is_dir().then_some(tmpfs)
            })
            .unwrap_or_else(std::env::temp_dir);
        let dir = base.join(format!("bundle-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("fuzz work dir");
        dir
    })
}

fn check_meta(bytes: &[u8]) {
    if let Ok(meta) = serde_json::from_slice::<BundleMeta>(bytes) {
        let text = serde_json::to_string(&meta).expect("BundleMeta serializes");
        let back: BundleMeta = serde_json::from_str(&text).expect("serialized BundleMeta parses");
        assert_eq!(back, meta, "BundleMeta does not round-trip");
    }
}

/// Sets the manifest's machine.bin entry to the real size and digest, when it has one.
fn patch_manifest(manifest: &[u8], machine: &[u8]) -> Vec<u8> {
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(manifest) else {
        return manifest.to_vec();
    };
    if let Some(files) = value.get_mut("files").and_then(|f| f.as_array_mut()) {
        for file in files {
            if file.get("name").and_then(|n| n.as_str()) == Some("machine.bin")
                && let Some(object) = file.as_object_mut()
            {
                object.insert("sha256".into(), Sha256Digest::of(machine).to_hex().into());
                object.insert("size".into(), (machine.len() as u64).into());
            }
        }
    }
    serde_json::to_vec(&value).expect("a Value serializes")
}

fuzz_target!(|data: &[u8]| {
    check_meta(data);
    let [meta, manifest, sums, machine] = split_bundle(data);
    check_meta(meta);

    let work = workdir();
    let dir = work.join("bundle");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("checkpoint")).expect("bundle dir");
    let manifest = if sums.is_empty() {
        patch_manifest(manifest, machine)
    } else {
        manifest.to_vec()
    };
    let sums = if sums.is_empty() {
        [
            ("bundle.json", meta),
            ("checkpoint/manifest.json", manifest.as_slice()),
            ("checkpoint/machine.bin", machine),
        ]
        .iter()
        .map(|(name, bytes)| format!("{}  {name}\n", Sha256Digest::of(bytes).to_hex()))
        .collect::<String>()
        .into_bytes()
    } else {
        sums.to_vec()
    };
    std::fs::write(dir.join("bundle.json"), meta).expect("write");
    std::fs::write(dir.join("checkpoint/manifest.json"), &manifest).expect("write");
    std::fs::write(dir.join("checkpoint/machine.bin"), machine).expect("write");
    std::fs::write(dir.join("SHA256SUMS"), &sums).expect("write");
    let _ = verify_bundle(&dir);

    let tar = work.join("bundle.tar");
    std::fs::write(&tar, data).expect("write");
    let _ = verify_bundle(&tar);
});
