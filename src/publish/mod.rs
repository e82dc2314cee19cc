//! `secret publish`: where `destination_rules` in `.sops.yaml` send files (S3, GCS, Vault
//! KV), the destination names, and the uploads themselves. Stores and keys know nothing of
//! destinations; the command (`cli/publish.rs`) decides what bytes go where.

#[cfg(feature = "gcp")]
mod gcs;
#[cfg(feature = "s3")]
mod s3;
#[cfg(feature = "http")]
mod vault;

use crate::config::{self, CreationRule};
use crate::error::{Code, Error, Result};
use crate::format::{Format, StoreOptions};
use crate::tree::{self, Map, Node, Scalar};
use regex::Regex;
use std::fmt;
use std::path::Path;

/// Where a rule sends files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    S3 {
        bucket: String,
        prefix: String,
    },
    Gcs {
        bucket: String,
        prefix: String,
    },
    Vault {
        /// Empty: `VAULT_ADDR`, else the Vault library default.
        address: String,
        /// With a trailing `/`.
        path: String,
        /// With a trailing `/` (default `secret/`).
        mount: String,
        /// 1 or 2.
        kv_version: u8,
    },
}

/// What is sent.
#[cfg_attr(not(any(feature = "s3", feature = "http")), allow(dead_code))]
pub enum Payload {
    /// The encrypted file (S3, GCS).
    File(Vec<u8>),
    /// The decrypted top-level map as a JSON object (Vault KV).
    Json(Vec<u8>),
}

/// Vault's own default address, when neither the rule nor `VAULT_ADDR` gives one.
const DEFAULT_VAULT_ADDRESS: &str = "https://127.0.0.1:8200";

/// The Vault address in force: the rule's, else `VAULT_ADDR`, else Vault's default.
pub fn vault_address(rule: &str) -> String {
    let from_env = std::env::var("VAULT_ADDR").ok().filter(|a| !a.is_empty());
    match (rule, from_env) {
        ("", Some(env)) => env,
        ("", None) => DEFAULT_VAULT_ADDRESS.to_string(),
        (rule, _) => rule.to_string(),
    }
    .trim_end_matches('/')
    .to_string()
}

/// One `destination_rules` entry.
#[derive(Debug, Clone)]
pub struct DestinationRule {
    path_regex: Option<Regex>,
    pub destination: Destination,
    /// Keys (and suffix selector) the file is re-encrypted with for S3 and GCS.
    pub recreation_rule: Option<CreationRule>,
    pub omit_extensions: bool,
}

impl Destination {
    /// How the destination of `name` is shown (`s3://bucket/prefixname`, …).
    pub fn display(&self, name: &str) -> String {
        match self {
            Destination::S3 { bucket, prefix } => format!("s3://{bucket}/{prefix}{name}"),
            Destination::Gcs { bucket, prefix } => format!("gcs://{bucket}/{prefix}{name}"),
            Destination::Vault {
                address,
                path,
                mount,
                ..
            } => format!("{}/v1/{mount}{path}{name}", vault_address(address)),
        }
    }

    /// Whether the destination takes the decrypted values ([`Payload::Json`]) rather than
    /// the encrypted file.
    pub fn wants_plaintext(&self) -> bool {
        matches!(self, Destination::Vault { .. })
    }

    /// Sends `payload` as `name`.
    #[cfg_attr(
        not(any(feature = "s3", feature = "gcp", feature = "http")),
        allow(unused_variables)
    )]
    pub fn publish(&self, name: &str, payload: Payload) -> Result<()> {
        match (self, payload) {
            #[cfg(feature = "s3")]
            (Destination::S3 { bucket, prefix }, Payload::File(bytes)) => {
                s3::put_object(bucket, &format!("{prefix}{name}"), bytes)
            }
            #[cfg(feature = "http")]
            (
                Destination::Vault {
                    address,
                    path,
                    mount,
                    kv_version,
                },
                Payload::Json(json),
            ) => vault::write(
                &vault::KvTarget {
                    address,
                    mount,
                    path,
                    name,
                    kv_version: *kv_version,
                },
                &json,
            ),
            #[cfg(feature = "gcp")]
            (Destination::Gcs { bucket, prefix }, Payload::File(bytes)) => {
                gcs::put_object(bucket, &format!("{prefix}{name}"), bytes)
            }
            _ => Err(unsupported(
                "this secret was built without support for this destination \
                 (cargo features `s3`, `gcp`, `vault`)",
            )),
        }
    }
}

fn unsupported(what: &str) -> Error {
    Error::new(Code::Generic, format!("{what} by this secret"))
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display(""))
    }
}

/// Reads the `destination_rules` of a `.sops.yaml`.
pub fn load_rules(file: &Path) -> Result<Vec<DestinationRule>> {
    let bad = |msg: String| Error::new(Code::Generic, format!("{}: {msg}", file.display()));
    let bytes = std::fs::read(file).map_err(|e| bad(format!("cannot read: {e}")))?;
    let loaded = Format::Yaml
        .store(&StoreOptions::default())
        .load(&bytes)
        .map_err(|e| bad(e.message))?;
    let doc = loaded.docs.into_iter().next().unwrap_or_default();
    match tree::get(&doc, "destination_rules") {
        None | Some(Node::Scalar(Scalar::Null)) => Ok(Vec::new()),
        Some(Node::List(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item.as_map() {
                Some(map) => parse_rule(map, file, i),
                None => Err(bad(format!("destination_rules[{i}] is not a map"))),
            })
            .collect(),
        Some(_) => Err(bad("destination_rules must be a list".into())),
    }
}

fn parse_rule(map: &Map, file: &Path, index: usize) -> Result<DestinationRule> {
    let bad = |msg: String| {
        Error::new(
            Code::Generic,
            format!("{}: destination_rules[{index}]: {msg}", file.display()),
        )
    };
    let text = |name: &str| {
        tree::get(map, name)
            .and_then(Node::scalar_text)
            .unwrap_or_default()
    };
    let with_slash = |s: String| {
        if s.ends_with('/') {
            s
        } else {
            s + "/"
        }
    };
    let path_regex = match text("path_regex") {
        p if p.is_empty() => None,
        p => Some(Regex::new(&p).map_err(|e| bad(format!("invalid path_regex {p:?}: {e}")))?),
    };
    let (s3, gcs, vault) = (text("s3_bucket"), text("gcs_bucket"), text("vault_path"));
    let set = [&s3, &gcs, &vault].iter().filter(|s| !s.is_empty()).count();
    if set > 1 {
        return Err(bad(
            "more than one destinations were found in a single destination rule, you can only \
             use one per rule"
                .into(),
        ));
    }
    let destination = if !s3.is_empty() {
        Destination::S3 {
            bucket: s3,
            prefix: text("s3_prefix"),
        }
    } else if !gcs.is_empty() {
        Destination::Gcs {
            bucket: gcs,
            prefix: text("gcs_prefix"),
        }
    } else if !vault.is_empty() {
        let mount = match text("vault_kv_mount_name") {
            m if m.is_empty() => "secret/".to_string(),
            m => with_slash(m),
        };
        Destination::Vault {
            address: text("vault_address"),
            path: with_slash(vault),
            mount,
            // sops: 1 is 1, anything else is 2.
            kv_version: if text("vault_kv_version") == "1" {
                1
            } else {
                2
            },
        }
    } else {
        return Err(bad(
            "no destination (s3_bucket, gcs_bucket or vault_path)".into()
        ));
    };
    let recreation_rule = match tree::get(map, "recreation_rule") {
        Some(Node::Map(rule)) => Some(config::parse_recreation_rule(rule, file, index)?),
        _ => None,
    };
    Ok(DestinationRule {
        path_regex,
        destination,
        recreation_rule,
        omit_extensions: matches!(
            tree::get(map, "omit_extensions"),
            Some(Node::Scalar(Scalar::Bool(true)))
        ),
    })
}

/// The first rule whose `path_regex` (unanchored) matches `path` as given on the command
/// line, or that has none.
pub fn rule_for<'a>(rules: &'a [DestinationRule], path: &str) -> Result<&'a DestinationRule> {
    rules
        .iter()
        .find(|r| r.path_regex.as_ref().is_none_or(|re| re.is_match(path)))
        .ok_or_else(|| {
            Error::new(
                Code::Generic,
                "error loading config: no matching destination found in config",
            )
        })
}

/// The name a file gets at the destination: its path relative to the published
/// directory (or its file name), without its last extension when asked.
pub fn destination_name(relative: &Path, omit_extension: bool) -> String {
    let name = if omit_extension {
        relative.with_extension("")
    } else {
        relative.to_path_buf()
    };
    name.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(yaml: &str) -> Result<Vec<DestinationRule>> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".sops.yaml");
        std::fs::write(&file, yaml).unwrap();
        load_rules(&file)
    }

    #[test]
    fn rules_pick_their_destination() {
        let r = rules(
            "destination_rules:\n\
             - path_regex: prod/\n  s3_bucket: b\n  s3_prefix: p/\n\
             - vault_path: app\n  vault_kv_version: 1\n  vault_kv_mount_name: kv\n",
        )
        .unwrap();
        assert_eq!(
            rule_for(&r, "x/prod/a.yaml")
                .unwrap()
                .destination
                .display("a.yaml"),
            "s3://b/p/a.yaml"
        );
        assert_eq!(
            rule_for(&r, "dev/a.yaml").unwrap().destination,
            Destination::Vault {
                address: String::new(),
                path: "app/".into(),
                mount: "kv/".into(),
                kv_version: 1
            }
        );
    }

    #[test]
    fn bad_rules_and_no_match_are_errors() {
        let e = rules("destination_rules:\n- s3_bucket: b\n  vault_path: v\n").unwrap_err();
        assert!(
            e.message.contains("destination_rules[0]: more than one"),
            "{}",
            e.message
        );
        let r = rules("destination_rules:\n- path_regex: ^x\n  s3_bucket: b\n").unwrap();
        let e = rule_for(&r, "y").unwrap_err();
        assert_eq!(
            e.message,
            "error loading config: no matching destination found in config"
        );
    }

    #[test]
    fn names_lose_only_the_last_extension() {
        assert_eq!(destination_name(Path::new("d/a.enc.yaml"), true), "d/a.enc");
        assert_eq!(destination_name(Path::new("a.yaml"), false), "a.yaml");
    }
}
