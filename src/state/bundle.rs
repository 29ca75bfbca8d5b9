//! Snapshot bundles (operator-contract §5 snapshot): the verified head checkpoint made portable,
//! so a second watchdog or a rebuilt host starts without replaying history. A bundle is a
//! directory or a `.tar` holding
//!
//! ```text
//! bundle.json                 format version, identity, the checkpoint's position and digest
//! checkpoint/manifest.json    the checkpoint's own manifest (as in the state directory)
//! checkpoint/machine.bin      the canonical machine
//! SHA256SUMS                  `<sha256>  <path>` for every other file (sha256sum -c compatible)
//! ```
//!
//! Verification reads everything into memory and checks every layer: the sums, the bundle
//! metadata, the manifest, the machine's decoding, position, digest and configuration.

use super::checkpoint::{
    MACHINE_CAP, MACHINE_FILE, MANIFEST_FILE, MANIFEST_VERSION, Manifest, RECORD_CAP,
    reads_manifest_version,
};
use super::config::Identity;
use super::fs::{Fs, ReadError, RealFs, read_regular};
use super::{StateDir, StateError};
use crate::canonical::codec::decode_machine_and_state_sha256;
use crate::canonical::{Machine, Sha256Digest};
use crate::jsonfmt;
use alloy::primitives::B256;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Bump on any change to the layout or to `bundle.json` (the schema guard test enforces it).
pub const BUNDLE_FORMAT_VERSION: u32 = 1;
pub const BUNDLE_FORMAT: &str = "warden-snapshot";
pub const META_FILE: &str = "bundle.json";
pub const SUMS_FILE: &str = "SHA256SUMS";
const CHECKPOINT_DIR: &str = "checkpoint";

fn machine_path() -> String {
    format!("{CHECKPOINT_DIR}/{MACHINE_FILE}")
}

fn manifest_path() -> String {
    format!("{CHECKPOINT_DIR}/{MANIFEST_FILE}")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleCheckpoint {
    pub block: u64,
    #[serde(with = "jsonfmt::hash")]
    pub block_hash: B256,
    pub input_count: u64,
    pub state_sha256: Sha256Digest,
}

/// `bundle.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleMeta {
    pub version: u32,
    pub format: String,
    pub identity: Identity,
    pub checkpoint: BundleCheckpoint,
    pub created_at: String,
    pub warden_version: String,
}

/// A bundle that passed every check.
#[derive(Debug, Clone)]
pub struct VerifiedBundle {
    pub meta: BundleMeta,
    pub manifest: Manifest,
    pub manifest_bytes: Vec<u8>,
    pub machine_bytes: Vec<u8>,
    pub machine: Machine,
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256Digest::of(bytes).to_hex()
}

fn is_tar(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "tar")
}

/// A bundle file's name and bytes (the checkpoint's own bytes are borrowed, never copied).
type BundleFile<'a> = (String, Cow<'a, [u8]>);

/// The bundle's files in write order, `SHA256SUMS` last.
fn bundle_files<'a>(
    meta: &BundleMeta,
    manifest_bytes: &'a [u8],
    machine_bytes: &'a [u8],
) -> Result<Vec<BundleFile<'a>>, StateError> {
    let mut meta_bytes = serde_json::to_vec_pretty(meta)
        .map_err(|e| StateError::Unsupported(format!("cannot serialize {META_FILE}: {e}")))?;
    meta_bytes.push(b'\n');
    let mut files = vec![
        (META_FILE.to_string(), Cow::Owned(meta_bytes)),
        (manifest_path(), Cow::Borrowed(manifest_bytes)),
        (machine_path(), Cow::Borrowed(machine_bytes)),
    ];
    let sums: String = files
        .iter()
        .map(|(name, bytes)| format!("{}  {name}\n", sha256_hex(bytes)))
        .collect();
    files.push((SUMS_FILE.to_string(), Cow::Owned(sums.into_bytes())));
    Ok(files)
}

/// Writes a bundle to `out` (a `.tar` file, or a directory that must not exist), atomically:
/// everything goes to a temporary sibling first, fsynced, then renamed into place.
pub fn write_bundle(
    out: &Path,
    meta: &BundleMeta,
    manifest_bytes: &[u8],
    machine_bytes: &[u8],
) -> Result<(), StateError> {
    let fs = RealFs;
    if std::fs::symlink_metadata(out).is_ok() {
        return Err(StateError::Unsupported(format!(
            "{} already exists; choose a new --out path (bundles are never overwritten)",
            out.display()
        )));
    }
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = out
        .file_name()
        .ok_or_else(|| StateError::Unsupported(format!("{} has no file name", out.display())))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = parent.join(tmp_name);
    let files = bundle_files(meta, manifest_bytes, machine_bytes)?;
    let result = if is_tar(out) {
        write_tar(&tmp, &files)
    } else {
        write_dir(&fs, &tmp, &files)
    };
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&tmp).or_else(|_| std::fs::remove_file(&tmp));
        return Err(StateError::io(&tmp, e));
    }
    fs.rename(&tmp, out)
        .and_then(|_| fs.sync_dir(parent))
        .map_err(|e| StateError::io(out, e))
}

fn write_dir(fs: &dyn Fs, dir: &Path, files: &[BundleFile<'_>]) -> std::io::Result<()> {
    fs.create_dir(dir)?;
    fs.create_dir(&dir.join(CHECKPOINT_DIR))?;
    for (name, bytes) in files {
        fs.write_file_synced(&dir.join(name), bytes)?;
    }
    fs.sync_dir(&dir.join(CHECKPOINT_DIR))?;
    fs.sync_dir(dir)
}

fn write_tar(path: &Path, files: &[BundleFile<'_>]) -> std::io::Result<()> {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    let mut builder = tar::Builder::new(file);
    for (name, bytes) in files {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o600);
        header.set_mtime(0);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, name, &bytes[..])?;
    }
    let file = builder.into_inner()?;
    file.sync_all()
}

/// The files a bundle holds and the most each may weigh; nothing else is read.
fn bundle_layout() -> [(String, u64); 4] {
    [
        (META_FILE.to_string(), RECORD_CAP),
        (SUMS_FILE.to_string(), RECORD_CAP),
        (manifest_path(), RECORD_CAP),
        (machine_path(), MACHINE_CAP),
    ]
}

fn cap_of(name: &str) -> Option<u64> {
    bundle_layout()
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, cap)| cap)
}

/// Reads the files of a bundle (directory or `.tar`) into memory: only the files a bundle holds,
/// each opened without following links and checked against its cap before it is read; any other
/// entry is refused by name.
fn read_files(path: &Path) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.is_dir() {
        read_dir_bundle(path)
    } else {
        read_tar_bundle(path)
    }
}

fn read_dir_bundle(root: &Path) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let entries = |dir: &Path| -> Result<Vec<String>, String> {
        std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .map(|entry| {
                entry
                    .map(|e| e.file_name().to_string_lossy().to_string())
                    .map_err(|e| format!("{}: {e}", dir.display()))
            })
            .collect()
    };
    for name in entries(root)? {
        if ![META_FILE, SUMS_FILE, CHECKPOINT_DIR].contains(&name.as_str()) {
            return Err(format!("{name} is not part of a bundle"));
        }
    }
    let checkpoint = root.join(CHECKPOINT_DIR);
    let meta = std::fs::symlink_metadata(&checkpoint)
        .map_err(|_| format!("{CHECKPOINT_DIR}/ is missing"))?;
    if !meta.is_dir() {
        return Err(format!("{CHECKPOINT_DIR} is not a directory"));
    }
    for name in entries(&checkpoint)? {
        if ![MANIFEST_FILE, MACHINE_FILE].contains(&name.as_str()) {
            return Err(format!("{CHECKPOINT_DIR}/{name} is not part of a bundle"));
        }
    }
    let mut files = BTreeMap::new();
    for (name, cap) in bundle_layout() {
        match read_regular(&root.join(&name), cap) {
            Ok(bytes) => {
                files.insert(name, bytes);
            }
            Err(ReadError::NotFound) => {}
            Err(e) => return Err(format!("{name} {e}")),
        }
    }
    Ok(files)
}

fn read_tar_bundle(path: &Path) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let total: u64 = bundle_layout().iter().map(|(_, cap)| cap).sum::<u64>() + (64 << 10);
    let (file, _) = open_regular_following(path, total)?;
    let mut archive = tar::Archive::new(file);
    let entries = archive
        .entries()
        .map_err(|e| format!("{} is not a tar archive: {e}", path.display()))?;
    let mut files = BTreeMap::new();
    for (count, entry) in entries.enumerate() {
        if count >= 16 {
            return Err(format!("{} has more entries than a bundle", path.display()));
        }
        let mut entry =
            entry.map_err(|e| format!("{} is a damaged tar archive: {e}", path.display()))?;
        let kind = entry.header().entry_type();
        let name = entry
            .path()
            .map_err(|e| format!("{}: an entry name does not parse: {e}", path.display()))?
            .to_string_lossy()
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_string();
        if kind.is_dir() && name == CHECKPOINT_DIR {
            continue;
        }
        if !kind.is_file() {
            return Err(format!("{name}: only regular files may be in a bundle"));
        }
        let cap = cap_of(&name).ok_or_else(|| format!("{name} is not part of a bundle"))?;
        let size = entry.header().size().map_err(|e| format!("{name}: {e}"))?;
        if size > cap {
            return Err(format!(
                "{name} is {size} bytes, above the {cap}-byte limit"
            ));
        }
        let mut bytes = Vec::with_capacity(size as usize);
        (&mut entry)
            .take(cap + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{name}: {e}"))?;
        if files.insert(name.clone(), bytes).is_some() {
            return Err(format!("{name} appears twice in the archive"));
        }
    }
    Ok(files)
}

/// Opens an operator-given file (a link is followed: the operator named it), without blocking,
/// and requires a regular file no larger than `cap`.
fn open_regular_following(path: &Path, cap: u64) -> Result<(std::fs::File, u64), String> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{} is not a regular file", path.display()));
    }
    if meta.len() > cap {
        return Err(format!(
            "{} is {} bytes, larger than any bundle ({cap})",
            path.display(),
            meta.len()
        ));
    }
    Ok((file, meta.len()))
}

/// Verifies a bundle; errors name the offending file and say what is wrong.
pub fn verify_bundle(path: &Path) -> Result<VerifiedBundle, String> {
    let mut files = read_files(path)?;
    let sums = files
        .get(SUMS_FILE)
        .ok_or_else(|| format!("{SUMS_FILE} is missing"))?;
    let sums = std::str::from_utf8(sums).map_err(|_| format!("{SUMS_FILE} is not text"))?;
    let mut listed = BTreeMap::new();
    for line in sums.lines().filter(|l| !l.trim().is_empty()) {
        let (digest, name) = line
            .split_once("  ")
            .ok_or_else(|| format!("{SUMS_FILE}: malformed line {line:?}"))?;
        let name = name.trim_start_matches("./").to_string();
        if listed
            .insert(name.clone(), digest.to_ascii_lowercase())
            .is_some()
        {
            return Err(format!("{SUMS_FILE} lists {name} twice"));
        }
    }
    // Each file is hashed once; the machine's digest is kept for the manifest check below.
    let mut machine_digest = None;
    for (name, bytes) in &files {
        if name == SUMS_FILE {
            continue;
        }
        let Some(expected) = listed.get(name) else {
            return Err(format!("{name} is not listed in {SUMS_FILE}"));
        };
        let digest = Sha256Digest::of(bytes);
        if *name == machine_path() {
            machine_digest = Some(digest);
        }
        if &digest.to_hex() != expected {
            return Err(format!(
                "{name} does not match its sha256 in {SUMS_FILE} (the bundle is damaged)"
            ));
        }
    }
    for name in [META_FILE.to_string(), manifest_path(), machine_path()] {
        if !listed.contains_key(&name) || !files.contains_key(&name) {
            return Err(format!("{name} is missing"));
        }
    }
    if let Some(extra) = listed.keys().find(|n| !files.contains_key(*n)) {
        return Err(format!("{extra} is listed in {SUMS_FILE} but missing"));
    }

    let value: serde_json::Value = serde_json::from_slice(&files[META_FILE])
        .map_err(|e| format!("{META_FILE} does not parse: {e}"))?;
    let version = value.get("version").and_then(|v| v.as_u64());
    if version != Some(u64::from(BUNDLE_FORMAT_VERSION)) {
        return Err(format!(
            "{META_FILE} has format version {version:?}; this warden reads version \
             {BUNDLE_FORMAT_VERSION} — use the warden release that wrote the bundle"
        ));
    }
    let meta: BundleMeta =
        serde_json::from_value(value).map_err(|e| format!("{META_FILE} is malformed: {e}"))?;
    if meta.format != BUNDLE_FORMAT {
        return Err(format!("{META_FILE} says format {:?}", meta.format));
    }
    let manifest_bytes = files
        .remove(&manifest_path())
        .ok_or_else(|| format!("{} is missing", manifest_path()))?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| format!("{} is not a valid manifest: {e}", manifest_path()))?;
    if !reads_manifest_version(manifest.version) {
        return Err(format!(
            "{} has version {}, this warden reads 1 and {MANIFEST_VERSION}",
            manifest_path(),
            manifest.version
        ));
    }
    let c = &meta.checkpoint;
    if (
        manifest.block,
        manifest.block_hash,
        manifest.input_count,
        manifest.state_sha256,
    ) != (c.block, c.block_hash, c.input_count, c.state_sha256)
    {
        return Err(format!(
            "{} disagrees with {META_FILE} about the checkpoint",
            manifest_path()
        ));
    }
    let machine_bytes = files
        .remove(&machine_path())
        .ok_or_else(|| format!("{} is missing", machine_path()))?;
    drop(files);
    let machine_digest = machine_digest.unwrap_or_else(|| Sha256Digest::of(&machine_bytes));
    let entry = manifest
        .files
        .iter()
        .find(|f| f.name == MACHINE_FILE)
        .ok_or_else(|| format!("{} does not list {MACHINE_FILE}", manifest_path()))?;
    if entry.size != machine_bytes.len() as u64 || entry.sha256 != machine_digest {
        return Err(format!(
            "{} does not match {}",
            machine_path(),
            manifest_path()
        ));
    }
    let (machine, state_sha256) = decode_machine_and_state_sha256(&machine_bytes)
        .map_err(|e| format!("{} does not decode: {e}", machine_path()))?;
    if machine.inputs_processed != c.input_count || machine.last_processed_block != c.block {
        return Err(format!(
            "{} is at block {} / {} inputs, not the bundle's {} / {}",
            machine_path(),
            machine.last_processed_block,
            machine.inputs_processed,
            c.block,
            c.input_count
        ));
    }
    if Sha256Digest(state_sha256) != c.state_sha256 {
        return Err(format!(
            "{} does not hash to the bundle's state_sha256",
            machine_path()
        ));
    }
    let id = &meta.identity;
    if machine.scheduler.batch_submitter != id.batch_submitter
        || machine.scheduler.max_wait_blocks != id.max_wait_blocks
        || machine.wallet.config.erc20_portal != id.erc20_portal
        || machine.wallet.config.supported_token != id.supported_token
        || machine.wallet.config.fee_recipient != id.fee_recipient
    {
        return Err(format!(
            "{} is configured for another identity than {META_FILE} names",
            machine_path()
        ));
    }
    Ok(VerifiedBundle {
        meta,
        manifest,
        manifest_bytes,
        machine_bytes,
        machine,
    })
}

/// Reads the head checkpoint's files for a bundle.
pub fn head_checkpoint_files(
    state: &StateDir,
    checkpoint: &str,
) -> Result<(Vec<u8>, Vec<u8>), StateError> {
    let dir: PathBuf = state.root().join(checkpoint);
    let read = |name: &str| {
        let path = dir.join(name);
        read_regular(&path, MACHINE_CAP)
            .map_err(|e| StateError::CorruptHead(format!("{} {e}", path.display())))
    };
    Ok((read(MANIFEST_FILE)?, read(MACHINE_FILE)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::Address;

    fn meta() -> BundleMeta {
        BundleMeta {
            version: BUNDLE_FORMAT_VERSION,
            format: BUNDLE_FORMAT.into(),
            identity: Identity {
                chain_id: 31337,
                app: Address::repeat_byte(0xaa),
                input_box: Address::repeat_byte(0x1b),
                batch_submitter: Address::repeat_byte(0x5b),
                erc20_portal: Address::repeat_byte(0x50),
                supported_token: Address::repeat_byte(0x70),
                fee_recipient: Address::repeat_byte(0x5b),
                max_wait_blocks: 1200,
                preemptive_margin_blocks: 300,
            },
            checkpoint: BundleCheckpoint {
                block: 10,
                block_hash: B256::repeat_byte(0xab),
                input_count: 3,
                state_sha256: Sha256Digest([0xcd; 32]),
            },
            created_at: "2026-01-01T00:00:00.000Z".into(),
            warden_version: "0.0.0".into(),
        }
    }

    /// Schema guard: `bundle.json`'s serialized shape is pinned together with the format
    /// version. If this fails, bump `BUNDLE_FORMAT_VERSION` (and teach `verify_bundle` to read or
    /// refuse the old one), then update the pinned digest.
    #[test]
    fn bundle_format_changes_need_a_version_bump() {
        let files = bundle_files(&meta(), b"{}", b"machine").unwrap();
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "bundle.json",
                "checkpoint/manifest.json",
                "checkpoint/machine.bin",
                "SHA256SUMS"
            ]
        );
        let digest = sha256_hex(&files[0].1);
        assert_eq!(
            (BUNDLE_FORMAT_VERSION, digest.as_str()),
            (1, PINNED_META_SHA256),
            "bundle.json changed shape: bump BUNDLE_FORMAT_VERSION"
        );
    }

    const PINNED_META_SHA256: &str =
        "16f52d4f09e11231a0bc5840e3a6c2bfe22c07c2ed5b2491b6e548c5aa353764";
}
