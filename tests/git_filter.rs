//! Transparent git mode (`secret git-setup --filter`): plaintext in the work tree, sops files
//! in the index and history, through real git's clean/smudge filter. The real sops decrypts
//! what git stores.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output};

const CONFIG: &str = "creation_rules:\n  - path_regex: ^secrets/.*\\.yaml$\n    age: \
     age1fmcn853felcansaeen9l7wej64nqnzz6fpq9zxp70qtvdhv5pueqaqkman\n";

const APP: &str = "db:\n    user: admin\n    password: hunter2\napi_key: k3y\n";

/// One clone, used by someone who has the age key or not. Every clone lives in the same
/// sandbox, whose empty HOME holds no key.
struct Clone<'a> {
    sb: &'a Sandbox,
    dir: PathBuf,
    has_key: bool,
}

impl<'a> Clone<'a> {
    /// A new repository with the `.sops.yaml` and the filter set up.
    fn init(sb: &'a Sandbox) -> Clone<'a> {
        Clone::init_with(sb, CONFIG)
    }

    /// [`Clone::init`] with another `.sops.yaml`.
    fn init_with(sb: &'a Sandbox, config: &str) -> Clone<'a> {
        let c = Clone {
            sb,
            dir: sb.path().join("origin"),
            has_key: true,
        };
        std::fs::create_dir_all(c.dir.join("secrets")).unwrap();
        c.git(&["init", "-q", "-b", "main"]);
        c.write(".sops.yaml", config);
        c.setup();
        c
    }

    /// A clone of `self` in `name`, set up for the filter.
    fn clone_as(&self, name: &str, has_key: bool) -> (Clone<'a>, String) {
        let c = Clone {
            sb: self.sb,
            dir: self.sb.path().join(name),
            has_key,
        };
        let out = self.git_in(
            self.sb.path(),
            &["clone", "-q", self.dir.to_str().unwrap(), name],
        );
        assert_ok(&out);
        let stderr = c.setup();
        (c, stderr)
    }

    /// Runs `secret git-setup --filter` and returns its stderr.
    fn setup(&self) -> String {
        let out = self.secret(&["git-setup", "--filter"]);
        assert_ok(&out);
        String::from_utf8(out.stderr).unwrap()
    }

    fn env(&self, cmd: &mut StdCommand) {
        cmd.env("HOME", self.sb.path())
            .env("XDG_CONFIG_HOME", self.sb.path().join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("SOPS_DISABLE_VERSION_CHECK", "1")
            .env("GIT_AUTHOR_NAME", "T")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "T")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .env_remove("SOPS_AGE_KEY")
            .env_remove("SOPS_CONFIG")
            .env_remove("SOPS_AGE_KEY_FILE");
        if self.has_key {
            cmd.env("SOPS_AGE_KEY_FILE", key("age1.txt"));
        }
    }

    fn git_in(&self, dir: &Path, args: &[&str]) -> Output {
        let mut cmd = StdCommand::new("git");
        self.env(&mut cmd);
        cmd.args(args).current_dir(dir).output().unwrap()
    }

    fn git_output(&self, args: &[&str]) -> Output {
        self.git_in(&self.dir, args)
    }

    /// Runs git; asserts success and returns stdout.
    fn git(&self, args: &[&str]) -> String {
        let out = self.git_output(args);
        assert_ok(&out);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn secret(&self, args: &[&str]) -> Output {
        let mut cmd = self.sb.secret_std();
        self.env(&mut cmd);
        cmd.args(args).current_dir(&self.dir).output().unwrap()
    }

    fn write(&self, file: &str, text: &str) {
        std::fs::write(self.dir.join(file), text).unwrap();
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.join(file)).unwrap()
    }

    /// The file as committed in `rev`, decrypted by the real sops (TOML, which sops does not
    /// know, by `secret`).
    fn sops_decrypt_committed(&self, rev: &str, file: &str) -> String {
        let blob = self.git(&["cat-file", "blob", &format!("{rev}:{file}")]);
        assert_encrypted(&blob);
        // The name keeps the extension, which tells sops the format.
        let name = Path::new(file).file_name().unwrap().to_str().unwrap();
        let path = self.sb.write(&format!("committed-{name}"), blob);
        if !name.ends_with(".toml") {
            return self.sb.sops_decrypt(&path);
        }
        let out = self.secret(&["decrypt", path.to_str().unwrap()]);
        assert_ok(&out);
        String::from_utf8(out.stdout).unwrap()
    }
}

/// Asserts that a command succeeded, showing its stderr when not.
fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn assert_encrypted(text: &str) {
    assert!(
        text.contains("ENC[AES256_GCM") && text.contains("sops") && !text.contains("hunter"),
        "not encrypted:\n{text}"
    );
}

/// The origin with `secrets/app.yaml` committed through the filter.
fn origin(sb: &Sandbox) -> Clone<'_> {
    let repo = Clone::init(sb);
    repo.write("secrets/app.yaml", APP);
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "init"]);
    repo
}

/// The `+`/`-` lines of a diff, without the file headers.
fn changed_lines(diff: &str) -> Vec<&str> {
    diff.lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .collect()
}

/// Asserts that HEAD changed `key`'s ciphertext and the MAC in the stored file, and nothing
/// else but `lastmodified` (which stays the same within one second).
fn assert_only_changed(repo: &Clone, key: &str) {
    let stored = repo.git(&["show", "--no-textconv", "--format=", "HEAD"]);
    let mut keys: Vec<&str> = changed_lines(&stored)
        .into_iter()
        .map(|l| l[1..].trim_start().split(':').next().unwrap())
        .filter(|k| *k != "lastmodified")
        .collect();
    keys.sort();
    let mut expected = [key, key, "mac", "mac"];
    expected.sort();
    assert_eq!(keys, expected, "{stored}");
}

#[test]
fn setup_writes_patterns_from_the_rules_and_is_idempotent() {
    let sb = Sandbox::new();
    let repo = Clone::init(&sb);
    let attributes = repo.read(".gitattributes");
    assert_eq!(
        attributes,
        "/secrets/**/*.yaml filter=secret diff=secret merge=secret\n"
    );
    let config = |key: &str| repo.git(&["config", "--local", key]);
    assert!(config("filter.secret.clean").ends_with(" git-filter clean %f\n"));
    assert!(config("filter.secret.smudge").ends_with(" git-filter smudge %f\n"));
    assert!(config("filter.secret.process").ends_with(" git-filter process\n"));
    assert_eq!(config("filter.secret.required"), "true\n");
    let before = repo.git(&["config", "--local", "--list"]);
    let stderr = repo.setup();
    assert!(stderr.contains("(0 new line(s))"), "{stderr}");
    assert_eq!(repo.read(".gitattributes"), attributes);
    assert_eq!(repo.git(&["config", "--local", "--list"]), before);
}

#[test]
fn a_regex_without_a_pattern_lists_its_files_and_diff_driver_lines_are_upgraded() {
    let sb = Sandbox::new();
    let repo = Clone::init_with(
        &sb,
        &format!(
            "creation_rules:\n  - path_regex: ^conf/[a-z]+\\.json$\n    age: {AGE1}\n  \
             - path_regex: \\.ya?ml$\n    age: {AGE1}\n  - age: {AGE1}\n"
        ),
    );
    std::fs::create_dir(repo.dir.join("conf")).unwrap();
    repo.write("conf/app.json", "{\"a\": 1}\n");
    repo.write("conf/x1.json", "{\"a\": 1}\n");
    repo.write(
        ".gitattributes",
        "/conf/app.json diff=secret merge=secret\n",
    );
    let stderr = repo.setup();
    assert!(
        stderr.contains(
            "warning: creation_rules[0] (path_regex: '^conf/[a-z]+\\.json$'): the regex cannot \
             be written as gitattributes patterns"
        ) && stderr.contains("warning: creation_rules[2] (no path_regex"),
        "{stderr}"
    );
    assert_eq!(
        repo.read(".gitattributes"),
        "/conf/app.json filter=secret diff=secret merge=secret\n\
         *.yaml filter=secret diff=secret merge=secret\n\
         *.yml filter=secret diff=secret merge=secret\n"
    );
    // The config and git's own files are never encrypted, though `*.yaml` matches it.
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "init"]);
    assert!(repo
        .git(&["cat-file", "blob", "HEAD:.sops.yaml"])
        .contains("path_regex"));
    assert_encrypted(&repo.git(&["cat-file", "blob", "HEAD:conf/app.json"]));
    assert_eq!(
        repo.git(&["cat-file", "blob", "HEAD:conf/x1.json"]),
        "{\"a\": 1}\n"
    );
}

#[test]
fn add_commit_stores_ciphertext_and_the_work_tree_stays_plaintext() {
    let sb = Sandbox::new();
    let repo = origin(&sb);
    assert_eq!(repo.read("secrets/app.yaml"), APP);
    assert_eq!(repo.sops_decrypt_committed("HEAD", "secrets/app.yaml"), APP);
    assert_eq!(repo.git(&["status", "--porcelain"]), "");

    // Saving the same content again changes nothing: the committed bytes come back.
    let blob = repo.git(&["rev-parse", "HEAD:secrets/app.yaml"]);
    std::fs::remove_file(repo.dir.join("secrets/app.yaml")).unwrap();
    repo.write("secrets/app.yaml", APP);
    repo.git(&["add", "-A"]);
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    assert_eq!(repo.git(&["rev-parse", ":secrets/app.yaml"]), blob);

    // One value changed: `git diff` is readable, and the commit changes only that value's
    // ciphertext and the metadata's date and MAC.
    repo.write("secrets/app.yaml", &APP.replace("hunter2", "hunter3"));
    let diff = repo.git(&["diff"]);
    assert_eq!(
        changed_lines(&diff),
        ["-    password: hunter2", "+    password: hunter3"],
        "{diff}"
    );
    repo.git(&["commit", "-qam", "password"]);
    assert_only_changed(&repo, "password");
    assert_eq!(
        repo.sops_decrypt_committed("HEAD", "secrets/app.yaml"),
        APP.replace("hunter2", "hunter3")
    );
}

#[test]
fn a_clone_without_the_key_keeps_ciphertext_and_can_still_commit() {
    let sb = Sandbox::new();
    let repo = origin(&sb);
    let (bob, stderr) = repo.clone_as("bob", false);
    assert!(
        stderr.contains(
            "warning: secrets/app.yaml: cannot decrypt, left encrypted in the work tree:"
        ),
        "{stderr}"
    );
    assert_eq!(stderr.matches("cannot decrypt").count(), 1, "{stderr}");
    let text = bob.read("secrets/app.yaml");
    assert_encrypted(&text);
    assert_eq!(
        text,
        repo.git(&["cat-file", "blob", "HEAD:secrets/app.yaml"])
    );
    bob.write("notes.txt", "hello\n");
    bob.git(&["add", "-A"]);
    bob.git(&["commit", "-qm", "notes"]);
    assert_eq!(bob.git(&["status", "--porcelain"]), "");
    assert_eq!(
        bob.git(&["rev-parse", "HEAD:secrets/app.yaml"]),
        repo.git(&["rev-parse", "HEAD:secrets/app.yaml"])
    );

    let (alice, _) = repo.clone_as("alice", true);
    assert_eq!(alice.read("secrets/app.yaml"), APP);
    assert_eq!(alice.git(&["status", "--porcelain"]), "");
}

#[test]
fn branches_editing_different_values_merge_and_rebase_cleanly() {
    let sb = Sandbox::new();
    let repo = origin(&sb);
    repo.git(&["checkout", "-qb", "feature"]);
    repo.write("secrets/app.yaml", &APP.replace("k3y", "k4y"));
    repo.git(&["commit", "-qam", "feature"]);
    repo.git(&["checkout", "-q", "main"]);
    assert_eq!(repo.read("secrets/app.yaml"), APP);
    repo.write("secrets/app.yaml", &APP.replace("admin", "root"));
    repo.git(&["commit", "-qam", "main"]);
    repo.git(&["branch", "-q", "before-merge"]);

    repo.git(&["merge", "-q", "feature", "-m", "merge"]);
    let both = APP.replace("k3y", "k4y").replace("admin", "root");
    assert_eq!(repo.read("secrets/app.yaml"), both);
    assert_eq!(
        repo.sops_decrypt_committed("HEAD", "secrets/app.yaml"),
        both
    );
    assert_eq!(repo.git(&["status", "--porcelain"]), "");

    repo.git(&["checkout", "-q", "feature"]);
    repo.git(&["rebase", "-q", "before-merge"]);
    assert_eq!(repo.read("secrets/app.yaml"), both);
    assert_eq!(
        repo.sops_decrypt_committed("HEAD", "secrets/app.yaml"),
        both
    );
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

#[test]
fn stash_keeps_ciphertext_and_pop_brings_the_plaintext_back() {
    let sb = Sandbox::new();
    let repo = origin(&sb);
    let changed = APP.replace("hunter2", "hunter3");
    repo.write("secrets/app.yaml", &changed);
    repo.git(&["stash", "-q"]);
    assert_eq!(repo.read("secrets/app.yaml"), APP);
    assert_eq!(
        repo.sops_decrypt_committed("stash@{0}", "secrets/app.yaml"),
        changed
    );
    repo.git(&["stash", "pop", "-q"]);
    assert_eq!(repo.read("secrets/app.yaml"), changed);
}

#[test]
fn a_failing_clean_refuses_to_stage_plaintext() {
    let sb = Sandbox::new();
    let repo = origin(&sb);
    let refused = |file: &str, why: &str| {
        let out = repo.git_output(&["add", file]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{file} was staged");
        assert!(stderr.contains(file) && stderr.contains(why), "{stderr}");
        assert_eq!(repo.git(&["ls-files", "--", file]), "");
        // Not even as a loose object.
        let id = repo.git(&["hash-object", "--no-filters", file]);
        assert!(!repo
            .git_output(&["cat-file", "-e", id.trim()])
            .status
            .success());
    };
    repo.write("secrets/broken.yaml", "password: [hunter2\n");
    refused("secrets/broken.yaml", "secrets/broken.yaml");
    // A rule without recipients.
    repo.write(
        ".sops.yaml",
        "creation_rules:\n  - path_regex: ^secrets/\n    key_groups: [{}]\n",
    );
    repo.write("secrets/new.yaml", "password: hunter2\n");
    refused("secrets/new.yaml", "empty key group");
}

#[test]
fn one_process_filters_a_whole_checkout_and_per_file_commands_work_without_it() {
    let sb = Sandbox::new();
    let repo = origin(&sb);
    let files = ["secrets/app.yaml", "secrets/s1.yaml", "secrets/s2.yaml"];
    repo.write(files[1], "token: one\n");
    repo.write(files[2], "token: two\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "more"]);
    // How many times git started each filter command for a fresh checkout of the files.
    let checkout_counts = || {
        for f in files {
            std::fs::remove_file(repo.dir.join(f)).unwrap();
        }
        let mut cmd = StdCommand::new("git");
        repo.env(&mut cmd);
        let out = cmd
            .args(["checkout", "--", "secrets"])
            .env("GIT_TRACE", "1")
            .current_dir(&repo.dir)
            .output()
            .unwrap();
        assert_ok(&out);
        assert_eq!(repo.read(files[1]), "token: one\n");
        let trace = String::from_utf8_lossy(&out.stderr).into_owned();
        let count = |what: &str| {
            trace
                .lines()
                .filter(|l| l.contains("run_command:") && l.contains(what))
                .count()
        };
        (count("git-filter process"), count("git-filter smudge"))
    };
    assert_eq!(checkout_counts(), (1, 0));
    assert_eq!(repo.read(files[0]), APP);

    repo.git(&["config", "--unset", "filter.secret.process"]);
    assert_eq!(checkout_counts(), (0, 3));
    assert_eq!(repo.read(files[0]), APP);
    repo.write(files[1], "token: three\n");
    repo.git(&["commit", "-qam", "three"]);
    assert_eq!(
        repo.sops_decrypt_committed("HEAD", files[1]),
        "token: three\n"
    );
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

#[test]
fn uninstall_puts_the_encrypted_files_back_and_refuses_to_lose_changes() {
    let sb = Sandbox::new();
    let repo = origin(&sb);
    repo.write("secrets/app.yaml", &APP.replace("hunter2", "hunter3"));
    let out = repo.secret(&["git-setup", "--uninstall"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("secret: secrets/app.yaml: changes not staged"),
        "{stderr}"
    );
    assert!(repo
        .git_output(&["config", "filter.secret.clean"])
        .status
        .success());

    repo.git(&["checkout", "--", "secrets/app.yaml"]);
    let out = repo.secret(&["git-setup", "--uninstall"]);
    assert_ok(&out);
    assert_eq!(
        repo.read("secrets/app.yaml"),
        repo.git(&["cat-file", "blob", "HEAD:secrets/app.yaml"])
    );
    assert_encrypted(&repo.read("secrets/app.yaml"));
    assert!(!repo
        .git_output(&["config", "--get-regexp", "^filter\\."])
        .status
        .success());
    assert_eq!(repo.git(&["status", "--porcelain"]), "");

    repo.setup();
    assert_eq!(repo.read("secrets/app.yaml"), APP);
}

#[test]
fn a_config_in_a_subdirectory_gives_patterns_under_it_and_is_used_for_its_files() {
    let sb = Sandbox::new();
    let top = Clone {
        sb: &sb,
        dir: sb.path().join("origin"),
        has_key: true,
    };
    std::fs::create_dir_all(top.dir.join("app/secrets")).unwrap();
    top.git(&["init", "-q", "-b", "main"]);
    let app = Clone {
        sb: &sb,
        dir: top.dir.join("app"),
        has_key: true,
    };
    app.write(
        ".sops.yaml",
        &CONFIG.replace("^secrets/.*\\.yaml$", "\\.enc\\.yaml$"),
    );
    app.setup();
    assert_eq!(
        top.read(".gitattributes"),
        "/app/**/*.enc.yaml filter=secret diff=secret merge=secret\n"
    );
    app.write("secrets/db.enc.yaml", APP);
    // From the top, as git runs the filter: app/.sops.yaml is found from the file's directory.
    top.git(&["add", "-A"]);
    top.git(&["commit", "-qm", "init"]);
    assert_eq!(
        top.sops_decrypt_committed("HEAD", "app/secrets/db.enc.yaml"),
        APP
    );
    assert_eq!(app.read("secrets/db.enc.yaml"), APP);
}

#[test]
fn every_format_goes_through_the_filter_and_sops_reads_what_is_stored() {
    let sb = Sandbox::new();
    let repo = Clone::init_with(&sb, &CONFIG.replace("^secrets/.*\\.yaml$", "^secrets/"));
    let files = [
        (
            "secrets/app.json",
            "{\n\t\"password\": \"hunter2\",\n\t\"n\": 1\n}\n",
        ),
        ("secrets/app.env", "PASSWORD=hunter2\nN=1\n"),
        ("secrets/app.ini", "[db]\npassword = hunter2\n"),
        ("secrets/app.toml", "[db]\npassword = \"hunter2\"\n"),
        ("secrets/cert.pem", "-----BEGIN X-----\nhunter2\n"),
    ];
    for (file, text) in files {
        repo.write(file, text);
    }
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "formats"]);
    for (file, text) in files {
        assert_eq!(repo.sops_decrypt_committed("HEAD", file), text, "{file}");
        assert_eq!(repo.read(file), text, "{file}");
        // Written again with the same content: nothing to commit.
        std::fs::remove_file(repo.dir.join(file)).unwrap();
        repo.write(file, text);
    }
    repo.git(&["add", "-A"]);
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

#[test]
fn a_file_sops_changed_outside_the_filter_is_decrypted_and_kept_minimal() {
    let sb = Sandbox::new();
    let repo = origin(&sb);
    // A clone without the filter (CI, or someone using sops) changes one value with sops.
    let out = repo.git_in(
        sb.path(),
        &["clone", "-q", repo.dir.to_str().unwrap(), "plain"],
    );
    assert_ok(&out);
    let plain = Clone {
        sb: &sb,
        dir: sb.path().join("plain"),
        has_key: true,
    };
    let out = sb
        .sops_std()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .args(["set", "secrets/app.yaml", r#"["api_key"]"#, r#""k5y""#])
        .current_dir(&plain.dir)
        .output()
        .unwrap();
    assert_ok(&out);
    plain.git(&["commit", "-qam", "sops set"]);
    let plain_dir = plain.dir.to_str().unwrap();
    repo.git(&["pull", "-q", "--ff-only", plain_dir, "main"]);
    let theirs = APP.replace("k3y", "k5y");
    assert_eq!(repo.read("secrets/app.yaml"), theirs);

    // Our change keeps sops' data key and every other value's ciphertext.
    repo.write("secrets/app.yaml", &theirs.replace("admin", "root"));
    repo.git(&["commit", "-qam", "user"]);
    assert_only_changed(&repo, "user");
}
