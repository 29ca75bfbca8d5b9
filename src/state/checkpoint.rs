//! Checkpoints and the head pointer (operator-contract §4). A checkpoint is written into a
//! temporary directory, every file and the directory fsynced, renamed into place and the parent
//! fsynced; only then is `head.json` replaced (tmp, fsync, rename, fsync): that rename is the
//! commit point. Loading verifies the pointer and every file's hash before trusting anything.

use super::fs::{Fs, ReadError, read_regular, write_atomic};
use super::{StateDir, StateError};
use crate::canonical::codec::{MACHINE_FORMAT_VERSION, decode_machine_and_state_sha256};
use crate::canonical::liveness::SchedulerSeed;
use crate::canonical::{Machine, Sha256Digest};
use crate::jsonfmt;
use alloy::primitives::B256;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub const HEAD_VERSION: u32 = 1;
/// Version 2 adds the scheduler seed an idle tick reads instead of the machine; version 1
/// manifests (and bundles holding them) still load.
pub const MANIFEST_VERSION: u32 = 2;

/// Whether this warden reads manifests of `version`.
pub fn reads_manifest_version(version: u32) -> bool {
    version == 1 || version == MANIFEST_VERSION
}
pub const MACHINE_FILE: &str = "machine.bin";
pub const MANIFEST_FILE: &str = "manifest.json";
/// JSON records are read with a cap so a corrupted or planted one cannot exhaust memory.
pub const RECORD_CAP: u64 = 1 << 20;
/// `machine.bin` and bundles: the state cap (a 1M-account machine is about 80 MiB).
pub const MACHINE_CAP: u64 = 1 << 30;

/// `head.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Head {
    pub version: u32,
    pub checkpoint: String,
    pub block: u64,
    #[serde(with = "jsonfmt::hash")]
    pub block_hash: B256,
    pub input_count: u64,
    pub state_sha256: Sha256Digest,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    pub name: String,
    pub sha256: Sha256Digest,
    pub size: u64,
}

/// `checkpoints/<name>/manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub version: u32,
    pub block: u64,
    #[serde(with = "jsonfmt::hash")]
    pub block_hash: B256,
    pub input_count: u64,
    pub state_sha256: Sha256Digest,
    pub machine_format_version: u32,
    pub files: Vec<ManifestFile>,
    pub created_at: String,
    /// What an idle tick needs of the machine for its liveness figures (absent in version 1,
    /// and for a fridge too long to list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler: Option<SchedulerSeed>,
}

/// What identifies a checkpoint: the L1 block it is valid at and the inputs folded up to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointMeta {
    pub block: u64,
    pub block_hash: B256,
    pub input_count: u64,
}

/// A verified head: the pointer, its manifest and the machine it holds.
#[derive(Debug, Clone)]
pub struct LoadedHead {
    pub head: Head,
    pub manifest: Manifest,
    pub machine: Machine,
}

impl LoadedHead {
    pub fn block_hash(&self) -> B256 {
        self.head.block_hash
    }

    pub fn name(&self) -> String {
        checkpoint_name(self.head.block, self.head.input_count)
    }
}

/// `<%020d block>-<%020d input_count>`: names sort in (block, count) order.
pub fn checkpoint_name(block: u64, input_count: u64) -> String {
    format!("{block:020}-{input_count:020}")
}

/// True for exactly `\d{20}-\d{20}`.
pub fn is_checkpoint_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() == 41
        && bytes[20] == b'-'
        && bytes[..20].iter().all(u8::is_ascii_digit)
        && bytes[21..].iter().all(u8::is_ascii_digit)
}

fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, String> {
    read_regular(path, cap).map_err(|e| format!("{} {e}", path.display()))
}

/// Refuses a path component that is a symlink (a checkpoint must live inside the state dir).
fn require_real_dir(path: &Path) -> Result<(), String> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.file_type().is_symlink() {
        return Err(format!("{} is a symlink", path.display()));
    }
    if !meta.is_dir() {
        return Err(format!("{} is not a directory", path.display()));
    }
    Ok(())
}

/// Verifies one checkpoint completely: manifest, file hashes and sizes, no stray files, and a
/// machine that decodes and agrees with the manifest.
pub fn verify_checkpoint(state: &StateDir, name: &str) -> Result<(Manifest, Machine), String> {
    verify_checkpoint_in(&state.checkpoints(), name)
}

/// As [`verify_checkpoint`], for a checkpoint kept in another directory (an archive).
pub fn verify_checkpoint_in(parent: &Path, name: &str) -> Result<(Manifest, Machine), String> {
    if !is_checkpoint_name(name) {
        return Err(format!("{name:?} is not a checkpoint name"));
    }
    require_real_dir(parent)?;
    let dir = parent.join(name);
    require_real_dir(&dir)?;
    let manifest = read_manifest_in(parent, name)?;
    if checkpoint_name(manifest.block, manifest.input_count) != name {
        return Err(format!(
            "{name}: manifest names block {} / input count {}",
            manifest.block, manifest.input_count
        ));
    }
    let listed: BTreeSet<&str> = manifest.files.iter().map(|f| f.name.as_str()).collect();
    if listed != BTreeSet::from([MACHINE_FILE]) || manifest.files.len() != 1 {
        return Err(format!("{name}: manifest must list exactly {MACHINE_FILE}"));
    }
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        if file_name != MACHINE_FILE && file_name != MANIFEST_FILE {
            return Err(format!("{name}: unexpected file {file_name}"));
        }
    }
    let entry = &manifest.files[0];
    let path = dir.join(MACHINE_FILE);
    // The size is checked against the manifest before a byte is read.
    let bytes = read_capped(&path, entry.size.min(MACHINE_CAP))?;
    if bytes.len() as u64 != entry.size {
        return Err(format!(
            "{name}/{MACHINE_FILE} is {} bytes, manifest says {}",
            bytes.len(),
            entry.size
        ));
    }
    // The file is hashed on a second thread while it decodes (decoding is pure and bounded on
    // any bytes); the hash is still judged first. The state digest comes with the decoding (the
    // embedded state bytes, proven to be the machine's encoding, are hashed, not re-encoded).
    let (file_sha256, decoded) =
        Sha256Digest::of_while(&bytes, || decode_machine_and_state_sha256(&bytes));
    if file_sha256 != entry.sha256 {
        return Err(format!(
            "{name}/{MACHINE_FILE} does not match its manifest sha256"
        ));
    }
    let (machine, state_sha256) = decoded.map_err(|e| format!("{name}/{MACHINE_FILE}: {e}"))?;
    drop(bytes);
    if machine.inputs_processed != manifest.input_count
        || machine.last_processed_block != manifest.block
    {
        return Err(format!(
            "{name}: machine position differs from the manifest"
        ));
    }
    if Sha256Digest(state_sha256) != manifest.state_sha256 {
        return Err(format!(
            "{name}: machine state differs from the manifest's state_sha256"
        ));
    }
    Ok((manifest, machine))
}

/// Reads and parses one checkpoint's manifest (nothing else is verified).
pub fn read_manifest(state: &StateDir, name: &str) -> Result<Manifest, String> {
    read_manifest_in(&state.checkpoints(), name)
}

fn read_manifest_in(parent: &Path, name: &str) -> Result<Manifest, String> {
    let path = parent.join(name).join(MANIFEST_FILE);
    let bytes = read_capped(&path, RECORD_CAP)?;
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{name}/{MANIFEST_FILE} is not a valid manifest: {e}"))?;
    if !reads_manifest_version(manifest.version) {
        return Err(format!(
            "{name}/{MANIFEST_FILE} has version {}, this warden reads 1 and {MANIFEST_VERSION}; \
             run the warden release that wrote it",
            manifest.version
        ));
    }
    Ok(manifest)
}

/// Reads `head.json` without following it.
pub fn read_head(state: &StateDir) -> Result<Head, StateError> {
    let bytes = match read_regular(&state.head(), RECORD_CAP) {
        Ok(bytes) => bytes,
        Err(ReadError::NotFound) => {
            return Err(StateError::CorruptHead("head.json is missing".into()));
        }
        Err(e) => return Err(StateError::CorruptHead(format!("head.json {e}"))),
    };
    let head: Head = serde_json::from_slice(&bytes)
        .map_err(|e| StateError::CorruptHead(format!("head.json does not parse: {e}")))?;
    if head.version != HEAD_VERSION {
        return Err(StateError::Unsupported(format!(
            "head.json has version {}, this warden reads version {HEAD_VERSION}; run the warden \
             release that wrote it",
            head.version
        )));
    }
    Ok(head)
}

/// Validates the pointer: `checkpoints/` + a checkpoint name, nothing else (no `..`, no
/// absolute path, no other directory).
pub fn checkpoint_of(head: &Head) -> Result<&str, StateError> {
    head.checkpoint
        .strip_prefix("checkpoints/")
        .filter(|name| is_checkpoint_name(name))
        .ok_or_else(|| {
            StateError::CorruptHead(format!(
                "head.json points to {:?}, not checkpoints/<20 digits>-<20 digits>",
                head.checkpoint
            ))
        })
}

/// `head.json` and its checkpoint's manifest, checked against each other: all an idle tick
/// reads (operator-contract §4); [`HeadPointer::load`] verifies the machine too.
#[derive(Debug, Clone)]
pub struct HeadPointer {
    pub head: Head,
    pub manifest: Manifest,
}

impl HeadPointer {
    /// The checkpoint the pointer names, verified completely (files, hashes, machine) and
    /// still the one the pointer was read with.
    pub fn load(self, state: &StateDir) -> Result<LoadedHead, StateError> {
        let name = checkpoint_of(&self.head)?;
        let (manifest, machine) =
            verify_checkpoint(state, name).map_err(StateError::CorruptHead)?;
        if manifest != self.manifest {
            return Err(StateError::CorruptHead(format!(
                "{name}/{MANIFEST_FILE} changed while it was read"
            )));
        }
        Ok(LoadedHead {
            head: self.head,
            manifest,
            machine,
        })
    }
}

/// Reads `head.json` and its manifest and checks that they agree (nothing else is read).
/// Errors say how to repair.
pub fn read_pointer(state: &StateDir) -> Result<HeadPointer, StateError> {
    state.require_exists()?;
    if std::fs::symlink_metadata(state.head()).is_err() {
        return Err(if state.config().exists() {
            StateError::CorruptHead("head.json is missing".into())
        } else if state.checkpoints().exists() {
            StateError::InterruptedInit(state.root().display().to_string())
        } else {
            StateError::NotInitialised(state.root().display().to_string())
        });
    }
    let head = read_head(state)?;
    let name = checkpoint_of(&head)?;
    require_real_dir(&state.checkpoints()).map_err(StateError::CorruptHead)?;
    require_real_dir(&state.checkpoints().join(name)).map_err(StateError::CorruptHead)?;
    let manifest = read_manifest(state, name).map_err(StateError::CorruptHead)?;
    if checkpoint_name(manifest.block, manifest.input_count) != name
        || manifest.block != head.block
        || manifest.input_count != head.input_count
        || manifest.state_sha256 != head.state_sha256
        || manifest.block_hash != head.block_hash
    {
        return Err(StateError::CorruptHead(format!(
            "head.json disagrees with {name}/{MANIFEST_FILE}"
        )));
    }
    Ok(HeadPointer { head, manifest })
}

/// Loads and verifies the head and its checkpoint. Errors say how to repair.
pub fn load_head(state: &StateDir) -> Result<LoadedHead, StateError> {
    read_pointer(state)?.load(state)
}

/// Makes a directory written and fsynced file by file at `tmp` durable as `parent/name`: fsync
/// it, rename it into place (or, when `name` exists, exchange the two atomically, leaving the
/// old one at `tmp` for the caller's clean-up), fsync `parent`. Checkpoints and resume points
/// both land this way.
pub(super) fn install_dir(
    fs: &dyn Fs,
    tmp: &Path,
    parent: &Path,
    name: &str,
) -> Result<(), StateError> {
    fs.sync_dir(tmp).map_err(|e| StateError::io(tmp, e))?;
    let final_dir = parent.join(name);
    if std::fs::symlink_metadata(&final_dir).is_ok() {
        fs.exchange(tmp, &final_dir)
            .map_err(|e| StateError::io(&final_dir, e))?;
    } else {
        fs.rename(tmp, &final_dir)
            .map_err(|e| StateError::io(&final_dir, e))?;
    }
    fs.sync_dir(parent).map_err(|e| StateError::io(parent, e))
}

/// Checkpoint names present, ascending (only well-formed names; nothing is verified).
pub fn list_checkpoints(state: &StateDir) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(state.checkpoints())
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| is_checkpoint_name(n))
        .collect();
    names.sort();
    names
}

/// As [`publish_seeded`], without a scheduler seed (idle ticks then read the machine).
pub fn publish(
    fs: &dyn Fs,
    state: &StateDir,
    meta: CheckpointMeta,
    machine_bytes: &[u8],
    state_sha256: Sha256Digest,
    keep: usize,
    created_at: &str,
) -> Result<(Head, Vec<String>), StateError> {
    publish_seeded(
        fs,
        state,
        meta,
        None,
        machine_bytes,
        state_sha256,
        keep,
        created_at,
    )
}

/// Publishes a machine as checkpoint `meta` (its manifest carrying `seed`, the machine's
/// [`SchedulerSeed`]) and flips the head to it, then garbage-collects. Returns the new head and
/// what GC could not remove (GC failures never undo the commit).
#[allow(clippy::too_many_arguments)]
pub fn publish_seeded(
    fs: &dyn Fs,
    state: &StateDir,
    meta: CheckpointMeta,
    seed: Option<SchedulerSeed>,
    machine_bytes: &[u8],
    state_sha256: Sha256Digest,
    keep: usize,
    created_at: &str,
) -> Result<(Head, Vec<String>), StateError> {
    let checkpoints = state.checkpoints();
    if !checkpoints.is_dir() {
        fs.create_dir(&checkpoints)
            .map_err(|e| StateError::io(&checkpoints, e))?;
        fs.sync_dir(state.root())
            .map_err(|e| StateError::io(state.root(), e))?;
    }
    let name = checkpoint_name(meta.block, meta.input_count);
    let head = Head {
        version: HEAD_VERSION,
        checkpoint: format!("checkpoints/{name}"),
        block: meta.block,
        block_hash: meta.block_hash,
        input_count: meta.input_count,
        state_sha256,
        created_at: created_at.to_string(),
    };
    let tmp = checkpoints.join(format!(".tmp-{name}-{}", std::process::id()));
    fs.remove_dir_all(&tmp)
        .map_err(|e| StateError::io(&tmp, e))?;
    fs.create_dir(&tmp).map_err(|e| StateError::io(&tmp, e))?;
    let machine_path = tmp.join(MACHINE_FILE);
    // machine.bin is hashed for the manifest on a second thread while it is written and fsynced.
    let (machine_sha256, written) = Sha256Digest::of_while(machine_bytes, || {
        fs.write_file_synced(&machine_path, machine_bytes)
    });
    written.map_err(|e| StateError::io(&machine_path, e))?;
    let manifest = Manifest {
        version: MANIFEST_VERSION,
        block: meta.block,
        block_hash: meta.block_hash,
        input_count: meta.input_count,
        state_sha256,
        machine_format_version: MACHINE_FORMAT_VERSION,
        files: vec![ManifestFile {
            name: MACHINE_FILE.into(),
            sha256: machine_sha256,
            size: machine_bytes.len() as u64,
        }],
        created_at: created_at.to_string(),
        scheduler: seed,
    };
    let manifest_bytes = to_json_bytes(&manifest)?;
    let manifest_path = tmp.join(MANIFEST_FILE);
    fs.write_file_synced(&manifest_path, &manifest_bytes)
        .map_err(|e| StateError::io(&manifest_path, e))?;
    // A checkpoint of the same name may exist: a crashed run's leftover, or the live head when
    // a restore lands on the head's own block. It is swapped out atomically, never removed
    // before the new head is durable; garbage collection removes it after the flip.
    install_dir(fs, &tmp, &checkpoints, &name)?;
    write_head(fs, state, &head)?;
    let leftovers = collect_garbage(fs, state, &name, keep);
    Ok((head, leftovers))
}

fn to_json_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>, StateError> {
    let mut bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| StateError::CorruptHead(format!("cannot serialize: {e}")))?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// The commit point: `head.json.tmp`, fsync, rename, fsync the state directory. A new head
/// discards every resume point (they extend the old one; a leftover would be refused anyway).
pub fn write_head(fs: &dyn Fs, state: &StateDir, head: &Head) -> Result<(), StateError> {
    let bytes = to_json_bytes(head)?;
    write_atomic(fs, &state.head(), &bytes).map_err(|e| StateError::io(state.head(), e))?;
    super::resume::discard(fs, state);
    Ok(())
}

/// Keeps the head and the `keep − 1` newest checkpoints older than it; removes everything else
/// in `checkpoints/` (older checkpoints, newer uncommitted ones, temp dirs, stray files).
/// Returns the paths it failed to remove.
pub fn collect_garbage(fs: &dyn Fs, state: &StateDir, head_name: &str, keep: usize) -> Vec<String> {
    let checkpoints = state.checkpoints();
    let Ok(entries) = std::fs::read_dir(&checkpoints) else {
        return vec![checkpoints.display().to_string()];
    };
    let mut names: Vec<String> = Vec::new();
    let mut junk: Vec<PathBuf> = Vec::new();
    for entry in entries.flatten() {
        match entry.file_name().into_string() {
            Ok(n)
                if is_checkpoint_name(&n)
                    && entry.path().is_dir()
                    && !is_symlink(&entry.path()) =>
            {
                names.push(n)
            }
            _ => junk.push(entry.path()),
        }
    }
    names.sort_unstable_by(|a, b| b.cmp(a));
    let mut kept: BTreeSet<&str> = BTreeSet::from([head_name]);
    for name in &names {
        if kept.len() >= keep.max(1) {
            break;
        }
        if name.as_str() < head_name {
            kept.insert(name);
        }
    }
    let mut failed = Vec::new();
    let doomed = names
        .iter()
        .filter(|n| !kept.contains(n.as_str()))
        .map(|n| checkpoints.join(n))
        .chain(junk);
    for path in doomed {
        let removed = if path.is_dir() && !is_symlink(&path) {
            fs.remove_dir_all(&path)
        } else {
            fs.remove_file(&path)
        };
        if removed.is_err() {
            failed.push(path.display().to_string());
        }
    }
    if fs.sync_dir(&checkpoints).is_err() {
        failed.push(checkpoints.display().to_string());
    }
    // Temporary head files of crashed runs (`head.json.tmp-<pid>`, or the older `head.json.tmp`):
    // warden's own names in warden's own directory; unlinking never follows anything.
    for entry in std::fs::read_dir(state.root())
        .into_iter()
        .flatten()
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().to_string();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if name.starts_with("head.json.tmp") && !is_dir && fs.remove_file(&entry.path()).is_err() {
            failed.push(entry.path().display().to_string());
        }
    }
    failed
}

fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// The newest checkpoint that verifies completely, for `recover repair` and reorg rollback.
pub fn newest_intact(state: &StateDir) -> Option<(String, Manifest, Machine)> {
    list_checkpoints(state).into_iter().rev().find_map(|name| {
        verify_checkpoint(state, &name)
            .ok()
            .map(|(manifest, machine)| (name, manifest, machine))
    })
}

/// The newest checkpoint kept under `archive/` (heads replaced by `recover restore`) that
/// verifies completely: `recover repair`'s last resort when nothing in `checkpoints/` does.
pub fn newest_intact_archived(state: &StateDir) -> Option<(PathBuf, String, Manifest, Machine)> {
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(state.archive())
        .into_iter()
        .flatten()
        .flatten()
    {
        let parent = entry.path().join("checkpoints");
        for checkpoint in std::fs::read_dir(&parent).into_iter().flatten().flatten() {
            if let Ok(name) = checkpoint.file_name().into_string()
                && is_checkpoint_name(&name)
            {
                found.push((name, parent.clone()));
            }
        }
    }
    found.sort();
    found.into_iter().rev().find_map(|(name, parent)| {
        verify_checkpoint_in(&parent, &name)
            .ok()
            .map(|(manifest, machine)| (parent, name, manifest, machine))
    })
}

/// Copies a verified checkpoint kept elsewhere back into `checkpoints/` (the original stays
/// where it is: archives are never deleted).
pub fn restore_checkpoint_copy(
    fs: &dyn Fs,
    state: &StateDir,
    parent: &Path,
    name: &str,
) -> Result<(), StateError> {
    let checkpoints = state.checkpoints();
    if !checkpoints.is_dir() {
        fs.create_dir(&checkpoints)
            .map_err(|e| StateError::io(&checkpoints, e))?;
    }
    let tmp = checkpoints.join(format!(".tmp-{name}-{}", std::process::id()));
    fs.remove_dir_all(&tmp)
        .map_err(|e| StateError::io(&tmp, e))?;
    fs.create_dir(&tmp).map_err(|e| StateError::io(&tmp, e))?;
    for file in [MACHINE_FILE, MANIFEST_FILE] {
        let from = parent.join(name).join(file);
        let bytes = read_regular(&from, MACHINE_CAP)
            .map_err(|e| StateError::CorruptHead(format!("{} {e}", from.display())))?;
        let to = tmp.join(file);
        fs.write_file_synced(&to, &bytes)
            .map_err(|e| StateError::io(&to, e))?;
    }
    fs.sync_dir(&tmp).map_err(|e| StateError::io(&tmp, e))?;
    let final_dir = checkpoints.join(name);
    fs.rename(&tmp, &final_dir)
        .and_then(|_| fs.sync_dir(&checkpoints))
        .map_err(|e| StateError::io(&final_dir, e))
}

/// A head record for an existing, verified checkpoint.
pub fn head_for(name: &str, manifest: &Manifest, created_at: &str) -> Head {
    Head {
        version: HEAD_VERSION,
        checkpoint: format!("checkpoints/{name}"),
        block: manifest.block,
        block_hash: manifest.block_hash,
        input_count: manifest.input_count,
        state_sha256: manifest.state_sha256,
        created_at: created_at.to_string(),
    }
}
