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

/// The guarded address range (0, 0 when none) and the line to print for it.
static START: AtomicUsize = AtomicUsize::new(0);
static END: AtomicUsize = AtomicUsize::new(0);
static MESSAGE: AtomicPtr<Vec<u8>> = AtomicPtr::new(std::ptr::null_mut());
/// The temporary file being written, to remove before exiting (null when none).
static WRITING: AtomicPtr<std::ffi::CString> = AtomicPtr::new(std::ptr::null_mut());

/// The handler that was installed before ours.
static mut PREVIOUS: Option<libc::sigaction> = None;
static INSTALL: Once = Once::new();

/// The exit code of an input that cannot be read (`Code::CouldNotReadInputFile`).
const EXIT_CODE: i32 = crate::error::Code::CouldNotReadInputFile as i32;

/// Guards `start..end`, the mapping of the file `label`.
pub(super) fn install(start: usize, end: usize, label: &str) {
    let line =
        format!("secret: {label}: cannot read: the file was cut short while it was being read\n");
    let old = MESSAGE.swap(Box::into_raw(Box::new(line.into_bytes())), Ordering::AcqRel);
    if !old.is_null() {
        // SAFETY: made by `Box::into_raw` above in an earlier call; the handler reads the
        // message only for an address in a guarded range, and the range is being replaced
        // by this call on the only thread that maps inputs.
        drop(unsafe { Box::from_raw(old) });
    }
    END.store(end, Ordering::Relaxed);
    START.store(start, Ordering::Release);
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
}

/// Stops guarding (the mapping is gone).
pub(super) fn remove() {
    START.store(0, Ordering::Release);
    END.store(0, Ordering::Relaxed);
}

extern "C" fn on_bus(_sig: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel hands a valid siginfo_t to an SA_SIGINFO handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    let start = START.load(Ordering::Acquire);
    if start != 0 && addr >= start && addr < END.load(Ordering::Relaxed) {
        let message = MESSAGE.load(Ordering::Acquire);
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
