use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::identities::*;
use super::recipient::*;
use super::*;
use std::collections::HashMap;

use base64::prelude::{Engine as _, BASE64_STANDARD};

const AGE1: &str = "age1fmcn853felcansaeen9l7wej64nqnzz6fpq9zxp70qtvdhv5pueqaqkman";
const AGE2: &str = "age18ept7lq70vg3zau47jq3qegm54ul6phpq2qf5u4ug6v7aj45kqzqfhqvyc";

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn key_path(name: &str) -> PathBuf {
    vectors().join("keys").join(name)
}

fn key_text(name: &str) -> String {
    fs::read_to_string(key_path(name)).unwrap()
}

/// The `(recipient, enc)` pairs of the `sops.age` entries of a YAML vector, read with
/// plain string slicing.
fn age_entries(vector: &str) -> Vec<(String, String)> {
    let text = fs::read_to_string(vectors().join("sops").join(vector)).unwrap();
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("- recipient: ") {
        rest = &rest[i + "- recipient: ".len()..];
        let recipient = rest[..rest.find('\n').unwrap()].to_string();
        let begin = rest.find(ARMOR_BEGIN).unwrap();
        let end = rest.find(ARMOR_END).unwrap() + ARMOR_END.len();
        let enc: String = rest[begin..end]
            .lines()
            .map(|l| format!("{}\n", l.trim()))
            .collect();
        out.push((recipient, enc));
        rest = &rest[end..];
    }
    assert!(!out.is_empty(), "no age entries in {vector}");
    out
}

fn master_key(vector: &str) -> AgeMasterKey {
    let (recipient, enc) = age_entries(vector).remove(0);
    AgeMasterKey { recipient, enc }
}

/// What the real `age` CLI decrypts `enc` to with the identity file `identity`.
fn age_cli_decrypt(enc: &str, identity: &Path) -> Vec<u8> {
    let mut child = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(identity)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the age CLI is installed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(enc.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "age -d failed");
    out.stdout
}

/// A fake environment; `HOME` always points at an empty temporary directory unless given.
struct Env {
    vars: HashMap<String, OsString>,
    _home: tempfile::TempDir,
    home: PathBuf,
}

impl Env {
    fn new(pairs: &[(&str, &str)]) -> Env {
        let home_dir = tempfile::tempdir().unwrap();
        let home = home_dir.path().to_path_buf();
        let mut vars: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        vars.entry("HOME".to_string())
            .or_insert_with(|| home.clone().into_os_string());
        Env {
            vars,
            _home: home_dir,
            home,
        }
    }

    fn load(&self) -> AgeIdentities {
        AgeIdentities::load_from(&|name: &str| self.vars.get(name).cloned()).unwrap()
    }
}

fn unwrap_with(vector: &str, env: &Env) -> Result<Zeroizing<Vec<u8>>> {
    master_key(vector).unwrap(&env.load())
}

fn expected_age1_key() -> Vec<u8> {
    let key = age_cli_decrypt(&master_key("app.age1.yaml").enc, &key_path("age1.txt"));
    assert_eq!(key.len(), 32);
    key
}

#[test]
fn unwrap_with_sops_age_key_file() {
    let path = key_path("age1.txt");
    let env = Env::new(&[(SOPS_AGE_KEY_FILE, path.to_str().unwrap())]);
    let key = unwrap_with("app.age1.yaml", &env).unwrap();
    assert_eq!(&key[..], &expected_age1_key()[..]);
}

#[test]
fn unwrap_with_sops_age_key() {
    let env = Env::new(&[(SOPS_AGE_KEY, &key_text("age1.txt"))]);
    let key = unwrap_with("app.age1.yaml", &env).unwrap();
    assert_eq!(&key[..], &expected_age1_key()[..]);
}

#[test]
fn unwrap_with_sops_age_key_cmd() {
    let cmd = format!("cat '{}'", key_path("age1.txt").display());
    let env = Env::new(&[(SOPS_AGE_KEY_CMD, &cmd)]);
    let key = unwrap_with("app.age1.yaml", &env).unwrap();
    assert_eq!(&key[..], &expected_age1_key()[..]);
}

#[test]
fn key_cmd_sees_the_recipient() {
    let script = format!(
        "test \"$SOPS_AGE_RECIPIENT\" = {AGE1} && cat '{}'",
        key_path("age1.txt").display()
    );
    let cmd = format!("sh -c '{script}'");
    let env = Env::new(&[(SOPS_AGE_KEY_CMD, &cmd)]);
    assert_eq!(
        &unwrap_with("app.age1.yaml", &env).unwrap()[..],
        &expected_age1_key()[..]
    );
    // The same command refuses another recipient: the command really ran per key.
    let other = AgeMasterKey {
        recipient: AGE2.to_string(),
        enc: age_entries("app.age12.yaml")[1].1.clone(),
    };
    let err = other.unwrap(&env.load()).unwrap_err();
    assert!(
        err.message.contains(&format!(
            "failed to execute command {cmd} from SOPS_AGE_KEY_CMD: exit status 1"
        )),
        "{}",
        err.message
    );
}

#[test]
fn unwrap_with_default_keys_file_under_xdg_config_home() {
    let xdg = tempfile::tempdir().unwrap();
    let dir = xdg.path().join("sops/age");
    fs::create_dir_all(&dir).unwrap();
    fs::copy(key_path("age1.txt"), dir.join("keys.txt")).unwrap();
    let env = Env::new(&[("XDG_CONFIG_HOME", xdg.path().to_str().unwrap())]);
    let key = unwrap_with("app.age1.yaml", &env).unwrap();
    assert_eq!(&key[..], &expected_age1_key()[..]);
}

#[cfg(all(unix, not(target_os = "macos")))]
#[test]
fn unwrap_with_default_keys_file_under_home_config() {
    let env = Env::new(&[]);
    let dir = env.home.join(".config/sops/age");
    fs::create_dir_all(&dir).unwrap();
    fs::copy(key_path("age1.txt"), dir.join("keys.txt")).unwrap();
    let key = unwrap_with("app.age1.yaml", &env).unwrap();
    assert_eq!(&key[..], &expected_age1_key()[..]);
    // An empty XDG_CONFIG_HOME counts as unset.
    let mut env2 = Env::new(&[("XDG_CONFIG_HOME", "")]);
    env2.vars
        .insert("HOME".to_string(), env.home.clone().into_os_string());
    assert_eq!(&unwrap_with("app.age1.yaml", &env2).unwrap()[..], &key[..]);
}

#[test]
fn unwrap_ssh_vector_with_sops_age_ssh_private_key_file() {
    let ssh_key = key_path("id_ed25519");
    let mk = master_key("app.ssh.yaml");
    assert!(mk.recipient.starts_with("ssh-ed25519 ") && mk.recipient.ends_with(" secret-test-key"));
    let expected = age_cli_decrypt(&mk.enc, &ssh_key);
    assert_eq!(expected.len(), 32);
    let env = Env::new(&[(SOPS_AGE_SSH_PRIVATE_KEY_FILE, ssh_key.to_str().unwrap())]);
    assert_eq!(&mk.unwrap(&env.load()).unwrap()[..], &expected[..]);
}

#[test]
fn unwrap_ssh_vector_with_home_ssh_id_ed25519() {
    let mk = master_key("app.ssh.yaml");
    let expected = age_cli_decrypt(&mk.enc, &key_path("id_ed25519"));
    let env = Env::new(&[]);
    fs::create_dir_all(env.home.join(".ssh")).unwrap();
    fs::copy(key_path("id_ed25519"), env.home.join(".ssh/id_ed25519")).unwrap();
    assert_eq!(&mk.unwrap(&env.load()).unwrap()[..], &expected[..]);
    // A broken SOPS_AGE_SSH_PRIVATE_KEY_FILE does not hide ~/.ssh/id_ed25519 (as in sops).
    let mut env2 = Env::new(&[(SOPS_AGE_SSH_PRIVATE_KEY_FILE, "/nonexistent/key")]);
    env2.vars
        .insert("HOME".to_string(), env.home.clone().into_os_string());
    assert_eq!(&mk.unwrap(&env2.load()).unwrap()[..], &expected[..]);
}

#[test]
fn unwrap_shamir_shares() {
    let path = key_path("age12.txt");
    let env = Env::new(&[(SOPS_AGE_KEY_FILE, path.to_str().unwrap())]);
    let ids = env.load();
    let entries = age_entries("app.shamir.yaml");
    assert_eq!(entries.len(), 2);
    for (recipient, enc) in entries {
        let expected = age_cli_decrypt(&enc, &path);
        assert_eq!(expected.len(), 33);
        let mk = AgeMasterKey { recipient, enc };
        assert_eq!(&mk.unwrap(&ids).unwrap()[..], &expected[..]);
    }
}

fn assert_sops_armor(enc: &str) {
    let lines: Vec<&str> = enc.split('\n').collect();
    assert_eq!(lines[0], ARMOR_BEGIN);
    assert_eq!(lines[lines.len() - 2], ARMOR_END);
    assert_eq!(lines[lines.len() - 1], "", "armor must end with a newline");
    let body = &lines[1..lines.len() - 2];
    for (i, line) in body.iter().enumerate() {
        if i + 1 < body.len() {
            assert_eq!(line.len(), 64, "line {i} of the armor");
        } else {
            assert!(!line.is_empty() && line.len() <= 64);
        }
    }
    let binary = BASE64_STANDARD.decode(body.concat()).unwrap();
    assert!(binary.starts_with(b"age-encryption.org/v1\n"));
}

#[test]
fn wrap_is_readable_by_the_age_cli() {
    for len in [32, 33] {
        let data_key: Vec<u8> = (0..len).map(|i| i as u8 * 7 + 1).collect();
        let mut mk = AgeMasterKey::new(AGE1).unwrap();
        mk.wrap(&data_key).unwrap();
        assert_sops_armor(&mk.enc);
        assert_eq!(age_cli_decrypt(&mk.enc, &key_path("age1.txt")), data_key);
    }
}

#[test]
fn wrap_has_the_size_of_sops_output() {
    // For X25519 the age header has a fixed size, so a wrapped 32-byte key must be exactly
    // as long as the one sops wrote, line for line.
    let sops = master_key("app.age1.yaml").enc;
    let mut mk = AgeMasterKey::new(AGE1).unwrap();
    mk.wrap(&[7; 32]).unwrap();
    let lens = |s: &str| s.lines().map(str::len).collect::<Vec<_>>();
    assert_eq!(lens(&mk.enc), lens(&sops));
    assert_eq!(mk.enc.len(), sops.len());
}

#[test]
fn wrap_has_exactly_one_recipient_stanza() {
    let mut mk = AgeMasterKey::new(AGE1).unwrap();
    mk.wrap(&[9; 32]).unwrap();
    let body: String = mk.enc.lines().filter(|l| !l.starts_with("-----")).collect();
    let binary = BASE64_STANDARD.decode(body).unwrap();
    let header_end = binary.windows(4).position(|w| w == b"\n---").unwrap();
    let header = std::str::from_utf8(&binary[..header_end]).unwrap();
    assert_eq!(header.matches("\n-> ").count(), 1);
    assert!(header.contains("\n-> X25519 "));
}

#[test]
fn wrap_unwrap_round_trip_x25519_and_ssh() {
    let ssh_recipient = key_text("id_ed25519.pub").trim().to_string();
    let cases = [
        (AGE1.to_string(), SOPS_AGE_KEY_FILE, key_path("age1.txt")),
        (
            ssh_recipient,
            SOPS_AGE_SSH_PRIVATE_KEY_FILE,
            key_path("id_ed25519"),
        ),
    ];
    for (recipient, var, file) in cases {
        let data_key: Vec<u8> = (0..32u8).rev().collect();
        let mut mk = AgeMasterKey::new(&recipient).unwrap();
        assert_eq!(mk.recipient, recipient);
        mk.wrap(&data_key).unwrap();
        assert_sops_armor(&mk.enc);
        let env = Env::new(&[(var, file.to_str().unwrap())]);
        assert_eq!(&mk.unwrap(&env.load()).unwrap()[..], &data_key[..]);
        assert_eq!(age_cli_decrypt(&mk.enc, &file), data_key);
    }
}

#[test]
fn new_trims_and_validates_recipients() {
    let mk = AgeMasterKey::new(&format!("  {AGE1}\n")).unwrap();
    assert_eq!(mk.recipient, AGE1);
    assert!(mk.enc.is_empty());
    let keys = AgeMasterKey::from_recipients(&format!("{AGE1}, {AGE2}")).unwrap();
    assert_eq!(keys.len(), 2);
    assert!(AgeMasterKey::from_recipients("").unwrap().is_empty());

    let cases = [
        ("bogus", "failed to parse input, unknown recipient type: \"bogus\""),
        (
            "age1abc",
            "failed to parse input as Bech32-encoded age public key: malformed recipient \"age1abc\"",
        ),
        (
            "age1fmcn853felcansaeen9l7wej64nqnzz6fpq9zxp70qtvdhv5pueqaqkmam",
            "failed to parse input as Bech32-encoded age public key",
        ),
        (
            "ssh-ed25519 AAAA",
            "failed to parse input as age-ssh public key: malformed SSH recipient: \"ssh-ed25519 AAAA\"",
        ),
        (
            "age1yubikey1qwerty",
            "failed to parse input as age key from age plugin",
        ),
        ("AGE1FMCN", "unknown recipient type"),
    ];
    for (input, expected) in cases {
        let err = AgeMasterKey::new(input).unwrap_err();
        assert_eq!(err.code, Code::Generic, "{input}");
        assert!(err.message.contains(expected), "{input}: {}", err.message);
    }
}

#[test]
fn wrong_identity_fails_naming_the_recipient_without_secrets() {
    let path = key_path("age2.txt");
    let env = Env::new(&[(SOPS_AGE_KEY_FILE, path.to_str().unwrap())]);
    let err = unwrap_with("app.age1.yaml", &env).unwrap_err();
    assert_eq!(err.code, Code::CouldNotRetrieveKey);
    assert!(
        err.message.starts_with(&format!("{AGE1}: ")),
        "{}",
        err.message
    );
    assert!(err.message.contains(
        "failed to create reader for decrypting sops data key with age: \
         identity did not match any of the recipients"
    ));
    // The fix is said once, and the locations without keys are not listed: a key was found.
    assert!(err.message.ends_with(KEY_FILE_HINT), "{}", err.message);
    assert!(!err.message.contains("looked in"), "{}", err.message);
    assert_no_secrets(&err.message);
    for line in env.load().describe() {
        assert_no_secrets(&line);
    }
}

fn assert_no_secrets(text: &str) {
    assert!(!text.contains("AGE-SECRET-KEY"), "{text}");
    for name in ["age1.txt", "age2.txt"] {
        let secret = key_text(name);
        let secret = secret.lines().last().unwrap();
        assert!(
            !text.contains(&secret["AGE-SECRET-KEY-1".len()..]),
            "{text}"
        );
    }
    assert!(!text.contains("PRIVATE KEY"), "{text}");
}

#[test]
fn no_identities_message_lists_the_locations_once_with_the_fix() {
    let env = Env::new(&[]);
    let err = unwrap_with("app.age1.yaml", &env).unwrap_err();
    assert_eq!(err.code, Code::CouldNotRetrieveKey);
    let h = env.home.display();
    let expected = format!(
        "{AGE1}: no age key found (looked in SOPS_AGE_SSH_PRIVATE_KEY_FILE, \
         {h}/.ssh/id_ed25519, {h}/.ssh/id_rsa, SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, \
         SOPS_AGE_KEY_CMD, {}); {KEY_FILE_HINT}",
        user_config_dir(&|n: &str| env.vars.get(n).cloned())
            .unwrap()
            .join("sops/age/keys.txt")
            .display()
    );
    assert_eq!(err.message, expected);

    // An empty SOPS_AGE_KEY is a source without keys, listed last; the default file is
    // then not mentioned (as in sops).
    let env = Env::new(&[(SOPS_AGE_KEY, "")]);
    let err = unwrap_with("app.age1.yaml", &env).unwrap_err();
    let h = env.home.display();
    assert_eq!(
        err.message,
        format!(
            "{AGE1}: no age key found (looked in SOPS_AGE_SSH_PRIVATE_KEY_FILE, \
             {h}/.ssh/id_ed25519, {h}/.ssh/id_rsa, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, \
             SOPS_AGE_KEY); {KEY_FILE_HINT}"
        )
    );
}

#[test]
fn broken_sources_are_reported_only_when_nothing_works() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.txt");
    fs::write(&garbage, "garbage\n").unwrap();
    let garbage = garbage.to_str().unwrap();
    let good = key_text("age1.txt");

    // A broken keys file next to a good SOPS_AGE_KEY: decrypts (sops 3.11 behaviour).
    let env = Env::new(&[(SOPS_AGE_KEY_FILE, garbage), (SOPS_AGE_KEY, &good)]);
    assert_eq!(
        &unwrap_with("app.age1.yaml", &env).unwrap()[..],
        &expected_age1_key()[..]
    );
    // Same for a missing keys file, a broken SSH key, a failing or unparsable command.
    for (var, value) in [
        (SOPS_AGE_KEY_FILE, "/nonexistent/keys.txt"),
        (SOPS_AGE_SSH_PRIVATE_KEY_FILE, garbage),
        (SOPS_AGE_KEY_CMD, "nonexistent-command-xyz arg"),
        (SOPS_AGE_KEY_CMD, "'unterminated"),
        (SOPS_AGE_KEY_CMD, ""),
    ] {
        let env = Env::new(&[(var, value), (SOPS_AGE_KEY, &good)]);
        assert!(unwrap_with("app.age1.yaml", &env).is_ok(), "{var}={value}");
    }

    // Alone, each is reported with sops' words.
    let cases = [
        (
            SOPS_AGE_KEY_FILE,
            garbage.to_string(),
            "failed to load age identities. Errors while loading age identities: \
             failed to parse 'SOPS_AGE_KEY_FILE' age identities: unknown identity type"
                .to_string(),
        ),
        (
            SOPS_AGE_KEY_FILE,
            "/nonexistent/keys.txt".to_string(),
            "Errors while loading age identities: failed to open SOPS_AGE_KEY_FILE file: \
             open /nonexistent/keys.txt: no such file or directory"
                .to_string(),
        ),
        (
            SOPS_AGE_SSH_PRIVATE_KEY_FILE,
            garbage.to_string(),
            format!(
                "Errors while loading age identities: malformed SSH identity in \
                 \"{garbage}\": ssh: no key found"
            ),
        ),
        (
            SOPS_AGE_KEY_CMD,
            "nonexistent-command-xyz arg".to_string(),
            "failed to execute command nonexistent-command-xyz arg from SOPS_AGE_KEY_CMD: \
             exec: \"nonexistent-command-xyz\": executable file not found in $PATH"
                .to_string(),
        ),
        (
            SOPS_AGE_KEY_CMD,
            "'unterminated".to_string(),
            "failed to parse command 'unterminated from SOPS_AGE_KEY_CMD: \
             EOF found when expecting closing quote"
                .to_string(),
        ),
    ];
    for (var, value, expected) in cases {
        let env = Env::new(&[(var, &value)]);
        let err = unwrap_with("app.age1.yaml", &env).unwrap_err();
        assert_eq!(err.code, Code::CouldNotRetrieveKey);
        assert!(
            err.message.contains(&expected),
            "{var}={value}: {}",
            err.message
        );
    }

    // A keys file with a bad line after a good one is rejected whole, as in sops.
    let mixed = dir.path().join("mixed.txt");
    fs::write(&mixed, format!("{good}\nnot-a-key\n")).unwrap();
    let env = Env::new(&[(SOPS_AGE_KEY_FILE, mixed.to_str().unwrap())]);
    let err = unwrap_with("app.age1.yaml", &env).unwrap_err();
    assert!(
        err.message.contains("unknown identity type"),
        "{}",
        err.message
    );
    assert_no_secrets(&err.message);

    // A malformed secret key is reported without echoing it.
    let bad = key_text("age1.txt").replace("QLQH9QS", "QLQH9QQ");
    let env = Env::new(&[(SOPS_AGE_KEY, &bad)]);
    let err = unwrap_with("app.age1.yaml", &env).unwrap_err();
    assert!(
        err.message.contains("malformed secret key"),
        "{}",
        err.message
    );
    assert!(!err.message.contains("QLQH9Q"), "{}", err.message);
}

/// The identity line of a test keys file.
fn identity_line(name: &str) -> String {
    key_text(name).lines().last().unwrap().to_string()
}

/// `env` opens the age1 vector and describes SOPS_AGE_KEY as holding age2 then age1.
fn opens_age1_with_age2_then_age1(env: &Env) {
    assert_eq!(
        &unwrap_with("app.age1.yaml", env).unwrap()[..],
        &expected_age1_key()[..]
    );
    let described = env.load().describe();
    assert!(
        described.contains(&format!("SOPS_AGE_KEY: {AGE2}, {AGE1}")),
        "{described:?}"
    );
}

fn fails_as_unknown_identity(env: &Env) {
    let err = unwrap_with("app.age1.yaml", env).unwrap_err();
    assert!(
        err.message.contains("unknown identity type"),
        "{}",
        err.message
    );
}

#[test]
fn keys_files_accept_crlf_comments_and_several_keys() {
    let text = format!(
        "# comment\r\n\r\n{}\r\n{}",
        identity_line("age2.txt"),
        identity_line("age1.txt")
    );
    opens_age1_with_age2_then_age1(&Env::new(&[(SOPS_AGE_KEY, &text)]));
    // In a keys file, a line with leading whitespace is not a key (sops does not trim).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.txt");
    fs::write(&path, format!(" {}\n", identity_line("age1.txt"))).unwrap();
    let env = Env::new(&[(SOPS_AGE_KEY_FILE, path.to_str().unwrap())]);
    fails_as_unknown_identity(&env);
}

#[test]
fn sops_age_key_holds_keys_separated_by_any_whitespace() {
    // sops 3.12+: several keys on one line of SOPS_AGE_KEY, as one variable set by CI.
    let one_line = format!(
        " {}\t {} ",
        identity_line("age2.txt"),
        identity_line("age1.txt")
    );
    let env = Env::new(&[(SOPS_AGE_KEY, &one_line)]);
    opens_age1_with_age2_then_age1(&env);
    // A bad word fails the variable as a bad line does.
    let env = Env::new(&[(SOPS_AGE_KEY, &format!("{one_line} nonsense"))]);
    fails_as_unknown_identity(&env);
}

#[test]
fn ssh_private_key_cmd_output_is_an_identity() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id");
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status();
    if !status.is_ok_and(|s| s.success()) {
        panic!("ssh-keygen is needed for this test");
    }
    let printed = fs::read(&key).unwrap();
    let id = ssh_identity_from_cmd(&printed).unwrap();
    assert!(matches!(id, age::ssh::Identity::Unencrypted(_)));
    let Err(err) = ssh_identity_from_cmd(b"not a key") else {
        panic!("garbage taken for an SSH key");
    };
    assert!(
        err.starts_with("malformed SSH identity returned by running SOPS_AGE_SSH_PRIVATE_KEY_CMD")
    );
    // The command runs with SOPS_AGE_RECIPIENT set, as the age key command does.
    let out = run_key_cmd(
        "sh -c 'printf %s \"$SOPS_AGE_RECIPIENT\"'",
        "age1xyz",
        SOPS_AGE_SSH_PRIVATE_KEY_CMD,
    )
    .unwrap();
    assert_eq!(&out[..], b"age1xyz");
}

/// Bech32 encoding (BIP 173), to make well-formed plugin recipients and identities.
fn bech32(hrp: &str, data: &[u8]) -> String {
    const CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    fn polymod(values: &[u8]) -> u32 {
        const GEN: [u32; 5] = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
        let mut chk = 1u32;
        for &v in values {
            let top = chk >> 25;
            chk = ((chk & 0x1ff_ffff) << 5) ^ u32::from(v);
            for (i, g) in GEN.iter().enumerate() {
                if (top >> i) & 1 == 1 {
                    chk ^= g;
                }
            }
        }
        chk
    }
    let mut five = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in data {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            five.push(((acc >> bits) & 31) as u8);
        }
    }
    if bits > 0 {
        five.push(((acc << (5 - bits)) & 31) as u8);
    }
    let mut values: Vec<u8> = hrp.bytes().map(|b| b >> 5).collect();
    values.push(0);
    values.extend(hrp.bytes().map(|b| b & 31));
    values.extend(&five);
    values.extend([0; 6]);
    let pm = polymod(&values) ^ 1;
    let mut out = format!("{hrp}1");
    for &v in &five {
        out.push(CHARSET[v as usize] as char);
    }
    for i in 0..6 {
        out.push(CHARSET[((pm >> (5 * (5 - i))) & 31) as usize] as char);
    }
    out
}

#[test]
fn missing_plugins_are_named() {
    let recipient = bech32("age1nosuchpluginxyz", &[1, 2, 3, 4]);
    let mut mk = AgeMasterKey::new(&recipient).expect("plugin recipients parse without the plugin");
    let err = mk.wrap(&[0; 32]).unwrap_err();
    assert!(
        err.message.contains("age-plugin-nosuchpluginxyz"),
        "{}",
        err.message
    );
    assert!(err.message.contains(&recipient), "{}", err.message);

    let identity = bech32("age-plugin-nosuchpluginxyz-", &[5; 8]).to_uppercase();
    // Only the plugin identity: the error names the plugin.
    let env = Env::new(&[(SOPS_AGE_KEY, &identity)]);
    let err = unwrap_with("app.age1.yaml", &env).unwrap_err();
    assert_eq!(err.code, Code::CouldNotRetrieveKey);
    assert!(
        err.message.contains("age-plugin-nosuchpluginxyz"),
        "{}",
        err.message
    );
    assert!(env
        .load()
        .describe()
        .iter()
        .any(|l| l.contains("identity for plugin age-plugin-nosuchpluginxyz")),);
    // A matching key before it still decrypts.
    let text = format!("{}\n{identity}\n", key_text("age1.txt"));
    let env = Env::new(&[(SOPS_AGE_KEY, &text)]);
    assert_eq!(
        &unwrap_with("app.age1.yaml", &env).unwrap()[..],
        &expected_age1_key()[..]
    );
}

#[test]
fn shell_split_follows_google_shlex() {
    let ok = |s: &str| shell_split(s).unwrap();
    assert_eq!(ok("cat a#b c"), ["cat", "a#b", "c"]);
    assert_eq!(ok("cat a #b c"), ["cat", "a"]);
    assert_eq!(
        ok(r#"x "a\"b" 'a\b' a\ b "x\ny""#),
        ["x", "a\"b", "a\\b", "a b", "xny"]
    );
    assert_eq!(ok("x é ü/~=$HOME:;&"), ["x", "é", "ü/~=$HOME:;&"]);
    assert_eq!(ok(r#"x a"b c"d"#), ["x", "ab cd"]);
    assert_eq!(ok(r#"x "" ''"#), ["x", "", ""]);
    assert_eq!(ok("  x\ttab\nnl  "), ["x", "tab", "nl"]);
    assert_eq!(ok("x #c\n next"), ["x", "next"]);
    assert!(ok("#only").is_empty());
    assert!(ok("").is_empty());
    assert_eq!(
        shell_split("x a\\"),
        Err("EOF found after escape character")
    );
    assert_eq!(
        shell_split("x \"a b"),
        Err("EOF found when expecting closing quote")
    );
    assert_eq!(
        shell_split("x 'a b"),
        Err("EOF found when expecting closing quote")
    );
}

#[test]
fn identities_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<AgeIdentities>();
    assert_send_sync::<AgeMasterKey>();
}

#[test]
fn describe_lists_sources_without_secrets() {
    let xdg = tempfile::tempdir().unwrap();
    let file = key_path("age12.txt");
    let ssh = key_path("id_ed25519");
    let env = Env::new(&[
        (SOPS_AGE_KEY_FILE, file.to_str().unwrap()),
        (SOPS_AGE_SSH_PRIVATE_KEY_FILE, ssh.to_str().unwrap()),
        (SOPS_AGE_KEY_CMD, "true"),
        ("XDG_CONFIG_HOME", xdg.path().to_str().unwrap()),
    ]);
    let lines = env.load().describe();
    let h = env.home.display();
    let x = xdg.path().display();
    assert_eq!(
        lines,
        [
            format!(
                "{SOPS_AGE_SSH_PRIVATE_KEY_FILE} ({}): SSH key",
                ssh.display()
            ),
            format!("{h}/.ssh/id_ed25519: not found"),
            format!("{h}/.ssh/id_rsa: not found"),
            format!("{SOPS_AGE_KEY}: not set"),
            format!("{SOPS_AGE_KEY_FILE} ({}): {AGE1}, {AGE2}", file.display()),
            format!(
                "{SOPS_AGE_KEY_CMD} (true): run for each age key, with \
                 {SOPS_AGE_RECIPIENT} set to its recipient"
            ),
            format!("{x}/sops/age/keys.txt: not found"),
        ]
    );
}

#[test]
fn armor_layout() {
    let text = armor(&[0u8; 48]);
    assert_eq!(
        text,
        format!("{ARMOR_BEGIN}\n{}\n{ARMOR_END}\n", "A".repeat(64))
    );
    let text = armor(&[0u8; 49]);
    assert_eq!(
        text,
        format!("{ARMOR_BEGIN}\n{}\nAA==\n{ARMOR_END}\n", "A".repeat(64))
    );
}

#[test]
fn config_dir_rules() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    };
    if cfg!(all(unix, not(target_os = "macos"))) {
        assert_eq!(
            user_config_dir(&env(&[("HOME", "/h")])).unwrap(),
            PathBuf::from("/h/.config")
        );
        assert_eq!(
            user_config_dir(&env(&[("HOME", "/h"), ("XDG_CONFIG_HOME", "/x")])).unwrap(),
            PathBuf::from("/x")
        );
        assert_eq!(
            user_config_dir(&env(&[("HOME", "/h"), ("XDG_CONFIG_HOME", "rel")])).unwrap_err(),
            "path in $XDG_CONFIG_HOME is relative"
        );
        assert_eq!(
            user_config_dir(&env(&[])).unwrap_err(),
            "neither $XDG_CONFIG_HOME nor $HOME are defined"
        );
        assert_eq!(home_dir(&env(&[])).unwrap_err(), "$HOME is not defined");
    }
}
