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
    // which needs more than the main thread's 8 MiB. The command runs on a bigger stack of
    // this same thread rather than on a second thread: a thread's start-up, its own allocator
    // heap and the wait to be scheduled cost a small file's decryption a tenth of its time.
    // The stack is only reserved; pages are touched as deep input needs them. The process
    // exits from that stack once the command is done (its values dropped, its temporary files
    // removed), without unmapping it first.
    stacker::grow(STACK_SIZE, move || {
        std::process::exit(secret::run_cli(args))
    });
}

/// The stack the command runs on.
const STACK_SIZE: usize = 128 << 20;
