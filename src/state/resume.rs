//! Resume points of a long catch-up (operator-contract §4 `resume/`): a tick that cannot reach
//! its target before its deadline saves the machine at the last block it verified, and the next
//! tick continues from there. A resume point is never a head and never compared: garbage
//! collection, `recover repair`, rollback and `snapshot` ignore `resume/`. It is usable only by
//! the head it was extended from (named, with its hash, in the manifest), for the same identity;
//! every head flip and every latch discards it ([`discard`], called by `checkpoint::write_head`
//! and `latch::write`), and tick discards it when L1 no longer has its block hash.
//!
//! This module is the only code that writes, reads or removes `resume/`.

use super::checkpoint::{
    Head, MACHINE_CAP, MACHINE_FILE, MANIFEST_FILE, ManifestFile, RECORD_CAP, checkpoint_name,
    is_checkpoint_name,
};
use super::fs::{Fs, read_regular};
use super::{StateDir, StateError};
use crate::canonical::codec::{MACHINE_FORMAT_VERSION, decode_machine};
use crate::canonical::liveness::Liveness;
use crate::canonical::{Machine, Sha256Digest};
use crate::jsonfmt;
use crate::state::config::Config;
use alloy::primitives::B256;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const RESUME_VERSION: u32 = 1;
pub const RESUME_DIR: &str = "resume";

/// The head a resume point extends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseHead {
    /// Its checkpoint name (`<block>-<input count>`).
    pub checkpoint: String,
    #[serde(with = "jsonfmt::hash")]
    pub block_hash: B256,
}

/// The liveness counters at the resume point (the machine carries them; `status` shows these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LivenessCounters {
    pub since_block: u64,
    pub batches: BTreeMap<String, u64>,
    pub user_ops: BTreeMap<String, u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_accepted_batch_block: Option<u64>,
}

impl LivenessCounters {
    pub fn of(liveness: &Liveness) -> Self {
        Self {
            since_block: liveness.since_block,
            batches: liveness.batches_by_name(),
            user_ops: liveness.ops_by_name(),
            last_accepted_batch_block: liveness.last_accepted_batch_block,
        }
    }
}

/// `resume/<block>-<input count>/manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResumeManifest {
    pub version: u32,
    pub block: u64,
    #[serde(with = "jsonfmt::hash")]
    pub block_hash: B256,
    pub input_count: u64,
    pub state_sha256: Sha256Digest,
    pub liveness: LivenessCounters,
    pub base: BaseHead,
    /// SHA-256 of the pinned identity (`config.json`'s identity fields, as JSON).
    pub identity_sha256: Sha256Digest,
    /// The sequencer's block the catch-up is heading for.
    pub target_block: u64,
    /// Whether `getNumberOfInputs` at `block` confirmed `input_count` (a node without state that
    /// old cannot; the run that reaches the target proves it with its own witness).
    pub witnessed: bool,
    /// Whether the `--l1-cross-check-url` endpoints confirmed the inputs up to `block`.
    pub cross_checked: bool,
    pub machine_format_version: u32,
    pub files: Vec<ManifestFile>,
    pub created_at: String,
}

/// What a catch-up saves.
#[derive(Debug, Clone)]
pub struct NewResume<'a> {
    pub block: u64,
    pub block_hash: B256,
    pub machine: &'a Machine,
    pub machine_bytes: &'a [u8],
    pub base: &'a Head,
    pub config: &'a Config,
    pub target_block: u64,
    pub witnessed: bool,
    pub cross_checked: bool,
    pub created_at: &'a str,
}

/// A resume point that verified.
#[derive(Debug, Clone)]
pub struct ResumePoint {
    pub name: String,
    pub manifest: ResumeManifest,
    pub machine: Machine,
}

/// The identity's fingerprint, as resume manifests record it.
pub fn identity_sha256(config: &Config) -> Sha256Digest {
    Sha256Digest::of(&serde_json::to_vec(&config.identity()).unwrap_or_default())
}

fn dir(state: &StateDir) -> PathBuf {
    state.root().join(RESUME_DIR)
}

/// Saves a resume point (temporary directory, files and directory fsynced, renamed into
/// place, parent fsynced), then removes the older ones. Returns its name.
pub fn save(fs: &dyn Fs, state: &StateDir, point: &NewResume) -> Result<String, StateError> {
    let parent = dir(state);
    state.ensure_real_dir(fs, &parent)?;
    let name = checkpoint_name(point.block, point.machine.inputs_processed);
    let manifest = ResumeManifest {
        version: RESUME_VERSION,
        block: point.block,
        block_hash: point.block_hash,
        input_count: point.machine.inputs_processed,
        state_sha256: Sha256Digest(point.machine.state_sha256()),
        liveness: LivenessCounters::of(&point.machine.liveness),
        base: BaseHead {
            checkpoint: checkpoint_name(point.base.block, point.base.input_count),
            block_hash: point.base.block_hash,
        },
        identity_sha256: identity_sha256(point.config),
        target_block: point.target_block,
        witnessed: point.witnessed,
        cross_checked: point.cross_checked,
        machine_format_version: MACHINE_FORMAT_VERSION,
        files: vec![ManifestFile {
            name: MACHINE_FILE.into(),
            sha256: Sha256Digest::of(point.machine_bytes),
            size: point.machine_bytes.len() as u64,
        }],
        created_at: point.created_at.to_string(),
    };
    let mut manifest_bytes = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| StateError::Unsupported(format!("cannot serialize a resume point: {e}")))?;
    manifest_bytes.push(b'\n');
    let tmp = parent.join(format!(".tmp-{name}-{}", std::process::id()));
    fs.remove_dir_all(&tmp)
        .map_err(|e| StateError::io(&tmp, e))?;
    fs.create_dir(&tmp).map_err(|e| StateError::io(&tmp, e))?;
    for (file, bytes) in [
        (MACHINE_FILE, point.machine_bytes),
        (MANIFEST_FILE, &manifest_bytes[..]),
    ] {
        let path = tmp.join(file);
        fs.write_file_synced(&path, bytes)
            .map_err(|e| StateError::io(&path, e))?;
    }
    super::checkpoint::install_dir(fs, &tmp, &parent, &name)?;
    remove_ours(fs, &parent, Some(&name));
    Ok(name)
}

/// Removes every resume point (after a head flip or a latch, or when one is unusable). Only
/// warden's own entries go; returns what it could not or would not remove.
pub fn discard(fs: &dyn Fs, state: &StateDir) -> Vec<String> {
    let parent = dir(state);
    match std::fs::symlink_metadata(&parent) {
        Err(_) => Vec::new(),
        Ok(meta) if !meta.is_dir() => vec![parent.display().to_string()],
        Ok(_) => remove_ours(fs, &parent, None),
    }
}

/// Whether `resume/` holds anything (the idle path's one look at it).
pub fn any(state: &StateDir) -> bool {
    !names(&dir(state)).is_empty()
}

/// Removes resume points and this module's temporary directories in `parent`, but `keep`.
fn remove_ours(fs: &dyn Fs, parent: &Path, keep: Option<&str>) -> Vec<String> {
    let mut left = Vec::new();
    let Ok(entries) = std::fs::read_dir(parent) else {
        return vec![parent.display().to_string()];
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if Some(name.as_str()) == keep {
            continue;
        }
        let path = entry.path();
        let ours = (is_checkpoint_name(&name) || name.starts_with(".tmp-"))
            && entry.file_type().is_ok_and(|t| t.is_dir())
            && holds_only_ours(&path);
        if !ours || fs.remove_dir_all(&path).is_err() {
            left.push(path.display().to_string());
        }
    }
    if fs.sync_dir(parent).is_err() {
        left.push(parent.display().to_string());
    }
    left
}

fn holds_only_ours(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().all(|e| {
            let name = e.file_name();
            e.file_type().is_ok_and(|t| t.is_file())
                && (name == MACHINE_FILE || name == MANIFEST_FILE)
        })
    })
}

/// Well-formed resume point names, ascending.
fn names(parent: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(parent)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| is_checkpoint_name(n))
        .collect();
    names.sort();
    names
}

/// The newest resume point's manifest, unverified (for `status` and the idle path, which never
/// read a machine): `Ok(None)` when there is none.
pub fn latest_manifest(state: &StateDir) -> Result<Option<ResumeManifest>, String> {
    let parent = dir(state);
    match names(&parent).pop() {
        None => Ok(None),
        Some(name) => read_manifest(&parent, &name).map(Some),
    }
}

fn read_manifest(parent: &Path, name: &str) -> Result<ResumeManifest, String> {
    let path = parent.join(name).join(MANIFEST_FILE);
    let bytes = read_regular(&path, RECORD_CAP).map_err(|e| format!("{} {e}", path.display()))?;
    let manifest: ResumeManifest = serde_json::from_slice(&bytes)
        .map_err(|e| format!("resume/{name}/{MANIFEST_FILE} does not parse: {e}"))?;
    if manifest.version != RESUME_VERSION {
        return Err(format!(
            "resume/{name}/{MANIFEST_FILE} has version {}, this warden reads {RESUME_VERSION}",
            manifest.version
        ));
    }
    Ok(manifest)
}

/// Why the newest resume point cannot be used by this head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unusable {
    /// It does not verify (manifest, files, machine): discard it.
    Corrupt(String),
    /// It extends another head, or another identity: discard it.
    Stale(String),
    /// It lies beyond the target of this run (the sequencer is behind it): keep it.
    BeyondTarget { block: u64 },
}

/// The newest resume point, verified completely, if it extends `head` for `config`'s identity
/// and lies in (head, target]. `Ok(None)` when there is none.
pub fn usable(
    state: &StateDir,
    head: &Head,
    config: &Config,
    target: u64,
) -> Result<Option<ResumePoint>, Unusable> {
    let parent = dir(state);
    let Some(name) = names(&parent).pop() else {
        return Ok(None);
    };
    let manifest = read_manifest(&parent, &name).map_err(Unusable::Corrupt)?;
    if manifest.base.checkpoint != checkpoint_name(head.block, head.input_count)
        || manifest.base.block_hash != head.block_hash
    {
        return Err(Unusable::Stale(format!(
            "resume/{name} extends head {}, not the current head",
            manifest.base.checkpoint
        )));
    }
    if manifest.identity_sha256 != identity_sha256(config) {
        return Err(Unusable::Stale(format!(
            "resume/{name} belongs to another identity"
        )));
    }
    if manifest.block <= head.block {
        return Err(Unusable::Stale(format!(
            "resume/{name} is not above the head's block {}",
            head.block
        )));
    }
    if manifest.block > target {
        return Err(Unusable::BeyondTarget {
            block: manifest.block,
        });
    }
    let machine = verify(&parent, &name, &manifest).map_err(Unusable::Corrupt)?;
    Ok(Some(ResumePoint {
        name,
        manifest,
        machine,
    }))
}

fn verify(parent: &Path, name: &str, manifest: &ResumeManifest) -> Result<Machine, String> {
    if checkpoint_name(manifest.block, manifest.input_count) != name {
        return Err(format!(
            "resume/{name}: the manifest names another block or count"
        ));
    }
    let dir = parent.join(name);
    if !holds_only_ours(&dir) {
        return Err(format!("resume/{name} holds files warden did not write"));
    }
    let [entry] = &manifest.files[..] else {
        return Err(format!(
            "resume/{name}: the manifest must list exactly {MACHINE_FILE}"
        ));
    };
    if entry.name != MACHINE_FILE {
        return Err(format!(
            "resume/{name}: the manifest must list exactly {MACHINE_FILE}"
        ));
    }
    let path = dir.join(MACHINE_FILE);
    let bytes = read_regular(&path, entry.size.min(MACHINE_CAP))
        .map_err(|e| format!("{} {e}", path.display()))?;
    if bytes.len() as u64 != entry.size || Sha256Digest::of(&bytes) != entry.sha256 {
        return Err(format!(
            "resume/{name}/{MACHINE_FILE} does not match its manifest"
        ));
    }
    let machine =
        decode_machine(&bytes).map_err(|e| format!("resume/{name}/{MACHINE_FILE}: {e}"))?;
    if machine.inputs_processed != manifest.input_count
        || machine.last_processed_block != manifest.block
        || Sha256Digest(machine.state_sha256()) != manifest.state_sha256
        || LivenessCounters::of(&machine.liveness) != manifest.liveness
    {
        return Err(format!(
            "resume/{name}: the machine differs from its manifest"
        ));
    }
    Ok(machine)
}
