//! The parts of `secret(1)` clap does not generate: ENVIRONMENT, EXIT STATUS, FILES and
//! EXAMPLES. Each comes from one table: the exit codes from [`Code::ALL`], the variables from
//! [`ENVIRONMENT`], which a test checks against every `SOPS_*` and `SECRET_*` name the code
//! reads.

use crate::error::Code;

/// The environment variables secret reads (or sets, for `SOPS_AGE_KEY_CMD`), with what they do.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    ("SOPS_AGE_KEY", "age identities as text, tried when decrypting."),
    (
        "SOPS_AGE_KEY_FILE",
        "path of an age keys file (age-keygen format), tried when decrypting.",
    ),
    (
        "SOPS_AGE_KEY_CMD",
        "a command (run without a shell) whose output is an age keys file.",
    ),
    (
        "SOPS_AGE_RECIPIENT",
        "set for SOPS_AGE_KEY_CMD: the recipient whose key is needed.",
    ),
    (
        "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
        "an SSH private key used as an age identity (default: ~/.ssh/id_ed25519 and ~/.ssh/id_rsa).",
    ),
    (
        "SOPS_AGE_SSH_PRIVATE_KEY_CMD",
        "a command (run without a shell, with SOPS_AGE_RECIPIENT set) printing an SSH private key used as an age identity.",
    ),
    ("SOPS_AGE_RECIPIENTS", "default for --age."),
    ("SOPS_PGP_FP", "default for --pgp."),
    ("SOPS_KMS_ARN", "default for --kms."),
    ("SOPS_GPG_EXEC", "the gpg binary to run (default: gpg; gpg reads GNUPGHOME)."),
    ("SOPS_CONFIG", "the .sops.yaml to use, as --config."),
    ("SOPS_DECRYPTION_ORDER", "key types to try first, as --decryption-order."),
    ("SECRET_JOBS", "files worked on at once with several files, -r or --all, as --jobs."),
    (
        "SECRET_KMS_RATE, SECRET_HTTP_RATE",
        "requests per second shared by all workers, per AWS KMS region (default 5500) and per host of the other key services (default 1000).",
    ),
    (
        "SOPS_KEYSERVICE",
        "key services to use besides the local one, comma-separated, as --keyservice.",
    ),
    (
        "SOPS_ENABLE_LOCAL_KEYSERVICE",
        "false turns the local key service off, as --enable-local-keyservice=false.",
    ),
    (
        "SOPS_DISABLE_VERSION_CHECK",
        "accepted for sops compatibility (secret never checks for updates online).",
    ),
    (
        "SOPS_EDITOR, EDITOR",
        "the editor of edit, split as a shell would (default: the first of vim, nano, vi).",
    ),
    (
        "SECRET_HTTP_TIMEOUT",
        "per-attempt timeout of the key services' HTTP calls (Vault, GCP, Azure, HuaweiCloud), seconds or 500ms/2s/1m (default 30 s).",
    ),
    (
        "SECRET_LOCK_WAIT",
        "seconds a command that rewrites a file waits for another secret run to finish with it (default 10; 0: fail at once).",
    ),
    (
        "XDG_CONFIG_HOME",
        "the default age keys file is $XDG_CONFIG_HOME/sops/age/keys.txt (else ~/.config/sops/age/keys.txt).",
    ),
    (
        "XDG_RUNTIME_DIR",
        "memory-backed directory for the plaintext of edit and exec-file (else /dev/shm, else the temp directory).",
    ),
    (
        "AWS_PROFILE, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION",
        "AWS KMS credentials: the AWS SDK's default chain (also ~/.aws/config, ~/.aws/credentials, SSO, web identity, instance roles).",
    ),
    (
        "AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_KMS",
        "another AWS endpoint (e.g. a local emulator).",
    ),
    (
        "AWS_MAX_ATTEMPTS, AWS_RETRY_MODE",
        "the AWS SDK's retry settings instead of secret's.",
    ),
    ("SOPS_VAULT_URIS", "default for --hc-vault-transit."),
    (
        "SOPS_HC_VAULT_ALLOWLIST",
        "Vault addresses keys may use: all (default), none, or a comma list of address prefixes.",
    ),
    (
        "VAULT_TOKEN, VAULT_NAMESPACE, VAULT_CACERT, VAULT_SKIP_VERIFY, VAULT_AGENT_ADDR, VAULT_MAX_RETRIES, VAULT_CLIENT_TIMEOUT",
        "Vault transit: the token (else ~/.vault-token), namespace, TLS, agent address, retries and timeout, as the Vault client reads them.",
    ),
    ("SOPS_GCP_KMS_IDS", "default for --gcp-kms."),
    (
        "SOPS_GCP_KMS_ENDPOINT, SOPS_GCP_KMS_UNIVERSE_DOMAIN",
        "another Cloud KMS endpoint, or the universe domain whose endpoint to use.",
    ),
    (
        "GOOGLE_CREDENTIALS, GOOGLE_OAUTH_ACCESS_TOKEN, GOOGLE_APPLICATION_CREDENTIALS",
        "GCP credentials, in that order (a credentials file or JSON, a bearer token, application default credentials).",
    ),
    ("SOPS_AZURE_KEYVAULT_URLS", "default for --azure-kv."),
    (
        "AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_FEDERATED_TOKEN_FILE, AZURE_TOKEN_CREDENTIALS",
        "Azure credentials: Azure's default chain (client secret, workload identity, managed identity, Azure CLI).",
    ),
    (
        "AZURE_CLIENT_CERTIFICATE_PATH, AZURE_CLIENT_SEND_CERTIFICATE_CHAIN",
        "Azure client certificate instead of AZURE_CLIENT_SECRET: a PEM file with the certificate and its unencrypted RSA key; send the chain (x5c) when true.",
    ),
    ("SOPS_HUAWEICLOUD_KMS_IDS", "default for --hckms."),
    (
        "HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_PROJECT_ID, HUAWEICLOUD_SDK_SECURITY_TOKEN",
        "HuaweiCloud KMS credentials (else ~/.huaweicloud/credentials, else an ECS instance's metadata service); without a project id, it is looked up through IAM.",
    ),
    (
        "HUAWEICLOUD_SDK_CREDENTIALS_FILE",
        "the HuaweiCloud credentials file (default ~/.huaweicloud/credentials, its [basic] section).",
    ),
    (
        "HUAWEICLOUD_SDK_REGION_KMS_<REGION>, HUAWEICLOUD_SDK_REGIONS_FILE",
        "the HuaweiCloud KMS endpoint of REGION (upper case, - as _), else the one the regions file gives it (default ~/.huaweicloud/regions.yaml), else the region's public endpoint.",
    ),
    (
        "HUAWEICLOUD_SDK_IDP_ID, HUAWEICLOUD_SDK_ID_TOKEN_FILE",
        "a HuaweiCloud federated identity and the file of its OpenID Connect id token, exchanged through IAM for a project token (before AK/SK; needs HUAWEICLOUD_SDK_PROJECT_ID).",
    ),
    (
        "HUAWEICLOUD_SDK_IAM_ENDPOINT",
        "HuaweiCloud IAM endpoint for the project lookup and the id token exchange (default https://iam.myhuaweicloud.com).",
    ),
    (
        "SECRET_HUAWEICLOUD_METADATA_URL",
        "where the ECS metadata service is (default http://169.254.169.254).",
    ),
];

/// Files secret reads or writes by itself.
const FILES: &[(&str, &str)] = &[
    (
        ".sops.yaml",
        "creation rules and store settings, searched upwards from the working directory.",
    ),
    (
        "~/.config/sops/age/keys.txt",
        "the default age keys file (created by secret init).",
    ),
    (
        "~/.ssh/id_ed25519, ~/.ssh/id_rsa",
        "SSH keys tried as age identities.",
    ),
    (
        "~/.huaweicloud/credentials, ~/.huaweicloud/regions.yaml",
        "HuaweiCloud KMS credentials and endpoints, read as HuaweiCloud's SDK reads them.",
    ),
    (
        ".gitattributes, .git/config",
        "written by secret git-setup.",
    ),
];

/// Commands a new user starts with.
const EXAMPLES: &[(&str, &str)] = &[
    ("secret init", "create an age key and a .sops.yaml."),
    (
        "secret encrypt -i secrets/app.yaml",
        "encrypt in place for the matching rule's keys.",
    ),
    ("secret decrypt secrets/app.yaml", "print the plaintext."),
    (
        "secret edit secrets/app.yaml",
        "edit in $SOPS_EDITOR or $EDITOR.",
    ),
    (
        "SOPS_AGE_KEY_FILE=key.txt secret decrypt --extract '[\"db\"][\"password\"]' app.yaml",
        "print one value with another keys file.",
    ),
    (
        "secret exec-env secrets/prod.env ./server",
        "run a program with the values in its environment.",
    ),
    ("secret rotate -i secrets/app.yaml", "new data key."),
];

/// Text for roff: backslashes and hyphens escaped, other than ASCII as `\[uXXXX]`, no line
/// starting with a control character.
fn roff(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => escaped.push_str("\\e"),
            '-' => escaped.push_str("\\-"),
            c if c.is_ascii() => escaped.push(c),
            c => escaped.push_str(&format!("\\[u{:04X}]", c as u32)),
        }
    }
    match escaped.chars().next() {
        Some('.' | '\'') => format!("\\&{escaped}"),
        _ => escaped,
    }
}

/// One `.SH` section of tagged paragraphs, the tags in bold.
fn section(title: &str, items: impl IntoIterator<Item = (String, String)>) -> String {
    let mut out = format!(".SH \"{title}\"\n");
    for (tag, text) in items {
        out.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", roff(&tag), roff(&text)));
    }
    out
}

/// The ENVIRONMENT, EXIT STATUS, FILES and EXAMPLES sections of `secret(1)`, as roff.
pub fn extra_sections() -> String {
    let pairs = |t: &[(&str, &str)]| -> Vec<(String, String)> {
        t.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    let mut codes = vec![("0".to_string(), "success.".to_string())];
    codes.extend(
        Code::ALL
            .iter()
            .map(|c| ((*c as i32).to_string(), format!("{}.", c.meaning()))),
    );
    codes.push((
        "128+n".to_string(),
        "edit, exec-env, exec-file: ended by signal n; a command run by exec-env or exec-file passes its own code on."
            .to_string(),
    ));
    [
        section("ENVIRONMENT", pairs(ENVIRONMENT)),
        section("EXIT STATUS", codes),
        section("FILES", pairs(FILES)),
        section("EXAMPLES", pairs(EXAMPLES)),
    ]
    .concat()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn sources(dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("manual.rs") {
                // Unit tests may name variables of their own; only what the program reads counts.
                let text = std::fs::read_to_string(&path).unwrap();
                let program = text.split("#[cfg(test)]").next().unwrap_or_default();
                out.push(program.to_string());
            }
        }
    }

    #[test]
    fn every_sops_variable_the_code_reads_is_documented() {
        let mut texts = Vec::new();
        sources(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut texts,
        );
        let documented: Vec<&str> = ENVIRONMENT
            .iter()
            .flat_map(|(names, _)| names.split(", "))
            .collect();
        let mut found = 0;
        for text in &texts {
            let names = text
                .match_indices("\"SOPS_")
                .chain(text.match_indices("\"SECRET_"));
            for (i, _) in names {
                let name: String = text[i + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                    .collect();
                found += 1;
                assert!(
                    documented.contains(&name.as_str()),
                    "{name} is not in ENVIRONMENT"
                );
            }
        }
        assert!(found > 10, "the scan found only {found} names");
    }

    #[test]
    fn sections_list_every_exit_code_in_order() {
        let text = extra_sections();
        for title in ["ENVIRONMENT", "EXIT STATUS", "FILES", "EXAMPLES"] {
            assert!(text.contains(&format!(".SH \"{title}\"\n")), "{title}");
        }
        let numbers: Vec<i32> = Code::ALL.iter().map(|c| *c as i32).collect();
        assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
        for n in numbers {
            assert!(text.contains(&format!(".TP\n\\fB{n}\\fR\n")), "{n}");
        }
        assert!(text.contains("\\fBSOPS_AGE_KEY_FILE\\fR"));
        assert!(text.contains("\\fBsecret init\\fR"));
    }
}
