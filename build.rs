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
}
