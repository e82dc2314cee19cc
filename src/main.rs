//! The `secret` command line: parse arguments, run the subcommand, map errors to sops'
//! exit codes.

// Large files mean tens of thousands of short strings and a few big buffers: mimalloc serves
// both with far fewer page faults than glibc's malloc (about a third off a 50k-line decrypt).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
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
