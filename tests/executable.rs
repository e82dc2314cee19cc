//! How the `secret` executable is linked (`build.rs`) and how a run sets up its memory.

mod common;

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

/// Where the C compiler has gcc's static unwinder (`libgcc_eh.a`), the executable links it
/// and does not load `libgcc_s.so.1`, whose constructor costs every run a dozen `cpuid` traps
/// in a virtual machine. The shared library's name would be in the dynamic string table if
/// it were needed.
#[test]
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn does_not_load_libgcc_s_where_the_static_unwinder_exists() {
    let archive = std::process::Command::new("cc")
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .expect("cc runs");
    let path = String::from_utf8(archive.stdout).unwrap();
    if !std::path::Path::new(path.trim()).is_absolute() {
        return; // no static unwinder: build.rs keeps libgcc_s, as it must
    }
    let image = std::fs::read(env!("CARGO_BIN_EXE_secret")).unwrap();
    let needle = b"libgcc_s.so.1";
    assert!(!image.windows(needle.len()).any(|w| w == needle));
}

/// A run's heap starts without transparent huge pages: mimalloc would otherwise have its
/// arena advised for them before the first allocation touched it, and clear a whole 2 MiB
/// page for a small file's few hundred kilobytes (a fifth of `--version`'s time). The command
/// `exec-env` runs reads how much of secret's (its parent's) memory is in huge pages while
/// secret waits for it. Where the kernel has huge pages off, there is nothing to see.
#[test]
#[cfg(target_os = "linux")]
fn a_small_run_maps_no_huge_pages() {
    let thp = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled");
    if thp.map_or(true, |mode| mode.contains("[never]")) {
        return;
    }
    let sb = common::Sandbox::new();
    let out = common::stdout_of(
        sb.secret()
            .env("SOPS_AGE_KEY_FILE", common::key("age1.txt"))
            .arg("exec-env")
            .arg(common::vectors().join("sops/prod.age1.env"))
            .arg("grep AnonHugePages /proc/$PPID/smaps_rollup"),
    );
    let line = String::from_utf8(out).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert_eq!(kib, 0, "{line}");
}

/// A big encrypted dotenv file (whose memory is kept) moves the heap to an arena of its own,
/// reserved far bigger than the input needs (`src/allocator.rs`). Where that much address
/// space cannot be had (`ulimit -v`), the run goes on in its usual heap: same output.
#[test]
#[cfg(target_os = "linux")]
fn a_big_dotenv_file_decrypts_with_little_address_space() {
    let sb = common::Sandbox::new();
    let plain: String = (0..12_000)
        .map(|i| format!("KEY_{i}=value number {i} of a file over a mebibyte long\n"))
        .collect();
    let path = sb.path().join("big.env");
    std::fs::write(&path, &plain).unwrap();
    sb.secret()
        .args(["encrypt", "-i", "--age", common::AGE1])
        .arg(&path)
        .assert()
        .success();
    assert!(
        std::fs::metadata(&path).unwrap().len() > 1 << 20,
        "a big input"
    );
    for limit in [None, Some(3u64 << 30)] {
        let mut cmd = sb.secret_std();
        cmd.env("SOPS_AGE_KEY_FILE", common::key("age1.txt"))
            .args(["decrypt", "big.env"]);
        if let Some(bytes) = limit {
            common::cap_address_space(&mut cmd, bytes);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{limit:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout == plain.as_bytes(), "{limit:?}: output differs");
    }
}

/// aws-lc is built without its start-up constructor (`.cargo/config.toml`), which detected
/// the CPU's features in every run (60 µs of `cpuid` traps in a virtual machine); it detects
/// them when first used instead (`CRYPTO_library_init`, which `src/crypt/gcm.rs` and rustls'
/// aws-lc-rs call). Nothing in this test binary uses aws-lc, so its flag is still clear here
/// and set once the library is initialised. The symbol carries aws-lc-sys' version: update
/// the name with the crate.
#[test]
fn aws_lc_detects_the_cpu_only_when_first_used() {
    extern "C" {
        #[link_name = "aws_lc_0_47_0_OPENSSL_cpucap_initialized"]
        static CPUCAP_INITIALIZED: u8;
    }
    // SAFETY: a byte aws-lc writes only inside CRYPTO_library_init, which runs once.
    let initialized = || unsafe { std::ptr::read_volatile(&raw const CPUCAP_INITIALIZED) };
    assert_eq!(initialized(), 0, "aws-lc ran its constructor");
    // SAFETY: no preconditions.
    unsafe { aws_lc_sys::CRYPTO_library_init() };
    assert_eq!(initialized(), 1);
}
