//! `.sops.yaml`: where it is, which creation rule applies to a file, and the store options.

use crate::crypt::select::{Selector, SelectorKind};
use crate::error::{Code, Error, Result};
use crate::format::{Format, StoreOptions};
use crate::tree::{self, Item, Map, Node, Scalar};
use regex::Regex;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

/// The name sops looks for (`.sops.yml` is ignored, as by sops).
pub const CONFIG_NAME: &str = ".sops.yaml";
/// How many directories up sops looks.
const MAX_DEPTH: usize = 100;

/// One AWS KMS key as a rule or the command line names it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KmsSpec {
    pub arn: String,
    /// IAM role to assume first (empty: none).
    pub role: String,
    /// The encryption context. `None` for the keys of a rule's single-group `kms` field and
    /// of `--kms`: they take the `--encryption-context` of the command line.
    pub context: Option<BTreeMap<String, String>>,
    pub aws_profile: String,
}

impl std::fmt::Display for KmsSpec {
    /// `ARN` or `ARN+ROLE_ARN`, as written on the command line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.role.is_empty() {
            f.write_str(&self.arn)
        } else {
            write!(f, "{}+{}", self.arn, self.role)
        }
    }
}

impl KmsSpec {
    /// Parses `ARN` or `ARN+ROLE_ARN` (spaces removed, split at `+arn:`, as sops does).
    pub fn from_arn_string(text: &str, aws_profile: &str) -> KmsSpec {
        let text: String = text.chars().filter(|&c| c != ' ').collect();
        let (arn, role) = match text.find("+arn:") {
            Some(i) if i > 0 => (&text[..i], &text[i + 1..]),
            _ => (text.as_str(), ""),
        };
        KmsSpec {
            arn: arn.to_string(),
            role: role.to_string(),
            context: None,
            aws_profile: aws_profile.to_string(),
        }
    }
}

/// The keys of one group as a rule names them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupSpec {
    pub age: Vec<String>,
    pub pgp: Vec<String>,
    pub kms: Vec<KmsSpec>,
    /// HashiCorp Vault transit key URIs.
    pub hc_vault: Vec<String>,
    /// GCP Cloud KMS resource ids.
    pub gcp_kms: Vec<String>,
}

impl GroupSpec {
    pub fn is_empty(&self) -> bool {
        self.age.is_empty()
            && self.pgp.is_empty()
            && self.kms.is_empty()
            && self.hc_vault.is_empty()
            && self.gcp_kms.is_empty()
    }
}

/// One `creation_rules` entry.
#[derive(Debug, Clone, Default)]
pub struct CreationRule {
    path_regex: Option<Regex>,
    /// The key groups: one group from the single-group fields, or `key_groups`.
    pub groups: Vec<GroupSpec>,
    pub shamir_threshold: usize,
    pub selector: Option<Selector>,
    pub mac_only_encrypted: bool,
    pub aws_profile: String,
}

/// A parsed `.sops.yaml`.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The directory holding the file; rule paths are relative to it.
    pub dir: PathBuf,
    pub file: PathBuf,
    pub rules: Vec<CreationRule>,
    pub stores: StoreOptions,
}

/// Finds `.sops.yaml` from `start` upwards, as sops does from the working directory.
pub fn find(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    for _ in 0..MAX_DEPTH {
        let d = dir?;
        let candidate = d.join(CONFIG_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        dir = d.parent();
    }
    None
}

/// Makes `path` absolute against `cwd` and removes `.`/`..` lexically (Go's `filepath.Abs`).
pub fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn cfg_err(file: &Path, msg: impl std::fmt::Display) -> Error {
    Error::new(Code::Generic, format!("{}: {msg}", file.display()))
}

/// A comma-separated string (items trimmed, empty ones dropped) or a list of strings.
fn string_list(node: Option<&Node>, file: &Path, field: &str) -> Result<Vec<String>> {
    match node {
        None | Some(Node::Scalar(Scalar::Null)) => Ok(Vec::new()),
        Some(Node::Scalar(Scalar::Str(s))) => Ok(s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()),
        Some(Node::List(items)) => items
            .iter()
            .filter(|n| !matches!(n, Node::Comment(_)))
            .map(|n| {
                n.as_str()
                    .map(|s| s.trim().to_string())
                    .ok_or_else(|| cfg_err(file, format!("{field}: every item must be a string")))
            })
            .collect(),
        Some(_) => Err(cfg_err(
            file,
            format!("{field} must be a comma-separated string or a list of strings"),
        )),
    }
}

fn int_field(map: &Map, field: &str, file: &Path) -> Result<Option<i64>> {
    match tree::get(map, field) {
        None | Some(Node::Scalar(Scalar::Null)) => Ok(None),
        Some(Node::Scalar(Scalar::Int(i))) => Ok(Some(*i)),
        Some(Node::Scalar(Scalar::Float(f))) if f.fract() == 0.0 => Ok(Some(*f as i64)),
        Some(_) => Err(cfg_err(file, format!("{field} must be an integer"))),
    }
}

fn parse_group(map: &Map, file: &Path) -> Result<GroupSpec> {
    let mut group = GroupSpec {
        age: string_list(tree::get(map, "age"), file, "age")?,
        pgp: string_list(tree::get(map, "pgp"), file, "pgp")?,
        hc_vault: vault_uris(map, file)?,
        gcp_kms: gcp_ids(map, file)?,
        ..GroupSpec::default()
    };
    if let Some(Node::List(kms)) = tree::get(map, "kms") {
        for entry in kms {
            match entry {
                Node::Map(m) => {
                    let text = |f: &str| {
                        tree::get(m, f)
                            .and_then(Node::scalar_text)
                            .unwrap_or_default()
                    };
                    let arn = text("arn");
                    if arn.is_empty() {
                        continue;
                    }
                    let context = tree::string_map(tree::get(m, "context")).map_err(|()| {
                        cfg_err(file, format!("kms: the context of {arn} must be a map"))
                    })?;
                    group.kms.push(KmsSpec {
                        arn,
                        role: text("role"),
                        context: Some(context.unwrap_or_default()),
                        aws_profile: text("aws_profile"),
                    });
                }
                Node::Scalar(Scalar::Str(s)) => {
                    let mut spec = KmsSpec::from_arn_string(s, "");
                    spec.context = Some(BTreeMap::new());
                    group.kms.push(spec);
                }
                _ => {}
            }
        }
    }
    if let Some(Node::List(merged)) = tree::get(map, "merge") {
        for m in merged.iter().filter_map(Node::as_map) {
            let inner = parse_group(m, file)?;
            group.age.extend(inner.age);
            group.pgp.extend(inner.pgp);
            group.kms.extend(inner.kms);
            group.hc_vault.extend(inner.hc_vault);
            group.gcp_kms.extend(inner.gcp_kms);
        }
    }
    dedup(&mut group.age);
    dedup(&mut group.pgp);
    dedup(&mut group.kms);
    dedup(&mut group.hc_vault);
    dedup(&mut group.gcp_kms);
    Ok(group)
}

/// A key group's `hc_vault`: a list of transit key URIs (a scalar is an error, as in sops).
fn vault_uris(map: &Map, file: &Path) -> Result<Vec<String>> {
    match tree::get(map, "hc_vault") {
        None | Some(Node::Scalar(Scalar::Null)) => Ok(Vec::new()),
        node @ Some(Node::List(_)) => string_list(node, file, "hc_vault"),
        Some(_) => Err(cfg_err(
            file,
            "hc_vault must be a list of Vault transit key URIs",
        )),
    }
}

/// A key group's `gcp_kms`: a list of `{resource_id: ID}` maps.
fn gcp_ids(map: &Map, file: &Path) -> Result<Vec<String>> {
    let Some(Node::List(items)) = tree::get(map, "gcp_kms") else {
        return match tree::get(map, "gcp_kms") {
            None | Some(Node::Scalar(Scalar::Null)) => Ok(Vec::new()),
            Some(_) => Err(cfg_err(
                file,
                "gcp_kms in a key group must be a list of {resource_id: ID} maps",
            )),
        };
    };
    items
        .iter()
        .filter(|n| !matches!(n, Node::Comment(_)))
        .map(|n| {
            n.as_map()
                .and_then(|m| tree::get(m, "resource_id"))
                .and_then(Node::scalar_text)
                .ok_or_else(|| {
                    cfg_err(
                        file,
                        "gcp_kms: every item of a key group must be a map with a resource_id",
                    )
                })
        })
        .collect()
}

fn dedup<T: PartialEq + Clone>(v: &mut Vec<T>) {
    let mut seen: Vec<T> = Vec::new();
    v.retain(|s| {
        let new = !seen.contains(s);
        if new {
            seen.push(s.clone());
        }
        new
    });
}

/// Parses one creation rule (`index` names it in errors); also used for the
/// `recreation_rule` of a `destination_rules` entry.
pub fn parse_rule(map: &Map, file: &Path, index: usize) -> Result<CreationRule> {
    let ctx = |e: Error| e.context(format!("creation_rules[{index}]"));
    let aws_profile = tree::get(map, "aws_profile")
        .and_then(Node::as_str)
        .unwrap_or("")
        .to_string();
    let path_regex = match tree::get(map, "path_regex").and_then(Node::as_str) {
        Some(p) if !p.is_empty() => Some(Regex::new(p).map_err(|e| {
            cfg_err(
                file,
                format!(
                    "creation_rules[{index}]: invalid path_regex {p:?}: {}",
                    e.to_string().lines().last().unwrap_or("bad regex")
                ),
            )
        })?),
        _ => None,
    };
    let groups = match tree::get(map, "key_groups") {
        Some(Node::List(groups)) if !groups.is_empty() => groups
            .iter()
            .filter_map(Node::as_map)
            .map(|g| parse_group(g, file))
            .collect::<Result<Vec<_>>>()
            .map_err(ctx)?,
        _ => {
            // The rule's own fields: `gcp_kms` here is a string or list of ids, not a key
            // group's list of maps, and `hc_vault` is no rule field.
            let fields: Map = map
                .iter()
                .filter(|i| !matches!(i, Item::Pair(k, _) if k == "gcp_kms" || k == "hc_vault"))
                .cloned()
                .collect();
            let mut g = parse_group(&fields, file).map_err(ctx)?;
            g.kms = string_list(tree::get(map, "kms"), file, "kms")
                .map_err(ctx)?
                .iter()
                .map(|arn| KmsSpec::from_arn_string(arn, &aws_profile))
                .collect();
            dedup(&mut g.kms);
            g.hc_vault = string_list(
                tree::get(map, "hc_vault_transit_uri"),
                file,
                "hc_vault_transit_uri",
            )
            .map_err(ctx)?;
            dedup(&mut g.hc_vault);
            g.gcp_kms = string_list(tree::get(map, "gcp_kms"), file, "gcp_kms").map_err(ctx)?;
            dedup(&mut g.gcp_kms);
            if g.is_empty() {
                Vec::new()
            } else {
                vec![g]
            }
        }
    };
    let mut selectors = Vec::new();
    for kind in SelectorKind::ALL {
        if let Some(p) = tree::get(map, kind.field()).and_then(Node::as_str) {
            if !p.is_empty() {
                selectors.push(
                    Selector::new(kind, p)
                        .map_err(|e| cfg_err(file, format!("creation_rules[{index}]: {e}")))?,
                );
            }
        }
    }
    if selectors.len() > 1 {
        return Err(Error::new(
            Code::ConflictingParameters,
            format!(
                "{}: creation_rules[{index}] sets more than one of the *_suffix/*_regex selectors",
                file.display()
            ),
        ));
    }
    let threshold = int_field(map, "shamir_threshold", file)
        .map_err(ctx)?
        .unwrap_or(0);
    Ok(CreationRule {
        path_regex,
        groups,
        shamir_threshold: threshold.max(0) as usize,
        selector: selectors.pop(),
        mac_only_encrypted: matches!(
            tree::get(map, "mac_only_encrypted"),
            Some(Node::Scalar(Scalar::Bool(true)))
        ),
        aws_profile,
    })
}

fn parse_stores(map: &Map, file: &Path) -> Result<StoreOptions> {
    let mut options = StoreOptions::default();
    let Some(Node::Map(stores)) = tree::get(map, "stores") else {
        return Ok(options);
    };
    let indent = |name: &str| -> Result<Option<i64>> {
        match tree::get(stores, name) {
            Some(Node::Map(m)) => int_field(m, "indent", file),
            _ => Ok(None),
        }
    };
    let json_indent = |v: i64| if v < 0 { None } else { Some(v as usize) };
    if let Some(n) = indent("yaml")? {
        options.yaml_indent = n.max(0) as usize;
    }
    if let Some(n) = indent("json")? {
        options.json_indent = json_indent(n);
    }
    if let Some(n) = indent("json_binary")? {
        options.json_binary_indent = json_indent(n);
    }
    Ok(options)
}

impl CreationRule {
    /// The rule's `path_regex` as written (`None`: the rule matches every file).
    pub fn path_regex(&self) -> Option<&str> {
        self.path_regex.as_ref().map(Regex::as_str)
    }
}

impl Config {
    /// Parses a `.sops.yaml` file.
    pub fn load(file: &Path, cwd: &Path) -> Result<Config> {
        let bytes = std::fs::read(file).map_err(|e| cfg_err(file, format!("cannot read: {e}")))?;
        let loaded = Format::Yaml
            .store(&StoreOptions::default())
            .load(&bytes)
            .map_err(|e| cfg_err(file, e))?;
        let doc = loaded.docs.into_iter().next().unwrap_or_default();
        let mut rules = Vec::new();
        match tree::get(&doc, "creation_rules") {
            None | Some(Node::Scalar(Scalar::Null)) => {}
            Some(Node::List(items)) => {
                for (i, item) in items.iter().filter_map(Node::as_map).enumerate() {
                    rules.push(parse_rule(item, file, i)?);
                }
            }
            Some(_) => return Err(cfg_err(file, "creation_rules must be a list")),
        }
        let abs = absolute(cwd, file);
        Ok(Config {
            dir: abs.parent().map(Path::to_path_buf).unwrap_or_default(),
            file: file.to_path_buf(),
            rules,
            stores: parse_stores(&doc, file)?,
        })
    }

    /// The first rule whose `path_regex` matches `path` (made absolute against `cwd`, then
    /// relative to the config's directory when inside it). `Ok(None)` when there are no
    /// rules; an error when there are rules and none matches (as sops).
    pub fn rule_for(&self, path: &Path, cwd: &Path) -> Result<Option<&CreationRule>> {
        if self.rules.is_empty() {
            return Ok(None);
        }
        let abs = absolute(cwd, path);
        let subject = abs
            .strip_prefix(&self.dir)
            .map(Path::to_path_buf)
            .unwrap_or(abs);
        let subject = subject.to_string_lossy();
        self.rules
            .iter()
            .find(|r| r.path_regex.as_ref().is_none_or(|re| re.is_match(&subject)))
            .map(Some)
            .ok_or_else(|| {
                Error::new(
                    Code::Generic,
                    format!(
                        "error loading config: no matching creation rules found for {subject} in {}",
                        self.file.display()
                    ),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::Item;

    #[test]
    fn absolute_cleans_lexically() {
        assert_eq!(
            absolute(Path::new("/a/b"), Path::new("../c/./d.yaml")),
            PathBuf::from("/a/c/d.yaml")
        );
        assert_eq!(
            absolute(Path::new("/x"), Path::new("/y/z")),
            PathBuf::from("/y/z")
        );
    }

    fn s(text: &str) -> Node {
        Node::str(text)
    }

    fn pair(k: &str, v: Node) -> Item {
        Item::Pair(k.to_string(), v)
    }

    #[test]
    fn kms_keys_in_rules() {
        let file = Path::new(".sops.yaml");
        let flat = vec![
            pair(
                "kms",
                s("arn:aws:kms:us-east-1:1:key/a, arn:aws:kms:us-east-1:1:key/b+arn:aws:iam::1:role/r"),
            ),
            pair("aws_profile", s("dev")),
        ];
        let rule = parse_rule(&flat, file, 0).unwrap();
        assert_eq!(rule.aws_profile, "dev");
        let kms = &rule.groups[0].kms;
        assert_eq!(kms.len(), 2);
        assert_eq!(kms[0].arn, "arn:aws:kms:us-east-1:1:key/a");
        assert_eq!(kms[0].context, None, "takes --encryption-context");
        assert_eq!(kms[0].aws_profile, "dev");
        assert_eq!(kms[1].arn, "arn:aws:kms:us-east-1:1:key/b");
        assert_eq!(kms[1].role, "arn:aws:iam::1:role/r");

        let entry = Node::Map(vec![
            pair("arn", s("arn:aws:kms:us-east-1:1:key/c")),
            pair("role", s("arn:aws:iam::1:role/x")),
            pair(
                "context",
                Node::Map(vec![
                    pair("b", s("2")),
                    pair("a", Node::Scalar(Scalar::Int(1))),
                ]),
            ),
            pair("aws_profile", s("ops")),
        ]);
        let groups = vec![pair(
            "key_groups",
            Node::List(vec![
                Node::Map(vec![pair("kms", Node::List(vec![entry.clone(), entry]))]),
                Node::Map(vec![pair("age", s("age1x"))]),
            ]),
        )];
        let rule = parse_rule(&groups, file, 0).unwrap();
        assert_eq!(rule.groups.len(), 2);
        let kms = &rule.groups[0].kms;
        assert_eq!(kms.len(), 1, "duplicates dropped");
        assert_eq!(kms[0].role, "arn:aws:iam::1:role/x");
        assert_eq!(kms[0].aws_profile, "ops");
        let ctx: Vec<_> = kms[0].context.clone().unwrap().into_iter().collect();
        assert_eq!(
            ctx,
            [("a".to_string(), "1".to_string()), ("b".into(), "2".into())]
        );
    }

    #[test]
    fn finds_the_nearest_config_upwards() {
        let tmp = tempfile::tempdir().unwrap();
        let deep = tmp.path().join("a/b/c");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(tmp.path().join("a/.sops.yaml"), "creation_rules: []\n").unwrap();
        assert_eq!(find(&deep).unwrap(), tmp.path().join("a/.sops.yaml"));
    }
}
