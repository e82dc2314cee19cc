//! What the commands that run other programs share: catching signals (and passing them on to
//! the child), private temporary directories for plaintext, the edit lock and `--user`.

use crate::error::{Code, Error, Result};
use std::ffi::CString;
use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};

/// The caught signals that arrived, one bit per signal number.
static CAUGHT: AtomicU32 = AtomicU32::new(0);
/// The last caught signal that another process sent (0: none), i.e. one that was passed on.
static SENT: AtomicI32 = AtomicI32::new(0);
/// The child to pass signals on to (0: none).
static CHILD: AtomicI32 = AtomicI32::new(0);

/// The signals that end a run: caught so that plaintext is removed before exiting.
const CAUGHT_SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

extern "C" fn on_signal(sig: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    CAUGHT.fetch_or(1 << sig, Ordering::SeqCst);
    // A signal the terminal raised (Ctrl-C, hang-up) already went to the whole foreground
    // process group, child included; passing it on again would deliver it twice (many
    // programs treat a second Ctrl-C as "quit now"). Only signals sent by a process
    // (`kill`, a supervisor: si_code <= 0) are passed on.
    // SAFETY: the kernel hands a valid siginfo_t to an SA_SIGINFO handler.
    let sent_by_process = info.is_null() || unsafe { (*info).si_code } <= 0;
    if sent_by_process {
        SENT.store(sig, Ordering::SeqCst);
    }
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

/// A signal caught since [`SignalGuard::install`] (and not forgotten), if any: SIGTERM before
/// SIGHUP before SIGINT.
pub fn caught() -> Option<i32> {
    let set = CAUGHT.load(Ordering::SeqCst);
    [libc::SIGTERM, libc::SIGHUP, libc::SIGINT]
        .into_iter()
        .find(|sig| set & (1 << sig) != 0)
}

/// Forgets that `sig` was caught (for a signal that turned out not to end the run).
pub fn forget(sig: i32) {
    CAUGHT.fetch_and(!(1 << sig), Ordering::SeqCst);
}

/// The conventional exit code of a run ended by signal `sig`.
pub fn signal_exit_code(sig: i32) -> i32 {
    128 + sig
}

/// Runs the child `pid` to its end with caught signals passed on to it; returns its exit
/// code (128+n when a signal ended it, as shells report it).
pub fn wait_forwarding(pid: libc::pid_t) -> Result<i32> {
    CHILD.store(pid, Ordering::SeqCst);
    // A signal that arrived between spawn and registration was not passed on yet.
    if let Some(sig) = caught() {
        // SAFETY: signalling our own child.
        unsafe {
            libc::kill(pid, sig);
        }
    }
    let mut status: libc::c_int = 0;
    let waited = loop {
        // SAFETY: waitpid on our own child, into a local.
        if unsafe { libc::waitpid(pid, &mut status, 0) } == pid {
            break Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            break Err(e);
        }
    };
    CHILD.store(0, Ordering::SeqCst);
    waited.map_err(|e| Error::new(Code::Generic, format!("cannot wait: {e}")))?;
    Ok(if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else if libc::WIFSIGNALED(status) {
        signal_exit_code(libc::WTERMSIG(status))
    } else {
        1
    })
}

/// Makes this process the reaper of the processes its children leave behind (Linux'
/// `PR_SET_CHILD_SUBREAPER`): when a signal makes a command's shell exit, what the shell had
/// started is not lost to init but can be given the signal too (see [`end_orphans`]).
pub fn adopt_orphans() {
    // SAFETY: prctl with integer arguments; failing leaves the default, init, as reaper.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }
}

/// After the command ended because of a signal that was passed on to it: passes the signal on
/// to what the command left running (the processes [`adopt_orphans`] made ours), so that no
/// process holding the secrets outlives the command because its shell did not pass the signal
/// on, then reaps those that end within a moment.
pub fn end_orphans() {
    let sig = SENT.load(Ordering::SeqCst);
    if sig == 0 {
        return;
    }
    let orphans = children();
    for &pid in &orphans {
        // SAFETY: signalling our own children.
        unsafe {
            libc::kill(pid, sig);
        }
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(500);
    let mut left = orphans;
    while !left.is_empty() && std::time::Instant::now() < deadline {
        // SAFETY: non-blocking waitpid on our own children.
        left.retain(|&pid| unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) } == 0);
        if !left.is_empty() {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

/// This process' children, as the kernel lists them per thread.
fn children() -> Vec<libc::pid_t> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|text| {
            text.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<libc::pid_t>>()
        })
        .collect()
}

/// A fresh directory only the current user can enter (0700), for plaintext that must touch a
/// file system. Prefers memory-backed file systems: `$XDG_RUNTIME_DIR`, then `/dev/shm`, then
/// the system temp directory (`$TMPDIR`). Removed with everything in it when dropped, which
/// also happens on errors and panics (unwinding).
///
/// Its name says which process owns it (`secret-<pid namespace>.<pid>-<random>`), so that
/// what a SIGKILLed run left behind is removed by the next run that makes one.
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
        let owner = owner_tag(std::process::id());
        remove_orphans(&base, &owner);
        let dir = tempfile::Builder::new()
            .prefix(&format!("secret-{owner}-"))
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

/// The owner part of a private directory's name: the PID namespace (so that runs in other
/// containers sharing the directory are never taken for dead) and the process id.
fn owner_tag(pid: u32) -> String {
    format!("{}.{pid}", pid_namespace())
}

/// This process' PID namespace as the kernel numbers it (0 where that is not known).
fn pid_namespace() -> u64 {
    std::fs::read_link("/proc/self/ns/pid")
        .ok()
        .and_then(|l| {
            let l = l.to_string_lossy().into_owned();
            l.strip_prefix("pid:[")?.strip_suffix(']')?.parse().ok()
        })
        .unwrap_or(0)
}

/// Removes the private directories in `base` that belong to this user and to a process of
/// this PID namespace that no longer exists: only a SIGKILL (or a crash of the machine's
/// power) leaves them, with plaintext inside. One directory listing, done only by commands
/// that make a private directory.
fn remove_orphans(base: &Path, own: &str) {
    use std::os::unix::fs::MetadataExt;
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    let namespace = own.split('.').next().unwrap_or_default();
    // SAFETY: geteuid cannot fail.
    let me = unsafe { libc::geteuid() };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("secret-")?.split_once('-'))
            .and_then(|(owner, _)| owner.strip_prefix(namespace)?.strip_prefix('.'))
            .and_then(|pid| pid.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        // Never follow a link, never touch another user's directory.
        let ours = std::fs::symlink_metadata(entry.path())
            .map(|m| m.is_dir() && m.uid() == me)
            .unwrap_or(false);
        if ours && pid > 0 && !process_exists(pid) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether process `pid` exists (signal 0 asks without sending anything).
fn process_exists(pid: libc::pid_t) -> bool {
    // SAFETY: kill with signal 0 only checks.
    let alive = unsafe { libc::kill(pid, 0) } == 0;
    // EPERM: it exists, as another user's.
    alive || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
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

/// An advisory lock that keeps two `secret` runs from changing the same file at once (edit,
/// set, unset, updatekeys, groups, and encrypt/decrypt/rotate with `-i`): an exclusive
/// `flock` on the file a path names (symbolic links followed), or, for a file that does not
/// exist yet, on its directory. Released when dropped (or when the process ends, however it
/// ends).
///
/// A writer replaces the file by renaming a new one over it, so a waiter may end up holding
/// the lock of a file that is no longer there: it then tries again on the new one. Whoever
/// holds the lock must read the file only after taking it.
pub struct EditLock {
    _file: File,
}

/// How long a run waits for the lock by default (`SECRET_LOCK_WAIT` overrides it).
const DEFAULT_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// After how long a waiting run says that it waits.
const SAY_WAITING_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

impl EditLock {
    /// Takes the lock, waiting for another run to finish for up to `$SECRET_LOCK_WAIT`
    /// seconds (default 10; 0: fail at once) and failing with a message saying why after.
    pub fn acquire(path: &Path) -> Result<EditLock> {
        EditLock::acquire_within(path, lock_wait()?)
    }

    /// Takes the lock of `path` if it exists, so that the file is read only once no other run
    /// is changing it; a missing file is left for the read to report (locking would take its
    /// directory instead).
    pub fn acquire_if_exists(path: &Path) -> Result<Option<EditLock>> {
        match path.exists() {
            true => EditLock::acquire(path).map(Some),
            false => Ok(None),
        }
    }

    /// Takes the lock, waiting up to `wait`.
    pub fn acquire_within(path: &Path, wait: std::time::Duration) -> Result<EditLock> {
        let start = std::time::Instant::now();
        let mut pause = std::time::Duration::from_millis(2);
        let mut said = false;
        loop {
            let target = super::inplace::resolve_links(path)?;
            let (file, whole_dir) = open_lock_target(&target)?;
            if try_lock(&file, path)? {
                if still_names(&file, &target, whole_dir) {
                    return Ok(EditLock { _file: file });
                }
                // Replaced (or created) while we waited: lock what is there now.
                continue;
            }
            if start.elapsed() >= wait {
                return Err(Error::new(
                    Code::Generic,
                    format!(
                        "{} is being changed by another secret process (edit, set, rotate, ...); \
                         try again when it has finished",
                        path.display()
                    ),
                ));
            }
            if !said && start.elapsed() >= SAY_WAITING_AFTER {
                eprintln!(
                    "secret: waiting for another secret process to finish with {}",
                    path.display()
                );
                said = true;
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(std::time::Duration::from_millis(50));
        }
    }
}

/// `$SECRET_LOCK_WAIT` (whole or fractional seconds), else the default.
fn lock_wait() -> Result<std::time::Duration> {
    match std::env::var("SECRET_LOCK_WAIT") {
        Err(_) => Ok(DEFAULT_LOCK_WAIT),
        Ok(text) => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(|s| std::time::Duration::try_from_secs_f64(s).ok())
            .ok_or_else(|| {
                Error::new(
                    Code::Generic,
                    format!("SECRET_LOCK_WAIT={text:?} is not a number of seconds"),
                )
            }),
    }
}

/// Opens what to lock for `target`: the file, or its directory when it does not exist
/// (`true`).
fn open_lock_target(target: &Path) -> Result<(File, bool)> {
    let (what, whole_dir) = if target.exists() {
        (target.to_path_buf(), false)
    } else {
        match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => (d.to_path_buf(), true),
            _ => (PathBuf::from("."), true),
        }
    };
    let file = File::open(&what).map_err(|e| {
        Error::new(
            Code::CouldNotReadInputFile,
            format!("{}: cannot open: {e}", what.display()),
        )
    })?;
    Ok((file, whole_dir))
}

/// Tries the exclusive lock once: `false` when someone else holds it.
fn try_lock(file: &File, path: &Path) -> Result<bool> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a file descriptor we own.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        return Ok(false);
    }
    Err(Error::new(
        Code::Generic,
        format!("{}: cannot lock: {err}", path.display()),
    ))
}

/// Whether the locked `file` is still what `target` names: the same inode, or, for a
/// directory lock, a file that still does not exist.
fn still_names(file: &File, target: &Path, whole_dir: bool) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(target), file.metadata()) {
        (Err(_), _) => whole_dir,
        (Ok(now), Ok(locked)) => {
            !whole_dir && now.dev() == locked.dev() && now.ino() == locked.ino()
        }
        (Ok(_), Err(_)) => false,
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
        // The group list is read here: reading /etc/group (initgroups) between fork and
        // exec is not async-signal-safe, and can deadlock if another thread held a lock.
        let groups = self.supplementary_groups();
        let (gid, uid) = (self.gid, self.uid);
        // SAFETY: only async-signal-safe calls (setgroups, setgid, setuid) between fork and
        // exec, on memory allocated before the fork.
        unsafe {
            cmd.pre_exec(move || {
                if libc::setgroups(groups.len(), groups.as_ptr()) != 0
                    || libc::setgid(gid) != 0
                    || libc::setuid(uid) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }

    /// The user's groups from the group database, its own group first (what `initgroups`
    /// would set).
    fn supplementary_groups(&self) -> Vec<libc::gid_t> {
        let mut groups: Vec<libc::gid_t> = vec![0; 64];
        loop {
            let mut n = groups.len() as libc::c_int;
            // SAFETY: `groups` has room for `n` entries; getgrouplist writes at most that
            // many and sets `n` to the count (or to the count needed when it returns -1).
            let rc = unsafe {
                libc::getgrouplist(self.name.as_ptr(), self.gid, groups.as_mut_ptr(), &mut n)
            };
            let n = usize::try_from(n).unwrap_or(0);
            if rc >= 0 {
                groups.truncate(n);
                return groups;
            }
            if n <= groups.len() {
                // No growth asked for: keep the user's own group only.
                return vec![self.gid];
            }
            groups.resize(n, 0);
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
    fn a_users_groups_are_those_id_lists() {
        let user = RunAs::lookup("root").unwrap();
        let mut ours = user.supplementary_groups();
        assert_eq!(ours.first(), Some(&user.gid));
        let out = std::process::Command::new("id")
            .args(["-G", "root"])
            .output()
            .unwrap();
        let mut listed: Vec<libc::gid_t> = String::from_utf8(out.stdout)
            .unwrap()
            .split_whitespace()
            .map(|g| g.parse().unwrap())
            .collect();
        ours.sort_unstable();
        ours.dedup();
        listed.sort_unstable();
        listed.dedup();
        assert_eq!(ours, listed);
    }

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
        let now = std::time::Duration::ZERO;
        let first = EditLock::acquire_within(&file, now).unwrap();
        let err = EditLock::acquire_within(&file, now)
            .err()
            .expect("second lock refused");
        assert!(err.message.contains("another secret process"), "{err}");
        drop(first);
        EditLock::acquire_within(&file, now).unwrap();
        // A missing file locks its directory.
        let _dir_lock = EditLock::acquire_within(&dir.path().join("new.json"), now).unwrap();
        assert!(EditLock::acquire_within(&dir.path().join("other.json"), now).is_err());
    }

    #[test]
    fn a_link_locks_its_target_and_a_waiter_gets_the_replaced_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.json");
        std::fs::write(&file, "{}").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("a.json", &link).unwrap();
        let first = EditLock::acquire_within(&link, std::time::Duration::ZERO).unwrap();
        assert!(EditLock::acquire_within(&file, std::time::Duration::ZERO).is_err());
        // The holder replaces the file by rename, then lets go; the waiter must end up
        // holding a lock on the new file, so that a third run cannot take that one too.
        let waiter = std::thread::spawn({
            let file = file.clone();
            move || EditLock::acquire_within(&file, std::time::Duration::from_secs(5))
        });
        std::thread::sleep(std::time::Duration::from_millis(50));
        super::super::inplace::write(&file, b"{\"a\": 1}", 0o600).unwrap();
        drop(first);
        let _second = waiter.join().unwrap().unwrap();
        assert!(EditLock::acquire_within(&file, std::time::Duration::ZERO).is_err());
    }

    #[test]
    fn orphans_of_dead_processes_are_removed_and_others_kept() {
        let base = tempfile::tempdir().unwrap();
        // A process that has ended: a child we started and waited for.
        let mut gone = std::process::Command::new("true").spawn().unwrap();
        let gone_pid = gone.id();
        gone.wait().unwrap();
        let names = [
            format!("secret-{}-abc", owner_tag(gone_pid)),
            format!("secret-{}-abc", owner_tag(std::process::id())),
            // Another PID namespace: not ours to judge.
            format!("secret-{}.{gone_pid}-abc", pid_namespace() + 1),
            format!("other-{}-abc", owner_tag(gone_pid)),
        ];
        for n in &names {
            std::fs::create_dir(base.path().join(n)).unwrap();
            std::fs::write(base.path().join(n).join("plain"), "x").unwrap();
        }
        remove_orphans(base.path(), &owner_tag(std::process::id()));
        let left: Vec<bool> = names.iter().map(|n| base.path().join(n).exists()).collect();
        assert_eq!(left, [false, true, true, true]);
    }

    #[test]
    fn unknown_user_is_an_error() {
        assert!(RunAs::lookup("no-such-user-secret-test").is_err());
        assert_eq!(RunAs::lookup("root").unwrap().uid, 0);
    }
}
