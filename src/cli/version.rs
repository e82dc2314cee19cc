//! `--version`: sops' own line when installed as `sops`, so version probes (Ansible's
//! `^sops (\d+)\.(\d+)\.(\d+)`) see the sops release this build is compatible with.

use std::ffi::OsStr;
use std::path::Path;

/// The sops release whose behaviour and file format this build follows.
pub const SOPS_COMPATIBLE: &str = "3.11.0";

/// Whether the program was started under the name `sops` (a symlink or copy).
pub fn invoked_as_sops(argv0: Option<&OsStr>) -> bool {
    argv0
        .and_then(|a| Path::new(a).file_stem())
        .is_some_and(|stem| stem == "sops")
}

/// The text `--version` prints. `check_for_updates` adds a line saying no check is made: the
/// program never goes online.
pub fn text(as_sops: bool, check_for_updates: bool) -> String {
    let ours = env!("CARGO_PKG_VERSION");
    let mut out = if as_sops {
        format!("sops {SOPS_COMPATIBLE} (secret {ours})\n")
    } else {
        format!("secret {ours} (sops {SOPS_COMPATIBLE} compatible)\n")
    };
    if check_for_updates {
        out.push_str("[info] secret works offline: it does not check for newer versions\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_decides_the_first_word() {
        assert!(invoked_as_sops(Some(OsStr::new("/usr/local/bin/sops"))));
        assert!(invoked_as_sops(Some(OsStr::new("./sops"))));
        assert!(invoked_as_sops(Some(OsStr::new("sops.exe"))));
        assert!(!invoked_as_sops(Some(OsStr::new("/usr/bin/secret"))));
        assert!(!invoked_as_sops(Some(OsStr::new("sopsy"))));
        assert!(!invoked_as_sops(None));
        assert!(text(true, false).starts_with(&format!("sops {SOPS_COMPATIBLE} (secret ")));
        assert!(text(false, false).starts_with(&format!("secret {}", env!("CARGO_PKG_VERSION"))));
        assert_eq!(text(false, true).lines().count(), 2);
    }
}
