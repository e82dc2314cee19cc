//! The `secret` command line: parse arguments, run the subcommand, map errors to sops'
//! exit codes.

// Large files mean tens of thousands of short strings and a few big buffers: mimalloc serves
// both with far fewer page faults than glibc's malloc (about a third off a 50k-line decrypt).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (`mimalloc.h`); the bindings do not
/// name it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // Hand freed memory back at once instead of after 10 ms: a run is short and its peak
    // memory is what counts (a quarter less for a 50k-value YAML decrypt).
    // SAFETY: setting an option is allowed at any time, from any thread.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    let args = std::env::args_os().collect();
    // Trees are walked recursively (load, encrypt, MAC, emit, drop). The stores accept
    // nesting as deep as sops does (10,000 levels, twice that for YAML's flow inside block),
    // which needs more than the main thread's 8 MiB; the stack is only reserved, pages are
    // touched as deep input needs them.
    //
    // The worker exits the process itself once the command is done (its values dropped, its
    // temporary files removed): tearing down a thread with a 128 MiB stack and handing its
    // allocator pages back costs more than a small file's whole decryption.
    let worker = std::thread::Builder::new()
        .name("main".into())
        .stack_size(STACK_SIZE)
        .spawn(move || -> std::convert::Infallible { std::process::exit(secret::run_cli(args)) });
    let code = match worker {
        // Reached only when the command panicked (the panic message is already printed).
        Ok(handle) => handle
            .join()
            .map_or(PANIC_EXIT_CODE, |never| match never {}),
        Err(e) => {
            eprintln!("secret: cannot start: {e}");
            PANIC_EXIT_CODE
        }
    };
    std::process::exit(code);
}

/// The stack of the thread that runs the command.
const STACK_SIZE: usize = 128 << 20;
/// The exit code of a panic, as the Rust runtime gives it on the main thread.
const PANIC_EXIT_CODE: i32 = 101;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purge_delay_index_names_the_purge_delay() {
        // Option 15 with mimalloc's documented purge-delay default (10 ms) is that option;
        // no neighbouring option defaults to 10.
        let default = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(default, 10);
    }
}
