//! sops' command line as scripts use it: every flag the real sops accepts, the legacy
//! top-level form, `--version` under the name `sops`, `--indent`, Go boolean variables.

mod common;

use common::*;
use std::path::Path;

/// One flag of a sops help text: its spelling and whether it takes a value.
#[derive(Debug)]
struct Flag {
    name: String,
    takes_value: bool,
}

/// The real sops' help for `path` (a command path such as `["groups", "add"]`).
fn sops_help(sandbox: &Sandbox, path: &[&str]) -> String {
    let out = sandbox.sops().args(path).arg("--help").output().unwrap();
    assert!(out.status.success(), "sops {path:?} --help failed");
    String::from_utf8(out.stdout).unwrap()
}

/// The lines of the section headed `title` (urfave/cli layout: a title line ending in `:`,
/// then indented lines up to the next title).
fn section<'a>(help: &'a str, title: &str) -> Vec<&'a str> {
    help.lines()
        .skip_while(|l| l.trim_end() != title)
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .filter(|l| !l.trim().is_empty())
        .collect()
}

/// Every flag spelling in a help text's option section (`--kms value, -k value   text`).
fn flags(help: &str) -> Vec<Flag> {
    let mut out = Vec::new();
    for title in ["GLOBAL OPTIONS:", "OPTIONS:"] {
        for line in section(help, title) {
            let spec = line.trim_start().split("  ").next().unwrap();
            for spelling in spec.split(", ") {
                let mut words = spelling.split_whitespace();
                let name = words.next().unwrap().to_string();
                assert!(name.starts_with('-'), "not a flag: {line:?}");
                out.push(Flag {
                    name,
                    takes_value: words.next() == Some("value"),
                });
            }
        }
    }
    out
}

/// The subcommand names of a help text's COMMANDS section (aliases dropped).
fn commands(help: &str) -> Vec<String> {
    section(help, "COMMANDS:")
        .iter()
        .map(|l| {
            let name = l.split_whitespace().next().unwrap();
            name.trim_end_matches(',').to_string()
        })
        .filter(|c| c != "help")
        .collect()
}

/// Every command path of the real sops, from its help: top level, subcommands, their
/// subcommands.
fn sops_command_paths(sandbox: &Sandbox) -> Vec<(Vec<String>, String)> {
    let mut todo = vec![Vec::<String>::new()];
    let mut out = Vec::new();
    while let Some(path) = todo.pop() {
        let refs: Vec<&str> = path.iter().map(String::as_str).collect();
        let help = sops_help(sandbox, &refs);
        for c in commands(&help) {
            let mut sub = path.clone();
            sub.push(c);
            todo.push(sub);
        }
        out.push((path, help));
    }
    out
}

#[test]
fn secret_accepts_every_flag_of_every_sops_command() {
    let sandbox = Sandbox::new();
    let paths = sops_command_paths(&sandbox);
    assert!(
        paths.len() > 10,
        "too few sops commands found: {}",
        paths.len()
    );
    let mut checked = 0;
    let mut missing_flags = Vec::new();
    let mut missing_commands = Vec::new();
    for (path, help) in &paths {
        // Without the command, `secret NAME --help` is the top level's help (NAME taken for
        // the legacy form's FILE): the usage line tells.
        let usage = format!("Usage: secret {}", path.join(" "));
        let has_command = sandbox.secret().args(path).arg("--help").output().unwrap();
        if !String::from_utf8_lossy(&has_command.stdout).contains(usage.trim_end()) {
            // Whole commands (keyservice, publish) are built on their own; flags are the
            // subject here.
            missing_commands.push(path.join(" "));
            continue;
        }
        for flag in flags(help) {
            if flag.name == "--help" || flag.name == "-h" {
                continue;
            }
            let mut cmd = sandbox.secret();
            cmd.args(path).arg(&flag.name);
            if flag.takes_value {
                cmd.arg("1");
            }
            let out = cmd.arg("--help").output().unwrap();
            checked += 1;
            if !out.status.success() {
                missing_flags.push(format!(
                    "secret {} {}: {}",
                    path.join(" "),
                    flag.name,
                    String::from_utf8_lossy(&out.stderr)
                        .lines()
                        .next()
                        .unwrap_or("")
                ));
            }
        }
    }
    eprintln!("commands secret does not have (not checked here): {missing_commands:?}");
    assert!(checked > 150, "only {checked} flags found in sops' help");
    assert!(missing_flags.is_empty(), "{}", missing_flags.join("\n"));
}

/// `secret` under the name `sops`, as a symlink in the sandbox.
fn installed_as_sops(sandbox: &Sandbox) -> std::path::PathBuf {
    let link = sandbox.path().join("sops");
    std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("secret"), &link).unwrap();
    link
}

#[test]
fn version_under_the_name_sops_starts_with_sops_own_line() {
    let sandbox = Sandbox::new();
    let theirs = String::from_utf8(stdout_of(sandbox.sops().arg("--version"))).unwrap();
    let link = installed_as_sops(&sandbox);
    for flag in ["--version", "-v"] {
        let ours = stdout_of(assert_cmd::Command::new(&link).arg(flag));
        let ours = String::from_utf8(ours).unwrap();
        // Ansible's probe: `^sops (\d+)\.(\d+)\.(\d+)` on the first line.
        let first = ours.lines().next().unwrap();
        assert!(
            first.starts_with(&format!("{} (secret ", theirs.trim_end())),
            "{ours}"
        );
        assert!(first.ends_with(&format!(" {})", env!("CARGO_PKG_VERSION"))));
    }
    let plain = String::from_utf8(stdout_of(sandbox.secret().arg("--version"))).unwrap();
    let sops_version = theirs.trim_end().trim_start_matches("sops ");
    assert_eq!(
        plain,
        format!(
            "secret {} (sops {sops_version} compatible)\n",
            env!("CARGO_PKG_VERSION")
        )
    );
    // Offline: asking for the update check says so and still succeeds.
    let checked = stdout_of(sandbox.secret().args(["--check-for-updates", "--version"]));
    assert!(String::from_utf8(checked).unwrap().contains("offline"));
}

#[test]
fn boolean_variables_follow_go_parsebool_as_in_sops() {
    let sandbox = Sandbox::new();
    let file = sandbox.write("plain.yaml", "a: 1\n");
    let file = file.to_str().unwrap();
    // sops reads its top-level variables whatever the command: with a subcommand too (which
    // secret reads without the legacy flags unless a variable needs them).
    let lines: [&[&str]; 2] = [&["--version"], &["filestatus", file]];
    for (value, ok) in [("1", true), ("True", true), ("f", true), ("yes", false)] {
        for name in ["SOPS_DISABLE_VERSION_CHECK", "SOPS_ENABLE_LOCAL_KEYSERVICE"] {
            for line in lines {
                for mut cmd in [sandbox.sops(), sandbox.secret()] {
                    let out = cmd.env(name, value).args(line).output().unwrap();
                    assert_eq!(out.status.success(), ok, "{name}={value}: {cmd:?}");
                    if !ok {
                        assert_eq!(out.status.code(), Some(1), "{name}={value}: {cmd:?}");
                    }
                }
            }
        }
    }
}

/// An age-encrypted copy of `plain` (named `name`) written by the real sops.
fn sops_encrypted(sandbox: &Sandbox, name: &str, plain: &str) -> std::path::PathBuf {
    let file = sandbox.write(name, plain);
    let status = sandbox
        .sops()
        .args(["encrypt", "-i", "--age", AGE1])
        .arg(&file)
        .output()
        .unwrap()
        .status;
    assert!(status.success());
    file
}

/// Runs both tools with `args` (the file last) and returns (status, stdout) of each.
fn both(sandbox: &Sandbox, args: &[&str], file: &Path) -> [(Option<i32>, String); 2] {
    [sandbox.sops(), sandbox.secret()].map(|mut cmd| {
        let out = cmd
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .args(args)
            .arg(file)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    })
}

#[test]
fn legacy_form_takes_every_mode_with_its_flags_like_sops() {
    let sandbox = Sandbox::new();
    let plain = "a:\n    b: x\n    l:\n        - 1\nc: 2\n";
    let file = sops_encrypted(&sandbox, "f.yaml", plain);
    for args in [
        &["-d"][..],
        &["-d", "--extract", r#"["a"]["l"]"#],
        &["-d", "--kms", "arn:ignored", "--add-age", "ignored", "-s"],
        &["--decrypt", "--output-type", "json", "--ignore-mac"],
        &["-d", "--indent", "2"],
        &["-d", "--indent", "0", "--output-type", "json"],
        &[
            "-d",
            "--enable-local-keyservice",
            "--keyservice",
            "tcp://127.0.0.1:9",
        ],
    ] {
        let [theirs, ours] = both(&sandbox, args, &file);
        assert_eq!(ours, theirs, "{args:?}");
        assert_eq!(ours.0, Some(0), "{args:?}");
    }
    // sops' legacy set, in place: both files then decrypt alike.
    let twin = sandbox.write("twin.yaml", std::fs::read(&file).unwrap());
    for (mut cmd, f) in [(sandbox.sops(), &file), (sandbox.secret(), &twin)] {
        let status = cmd
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .args(["--set", r#"["a"]["b"] "new""#, "-i"])
            .arg(f)
            .output()
            .unwrap()
            .status;
        assert!(status.success());
    }
    let [theirs, ours] = both(&sandbox, &["-d"], &twin);
    let [by_sops, _] = both(&sandbox, &["-d"], &file);
    assert_eq!(ours, by_sops);
    assert_eq!(theirs, by_sops);
    assert!(ours.1.contains("b: new"));
    // No file: both exit 100.
    let [theirs, ours] =
        [sandbox.sops(), sandbox.secret()].map(|mut c| c.arg("-d").output().unwrap());
    assert_eq!(ours.status.code(), Some(100));
    assert_eq!(theirs.status.code(), Some(100));
}

#[test]
fn indent_shapes_yaml_and_json_output_like_sops_legacy_form() {
    let sandbox = Sandbox::new();
    let yaml = sops_encrypted(
        &sandbox,
        "i.yaml",
        "a:\n    b:\n        - x\n        - y: 1\n",
    );
    let json = sops_encrypted(&sandbox, "i.json", "{\"a\": {\"b\": [1, {\"c\": true}]}}\n");
    for n in ["-3", "-2", "-1", "0", "1", "2", "3", "9", "10"] {
        for (file, types) in [
            (&yaml, &["--output-type", "yaml"][..]),
            (&yaml, &["--output-type", "json"]),
            (&json, &["--output-type", "json"]),
            (&json, &["--output-type", "yaml"]),
        ] {
            let mut args = vec!["-d", "--indent", n];
            args.extend_from_slice(types);
            let [theirs, ours] = both(&sandbox, &args, file);
            assert_eq!(ours, theirs, "{args:?} {}", file.display());
        }
    }
    // sops 3.13 honours the global value in subcommands too.
    let [_, legacy] = both(&sandbox, &["-d", "--indent", "2"], &yaml);
    let [_, sub] = both(&sandbox, &["--indent", "2", "decrypt"], &yaml);
    let [_, after] = both(&sandbox, &["decrypt", "--indent", "2"], &yaml);
    assert_eq!(sub, legacy);
    assert_eq!(after, legacy);
}

#[test]
fn sops_age_key_may_hold_several_keys_on_one_line() {
    let sandbox = Sandbox::new();
    let last_line = |name: &str| {
        std::fs::read_to_string(key(name))
            .unwrap()
            .lines()
            .last()
            .unwrap()
            .to_string()
    };
    let one_line = format!("{} {}", last_line("age2.txt"), last_line("age1.txt"));
    let out = stdout_of(
        sandbox
            .secret()
            .env("SOPS_AGE_KEY", one_line)
            .arg("decrypt")
            .arg(vectors().join("sops/app.age1.yaml")),
    );
    assert_same(
        &out,
        &std::fs::read(vectors().join("expected/app.age1.yaml")).unwrap(),
        "SOPS_AGE_KEY with two keys on a line",
    );
}

#[test]
fn ssh_private_key_cmd_opens_files_for_ssh_recipients() {
    let sandbox = Sandbox::new();
    // The command runs without a shell, for each age key, with SOPS_AGE_RECIPIENT set.
    let script = sandbox.write(
        "print-key.sh",
        format!(
            "#!/bin/sh\ncase \"$SOPS_AGE_RECIPIENT\" in ssh-*) cat '{}';; esac\n",
            key("id_ed25519").display()
        ),
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = stdout_of(
        sandbox
            .secret()
            .env("SOPS_AGE_SSH_PRIVATE_KEY_CMD", &script)
            .arg("decrypt")
            .arg(vectors().join("sops/app.ssh.yaml")),
    );
    assert_same(
        &out,
        &std::fs::read(vectors().join("expected/app.ssh.yaml")).unwrap(),
        "SOPS_AGE_SSH_PRIVATE_KEY_CMD",
    );
    // A command printing garbage names itself in the failure.
    let out = sandbox
        .secret()
        .env("SOPS_AGE_SSH_PRIVATE_KEY_CMD", "echo nonsense")
        .arg("decrypt")
        .arg(vectors().join("sops/app.ssh.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(128));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("malformed SSH identity returned by running SOPS_AGE_SSH_PRIVATE_KEY_CMD"));
}

/// Exit code and stderr of both tools (sops first) for the same command.
fn codes_of(sandbox: &Sandbox, args: &[&str]) -> [(Option<i32>, String); 2] {
    [sandbox.sops(), sandbox.secret()].map(|mut cmd| {
        let out = cmd.args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code(), err)
    })
}

#[test]
fn unreadable_encrypted_files_exit_1_as_in_sops() {
    let sandbox = Sandbox::new();
    sandbox.write("empty.yaml", "");
    sandbox.write("empty.json", "");
    sandbox.write("bad.yaml", "a: [1\n");
    sandbox.write("bad.json", "{\"a\": \n");
    for file in ["empty.yaml", "empty.json", "bad.yaml", "bad.json"] {
        for args in [
            &["decrypt", file][..],
            &["-d", file],
            &["rotate", file],
            &["exec-env", file, "true"],
            &["set", file, r#"["a"]"#, "1"],
        ] {
            let [theirs, ours] = codes_of(&sandbox, args);
            assert_eq!(ours.0, theirs.0, "{args:?}: sops said {}", theirs.1);
            assert_eq!(ours.0, Some(1), "{args:?}");
        }
    }
    // filestatus: an empty YAML file is simply not encrypted, for both.
    for mut cmd in [sandbox.sops(), sandbox.secret()] {
        let out = stdout_of(cmd.args(["filestatus", "empty.yaml"]));
        assert_eq!(out, b"{\"encrypted\":false}\n");
    }
    // Encrypting such input keeps its own codes (92 empty YAML, 2 unparsable).
    for (file, code) in [("empty.yaml", 92), ("bad.yaml", 2)] {
        let [theirs, ours] = codes_of(&sandbox, &["encrypt", "--age", AGE1, file]);
        assert_eq!((ours.0, theirs.0), (Some(code), Some(code)), "{file}");
    }
}

#[test]
fn empty_or_missing_key_groups_fail_with_sops_message() {
    let sandbox = Sandbox::new();
    sandbox.write("p.yaml", "a: 1\n");
    let no_config = codes_of(&sandbox, &["encrypt", "p.yaml"]);
    let want = "config file not found, or has no creation rules, and no keys provided through \
                command line options";
    for (code, err) in &no_config {
        assert_eq!(*code, Some(1));
        assert!(err.contains(want), "{err}");
    }
    // A .sops.yaml with no document (empty, or only a comment) has no rules either; an
    // empty list of rules (or one of nulls) is rules none of which matches.
    for (config, err_wanted) in [
        ("", want),
        ("# rules to come\n", want),
        ("creation_rules:\n", want),
        ("creation_rules: []\n", "no matching creation rules found"),
        (
            "creation_rules:\n  - null\n",
            "no matching creation rules found",
        ),
    ] {
        sandbox.write(".sops.yaml", config);
        let mut runs = vec![codes_of(&sandbox, &["encrypt", "p.yaml"])];
        if err_wanted != want {
            // Rules none of which matches fail even with keys on the command line.
            runs.push(codes_of(&sandbox, &["encrypt", "--age", AGE1, "p.yaml"]));
        }
        for (code, err) in runs.into_iter().flatten() {
            assert_eq!(code, Some(1), "{config:?}");
            assert!(err.contains(err_wanted), "{config:?}: {err}");
        }
    }
    for rules in [
        "  - key_groups: []\n",
        "  - key_groups:\n    - {}\n",
        "  - key_groups:\n    - age: []\n",
        "  - age: \"\"\n",
        &format!("  - key_groups:\n    - age: [{AGE1}]\n    - {{}}\n"),
    ] {
        sandbox.write(".sops.yaml", format!("creation_rules:\n{rules}"));
        for (code, err) in codes_of(&sandbox, &["encrypt", "p.yaml"]) {
            assert_eq!(code, Some(1), "{rules}");
            assert!(
                err.contains("Could not generate data key: [empty key group provided]"),
                "{rules}: {err}"
            );
        }
    }
    // Under the name sops, stderr is sops' own, byte for byte (sops' functional tests
    // compare it).
    let link = installed_as_sops(&sandbox);
    let [theirs, _] = codes_of(&sandbox, &["encrypt", "p.yaml"]);
    let ours = assert_cmd::Command::new(&link)
        .current_dir(sandbox.path())
        .args(["encrypt", "p.yaml"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&ours.stderr), theirs.1);
    assert_eq!(ours.status.code(), theirs.0);
}

#[test]
fn exec_as_another_user_sets_home_user_and_logname() {
    // Switching user needs root; elsewhere the switch itself fails before any of this.
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("not root: --user cannot switch users here");
        return;
    }
    let sandbox = Sandbox::new();
    let file = sops_encrypted(&sandbox, "env.yaml", "HOME: /decrypted\nX: y\n");
    let show = "echo \"$HOME:$USER:$LOGNAME:$X:$(id -un)\"";
    let env_out = stdout_of(
        sandbox
            .secret()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .args(["exec-env", "--user", "nobody"])
            .arg(&file)
            .arg(show),
    );
    assert_eq!(
        String::from_utf8(env_out).unwrap(),
        "/nonexistent:nobody:nobody:y:nobody\n"
    );
    let file_out = stdout_of(
        sandbox
            .secret()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .args(["exec-file", "--no-fifo", "--user", "nobody"])
            .arg(&file)
            .arg("echo \"$HOME:$USER:$LOGNAME:$(id -un)\""),
    );
    assert_eq!(
        String::from_utf8(file_out).unwrap(),
        "/nonexistent:nobody:nobody:nobody\n"
    );
}

/// The entries of a metadata block, each a first line at `indent` with the lines below it,
/// sorted by key as sops 3.13 writes them (`closing`: lines at `indent` that end an entry).
fn sorted_entries(lines: &[&str], indent: &str) -> Vec<Vec<String>> {
    let mut entries: Vec<Vec<String>> = Vec::new();
    for line in lines {
        let starts_entry = line
            .strip_prefix(indent)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '"'));
        match entries.last_mut() {
            Some(entry) if !starts_entry => entry.push(line.to_string()),
            _ => entries.push(vec![line.to_string()]),
        }
    }
    entries.sort_by(|a, b| a[0].cmp(&b[0]));
    entries
}

/// A YAML file of secret's as sops 3.13 writes it: metadata keys in alphabetical order,
/// comments inline after the value they stood above, `version: 3.13.2`.
fn as_sops_3_13_yaml(text: &str) -> String {
    let (body, meta) = text.split_once("sops:\n").unwrap();
    let mut out: Vec<String> = Vec::new();
    let mut pending: Option<String> = None;
    for line in body.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#ENC[") {
            pending = Some(trimmed.to_string());
            continue;
        }
        match pending.take() {
            Some(comment) if trimmed.contains(": ENC[") || trimmed.starts_with("- ENC[") => {
                out.push(format!("{line} {comment}"));
            }
            Some(comment) => {
                out.push(comment);
                out.push(line.to_string());
            }
            None => out.push(line.to_string()),
        }
    }
    out.push("sops:".into());
    let meta = meta.replace("version: 3.11.0", "version: 3.13.2");
    let lines: Vec<&str> = meta.lines().collect();
    out.extend(sorted_entries(&lines, "    ").into_iter().flatten());
    out.join("\n") + "\n"
}

/// A JSON file of secret's with its metadata keys in alphabetical order (sops 3.13).
fn as_sops_3_13_json(text: &str) -> String {
    let (body, meta) = text.split_once("\t\"sops\": {\n").unwrap();
    let (meta, tail) = meta.rsplit_once("\n\t}").unwrap();
    let meta = meta.replace("\"version\": \"3.11.0\"", "\"version\": \"3.13.2\"");
    let lines: Vec<&str> = meta.lines().collect();
    let mut entries = sorted_entries(&lines, "\t\t");
    let count = entries.len();
    for (i, entry) in entries.iter_mut().enumerate() {
        let last = entry.last_mut().unwrap();
        let bare = last.trim_end_matches(',').to_string();
        *last = if i + 1 < count { bare + "," } else { bare };
    }
    let meta: Vec<String> = entries.into_iter().flatten().collect();
    format!("{body}\t\"sops\": {{\n{}\n\t}}{tail}", meta.join("\n"))
}

/// An INI file of secret's with its age key armored over several lines in `"""` quotes, as
/// sops 3.12 to 3.13.1 wrote INI metadata (3.11 and 3.13.2 escape the newlines).
fn as_sops_3_13_1_ini(text: &str) -> String {
    text.lines()
        .map(|line| match line.split_once("= -----BEGIN") {
            Some((key, rest)) => format!(
                "{key}= \"\"\"-----BEGIN{}\"\"\"",
                rest.trim_end().replace("\\n", "\n").trim_end_matches('\n')
            ),
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Turns a file of secret's into the layout of another sops release.
type Relayout = fn(&str) -> String;

#[test]
fn files_laid_out_as_sops_3_12_and_3_13_write_them_decrypt_as_with_sops() {
    let sandbox = Sandbox::new();
    let plain_yaml = "# top\nkey1: value1\n# inline comment\nkey2: value2\nitems:\n    # on item\n    - one\n    - two\n";
    let plain_json = "{\"key1\": \"a\", \"other\": 5}\n";
    let plain_ini = "[s]\nkey1 = 1\n";
    let cases: [(&str, &str, Relayout, &str); 3] = [
        ("l.yaml", plain_yaml, as_sops_3_13_yaml, r#"["key1"]"#),
        ("l.json", plain_json, as_sops_3_13_json, r#"["key1"]"#),
        ("l.ini", plain_ini, as_sops_3_13_1_ini, r#"["s"]["key1"]"#),
    ];
    for (name, plain, relayout, path) in cases {
        let input = sandbox.write(&format!("plain-{name}"), plain);
        let mut args = vec!["encrypt", "--age", AGE1, "--filename-override", name];
        if name != "l.yaml" {
            // Options whose metadata keys sort differently from sops 3.11's struct order.
            args.extend(["--encrypted-regex", "^key", "--mac-only-encrypted"]);
        }
        let ours = String::from_utf8(stdout_of(sandbox.secret().args(&args).arg(&input))).unwrap();
        let relaid = relayout(&ours);
        assert_ne!(relaid, ours, "{name}: the layout did not change");
        if name == "l.yaml" {
            assert_eq!(
                relaid.matches("] #ENC[").count(),
                2,
                "inline comments:\n{relaid}"
            );
        }
        let file = sandbox.write(name, &relaid);
        let [theirs, ours] = both(&sandbox, &["decrypt"], &file);
        assert_eq!(
            theirs.0,
            Some(0),
            "{name}: sops cannot read the fixture:\n{relaid}"
        );
        assert_eq!(ours, theirs, "{name}");
        // Changing a value keeps the file readable by sops.
        let status = sandbox
            .secret()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .args(["set"])
            .arg(&file)
            .args([path, "\"changed\""])
            .output()
            .unwrap()
            .status;
        let [theirs, ours] = both(&sandbox, &["decrypt"], &file);
        assert!(status.success(), "{name}");
        assert_eq!(ours, theirs, "{name}");
        assert!(ours.1.contains("changed"), "{name}: {}", ours.1);
    }
}

#[test]
fn a_sops_yml_is_ignored_with_a_warning_by_both_tools() {
    let sandbox = Sandbox::new();
    sandbox.write("p.yaml", "a: 1\n");
    sandbox.write(".sops.yml", format!("creation_rules:\n  - age: {AGE1}\n"));
    for (code, err) in codes_of(&sandbox, &["encrypt", "p.yaml"]) {
        // Not used: no keys, so encryption fails; the warning says why.
        assert_eq!(code, Some(1), "{err}");
        assert!(
            err.contains("when searching for config file; the config file must be called"),
            "{err}"
        );
        assert!(err.contains(".sops.yml"), "{err}");
    }
    let ours = sandbox
        .secret()
        .args(["encrypt", "p.yaml"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&ours.stderr).starts_with(
        "secret: warning: ignoring \".sops.yml\" when searching for config file; the config \
         file must be called \".sops.yaml\"\n"
    ));
}

/// The `sops:` block's line that names the selector in force.
fn selector_line(encrypted: &[u8]) -> String {
    let text = String::from_utf8_lossy(encrypted);
    let found = text.lines().find(|l| {
        let l = l.trim_start();
        ["encrypted_", "unencrypted_"]
            .iter()
            .any(|p| l.starts_with(p) && !l.starts_with("encrypted_comment"))
    });
    found.unwrap_or("").trim().to_string()
}

/// An empty option is taken as not given, as sops takes it: an empty selector flag is no
/// selector (not a suffix or regex that matches every key, leaving every value plain or
/// encrypting what the default suffix keeps plain), an empty `SOPS_CONFIG`, `--config`,
/// `--output` or `--filename-override` is no such option; and of a flag given twice, the
/// last counts.
#[test]
fn empty_options_are_not_given_and_the_last_of_two_counts() {
    let sandbox = Sandbox::new();
    let plain = "a: 1\nb_unencrypted: 2\nc_x: 3\n";
    sandbox.write("f.yaml", plain);
    let decrypt = |cmd: &mut assert_cmd::Command, file: &str| {
        stdout_of(
            cmd.env("SOPS_AGE_KEY_FILE", key("age1.txt"))
                .args(["decrypt", file]),
        )
    };
    for flag in [
        "--unencrypted-suffix=",
        "--encrypted-suffix=",
        "--unencrypted-regex=",
        "--encrypted-regex=",
    ] {
        let mut outs = Vec::new();
        for (name, mut cmd) in [
            ("sops.yaml", sandbox.sops()),
            ("secret.yaml", sandbox.secret()),
        ] {
            let out = stdout_of(cmd.args(["encrypt", "--age", AGE1, flag, "f.yaml"]));
            let text = String::from_utf8_lossy(&out).into_owned();
            assert!(
                text.contains("a: ENC[") && text.contains("c_x: ENC["),
                "{flag} {name}"
            );
            assert!(text.contains("b_unencrypted: 2\n"), "{flag} {name}: {text}");
            assert_eq!(
                selector_line(&out),
                "unencrypted_suffix: _unencrypted",
                "{flag} {name}"
            );
            sandbox.write(name, &out);
            outs.push(name);
        }
        for name in outs {
            for mut cmd in [sandbox.sops(), sandbox.secret()] {
                assert_eq!(decrypt(&mut cmd, name), plain.as_bytes(), "{flag} {name}");
            }
        }
    }
    // The last of two selector flags counts.
    for mut cmd in [sandbox.sops(), sandbox.secret()] {
        let out = stdout_of(cmd.args([
            "encrypt",
            "--age",
            AGE1,
            "--encrypted-regex",
            "^a",
            "--encrypted-regex",
            "^c",
            "f.yaml",
        ]));
        assert_eq!(selector_line(&out), "encrypted_regex: ^c");
    }
    // Empty path options.
    sandbox.write(
        "e.yaml",
        stdout_of(sandbox.secret().args(["encrypt", "--age", AGE1, "f.yaml"])),
    );
    for mut cmd in [sandbox.sops(), sandbox.secret()] {
        cmd.env("SOPS_CONFIG", "");
        assert_eq!(decrypt(&mut cmd, "e.yaml"), plain.as_bytes());
    }
    for mut cmd in [sandbox.sops(), sandbox.secret()] {
        let out = cmd
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .args([
                "--config",
                "",
                "decrypt",
                "--output=",
                "--filename-override",
                "",
            ])
            .arg("e.yaml");
        assert_eq!(stdout_of(out), plain.as_bytes());
    }
}

/// `stores:` indentation follows sops' rules, as `--indent` does: YAML 0 is its default 4, 1
/// is go-yaml's 2, a fraction is cut, negative is exit 4; JSON -1 is a tab, below -1 exit 4.
/// Output bytes and exit codes are sops'.
#[test]
fn store_indents_from_the_config_follow_sops() {
    let sandbox = Sandbox::new();
    sandbox.write("n.yaml", "a:\n    b: c\n");
    sandbox.write("n.json", "{\"a\": {\"b\": \"c\"}}");
    for name in ["n.yaml", "n.json"] {
        let out = stdout_of(sandbox.sops().args(["encrypt", "--age", AGE1, name]));
        sandbox.write(&format!("enc.{name}"), out);
    }
    for stores in [
        "yaml: {indent: 0}",
        "yaml: {indent: 1}",
        "yaml: {indent: 2.5}",
        "yaml: {indent: -1}",
        "json: {indent: -5}",
        "json: {indent: 0}",
        "json: {indent: 3.7}",
    ] {
        sandbox.write(".sops.yaml", format!("stores: {{{stores}}}\n"));
        for file in ["enc.n.yaml", "enc.n.json"] {
            let [sops, ours] = [sandbox.sops(), sandbox.secret()].map(|mut cmd| {
                let out = cmd
                    .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
                    .args(["decrypt", file])
                    .output()
                    .unwrap();
                (out.status.code(), out.stdout)
            });
            assert_eq!(ours.0, sops.0, "{stores} {file}");
            if sops.0 == Some(0) {
                assert_same(&ours.1, &sops.1, &format!("{stores} {file}"));
            }
        }
    }
}

/// Age recipients in a creation rule are read as sops reads them: a list's entries joined
/// with commas and split again (an empty piece is an error), kept twice when named twice;
/// in a key group each entry is a comma list of its own (an empty entry is none), a key
/// named twice is kept once, and a string where sops wants a list is an error.
#[test]
fn age_recipients_in_rules_are_read_as_sops_reads_them() {
    let sandbox = Sandbox::new();
    sandbox.write("f.yaml", "a: 1\n");
    let r2 = "age18ept7lq70vg3zau47jq3qegm54ul6phpq2qf5u4ug6v7aj45kqzqfhqvyc";
    for rule in [
        format!("- age: ['', {AGE1}]"),
        format!("- age: ['{AGE1},{r2}']"),
        format!("- age: [' {AGE1} ']"),
        format!("- age: [{AGE1}, {r2}, {AGE1}]"),
        format!("- age: '{AGE1},,{r2},'"),
        format!("- key_groups:\n    - age: ['', {AGE1}]"),
        format!("- key_groups:\n    - age: ['{AGE1},{r2}']"),
        format!("- key_groups:\n    - age: ['{AGE1},']"),
        format!("- key_groups:\n    - age: [{AGE1}, {AGE1}]"),
        format!("- key_groups:\n    - age: {AGE1}"),
    ] {
        sandbox.write(".sops.yaml", format!("creation_rules:\n  {rule}\n"));
        let [sops, ours] = [sandbox.sops(), sandbox.secret()].map(|mut cmd| {
            let out = cmd.args(["encrypt", "f.yaml"]).output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            (out.status.code(), text.matches("recipient:").count())
        });
        assert_eq!(ours, sops, "{rule}");
    }
}

/// Merge keys in `.sops.yaml` (`<<: *defaults`) are resolved as sops' YAML reader resolves
/// them: a rule, a key group or the whole file made of merged maps, explicit keys first,
/// then the first merged map that sets one; a merge of anything but maps is an error.
#[test]
fn merge_keys_in_the_config_are_resolved_as_in_sops() {
    let sandbox = Sandbox::new();
    sandbox.write("f.yaml", "a: 1\nb: 2\n");
    for config in [
        format!("keys: &k\n  age: {AGE1}\ncreation_rules:\n  - <<: *k\n"),
        format!("creation_rules:\n  - &r\n    age: {AGE1}\n    path_regex: nomatch\n  - <<: *r\n    path_regex: f\n"),
        format!("creation_rules:\n  - <<: {{encrypted_regex: ^a}}\n    age: {AGE1}\n"),
        format!("creation_rules:\n  - <<: [{{encrypted_regex: ^a}}, {{encrypted_regex: ^b, age: {AGE1}}}]\n"),
        format!("x: &x\n  creation_rules:\n    - age: {AGE1}\n<<: *x\n"),
        format!("creation_rules:\n  - key_groups:\n    - <<: {{age: [{AGE1}]}}\n"),
        format!("creation_rules:\n  - <<: 5\n    age: {AGE1}\n"),
    ] {
        sandbox.write(".sops.yaml", &config);
        let [sops, ours] = [sandbox.sops(), sandbox.secret()].map(|mut cmd| {
            let out = cmd.args(["encrypt", "f.yaml"]).output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let regex = text.lines().find(|l| l.contains("encrypted_regex")).map(str::to_owned);
            (out.status.code(), text.matches("ENC[").count(), regex)
        });
        assert_eq!(ours, sops, "{config}");
    }
}

/// A broken creation rule counts only where sops reaches it: its `path_regex` when the search
/// for a file's rule tries it, the rest when it matches. Decrypting never reads the rules, and
/// a file an earlier rule takes is encrypted.
#[test]
fn a_broken_rule_counts_only_where_sops_reaches_it() {
    let sandbox = Sandbox::new();
    sandbox.write("f.yaml", "a: 1\n");
    sandbox.write(
        "e.yaml",
        stdout_of(sandbox.sops().args(["encrypt", "--age", AGE1, "f.yaml"])),
    );
    for rules in [
        format!("  - path_regex: ^prod/(?!x)\n    age: {AGE1}\n  - age: {AGE1}\n"),
        format!("  - path_regex: f\\.yaml\n    age: {AGE1}\n  - path_regex: '(['\n"),
        format!("  - path_regex: nomatch\n    encrypted_regex: a\n    unencrypted_suffix: b\n  - age: {AGE1}\n"),
        format!("  - path_regex: f\n    encrypted_regex: a\n    unencrypted_suffix: b\n  - age: {AGE1}\n"),
        format!("  - path_regex: nomatch\n    encrypted_regex: '(['\n    age: {AGE1}\n  - age: {AGE1}\n"),
    ] {
        sandbox.write(".sops.yaml", format!("creation_rules:\n{rules}"));
        for args in [&["encrypt", "f.yaml"][..], &["decrypt", "e.yaml"], &["filestatus", "e.yaml"]] {
            let [sops, ours] = [sandbox.sops(), sandbox.secret()].map(|mut cmd| {
                let out = cmd.env("SOPS_AGE_KEY_FILE", key("age1.txt")).args(args).output();
                out.unwrap().status.code()
            });
            assert_eq!(ours, sops, "{args:?} under\n{rules}");
        }
    }
}

/// A creation rule's `shamir_threshold` is written into the metadata as sops writes it, with
/// one key group too, and each tool opens the other's file.
#[test]
fn a_shamir_threshold_is_written_with_one_key_group_too() {
    let sandbox = Sandbox::new();
    sandbox.write("f.yaml", "a: 1\n");
    for threshold in [0, 1, 2] {
        sandbox.write(
            ".sops.yaml",
            format!("creation_rules:\n  - shamir_threshold: {threshold}\n    age: {AGE1}\n"),
        );
        let mut lines = Vec::new();
        for (name, mut cmd) in [
            ("sops.yaml", sandbox.sops()),
            ("ours.yaml", sandbox.secret()),
        ] {
            let out = stdout_of(cmd.args(["encrypt", "f.yaml"]));
            let text = String::from_utf8_lossy(&out).into_owned();
            lines.push(
                text.lines()
                    .find(|l| l.contains("shamir"))
                    .map(str::to_owned),
            );
            sandbox.write(name, &out);
            for mut cmd in [sandbox.sops(), sandbox.secret()] {
                let plain = stdout_of(
                    cmd.env("SOPS_AGE_KEY_FILE", key("age1.txt"))
                        .args(["decrypt", name]),
                );
                assert_eq!(plain, b"a: 1\n", "{threshold} {name}");
            }
        }
        assert_eq!(lines[1], lines[0], "threshold {threshold}");
    }
}

/// A new binary file has no selector in its metadata, and a selector given for one is
/// ignored (its one value is always encrypted), as in sops.
#[test]
fn a_binary_file_is_encrypted_whole_without_a_selector() {
    let sandbox = Sandbox::new();
    sandbox.write("x.bin", "hello\n");
    for flags in [
        &[][..],
        &["--encrypted-regex", "^nothing"],
        &["--unencrypted-suffix", "a"],
    ] {
        let mut fields = Vec::new();
        for (name, mut cmd) in [("sops.bin", sandbox.sops()), ("ours.bin", sandbox.secret())] {
            let out = stdout_of(
                cmd.args(["encrypt", "--age", AGE1])
                    .args(flags)
                    .arg("x.bin"),
            );
            let text = String::from_utf8_lossy(&out).into_owned();
            assert!(
                text.contains("\"data\": \"ENC["),
                "{flags:?} {name}: {text}"
            );
            let names: Vec<String> = (text.lines())
                .filter(|l| l.starts_with("\t\t\"") && !l.contains("\"age\""))
                .map(|l| l.trim().split('"').nth(1).unwrap_or("").to_owned())
                .collect();
            fields.push(names);
            sandbox.write(name, &out);
            for mut cmd in [sandbox.sops(), sandbox.secret()] {
                let plain = cmd
                    .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
                    .args(["decrypt", name]);
                assert_eq!(stdout_of(plain), b"hello\n", "{flags:?} {name}");
            }
        }
        assert_eq!(fields[1], fields[0], "{flags:?}");
    }
}

/// Metadata that names no master key is sops' "No keys found in file", exit 1.
#[test]
fn metadata_without_keys_is_exit_1() {
    let sandbox = Sandbox::new();
    let file = sandbox.sops_file("e.yaml", "a: 1\n");
    let text = std::fs::read_to_string(&file).unwrap();
    let mut in_age = false;
    let kept: Vec<&str> = (text.lines())
        .filter(|l| {
            in_age = l.starts_with("    age:") || (in_age && l.starts_with("        "));
            !in_age
        })
        .collect();
    sandbox.write("e.yaml", kept.join("\n") + "\n");
    for (code, err) in codes_of(&sandbox, &["decrypt", "e.yaml"]) {
        assert_eq!(code, Some(1), "{err}");
        assert!(err.contains("No keys found in file"), "{err}");
    }
}

/// The metadata's version is checked as sops checks it: semver, or a sops 1.x version
/// (`1.` and anything, `1.0` unquoted too); `filestatus` does not check it.
#[test]
fn metadata_versions_are_checked_as_in_sops() {
    let sandbox = Sandbox::new();
    let file = sandbox.sops_file("e.yaml", "a: 1\n");
    let text = std::fs::read_to_string(&file).unwrap();
    for version in [
        "1.0",
        "\"1.0\"",
        "1.5",
        "1.x",
        "1",
        "2.0",
        "abc",
        "v3.1.0",
        "3.1.0-rc1",
    ] {
        let changed = text.replace("version: 3.11.0", &format!("version: {version}"));
        sandbox.write("v.yaml", changed);
        for args in [&["decrypt", "v.yaml"][..], &["filestatus", "v.yaml"]] {
            let [sops, ours] = [sandbox.sops(), sandbox.secret()].map(|mut cmd| {
                let out = cmd
                    .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
                    .args(args)
                    .output();
                let out = out.unwrap();
                (out.status.code(), out.stdout)
            });
            assert_eq!(ours, sops, "{version} {args:?}");
        }
    }
}

/// `filestatus` decides as sops does: a binary file is read as JSON, a `sops` map that cannot
/// be read is an error even where it would not mark the file encrypted, a YAML file without a
/// document is not encrypted, and no file at all is exit 100.
#[test]
fn filestatus_decides_as_sops_does() {
    let sandbox = Sandbox::new();
    for (name, text) in [
        ("empty.bin", ""),
        ("xx.bin", "xx"),
        ("d.bin", "{\"data\":\"x\"}"),
        ("s1.yaml", "a: 1\nsops: {}\n"),
        ("nl.yaml", "\n\n# nothing\n"),
        ("s3.json", "{\"a\":1,\"sops\":{}}"),
        ("s4.env", "a=1\nsops_x=1\n"),
    ] {
        sandbox.write(name, text);
        let [sops, ours] = [sandbox.sops(), sandbox.secret()].map(|mut cmd| {
            let out = cmd.args(["filestatus", name]).output().unwrap();
            (out.status.code(), out.stdout)
        });
        assert_eq!(ours, sops, "{name}");
    }
    let [(sops, _), (ours, _)] = codes_of(&sandbox, &["filestatus"]);
    assert_eq!((ours, sops), (Some(100), Some(100)));
}

/// A key group's KMS or HuaweiCloud entry without its id is sops' error (not a key left out);
/// empty ids in a rule's own list are skipped, as sops skips them.
#[test]
fn key_group_entries_without_an_id_are_refused() {
    let sandbox = Sandbox::new();
    sandbox.write("f.yaml", "a: 1\n");
    for (entry, refused) in [
        ("      kms: [{}]\n", true),
        ("      kms: [{arn: ''}]\n", true),
        ("      hckms: [{}]\n", true),
        ("      hckms: [{key_id: ''}]\n", true),
        ("      hckms: [null]\n", false),
    ] {
        sandbox.write(
            ".sops.yaml",
            format!("creation_rules:\n  - key_groups:\n    - age: [{AGE1}]\n{entry}"),
        );
        for (code, err) in codes_of(&sandbox, &["encrypt", "f.yaml"]) {
            assert_eq!(code, Some(if refused { 1 } else { 0 }), "{entry}: {err}");
        }
    }
    sandbox.write(
        ".sops.yaml",
        format!("creation_rules:\n  - hckms: ['', ' ']\n    age: {AGE1}\n"),
    );
    for (code, err) in codes_of(&sandbox, &["encrypt", "f.yaml"]) {
        assert_eq!(code, Some(0), "{err}");
    }
}

/// A `.sops.yaml` that is a directory, or whose `destination_rules` are of the wrong kind,
/// fails every command (exit 1), as in sops.
#[test]
fn an_unreadable_config_fails_every_command() {
    let sandbox = Sandbox::new();
    let file = sandbox.sops_file("e.yaml", "a: 1\n");
    std::fs::create_dir(sandbox.path().join(".sops.yaml")).unwrap();
    for (code, err) in codes_of(&sandbox, &["decrypt", file.to_str().unwrap()]) {
        assert_eq!(code, Some(1), "{err}");
    }
    std::fs::remove_dir(sandbox.path().join(".sops.yaml")).unwrap();
    for config in ["destination_rules: 5\n", "destination_rules: [5]\n"] {
        sandbox.write(".sops.yaml", config);
        for (code, err) in codes_of(&sandbox, &["decrypt", file.to_str().unwrap()]) {
            assert_eq!(code, Some(1), "{config}: {err}");
        }
    }
}

/// In sops' top-level form, flags after the file are ignored positional arguments (with a
/// warning): `-d FILE -i` prints the plaintext and leaves the file encrypted, `-d FILE
/// --output-type json` prints YAML, `FILE -d` edits. Subcommands read flags anywhere.
#[test]
fn legacy_flags_after_the_file_are_ignored_as_in_sops() {
    let sandbox = Sandbox::new();
    let file = sandbox.sops_file("f.yaml", "a: 1\n");
    let encrypted = std::fs::read(&file).unwrap();
    for args in [
        &["-d", "f.yaml", "-i"][..],
        &["-d", "f.yaml", "--output-type", "json"],
    ] {
        for mut cmd in [sandbox.sops(), sandbox.secret()] {
            let out = cmd
                .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
                .args(args)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(0), "{args:?}");
            assert_eq!(out.stdout, b"a: 1\n", "{args:?}");
            assert_eq!(
                std::fs::read(&file).unwrap(),
                encrypted,
                "{args:?}: file untouched"
            );
        }
    }
    for mut cmd in [sandbox.sops(), sandbox.secret()] {
        let out = cmd
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .env("EDITOR", "true")
            .args(["f.yaml", "-d"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(200), "FILE -d edits");
    }
}

/// `groups add` and `groups delete` exit 1 where the data key cannot be opened, as sops does
/// (`decrypt` exits 128 there).
#[test]
fn groups_exit_1_without_the_data_key() {
    let sandbox = Sandbox::new();
    sandbox.sops_file("f.yaml", "a: 1\n");
    let r2 = "age18ept7lq70vg3zau47jq3qegm54ul6phpq2qf5u4ug6v7aj45kqzqfhqvyc";
    for args in [
        &["groups", "add", "--file", "f.yaml", "--age", r2][..],
        &["groups", "delete", "--file", "f.yaml", "0"],
        &["decrypt", "f.yaml"],
    ] {
        let [sops, ours] = [sandbox.sops(), sandbox.secret()].map(|mut cmd| {
            let out = cmd
                .env("SOPS_AGE_KEY_FILE", key("age2.txt"))
                .args(args)
                .output();
            out.unwrap().status.code()
        });
        assert_eq!(ours, sops, "{args:?}");
    }
}

/// A missing file exits as in sops, which differs by command: 100 for `decrypt`, `encrypt`
/// and the top-level forms, 2 (a read error) for the commands that open the file
/// themselves, 1 for `updatekeys`, 49 for key changes.
#[test]
fn a_missing_file_exits_as_each_sops_command_does() {
    let sandbox = Sandbox::new();
    let r2 = "age18ept7lq70vg3zau47jq3qegm54ul6phpq2qf5u4ug6v7aj45kqzqfhqvyc";
    for args in [
        &["decrypt", "no.yaml"][..],
        &["encrypt", "--age", AGE1, "no.yaml"],
        &["-d", "no.yaml"],
        &["-r", "no.yaml"],
        &["exec-env", "no.yaml", "true"],
        &["exec-file", "no.yaml", "true"],
        &["rotate", "no.yaml"],
        &["rotate", "--add-age", r2, "no.yaml"],
        &["set", "no.yaml", "[\"a\"]", "1"],
        &["unset", "no.yaml", "[\"a\"]"],
        &["groups", "add", "--file", "no.yaml", "--age", r2],
        &["updatekeys", "-y", "no.yaml"],
    ] {
        let [(sops, _), (ours, err)] = codes_of(&sandbox, args);
        assert_eq!(ours, sops, "{args:?}: {err}");
    }
}
