//! The library API against the real sops: files `secret::encrypt` and `Document::encrypt`
//! write decrypt with sops to the plaintext, and files sops writes open with an in-memory
//! keyring.

mod common;
use common::*;

// The example program, run below as a test.
#[path = "../examples/embed.rs"]
mod embed;
use secret::{EncryptOptions, ErrorKind, Format, Keyring};

const PLAIN_YAML: &str = "db:\n    user: app\n    password: s3cr3t\n    port: 5432\nhosts:\n    - a.example\n    - b.example\nratio: 0.25\nenabled: true\n";

fn keyring() -> Keyring {
    Keyring::new()
        .with_age_identities(&std::fs::read_to_string(key("age1.txt")).unwrap())
        .unwrap()
}

#[test]
fn sops_decrypts_what_the_library_encrypts_in_every_format() {
    let sandbox = Sandbox::new();
    let options = EncryptOptions::new().age(AGE1);
    let cases = [
        ("a.yaml", Format::Yaml, PLAIN_YAML),
        (
            "a.json",
            Format::Json,
            "{\n\t\"k\": \"v\",\n\t\"n\": [\n\t\t1,\n\t\t2\n\t]\n}\n",
        ),
        ("a.env", Format::Dotenv, "USER=app\nPASSWORD=s3cr3t\n"),
        (
            "a.ini",
            Format::Ini,
            "[db]\nuser     = app\npassword = s3cr3t\n",
        ),
        ("a.bin", Format::Binary, "raw\u{0}bytes\n"),
    ];
    for (name, format, plain) in cases {
        let sealed = secret::encrypt(plain.as_bytes(), format, &options).unwrap();
        assert!(
            !String::from_utf8_lossy(&sealed).contains("s3cr3t"),
            "{name}: plaintext in the sealed file"
        );
        let file = sandbox.write(name, &sealed);
        assert_eq!(sandbox.sops_decrypt(&file), plain, "{name}");
    }
}

#[test]
fn sops_files_open_read_change_and_seal_again() {
    let sandbox = Sandbox::new();
    let file = sandbox.sops_file("s.yaml", PLAIN_YAML);
    let bytes = std::fs::read(&file).unwrap();
    let mut doc = secret::decrypt(&bytes, Format::Yaml, &keyring()).unwrap();

    assert_eq!(
        doc.get("db.password").unwrap().unwrap().as_str(),
        Some("s3cr3t")
    );
    assert_eq!(doc.get("db.port").unwrap().unwrap().as_i64(), Some(5432));
    assert_eq!(
        doc.get("hosts[1]").unwrap().unwrap().as_str(),
        Some("b.example")
    );
    assert_eq!(
        doc.get(r#"["ratio"]"#).unwrap().unwrap().as_f64(),
        Some(0.25)
    );
    assert_eq!(doc.get("enabled").unwrap().unwrap().as_bool(), Some(true));
    assert!(doc.get("db.nope").unwrap().is_none());
    assert!(doc.get("hosts[9]").unwrap().is_none());
    assert_eq!(doc.get("db[").unwrap_err().kind(), ErrorKind::InvalidPath);
    let top: Vec<&str> = doc.root().entries().map(|(k, _)| k).collect();
    assert_eq!(top, ["db", "hosts", "ratio", "enabled"]);
    assert_eq!(doc.master_keys(), [format!("age {AGE1}")]);
    assert_eq!(doc.to_plaintext().unwrap(), PLAIN_YAML.as_bytes());

    doc.set("db.password", "n3w").unwrap();
    let sealed = doc.encrypt().unwrap();
    // Only the changed value (and the MAC and date) get new ciphertext.
    assert_minimal_diff(&bytes, &sealed, &["password"]);
    let file = sandbox.write("s.yaml", &sealed);
    assert_eq!(
        sandbox.sops_decrypt(&file),
        PLAIN_YAML.replace("s3cr3t", "n3w")
    );
}

#[test]
fn an_in_memory_keyring_ignores_the_environment_and_says_so() {
    let sandbox = Sandbox::new();
    let file = sandbox.sops_file("s.yaml", PLAIN_YAML);
    let bytes = std::fs::read(&file).unwrap();
    // The identity is in the environment, but a `Keyring::new()` never looks there.
    std::env::set_var("SOPS_AGE_KEY_FILE", key("age1.txt"));
    let err = secret::decrypt(&bytes, Format::Yaml, &Keyring::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeyNotFound);
    assert_eq!(err.exit_code(), 128);
    let text = err.to_string();
    assert!(text.contains("in-memory identities"), "{text}");
    assert!(!text.contains('\n'), "{text}");
    // `from_env` finds it as the command line does.
    let doc = secret::decrypt(&bytes, Format::Yaml, &Keyring::from_env()).unwrap();
    assert_eq!(doc.get("db.user").unwrap().unwrap().as_str(), Some("app"));
}

#[test]
fn bad_input_and_bad_recipients_are_typed_errors() {
    let options = EncryptOptions::new().age("age1notarecipient");
    let err = secret::encrypt(b"a: 1\n", Format::Yaml, &options).unwrap_err();
    assert!(err.to_string().contains("age1notarecipient"), "{err}");
    let none = secret::encrypt(b"a: 1\n", Format::Yaml, &EncryptOptions::new()).unwrap_err();
    assert!(none.to_string().contains("no master keys"), "{none}");

    let options = EncryptOptions::new().age(AGE1).unencrypted_suffix("_plain");
    let sealed = secret::encrypt(b"a: 1\nb_plain: x\n", Format::Yaml, &options).unwrap();
    let again = secret::encrypt(&sealed, Format::Yaml, &options);
    assert_eq!(again.unwrap_err().kind(), ErrorKind::AlreadyEncrypted);

    let err = secret::decrypt(b"a: [1\n", Format::Yaml, &keyring()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    // A plain value changed by hand: the MAC no longer matches.
    let tampered = String::from_utf8(sealed)
        .unwrap()
        .replace("b_plain: x", "b_plain: y");
    let err = secret::decrypt(tampered.as_bytes(), Format::Yaml, &keyring()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MacMismatch, "{err}");
    assert_eq!(err.exit_code(), 51);
}

#[test]
fn the_embed_example_runs() {
    embed::main().unwrap();
}
