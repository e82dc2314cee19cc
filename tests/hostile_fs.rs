//! Hostile surroundings: symbolic and hard links, concurrent writers, files owned by someone
//! else, signals, orphaned plaintext, a command that opens the FIFO twice. Every test drives
//! real `secret` processes.

mod common;
use common::*;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PLAIN: &str = r#"{"user":"alice","password":"hunter2"}"#;

struct Hostile {
    sb: Sandbox,
    runtime: PathBuf,
}

impl Hostile {
    fn new() -> Hostile {
        let sb = Sandbox::new();
        let runtime = sb.path().join("runtime");
        std::fs::create_dir(&runtime).unwrap();
        Hostile { sb, runtime }
    }

    /// `secret` with the test key, private directories in the test's runtime directory.
    fn secret(&self) -> assert_cmd::Command {
        let mut cmd = self.sb.secret();
        cmd.env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .env("XDG_RUNTIME_DIR", &self.runtime);
        cmd
    }

    /// The same as a `std::process::Command`, for processes the test spawns and signals.
    fn secret_std(&self) -> std::process::Command {
        let mut cmd = self.sb.secret_std();
        cmd.env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .env("XDG_RUNTIME_DIR", &self.runtime);
        cmd
    }

    /// `plain` encrypted by secret for the test key, written at `rel`.
    fn encrypted(&self, rel: &str, plain: &str) -> PathBuf {
        let path = self.sb.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, plain).unwrap();
        self.secret()
            .args(["encrypt", "-i", "--age", AGE1])
            .arg(&path)
            .assert()
            .success();
        path
    }

    fn decrypt(&self, path: &Path) -> String {
        String::from_utf8(stdout_of(self.secret().arg("decrypt").arg(path))).unwrap()
    }

    /// Starts `secret edit FILE` with an editor script that runs `setup`, says it is ready,
    /// then runs `body`; returns once it is ready.
    fn start_edit(&self, file: &Path, setup: &str, body: &str) -> Running {
        let ready = self.sb.path().join("ready");
        let ed = self.script(
            "ed.sh",
            &format!("{setup}\ntouch {}\n{body}", ready.display()),
        );
        let child = Running::spawn(
            self.secret_std()
                .env("EDITOR", &ed)
                .arg("edit")
                .arg(file)
                .stderr(Stdio::piped()),
        );
        wait_for(&ready);
        child
    }

    /// An executable shell script.
    fn script(&self, name: &str, body: &str) -> PathBuf {
        let p = self.sb.write(name, format!("#!/bin/sh\n{body}\n"));
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }
}

fn is_symlink(p: &Path) -> bool {
    std::fs::symlink_metadata(p)
        .unwrap()
        .file_type()
        .is_symlink()
}

/// Waits until `path` exists (a child's "I got here"), failing after 20 s.
fn wait_for(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A process the test started; killed if the test fails before it ended, so that a failing
/// test leaves nothing running.
struct Running(Option<Child>);

impl Running {
    fn spawn(cmd: &mut Command) -> Running {
        Running(Some(cmd.spawn().unwrap()))
    }

    fn id(&self) -> u32 {
        self.0.as_ref().expect("not waited for yet").id()
    }

    /// Waits for the process for at most 20 s; kills it and fails if it hangs.
    fn wait_bounded(mut self, what: &str) -> std::process::Output {
        let mut child = self.0.take().expect("waited for once");
        let start = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if start.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{what}: hangs");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        child.wait_with_output().unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn signal(pid: u32, sig: i32) {
    // SAFETY: signalling a process the test started.
    unsafe {
        libc::kill(pid as i32, sig);
    }
}

/// The process id a script wrote into `path`.
fn read_pid(path: &Path) -> i32 {
    std::fs::read_to_string(path)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Whether process `pid` still runs (a zombie waiting for its parent does not).
fn running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            let state = s.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z') && !state.starts_with('X')
        })
        .unwrap_or(false)
}

#[test]
fn every_in_place_command_writes_through_a_symlink() {
    let t = Hostile::new();
    let real = t.sb.path().join("data/real.json");
    std::fs::create_dir_all(real.parent().unwrap()).unwrap();
    std::fs::write(&real, PLAIN).unwrap();
    let link = t.sb.path().join("link.json");
    std::os::unix::fs::symlink("data/real.json", &link).unwrap();
    let check = |what: &str| {
        assert!(is_symlink(&link), "{what}: the link was replaced");
        assert_eq!(
            entries(real.parent().unwrap()),
            ["real.json"],
            "{what}: temporary files left"
        );
    };

    t.secret()
        .args(["encrypt", "-i", "--age", AGE1])
        .arg(&link)
        .assert()
        .success();
    check("encrypt -i");
    let encrypted = std::fs::read_to_string(&real).unwrap();
    assert!(
        encrypted.contains("ENC[") && !encrypted.contains("hunter2"),
        "encrypt -i left the plaintext target: {encrypted}"
    );

    t.secret()
        .arg("set")
        .arg(&link)
        .args([r#"["user"]"#, r#""bob""#])
        .assert()
        .success();
    check("set");
    assert!(t.decrypt(&real).contains("bob"));

    t.secret()
        .arg("unset")
        .arg(&link)
        .arg(r#"["password"]"#)
        .assert()
        .success();
    check("unset");
    assert!(!t.decrypt(&real).contains("password"));

    let before = std::fs::read(&real).unwrap();
    t.secret()
        .args(["rotate", "-i"])
        .arg(&link)
        .assert()
        .success();
    check("rotate -i");
    assert_ne!(
        std::fs::read(&real).unwrap(),
        before,
        "rotate -i: target unchanged"
    );

    let ed = t.script("ed.sh", r#"sed -i 's/bob/carol/' "$1""#);
    t.secret()
        .env("EDITOR", &ed)
        .arg("edit")
        .arg(&link)
        .assert()
        .success();
    check("edit");
    assert!(t.decrypt(&real).contains("carol"));

    t.secret()
        .args(["decrypt", "-i"])
        .arg(&link)
        .assert()
        .success();
    check("decrypt -i");
    let plain = std::fs::read_to_string(&real).unwrap();
    assert!(
        plain.contains("carol") && !plain.contains("ENC["),
        "{plain}"
    );
}

#[test]
fn a_dangling_output_link_creates_its_target() {
    let t = Hostile::new();
    let file = t.encrypted("app.json", PLAIN);
    let link = t.sb.path().join("out.json");
    std::os::unix::fs::symlink("made.json", &link).unwrap();
    t.secret()
        .arg("decrypt")
        .arg("--output")
        .arg(&link)
        .arg(&file)
        .assert()
        .success();
    assert!(is_symlink(&link));
    let made = t.sb.path().join("made.json");
    assert!(std::fs::read_to_string(&made).unwrap().contains("hunter2"));
    assert_eq!(std::fs::metadata(&made).unwrap().mode() & 0o777, 0o600);
}

#[test]
fn hard_links_all_see_the_new_content() {
    let t = Hostile::new();
    let first = t.sb.write("a.json", PLAIN);
    let second = t.sb.path().join("b.json");
    std::fs::hard_link(&first, &second).unwrap();
    t.secret()
        .args(["encrypt", "-i", "--age", AGE1])
        .arg(&first)
        .assert()
        .success();
    let other = std::fs::read_to_string(&second).unwrap();
    assert!(
        !other.contains("hunter2"),
        "the other name kept the plaintext"
    );
    t.secret()
        .arg("set")
        .arg(&second)
        .args([r#"["user"]"#, r#""bob""#])
        .assert()
        .success();
    assert!(t.decrypt(&first).contains("bob"));
    let (a, b) = (
        std::fs::metadata(&first).unwrap(),
        std::fs::metadata(&second).unwrap(),
    );
    assert_eq!(
        (a.ino(), a.nlink()),
        (b.ino(), 2),
        "still one file, two names"
    );
    assert_eq!(entries(t.sb.path()).len(), 3, "a.json, b.json, runtime");
}

#[test]
fn concurrent_sets_and_rotations_lose_nothing() {
    let t = Hostile::new();
    let file = t.encrypted("app.json", PLAIN);
    let runs: Vec<Running> = (0..10)
        .flat_map(|i| {
            let set = Running::spawn(
                t.secret_std()
                    .arg("set")
                    .arg(&file)
                    .arg(format!(r#"["k{i}"]"#))
                    .arg(format!(r#""v{i}""#))
                    .stderr(Stdio::piped()),
            );
            let rotate = Running::spawn(
                t.secret_std()
                    .args(["rotate", "-i"])
                    .arg(&file)
                    .stderr(Stdio::piped()),
            );
            [set, rotate]
        })
        .collect();
    for run in runs {
        let out = run.wait_bounded("a concurrent run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let plain = t.decrypt(&file);
    for i in 0..10 {
        assert!(
            plain.contains(&format!("\"k{i}\": \"v{i}\"")),
            "k{i} lost: {plain}"
        );
    }
}

#[test]
fn a_busy_file_is_waited_for_then_refused() {
    let t = Hostile::new();
    let file = t.encrypted("app.json", PLAIN);
    let go = t.sb.path().join("go");
    let edit = t.start_edit(
        &file,
        "",
        &format!(
            r#"while [ ! -e {} ]; do sleep 0.02; done; sed -i 's/alice/bob/' "$1""#,
            go.display()
        ),
    );
    // Not waiting: refused at once.
    t.secret()
        .env("SECRET_LOCK_WAIT", "0")
        .args(["decrypt", "-i"])
        .arg(&file)
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "is being changed by another secret process",
        ));
    // Waiting: the set runs once the edit has written, and keeps the edit's change.
    let set = Running::spawn(
        t.secret_std()
            .arg("set")
            .arg(&file)
            .args([r#"["k"]"#, r#""v""#]),
    );
    std::thread::sleep(Duration::from_millis(200));
    std::fs::write(&go, "").unwrap();
    assert!(edit.wait_bounded("edit").status.success());
    assert!(set.wait_bounded("set").status.success());
    let plain = t.decrypt(&file);
    assert!(
        plain.contains("bob") && plain.contains("\"k\": \"v\""),
        "{plain}"
    );
}

#[test]
fn owner_and_group_are_kept() {
    let t = Hostile::new();
    let file = t.encrypted("app.json", PLAIN);
    // SAFETY: getters without failure modes.
    let root = unsafe { libc::geteuid() } == 0;
    // As root, give the file away; otherwise it is already someone's (ours).
    let (uid, gid) = if root {
        (1234, 1234)
    } else {
        let m = std::fs::metadata(&file).unwrap();
        (m.uid(), m.gid())
    };
    std::os::unix::fs::chown(&file, Some(uid), Some(gid)).unwrap();
    let ed = t.script("ed.sh", r#"sed -i 's/alice/bob/' "$1""#);
    let steps: [(&str, &[&str]); 4] = [
        ("set", &["set", "FILE", r#"["k"]"#, "1"]),
        ("rotate -i", &["rotate", "-i", "FILE"]),
        ("edit", &["edit", "FILE"]),
        ("decrypt -i", &["decrypt", "-i", "FILE"]),
    ];
    for (what, args) in steps {
        let mut cmd = t.secret();
        cmd.env("EDITOR", &ed);
        for a in args {
            match *a {
                "FILE" => cmd.arg(&file),
                other => cmd.arg(other),
            };
        }
        cmd.assert().success();
        let m = std::fs::metadata(&file).unwrap();
        assert_eq!((m.uid(), m.gid()), (uid, gid), "{what} changed the owner");
    }
}

#[test]
fn sigterm_reaches_the_command_and_what_it_left_running() {
    let t = Hostile::new();
    let file = t.encrypted("app.json", PLAIN);
    let ready = t.sb.path().join("ready");
    let record = t.sb.path().join("record");
    let pids = t.sb.path().join("pids");
    // The shell records the signal and exits 42; its own child (sleep) is not passed the
    // signal by the shell, so secret has to.
    let command = format!(
        "trap 'echo TERM > {rec}; exit 42' TERM; sleep 300 & echo $! > {pids}; touch {ready}; wait",
        rec = record.display(),
        pids = pids.display(),
        ready = ready.display()
    );
    let child = Running::spawn(t.secret_std().arg("exec-env").arg(&file).arg(&command));
    wait_for(&ready);
    let sleeper = read_pid(&pids);
    assert!(running(sleeper));
    signal(child.id(), libc::SIGTERM);
    let out = child.wait_bounded("exec-env");
    assert_eq!(out.status.code(), Some(42), "the command's own exit status");
    assert_eq!(std::fs::read_to_string(&record).unwrap(), "TERM\n");
    let start = Instant::now();
    while running(sleeper) {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the command's child still runs with the secrets"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn sigint_during_edit_keeps_what_the_editor_then_saves() {
    let t = Hostile::new();
    let file = t.encrypted("app.json", PLAIN);
    let got = t.sb.path().join("got-int");
    // Like vim: Ctrl+C is a key to the editor, which goes on and saves.
    let edit = t.start_edit(
        &file,
        &format!("trap 'touch {}' INT", got.display()),
        &format!(
            r#"while [ ! -e {} ]; do sleep 0.02; done; sed -i 's/alice/bob/' "$1""#,
            got.display()
        ),
    );
    signal(edit.id(), libc::SIGINT);
    let out = edit.wait_bounded("edit");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        t.decrypt(&file).contains("bob"),
        "the saved change was lost"
    );
    assert_eq!(entries(&t.runtime), Vec::<String>::new());
}

#[test]
fn plaintext_left_by_a_killed_run_is_removed_by_the_next() {
    let t = Hostile::new();
    let file = t.encrypted("app.json", PLAIN);
    let editor_pid = t.sb.path().join("editor-pid");
    let edit = t.start_edit(
        &file,
        &format!("echo $$ > {}", editor_pid.display()),
        "exec sleep 300",
    );
    signal(edit.id(), libc::SIGKILL);
    // The editor holds secret's stderr open: end it before reading that to its end.
    signal(read_pid(&editor_pid) as u32, libc::SIGKILL);
    edit.wait_bounded("the killed edit");
    let left = entries(&t.runtime);
    assert_eq!(left.len(), 1, "the killed edit's directory");
    let dir = t.runtime.join(&left[0]);
    assert!(std::fs::read_to_string(dir.join("app.json"))
        .unwrap()
        .contains("hunter2"));
    // The next run that makes a private directory removes the orphan first.
    let out = stdout_of(
        t.secret()
            .arg("exec-file")
            .arg(&file)
            .arg("ls $(dirname {})/.. | wc -l; cat {} > /dev/null"),
    );
    assert_eq!(String::from_utf8(out).unwrap().trim(), "1", "only its own");
    assert_eq!(entries(&t.runtime), Vec::<String>::new());
}

#[test]
fn exec_file_fifo_opened_twice_gives_the_content_twice() {
    let t = Hostile::new();
    let file = t.encrypted("app.json", PLAIN);
    let child = Running::spawn(
        t.secret_std()
            .arg("exec-file")
            .arg(&file)
            .arg("cat {}; cat {}")
            .stdout(Stdio::piped()),
    );
    let out = child.wait_bounded("exec-file reading the FIFO twice");
    assert!(out.status.success());
    let once = t.decrypt(&file);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), once.repeat(2));
    assert_eq!(entries(&t.runtime), Vec::<String>::new());
}
