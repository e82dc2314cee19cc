//! How the `secret` executable is linked (`build.rs`).

/// On Linux with glibc the executable is linked at a fixed address (ELF type `EXEC`), so the
/// dynamic loader has nothing to relocate at start-up; `SECRET_BUILD_PIE=1` at build time
/// gives a position-independent one (`DYN`).
#[test]
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn linked_at_a_fixed_address_unless_asked_otherwise() {
    let image = std::fs::read(env!("CARGO_BIN_EXE_secret")).unwrap();
    assert_eq!(&image[..4], b"\x7fELF");
    let elf_type = u16::from_le_bytes([image[16], image[17]]);
    let (exec, dyn_) = (2, 3);
    let want = if option_env!("SECRET_BUILD_PIE") == Some("1") {
        dyn_
    } else {
        exec
    };
    assert_eq!(elf_type, want);
}
