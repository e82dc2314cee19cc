//! What the commands that run other programs share: catching signals (and passing them on to
//! the child), private temporary directories for plaintext, the edit lock and `--user`.

use crate::error::{Code, Error, Result};
use std::ffi::CString;
use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};

/// The first of the caught signals that arrived (0: none).
static CAUGHT: AtomicI32 = AtomicI32::new(0);
/// The child to pass signals on to (0: none).
static CHILD: AtomicI32 = AtomicI32::new(0);

/// The signals that end a run: caught so that plaintext is removed before exiting.
const CAUGHT_SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

extern "C" fn on_signal(sig: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    let _ = CAUGHT.compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst);
    // A signal the terminal raised (Ctrl-C, hang-up) already went to the whole foreground
    // process group, child included; passing it on again would deliver it twice (many
    // programs treat a second Ctrl-C as "quit now"). Only signals sent by a process
    // (`kill`, a supervisor: si_code <= 0) are passed on.
    // SAFETY: the kernel hands a valid siginfo_t to an SA_SIGINFO handler.
    let sent_by_process = info.is_null() || unsafe { (*info).si_code } <= 0;
    let pid = CHILD.load(Ordering::SeqCst);
    if pid > 0 && sent_by_process {
        // SAFETY: kill is async-signal-safe.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}

/// While alive, SIGINT, SIGTERM and SIGHUP are caught instead of killing the process: they
/// are recorded (see [`caught`]) and passed on to the registered child. Dropping it restores
/// the previous handlers.
pub struct SignalGuard {
    previous: Vec<(libc::c_int, libc::sigaction)>,
}

impl SignalGuard {
    /// Starts catching.
    pub fn install() -> SignalGuard {
        let mut previous = Vec::new();
        for sig in CAUGHT_SIGNALS {
            // SAFETY: plain sigaction calls with zeroed, then filled, structs; the handler
            // only touches atomics and calls kill.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_signal as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
                libc::sigemptyset(&mut action.sa_mask);
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, &action, &mut old) == 0 {
                    previous.push((sig, old));
                }
            }
        }
        SignalGuard { previous }
    }
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        for (sig, old) in &self.previous {
            // SAFETY: restores the action saved by install.
            unsafe {
                libc::sigaction(*sig, old, std::ptr::null_mut());
            }
        }
    }
}

/// The signal caught since [`SignalGuard::install`], if any.
pub fn caught() -> Option<i32> {
    match CAUGHT.load(Ordering::SeqCst) {
        0 => None,
        n => Some(n),
    }
}

/// The conventional exit code of a run ended by signal `sig`.
pub fn signal_exit_code(sig: i32) -> i32 {
    128 + sig
}

/// Runs `child` to its end with caught signals passed on to it; returns its exit code
/// (128+n when a signal ended it, as shells report it).
pub fn wait_forwarding(child: &mut std::process::Child) -> Result<i32> {
    CHILD.store(child.id() as i32, Ordering::SeqCst);
    // A signal that arrived between spawn and registration was not passed on yet.
    if let Some(sig) = caught() {
        // SAFETY: signalling our own child.
        unsafe {
            libc::kill(child.id() as i32, sig);
        }
    }
    let status = child.wait();
    CHILD.store(0, Ordering::SeqCst);
    let status = status.map_err(|e| Error::new(Code::Generic, format!("cannot wait: {e}")))?;
    use std::os::unix::process::ExitStatusExt;
    Ok(match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(sig)) => signal_exit_code(sig),
        (None, None) => 1,
    })
}

/// A fresh directory only the current user can enter (0700), for plaintext that must touch a
/// file system. Prefers memory-backed file systems: `$XDG_RUNTIME_DIR`, then `/dev/shm`, then
/// the system temp directory (`$TMPDIR`). Removed with everything in it when dropped, which
/// also happens on errors and panics (unwinding).
pub struct PrivateDir {
    dir: Option<tempfile::TempDir>,
}

impl PrivateDir {
    /// Makes the directory.
    pub fn new() -> Result<PrivateDir> {
        let fail = |e: std::io::Error| {
            Error::new(
                Code::CouldNotWriteOutputFile,
                format!("cannot create a private temporary directory: {e}"),
            )
        };
        let base = private_base();
        let dir = tempfile::Builder::new()
            .prefix("secret-")
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir_in(&base)
            .map_err(fail)?;
        // Belt and braces: the umask cannot widen 0700, but make the mode explicit anyway.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
            .map_err(fail)?;
        Ok(PrivateDir { dir: Some(dir) })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.as_ref().expect("present until dropped").path()
    }

    /// Creates `name` in the directory, mode 0600, with `content`.
    pub fn write_file(&self, name: &std::ffi::OsStr, content: &[u8]) -> Result<PathBuf> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let path = self.path().join(name);
        let fail = |e: std::io::Error| {
            Error::new(
                Code::CouldNotWriteOutputFile,
                format!("cannot write the temporary file: {e}"),
            )
        };
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(fail)?;
        file.write_all(content).map_err(fail)?;
        Ok(path)
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            let path = dir.path().to_path_buf();
            if dir.close().is_err() && path.exists() {
                eprintln!(
                    "secret: warning: could not remove {}; it may hold plaintext: delete it",
                    path.display()
                );
            }
        }
    }
}

/// Where private directories go (see [`PrivateDir`]).
fn private_base() -> PathBuf {
    let usable = |p: &Path| {
        std::fs::metadata(p)
            .map(|m| m.is_dir() && m.permissions().mode() & 0o200 != 0)
            .unwrap_or(false)
    };
    if let Some(xdg) = std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()) {
        let xdg = PathBuf::from(xdg);
        if usable(&xdg) {
            return xdg;
        }
    }
    let shm = Path::new("/dev/shm");
    if usable(shm) {
        return shm.to_path_buf();
    }
    std::env::temp_dir()
}

/// An advisory lock that keeps two `secret edit`/`set`/`unset` runs off the same file: an
/// exclusive `flock` on the file itself, or, for a file that does not exist yet, on its
/// directory. Released when dropped (or when the process ends, however it ends).
pub struct EditLock {
    _file: File,
}

impl EditLock {
    /// Takes the lock or fails at once with a message saying why.
    pub fn acquire(path: &Path) -> Result<EditLock> {
        let target = if path.exists() {
            path.to_path_buf()
        } else {
            match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            }
        };
        let file = File::open(&target).map_err(|e| {
            Error::new(
                Code::CouldNotReadInputFile,
                format!("{}: cannot open: {e}", target.display()),
            )
        })?;
        use std::os::fd::AsRawFd;
        // SAFETY: flock on a file descriptor we own.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
            let message = if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
                format!(
                    "{} is being changed by another secret process (edit, set or unset); \
                     try again when it has finished",
                    path.display()
                )
            } else {
                format!("{}: cannot lock: {err}", path.display())
            };
            return Err(Error::new(Code::Generic, message));
        }
        Ok(EditLock { _file: file })
    }
}

/// A user to run a command as (`--user`).
#[derive(Debug, Clone)]
pub struct RunAs {
    pub name: CString,
    pub uid: libc::uid_t,
    pub gid: libc::gid_t,
    /// The user's home directory from the password database.
    pub home: std::ffi::OsString,
}

impl RunAs {
    /// Looks the user up in the password database.
    pub fn lookup(name: &str) -> Result<RunAs> {
        let cname = CString::new(name)
            .map_err(|_| Error::new(Code::Generic, format!("invalid user name {name:?}")))?;
        let mut buf = vec![0 as libc::c_char; 16384];
        // SAFETY: getpwnam_r fills pwd using buf; result points to pwd or is null.
        let (rc, found, uid, gid, home) = unsafe {
            let mut pwd: libc::passwd = std::mem::zeroed();
            let mut result: *mut libc::passwd = std::ptr::null_mut();
            let rc = libc::getpwnam_r(
                cname.as_ptr(),
                &mut pwd,
                buf.as_mut_ptr(),
                buf.len(),
                &mut result,
            );
            let home = if result.is_null() || pwd.pw_dir.is_null() {
                Vec::new()
            } else {
                std::ffi::CStr::from_ptr(pwd.pw_dir).to_bytes().to_vec()
            };
            (rc, !result.is_null(), pwd.pw_uid, pwd.pw_gid, home)
        };
        if rc != 0 || !found {
            return Err(Error::new(Code::Generic, format!("no such user: {name}")));
        }
        Ok(RunAs {
            name: cname,
            uid,
            gid,
            home: std::os::unix::ffi::OsStringExt::from_vec(home),
        })
    }

    /// Makes `cmd` switch to this user (supplementary groups, group, then user) before it
    /// runs, with `HOME`, `USER` and `LOGNAME` naming that user as sops 3.13 sets them (over
    /// decrypted values of those names). Unlike sops 3.11, the group is the user's own
    /// group, not its uid.
    pub fn apply(&self, cmd: &mut std::process::Command) {
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::process::CommandExt;
        let name = std::ffi::OsStr::from_bytes(self.name.as_bytes());
        cmd.env("HOME", &self.home)
            .env("USER", name)
            .env("LOGNAME", name);
        let me = self.clone();
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                if libc::initgroups(me.name.as_ptr(), me.gid as _) != 0
                    || libc::setgid(me.gid) != 0
                    || libc::setuid(me.uid) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }

    /// Gives `path` to this user (so the command can read a file made for it).
    pub fn chown(&self, path: &Path) -> Result<()> {
        std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid)).map_err(|e| {
            Error::new(
                Code::Generic,
                format!("{}: cannot change owner: {e}", path.display()),
            )
        })
    }
}

/// Whether standard input is a terminal.
pub fn stdin_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal()
}

/// Waits for one line on standard input (interactive prompts) while watching for caught
/// signals; `Err(signal)` when one arrived, `Ok(false)` at end of input.
pub fn wait_for_enter() -> std::result::Result<bool, i32> {
    loop {
        if let Some(sig) = caught() {
            return Err(sig);
        }
        let mut fds = libc::pollfd {
            fd: 0,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: poll on one valid pollfd.
        let ready = unsafe { libc::poll(&mut fds, 1, 100) };
        if ready <= 0 {
            continue;
        }
        let mut byte = [0u8; 1];
        // Read byte by byte so nothing typed after the newline is swallowed.
        loop {
            // SAFETY: reading into a 1-byte buffer.
            let n = unsafe { libc::read(0, byte.as_mut_ptr().cast(), 1) };
            if n == 0 {
                return Ok(false);
            }
            if n < 0 {
                if let Some(sig) = caught() {
                    return Err(sig);
                }
                if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Ok(false);
            }
            if byte[0] == b'\n' {
                return Ok(true);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_dir_is_0700_and_removed_on_drop() {
        let dir = PrivateDir::new().unwrap();
        let path = dir.path().to_path_buf();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let file = dir.write_file("x.json".as_ref(), b"{}").unwrap();
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        drop(dir);
        assert!(!path.exists());
    }

    #[test]
    fn second_lock_on_the_same_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.json");
        std::fs::write(&file, "{}").unwrap();
        let first = EditLock::acquire(&file).unwrap();
        let err = EditLock::acquire(&file).err().expect("second lock refused");
        assert!(err.message.contains("another secret process"), "{err}");
        drop(first);
        EditLock::acquire(&file).unwrap();
        // A missing file locks its directory.
        let _dir_lock = EditLock::acquire(&dir.path().join("new.json")).unwrap();
        assert!(EditLock::acquire(&dir.path().join("other.json")).is_err());
    }

    #[test]
    fn unknown_user_is_an_error() {
        assert!(RunAs::lookup("no-such-user-secret-test").is_err());
        assert_eq!(RunAs::lookup("root").unwrap().uid, 0);
    }
}
