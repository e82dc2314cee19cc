//! `secret edit`: editors are small shell scripts written into the test's sandbox; the
//! private temp directories go to a test-owned XDG_RUNTIME_DIR so leftovers are visible.

mod common;
use common::*;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const PLAIN_JSON: &str = r#"{"user":"alice","password":"hunter2","port":5432,"nested":{"token":"t0k","list":["a","b"]}}"#;

struct Edit {
    sb: Sandbox,
    runtime: PathBuf,
}

impl Edit {
    fn new() -> Edit {
        let sb = Sandbox::new();
        let runtime = sb.path().join("runtime");
        std::fs::create_dir(&runtime).unwrap();
        Edit { sb, runtime }
    }

    /// An editor script.
    fn editor(&self, name: &str, body: &str) -> PathBuf {
        let p = self.sb.write(name, format!("#!/bin/sh\n{body}\n"));
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    /// An editor that copies what it is shown to `seen`, then runs the `sed` script on it.
    fn recording_editor(&self, seen: &Path, sed: &str) -> PathBuf {
        self.editor(
            "ed.sh",
            &format!(r#"cp "$1" {}; sed -i '{sed}' "$1""#, seen.display()),
        )
    }

    fn secret(&self, editor: &Path) -> assert_cmd::Command {
        let mut cmd = self.sb.secret();
        cmd.env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .env("EDITOR", editor)
            .env("XDG_RUNTIME_DIR", &self.runtime)
            .env("TMPDIR", &self.runtime);
        cmd
    }

    fn assert_nothing_left(&self) {
        assert_eq!(
            entries(&self.runtime),
            Vec::<String>::new(),
            "plaintext left behind"
        );
    }
}

#[test]
fn one_changed_value_changes_only_its_line_mac_and_lastmodified() {
    let t = Edit::new();
    let file = t.sb.sops_file("app.json", PLAIN_JSON);
    let before = std::fs::read(&file).unwrap();
    // Make sure lastmodified can differ from the sops run (second resolution).
    std::thread::sleep(Duration::from_millis(1100));
    let ed = t.editor("ed.sh", r#"sed -i 's/hunter2/hunter3/' "$1""#);
    let out = t.secret(&ed).arg("edit").arg(&file).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = std::fs::read(&file).unwrap();
    assert_minimal_diff(&before, &after, &["password", "lastmodified"]);
    let plain = t.sb.sops_decrypt(&file);
    assert!(plain.contains("\"password\": \"hunter3\""), "{plain}");
    assert!(plain.contains("\"user\": \"alice\""), "{plain}");
    t.assert_nothing_left();
}

#[test]
fn editor_sees_same_base_name_in_private_dir() {
    let t = Edit::new();
    let file = t.sb.sops_file("app.json", PLAIN_JSON);
    let seen = t.sb.path().join("seen");
    let ed = t.editor(
        "ed.sh",
        &format!(
            r#"stat -c '%a' "$1" > {0}; stat -c '%a' "$(dirname "$1")" >> {0}; basename "$1" >> {0}; dirname "$(dirname "$1")" >> {0}"#,
            seen.display()
        ),
    );
    t.secret(&ed).arg("edit").arg(&file).assert().code(200);
    let seen = std::fs::read_to_string(&seen).unwrap();
    let lines: Vec<&str> = seen.lines().collect();
    assert_eq!(lines[..3], ["600", "700", "app.json"]);
    assert_eq!(Path::new(lines[3]), t.runtime.as_path());
    t.assert_nothing_left();
}

#[test]
fn unchanged_content_exits_200_and_leaves_the_file_alone() {
    let t = Edit::new();
    let file = t.sb.sops_file("app.json", PLAIN_JSON);
    let before = std::fs::read(&file).unwrap();
    let ed = t.editor("ed.sh", "true");
    t.secret(&ed)
        .arg("edit")
        .arg(&file)
        .assert()
        .code(200)
        .stderr(predicates::str::contains("has not changed"));
    assert_eq!(std::fs::read(&file).unwrap(), before);
    t.assert_nothing_left();
}

#[test]
fn bare_file_argument_is_edit() {
    let t = Edit::new();
    let file = t.sb.sops_file("app.json", PLAIN_JSON);
    let ed = t.editor("ed.sh", "true");
    t.secret(&ed).arg(&file).assert().code(200);
}

#[test]
fn invalid_content_without_a_terminal_fails_and_keeps_the_file() {
    let t = Edit::new();
    let file = t.sb.sops_file("app.json", PLAIN_JSON);
    let before = std::fs::read(&file).unwrap();
    let ed = t.editor("ed.sh", r#"printf '{"broken": ' > "$1""#);
    t.secret(&ed)
        .arg("edit")
        .arg(&file)
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("invalid JSON"));
    assert_eq!(std::fs::read(&file).unwrap(), before);
    t.assert_nothing_left();
}

#[test]
fn a_sops_key_added_by_hand_is_refused() {
    let t = Edit::new();
    let file = t.sb.sops_file("app.json", PLAIN_JSON);
    let before = std::fs::read(&file).unwrap();
    let ed = t.editor("ed.sh", r#"printf '{"a": "b", "sops": {"x": 1}}' > "$1""#);
    t.secret(&ed)
        .arg("edit")
        .arg(&file)
        .write_stdin("")
        .assert()
        .failure()
        .stderr(predicates::str::contains("\"sops\" key"));
    assert_eq!(std::fs::read(&file).unwrap(), before);
    t.assert_nothing_left();
}

#[test]
fn failing_or_missing_editor_is_201() {
    let t = Edit::new();
    let file = t.sb.sops_file("app.json", PLAIN_JSON);
    let before = std::fs::read(&file).unwrap();
    let ed = t.editor("ed.sh", r#"echo '{"a": 1}' > "$1"; exit 3"#);
    t.secret(&ed).arg("edit").arg(&file).assert().code(201);
    t.secret(Path::new("/nonexistent/editor"))
        .arg("edit")
        .arg(&file)
        .assert()
        .code(201);
    // Killed editor (crash).
    let ed = t.editor("crash.sh", r#"echo '{"a": 1}' > "$1"; kill -9 $$"#);
    t.secret(&ed).arg("edit").arg(&file).assert().code(201);
    assert_eq!(std::fs::read(&file).unwrap(), before);
    t.assert_nothing_left();
}

#[test]
fn sops_editor_wins_and_is_split_like_a_shell() {
    let t = Edit::new();
    let file = t.sb.sops_file("app.json", PLAIN_JSON);
    let ed = t.editor(
        "ed.sh",
        r#"[ "$1" = "two words" ] || exit 9; sed -i 's/alice/bob/' "$2""#,
    );
    t.secret(Path::new("/nonexistent/editor"))
        .env("SOPS_EDITOR", format!("{} 'two words'", ed.display()))
        .arg("edit")
        .arg(&file)
        .assert()
        .code(0);
    assert!(t.sb.sops_decrypt(&file).contains("\"user\": \"bob\""));
}

/// Starts `secret edit` with an editor that hangs, waits until the editor runs, then sends
/// `signal` to secret.
fn signal_while_editing(signal: i32) -> (Edit, Vec<u8>, Vec<u8>, std::process::Output) {
    let t = Edit::new();
    let file = t.sb.sops_file("app.json", PLAIN_JSON);
    let before = std::fs::read(&file).unwrap();
    let ready = t.sb.path().join("ready");
    // The editor changes the file (so a write would happen) and then hangs.
    let ed = t.editor(
        "ed.sh",
        &format!(
            r#"sed -i 's/alice/mallory/' "$1"; touch {}; exec sleep 30"#,
            ready.display()
        ),
    );
    let child =
        t.sb.secret_std()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .env("EDITOR", &ed)
            .env("XDG_RUNTIME_DIR", &t.runtime)
            .arg("edit")
            .arg(&file)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
    let start = Instant::now();
    while !ready.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "editor never ran"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        entries(&t.runtime).len(),
        1,
        "the private dir exists meanwhile"
    );
    unsafe {
        libc::kill(child.id() as i32, signal);
    }
    let out = child.wait_with_output().unwrap();
    let after = std::fs::read(&file).unwrap();
    (t, before, after, out)
}

#[test]
fn sigterm_while_editing_cleans_up_and_exits_143() {
    let (t, before, after, out) = signal_while_editing(libc::SIGTERM);
    assert_eq!(
        out.status.code(),
        Some(143),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(after, before, "file must be untouched");
    t.assert_nothing_left();
}

#[test]
fn sigint_and_sighup_while_editing_clean_up_too() {
    for (sig, code) in [(libc::SIGINT, 130), (libc::SIGHUP, 129)] {
        let (t, before, after, out) = signal_while_editing(sig);
        assert_eq!(out.status.code(), Some(code));
        assert_eq!(after, before);
        t.assert_nothing_left();
    }
}

#[test]
fn a_second_edit_of_the_same_file_is_refused() {
    let t = Edit::new();
    let file = t.sb.sops_file("app.json", PLAIN_JSON);
    let ready = t.sb.path().join("ready");
    let ed = t.editor(
        "ed.sh",
        &format!("touch {}; exec sleep 30", ready.display()),
    );
    let mut first =
        t.sb.secret_std()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .env("EDITOR", &ed)
            .env("XDG_RUNTIME_DIR", &t.runtime)
            .arg("edit")
            .arg(&file)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
    let start = Instant::now();
    while !ready.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "editor never ran"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let quick = t.editor("quick.sh", "true");
    // Refused at once instead of after the default wait for the lock.
    t.secret(&quick)
        .env("SECRET_LOCK_WAIT", "0")
        .arg("edit")
        .arg(&file)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("another secret process"));
    // set is refused too while the edit is open.
    t.secret(&quick)
        .env("SECRET_LOCK_WAIT", "0")
        .args(["set"])
        .arg(&file)
        .args([r#"["user"]"#, r#""x""#])
        .assert()
        .code(1);
    unsafe {
        libc::kill(first.id() as i32, libc::SIGTERM);
    }
    assert_eq!(first.wait().unwrap().code(), Some(143));
    t.assert_nothing_left();
}

#[test]
fn a_missing_file_starts_from_the_example() {
    let t = Edit::new();
    let file = t.sb.path().join("new.json");
    let ed = t.editor(
        "ed.sh",
        r#"grep -q 'Welcome to SOPS' "$1" || exit 5; sed -i 's/example_value"/mine"/' "$1""#,
    );
    t.secret(&ed)
        .args(["edit", "--age", AGE1, "new.json"])
        .assert()
        .code(0);
    let plain = t.sb.sops_decrypt(&file);
    assert!(plain.contains("\"example_key\": \"mine\""), "{plain}");
    assert!(plain.contains("\"example_number\": 1234.56789"), "{plain}");
    // Unchanged example: nothing is created.
    let noop = t.editor("noop.sh", "true");
    t.secret(&noop)
        .args(["edit", "--age", AGE1, "other.json"])
        .assert()
        .code(200);
    assert!(!t.sb.path().join("other.json").exists());
    // No keys at all: an error before any editor runs.
    t.secret(&ed).args(["edit", "third.json"]).assert().code(1);
    t.assert_nothing_left();
}

/// Needs the YAML store (`.sops.yaml` is read with it).
#[test]
fn a_missing_file_uses_the_creation_rules_keys() {
    let t = Edit::new();
    t.sb.write(
        ".sops.yaml",
        format!("creation_rules:\n  - path_regex: \\.json$\n    age: {AGE1}\n"),
    );
    let ed = t.editor("ed.sh", r#"sed -i 's/example_value"/mine"/' "$1""#);
    t.secret(&ed).arg("edit").arg("new.json").assert().code(0);
    let plain = t.sb.sops_decrypt(&t.sb.path().join("new.json"));
    assert!(plain.contains("\"example_key\": \"mine\""), "{plain}");
    t.assert_nothing_left();
}

#[test]
fn show_master_keys_puts_the_metadata_in_the_editor() {
    let t = Edit::new();
    let file = t.sb.sops_file("app.json", PLAIN_JSON);
    let seen = t.sb.path().join("seen");
    let ed = t.recording_editor(&seen, "s/alice/carol/");
    t.secret(&ed)
        .args(["edit", "-s"])
        .arg(&file)
        .assert()
        .code(0);
    let seen = std::fs::read_to_string(seen).unwrap();
    assert!(seen.contains(AGE1) && seen.contains("\"sops\""), "{seen}");
    assert!(t.sb.sops_decrypt(&file).contains("carol"));
}

/// Needs the YAML store: the same minimal-diff property for a YAML file written by sops.
#[test]
fn yaml_edit_changes_only_the_edited_line() {
    let t = Edit::new();
    let file = t.sb.sops_file(
        "app.yaml",
        "# db\ndb:\n    user: alice\n    password: hunter2\nport: 5432\n",
    );
    let before = std::fs::read(&file).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let ed = t.editor("ed.sh", r#"sed -i 's/hunter2/hunter3/' "$1""#);
    t.secret(&ed).arg("edit").arg(&file).assert().code(0);
    let after = std::fs::read(&file).unwrap();
    assert_minimal_diff(&before, &after, &["password", "lastmodified"]);
    assert!(t.sb.sops_decrypt(&file).contains("password: hunter3"));
    t.assert_nothing_left();
}

/// Runs secret on a pseudo-terminal: invalid content, the prompt, Enter, the editor re-opened
/// with the user's text kept, then a fix.
#[test]
fn invalid_content_on_a_terminal_reopens_the_editor_with_the_text_kept() {
    let t = Edit::new();
    let file = t.sb.sops_file("app.json", PLAIN_JSON);
    let count = t.sb.path().join("count");
    // First run: break the JSON with a recognisable mistake. Second run: the mistake must
    // still be there (text kept), then fix it.
    let ed = t.editor(
        "ed.sh",
        &format!(
            r#"if [ ! -e {c} ]; then touch {c}; sed -i 's/"hunter2",/"typed-by-user" BROKEN/' "$1"; else grep -q 'typed-by-user" BROKEN' "$1" || exit 8; sed -i 's/"typed-by-user" BROKEN/"typed-by-user",/' "$1"; fi"#,
            c = count.display()
        ),
    );

    let (mut master, slave) = openpty();
    let mut cmd = t.sb.secret_std();
    cmd.env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .env("EDITOR", &ed)
        .env("XDG_RUNTIME_DIR", &t.runtime)
        .arg("edit")
        .arg(&file);
    let mut child = spawn_on_pty(cmd, &slave);
    drop(slave);

    let mut seen = Vec::new();
    read_until(&mut master, &mut seen, "press Enter");
    master.write_all(b"\n").unwrap();
    // Drain until the child exits (EIO on the master when the slave side is gone).
    let mut buf = [0u8; 1024];
    loop {
        match master.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{}", String::from_utf8_lossy(&seen));
    assert!(t
        .sb
        .sops_decrypt(&file)
        .contains("\"password\": \"typed-by-user\""));
    t.assert_nothing_left();
}

fn openpty() -> (std::fs::File, std::fs::File) {
    use std::os::fd::FromRawFd;
    let (mut m, mut s) = (0, 0);
    let rc = unsafe {
        libc::openpty(
            &mut m,
            &mut s,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty failed");
    unsafe { (std::fs::File::from_raw_fd(m), std::fs::File::from_raw_fd(s)) }
}

fn spawn_on_pty(mut cmd: std::process::Command, slave: &std::fs::File) -> std::process::Child {
    use std::os::unix::process::CommandExt;
    cmd.stdin(slave.try_clone().unwrap())
        .stdout(slave.try_clone().unwrap())
        .stderr(slave.try_clone().unwrap());
    unsafe {
        cmd.pre_exec(|| {
            // A new session with the terminal as its controlling terminal, as a login shell has.
            libc::setsid();
            libc::ioctl(0, libc::TIOCSCTTY as _, 0);
            Ok(())
        });
    }
    cmd.spawn().unwrap()
}

fn read_until(master: &mut std::fs::File, seen: &mut Vec<u8>, needle: &str) {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut reader = master.try_clone().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send(buf[..n].to_vec()).is_err() {
                        break;
                    }
                    if String::from_utf8_lossy(&buf[..n]).contains("press Enter") {
                        break;
                    }
                }
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while !String::from_utf8_lossy(seen).contains(needle) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(chunk) => seen.extend_from_slice(&chunk),
            Err(_) => panic!(
                "no {needle:?} on the terminal; saw: {}",
                String::from_utf8_lossy(seen)
            ),
        }
    }
}

#[test]
fn toml_keeps_its_layout_through_an_edit() {
    let t = Edit::new();
    let plain =
        "# config\nport = 8080   # the port\n\npoint = { x = 1 }\n[db]\nhost.name = \"h\"\n";
    let file = t.sb.write("app.toml", plain);
    stdout_of(
        t.sb.secret()
            .args(["encrypt", "-i", "--age", AGE1])
            .arg(&file),
    );
    // The editor sees the layout as written, and what it writes is kept.
    let seen = t.sb.path().join("seen.toml");
    let ed = t.recording_editor(&seen, r"s/8080/9090/; s/^\[db\]/\n[db]/");
    t.secret(&ed).arg("edit").arg(&file).assert().success();
    assert_eq!(std::fs::read_to_string(&seen).unwrap(), plain);
    let decrypted = stdout_of(
        t.sb.secret()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .arg("decrypt")
            .arg(&file),
    );
    let want =
        "# config\nport = 9090   # the port\n\npoint = { x = 1 }\n\n[db]\nhost.name = \"h\"\n";
    assert_same(&decrypted, want.as_bytes(), "TOML after edit");
    t.assert_nothing_left();
}
