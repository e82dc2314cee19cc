//! The team workflow around the core: completions and man pages, `init`, `explain`, the git
//! diff and merge drivers, `check`, `decrypt --mask`. Real binary, real git, real sops.

mod common;

use common::{stdout_of, Sandbox};
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

const REGENERATE: &str = "cargo run -q -- completion --write-all .";

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn committed_completions_and_man_pages_are_fresh() {
    let sb = Sandbox::new();
    let out = sb.path().join("gen");
    stdout_of(sb.secret().args(["completion", "--write-all"]).arg(&out));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for sub in ["completions", "man"] {
        let generated = files_under(&out.join(sub));
        let committed = files_under(&root.join(sub));
        let names = |v: &[PathBuf]| -> Vec<String> {
            v.iter()
                .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(
            names(&committed),
            names(&generated),
            "{sub}/ is out of date: run `{REGENERATE}` and commit the result"
        );
        for (c, g) in committed.iter().zip(&generated) {
            assert!(
                std::fs::read(c).unwrap() == std::fs::read(g).unwrap(),
                "{} is out of date: run `{REGENERATE}` and commit the result",
                c.display()
            );
        }
    }
    assert!(files_under(&out.join("man")).len() > 5);
}

/// What bash completion offers for `words` (the last one being completed).
fn bash_complete(sb: &Sandbox, script: &Path, words: &[&str]) -> Vec<String> {
    let out = StdCommand::new("bash")
        .arg("-c")
        .arg(
            r#"source "$1"; shift
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
_secret secret "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}""#,
        )
        .arg("bash")
        .arg(script)
        .args(words)
        .current_dir(sb.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completion_completes_subcommands_and_formats() {
    let sb = Sandbox::new();
    let script = sb.path().join("secret.bash");
    std::fs::write(&script, stdout_of(sb.secret().args(["completion", "bash"]))).unwrap();
    assert_eq!(bash_complete(&sb, &script, &["secret", "de"]), ["decrypt"]);
    // Internal commands are not offered.
    let all = bash_complete(&sb, &script, &["secret", ""]);
    assert!(all.contains(&"encrypt".to_string()), "{all:?}");
    assert!(
        !all.iter()
            .any(|w| w == "git-textconv" || w == "merge-driver"),
        "{all:?}"
    );
    // Format options offer the formats (every one, toml included), not file names.
    sb.write("file.yaml", "a: 1\n");
    let formats = bash_complete(&sb, &script, &["secret", "decrypt", "--output-type", ""]);
    assert_eq!(
        formats,
        ["yaml", "json", "dotenv", "ini", "toml", "binary"],
        "{formats:?}"
    );
    let help = String::from_utf8(stdout_of(sb.secret().args(["decrypt", "--help"]))).unwrap();
    // Wrapped where the terminal width falls: compare with the line breaks folded.
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains("yaml, json, dotenv, ini, toml, binary"),
        "{help}"
    );
}

#[test]
fn man_page_has_environment_exit_status_files_and_examples() {
    let sb = Sandbox::new();
    let out = sb.path().join("gen");
    stdout_of(sb.secret().args(["completion", "--write-all"]).arg(&out));
    let page = std::fs::read_to_string(out.join("man/secret.1")).unwrap();
    for section in ["ENVIRONMENT", "EXIT STATUS", "FILES", "EXAMPLES"] {
        assert!(page.contains(&format!(".SH \"{section}\"")), "{section}");
    }
    for needle in [
        "SOPS_AGE_KEY_FILE",
        "SOPS_EDITOR",
        "AWS_PROFILE",
        "\\fB128\\fR",
        "\\fB203\\fR",
    ] {
        assert!(page.contains(needle), "{needle}");
    }
    // man renders it without warnings where man is installed.
    if let Ok(check) = StdCommand::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(out.join("man/secret.1"))
        .output()
    {
        assert!(
            check.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );
    }
}

fn key_file(sb: &Sandbox) -> PathBuf {
    sb.path().join(".config/sops/age/keys.txt")
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn init_non_interactive_creates_key_and_config_sops_can_use() {
    let sb = Sandbox::new();
    let out = sb
        .secret()
        .args(["init", "--yes", "--path-regex", "^secrets/"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = [out.stdout, out.stderr].concat();
    assert!(!String::from_utf8_lossy(&printed).contains("AGE-SECRET-KEY"));
    let key = key_file(&sb);
    let key_text = std::fs::read_to_string(&key).unwrap();
    assert!(key_text.contains("AGE-SECRET-KEY-1"));
    #[cfg(unix)]
    {
        assert_eq!(mode(&key), 0o600);
        assert_eq!(mode(key.parent().unwrap()), 0o700);
    }
    let config = std::fs::read_to_string(sb.path().join(".sops.yaml")).unwrap();
    assert!(config.starts_with("# "), "{config}");

    // A file under the rule is encrypted by the rule and real sops decrypts it.
    std::fs::create_dir(sb.path().join("secrets")).unwrap();
    sb.write("secrets/app.yaml", "password: hunter2\n");
    stdout_of(sb.secret().args(["encrypt", "-i", "secrets/app.yaml"]));
    let plain = stdout_of(sb.sops().args(["decrypt", "secrets/app.yaml"]));
    assert_eq!(plain, b"password: hunter2\n");
    // Files outside the rule are refused, as by sops.
    sb.write("other.yaml", "a: 1\n");
    assert!(!sb
        .secret()
        .args(["encrypt", "other.yaml"])
        .output()
        .unwrap()
        .status
        .success());

    // Never overwrite: the config is kept; the key is reused.
    let again = sb.secret().args(["init", "--yes"]).output().unwrap();
    assert_eq!(again.status.code(), Some(1));
    std::fs::remove_file(sb.path().join(".sops.yaml")).unwrap();
    stdout_of(sb.secret().args(["init", "--yes"]));
    assert_eq!(std::fs::read_to_string(&key).unwrap(), key_text);
    let config2 = std::fs::read_to_string(sb.path().join(".sops.yaml")).unwrap();
    let public = key_text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap();
    assert!(config2.contains(public));

    // Without a terminal and without --yes: a clear refusal.
    std::fs::remove_file(sb.path().join(".sops.yaml")).unwrap();
    let e = sb.secret().arg("init").output().unwrap();
    assert_eq!(e.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&e.stderr).contains("--yes"));
}

#[test]
fn init_takes_key_service_keys_by_flag_and_refuses_malformed_ones() {
    let sb = Sandbox::new();
    let arn = "arn:aws:kms:us-east-1:111122223333:key/abc";
    let hckms = "eu-west-101:0d0466b0-e727-4d9c-b35d-f84bb474a37f";
    stdout_of(sb.secret().args([
        "init",
        "--yes",
        "--kms",
        arn,
        "--hckms",
        hckms,
        "--azure-kv",
        "https://v.vault.azure.net/keys/sops/0123",
    ]));
    let config = std::fs::read_to_string(sb.path().join(".sops.yaml")).unwrap();
    assert!(config.contains(&format!("kms: '{arn}'")), "{config}");
    assert!(
        config.contains(&format!("hckms:\n      - '{hckms}'")),
        "{config}"
    );
    // The rule is what `explain` reads back.
    std::fs::create_dir(sb.path().join("secrets")).unwrap();
    sb.write("secrets/app.yaml", "a: 1\n");
    let explained = stdout_of(sb.secret().args(["explain", "secrets/app.yaml"]));
    let explained = String::from_utf8_lossy(&explained);
    assert!(
        explained.contains(arn) && explained.contains(hckms),
        "{explained}"
    );

    std::fs::remove_file(sb.path().join(".sops.yaml")).unwrap();
    let bad = sb
        .secret()
        .args(["init", "--yes", "--gcp-kms", "projects/p"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("gcp_kms: "));
    assert!(!sb.path().join(".sops.yaml").exists());
}

/// Runs `secret init` on a terminal: answers the first `[Y/n]` question (expected to contain
/// `question`) with `y` then Enter, as people type it, the key-service question with
/// `others` and the paths question with `regex`.
#[cfg(unix)]
fn init_on_pty(sb: &Sandbox, question: &str, others: &str, regex: &str) {
    let mut cmd = sb.secret_std();
    cmd.arg("init").env("TERM", "dumb");
    let mut p = rexpect::session::spawn_command(cmd, Some(20_000)).unwrap();
    p.exp_string(question).unwrap();
    // The Enter after `y` must not also answer the next question with its default.
    p.send_line("y").unwrap();
    p.exp_string("Also encrypt for key-service keys?").unwrap();
    p.send_line(others).unwrap();
    p.exp_string("Which paths hold secrets?").unwrap();
    p.send_line(regex).unwrap();
    // The regex is printed as written in the file, backslashes not doubled.
    p.exp_string(&format!("(path_regex: '{regex}')")).unwrap();
    p.exp_eof().unwrap();
    let config = std::fs::read_to_string(sb.path().join(".sops.yaml")).unwrap();
    assert!(
        config.contains(&format!("path_regex: '{regex}'")),
        "{config}"
    );
}

#[cfg(unix)]
#[test]
fn init_interactive_under_a_pty() {
    let sb = Sandbox::new();
    init_on_pty(&sb, "Create an age key in", "", r"^vault/.*\.yaml$");
    let key_text = std::fs::read_to_string(key_file(&sb)).unwrap();
    let config = std::fs::read_to_string(sb.path().join(".sops.yaml")).unwrap();
    assert!(!config.contains("hc_vault_transit_uri"), "{config}");
    std::fs::remove_file(sb.path().join(".sops.yaml")).unwrap();
    // A pasted Vault URI and GCP key land in their own fields of the rule.
    let vault = "https://vault.example.com:8200/v1/transit/keys/sops";
    let gcp = "projects/p/locations/global/keyRings/r/cryptoKeys/k";
    init_on_pty(
        &sb,
        "Use the existing age key in",
        &format!("{vault}, {gcp}"),
        r"(^|/)\.env$",
    );
    assert_eq!(std::fs::read_to_string(key_file(&sb)).unwrap(), key_text);
    let config = std::fs::read_to_string(sb.path().join(".sops.yaml")).unwrap();
    assert!(
        config.contains(&format!("hc_vault_transit_uri: '{vault}'"))
            && config.contains(&format!("gcp_kms: '{gcp}'")),
        "{config}"
    );
}

/// A git repository with an age key, a `.sops.yaml` for `secrets/` and the drivers set up.
struct Repo {
    sb: Sandbox,
}

impl Repo {
    fn new() -> Repo {
        let sb = Sandbox::new();
        let repo = Repo { sb };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.email", "t@example.com"]);
        repo.git(&["config", "user.name", "T"]);
        stdout_of(
            repo.sb
                .secret()
                .args(["init", "--yes", "--path-regex", "^secrets/"]),
        );
        std::fs::create_dir(repo.sb.path().join("secrets")).unwrap();
        repo
    }

    fn git_output(&self, args: &[&str]) -> std::process::Output {
        StdCommand::new("git")
            .args(args)
            .current_dir(self.sb.path())
            .env("HOME", self.sb.path())
            .env("XDG_CONFIG_HOME", self.sb.path().join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("SOPS_DISABLE_VERSION_CHECK", "1")
            .env_remove("SOPS_AGE_KEY_FILE")
            .env_remove("SOPS_AGE_KEY")
            .env_remove("SOPS_CONFIG")
            .output()
            .unwrap()
    }

    fn git(&self, args: &[&str]) -> String {
        let out = self.git_output(args);
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn sops_set(&self, file: &str, path: &str, value: &str) {
        stdout_of(self.sb.sops().args(["set", file, path, value]));
    }

    fn decrypt(&self, file: &str) -> String {
        String::from_utf8(stdout_of(self.sb.sops().args(["decrypt", file]))).unwrap()
    }

    /// Every file of the work tree and of `.git` (loose, uncompressed text only matters).
    fn any_file_contains(&self, needle: &str) -> Option<PathBuf> {
        fn walk(dir: &Path, needle: &[u8]) -> Option<PathBuf> {
            for e in std::fs::read_dir(dir).ok()? {
                let p = e.ok()?.path();
                if p.is_dir() {
                    if let Some(f) = walk(&p, needle) {
                        return Some(f);
                    }
                } else if let Ok(bytes) = std::fs::read(&p) {
                    if bytes.windows(needle.len()).any(|w| w == needle) {
                        return Some(p);
                    }
                }
            }
            None
        }
        walk(self.sb.path(), needle.as_bytes())
    }
}

const APP: &str =
    "db:\n    user: admin\n    password: hunter2\napi_key: k3y\nregion_unencrypted: eu\n";

fn repo_with_app() -> Repo {
    let repo = Repo::new();
    repo.sb.write("secrets/app.yaml", APP);
    stdout_of(repo.sb.secret().args(["encrypt", "-i", "secrets/app.yaml"]));
    stdout_of(repo.sb.secret().arg("git-setup"));
    let attributes = std::fs::read_to_string(repo.sb.path().join(".gitattributes")).unwrap();
    assert_eq!(
        attributes, "/secrets/app.yaml diff=secret merge=secret\n",
        "{attributes}"
    );
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "init"]);
    repo
}

#[test]
fn git_diff_shows_the_changed_key_with_a_masked_value() {
    let repo = repo_with_app();
    repo.sops_set("secrets/app.yaml", r#"["db"]["password"]"#, r#""hunter3""#);
    let diff = repo.git(&["diff"]);
    assert!(!diff.contains("hunter"), "{diff}");
    let changed: Vec<&str> = diff
        .lines()
        .filter(|l| {
            (l.starts_with('-') || l.starts_with('+'))
                && !l.starts_with("---")
                && !l.starts_with("+++")
        })
        .collect();
    assert_eq!(changed.len(), 2, "{diff}");
    assert!(changed[0].starts_with("-    password: '*****["), "{diff}");
    assert!(changed[1].starts_with("+    password: '*****["), "{diff}");
    assert_ne!(changed[0], changed[1]);
    assert!(diff.contains(" region_unencrypted: eu"), "{diff}");

    // Opting in shows values.
    repo.git(&["config", "secret.diff.showValues", "true"]);
    let diff = repo.git(&["diff"]);
    assert!(diff.contains("-    password: hunter2") && diff.contains("+    password: hunter3"));

    // Without the key the encrypted file is shown as it is, under a line saying why.
    repo.git(&["config", "secret.diff.showValues", "false"]);
    std::fs::rename(
        repo.sb.path().join(".config/sops/age/keys.txt"),
        repo.sb.path().join("keys.bak"),
    )
    .unwrap();
    let diff = repo.git(&["diff"]);
    assert!(diff.contains("ENC[AES256_GCM"), "{diff}");
    assert!(
        diff.contains(" secret: cannot decrypt for the diff, showing the file as it is: ")
            && diff.contains("no age key found"),
        "{diff}"
    );
}

#[test]
fn git_diff_after_rotate_shows_a_masked_data_key_line() {
    let repo = repo_with_app();
    stdout_of(repo.sb.secret().args(["rotate", "-i", "secrets/app.yaml"]));
    let diff = repo.git(&["diff"]);
    let changed: Vec<&str> = diff
        .lines()
        .filter(|l| {
            (l.starts_with('-') || l.starts_with('+'))
                && !l.starts_with("---")
                && !l.starts_with("+++")
        })
        .collect();
    // Values keep their IVs on rotate: only the note that the data key changed differs.
    assert_eq!(changed.len(), 2, "{diff}");
    assert!(changed[0].starts_with("-data key: *****["), "{diff}");
    assert!(changed[1].starts_with("+data key: *****["), "{diff}");
    assert_ne!(changed[0][1..], changed[1][1..]);
}

#[test]
fn git_merge_of_different_keys_is_clean_and_sops_decrypts_it() {
    let repo = repo_with_app();
    repo.git(&["checkout", "-qb", "feature"]);
    repo.sops_set("secrets/app.yaml", r#"["api_key"]"#, r#""n3w""#);
    repo.sops_set("secrets/app.yaml", r#"["added"]"#, r#""yes""#);
    repo.git(&["commit", "-qam", "feature"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.sops_set("secrets/app.yaml", r#"["db"]["password"]"#, r#""hunter3""#);
    repo.git(&["commit", "-qam", "main"]);
    let before = std::fs::read_to_string(repo.sb.path().join("secrets/app.yaml")).unwrap();
    repo.git(&["merge", "-q", "feature", "-m", "merge"]);
    assert_eq!(
        repo.decrypt("secrets/app.yaml"),
        "db:\n    user: admin\n    password: hunter3\napi_key: n3w\nregion_unencrypted: eu\nadded: \"yes\"\n"
    );
    // Untouched values keep their ciphertext.
    let after = std::fs::read_to_string(repo.sb.path().join("secrets/app.yaml")).unwrap();
    let line = |text: &str, key: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(key))
            .unwrap()
            .to_string()
    };
    assert_eq!(line(&before, "user:"), line(&after, "user:"));
    assert_eq!(line(&before, "password:"), line(&after, "password:"));
}

#[test]
fn git_merge_of_the_same_key_fails_without_plaintext() {
    let repo = repo_with_app();
    repo.git(&["checkout", "-qb", "feature"]);
    repo.sops_set(
        "secrets/app.yaml",
        r#"["db"]["password"]"#,
        r#""theirsecretvalue""#,
    );
    repo.git(&["commit", "-qam", "feature"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.sops_set(
        "secrets/app.yaml",
        r#"["db"]["password"]"#,
        r#""oursecretvalue""#,
    );
    repo.git(&["commit", "-qam", "main"]);
    let ours = std::fs::read(repo.sb.path().join("secrets/app.yaml")).unwrap();
    let out = repo.git_output(&["merge", "feature", "-m", "merge"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stderr.contains(r#"conflict at ["db"]["password"]"#),
        "{stderr}"
    );
    assert!(stdout.contains("CONFLICT"), "{stdout}");
    assert_eq!(
        std::fs::read(repo.sb.path().join("secrets/app.yaml")).unwrap(),
        ours
    );
    for secret in ["oursecretvalue", "theirsecretvalue", "hunter2"] {
        assert_eq!(repo.any_file_contains(secret), None, "{secret} on disk");
        assert!(!stderr.contains(secret) && !stdout.contains(secret));
    }
    assert!(repo.decrypt("secrets/app.yaml").contains("oursecretvalue"));
}

#[test]
fn explain_names_config_rule_keys_and_paths() {
    let repo = repo_with_app();
    let out = String::from_utf8(stdout_of(
        repo.sb.secret().args(["explain", "secrets/app.yaml"]),
    ))
    .unwrap();
    assert!(out.contains("creation_rules[0]"), "{out}");
    assert!(out.contains("group 1: age age1"), "{out}");
    assert!(out.contains(r#"encrypted ["db"]["password"]"#), "{out}");
    assert!(out.contains(r#"plain     ["region_unencrypted"]"#), "{out}");
    assert!(!out.contains("hunter2") && !out.contains("admin"));
    let new = String::from_utf8(stdout_of(
        repo.sb.secret().args(["explain", "secrets/new.yaml"]),
    ))
    .unwrap();
    assert!(new.contains("does not exist yet") && new.contains("unencrypted_suffix"));
    repo.sb
        .write("secrets/plain.yaml", "token: t\nport_unencrypted: 1\n");
    let plain = String::from_utf8(stdout_of(
        repo.sb.secret().args(["explain", "secrets/plain.yaml"]),
    ))
    .unwrap();
    assert!(plain.contains("is not encrypted"), "{plain}");
    assert!(plain.contains(r#"encrypted ["token"]"#), "{plain}");
    assert!(
        plain.contains(r#"plain     ["port_unencrypted"]"#),
        "{plain}"
    );
}

#[test]
fn verbose_names_the_rule_and_the_keys_both_ways() {
    let repo = Repo::new();
    repo.sb.write("secrets/app.yaml", APP);
    let public = std::fs::read_to_string(key_file(&repo.sb))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("# public key: ").map(str::to_string))
        .unwrap();
    let stderr = |args: &[&str]| {
        let out = repo
            .sb
            .secret()
            .arg("--verbose")
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8(out.stderr).unwrap();
        assert!(
            !text.contains("hunter2") && !text.contains("AGE-SECRET-KEY"),
            "{text}"
        );
        text
    };
    let enc = stderr(&["encrypt", "-i", "secrets/app.yaml"]);
    assert!(
        enc.contains("creation rule creation_rules[0] (path_regex: '^secrets/')"),
        "{enc}"
    );
    assert!(enc.contains(&format!("for age {public}")), "{enc}");
    let dec = stderr(&["decrypt", "secrets/app.yaml"]);
    assert!(
        dec.contains(&format!("data key opened with age {public}")),
        "{dec}"
    );
}

#[test]
fn check_finds_plaintext_under_a_rule_keys_and_aws_ids() {
    let repo = repo_with_app();
    let secret = repo.sb.secret().arg("check").output().unwrap();
    assert!(secret.status.success(), "nothing staged: nothing found");
    // An encrypted file under the rule passes.
    let ok = repo
        .sb
        .secret()
        .args(["check", "secrets/app.yaml"])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );

    repo.sb.write("secrets/plain.yaml", "password: hunter2\n");
    let key = std::fs::read_to_string(repo.sb.path().join(".config/sops/age/keys.txt")).unwrap();
    repo.sb.write("leaked-key.txt", &key);
    repo.sb.write(
        "deploy.sh",
        "#!/bin/sh\nexport AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n",
    );
    repo.git(&["add", "secrets/plain.yaml", "leaked-key.txt", "deploy.sh"]);
    let out = repo.sb.secret().arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines.contains(&"secrets/plain.yaml:1: not-encrypted: matches a creation rule but is not encrypted (run `secret encrypt -i` on it)"), "{stdout}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("leaked-key.txt:3: age-secret-key: ")),
        "{stdout}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("deploy.sh:2: aws-access-key-id: ")),
        "{stdout}"
    );
    assert!(!stdout.contains("AKIA") && !stdout.contains("AGE-SECRET-KEY"));

    // The allow-list: a glob, a fingerprint.
    let fp = lines
        .iter()
        .find(|l| l.starts_with("deploy.sh"))
        .and_then(|l| l.split("[fp:").nth(1))
        .unwrap()
        .trim_end_matches(']')
        .to_string();
    repo.sb.write(
        ".secretallow",
        format!("# test fixtures\nleaked-key.txt\nfp:{fp}\n"),
    );
    let out = repo.sb.secret().arg("check").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert_eq!(out.status.code(), Some(1));

    // A tampered encrypted file: bad MAC.
    let path = repo.sb.path().join("secrets/app.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let tampered = text.replace("region_unencrypted: eu", "region_unencrypted: us");
    std::fs::write(&path, tampered).unwrap();
    let out = repo
        .sb
        .secret()
        .args(["check", "secrets/app.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("secrets/app.yaml:1: bad-mac: "));
}

#[test]
fn decrypt_mask_hides_every_value_and_keeps_the_layout() {
    let sb = Sandbox::new();
    let file = common::vectors().join("../../examples/secrets.yaml");
    let key = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo-age-key.txt");
    let plain = String::from_utf8(stdout_of(
        sb.secret()
            .env("SOPS_AGE_KEY_FILE", &key)
            .arg("decrypt")
            .arg(&file),
    ))
    .unwrap();
    let masked = String::from_utf8(stdout_of(
        sb.secret()
            .env("SOPS_AGE_KEY_FILE", &key)
            .args(["decrypt", "--mask"])
            .arg(&file),
    ))
    .unwrap();
    for secret in [
        "c0rrect horse",
        "tok_live",
        "5432",
        "db.internal",
        "BEGIN CERT",
    ] {
        assert!(plain.contains(secret));
        assert!(!masked.contains(secret), "{secret} in {masked}");
    }
    // Same keys and comments, in the same order.
    let layout = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.trim_start().starts_with('#') || l.contains(": ") || l.ends_with(':'))
            .map(|l| l.split(": ").next().unwrap().to_string())
            .collect()
    };
    assert_eq!(layout(&plain), layout(&masked));
    assert!(masked.contains("password: '*****'"), "{masked}");
    assert!(masked.contains("region_unencrypted: eu-west-1"));
    assert!(masked.starts_with("# Demo secrets"));
}
