//! Writing a file the way a careful user expects of `-i`, `set`, `edit` and the other commands
//! that change a file: through symbolic links to the file they name, to every name of a
//! hard-linked file, keeping mode, owner and group, and never leaving a half-written file.

use crate::error::{Code, Error, Result};
use std::fs::{File, Metadata};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// How many links in a row are followed before giving up (Linux' own limit).
const MAX_LINKS: usize = 40;

/// The file `path` finally names: a symbolic link in the last component is followed (again
/// and again), also when it dangles, so that writing creates the file it points to. Links in
/// the directories on the way need no following: the file's directory is the same either way.
pub fn resolve_links(path: &Path) -> Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&current).map_err(|e| {
                    Error::new(
                        Code::CouldNotReadInputFile,
                        format!("{}: cannot read the link: {e}", current.display()),
                    )
                })?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(Error::new(
        Code::CouldNotReadInputFile,
        format!(
            "{}: too many levels of symbolic links (a loop?)",
            path.display()
        ),
    ))
}

/// Replaces the content of `path` with `bytes`, as the module documentation says:
/// - a symbolic link is written through: its target changes, the link stays;
/// - an existing regular file with one name is replaced atomically (a temporary file in the
///   target's directory, synced, given the old file's mode, owner and group, renamed over it,
///   then the directory synced), so a crash leaves either the old or the new content;
/// - a regular file with several names (hard links) is written in place, so that every name
///   sees the new content (a rename would leave the old content under the other names): see
///   [`overwrite`] for what is and is not guaranteed then;
/// - something that is not a regular file (`/dev/stdout`, a named pipe) is written to as a
///   shell redirection would;
/// - a new file gets `new_mode`.
pub fn write(path: &Path, bytes: &[u8], new_mode: u32) -> Result<()> {
    write_with(path, new_mode, |out| {
        out.write_all(bytes)
            .map_err(|e| Error::new(Code::CouldNotWriteOutputFile, e.to_string()))
    })
}

/// [`write`] of the bytes `emit` writes, streamed into the new file where the file is
/// replaced (so the whole output need not be held in memory); a hard-linked file still gets
/// its new content complete in memory first (see [`overwrite`]). When `emit` fails the
/// target is left as it was (the temporary file is removed).
pub fn write_with(
    path: &Path,
    new_mode: u32,
    emit: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let fail = |e: std::io::Error| {
        Error::new(
            Code::CouldNotWriteOutputFile,
            format!("{}: cannot write: {e}", path.display()),
        )
    };
    // Asked of the kernel, which also follows the magic links of /dev/stdout -> /proc/self/fd.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(fail)?;
        return stream(file, emit, fail).map(drop);
    }
    let target = resolve_links(path)?;
    match std::fs::metadata(&target) {
        Ok(m) if m.nlink() > 1 => {
            let mut bytes = zeroize::Zeroizing::new(Vec::new());
            emit(&mut *bytes)?;
            overwrite(&target, &bytes).map_err(fail)
        }
        Ok(m) => replace(&target, Some(&m), new_mode, emit, fail),
        Err(_) => replace(&target, None, new_mode, emit, fail),
    }
}

/// A writer that keeps the first error of the one it wraps, so that a failed write is
/// reported with the destination's own words rather than those of whoever was writing.
pub struct Tracked<W: Write> {
    inner: W,
    pub error: Option<std::io::Error>,
}

impl<W: Write> Tracked<W> {
    pub fn new(inner: W) -> Self {
        Tracked { inner, error: None }
    }

    /// Runs `emit` over this writer and flushes: `Ok` with the inner writer, or the error
    /// (a write error as `fail` words it).
    pub fn run(
        mut self,
        emit: impl FnOnce(&mut dyn Write) -> Result<()>,
        fail: impl Fn(std::io::Error) -> Error,
    ) -> Result<W> {
        let emitted = emit(&mut self);
        let flushed = self.flush();
        match (self.error.take(), emitted, flushed) {
            (Some(e), _, _) => Err(fail(e)),
            (None, Err(e), _) => Err(e),
            (None, Ok(()), Err(e)) => Err(fail(e)),
            (None, Ok(()), Ok(())) => Ok(self.inner),
        }
    }
}

impl<W: Write> Write for Tracked<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf).inspect_err(|e| {
            self.error
                .get_or_insert_with(|| std::io::Error::new(e.kind(), e.to_string()));
        })
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes what `emit` writes into `file` through a buffer.
fn stream(
    file: File,
    emit: impl FnOnce(&mut dyn Write) -> Result<()>,
    fail: impl Fn(std::io::Error) -> Error,
) -> Result<File> {
    let buffered = Tracked::new(super::wiped::WipedBufWriter::new(file)).run(emit, &fail)?;
    buffered.into_inner().map_err(fail)
}

/// The atomic replacement of a file with one name (or a new file).
fn replace(
    target: &Path,
    old: Option<&Metadata>,
    new_mode: u32,
    emit: impl FnOnce(&mut dyn Write) -> Result<()>,
    fail: impl Fn(std::io::Error) -> Error,
) -> Result<()> {
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".secret-")
        .tempfile_in(dir)
        .map_err(&fail)?;
    let (file, tmp_path) = tmp.into_parts();
    // On any error `tmp_path` is dropped, which removes the temporary file; so does an
    // input cut short while it is read (see `crate::input`).
    let writing = crate::input::Writing::new(&tmp_path);
    let file = stream(file, emit, &fail)?;
    drop(writing);
    finish_replace(file, tmp_path, target, dir, old, new_mode).map_err(fail)
}

/// Gives the written temporary file its mode and owner, syncs it and renames it over
/// `target`.
fn finish_replace(
    file: File,
    tmp_path: tempfile::TempPath,
    target: &Path,
    dir: &Path,
    old: Option<&Metadata>,
    new_mode: u32,
) -> std::io::Result<()> {
    let mode = match old {
        Some(m) => {
            keep_owner(&file, m)?;
            m.permissions().mode() & 0o7777
        }
        None => new_mode,
    };
    // After chown, which clears set-id bits.
    file.set_permissions(std::fs::Permissions::from_mode(mode))?;
    file.sync_all()?;
    tmp_path.persist(target).map_err(|e| e.error)?;
    // The rename itself is durable only once the directory is.
    File::open(dir)?.sync_all()
}

/// Gives the new file the old one's owner and group. Root can always; another user can keep
/// a group it belongs to and nothing else (the new file is then the user's own, as any
/// editor's save would make it).
fn keep_owner(file: &File, old: &Metadata) -> std::io::Result<()> {
    let new = file.metadata()?;
    if new.uid() == old.uid() && new.gid() == old.gid() {
        return Ok(());
    }
    if std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid())).is_ok() {
        return Ok(());
    }
    // Not allowed to give the file away: keep at least the group, if we may.
    let _ = std::os::unix::fs::fchown(file, None, Some(old.gid()));
    Ok(())
}

/// Writes a hard-linked file in place. The new content is complete in memory before the file
/// is touched, and the space it needs is reserved first (`fallocate`), so a full disk fails
/// before anything changes; the inode (mode, owner, group, every name) stays the same and
/// the data is synced before returning. What no in-place write can give: a crash or power
/// loss during the write itself, or a reader reading at that moment, may see a mix of old
/// and new bytes.
fn overwrite(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let mut f = std::fs::OpenOptions::new().write(true).open(target)?;
    if !bytes.is_empty() {
        // SAFETY: fallocate on a file descriptor we own; mode 0 only allocates.
        let rc = unsafe { libc::fallocate(f.as_raw_fd(), 0, 0, bytes.len() as libc::off_t) };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
            // File systems without fallocate: go ahead without the reservation.
            if err.raw_os_error() != Some(libc::EOPNOTSUPP) {
                return Err(err);
            }
        }
    }
    f.write_all(bytes)?;
    f.set_len(bytes.len() as u64)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_followed_to_the_end_even_when_dangling() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        std::os::unix::fs::symlink("real.json", dir.path().join("a")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("a"), dir.path().join("b")).unwrap();
        assert_eq!(resolve_links(&dir.path().join("b")).unwrap(), real);
        write(&dir.path().join("b"), b"{}", 0o600).unwrap();
        assert_eq!(std::fs::read(&real).unwrap(), b"{}");
        assert!(std::fs::symlink_metadata(dir.path().join("b"))
            .unwrap()
            .file_type()
            .is_symlink());
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn devices_are_written_to_not_replaced() {
        write(Path::new("/dev/null"), b"x", 0o600).unwrap();
        let m = std::fs::symlink_metadata("/dev/null").unwrap();
        assert!(std::os::unix::fs::FileTypeExt::is_char_device(
            &m.file_type()
        ));
    }

    #[test]
    fn a_link_loop_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("y", dir.path().join("x")).unwrap();
        std::os::unix::fs::symlink("x", dir.path().join("y")).unwrap();
        let err = resolve_links(&dir.path().join("x")).unwrap_err();
        assert!(err.message.contains("too many levels"), "{err}");
    }

    #[test]
    fn hard_links_share_the_new_content_and_mode_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::fs::write(&a, b"old content, longer than the new").unwrap();
        std::fs::set_permissions(&a, std::fs::Permissions::from_mode(0o640)).unwrap();
        std::fs::hard_link(&a, &b).unwrap();
        write(&a, b"new", 0o600).unwrap();
        assert_eq!(std::fs::read(&b).unwrap(), b"new");
        let m = std::fs::metadata(&b).unwrap();
        assert_eq!((m.nlink(), m.permissions().mode() & 0o777), (2, 0o640));
    }

    #[test]
    fn single_files_are_replaced_keeping_their_mode() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        std::fs::write(&a, b"old").unwrap();
        std::fs::set_permissions(&a, std::fs::Permissions::from_mode(0o604)).unwrap();
        let before = std::fs::metadata(&a).unwrap().ino();
        write(&a, b"new", 0o600).unwrap();
        let m = std::fs::metadata(&a).unwrap();
        assert_ne!(m.ino(), before, "replaced by rename");
        assert_eq!(m.permissions().mode() & 0o777, 0o604);
        assert_eq!(std::fs::read(&a).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
