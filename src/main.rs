//! The `secret` command line: parse arguments, run the subcommand, map errors to sops'
//! exit codes.

// Large files mean tens of thousands of short strings and a few big buffers: mimalloc serves
// both with far fewer page faults than glibc's malloc (about a third off a 50k-line decrypt).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The allocator is prepared (see `secret::prepare_allocator`) before anything is allocated,
/// and Rust's runtime allocates before `main`: so this runs as an ELF constructor (priority
/// 102, before every constructor without one, mimalloc's included: it initialises mimalloc
/// itself) and before the runtime's start.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array.00102")]
static PREPARE_ALLOCATOR: extern "C" fn() = prepare_allocator;

extern "C" fn prepare_allocator() {
    secret::prepare_allocator();
}

fn main() {
    #[cfg(not(target_os = "linux"))]
    prepare_allocator();
    let args = std::env::args_os().collect();
    // Trees are walked recursively (load, encrypt, MAC, emit, drop), as deep as the input
    // nests (`secret::WALK_STACK`). The command runs on a bigger stack of this same thread
    // rather than on a second thread: a thread's start-up, its own allocator heap and the
    // wait to be scheduled cost a small file's decryption a tenth of its time. The process
    // exits from that stack once the command is done (its values dropped, its temporary
    // files removed), without unmapping it first.
    on_big_stack(secret::WALK_STACK, move || {
        exit_at_once(secret::run_cli(args))
    });
}

/// Ends the process with `code` once standard output is flushed, without the exit handlers
/// and destructors `std::process::exit` runs: by then the command has dropped its values and
/// removed its temporary files, and what is left is the allocator handing every free page
/// back to the system one `madvise` at a time (mimalloc does so for libraries unloaded from
/// a host process) and the standard library's signal stack, work the kernel's own teardown
/// of the process does anyway. That was 0.2 ms of every run (alternating runs of a 40-value
/// decrypt and of `exec-env`). `MIMALLOC_SHOW_STATS` prints nothing at exit as a result.
fn exit_at_once(code: i32) -> ! {
    // As the standard library does at exit: an error (a closed pipe) changes nothing now.
    let _ = std::io::Write::flush(&mut std::io::stdout());
    // SAFETY: `_exit` ends the process at once; it has no preconditions.
    unsafe { libc::_exit(code) }
}

/// Runs `work` on this thread on a fresh stack of `size` bytes (a multiple of the page size)
/// with an inaccessible page below it, or on the current stack if none can be mapped. A panic
/// in `work` goes on unwinding from here.
fn on_big_stack(size: usize, work: impl FnOnce()) {
    // SAFETY: sysconf has no preconditions.
    let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
    let len = size + page;
    // SAFETY: a new anonymous private mapping, at an address of the kernel's choosing.
    let base = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_STACK,
            -1,
            0,
        )
    };
    if base == libc::MAP_FAILED {
        return work();
    }
    // The lowest page stays inaccessible, so an overflow faults there rather than writing
    // into whatever is mapped below.
    // SAFETY: `base + page .. base + len` lies inside the mapping just made.
    let stack = unsafe { base.cast::<u8>().add(page) };
    // SAFETY: as above; only this function knows of the mapping.
    if unsafe { libc::mprotect(stack.cast(), size, libc::PROT_READ | libc::PROT_WRITE) } != 0 {
        // SAFETY: the mapping made above, unused.
        unsafe { libc::munmap(base, len) };
        return work();
    }
    let mut work = Some(work);
    let mut panicked = None;
    // SAFETY: `stack` is page-aligned, `size` is a multiple of the page size and fits an
    // isize, the memory is readable and writable and used by nothing else, and the callback
    // cannot unwind: a panic is caught on the new stack and resumed below, on the old one.
    unsafe {
        psm::on_stack(stack, size, || {
            let work = work.take().expect("the work runs once");
            panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).err();
        })
    };
    // SAFETY: the stack is no longer in use.
    unsafe { libc::munmap(base, len) };
    if let Some(payload) = panicked {
        std::panic::resume_unwind(payload);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recurses `depth` times with a kilobyte of locals per frame.
    #[inline(never)]
    fn nest(depth: usize) -> usize {
        let frame = std::hint::black_box([depth as u8; 1024]);
        if depth == 0 {
            0
        } else {
            1 + nest(depth - 1) + usize::from(frame[0] == 1)
        }
    }

    #[test]
    fn work_runs_on_the_big_stack() {
        let mut depth = 0;
        // 32 MiB of frames: more than any default thread stack.
        on_big_stack(secret::WALK_STACK, || depth = nest(32 * 1024));
        assert!(depth >= 32 * 1024);
    }

    #[test]
    fn a_panic_goes_on_unwinding_from_the_caller() {
        let caught = std::panic::catch_unwind(|| on_big_stack(1 << 20, || panic!("in the work")));
        let payload = caught.expect_err("the panic reaches the caller");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"in the work"));
    }
}
