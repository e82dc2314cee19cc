//! Running a simple command line without the shell, when that cannot change what runs.
//!
//! sops runs the command of `exec-env` with `/bin/sh -c`. A shell imports every variable of
//! its environment before it runs anything: dash took 5.3 ms for 5,000 variables here (0.8
//! ms without them), more than decrypting that many values. A command line made only of
//! plain words (`terraform apply -auto-approve`) means to the shell: find the first word on
//! `PATH` and run it with the words. This module does that itself, under conditions that
//! make the result the same as the shell's:
//!
//! - every character is one the shell takes literally (no quoting, expansion, redirection,
//!   separator, comment or glob), and the first word is neither a reserved word nor a
//!   builtin of dash or bash, nor an assignment;
//! - every variable name is one the shell passes on (dash drops the others), and none is one
//!   the shell sets itself (`IFS`, `OPTIND`, `PPID`); `PWD` is set as the shell sets it;
//! - `PATH` is set and plain, and its first regular file of that name is executable.
//!
//! Anything else, and any failure to start the program, goes to the shell, which then gives
//! its own result or message (a script without `#!`, a command not found).

use std::ffi::{CString, OsStr};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// Bytes the shell takes literally inside an unquoted word.
fn literal(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_./:,+@%=".contains(&b)
}

/// Words the shell reads as reserved words or runs as builtins, in dash or bash (either may
/// be /bin/sh). A builtin can differ from the program of the same name (dash's `echo` reads
/// backslashes, `/usr/bin/echo` does not), so these go to the shell.
const SHELL_WORDS: &[&str] = &[
    // Reserved words.
    "case",
    "coproc",
    "do",
    "done",
    "elif",
    "else",
    "esac",
    "fi",
    "for",
    "function",
    "if",
    "in",
    "select",
    "then",
    "time",
    "until",
    "while",
    // Builtins.
    ".",
    ":",
    "alias",
    "bg",
    "bind",
    "break",
    "builtin",
    "caller",
    "cd",
    "chdir",
    "command",
    "compgen",
    "complete",
    "compopt",
    "continue",
    "declare",
    "dirs",
    "disown",
    "echo",
    "enable",
    "eval",
    "exec",
    "exit",
    "export",
    "false",
    "fc",
    "fg",
    "getopts",
    "hash",
    "help",
    "history",
    "jobs",
    "kill",
    "let",
    "local",
    "logout",
    "mapfile",
    "popd",
    "printf",
    "pushd",
    "pwd",
    "read",
    "readarray",
    "readonly",
    "return",
    "set",
    "shift",
    "shopt",
    "source",
    "suspend",
    "test",
    "times",
    "trap",
    "true",
    "type",
    "typeset",
    "ulimit",
    "umask",
    "unalias",
    "unset",
    "wait",
];

/// `true` and `false` alone do the same as a builtin and as a program: nothing, exiting 0
/// or 1. (With words after them they differ: `/usr/bin/true --help` prints help.)
const SAME_AS_PROGRAM: &[&str] = &["true", "false"];

/// The words of `line` when the shell would run it as one program with exactly those words.
pub(super) fn simple_words(line: &str) -> Option<Vec<&str>> {
    let blank = |b: u8| b == b' ' || b == b'\t';
    if !line.bytes().all(|b| literal(b) || blank(b)) {
        return None;
    }
    let words: Vec<&str> = line.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
    let first = *words.first()?;
    if first.contains('=') {
        return None;
    }
    let alone = words.len() == 1 && SAME_AS_PROGRAM.contains(&first);
    if SHELL_WORDS.contains(&first) && !alone {
        return None;
    }
    Some(words)
}

/// Whether the shell passes a variable of this name on to the programs it runs.
fn passed_on(name: &[u8]) -> bool {
    let start = matches!(name.first(), Some(b) if b.is_ascii_alphabetic() || *b == b'_');
    start && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// Whether the shell sets a variable of this name itself, whatever the environment holds.
fn set_by_shell(name: &[u8]) -> bool {
    matches!(name, b"IFS" | b"OPTIND" | b"PPID")
}

/// How to run a simple command line without the shell.
pub(super) struct Direct {
    /// The program found on `PATH` (or named by a path).
    pub program: CString,
    /// The `PWD` the shell would export, when the environment's is not it.
    pub pwd: Option<Vec<u8>>,
}

/// How to run `words` (from [`simple_words`]) with the environment `env` (name, value) as
/// the shell would, or `None` when only the shell can tell.
pub(super) fn plan(words: &[&str], env: &[(&[u8], &[u8])]) -> Option<Direct> {
    if env
        .iter()
        .any(|(name, _)| !passed_on(name) || set_by_shell(name))
    {
        return None;
    }
    let get = |key: &[u8]| env.iter().rev().find(|(k, _)| *k == key).map(|(_, v)| *v);
    let program = find(words[0], get(b"PATH")?)?;
    let pwd = shell_pwd(get(b"PWD"))?;
    Some(Direct {
        program: CString::new(program.into_os_string().into_vec()).ok()?,
        pwd,
    })
}

/// The program the shell runs for `name`: the name itself when it holds a `/`, else the
/// first regular file `dir/name` along `path` (an empty entry is the current directory).
/// `None` when that is not an executable file, or `path` holds dash's `%` entries.
fn find(name: &str, path: &[u8]) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    // One stat a candidate: a regular file, with the mode to check.
    let regular_file = |candidate: PathBuf| {
        let meta = std::fs::metadata(&candidate).ok()?;
        meta.is_file().then_some((candidate, meta))
    };
    let (found, meta) = if name.contains('/') {
        regular_file(PathBuf::from(name))?
    } else if path.contains(&b'%') {
        return None;
    } else {
        // Lazily: the search stops at the first regular file.
        path.split(|&b| b == b':')
            .map(|dir| match dir {
                b"" => Path::new(".").join(name),
                dir => Path::new(OsStr::from_bytes(dir)).join(name),
            })
            .find_map(regular_file)?
    };
    (meta.permissions().mode() & 0o111 != 0).then_some(found)
}

/// The `PWD` a shell exports: the environment's when it is an absolute name of the current
/// directory, else the current directory's path (`Some(None)`: the environment's is kept).
fn shell_pwd(current: Option<&[u8]>) -> Option<Option<Vec<u8>>> {
    use std::os::unix::fs::MetadataExt;
    let here = std::fs::metadata(".").ok()?;
    let same = |p: &[u8]| {
        p.first() == Some(&b'/')
            && std::fs::metadata(OsStr::from_bytes(p))
                .is_ok_and(|m| m.dev() == here.dev() && m.ino() == here.ino())
    };
    match current {
        Some(p) if same(p) => Some(None),
        _ => {
            let cwd = std::env::current_dir().ok()?;
            Some(Some(cwd.into_os_string().into_vec()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_are_split_on_blanks() {
        assert_eq!(
            simple_words(" terraform\tapply  -var=a:b,c ./x@1 "),
            Some(vec!["terraform", "apply", "-var=a:b,c", "./x@1"])
        );
        assert_eq!(simple_words("true"), Some(vec!["true"]));
        assert_eq!(
            simple_words("/usr/bin/env -0"),
            Some(vec!["/usr/bin/env", "-0"])
        );
    }

    #[test]
    fn anything_the_shell_reads_goes_to_the_shell() {
        for line in [
            "",
            "  ",
            "echo a",
            "exec env",
            "cd /",
            ". ./x",
            "true --help",
            "false x",
            "FOO=1 env",
            "env $HOME",
            "env 'a b'",
            "env \"a\"",
            "env a\\ b",
            "env *",
            "env ~",
            "env a;b",
            "env a|b",
            "env a&",
            "env >x",
            "env <x",
            "env # c",
            "env\nenv",
            "env `x`",
            "env (x)",
            "{ env; }",
            "! env",
            "env [a]",
            "env a?",
            "time env",
            "if",
            "env é",
        ] {
            assert_eq!(simple_words(line), None, "{line:?}");
        }
    }

    #[test]
    fn names_the_shell_would_drop_or_set_go_to_the_shell() {
        let words = ["sh"];
        let path: (&[u8], &[u8]) = (b"PATH", b"/bin:/usr/bin");
        assert!(plan(&words, &[path, (b"KEY_1", b"v")]).is_some());
        for name in [
            &b"my-key"[..],
            b"1X",
            b"a.b",
            b"",
            b"IFS",
            b"OPTIND",
            b"PPID",
        ] {
            assert!(plan(&words, &[path, (name, b"v")]).is_none(), "{name:?}");
        }
        // No PATH: the shell's own default.
        assert!(plan(&words, &[(b"KEY_1", b"v")]).is_none());
    }

    #[test]
    fn the_first_regular_executable_file_on_path_is_run() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            dir.path().join("a"),
            dir.path().join("b"),
            dir.path().join("c"),
        );
        for d in [&a, &b, &c] {
            std::fs::create_dir(d).unwrap();
        }
        // a/tool is a directory (skipped), b/tool a program, c/tool another one.
        std::fs::create_dir(a.join("tool")).unwrap();
        for d in [&b, &c] {
            std::fs::write(d.join("tool"), "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(d.join("tool"), PermissionsExt::from_mode(0o755)).unwrap();
        }
        let path = [&a, &b, &c].map(|d| d.to_str().unwrap()).join(":");
        assert_eq!(find("tool", path.as_bytes()), Some(b.join("tool")));
        // Not executable: the shell decides what to do (and says why).
        std::fs::set_permissions(b.join("tool"), PermissionsExt::from_mode(0o644)).unwrap();
        assert_eq!(find("tool", path.as_bytes()), None);
        assert_eq!(find("missing", path.as_bytes()), None);
        assert_eq!(
            find("tool", format!("{}%builtin", c.display()).as_bytes()),
            None
        );
        let named = c.join("tool");
        assert_eq!(find(named.to_str().unwrap(), b""), Some(named.clone()));
    }

    #[test]
    fn pwd_is_kept_only_when_it_names_the_current_directory() {
        let cwd = std::env::current_dir().unwrap().into_os_string().into_vec();
        assert_eq!(shell_pwd(Some(&cwd)), Some(None));
        for wrong in [&b"/"[..], b"relative", b"/no/such/dir"] {
            assert_eq!(shell_pwd(Some(wrong)), Some(Some(cwd.clone())), "{wrong:?}");
        }
        assert_eq!(shell_pwd(None), Some(Some(cwd)));
    }
}
