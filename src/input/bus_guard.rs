//! A clean error instead of a crash when a mapped input file is cut short while it is read.
//!
//! Reading a page of a mapping past the end of its file raises SIGBUS, which would kill the
//! process with no word of why. This happens only when another program truncates the file
//! while `secret` reads it. The run then ends with a one-line error and sops' exit code for
//! an unreadable input; the file being written in its place, if any ([`Writing`]), is
//! removed first, so the target is left as it was. A SIGBUS anywhere else goes to the
//! handler that was there before.

use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::Once;

/// How many mappings are guarded at once (a command holds one or two: `decrypt --merge` of
/// big files); a file mapped while every slot is taken is read instead.
const SLOTS: usize = 4;

/// A guarded address range (0, 0 when the slot is free) and the line to print for it.
struct Slot {
    start: AtomicUsize,
    end: AtomicUsize,
    message: AtomicPtr<Vec<u8>>,
}

static GUARDED: [Slot; SLOTS] = [const {
    Slot {
        start: AtomicUsize::new(0),
        end: AtomicUsize::new(0),
        message: AtomicPtr::new(std::ptr::null_mut()),
    }
}; SLOTS];

/// The temporary file being written, to remove before exiting (null when none).
static WRITING: AtomicPtr<std::ffi::CString> = AtomicPtr::new(std::ptr::null_mut());

/// The handler that was installed before ours.
static mut PREVIOUS: Option<libc::sigaction> = None;
static INSTALL: Once = Once::new();

/// The exit code of an input that cannot be read (`Code::CouldNotReadInputFile`).
const EXIT_CODE: i32 = crate::error::Code::CouldNotReadInputFile as i32;

/// Guards `start..end`, the mapping of the file `label`; returns its slot for [`remove`],
/// or `None` when every slot is taken (the caller then reads the file instead). Called only
/// from the thread that maps inputs.
pub(super) fn install(start: usize, end: usize, label: &str) -> Option<usize> {
    let slot = GUARDED
        .iter()
        .position(|s| s.start.load(Ordering::Acquire) == 0)?;
    let line =
        format!("secret: {label}: cannot read: the file was cut short while it was being read\n");
    let guard = &GUARDED[slot];
    free_message(
        guard
            .message
            .swap(Box::into_raw(Box::new(line.into_bytes())), Ordering::AcqRel),
    );
    guard.end.store(end, Ordering::Relaxed);
    guard.start.store(start, Ordering::Release);
    INSTALL.call_once(|| {
        // SAFETY: a zeroed sigaction is a valid value to fill in; the handler only reads
        // atomics and calls async-signal-safe functions (write, _exit, sigaction).
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_bus as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO;
            libc::sigemptyset(&mut action.sa_mask);
            let mut previous: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(libc::SIGBUS, &action, &mut previous) == 0 {
                PREVIOUS = Some(previous);
            }
        }
    });
    Some(slot)
}

/// Stops guarding the range of `slot` (its mapping is gone).
pub(super) fn remove(slot: usize) {
    let guard = &GUARDED[slot];
    guard.end.store(0, Ordering::Relaxed);
    guard.start.store(0, Ordering::Release);
    free_message(guard.message.swap(std::ptr::null_mut(), Ordering::AcqRel));
}

/// Frees a message `install` made, if `message` is one.
fn free_message(message: *mut Vec<u8>) {
    if !message.is_null() {
        // SAFETY: made by `Box::into_raw` in `install` and no longer in a slot. The handler
        // reads a slot's message only for an address inside its range, and the range was
        // cleared first: the mapping is gone, so no access can fault into it any more.
        drop(unsafe { Box::from_raw(message) });
    }
}

extern "C" fn on_bus(_sig: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel hands a valid siginfo_t to an SA_SIGINFO handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    let ours = GUARDED.iter().find(|s| {
        let start = s.start.load(Ordering::Acquire);
        start != 0 && addr >= start && addr < s.end.load(Ordering::Relaxed)
    });
    if let Some(slot) = ours {
        let message = slot.message.load(Ordering::Acquire);
        let writing = WRITING.load(Ordering::Acquire);
        if !writing.is_null() {
            // SAFETY: set by `Writing::new` and cleared before it is freed; unlink(2) is
            // async-signal-safe.
            unsafe { libc::unlink((*writing).as_ptr()) };
        }
        if !message.is_null() {
            // SAFETY: set by `install` before the range was; write(2) is async-signal-safe.
            let line = unsafe { &*message };
            unsafe { libc::write(2, line.as_ptr().cast(), line.len()) };
        }
        // SAFETY: _exit is async-signal-safe; nothing was written that needs undoing.
        unsafe { libc::_exit(EXIT_CODE) };
    }
    // Not ours: put the previous handler back; returning retries the access, which faults
    // again into it.
    // SAFETY: PREVIOUS was written once, before this handler was installed.
    unsafe {
        match &*std::ptr::addr_of!(PREVIOUS) {
            Some(previous) => libc::sigaction(libc::SIGBUS, previous, std::ptr::null_mut()),
            None => libc::signal(libc::SIGBUS, libc::SIG_DFL) as libc::c_int,
        };
    }
}

/// While alive, a run cut short by SIGBUS (see the module) removes `path`, a temporary file
/// that would have replaced a target.
pub struct Writing(());

impl Writing {
    /// Marks `path` as the temporary file being written.
    pub fn new(path: &std::path::Path) -> Writing {
        use std::os::unix::ffi::OsStrExt;
        if let Ok(path) = std::ffi::CString::new(path.as_os_str().as_bytes()) {
            let old = WRITING.swap(Box::into_raw(Box::new(path)), Ordering::AcqRel);
            free(old);
        }
        Writing(())
    }
}

impl Drop for Writing {
    fn drop(&mut self) {
        free(WRITING.swap(std::ptr::null_mut(), Ordering::AcqRel));
    }
}

/// Frees a path `Writing` made, if `path` is one.
fn free(path: *mut std::ffi::CString) {
    if !path.is_null() {
        // SAFETY: made by `Box::into_raw` in `Writing::new` and no longer in `WRITING`.
        drop(unsafe { Box::from_raw(path) });
    }
}
