//! The bytes of an input file, read into memory or, when big, mapped from the file, and the
//! hint by which a reader gives back the part of a mapped input it has passed.
//!
//! A big file's peak memory is its input and its tree at once: the tree is complete only when
//! the last byte has been read, and until then the whole input is held. A mapped input's
//! pages are the file's own (the page cache holds them anyway), so a reader can let go of
//! those it has passed ([`passed`]) and the input costs a window instead of its size. Going
//! back over a page given up is always correct (the kernel maps it again from the file); it
//! only costs the time to map it.
//!
//! Mapping is only for regular files of [`MAP_FROM`] bytes or more: a small file is read in
//! one call, which costs less than setting up a mapping. Above that, reading costs more:
//! the buffer read into is fresh memory, one page fault (and a page cleared) per 4 KiB,
//! where a mapping faults in the file's cached pages 64 KiB at a time.

use std::fs::File;
use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};

/// From this many bytes on, a regular file is mapped rather than read. Measured on a 740 KB
/// encrypted dotenv file (5,000 values): mapped, a decrypt takes 175 fewer page faults than
/// read (613 against 788), about 0.2 ms of an `exec-env` run's 7. Mapping costs a handful
/// of system calls (map, advise, the guard's signal handler, unmap), about what reading
/// 64 KiB into fresh pages costs in faults.
pub const MAP_FROM: u64 = 64 << 10;

/// How many mapped inputs a run keeps at most ([`Input::keep_for_run`]): one command reads
/// one or two big files; beyond that (a batch of files) each is freed once used, so a long
/// batch does not hold every file and guard slot it has read.
const KEPT_MAX: usize = 2;

/// How many mapped inputs are kept for the run.
static KEPT: AtomicUsize = AtomicUsize::new(0);

/// How far behind a reader's position pages are kept: readers look back a little (the line
/// before, a comment run), and a page given up and read again costs a fault.
const LOOK_BACK: usize = 256 << 10;

/// How much a reader passes between two hand-backs (one `madvise` call each, a hundred for
/// a 100 MB input).
const STEP: usize = 1 << 20;

/// The input of a store: owned bytes, or a mapped file.
pub enum Input {
    Owned(Vec<u8>),
    Mapped(Mapping),
}

impl Input {
    /// Maps `file` (`len` bytes long, named `label` in errors) when it is big enough to be
    /// worth it, else reads it.
    pub fn of_file(mut file: File, len: u64, label: &str) -> std::io::Result<Input> {
        if len >= MAP_FROM {
            if let Some(mapping) = Mapping::new(&file, len, label) {
                return Ok(Input::Mapped(mapping));
            }
        }
        let mut bytes = Vec::with_capacity(len as usize);
        std::io::Read::read_to_end(&mut file, &mut bytes)?;
        Ok(Input::Owned(bytes))
    }

    /// A mapped input kept mapped for the rest of the run, so that a store can put slices
    /// of it in the tree instead of copies ([`crate::tree::Text::from_static`]); the input
    /// itself when it is not mapped, or when [`KEPT_MAX`] inputs are kept already.
    ///
    /// A kept mapping is never unmapped: its address range and guard slot stay taken, and
    /// the pages [`passed`] gave back are mapped again from the file when a slice is read.
    pub fn keep_for_run(self) -> std::result::Result<&'static [u8], Input> {
        let Input::Mapped(mapping) = &self else {
            return Err(self);
        };
        let kept = KEPT.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
            (n < KEPT_MAX).then_some(n + 1)
        });
        if kept.is_err() {
            return Err(self);
        }
        // What is read from a kept input is read again later (the tree holds slices of
        // it): giving its pages back behind the reader would only have them faulted in
        // again, page by page, when the values are decrypted.
        mapping.stop_giving_back();
        // SAFETY: the range is the mapping's own. Mapping every page in one call rather than
        // on a fault each (Linux 5.14 and later; elsewhere it fails and faults do it).
        unsafe {
            libc::madvise(
                mapping.start as *mut _,
                mapping.len,
                libc::MADV_POPULATE_READ,
            )
        };
        // SAFETY: the mapping is never unmapped (`self` is forgotten, so `Mapping`'s `Drop`
        // does not run): its `len` bytes stay readable at `start` until the process ends.
        let bytes = unsafe { std::slice::from_raw_parts(mapping.start, mapping.len) };
        std::mem::forget(self);
        Ok(bytes)
    }

    /// The bytes as an owned vector (a mapped input is copied, its pages given back as
    /// they are copied).
    pub fn into_vec(mut self) -> Vec<u8> {
        match &mut self {
            Input::Owned(bytes) => std::mem::take(bytes),
            Input::Mapped(mapping) => {
                let mut bytes = Vec::with_capacity(mapping.len());
                for chunk in mapping.chunks(STEP) {
                    bytes.extend_from_slice(chunk);
                    passed(mapping, bytes.len());
                }
                bytes
            }
        }
    }
}

/// An input read into memory may be plaintext (a file to encrypt, standard input): it is
/// wiped before it is freed. A mapped input is the file's own pages, left as they are.
impl Drop for Input {
    fn drop(&mut self) {
        if let Input::Owned(bytes) = self {
            crate::wipe::zero(bytes);
        }
    }
}

impl From<Vec<u8>> for Input {
    fn from(bytes: Vec<u8>) -> Input {
        Input::Owned(bytes)
    }
}

impl Deref for Input {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Input::Owned(bytes) => bytes,
            Input::Mapped(mapping) => mapping,
        }
    }
}

impl Clone for Input {
    /// A copy of the bytes (a mapped input's copy is owned).
    fn clone(&self) -> Input {
        Input::Owned(self.to_vec())
    }
}

impl PartialEq for Input {
    fn eq(&self, other: &Input) -> bool {
        **self == **other
    }
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            Input::Owned(_) => "Owned",
            Input::Mapped(_) => "Mapped",
        };
        write!(f, "Input::{kind}({} bytes)", self.len())
    }
}

/// A file mapped read-only and private. The one most recently made is the one [`passed`]
/// gives pages of back.
pub struct Mapping {
    start: *const u8,
    len: usize,
    /// Its slot in the SIGBUS guard.
    guard: usize,
}

/// The mapping [`passed`] works on: its first and end address, and up to where its pages
/// have been given back (0 when there is none).
static MAPPED_START: AtomicUsize = AtomicUsize::new(0);
static MAPPED_END: AtomicUsize = AtomicUsize::new(0);
static GIVEN_BACK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: the mapping is read-only and never changed through it; it can be read from any
// thread, and is unmapped only when dropped.
unsafe impl Send for Mapping {}
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps `len` bytes of `file`; `None` when the system refuses (the caller reads instead).
    fn new(file: &File, len: u64, label: &str) -> Option<Mapping> {
        use std::os::fd::AsRawFd;
        let len = usize::try_from(len).ok()?;
        // SAFETY: a fresh read-only private mapping of an open file; nothing else is at the
        // address the kernel picks.
        let start = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if start == libc::MAP_FAILED {
            return None;
        }
        let start = start as *const u8;
        // Read in order, once: ask for read-ahead, and keep the pages out of the way of
        // others' under memory pressure.
        // SAFETY: the range is the mapping just made.
        unsafe { libc::madvise(start as *mut _, len, libc::MADV_SEQUENTIAL) };
        let Some(guard) = bus_guard::install(start as usize, start as usize + len, label) else {
            // Unguarded, a file cut short would crash the run: read it instead.
            // SAFETY: the mapping just made, not borrowed by anything.
            unsafe { libc::munmap(start as *mut _, len) };
            return None;
        };
        GIVEN_BACK.store(start as usize, Ordering::Relaxed);
        MAPPED_END.store(start as usize + len, Ordering::Relaxed);
        MAPPED_START.store(start as usize, Ordering::Release);
        Some(Mapping { start, len, guard })
    }
}

impl Deref for Mapping {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // SAFETY: `len` readable bytes are mapped at `start` for as long as `self` lives.
        unsafe { std::slice::from_raw_parts(self.start, self.len) }
    }
}

impl Mapping {
    /// Takes this mapping out of [`passed`]'s hands, if it is the one it works on.
    fn stop_giving_back(&self) {
        let start = self.start as usize;
        if MAPPED_START
            .compare_exchange(start, 0, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            MAPPED_END.store(0, Ordering::Relaxed);
        }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        self.stop_giving_back();
        bus_guard::remove(self.guard);
        // SAFETY: the mapping made in `new`, no longer borrowed (`self` is being dropped).
        unsafe { libc::munmap(self.start as *mut _, self.len) };
    }
}

/// Tells that the reader of `text` has passed `pos`: it reads little before that again. When
/// `text` lies in a mapped input, the pages well behind `pos` are given back to the system.
/// Cheap to call often (two loads when there is nothing to do).
pub fn passed(text: &[u8], pos: usize) {
    let Some(end) = mapped_end_of(text) else {
        return;
    };
    let at = (text.as_ptr() as usize).saturating_add(pos).min(end);
    give_back_before(at.saturating_sub(LOOK_BACK));
}

/// Gives back every page of the mapped input `text` lies in, and counts [`passed`] from its
/// start again: for a reader that is done with one pass over it and may start another.
pub fn start_over(text: &[u8]) {
    if let Some(end) = mapped_end_of(text) {
        let start = MAPPED_START.load(Ordering::Relaxed);
        GIVEN_BACK.store(start, Ordering::Relaxed);
        // SAFETY: the whole mapping, read-only file pages: a later read maps them again.
        unsafe { libc::madvise(start as *mut _, end - start, libc::MADV_DONTNEED) };
    }
}

/// A reader of `text` that tells [`passed`] how far it has read.
pub struct Reader<'a> {
    text: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Reads `text` from its start.
    pub fn new(text: &'a [u8]) -> Reader<'a> {
        Reader { text, pos: 0 }
    }
}

impl std::io::Read for Reader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let rest = &self.text[self.pos..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        passed(self.text, self.pos);
        Ok(n)
    }
}

/// The end of the mapping `text` starts in, if it does.
fn mapped_end_of(text: &[u8]) -> Option<usize> {
    let start = MAPPED_START.load(Ordering::Acquire);
    let end = MAPPED_END.load(Ordering::Relaxed);
    let at = text.as_ptr() as usize;
    (start != 0 && at >= start && at < end).then_some(end)
}

/// Gives back the mapping's pages before `addr` (rounded down to a page), once a reader has
/// passed [`STEP`] bytes since the last time. A reader that went back (a new pass over the
/// input) is counted from where it is now.
fn give_back_before(addr: usize) {
    let upto = addr.max(MAPPED_START.load(Ordering::Relaxed)) & !(page_size() - 1);
    let from = GIVEN_BACK.load(Ordering::Relaxed);
    if upto < from {
        if from - upto > STEP {
            // Pages before `upto` were given back already and a reader going forward does
            // not read them again.
            GIVEN_BACK.store(upto, Ordering::Relaxed);
        }
        return;
    }
    if upto - from < STEP && upto < MAPPED_END.load(Ordering::Relaxed) {
        return;
    }
    if upto > from
        && GIVEN_BACK
            .compare_exchange(from, upto, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        // SAFETY: `from..upto` lies within the mapping (page-aligned addresses between its
        // start and its end rounded up to a page), whose pages are the file's and read-only:
        // dropping them loses nothing, a later read maps them again.
        unsafe { libc::madvise(from as *mut _, upto - from, libc::MADV_DONTNEED) };
    }
}

/// `text` as UTF-8, checked a window at a time so that a mapped input's pages are given back
/// behind the check ([`passed`]); the error is `std::str::from_utf8`'s.
pub fn utf8(text: &[u8]) -> Result<&str, std::str::Utf8Error> {
    let mut checked = 0;
    while text.len() - checked > STEP {
        match std::str::from_utf8(&text[checked..checked + STEP]) {
            Ok(_) => checked += STEP,
            // A character cut at the window's end: the next window starts with it.
            Err(e) if e.error_len().is_none() => checked += e.valid_up_to(),
            Err(_) => break,
        }
        passed(text, checked);
    }
    match std::str::from_utf8(&text[checked..]) {
        // SAFETY: every byte was checked, window by window, each window starting on a
        // character boundary.
        Ok(_) => Ok(unsafe { std::str::from_utf8_unchecked(text) }),
        // The whole text again, for the error's offsets (only on invalid input).
        Err(_) => std::str::from_utf8(text),
    }
}

/// The system's page size, asked once.
fn page_size() -> usize {
    static PAGE: AtomicUsize = AtomicUsize::new(0);
    match PAGE.load(Ordering::Relaxed) {
        0 => {
            // SAFETY: sysconf has no preconditions.
            let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
            let size = usize::try_from(size).unwrap_or(4096).max(4096);
            PAGE.store(size, Ordering::Relaxed);
            size
        }
        size => size,
    }
}

mod bus_guard;
pub use bus_guard::Writing;

#[cfg(test)]
mod tests;
