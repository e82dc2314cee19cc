//! `secret exec-env` and `secret exec-file` against files written by the real sops.

mod common;
use common::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const PLAIN: &str = r#"{"multi":"line1\nline2=two","eq":"a=b=c","num":5,"flag":true,"name":"app"}"#;

struct Exec {
    sb: Sandbox,
    runtime: PathBuf,
}

impl Exec {
    fn new() -> Exec {
        let sb = Sandbox::new();
        let runtime = sb.path().join("runtime");
        std::fs::create_dir(&runtime).unwrap();
        Exec { sb, runtime }
    }

    fn secret(&self) -> assert_cmd::Command {
        self.with_env(self.sb.secret())
    }

    /// `tool` (secret or sops) with the test key and the private runtime directory.
    fn with_env(&self, mut tool: assert_cmd::Command) -> assert_cmd::Command {
        tool.env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .env("XDG_RUNTIME_DIR", &self.runtime)
            .env("TMPDIR", &self.runtime);
        tool
    }

    /// `secret FLAGS... FILE COMMAND` (FLAGS starting with the subcommand).
    fn run(&self, flags: &[&str], file: &std::path::Path, command: &str) -> assert_cmd::Command {
        let mut cmd = self.secret();
        cmd.args(flags).arg(file).arg(command);
        cmd
    }

    fn assert_nothing_left(&self) {
        assert_eq!(entries(&self.runtime), Vec::<String>::new());
    }
}

#[test]
fn exec_env_child_sees_values_with_newlines_and_equals() {
    let t = Exec::new();
    let file = t.sb.sops_file("app.json", PLAIN);
    let out = stdout_of(
        t.secret()
            .env("name", "inherited")
            .env("KEEP", "kept")
            .args(["exec-env"])
            .arg(&file)
            .arg(r#"printf '%s|%s|%s|%s|%s|%s' "$multi" "$eq" "$num" "$flag" "$name" "$KEEP""#),
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "line1\nline2=two|a=b=c|5.0|true|app|kept"
    );
}

#[test]
fn an_unquoted_command_runs_as_typed() {
    let t = Exec::new();
    let file = t.sb.sops_file("app.json", PLAIN);
    // `exec-env FILE printf ...` without quotes: the rest of the line is the command, each word
    // passed as typed (the `$name` is not expanded, the `a b` stays one argument). Options
    // are still options anywhere (as in sops); a word starting with `-` needs `--` first.
    let out = stdout_of(
        t.secret()
            .arg("exec-env")
            .arg(&file)
            .args(["printf", "%s|%s", "a b", "$name"]),
    );
    assert_eq!(String::from_utf8(out).unwrap(), "a b|$name");
    let out = stdout_of(
        t.secret()
            .arg("exec-file")
            .arg(&file)
            .args(["--", "grep", "-c", "line2", "{}"]),
    );
    assert_eq!(String::from_utf8(out).unwrap(), "1\n");
}

#[test]
fn exec_env_passes_exit_codes_and_signals_through() {
    let t = Exec::new();
    let file = t.sb.sops_file("app.json", PLAIN);
    t.secret()
        .arg("exec-env")
        .arg(&file)
        .arg("exit 7")
        .assert()
        .code(7);
    t.secret()
        .arg("exec-env")
        .arg(&file)
        .arg("kill -TERM $$")
        .assert()
        .code(143);
}

#[test]
fn exec_env_forwards_sigterm_to_the_child() {
    forwards_sigterm(&[]);
}

#[test]
fn exec_env_forwards_sigterm_to_the_child_with_masked_output() {
    forwards_sigterm(&["--mask-output"]);
}

fn forwards_sigterm(flags: &[&str]) {
    let t = Exec::new();
    let file = t.sb.sops_file("app.json", PLAIN);
    let ready = t.sb.path().join("ready");
    let child =
        t.sb.secret_std()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .arg("exec-env")
            .args(flags)
            .arg(&file)
            .arg(format!(
                "trap 'exit 42' TERM; touch {}; while :; do sleep 0.05; done",
                ready.display()
            ))
            .spawn()
            .unwrap();
    let start = Instant::now();
    while !ready.exists() {
        assert!(start.elapsed() < Duration::from_secs(20), "child never ran");
        std::thread::sleep(Duration::from_millis(20));
    }
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(42),
        "the child's trap decides the code"
    );
}

#[test]
fn exec_env_pristine_gives_only_the_secrets() {
    let t = Exec::new();
    let file = t.sb.sops_file("app.json", PLAIN);
    let out = stdout_of(
        t.secret()
            .env("SHOULD_NOT_LEAK", "1")
            .args(["exec-env", "--pristine"])
            .arg(&file)
            .arg("exec /usr/bin/env -0"),
    );
    let mut names: Vec<String> = env0(&out)
        .into_iter()
        .map(|e| e.split('=').next().unwrap().to_string())
        // /bin/sh itself exports PWD (and bash SHLVL and _): not inherited from secret.
        .filter(|n| !["PWD", "SHLVL", "_", "OLDPWD"].contains(&n.as_str()))
        .collect();
    names.sort();
    assert_eq!(names, ["eq", "flag", "multi", "name", "num"]);
}

/// The environment `exec-env` gives its command (as `env -0` prints it, sorted: the shell
/// reorders it), from secret or from sops.
fn child_environment(
    cmd: assert_cmd::Command,
    flags: &[&str],
    file: &std::path::Path,
) -> Vec<String> {
    let mut vars = child_env_as_run(cmd, flags, file, "exec /usr/bin/env -0");
    vars.sort();
    vars
}

/// The environment `command` (one that runs `env -0`) prints under `exec-env`, in its order.
fn child_env_as_run(
    mut cmd: assert_cmd::Command,
    flags: &[&str],
    file: &std::path::Path,
    command: &str,
) -> Vec<String> {
    let out = stdout_of(
        cmd.env("KEEP", "kept")
            .env("NAME", "inherited")
            .env("SECRET_TEST_EMPTY", "")
            .env("PWD", "/no/such/dir")
            .arg("exec-env")
            .args(flags)
            .arg(file)
            .arg(command),
    );
    env0(&out)
}

/// The variables `env -0` printed, in its order.
fn env0(out: &[u8]) -> Vec<String> {
    out.split(|&b| b == 0)
        .filter(|e| !e.is_empty())
        .map(|e| String::from_utf8(e.to_vec()).unwrap())
        .collect()
}

#[test]
fn exec_env_gives_the_environment_sops_gives() {
    let t = Exec::new();
    // NAME is also in the parent environment: the file's value wins, once.
    let file = t.sb.sops_file("app.env", "NAME=app\nTOKEN=a=b c\nEMPTY=\n");
    for flags in [&[][..], &["--pristine"][..]] {
        let mine = child_environment(t.secret(), flags, &file);
        let theirs = child_environment(t.with_env(t.sb.sops()), flags, &file);
        assert_eq!(mine, theirs, "{flags:?}");
        assert!(mine.contains(&"NAME=app".to_string()), "{mine:?}");
        assert!(mine.contains(&"TOKEN=a=b c".to_string()), "{mine:?}");
        assert!(mine.contains(&"EMPTY=".to_string()), "{mine:?}");
        assert_eq!(mine.iter().filter(|v| v.starts_with("NAME=")).count(), 1);
        let inherited = mine.contains(&"KEEP=kept".to_string());
        assert_eq!(inherited, flags.is_empty(), "{flags:?}: {mine:?}");
    }
}

/// Timestamps reach the command as sops gives them: RFC 3339 in whole seconds.
#[test]
fn exec_env_gives_timestamps_as_sops_gives_them() {
    let t = Exec::new();
    let file = t.sb.sops_file(
        "t.yaml",
        "a: 2001-12-14t21:59:43.10-05:00\nd: 2001-12-15T02:59:43.123456789Z\ne: 2002-12-14\n",
    );
    let mine = child_environment(t.secret(), &["--pristine"], &file);
    let theirs = child_environment(t.with_env(t.sb.sops()), &["--pristine"], &file);
    assert_eq!(mine, theirs);
    assert!(
        mine.contains(&"d=2001-12-15T02:59:43Z".to_string()),
        "{mine:?}"
    );
}

/// `cmd` without the inherited variables that alone would send a command line to the shell
/// (names the shell drops or sets itself), whatever environment the tests run in.
fn plain_names(mut cmd: assert_cmd::Command) -> assert_cmd::Command {
    for (name, _) in std::env::vars_os() {
        let text = name.to_string_lossy();
        let first = text.chars().next();
        let plain = first.is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !plain || ["IFS", "OPTIND", "PPID"].contains(&&*text) {
            cmd.env_remove(&name);
        }
    }
    cmd
}

#[test]
fn a_plain_command_starts_without_the_shell_in_the_environment_the_shell_gives() {
    let t = Exec::new();
    let file = t.sb.sops_file("app.env", "NAME=app\nTOKEN=a=b c\nEMPTY=\n");
    for flags in [&[][..], &["--pristine"][..]] {
        let run = child_env_as_run(plain_names(t.secret()), flags, &file, "/usr/bin/env -0");
        if flags.is_empty() {
            // In secret's order (the shell's would be its own): so no shell ran. (With
            // --pristine there is no PATH, and the shell's default PATH is the shell's.)
            let ours: Vec<&String> = run.iter().filter(|v| !v.starts_with("PWD=")).collect();
            let tail = ["NAME=app", "TOKEN=a=b c", "EMPTY="];
            assert_eq!(ours[ours.len() - 3..], tail.each_ref(), "{run:?}");
        }
        // The same variables as through sops' shell, PWD corrected as the shell does.
        let mut mine = run.clone();
        mine.sort();
        let sops = plain_names(t.with_env(t.sb.sops()));
        let mut theirs = child_env_as_run(sops, flags, &file, "/usr/bin/env -0");
        theirs.sort();
        assert_eq!(mine, theirs, "{flags:?}");
        let pwd: Vec<&String> = mine.iter().filter(|v| v.starts_with("PWD=")).collect();
        assert!(pwd.len() == 1 && pwd[0] != "PWD=/no/such/dir", "{pwd:?}");
    }
    // Names the shell drops or sets itself: the shell runs the command, as for sops.
    for (name, plain) in [
        ("dashed", r#"{"my-key": "x", "NAME": "app"}"#),
        ("ifs", r#"{"IFS": "1"}"#),
    ] {
        let file = t.sb.sops_file(&format!("{name}.json"), plain);
        let mut mine = child_env_as_run(t.secret(), &[], &file, "/usr/bin/env -0");
        let mut theirs = child_env_as_run(t.with_env(t.sb.sops()), &[], &file, "/usr/bin/env -0");
        mine.sort();
        theirs.sort();
        assert_eq!(mine, theirs, "{name}");
        assert!(
            !mine
                .iter()
                .any(|v| v.starts_with("my-key=") || v == "IFS=1"),
            "{mine:?}"
        );
    }
}

#[test]
fn exec_env_runs_what_the_shell_runs() {
    let t = Exec::new();
    let file = t.sb.sops_file("app.env", "NAME=app\n");
    // A command that is not there: the shell's 127 and its message.
    t.secret()
        .arg("exec-env")
        .arg(&file)
        .arg("no-such-command-secret-test")
        .assert()
        .code(127)
        .stderr(predicates::str::contains("no-such-command-secret-test"));
    // A script without a #! line runs in the shell, with the values.
    let script = t.sb.write("script", "printf '%s' \"$NAME\"; exit 4\n");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = t
        .secret()
        .arg("exec-env")
        .arg(&file)
        .arg("./script")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(out.stdout, b"app");
    // --same-process with --pristine: only the values (the shell adds PWD).
    let out = stdout_of(
        t.secret()
            .env("KEEP", "kept")
            .args(["exec-env", "--same-process", "--pristine"])
            .arg(&file)
            .arg("exec /usr/bin/env -0"),
    );
    let vars: Vec<String> = env0(&out)
        .into_iter()
        .filter(|e| !e.starts_with("PWD=") && !e.starts_with("SHLVL=") && !e.starts_with("_="))
        .collect();
    assert_eq!(vars, ["NAME=app"]);
}

#[test]
fn exec_env_nested_values_need_flatten() {
    let t = Exec::new();
    let file = t.sb.sops_file(
        "n.json",
        r#"{"top":"x","db":{"user":"u","hosts":["h1","h2"]}}"#,
    );
    t.secret()
        .arg("exec-env")
        .arg(&file)
        .arg("true")
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "cannot use complex value in environment",
        ));
    let out = stdout_of(
        t.secret()
            .args(["exec-env", "--flatten"])
            .arg(&file)
            .arg(r#"printf '%s %s %s %s' "$top" "$DB_USER" "$DB_HOSTS_0" "$DB_HOSTS_1""#),
    );
    assert_eq!(String::from_utf8(out).unwrap(), "x u h1 h2");
}

#[test]
fn exec_env_same_process_replaces_secret() {
    let t = Exec::new();
    let file = t.sb.sops_file("app.json", PLAIN);
    // With exec the shell *is* the process: its exit status is secret's.
    let out = t
        .secret()
        .args(["exec-env", "--same-process"])
        .arg(&file)
        .arg(r#"printf '%s' "$name"; exit 3"#)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(out.stdout, b"app");
}

#[test]
fn exec_file_fifo_and_regular_file_both_deliver_the_content() {
    let t = Exec::new();
    let file = t.sb.sops_file("app.json", PLAIN);
    let expected = stdout_of(
        t.sb.sops()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .arg("decrypt")
            .arg(&file),
    );
    let fifo = stdout_of(t.secret().arg("exec-file").arg(&file).arg("cat {}"));
    assert_same(&fifo, &expected, "exec-file fifo");
    let mode = stdout_of(
        t.secret()
            .arg("exec-file")
            .arg(&file)
            .arg("stat -c '%F %a' {}; cat {} > /dev/null"),
    );
    assert_eq!(String::from_utf8(mode).unwrap(), "fifo 600\n");

    let twice = stdout_of(
        t.secret()
            .args(["exec-file", "--no-fifo"])
            .arg(&file)
            .arg("cat {}; cat {}; stat -c '%a' {}"),
    );
    let mut want = expected.clone();
    want.extend_from_slice(&expected);
    want.extend_from_slice(b"600\n");
    assert_same(&twice, &want, "exec-file --no-fifo");
    // An empty --filename is the default name, as in sops.
    let named = stdout_of(
        t.secret()
            .args(["exec-file", "--no-fifo", "--filename", ""])
            .arg(&file)
            .arg("basename {}"),
    );
    assert!(
        named.starts_with(b"tmp-file"),
        "{}",
        String::from_utf8_lossy(&named)
    );
    t.assert_nothing_left();
}

#[test]
fn exec_file_names_types_and_exit_codes() {
    let t = Exec::new();
    let file = t.sb.sops_file("app.json", PLAIN);
    let name = stdout_of(
        t.secret()
            .args(["exec-file", "--no-fifo", "--filename", "conf.env"])
            .arg(&file)
            .arg("basename {}"),
    );
    assert_eq!(name, b"conf.env\n");
    t.secret()
        .arg("exec-file")
        .arg(&file)
        .arg("cat {} > /dev/null; exit 9")
        .assert()
        .code(9);
    // The child never opens the FIFO: secret still returns, and cleans up.
    t.secret()
        .arg("exec-file")
        .arg(&file)
        .arg("exit 4")
        .assert()
        .code(4);
    t.secret()
        .args(["exec-file", "--filename", "../escape"])
        .arg(&file)
        .arg("true")
        .assert()
        .code(1);
    t.assert_nothing_left();
}

#[test]
fn exec_file_cleans_up_when_the_child_is_killed() {
    let t = Exec::new();
    let file = t.sb.sops_file("app.json", PLAIN);
    t.secret()
        .args(["exec-file", "--no-fifo"])
        .arg(&file)
        .arg("kill -KILL $$")
        .assert()
        .code(137);
    t.assert_nothing_left();
}

/// Needs the YAML store.
#[test]
fn exec_env_reads_yaml() {
    let t = Exec::new();
    let file =
        t.sb.sops_file("app.yaml", "name: app\nport: 5432\nratio: 1.5\n");
    let out = stdout_of(
        t.secret()
            .arg("exec-env")
            .arg(&file)
            .arg(r#"printf '%s %s %s' "$name" "$port" "$ratio""#),
    );
    assert_eq!(String::from_utf8(out).unwrap(), "app 5432 1.5");
}

/// Needs the dotenv store.
#[test]
fn exec_env_reads_dotenv() {
    let t = Exec::new();
    let file = t.sb.sops_file("app.env", "NAME=app\nTOKEN=a=b\n");
    let out = stdout_of(
        t.secret()
            .arg("exec-env")
            .arg(&file)
            .arg(r#"printf '%s %s' "$NAME" "$TOKEN""#),
    );
    assert_eq!(String::from_utf8(out).unwrap(), "app a=b");
}

/// A file with one secret value that URL-encodes and base64-encodes differently, a value too
/// short to mask and one the default `_unencrypted` suffix leaves plain.
const MASKED: &str =
    r#"{"token":"s3cr3t-t0ken/value","short":"abc","name_unencrypted":"s3cr3t-t0ken/value-id"}"#;

#[test]
fn mask_output_masks_values_and_their_encodings_on_stdout_and_stderr() {
    let t = Exec::new();
    let file = t.sb.sops_file("app.json", MASKED);
    let out = t
        .run(
            &["exec-env", "--mask-output"],
            &file,
            concat!(
            r#"printf '%s %s\n' "$token" "$short"; "#,
            r#"printf '%s' "$token" | base64; "#,
            r#"printf 'u=%s\n' "$(printf %s "$token" | sed 's,/,%2F,g')"; "#,
            r#"printf 'err:%s\n' "$token" >&2; "#,
            // One value in two writes, apart in time: two reads for secret.
            r#"printf '%s' "$token" | head -c 7; sleep 0.2; printf '%s' "$token" | tail -c +8; "#,
            r#"printf '\n%s\n' "$name_unencrypted"; exit 3"#,
        ),
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "***** abc\n*****\nu=*****\n*****\n*****-id\n"
    );
    assert_eq!(String::from_utf8(out.stderr).unwrap(), "err:*****\n");
}

#[test]
fn mask_output_passes_binary_and_long_output_and_signals() {
    let t = Exec::new();
    let file = t.sb.sops_file("app.json", MASKED);
    let out = stdout_of(&mut t.run(
        &["exec-env", "--mask-output"],
        &file,
        concat!(
            r#"printf '\000\001\377'; printf '%s' "$token"; printf '\376\000'; "#,
            // ~100 kB without a newline: the value lands across read boundaries.
            r#"i=0; while [ $i -lt 5000 ]; do printf 'x%s' "$token"; i=$((i+1)); done"#,
        ),
    ));
    let mut expected = b"\x00\x01\xff*****\xfe\x00".to_vec();
    expected.extend(b"x*****".repeat(5000));
    assert_same(&out, &expected, "binary and long output");
    t.run(&["exec-env", "--mask-output"], &file, "kill -TERM $$")
        .assert()
        .code(143);
    t.run(
        &["exec-env", "--mask-output", "--same-process"],
        &file,
        "true",
    )
    .assert()
    .code(8);
}

#[test]
fn mask_output_of_exec_file_and_in_github_actions() {
    let t = Exec::new();
    let file = t.sb.sops_file("app.json", MASKED);
    let out = stdout_of(
        t.run(&["exec-file", "--mask-output"], &file, "cat {}")
            .env("GITHUB_ACTIONS", "true"),
    );
    let text = String::from_utf8(out).unwrap();
    let (commands, file_text) = text.split_once("{").unwrap();
    assert_eq!(commands, "::add-mask::s3cr3t-t0ken/value\n");
    assert!(
        file_text.contains(r#""token": "*****""#) && file_text.contains(r#""short": "abc""#),
        "{file_text}"
    );
}

#[test]
fn mask_output_passes_a_prompt_on_at_once() {
    use std::io::{Read, Write};
    let t = Exec::new();
    let file = t.sb.sops_file("app.json", MASKED);
    let mut child =
        t.sb.secret_std()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .args(["exec-env", "--mask-output"])
            .arg(&file)
            .arg(r#"printf 'ready> '; read answer; printf '[%s]\n' "$answer""#)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // The prompt has no newline and the command waits for input: it must come through
    // before the command gets any (a guard thread, not a timing, decides a hang).
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut prompt = vec![0u8; 7];
        stdout.read_exact(&mut prompt).unwrap();
        tx.send(prompt).unwrap();
        let mut rest = Vec::new();
        stdout.read_to_end(&mut rest).unwrap();
        tx.send(rest).unwrap();
    });
    let prompt = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("prompt held back");
    assert_eq!(prompt, b"ready> ");
    writeln!(child.stdin.take().unwrap(), "s3cr3t-t0ken/value").unwrap();
    assert_eq!(rx.recv().unwrap(), b"[*****]\n");
    assert!(child.wait().unwrap().success());
}
