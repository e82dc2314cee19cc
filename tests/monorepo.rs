//! Many files in one run: `-r`, `--all` (git work tree, creation rules, .gitignore,
//! symbolic links), the parallel runner's summary and failures, `updatekeys --dry-run` and
//! `--rotate`.

mod common;

use common::{key, Sandbox, AGE1};
use std::path::{Path, PathBuf};

const AGE2: &str = "age18ept7lq70vg3zau47jq3qegm54ul6phpq2qf5u4ug6v7aj45kqzqfhqvyc";

/// A git repository in the sandbox with a `.sops.yaml` whose one rule covers
/// `secrets/*.yaml` for `recipients`.
fn repo(recipients: &str) -> Sandbox {
    let sandbox = Sandbox::new();
    let git = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(sandbox.path())
        .status()
        .unwrap();
    assert!(git.success());
    set_rule(&sandbox, recipients);
    std::fs::create_dir_all(sandbox.path().join("secrets")).unwrap();
    std::fs::create_dir_all(sandbox.path().join("other")).unwrap();
    sandbox
}

fn set_rule(sandbox: &Sandbox, recipients: &str) {
    sandbox.write(
        ".sops.yaml",
        format!("creation_rules:\n  - path_regex: ^secrets/.*\\.yaml$\n    age: {recipients}\n"),
    );
}

/// Writes `name` encrypted by `secret` for `recipients` (whatever the rules say).
fn encrypted(sandbox: &Sandbox, name: &str, recipients: &str) -> PathBuf {
    let plain = sandbox.write(name, format!("token: value-of-{name}\n"));
    let no_rules = sandbox.write(".git/no-rules.yaml", "stores: {}\n");
    sandbox
        .secret()
        .arg("--config")
        .arg(no_rules)
        .args(["encrypt", "-i", "--age", recipients])
        .arg(&plain)
        .assert()
        .success();
    plain
}

/// Whether age identity `key_file` opens `file` (as the real sops decrypts it).
fn readable_with(sandbox: &Sandbox, key_file: &str, file: &Path) -> bool {
    sandbox
        .sops()
        .env("SOPS_AGE_KEY_FILE", key(key_file))
        .arg("decrypt")
        .arg(file)
        .output()
        .unwrap()
        .status
        .success()
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn updatekeys_all_picks_ruled_sops_files_of_the_work_tree() {
    let sandbox = repo(AGE1);
    let a = encrypted(&sandbox, "secrets/a.yaml", AGE1);
    let b = encrypted(&sandbox, "secrets/b.yaml", AGE1);
    let ignored = encrypted(&sandbox, "secrets/ignored.yaml", AGE1);
    sandbox.write(".gitignore", "secrets/ignored.yaml\n");
    let unruled = encrypted(&sandbox, "other/c.yaml", AGE1);
    let plain = sandbox.write("secrets/plain.yaml", "not: encrypted\n");
    // A link out of the repository is not followed.
    let outside = Sandbox::new();
    let target = outside.write("x.yaml", std::fs::read(&a).unwrap());
    std::os::unix::fs::symlink(&target, sandbox.path().join("secrets/link.yaml")).unwrap();
    let before = |p: &Path| std::fs::read(p).unwrap();
    let kept = [&ignored, &unruled, &plain, &target].map(|p| (p.clone(), before(p)));

    set_rule(&sandbox, &format!("{AGE1},{AGE2}"));
    let out = sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .args(["updatekeys", "--all", "-y"])
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("2 updated, 0 unchanged, 0 failed, 1 skipped"),
        "{err}"
    );
    for f in [&a, &b] {
        assert!(readable_with(&sandbox, "age2.txt", f), "{}", f.display());
    }
    for (p, bytes) in kept {
        assert_eq!(before(&p), bytes, "{} changed", p.display());
    }

    // Nothing left to do the second time.
    let out = sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .args(["updatekeys", "--all", "-y", "--jobs", "1"])
        .output()
        .unwrap();
    assert!(stderr_of(&out).contains("0 updated, 2 unchanged, 0 failed"));
}

#[test]
fn failures_do_not_stop_the_others_and_leave_files_whole() {
    let sandbox = repo(AGE1);
    let good: Vec<PathBuf> = (0..6)
        .map(|i| encrypted(&sandbox, &format!("secrets/g{i}.yaml"), AGE1))
        .collect();
    // A file only AGE2 opens (we hold AGE1), and a sops file whose data key is damaged.
    let foreign = encrypted(&sandbox, "secrets/foreign.yaml", AGE2);
    let corrupt = encrypted(&sandbox, "secrets/corrupt.yaml", AGE1);
    let text = std::fs::read_to_string(&corrupt).unwrap();
    let damaged = text.replace(
        "-----BEGIN AGE ENCRYPTED FILE-----",
        "-----BEGIN AGE BROKEN-----",
    );
    assert_ne!(text, damaged);
    std::fs::write(&corrupt, &damaged).unwrap();
    let foreign_before = std::fs::read(&foreign).unwrap();

    set_rule(&sandbox, &format!("{AGE1},{AGE2}"));
    let out = sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .args(["updatekeys", "-y", "-r", "secrets", "--jobs", "3"])
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("6 updated, 0 unchanged, 2 failed"), "{err}");
    let failed: Vec<&str> = err.lines().filter(|l| l.contains("failed: ")).collect();
    assert_eq!(failed.len(), 2, "{err}");
    assert!(failed.iter().any(|l| l.contains("secrets/foreign.yaml")));
    assert!(failed.iter().any(|l| l.contains("secrets/corrupt.yaml")));
    assert!(!err.contains("AGE-SECRET-KEY"));
    for g in &good {
        assert!(readable_with(&sandbox, "age2.txt", g));
    }
    assert_eq!(std::fs::read(&foreign).unwrap(), foreign_before);
    assert_eq!(std::fs::read_to_string(&corrupt).unwrap(), damaged);
}

#[test]
fn dry_run_prints_the_changes_and_writes_nothing() {
    let sandbox = repo(AGE1);
    let a = encrypted(&sandbox, "secrets/a.yaml", AGE1);
    let b = encrypted(&sandbox, "secrets/b.yaml", &format!("{AGE1},{AGE2}"));
    let before = [std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap()];
    set_rule(&sandbox, &format!("{AGE1},{AGE2}"));
    let out = sandbox
        .secret()
        .args(["updatekeys", "--all", "--dry-run"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("groups of "), "{stdout}");
    assert!(stdout.contains("secrets/a.yaml:"), "{stdout}");
    assert!(!stdout.contains("secrets/b.yaml:"), "{stdout}");
    assert!(stdout.contains(&format!("+++ {AGE2}")), "{stdout}");
    assert!(stderr_of(&out).contains("1 would change, 1 unchanged, 0 failed"));
    assert_eq!(
        [std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap()],
        before
    );
}

#[test]
fn rotate_shuts_a_removed_recipient_out() {
    let sandbox = repo(&format!("{AGE1},{AGE2}"));
    let a = encrypted(&sandbox, "secrets/a.yaml", &format!("{AGE1},{AGE2}"));
    let old = std::fs::read_to_string(&a).unwrap();
    set_rule(&sandbox, AGE1);
    sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .args(["updatekeys", "--all", "-y", "--rotate"])
        .assert()
        .success();
    let new = std::fs::read_to_string(&a).unwrap();
    // A new data key: the value's ciphertext changes (plain updatekeys keeps it).
    let value_line = |t: &str| {
        t.lines()
            .find(|l| l.starts_with("token:"))
            .unwrap()
            .to_string()
    };
    assert_ne!(value_line(&old), value_line(&new));
    assert!(readable_with(&sandbox, "age1.txt", &a));
    assert!(!readable_with(&sandbox, "age2.txt", &a));
    assert!(sandbox.sops_decrypt(&a).contains("value-of-secrets/a.yaml"));
}

#[test]
fn encrypt_and_decrypt_several_files_in_place() {
    let sandbox = repo(AGE1);
    let plain_a = sandbox.write("secrets/a.yaml", "token: one\n");
    sandbox.write("secrets/b.yaml", "token: two\n");
    let unruled = sandbox.write("other/c.yaml", "token: three\n");
    let already = encrypted(&sandbox, "secrets/d.yaml", AGE1);
    let already_bytes = std::fs::read(&already).unwrap();
    let out = sandbox
        .secret()
        .args(["encrypt", "-i", "--all"])
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("2 encrypted, 0 unchanged, 0 failed, 1 skipped"),
        "{err}"
    );
    assert_eq!(std::fs::read(&already).unwrap(), already_bytes);
    assert_eq!(std::fs::read_to_string(&unruled).unwrap(), "token: three\n");
    assert!(sandbox.sops_decrypt(&plain_a).contains("token: one"));

    // Several named files need -i.
    let out = sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .args(["decrypt", "secrets/a.yaml", "secrets/b.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(8));
    sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .args(["decrypt", "-i", "-r", "secrets"])
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&plain_a).unwrap(), "token: one\n");
    // A directory without -r is refused as before.
    let out = sandbox
        .secret()
        .args(["decrypt", "-i", "secrets", "other/c.yaml"])
        .output()
        .unwrap();
    assert!(stderr_of(&out).contains("-r"), "{}", stderr_of(&out));
}

fn git(sandbox: &Sandbox, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(sandbox.path())
        .status()
        .unwrap()
        .success();
    assert!(ok, "git {args:?}");
}

#[test]
fn check_all_covers_the_work_tree_and_rereads_changed_files() {
    let sandbox = repo(AGE1);
    encrypted(&sandbox, "secrets/ok.yaml", AGE1);
    let notes = sandbox.write("other/notes.txt", "nothing to see\n");
    sandbox.write(".gitignore", "local.env\n");
    sandbox.write(
        "local.env",
        "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ\n",
    );
    git(&sandbox, &["add", "-A"]);
    git(&sandbox, &["commit", "-qm", "init"]);
    let check = || sandbox.secret().args(["check", "--all"]).output().unwrap();
    for _ in 0..2 {
        let out = check();
        assert!(out.status.success(), "{}", stderr_of(&out));
    }
    // A committed file changed in the work tree is read again despite the cache; an
    // untracked file under a rule is checked too.
    std::fs::write(
        &notes,
        "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ\n",
    )
    .unwrap();
    sandbox.write("secrets/new.yaml", "token: plain\n");
    let out = check();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("other/notes.txt:1: age-secret-key"),
        "{stdout}"
    );
    assert!(
        stdout.contains("secrets/new.yaml:1: not-encrypted"),
        "{stdout}"
    );
    assert!(!stdout.contains("local.env"), "{stdout}");
}

#[test]
fn later_files_override_earlier_keys_in_exec_env_and_decrypt_merge() {
    let sandbox = Sandbox::new();
    let no_rules = sandbox.write("no-rules.yaml", "stores: {}\n");
    let seal = |name: &str, plain: &str| {
        let p = sandbox.write(name, plain);
        sandbox
            .secret()
            .arg("--config")
            .arg(&no_rules)
            .args(["encrypt", "-i", "--age", AGE1])
            .arg(&p)
            .assert()
            .success();
    };
    seal("a.env", "SHARED=from-a\nONLY_A=a\n");
    seal(
        "b.yaml",
        "SHARED: from-b\nONLY_B: b\ndb:\n  user: u\n  pw: old\n",
    );
    seal("c.json", "{\"db\": {\"pw\": \"new\"}}\n");
    let out = sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .args(["exec-env", "-f", "a.env", "-f", "b.yaml", "--flatten"])
        .arg("echo $SHARED $ONLY_A $ONLY_B $DB_USER")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "from-b a b u\n");
    // The other order: the env file wins; words after the options are the command.
    let out = sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .args([
            "exec-env",
            "-f",
            "b.yaml",
            "-f",
            "a.env",
            "--flatten",
            "printenv",
            "SHARED",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "from-a\n");
    // The one-file form is unchanged.
    let out = sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .args(["exec-env", "a.env", "printenv ONLY_A"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a\n");

    let out = sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .args(["decrypt", "--merge", "b.yaml", "c.json", "a.env"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "SHARED: from-a\nONLY_B: b\ndb:\n    user: u\n    pw: new\nONLY_A: a\n"
    );
}

#[test]
fn filestatus_of_several_files_is_one_json_line_each() {
    let sandbox = repo(AGE1);
    encrypted(&sandbox, "secrets/a.yaml", AGE1);
    sandbox.write("secrets/b.yaml", "plain: yes\n");
    sandbox.write("other/c.yaml", "x: 1\n");
    let out = sandbox
        .secret()
        .args(["filestatus", "--all"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let root = sandbox.path().canonicalize().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).replace(&*root.to_string_lossy(), "");
    assert_eq!(
        stdout,
        "{\"file\":\"/secrets/a.yaml\",\"encrypted\":true}\n\
         {\"file\":\"/secrets/b.yaml\",\"encrypted\":false}\n"
    );
    // A named file that cannot be read fails alone; one file prints as sops does.
    let out = sandbox
        .secret()
        .args(["filestatus", "secrets/a.yaml", "missing.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"encrypted\":true"));
    assert!(stderr_of(&out).contains("missing.yaml"));
    let out = sandbox
        .secret()
        .args(["filestatus", "secrets/a.yaml"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"encrypted\":true}\n"
    );
}
