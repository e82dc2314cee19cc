//! Starting the command of `exec-env` without `std::process::Command` where no feature needs
//! it: the environment is built once as the `envp` array `execve` takes and the shell is
//! started with `posix_spawn` (or replaces secret, with `--same-process`).
//!
//! Why: when any variable is set, `Command` copies the whole environment into a sorted map
//! and back into an array; with 5,000 decrypted variables that was 17 M of an `exec-env`
//! run's 60 M instructions. The environment is the one sops gives (Go's `os/exec`): the
//! parent's variables in their order, without those the file sets, then the file's, in file
//! order; only the file's with `--pristine`.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// A NUL-terminated array of NUL-terminated strings (`argv`, `envp`), and their storage.
pub(super) struct CArray {
    /// Every string with its NUL, one after the other: only read through `pointers`, kept
    /// here so that they stay valid.
    _text: Vec<u8>,
    /// Pointers into `_text`, then a null pointer.
    pointers: Vec<*const libc::c_char>,
}

impl CArray {
    /// The array of `items`, each given as the parts that are joined to make it. None of the
    /// parts may hold a NUL byte (see [`CArray::of_words`] for words that might).
    fn new<'a, I, P>(items: I) -> CArray
    where
        I: IntoIterator<Item = P>,
        P: IntoIterator<Item = &'a [u8]>,
    {
        let mut text = Vec::new();
        let mut starts = Vec::new();
        for parts in items {
            starts.push(text.len());
            for part in parts {
                text.extend_from_slice(part);
            }
            text.push(0);
        }
        // The pointers are taken once `text` no longer grows (and moves).
        let base = text.as_ptr();
        let mut pointers: Vec<*const libc::c_char> = starts
            .into_iter()
            // SAFETY: every start is an offset inside `text`.
            .map(|start| unsafe { base.add(start) }.cast())
            .collect();
        pointers.push(std::ptr::null());
        CArray {
            _text: text,
            pointers,
        }
    }

    /// `words` as an `argv`; a word holding a NUL byte is an error, as for `Command`.
    pub(super) fn of_words(words: &[&str]) -> std::io::Result<CArray> {
        if words.iter().any(|w| w.contains('\0')) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "nul byte found in provided data",
            ));
        }
        Ok(CArray::new(words.iter().map(|w| [w.as_bytes()])))
    }

    /// The environment for the command: `vars` over the current environment (whose entries
    /// of the same names are left out), or only `vars` when `pristine`. The names and values
    /// are those [`super::environment`] checked: no NUL, no `=` in a name.
    pub(super) fn environment(vars: &[(String, Vec<u8>)], pristine: bool) -> CArray {
        let parent: Vec<(std::ffi::OsString, std::ffi::OsString)> = if pristine {
            Vec::new()
        } else {
            let ours: HashSet<&[u8]> = vars.iter().map(|(k, _)| k.as_bytes()).collect();
            std::env::vars_os()
                .filter(|(k, _)| !ours.contains(k.as_bytes()))
                .collect()
        };
        fn entry<'a>(k: &'a [u8], v: &'a [u8]) -> [&'a [u8]; 3] {
            [k, b"=", v]
        }
        let inherited = parent
            .iter()
            .map(|(k, v)| entry(OsStr::as_bytes(k), OsStr::as_bytes(v)));
        let set = vars.iter().map(|(k, v)| entry(k.as_bytes(), v));
        // Byte strings of the parent environment never hold NUL bytes.
        CArray::new(inherited.chain(set))
    }

    fn as_ptr(&self) -> *const *const libc::c_char {
        self.pointers.as_ptr()
    }

    /// The strings, read back through the pointers (for tests).
    #[cfg(test)]
    fn strings(&self) -> Vec<&[u8]> {
        let items = &self.pointers[..self.pointers.len() - 1];
        // SAFETY: every pointer but the last points to a NUL-terminated string in `_text`.
        items
            .iter()
            .map(|&p| unsafe { std::ffi::CStr::from_ptr(p) }.to_bytes())
            .collect()
    }
}

/// Restores, for the child, what a process started by `Command` gets: no blocked signals and
/// the default action for SIGPIPE (which Rust programs ignore).
fn signal_attributes() -> std::io::Result<SpawnAttr> {
    // SAFETY: posix_spawnattr_* on a zeroed attribute object that is initialised first; the
    // sigset functions on local sets.
    unsafe {
        let mut attr = SpawnAttr(std::mem::zeroed());
        check(libc::posix_spawnattr_init(&mut attr.0))?;
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        check(libc::posix_spawnattr_setsigmask(&mut attr.0, &none))?;
        let mut pipe: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut pipe);
        libc::sigaddset(&mut pipe, libc::SIGPIPE);
        check(libc::posix_spawnattr_setsigdefault(&mut attr.0, &pipe))?;
        let flags = libc::POSIX_SPAWN_SETSIGMASK | libc::POSIX_SPAWN_SETSIGDEF;
        check(libc::posix_spawnattr_setflags(&mut attr.0, flags as _))?;
        Ok(attr)
    }
}

/// A `posix_spawnattr_t`, destroyed when dropped.
struct SpawnAttr(libc::posix_spawnattr_t);

impl Drop for SpawnAttr {
    fn drop(&mut self) {
        // SAFETY: initialised by signal_attributes.
        unsafe {
            libc::posix_spawnattr_destroy(&mut self.0);
        }
    }
}

/// A `posix_spawn*` result (an error number, not -1 and errno) as an `io::Result`.
fn check(rc: libc::c_int) -> std::io::Result<()> {
    match rc {
        0 => Ok(()),
        n => Err(std::io::Error::from_raw_os_error(n)),
    }
}

/// Starts `argv[0]` (a path: no PATH search) with `argv` and `envp`, with secret's stdin,
/// stdout and stderr; returns its process id.
pub(super) fn spawn(argv: &CArray, envp: &CArray) -> std::io::Result<libc::pid_t> {
    let attr = signal_attributes()?;
    let mut pid: libc::pid_t = 0;
    // SAFETY: both arrays are NUL-terminated arrays of NUL-terminated strings that live
    // until the call returns (posix_spawn copies nothing after it returns).
    check(unsafe {
        libc::posix_spawn(
            &mut pid,
            *argv.pointers.first().expect("argv has a program"),
            std::ptr::null(),
            &attr.0,
            argv.as_ptr().cast(),
            envp.as_ptr().cast(),
        )
    })?;
    Ok(pid)
}

/// Replaces secret with `argv[0]` (`--same-process`); returns only on failure.
pub(super) fn exec(argv: &CArray, envp: &CArray) -> std::io::Error {
    // SAFETY: sigprocmask and signal on this process, then execve with NUL-terminated
    // arrays; the same resets as for a spawned child (see signal_attributes).
    unsafe {
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::execve(
            *argv.pointers.first().expect("argv has a program"),
            argv.as_ptr(),
            envp.as_ptr(),
        );
    }
    std::io::Error::last_os_error()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn argv_is_the_words_in_order() {
        let argv = CArray::of_words(&["/bin/sh", "-c", "echo 'a b'"]).unwrap();
        assert_eq!(
            argv.strings(),
            [&b"/bin/sh"[..], &b"-c"[..], &b"echo 'a b'"[..]]
        );
        assert_eq!(*argv.pointers.last().unwrap(), std::ptr::null());
        let err = CArray::of_words(&["/bin/sh", "a\0b"]).err().unwrap();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    }

    #[test]
    fn pristine_environment_is_exactly_ours_in_order() {
        let env = CArray::environment(&vars(&[("B", "2"), ("A", "x=y\nz"), ("E", "")]), true);
        assert_eq!(env.strings(), [&b"B=2"[..], &b"A=x=y\nz"[..], &b"E="[..]]);
    }

    #[test]
    fn ours_replace_the_parents_of_the_same_name_and_come_last() {
        // The test process' own environment: every name, one of them overridden.
        let parent: Vec<(Vec<u8>, Vec<u8>)> = std::env::vars_os()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect();
        let (taken, _) = parent.first().expect("tests run with an environment");
        let taken = String::from_utf8(taken.clone()).unwrap();
        let ours = vars(&[("SECRET_SPAWN_TEST_NEW", "1"), (&taken, "ours")]);
        let env = CArray::environment(&ours, false);
        let mut expect: Vec<Vec<u8>> = parent
            .iter()
            .filter(|(k, _)| k != taken.as_bytes())
            .map(|(k, v)| [&k[..], b"=", v].concat())
            .collect();
        expect.push(b"SECRET_SPAWN_TEST_NEW=1".to_vec());
        expect.push(format!("{taken}=ours").into_bytes());
        assert_eq!(env.strings(), expect);
    }
}
