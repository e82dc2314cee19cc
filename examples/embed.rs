//! Embeds `secret` in a program: decrypts the shipped demo file with an identity held in
//! memory (no environment variables, no key files looked up), reads typed values, changes
//! one and encrypts the file again under the same keys.
//!
//! Run from the crate's directory: `cargo run --example embed` (`tests/library.rs` runs it too).

use secret::{ErrorKind, Format, Keyring};

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    // In a real program the identity comes from a secret store, not from a file next to
    // the data; the demo key is published with the repository.
    let identity = std::fs::read_to_string("examples/demo-age-key.txt")?;
    let keyring = Keyring::new().with_age_identities(&identity)?;

    let path = "examples/secrets.yaml";
    let encrypted = std::fs::read(path)?;
    let mut doc = secret::decrypt(&encrypted, Format::from_path(path.as_ref()), &keyring)?;

    let host = doc.get("database.host")?.and_then(|v| v.as_str());
    let port = doc.get("database.port")?.and_then(|v| v.as_i64());
    let timeout = doc.get("api.timeout_seconds")?.and_then(|v| v.as_f64());
    println!("database: {}:{}", host.unwrap_or("?"), port.unwrap_or(0));
    println!("api timeout: {}s", timeout.unwrap_or(0.0));
    // Values are secrets: say that the token is there, not what it is.
    let token = doc.get("api.token")?;
    println!("api token present: {}", token.is_some());
    for (key, value) in doc.root().entries() {
        println!("top-level key {key}: {:?}", value.kind());
    }

    // Change a value and seal the file again; unchanged values keep their ciphertext.
    doc.set("api.timeout_seconds", 5.0)?;
    let sealed = doc.encrypt()?;
    let again = secret::decrypt(&sealed, Format::Yaml, &keyring)?;
    println!(
        "new timeout after a round trip: {}s",
        again
            .get("api.timeout_seconds")?
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0)
    );

    // Without the identity the file stays closed, with sops' exit code for it.
    match secret::decrypt(&encrypted, Format::Yaml, &Keyring::new()) {
        Err(e) if e.kind() == ErrorKind::KeyNotFound => {
            println!(
                "empty keyring: key not found (sops exit code {})",
                e.exit_code()
            )
        }
        other => return Err(format!("expected KeyNotFound, got {other:?}").into()),
    }
    Ok(())
}
