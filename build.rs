//! Links the `secret` executable at a fixed address (not position-independent) on Linux
//! with glibc.
//!
//! A position-independent executable is relocated by the dynamic loader at every start: for
//! this binary, 47,000 pointers in 780 KB of read-only data (vtables, panic locations, string
//! tables) written into private copies of 190 pages. That was 190 of a 40-value decrypt's
//! 455 page faults and 0.6 ms of its 2.9 ms (alternating runs; `--version` 2.2 → 1.6 ms).
//! Linked at a fixed address, those pages are read from the file as they are, with nothing
//! to relocate, as sops' own Go binaries are. What is given up is the randomised address of
//! the executable's own code (libraries, stack, heap and mappings stay randomised).
//! `SECRET_BUILD_PIE=1` at build time keeps the position-independent executable.
//!
//! The unwinder (Rust's panics and backtraces use it) is linked in from gcc's static
//! `libgcc_eh.a` where the C compiler has one, so the executable no longer loads
//! `libgcc_s.so.1`: loading it ran its constructor, which asks the CPU for its features
//! with a dozen `cpuid` instructions, each a trap to the hypervisor in a virtual machine.
//! That was 0.18 ms of every run (`--version` 1.62 → 1.44 ms, alternating runs). Rust links
//! the same archive for its fully static builds.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=SECRET_BUILD_PIE");
    let target = |key: &str, value: &str| std::env::var(key).is_ok_and(|v| v == value);
    // glibc targets only: musl ones link a static PIE, which `-no-pie` would contradict.
    let linux_gnu = target("CARGO_CFG_TARGET_OS", "linux") && target("CARGO_CFG_TARGET_ENV", "gnu");
    let keep_pie = std::env::var_os("SECRET_BUILD_PIE").is_some_and(|v| v == "1");
    if linux_gnu && !keep_pie {
        // Only the executable: the library and the tests' own binaries are left as they are.
        println!("cargo:rustc-link-arg-bin=secret=-no-pie");
    }
    if linux_gnu && has_static_unwinder() {
        // Every member, so that the unwinder's symbols are all defined here and the linker
        // (which Rust runs with --as-needed) finds libgcc_s.so needed by nothing.
        println!(
            "cargo:rustc-link-arg-bin=secret=-Wl,--push-state,--whole-archive,-lgcc_eh,--pop-state"
        );
    }
}

/// Whether the C compiler that links (Rust's default linker on Linux is `cc`) has
/// `libgcc_eh.a`: it prints the archive's path when it has it, the bare name when not.
fn has_static_unwinder() -> bool {
    let linker = std::env::var("RUSTC_LINKER").unwrap_or_else(|_| "cc".into());
    std::process::Command::new(linker)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .is_some_and(|path| std::path::Path::new(path.trim()).is_absolute())
}
