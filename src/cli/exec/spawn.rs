//! Starting the command of `exec-env` without `std::process::Command` where no feature needs
//! it: the environment is built once as the `envp` array `execve` takes and the program (see
//! [`super::direct`]) or the shell is started with `posix_spawn` (or replaces secret, with
//! `--same-process`).
//!
//! Why: when any variable is set, `Command` copies the whole environment into a sorted map
//! and back into an array; with 5,000 decrypted variables that was 17 M of an `exec-env`
//! run's 60 M instructions. The environment is the one sops gives (Go's `os/exec`): the
//! parent's variables in their order, without those the file sets, then the file's, in file
//! order; only the file's with `--pristine`.

use super::{direct, Vars};
use crate::hash::FastSet;
use std::ffi::{CStr, CString, OsString};
use std::os::unix::ffi::OsStrExt;
use zeroize::Zeroizing;

/// The parent's variables the command inherits: all of them but those `vars` sets, or none
/// with `pristine`.
pub(super) fn inherited(vars: &Vars, pristine: bool) -> Vec<(OsString, OsString)> {
    if pristine {
        return Vec::new();
    }
    let parent: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    // The parent's names go in a set and ours are looked up in it, not the other way round:
    // a parent has a few dozen variables where a file may have thousands, and a look-up
    // costs less than an insert.
    let names: FastSet<&[u8]> = parent.iter().map(|(name, _)| name.as_bytes()).collect();
    let overridden: FastSet<&[u8]> = (vars.iter())
        .map(|(name, _)| name.as_bytes())
        .filter(|name| names.contains(name))
        .collect();
    drop(names);
    (parent.into_iter())
        .filter(|(name, _)| !overridden.contains(name.as_bytes()))
        .collect()
}

/// The command's environment as (name, value): the inherited variables in their order, then
/// `vars` in theirs.
pub(super) fn entries<'a>(
    inherited: &'a [(OsString, OsString)],
    vars: &'a Vars,
) -> Vec<(&'a [u8], &'a [u8])> {
    let parent = inherited.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes()));
    let ours = vars.iter().map(|(k, v)| (k.as_bytes(), &v[..]));
    parent.chain(ours).collect()
}

/// The shell that runs the command line, as in sops.
pub(super) const SHELL: &str = "/bin/sh";

/// A command line ready to start: as the program it names, when [`direct`] finds that the
/// shell would do only that, else with the shell (also when the program fails to start).
pub(super) struct Launch {
    direct: Option<(CString, CArray)>,
    shell: CArray,
    envp: CArray,
}

impl Launch {
    /// `command` (a shell command line) with the environment `env`.
    pub(super) fn new(command: &str, env: Vec<(&[u8], &[u8])>) -> std::io::Result<Launch> {
        let shell = CArray::of_words(&[SHELL, "-c", command])?;
        let words = direct::simple_words(command);
        let plan = words.as_ref().and_then(|w| direct::plan(w, &env));
        // The shell's PWD, borrowed by `env` (which it outlives) until `envp` copies it.
        let pwd;
        let mut env = env;
        let direct = match (words, plan) {
            (Some(words), Some(plan)) => {
                if let Some(path) = plan.pwd {
                    pwd = path;
                    env.retain(|(k, _)| *k != b"PWD");
                    env.push((b"PWD", &pwd));
                }
                Some((plan.program, CArray::of_words(&words)?))
            }
            _ => None,
        };
        let envp = CArray::environment(&env);
        Ok(Launch {
            direct,
            shell,
            envp,
        })
    }

    /// Starts the command; returns its process id.
    pub(super) fn spawn(&self) -> std::io::Result<libc::pid_t> {
        if let Some((program, argv)) = &self.direct {
            if let Ok(pid) = spawn(program, argv, &self.envp) {
                return Ok(pid);
            }
        }
        spawn(self.shell.program(), &self.shell, &self.envp)
    }

    /// Replaces secret with the command (`--same-process`); returns only on failure.
    pub(super) fn exec(&self) -> std::io::Error {
        if let Some((program, argv)) = &self.direct {
            exec(program, argv, &self.envp);
        }
        exec(self.shell.program(), &self.shell, &self.envp)
    }
}

/// A NUL-terminated array of NUL-terminated strings (`argv`, `envp`), and their storage.
pub(super) struct CArray {
    /// Every string with its NUL, one after the other: only read through `pointers`, kept
    /// here so that they stay valid; wiped when dropped (an `envp` holds the secrets).
    _text: Zeroizing<Vec<u8>>,
    /// Pointers into `_text`, then a null pointer.
    pointers: Vec<*const libc::c_char>,
}

impl CArray {
    /// The array of `items`, each given as the parts that are joined to make it, `bytes`
    /// long in all with their NULs (exact: the text is allocated once and never moved, so no
    /// copy is left behind, and the pointers are taken as it is written). None of the parts
    /// may hold a NUL byte (see [`CArray::of_words`] for words that might).
    fn new<'a, I, P>(items: I, bytes: usize) -> CArray
    where
        I: ExactSizeIterator<Item = P>,
        P: IntoIterator<Item = &'a [u8]>,
    {
        let mut text: Vec<u8> = Vec::with_capacity(bytes);
        let mut pointers: Vec<*const libc::c_char> = Vec::with_capacity(items.len() + 1);
        // Every byte is written through `base`, into the capacity reserved above: one copy
        // a part, where `extend_from_slice` checked the capacity for each (5,000 variables
        // are 15,000 parts).
        let base = text.as_mut_ptr();
        let mut len = 0;
        for parts in items {
            // SAFETY: `len <= bytes`, the capacity: the parts and NULs written so far.
            pointers.push(unsafe { base.add(len) }.cast_const().cast());
            for part in parts {
                assert!(
                    len + part.len() < bytes,
                    "the text's length was given exactly"
                );
                // SAFETY: `len + part.len()` is within the capacity (asserted), and a part
                // cannot overlap the new allocation.
                unsafe { std::ptr::copy_nonoverlapping(part.as_ptr(), base.add(len), part.len()) };
                len += part.len();
            }
            assert!(len < bytes, "the text's length was given exactly");
            // SAFETY: within the capacity (asserted).
            unsafe { base.add(len).write(0) };
            len += 1;
        }
        assert_eq!(len, bytes, "the text's length was given exactly");
        // SAFETY: the first `len` bytes were all written above.
        unsafe { text.set_len(len) };
        pointers.push(std::ptr::null());
        CArray {
            _text: Zeroizing::new(text),
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
        let bytes = words.iter().map(|w| w.len() + 1).sum();
        Ok(CArray::new(words.iter().map(|w| [w.as_bytes()]), bytes))
    }

    /// An `envp` of (name, value) pairs. The names and values are those
    /// [`super::environment`] checked or the parent's: no NUL, no `=` in a name.
    pub(super) fn environment(env: &[(&[u8], &[u8])]) -> CArray {
        let bytes = env.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
        CArray::new(env.iter().map(|(k, v)| [*k, b"=", *v]), bytes)
    }

    fn as_ptr(&self) -> *const *const libc::c_char {
        self.pointers.as_ptr()
    }

    /// The first string (`argv[0]`: the shell's path).
    fn program(&self) -> &CStr {
        // SAFETY: the first pointer points to a NUL-terminated string in `_text`.
        unsafe { CStr::from_ptr(*self.pointers.first().expect("argv has a program")) }
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

/// Starts `program` (a path: no PATH search) with `argv` and `envp`, with secret's stdin,
/// stdout and stderr; returns its process id.
fn spawn(program: &CStr, argv: &CArray, envp: &CArray) -> std::io::Result<libc::pid_t> {
    let attr = signal_attributes()?;
    let mut pid: libc::pid_t = 0;
    // SAFETY: both arrays are NUL-terminated arrays of NUL-terminated strings that live
    // until the call returns (posix_spawn copies nothing after it returns).
    check(unsafe {
        libc::posix_spawn(
            &mut pid,
            program.as_ptr(),
            std::ptr::null(),
            &attr.0,
            argv.as_ptr().cast(),
            envp.as_ptr().cast(),
        )
    })?;
    Ok(pid)
}

/// Replaces secret with `program` (`--same-process`); returns only on failure.
fn exec(program: &CStr, argv: &CArray, envp: &CArray) -> std::io::Error {
    // SAFETY: sigprocmask and signal on this process, then execve with NUL-terminated
    // arrays; the same resets as for a spawned child (see signal_attributes).
    unsafe {
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::execve(program.as_ptr(), argv.as_ptr(), envp.as_ptr());
    }
    std::io::Error::last_os_error()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `envp` for `vars`, as `exec-env` builds it.
    fn environment(vars: &Vars, pristine: bool) -> CArray {
        CArray::environment(&entries(&inherited(vars, pristine), vars))
    }

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), super::super::VarValue::Text((*v).into())))
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
        let env = environment(&vars(&[("B", "2"), ("A", "x=y\nz"), ("E", "")]), true);
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
        let env = environment(&ours, false);
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
