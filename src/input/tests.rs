use super::*;
use std::io::Write as _;
use std::sync::Mutex;

/// The tests that map files take turns: [`passed`] works on the mapping made last, and the
/// guard has few slots.
static MAPPING: Mutex<()> = Mutex::new(());

/// A file of `len` bytes of varied printable text.
fn text_file(dir: &tempfile::TempDir, len: usize) -> (std::path::PathBuf, Vec<u8>) {
    let bytes: Vec<u8> = (0..len).map(|i| b'a' + (i * 7 % 26) as u8).collect();
    let path = dir.path().join("input");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(&bytes)
        .unwrap();
    (path, bytes)
}

/// A mapped file of `len` bytes with its bytes, held with this test's turn ([`MAPPING`]).
struct Mapped {
    input: Input,
    bytes: Vec<u8>,
    _dir: tempfile::TempDir,
    _turn: std::sync::MutexGuard<'static, ()>,
}

fn mapped(len: usize) -> Mapped {
    let turn = MAPPING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = text_file(&dir, len);
    let input = open(&path);
    assert!(matches!(input, Input::Mapped(_)));
    Mapped {
        input,
        bytes,
        _dir: dir,
        _turn: turn,
    }
}

fn open(path: &std::path::Path) -> Input {
    let file = File::open(path).unwrap();
    let len = file.metadata().unwrap().len();
    Input::of_file(file, len, "input").unwrap()
}

/// The resident size of the mapping that starts at `start`, in bytes (from
/// `/proc/self/smaps`, which counts only this mapping's pages).
fn resident(start: *const u8) -> usize {
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
    let head = format!("{:x}-", start as usize);
    let mut lines = smaps.lines().skip_while(|l| !l.starts_with(&head));
    lines.next().expect("the mapping is listed");
    let rss = lines.find(|l| l.starts_with("Rss:")).unwrap();
    let kib: usize = rss.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// Reads every page of `bytes` and returns a checksum of them.
fn touch(bytes: &[u8]) -> u64 {
    bytes.iter().step_by(512).fold(0u64, |sum, &b| {
        sum.wrapping_mul(31).wrapping_add(u64::from(b))
    })
}

#[test]
fn a_small_file_is_read_and_a_big_one_mapped_with_the_same_bytes() {
    let _turn = MAPPING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = text_file(&dir, 1000);
    let small = open(&path);
    assert!(matches!(small, Input::Owned(_)));
    assert_eq!(*small, bytes[..]);

    let (path, bytes) = text_file(&dir, MAP_FROM as usize + 12345);
    let big = open(&path);
    assert!(matches!(big, Input::Mapped(_)));
    assert_eq!(*big, bytes[..]);
    assert_eq!(big.clone().into_vec(), bytes);
    assert_eq!(big.into_vec(), bytes);
}

#[test]
fn pages_behind_the_reader_are_given_back_and_read_again_unchanged() {
    let len = 24 << 20;
    let Mapped { input, bytes, .. } = &mapped(len);
    let start = input.as_ptr();
    let sum = touch(input);
    assert!(resident(start) >= len - (1 << 20), "all pages were read");

    // A reader that went through the whole text in steps keeps only a window resident.
    for pos in (0..=len).step_by(1 << 20) {
        passed(input, pos);
    }
    assert!(
        resident(start) <= LOOK_BACK + STEP + (1 << 20),
        "{} bytes still resident",
        resident(start)
    );
    // What was given back reads the same (the kernel maps it again from the file).
    assert_eq!(touch(input), sum);
    assert_eq!(**input, bytes[..]);

    // `start_over` gives back everything, and a second pass is counted from its start.
    start_over(input);
    assert!(resident(start) <= 1 << 20);
    let half = len / 2;
    touch(&input[..half]);
    passed(input, half);
    assert!(resident(start) <= LOOK_BACK + STEP + (1 << 20));
}

#[test]
fn text_outside_the_mapping_is_left_alone() {
    let _turn = MAPPING.lock().unwrap_or_else(|e| e.into_inner());
    let owned = vec![b'x'; 8 << 20];
    passed(&owned, owned.len());
    start_over(&owned);
    assert!(owned.iter().all(|&b| b == b'x'));
}

#[test]
fn a_reader_reports_its_progress_and_reads_everything() {
    let Mapped { input, bytes, .. } = &mapped(12 << 20);
    let mut read = Vec::new();
    std::io::Read::read_to_end(&mut Reader::new(input), &mut read).unwrap();
    assert_eq!(&read, bytes);
    assert!(resident(input.as_ptr()) <= LOOK_BACK + STEP + (1 << 20));
}

#[test]
fn utf8_is_checked_as_std_checks_it_across_windows() {
    // Multi-byte characters fall across every window border at one offset or another.
    let unit = "aé€😀";
    let mut text = unit.repeat(2 * STEP / unit.len() + 3).into_bytes();
    assert_eq!(utf8(&text), std::str::from_utf8(&text));
    for at in [5, STEP - 1, STEP, STEP + 1, text.len() - 1] {
        let saved = text[at];
        text[at] = 0xff;
        assert_eq!(utf8(&text), std::str::from_utf8(&text), "0xff at {at}");
        text[at] = saved;
    }
    // Cut inside the last character.
    let cut = &text[..text.len() - 2];
    assert_eq!(utf8(cut), std::str::from_utf8(cut));
    assert_eq!(utf8(b""), Ok(""));
}

#[test]
fn files_beyond_the_guarded_slots_are_read_and_a_freed_slot_maps_again() {
    let _turn = MAPPING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let open = |i: usize| {
        let path = dir.path().join(format!("input{i}"));
        std::fs::write(&path, vec![b'0' + i as u8; MAP_FROM as usize]).unwrap();
        Input::of_file(File::open(&path).unwrap(), MAP_FROM, "input").unwrap()
    };
    let mut inputs: Vec<Input> = (0..6).map(open).collect();
    let mapped: Vec<bool> = inputs
        .iter()
        .map(|i| matches!(i, Input::Mapped(_)))
        .collect();
    assert_eq!(mapped, [true, true, true, true, false, false]);
    for (i, input) in inputs.iter().enumerate() {
        assert!(input.iter().all(|&b| b == b'0' + i as u8));
    }
    inputs.remove(1);
    assert!(matches!(open(9), Input::Mapped(_)));
}

/// This test binary, to run only the ignored test `name` of this module: for tests that
/// change the process for good (a kept mapping, a signal).
fn in_child(name: &str) -> std::process::Command {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command
        .args([
            &format!("input::tests::{name}"),
            "--exact",
            "--include-ignored",
        ])
        .args(["--nocapture", "--test-threads=1"]);
    command
}

/// Set in the child of [`a_file_cut_short_while_it_is_read_is_a_clean_error`].
const CUT_SHORT_CHILD: &str = "INPUT_TEST_CUT_SHORT_FILE";

#[test]
fn a_file_cut_short_while_it_is_read_is_a_clean_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("input");
    let writing = dir.path().join(".secret-writing");
    std::fs::write(&writing, "half of an output").unwrap();
    let out = in_child("cut_short_child")
        .env(CUT_SHORT_CHILD, &file)
        .env("INPUT_TEST_WRITING", &writing)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let file = file.display();
    assert!(
        stderr.contains(&format!(
            "secret: {file}: cannot read: the file was cut short while it was being read"
        )),
        "{stderr}"
    );
    assert!(!writing.exists(), "the file being written is removed");
}

/// Maps a file, then a second one (as `decrypt --merge` does), cuts the first short and reads
/// past its new end (see the test above).
#[test]
#[ignore = "run by a_file_cut_short_while_it_is_read_is_a_clean_error in a child process"]
fn cut_short_child() {
    let Some(path) = std::env::var_os(CUT_SHORT_CHILD) else {
        return;
    };
    let path = std::path::PathBuf::from(path);
    let map = |path: &std::path::Path| {
        std::fs::write(path, vec![b'x'; 2 * MAP_FROM as usize]).unwrap();
        let file = File::open(path).unwrap();
        let input = Input::of_file(file, 2 * MAP_FROM, &path.display().to_string()).unwrap();
        assert!(matches!(input, Input::Mapped(_)));
        input
    };
    let input = map(&path);
    let _second = map(&path.with_extension("second"));
    let _writing = Writing::new(std::path::Path::new(
        &std::env::var_os("INPUT_TEST_WRITING").unwrap(),
    ));
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(0)
        .unwrap();
    let last = std::hint::black_box(input[input.len() - 1]);
    panic!("read {last} past the end of a file cut short");
}

/// Set in the child of [`a_run_keeps_two_mapped_inputs_and_stores_read_from_them`].
const KEPT_CHILD: &str = "INPUT_TEST_KEPT_DIR";

#[test]
fn a_run_keeps_two_mapped_inputs_and_stores_read_from_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = in_child("kept_child")
        .env(KEPT_CHILD, dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("kept inputs checked"), "{stdout}");
}

/// Whether the running kernel's release is `major.minor` or later.
fn kernel_at_least(major: u32, minor: u32) -> bool {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let mut numbers = release.split(|c: char| !c.is_ascii_digit());
    let mut next = || {
        numbers
            .next()
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(0)
    };
    (next(), next()) >= (major, minor)
}

/// The address range of this process's mapping of `path`, from `/proc/self/maps`.
fn mapping_of(path: &std::path::Path) -> std::ops::Range<usize> {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let line = maps
        .lines()
        .find(|l| l.ends_with(&*path.to_string_lossy()))
        .expect("the file is mapped");
    let (start, end) = line
        .split_whitespace()
        .next()
        .unwrap()
        .split_once('-')
        .unwrap();
    let hex = |s| usize::from_str_radix(s, 16).unwrap();
    hex(start)..hex(end)
}

/// An encrypted dotenv file (`load_encrypted`) holds its values as slices of the kept
/// mapping, the same tree as `load` gives; a plaintext one (`load_owned`) is copied and
/// unmapped. A second input is kept, a third is not (in a child process: kept mappings stay
/// for the rest of the process).
#[test]
#[ignore = "run by a_run_keeps_two_mapped_inputs_and_stores_read_from_them in a child process"]
fn kept_child() {
    use crate::format::{dotenv::DotenvStore, Store};
    use crate::tree::{Item, Node, Scalar};
    let Some(dir) = std::env::var_os(KEPT_CHILD) else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let mut text = String::from("# first\nESCAPED=one\\ntwo\n");
    for i in 0.. {
        if text.len() > MAP_FROM as usize {
            break;
        }
        text.push_str(&format!("KEY_{i}=ENC[AES256_GCM,data:{i},type:str]\n"));
    }
    text.push_str("sops_version=3.11.0\n");
    let dotenv = dir.join("big.env");
    std::fs::write(&dotenv, &text).unwrap();
    let copied = DotenvStore.load(text.as_bytes()).unwrap();
    let plaintext = DotenvStore.load_owned(open(&dotenv)).unwrap();
    assert_eq!(plaintext, copied);
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    assert!(
        !maps.contains(&*dotenv.to_string_lossy()),
        "a plaintext input is not kept"
    );
    let kept = DotenvStore.load_encrypted(open(&dotenv)).unwrap();
    assert_eq!(kept, copied);
    let within = mapping_of(&dotenv);
    let doc = &kept.docs[0];
    let value = |index: usize| match &doc[index] {
        Item::Pair(_, Node::Scalar(Scalar::Str(s))) => s.as_ptr() as usize,
        other => panic!("{other:?}"),
    };
    assert!(matches!(&doc[0], Item::Comment(c) if within.contains(&(c.as_ptr() as usize))));
    assert!(!within.contains(&value(1)), "an unescaped value is a copy");
    assert!(within.contains(&value(2)));

    let other = dir.join("other");
    let len = 4 * STEP;
    std::fs::write(&other, vec![b'k'; len]).unwrap();
    let bytes = open(&other).keep_for_run().expect("a second input is kept");
    // A kept input is mapped in at once, where the kernel can (5.14 and later).
    if kernel_at_least(5, 14) {
        assert!(
            resident(bytes.as_ptr()) >= len - 4096,
            "a kept input is mapped in"
        );
    }
    // It is read again later: a reader passing through it gives nothing back.
    touch(bytes);
    passed(bytes, len);
    assert!(
        resident(bytes.as_ptr()) >= len - 4096,
        "a kept input keeps its pages"
    );
    start_over(bytes);
    assert!(bytes.iter().all(|&b| b == b'k'), "read again");
    let third = open(&other).keep_for_run();
    assert!(matches!(third, Err(Input::Mapped(_))), "only two are kept");
    assert!(matches!(
        Input::from(vec![1]).keep_for_run(),
        Err(Input::Owned(_))
    ));
    println!("kept inputs checked");
}
