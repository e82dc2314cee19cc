//! The memory of `secret check --all`: which tracked files were found clean, by the blob id
//! git already keeps for them. A file git reports unmodified with a remembered blob id is not
//! read again. The memory holds for one `secret` version, `.sops.yaml` and allow-list; it
//! lives in the repository's git directory and is only a speed-up (any trouble: no cache).

use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The cache file's name inside the git directory.
const FILE_NAME: &str = "secret-check-clean";

/// Clean files of the last run and the blob ids of this one.
pub struct CleanCache {
    file: Option<PathBuf>,
    stamp: String,
    /// `blob-id \t path` lines found clean last time.
    known: HashSet<String>,
    /// Tracked files unmodified in the work tree: path (relative to the top) -> blob id.
    blobs: HashMap<String, String>,
    /// What this run found clean.
    clean: Vec<String>,
}

impl CleanCache {
    /// Reads the cache of the repository at `top`; `inputs` are what the verdicts depend on
    /// (the config and the allow-list), besides the version.
    pub fn open(top: &Path, inputs: &[&[u8]]) -> CleanCache {
        let mut hash = Sha256::new();
        hash.update(env!("CARGO_PKG_VERSION"));
        for i in inputs {
            hash.update((i.len() as u64).to_le_bytes());
            hash.update(i);
        }
        let stamp: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        let git = |args: &[&str]| super::git::git(args, top).ok();
        let file = git(&["rev-parse", "--git-path", FILE_NAME]).map(|p| top.join(p.trim_end()));
        let known = file
            .as_ref()
            .and_then(|f| std::fs::read_to_string(f).ok())
            .and_then(|text| {
                let mut lines = text.lines();
                (lines.next() == Some(stamp.as_str()))
                    .then(|| lines.map(str::to_string).collect::<HashSet<_>>())
            })
            .unwrap_or_default();
        // Tracked files as the index has them, minus those changed in the work tree (git
        // tells from its stat cache, without reading the files).
        let mut blobs = HashMap::new();
        let staged = git(&["ls-files", "-s", "-z"]).unwrap_or_default();
        let modified = git(&["ls-files", "-m", "-z"]).unwrap_or_default();
        let modified: HashSet<&str> = modified.split('\0').collect();
        for entry in staged.split('\0') {
            // "mode blob stage\tpath"
            let Some((meta, path)) = entry.split_once('\t') else {
                continue;
            };
            if let Some(blob) = meta.split(' ').nth(1) {
                if !modified.contains(path) {
                    blobs.insert(path.to_string(), blob.to_string());
                }
            }
        }
        CleanCache {
            file,
            stamp,
            known,
            blobs,
            clean: Vec::new(),
        }
    }

    fn line(&self, rel: &str) -> Option<String> {
        self.blobs.get(rel).map(|blob| format!("{blob}\t{rel}"))
    }

    /// Whether `rel` (relative to the top, `/`-separated) is unmodified and was clean.
    pub fn is_clean(&self, rel: &str) -> bool {
        self.line(rel).is_some_and(|l| self.known.contains(&l))
    }

    /// Notes `rel` as clean in this run. Files git does not track (or that differ from the
    /// index) are not remembered: their blob id is unknown without hashing them.
    pub fn record_clean(&mut self, rel: &str) {
        if let Some(l) = self.line(rel) {
            self.clean.push(l);
        }
    }

    /// Writes what this run found clean (atomically; errors ignored: it is only a cache).
    pub fn save(self) {
        let Some(file) = &self.file else { return };
        let mut text = self.stamp.clone();
        text.push('\n');
        for l in &self.clean {
            text.push_str(l);
            text.push('\n');
        }
        let tmp = file.with_extension("tmp");
        if std::fs::write(&tmp, text).is_ok() {
            let _ = std::fs::rename(&tmp, file);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let ok = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?}");
    }

    #[test]
    fn remembers_unchanged_files_for_the_same_inputs() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path();
        git(top, &["init", "-q"]);
        std::fs::write(top.join("a.txt"), "a").unwrap();
        std::fs::write(top.join("b.txt"), "b").unwrap();
        git(top, &["add", "-A"]);
        git(top, &["commit", "-qm", "x"]);
        let mut cache = CleanCache::open(top, &[b"config"]);
        assert!(!cache.is_clean("a.txt"));
        cache.record_clean("a.txt");
        cache.record_clean("b.txt");
        cache.save();
        let cache = CleanCache::open(top, &[b"config"]);
        assert!(cache.is_clean("a.txt") && cache.is_clean("b.txt"));
        // Other inputs: nothing remembered. A changed file: not clean any more.
        assert!(!CleanCache::open(top, &[b"other config"]).is_clean("a.txt"));
        std::fs::write(top.join("a.txt"), "changed").unwrap();
        let cache = CleanCache::open(top, &[b"config"]);
        assert!(!cache.is_clean("a.txt") && cache.is_clean("b.txt"));
    }
}
