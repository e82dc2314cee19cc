//! The `sops` metadata block: read from any field order, written in the order sops ≤ 3.12
//! writes it (a Go struct), so files stay byte-compatible.

use super::select::{Selector, SelectorKind};
use crate::error::{Code, Error, Result};
use crate::keys::{self, KeyGroup};
use crate::tree::{self, Item, Map, Node, Scalar};

/// The version written into new files: a real sops release, so sops applies no repair flow.
pub const WRITTEN_VERSION: &str = "3.11.0";

/// Master key fields in the order sops loads them into a group (used for decryption order
/// ties) — and the order it writes them at the top level, with `age` moved and `pgp` after
/// `mac` (see [`Metadata::to_map`]).
const KEY_FIELDS: [&str; 7] = [
    "kms", "gcp_kms", "hckms", "azure_kv", "hc_vault", "pgp", "age",
];

/// Everything sops keeps about a file besides its data.
#[derive(Debug, Clone)]
pub struct Metadata {
    pub key_groups: Vec<KeyGroup>,
    /// 0 when unset (then every group is needed).
    pub shamir_threshold: usize,
    pub lastmodified: String,
    pub mac: String,
    pub selector: Selector,
    pub mac_only_encrypted: bool,
    pub version: String,
}

fn bad(message: String) -> Error {
    Error::new(Code::Generic, message)
}

/// Checks sops' rule that `version` parses as semver (an optional `v`, three numbers,
/// optional pre-release/build suffixes), unless it is a sops 1.x version (`1.` and anything,
/// which sops takes as it is).
fn check_version(version: &str) -> Result<()> {
    if version.is_empty() {
        return Err(bad("sops metadata: Version string empty".into()));
    }
    if version.starts_with("1.") {
        return Ok(());
    }
    let core = version.strip_prefix('v').unwrap_or(version);
    let core = core.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    let numeric = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if parts.len() != 3 || !parts.iter().all(numeric) {
        return Err(bad(format!(
            "sops metadata: version {version:?} is not a semantic version"
        )));
    }
    Ok(())
}

fn read_keys(container: &Map, group: &mut KeyGroup) -> Result<()> {
    for field in KEY_FIELDS {
        match tree::get(container, field) {
            None | Some(Node::Scalar(Scalar::Null)) => {}
            Some(Node::List(entries)) => {
                for entry in entries {
                    let entry = entry.as_map().ok_or_else(|| {
                        bad(format!("sops metadata: an entry of {field} is not a map"))
                    })?;
                    group.push(keys::from_metadata(field, entry)?);
                }
            }
            Some(_) => return Err(bad(format!("sops metadata: {field} is not a list"))),
        }
    }
    Ok(())
}

impl Metadata {
    /// Reads the `sops` block.
    pub fn from_map(map: &Map) -> Result<Metadata> {
        let metadata = Metadata::from_map_any_version(map)?;
        check_version(&metadata.version)?;
        Ok(metadata)
    }

    /// [`Metadata::from_map`] without sops' check of the version (`filestatus` does not make
    /// it).
    pub fn from_map_any_version(map: &Map) -> Result<Metadata> {
        let text = |field: &str| tree::get(map, field).and_then(Node::scalar_text);
        let version = match tree::get(map, "version") {
            // Written unquoted, `1.0` reads as a number whose text is `1`: sops reads the
            // text as written, a sops 1.x version.
            Some(Node::Scalar(Scalar::Float(v))) if (1.0..2.0).contains(v) => format!("{v:?}"),
            _ => text("version").unwrap_or_default(),
        };
        let lastmodified = text("lastmodified")
            .ok_or_else(|| bad("sops metadata: lastmodified is missing".into()))?;
        // sops parses it with the rest of the metadata, before any key is tried.
        if crate::timefmt::normalize_rfc3339(&lastmodified).is_none() {
            return Err(bad(format!(
                "sops metadata: lastmodified {lastmodified:?} is not an RFC 3339 time"
            )));
        }
        let mac = text("mac").unwrap_or_default();

        let mut selectors = Vec::new();
        for kind in SelectorKind::ALL {
            if let Some(pattern) = text(kind.field()).filter(|p| !p.is_empty()) {
                selectors.push(Selector::new(kind, &pattern)?);
            }
        }
        if selectors.len() > 1 {
            return Err(bad(
                "sops metadata: more than one of unencrypted_suffix, encrypted_suffix, \
                 unencrypted_regex, encrypted_regex, unencrypted_comment_regex, \
                 encrypted_comment_regex is set"
                    .into(),
            ));
        }
        let selector = selectors.pop().unwrap_or_default();

        let mac_only_encrypted = matches!(
            tree::get(map, "mac_only_encrypted"),
            Some(Node::Scalar(Scalar::Bool(true)))
        ) || text("mac_only_encrypted").as_deref() == Some("true");

        let shamir_threshold = match text("shamir_threshold") {
            None => 0,
            Some(t) => t
                .parse::<f64>()
                .ok()
                .filter(|v| v.fract() == 0.0 && *v >= 0.0)
                .map(|v| v as usize)
                .ok_or_else(|| {
                    bad(format!(
                        "sops metadata: shamir_threshold {t:?} is not a number"
                    ))
                })?,
        };

        let mut key_groups = Vec::new();
        match tree::get(map, "key_groups") {
            Some(Node::List(groups)) if !groups.is_empty() => {
                for g in groups {
                    let g = g
                        .as_map()
                        .ok_or_else(|| bad("sops metadata: a key group is not a map".into()))?;
                    let mut group = KeyGroup::new();
                    read_keys(g, &mut group)?;
                    key_groups.push(group);
                }
            }
            _ => {
                let mut group = KeyGroup::new();
                read_keys(map, &mut group)?;
                key_groups.push(group);
            }
        }
        Ok(Metadata {
            key_groups,
            shamir_threshold,
            lastmodified,
            mac,
            selector,
            mac_only_encrypted,
            version,
        })
    }

    /// Writes the `sops` block in sops ≤ 3.12's field order. `nil_as_null`: how an empty
    /// always-present list is written (`[]` by go-yaml, `null` by encoding/json).
    pub fn to_map(&self, nil_as_null: bool) -> Map {
        let mut out = Map::new();
        let pair = |k: &str, v: Node| Item::Pair(k.into(), v);
        // Written whenever set, one key group or several (a rule may set it either way).
        if self.shamir_threshold > 0 {
            out.push(pair(
                "shamir_threshold",
                Node::Scalar(Scalar::Int(self.shamir_threshold as i64)),
            ));
        }
        if self.key_groups.len() > 1 {
            let groups = self
                .key_groups
                .iter()
                .map(|group| {
                    let mut g = Map::new();
                    for field in ["pgp", "kms", "gcp_kms", "hckms", "azure_kv"] {
                        push_keys(&mut g, group, field, None);
                    }
                    let empty = if nil_as_null {
                        Node::Scalar(Scalar::Null)
                    } else {
                        Node::List(Vec::new())
                    };
                    push_keys(&mut g, group, "hc_vault", Some(empty.clone()));
                    push_keys(&mut g, group, "age", Some(empty));
                    Node::Map(g)
                })
                .collect();
            out.push(pair("key_groups", Node::List(groups)));
        } else if let Some(group) = self.key_groups.first() {
            for field in ["kms", "gcp_kms", "hckms", "azure_kv", "hc_vault", "age"] {
                push_keys(&mut out, group, field, None);
            }
        }
        out.push(pair("lastmodified", Node::str(&self.lastmodified)));
        out.push(pair("mac", Node::str(&self.mac)));
        if self.key_groups.len() == 1 {
            push_keys(&mut out, &self.key_groups[0], "pgp", None);
        }
        out.push(pair(
            self.selector.kind.field(),
            Node::str(&self.selector.pattern),
        ));
        if self.mac_only_encrypted {
            out.push(pair("mac_only_encrypted", Node::Scalar(Scalar::Bool(true))));
        }
        out.push(pair("version", Node::str(&self.version)));
        out
    }

    /// All master keys, group by group.
    pub fn master_keys(&self) -> impl Iterator<Item = &dyn keys::MasterKey> {
        self.key_groups.iter().flatten().map(|k| k.as_ref())
    }
}

/// Appends `field: [entries]` for the keys of that kind; `empty` is written when there are
/// none (`None`: omit the field).
fn push_keys(out: &mut Map, group: &KeyGroup, field: &str, empty: Option<Node>) {
    let entries: Vec<Node> = group
        .iter()
        .filter(|k| k.kind() == field)
        .map(|k| Node::Map(k.to_map()))
        .collect();
    if !entries.is_empty() {
        out.push(Item::Pair(field.into(), Node::List(entries)));
    } else if let Some(empty) = empty {
        out.push(Item::Pair(field.into(), empty));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Map {
        vec![
            Item::Pair("version".into(), Node::str("3.11.0")),
            Item::Pair(
                "age".into(),
                Node::List(vec![Node::Map(vec![
                    Item::Pair("enc".into(), Node::str("ENC")),
                    Item::Pair("recipient".into(), Node::str("age1xyz")),
                ])]),
            ),
            Item::Pair("mac".into(), Node::str("ENC[...]")),
            Item::Pair("lastmodified".into(), Node::str("2026-11-23T07:19:17Z")),
        ]
    }

    #[test]
    fn reads_any_order_and_writes_sops_order() {
        let m = Metadata::from_map(&sample()).unwrap();
        assert_eq!(m.selector, Selector::default());
        let out = m.to_map(false);
        let keys: Vec<&str> = out
            .iter()
            .map(|i| match i {
                Item::Pair(k, _) => k.as_str(),
                Item::Comment(_) => "#",
            })
            .collect();
        assert_eq!(
            keys,
            [
                "age",
                "lastmodified",
                "mac",
                "unencrypted_suffix",
                "version"
            ]
        );
        let Some(Node::List(age)) = tree::get(&out, "age") else {
            panic!()
        };
        let Node::Map(entry) = &age[0] else { panic!() };
        assert!(matches!(&entry[0], Item::Pair(k, _) if k == "recipient"));
    }

    #[test]
    fn version_must_be_semver() {
        let mut map = sample();
        map[0] = Item::Pair("version".into(), Node::str("secret-0.1"));
        assert!(Metadata::from_map(&map).is_err());
        map[0] = Item::Pair("version".into(), Node::str("v3.13.2"));
        assert!(Metadata::from_map(&map).is_ok());
        // sops 1.x versions are taken as they are, as a number too; other short ones are not.
        for (v, ok) in [("1.0", true), ("1.x", true), ("2.0", false), ("1", false)] {
            map[0] = Item::Pair("version".into(), Node::str(v));
            assert_eq!(Metadata::from_map(&map).is_ok(), ok, "{v}");
        }
        map[0] = Item::Pair("version".into(), Node::Scalar(Scalar::Float(1.0)));
        assert_eq!(Metadata::from_map(&map).unwrap().version, "1.0");
        tree::remove(&mut map, "version");
        assert!(Metadata::from_map(&map)
            .unwrap_err()
            .message
            .contains("Version string empty"));
    }

    #[test]
    fn two_selectors_are_refused() {
        let mut map = sample();
        map.push(Item::Pair("encrypted_regex".into(), Node::str("^a$")));
        map.push(Item::Pair("encrypted_suffix".into(), Node::str("_s")));
        assert!(Metadata::from_map(&map).is_err());
    }
}
