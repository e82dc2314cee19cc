//! Files `secret` encrypts decrypt with the real sops to the same bytes sops gives for its
//! own encryption of the same input; files sops encrypts now decrypt with `secret`.

mod common;
use common::*;
use std::path::Path;

const AGE2: &str = "age18ept7lq70vg3zau47jq3qegm54ul6phpq2qf5u4ug6v7aj45kqzqfhqvyc";

/// Encrypts `plain` with `tool` using the vectors' `.sops.yaml` (rule picked by `name`),
/// then decrypts the result with both tools; returns (encrypted, sops plain, secret plain).
fn encrypt_then_decrypt_both(
    sandbox: &Sandbox,
    tool: &str,
    plain: &Path,
    name: &str,
    extra: &[&str],
) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let mut enc = if tool == "secret" {
        sandbox.secret()
    } else {
        sandbox.sops()
    };
    enc.arg("--config")
        .arg(vectors().join(".sops.yaml"))
        .args(["encrypt", "--filename-override", name])
        .args(extra)
        .arg(plain);
    let encrypted = stdout_of(&mut enc);
    let file = sandbox.write(name.rsplit('/').next().unwrap(), &encrypted);
    let keys = if name.contains(".ssh.") {
        "id_ed25519"
    } else {
        "age12.txt"
    };
    let run = |mut cmd: assert_cmd::Command| {
        if keys == "id_ed25519" {
            cmd.env("SOPS_AGE_SSH_PRIVATE_KEY_FILE", key(keys));
        } else {
            cmd.env("SOPS_AGE_KEY_FILE", key(keys));
        }
        cmd.arg("decrypt").arg(&file);
        stdout_of(&mut cmd)
    };
    let by_sops = run(sandbox.sops());
    let by_secret = run(sandbox.secret());
    (encrypted, by_sops, by_secret)
}

fn check(plain: &str, name: &str, extra: &[&str]) {
    check_fixed(plain, name, extra, |reference| reference);
}

/// [`check`] with sops' round trip output adjusted by `fix` where secret knowingly differs.
fn check_fixed(plain: &str, name: &str, extra: &[&str], fix: impl Fn(Vec<u8>) -> Vec<u8>) {
    let sandbox = Sandbox::new();
    let plain = vectors().join("plain").join(plain);
    let (_, reference, _) = encrypt_then_decrypt_both(&sandbox, "sops", &plain, name, extra);
    let reference = fix(reference);
    let (encrypted, by_sops, by_secret) =
        encrypt_then_decrypt_both(&sandbox, "secret", &plain, name, extra);
    assert_same(
        &by_sops,
        &reference,
        &format!("sops decrypt of secret's {name}"),
    );
    assert_same(
        &by_secret,
        &reference,
        &format!("secret decrypt of secret's {name}"),
    );
    assert!(
        String::from_utf8_lossy(&encrypted).contains("ENC[AES256_GCM"),
        "{name}: nothing encrypted"
    );
}

#[test]
fn yaml_with_one_recipient() {
    check("app.yaml", "sops/app.age1.yaml", &[]);
}

#[test]
fn yaml_with_two_recipients_either_key_opens() {
    check("app.yaml", "sops/app.age12.yaml", &[]);
    let sandbox = Sandbox::new();
    let encrypted = stdout_of(
        sandbox
            .secret()
            .args(["encrypt", "--age", &format!("{AGE1},{AGE2}")])
            .arg(vectors().join("plain/app.yaml")),
    );
    let file = sandbox.write("two.yaml", encrypted);
    let expected = std::fs::read(vectors().join("expected/app.age12.yaml")).unwrap();
    for k in ["age1.txt", "age2.txt"] {
        let out = stdout_of(
            sandbox
                .sops()
                .env("SOPS_AGE_KEY_FILE", key(k))
                .arg("decrypt")
                .arg(&file),
        );
        assert_same(&out, &expected, k);
    }
}

#[test]
fn yaml_selectors_from_rules() {
    check("app.yaml", "sops/app.regex.yaml", &[]);
    check("app.yaml", "sops/app.unregex.yaml", &[]);
    check("app.yaml", "sops/app.suffix.yaml", &[]);
    check("app.yaml", "sops/app.maconly.yaml", &[]);
}

#[test]
fn yaml_selector_flags() {
    check(
        "app.yaml",
        "sops/flags.yaml",
        &["--encrypted-regex", "^(user|key)$"],
    );
    check(
        "app.yaml",
        "sops/flags2.yaml",
        &["--unencrypted-suffix", "_secret"],
    );
}

#[test]
fn yaml_ssh_recipient() {
    check("app.yaml", "sops/app.ssh.yaml", &[]);
}

#[test]
fn yaml_shamir_key_groups() {
    check("app.yaml", "sops/app.shamir.yaml", &[]);
}

#[test]
fn yaml_comments_anchors_and_tricky_scalars() {
    check("comments.yaml", "sops/comments.age1.yaml", &[]);
    check("tricky.yaml", "sops/tricky.age1.yaml", &[]);
    check("multi.yaml", "sops/multi.age1.yaml", &[]);
}

#[test]
fn json_files() {
    check("app.json", "sops/app.age1.json", &[]);
    // sops 3.11 rounds the integer 12345678901234567 through a float; secret keeps it exact
    // (as sops 3.13 does) and records it as type:int, which sops 3.11 decrypts exactly.
    check_fixed("tricky.json", "sops/tricky.age1.json", &[], |reference| {
        String::from_utf8(reference)
            .unwrap()
            .replace("12345678901234568", "12345678901234567")
            .into_bytes()
    });
    check("strings.json", "sops/strings.age1.json", &[]);
}

#[test]
fn json_integers_that_fit_int64_stay_exact_for_both_tools() {
    let sandbox = Sandbox::new();
    let plain = sandbox.write(
        "ids.json",
        "{\"id\": 9007199254740993, \"max\": 9223372036854775807, \"f\": 1.5}\n",
    );
    let encrypted = stdout_of(
        sandbox
            .secret()
            .args(["encrypt", "--age", AGE1])
            .arg(&plain),
    );
    let text = String::from_utf8(encrypted.clone()).unwrap();
    assert_eq!(text.matches(",type:int]").count(), 2, "{text}");
    assert_eq!(text.matches(",type:float]").count(), 1, "{text}");
    let file = sandbox.write("ids.enc.json", &encrypted);
    let want = "{\n\t\"id\": 9007199254740993,\n\t\"max\": 9223372036854775807,\n\t\"f\": 1.5\n}\n";
    for mut cmd in [sandbox.secret(), sandbox.sops()] {
        let out = stdout_of(
            cmd.env("SOPS_AGE_KEY_FILE", key("age1.txt"))
                .arg("decrypt")
                .arg(&file),
        );
        assert_eq!(String::from_utf8(out).unwrap(), want);
    }
}

#[test]
fn json_to_yaml_conversion() {
    check(
        "strings.json",
        "sops/strings.age1.yaml",
        &["--input-type", "json", "--output-type", "yaml"],
    );
}

#[test]
fn encrypted_output_has_sops_layout() {
    // Everything but ciphertexts, nonces, the age block and the time matches sops' file.
    let sandbox = Sandbox::new();
    let ours = stdout_of(
        sandbox
            .secret()
            .args(["encrypt", "--age", AGE1])
            .arg(vectors().join("plain/app.yaml")),
    );
    let theirs = std::fs::read_to_string(vectors().join("sops/app.age1.yaml")).unwrap();
    let shape = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with("            ")) // armored age lines
            .map(|l| match l.find("ENC[") {
                Some(i) => format!("{}ENC[{}", &l[..i], l.rsplit_once("type:").unwrap().1),
                None if l.trim_start().starts_with("lastmodified:") => "lastmodified".into(),
                None => l.to_string(),
            })
            .collect()
    };
    assert_eq!(shape(&String::from_utf8(ours).unwrap()), shape(&theirs));
}

#[test]
fn sops_written_now_decrypts_with_secret() {
    let sandbox = Sandbox::new();
    for plain in [
        "app.yaml",
        "comments.yaml",
        "tricky.yaml",
        "app.json",
        "tricky.json",
    ] {
        let encrypted = stdout_of(
            sandbox
                .sops()
                .args(["encrypt", "--age", &format!("{AGE1},{AGE2}")])
                .arg(vectors().join("plain").join(plain)),
        );
        let file = sandbox.write(plain, &encrypted);
        let theirs = stdout_of(
            sandbox
                .sops()
                .env("SOPS_AGE_KEY_FILE", key("age2.txt"))
                .arg("decrypt")
                .arg(&file),
        );
        let ours = stdout_of(
            sandbox
                .secret()
                .env("SOPS_AGE_KEY_FILE", key("age2.txt"))
                .arg("decrypt")
                .arg(&file),
        );
        assert_same(&ours, &theirs, plain);
    }
}

#[test]
fn in_place_round_trip_keeps_mode() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::new();
    let file = sandbox.write(
        "app.yaml",
        std::fs::read(vectors().join("plain/app.yaml")).unwrap(),
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    stdout_of(
        sandbox
            .secret()
            .args(["encrypt", "-i", "--age", AGE1])
            .arg(&file),
    );
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    let out = stdout_of(
        sandbox
            .sops()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .arg("decrypt")
            .arg(&file),
    );
    assert_same(
        &out,
        &std::fs::read(vectors().join("expected/app.age1.yaml")).unwrap(),
        "-i",
    );
    stdout_of(
        sandbox
            .secret()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .args(["decrypt", "-i"])
            .arg(&file),
    );
    assert_same(
        &std::fs::read(&file).unwrap(),
        &std::fs::read(vectors().join("expected/app.age1.yaml")).unwrap(),
        "decrypt -i",
    );
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o640
    );
}

/// Encrypts `plain` with sops and with secret (age1), decrypts both files with both tools
/// and asserts every output equals sops' decryption of its own file.
fn decrypts_like_sops(sandbox: &Sandbox, plain: &Path) {
    let what = plain.display();
    let theirs = stdout_of(sandbox.sops().args(["encrypt", "--age", AGE1]).arg(plain));
    let ours = stdout_of(sandbox.secret().args(["encrypt", "--age", AGE1]).arg(plain));
    let theirs = sandbox.write("theirs.yaml", theirs);
    let ours = sandbox.write("ours.yaml", ours);
    let decrypt = |mut cmd: assert_cmd::Command, file: &Path| {
        stdout_of(
            cmd.env("SOPS_AGE_KEY_FILE", key("age1.txt"))
                .arg("decrypt")
                .arg(file),
        )
    };
    let reference = decrypt(sandbox.sops(), &theirs);
    assert_same(
        &decrypt(sandbox.secret(), &theirs),
        &reference,
        &format!("{what}: secret decrypt of sops' file"),
    );
    assert_same(
        &decrypt(sandbox.sops(), &ours),
        &reference,
        &format!("{what}: sops decrypt of our file"),
    );
    assert_same(
        &decrypt(sandbox.secret(), &ours),
        &reference,
        &format!("{what}: secret decrypt of our file"),
    );
}

#[test]
fn yaml_scalar_typing_matches_go_yaml() {
    // Numbers, bools, nulls, timestamps, infinities and look-alikes written plain: sops must
    // read back our file exactly as its own, and we must read sops' file exactly as sops.
    let plain = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/typing.yaml");
    decrypts_like_sops(&Sandbox::new(), &plain);
}

#[test]
fn multi_document_comments_land_where_sops_puts_them() {
    // Comments around `---` and `...`: go-yaml makes a run right under `---` that a blank
    // line ends the previous document's foot (replacing the one it had), or this document's
    // when the previous one ended with `...`, or the first entry's foot after a stem comment.
    let layouts = [
        "a: 1\n---\n# c\n",
        "a: 1\n---\n# c\nb: 2\n",
        "a: 1\n---\n# c\n\nb: 2\n",
        "a: 1\n---\n\n# c\nb: 2\n",
        "a: 1\n---\n# c\n# c2\n\nb: 2\n",
        "a: 1\n---\n# c\n---\nb: 2\n",
        "a: 1\n--- # inline\nb: 2\n",
        "a:\n  x: 1\n---\n# c\n\nb: 2\n",
        "a: 1\n---\n# c\n\n---\nb: 2\n",
        "# h\na: 1\n---\n# c\n\n# d\n\nb: 2\n",
        "a: 1\n...\n---\n# c\n\nb: 2\n",
        "a: 1\n...\n---\n# c\n\n# d\nb: 2\n",
        "a: 1\n---\n# c\n\n# d\nb: 2\n",
        "a: 1\n---\n  # indented c\n\nb: 2\n",
        "a: 1\n---\n# c\n\nb: 2\n---\n# e\n\nc: 3\n",
        "a: |\n  text\n---\n# c\n\nb: 2\n",
        "a: 1\n# tail\n---\n# c\n\nb: 2\n",
        "a: 1\n\n# tail\n---\n# c\n\nb: 2\n",
        "a: 1\n# t1\n\n# t2\n---\n# c\n\nb: 2\n",
        "a:\n  x: 1\n  # tail\n---\n# c\n\nb: 2\n",
        "a:\n  x: 1\n# tail\n---\n# c\n\nb: 2\n",
        "a:\n- 1\n# tail\n---\n# c\n\nb: 2\n",
        "a: 1\n# tail\n---\nb: 2\n",
        "---\n# c\n\nb: 2\nc: 3\n",
        "# only\n---\n# c\n\nb: 2\n",
        "# only\n\n---\n# c\n\nb: 2\nc: 3\n",
        "# only\n---\n# c\n\nb:\n  x: 1\nc: 3\n",
    ];
    check_layouts(&layouts);
}

#[test]
fn block_comments_land_where_sops_puts_them() {
    // Comments around sequences written flush with their key, between a key and its block,
    // deeper or shallower than the block they follow, before a blank line.
    let layouts = [
        "k1:\n- v0\n# c48\n",
        "k1:\n- v0\n# c48\nk2: v\n",
        "k1:\n- v0\n# c48\n\nk2: v\n",
        "k1:\n# c79\n- v8\n",
        "k1:\n# c79\n- v8\nk2: v\n",
        "a:\n  k1:\n  - v0\n  # c\n  k2: v\n",
        "a:\n  k1:\n  - v0\n  # c\n",
        "k1:\n- v0\n- v1\n# c\n",
        "k1:\n- a: 1\n# c\n",
        "k1:\n- v0\n  # c\n",
        "k1:\n\n# c79\n- v8\n",
        "k1:\n  - v0\n    # c\n",
        "k1:\n  - v0\n    # c\nk2: v\n",
        "k1:\n- v0\n  # c\nk2: v\n",
        "k1:\n- a: 1\n  b: 2\n# c\nk2: v\n",
        "k1:\n  x: 1\n    # c\n",
        "k1:\n  x: 1\n    # c\n  y: 2\n",
        "k1:\n  x: 1\n    # c\nk2: 2\n",
        "a: 1\n  # c\nb: 2\n",
        "a: 1\n  # c\n",
        "k1:\n  - v0\n    # c\n  - v1\n",
        "k1:\n# c64\n  k2: v2\n",
        "k1:\n# c\n  - x\n",
        "k:\n- a: 1\n# c\n- b: 2\n",
        "k1:\n  - v1\n# c27\n  # c98\nk8: v8\n",
        "k1:\n  x:\n    y: 1\n  # c1\n    # c2\n  z: 2\n",
        "k1:\n  k3:\n    k6: v6\n# c47\n\n  k7: v7\n",
    ];
    check_layouts(&layouts);
}

/// [`decrypts_like_sops`] for each YAML text.
fn check_layouts(layouts: &[&str]) {
    let sandbox = Sandbox::new();
    for (i, layout) in layouts.iter().enumerate() {
        let plain = sandbox.write(&format!("layout{i}.yaml"), layout);
        decrypts_like_sops(&sandbox, &plain);
    }
}

#[test]
fn random_strings_print_like_sops_in_yaml_and_json() {
    // A seeded corpus of short strings over YAML's and JSON's troublesome characters.
    let alphabet: Vec<char> =
        "abc xyz:#-{}[],&*!|>'\"%@`?=\\\t\n0123456789.eE+_~é中🎉\u{a0}\u{2028}\u{7f}\u{1}"
            .chars()
            .collect();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let mut json = String::from("{");
    for i in 0..1500 {
        let len = next(13);
        let s: String = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
        let quoted = json_quote(&s);
        if i > 0 {
            json.push(',');
        }
        json.push_str(&format!("\"k{i}\":{quoted}"));
        if i % 5 == 0 {
            json.push_str(&format!(
                ",\"n{i}\":{{\"x\":{quoted},\"l\":[{quoted},{quoted}]}}"
            ));
        }
    }
    json.push('}');
    let sandbox = Sandbox::new();
    let plain = sandbox.write("r.json", json);
    let to_yaml = ["--input-type", "json", "--output-type", "yaml"];
    let theirs = stdout_of(
        sandbox
            .sops()
            .args(["encrypt", "--age", AGE1])
            .args(to_yaml)
            .arg(&plain),
    );
    let ours = stdout_of(
        sandbox
            .secret()
            .args(["encrypt", "--age", AGE1])
            .args(to_yaml)
            .arg(&plain),
    );
    let theirs = sandbox.write("theirs.yaml", theirs);
    let ours = sandbox.write("ours.yaml", ours);
    for out in [&[][..], &["--output-type", "json"][..]] {
        let decrypt = |mut cmd: assert_cmd::Command, file: &Path| {
            stdout_of(
                cmd.env("SOPS_AGE_KEY_FILE", key("age1.txt"))
                    .arg("decrypt")
                    .args(out)
                    .arg(file),
            )
        };
        let reference = decrypt(sandbox.sops(), &theirs);
        assert_same(
            &decrypt(sandbox.secret(), &theirs),
            &reference,
            "secret on sops' file",
        );
        assert_same(
            &decrypt(sandbox.sops(), &ours),
            &reference,
            "sops on our file",
        );
    }
}

/// A JSON string literal (escapes only what JSON requires).
fn json_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// sops reads the base64 of an ENC value with Go's lenient decoder: line breaks are skipped and
/// the unused low bits of the last character are not checked. A value whose last data character
/// was changed only in those bits still decrypts, with either tool, to the same text.
#[test]
fn base64_read_as_leniently_as_sops() {
    let sandbox = Sandbox::new();
    let plain = sandbox.write("one.yaml", "k: v\n");
    let encrypted = stdout_of(
        sandbox
            .secret()
            .args(["encrypt", "--age", AGE1])
            .arg(&plain),
    );
    let text = String::from_utf8(encrypted).unwrap();
    // One plaintext byte is base64 `XY==`: the low four bits of `Y` are unused. Setting them
    // all gives another character that decodes to the same byte.
    let start = text.find("data:").unwrap() + "data:".len();
    let data = &text[start..start + 4];
    assert!(data.ends_with("=="), "one byte of data: {data}");
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let second = alphabet.find(&data[1..2]).unwrap();
    let lenient = &alphabet[(second | 0x0F)..=(second | 0x0F)];
    assert_ne!(lenient, &data[1..2], "the last character must change");
    let changed = format!("{}{}{}", &text[..start + 1], lenient, &text[start + 2..]);
    let file = sandbox.write("lenient.yaml", changed);
    for mut tool in [sandbox.sops(), sandbox.secret()] {
        tool.env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .arg("decrypt")
            .arg(&file);
        assert_eq!(stdout_of(&mut tool), b"k: v\n");
    }
}

/// Big enough for `secret` to read and decrypt on all cores (over 8,192 values, over 1 MiB
/// encrypted): files sops wrote decrypt to the bytes sops gives, for a flat dotenv file and
/// a nested YAML one.
#[test]
fn big_files_decrypt_like_sops() {
    let sandbox = Sandbox::new();
    let mut env = String::new();
    let mut yaml = String::new();
    for i in 0..11_000 {
        if i % 700 == 0 {
            env.push_str(&format!("# block {i}\n\n"));
            yaml.push_str(&format!("# block {i}\ns{i}:\n"));
        }
        let value = match i % 5 {
            0 => format!("line one\\nline two {i}"),
            1 => String::new(),
            2 => format!("é {i} \"quoted\" = # not a comment\r"),
            _ => format!("a longer value, {i}"),
        };
        let key = if i % 97 == 0 {
            format!("K{i}_unencrypted")
        } else {
            format!("K{i}")
        };
        env.push_str(&format!("{key}={value}\n"));
        yaml.push_str(&format!("  {key}: v{i}\n"));
        if i % 50 == 0 {
            yaml.push_str(&format!("  L{i}:\n    - a{i}\n    - {i}\n"));
        }
    }
    env.push_str("LAST=no line break at the end");
    for (name, plain) in [("big.env", env), ("big.yaml", yaml)] {
        let file = sandbox.sops_file(name, &plain);
        assert!(std::fs::metadata(&file).unwrap().len() > 1 << 20, "{name}");
        let theirs = sandbox.sops_decrypt(&file);
        let ours = stdout_of(
            sandbox
                .secret()
                .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
                .arg("decrypt")
                .arg(&file),
        );
        assert_same(&ours, theirs.as_bytes(), name);
    }
}
