//! `.sops.yaml`: where it is, which creation rule applies to a file, and the store options.

use crate::crypt::select::{Selector, SelectorKind};
use crate::error::{Code, Error, Result};
use crate::format::{Format, StoreOptions};
use crate::keys::azure::AzureKeyRef;
use crate::keys::hckms;
use crate::tree::{self, Map, Node, Scalar};
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
    /// Azure Key Vault keys (an empty version: the current one, looked up when built).
    pub azure_kv: Vec<AzureKeyRef>,
    /// HuaweiCloud KMS key ids, `REGION:KEY-UUID`.
    pub hckms: Vec<String>,
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
            && self.azure_kv.is_empty()
            && self.hckms.is_empty()
            && self.hc_vault.is_empty()
            && self.gcp_kms.is_empty()
    }

    /// Drops keys named twice, keeping the first.
    fn dedup(&mut self) {
        dedup(&mut self.age);
        dedup(&mut self.pgp);
        dedup(&mut self.kms);
        dedup(&mut self.hc_vault);
        dedup(&mut self.gcp_kms);
        dedup(&mut self.azure_kv);
        dedup(&mut self.hckms);
    }
}

/// A `creation_rules` entry as read: its `path_regex`, then the rest, each read or the error
/// reading it met. As in sops, a rule's mistakes only count when the search for the rule of a
/// file reaches it: a `path_regex` that does not compile when the rule is tried, the rest (two
/// selectors, a bad regex or key) when the rule matches. So a file can still be decrypted, or
/// encrypted by an earlier rule, under a config with a broken rule.
#[derive(Debug, Clone)]
struct RuleRead {
    path_regex: Result<Option<Regex>>,
    rule: Result<CreationRule>,
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
    /// The creation rules in order, as read: see [`RuleRead`].
    rules: Vec<RuleRead>,
    /// Whether the file has a `creation_rules` list, even an empty one (or one of nulls,
    /// which Go's reader drops): then a file no rule matches is an error, as in sops.
    pub rules_listed: bool,
    /// The indentation of output from `stores:`.
    pub indents: StoreIndents,
}

/// The name sops refuses, with a warning, when it meets it while searching for the config.
pub const ALTERNATE_CONFIG_NAME: &str = ".sops.yml";

/// Finds `.sops.yaml` from `start` upwards, as sops does from the working directory. The
/// second value is sops' warning when a `.sops.yml` was passed on the way (it is never used),
/// naming files relative to `start` as sops does.
pub fn find(start: &Path) -> (Option<PathBuf>, Option<String>) {
    let mut dir = Some(start);
    let mut alternate: Option<String> = None;
    for depth in 0..MAX_DEPTH {
        let Some(d) = dir else { break };
        let shown = |name: &str| format!("{}{name}", "../".repeat(depth));
        let candidate = d.join(CONFIG_NAME);
        // Whatever the name is (a directory too, which then fails to be read), as sops stops
        // at the first path of that name that exists.
        if candidate.exists() {
            let warning = alternate.map(|alt| {
                format!(
                    "ignoring {alt:?} when searching for config file; the config file must be \
                     called {CONFIG_NAME:?}; using {:?} instead",
                    shown(CONFIG_NAME)
                )
            });
            return (Some(candidate), warning);
        }
        if alternate.is_none() && d.join(ALTERNATE_CONFIG_NAME).is_file() {
            alternate = Some(shown(ALTERNATE_CONFIG_NAME));
        }
        dir = d.parent();
    }
    let warning = alternate.map(|alt| {
        format!(
            "ignoring {alt:?} when searching for config file; the config file must be called \
             {CONFIG_NAME:?}"
        )
    });
    (None, warning)
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

/// Where a value sits in `.sops.yaml` (the file and the path to the field), for errors.
#[derive(Clone)]
struct At<'a> {
    file: &'a Path,
    path: String,
}

impl<'a> At<'a> {
    fn root(file: &'a Path) -> At<'a> {
        At {
            file,
            path: String::new(),
        }
    }

    /// The field `name` of the map here.
    fn field(&self, name: &str) -> At<'a> {
        let path = if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.path)
        };
        At { path, ..*self }
    }

    /// Item `i` of the list here.
    fn index(&self, i: usize) -> At<'a> {
        At {
            path: format!("{}[{i}]", self.path),
            ..*self
        }
    }

    /// An error about the value here.
    fn err(&self, msg: impl std::fmt::Display) -> Error {
        cfg_err(self.file, format!("{}: {msg}", self.path))
    }

    /// An error for a value of the wrong kind.
    fn wrong(&self, expected: &str, found: &Node) -> Error {
        cfg_err(
            self.file,
            format!("{} must be {expected}, not {}", self.path, kind(found)),
        )
    }
}

/// What a node is, for errors about a field of the wrong kind.
fn kind(node: &Node) -> &'static str {
    match node {
        Node::Map(_) => "a map",
        Node::List(_) => "a list",
        Node::Comment(_) => "a comment",
        Node::Scalar(Scalar::Bytes(_)) => "binary data",
        Node::Scalar(Scalar::Null) => "null",
        Node::Scalar(_) => "a scalar",
    }
}

/// The items of a list, comments left out.
fn entries(items: &[Node]) -> impl Iterator<Item = (usize, &Node)> {
    items
        .iter()
        .filter(|n| !matches!(n, Node::Comment(_)))
        .enumerate()
}

/// A comma-separated string (items trimmed, empty ones dropped) or a list of strings.
fn string_list(map: &Map, field: &str, at: &At) -> Result<Vec<String>> {
    let at = at.field(field);
    match tree::get(map, field) {
        None | Some(Node::Scalar(Scalar::Null)) => Ok(Vec::new()),
        Some(Node::Scalar(Scalar::Str(s))) => Ok(s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()),
        Some(Node::List(items)) => entries(items)
            .map(|(i, n)| {
                n.as_str()
                    .map(|s| s.trim().to_string())
                    .ok_or_else(|| at.index(i).wrong("a string", n))
            })
            .collect(),
        Some(n) => Err(at.wrong("a comma-separated string or a list of strings", n)),
    }
}

/// A list of strings (a key group's `age` and `pgp`: sops refuses a string there), untrimmed.
fn string_items(map: &Map, field: &str, at: &At) -> Result<Vec<String>> {
    let at = at.field(field);
    match tree::get(map, field) {
        None | Some(Node::Scalar(Scalar::Null)) => Ok(Vec::new()),
        Some(Node::List(items)) => entries(items)
            .map(|(i, n)| {
                n.as_str()
                    .map(String::from)
                    .ok_or_else(|| at.index(i).wrong("a string", n))
            })
            .collect(),
        Some(n) => Err(at.wrong("a list of strings", n)),
    }
}

/// Age recipients written as `a,b`, as sops splits them: each piece trimmed, an empty piece
/// an error.
fn recipients(text: &str, at: &At) -> Result<Vec<String>> {
    text.split(',')
        .map(|piece| match piece.trim() {
            "" => Err(at.err("unknown recipient type: \"\" (an empty recipient)")),
            recipient => Ok(recipient.to_string()),
        })
        .collect()
}

/// A string field as Go reads it into a `string`: a scalar's text (`123` is "123"), `None`
/// when absent or null. A map or list is an error naming the field (sops refuses those;
/// ignoring them would, for `path_regex`, make the rule match every file).
fn text_field(map: &Map, field: &str, at: &At) -> Result<Option<String>> {
    match tree::get(map, field) {
        None | Some(Node::Scalar(Scalar::Null)) => Ok(None),
        Some(n) => n
            .scalar_text()
            .map(Some)
            .ok_or_else(|| at.field(field).wrong("a string", n)),
    }
}

/// A boolean field as Go's YAML reader reads a `bool`: `true`/`false`, and YAML 1.1's words
/// (`yes`, `on`, `y`, `no`, `off`, `n` in lower, title or upper case, quoted or not); other
/// strings, the string "true" among them, are refused as by sops.
fn bool_field(map: &Map, field: &str, at: &At) -> Result<bool> {
    match tree::get(map, field) {
        None | Some(Node::Scalar(Scalar::Null)) => Ok(false),
        Some(Node::Scalar(Scalar::Bool(b))) => Ok(*b),
        Some(n) => n
            .as_str()
            .and_then(yaml11_bool)
            .ok_or_else(|| at.field(field).wrong("true or false", n)),
    }
}

/// An integer field; a number with a fraction is cut to its integer part, as Go's YAML reader
/// does for an `int` (`indent: 2.5` is 2).
/// YAML 1.1's words for booleans, as Go's YAML reader takes them for a `bool`.
fn yaml11_bool(word: &str) -> Option<bool> {
    match word {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

fn int_field(map: &Map, field: &str, at: &At) -> Result<Option<i64>> {
    match tree::get(map, field) {
        None | Some(Node::Scalar(Scalar::Null)) => Ok(None),
        Some(Node::Scalar(Scalar::Int(i))) => Ok(Some(*i)),
        Some(Node::Scalar(Scalar::Float(f))) if f.is_finite() && f.abs() < i64::MAX as f64 => {
            Ok(Some(f.trunc() as i64))
        }
        Some(n) => Err(at.field(field).wrong("an integer", n)),
    }
}

/// A map field, `None` when absent or null.
fn map_field<'m>(map: &'m Map, field: &str, at: &At) -> Result<Option<&'m Map>> {
    match tree::get(map, field) {
        None | Some(Node::Scalar(Scalar::Null)) => Ok(None),
        Some(Node::Map(m)) => Ok(Some(m)),
        Some(n) => Err(at.field(field).wrong("a map", n)),
    }
}

/// The maps of a list field with where each sits, `None` when absent or null. Null items
/// are skipped (Go leaves them zero values); other non-maps are errors.
fn map_list<'m, 'a>(
    map: &'m Map,
    field: &str,
    at: &At<'a>,
) -> Result<Option<Vec<(&'m Map, At<'a>)>>> {
    let at = at.field(field);
    let items = match tree::get(map, field) {
        None | Some(Node::Scalar(Scalar::Null)) => return Ok(None),
        Some(Node::List(items)) => items,
        Some(n) => return Err(at.wrong("a list", n)),
    };
    let mut maps = Vec::new();
    for (i, item) in entries(items) {
        match item {
            Node::Map(m) => maps.push((m, at.index(i))),
            Node::Scalar(Scalar::Null) => {}
            n => return Err(at.index(i).wrong("a map", n)),
        }
    }
    Ok(Some(maps))
}

fn parse_group(map: &Map, at: &At) -> Result<GroupSpec> {
    // Each age entry is a comma-separated list of its own (an empty entry: none).
    let mut age = Vec::new();
    for entry in string_items(map, "age", at)? {
        if !entry.is_empty() {
            age.extend(recipients(&entry, &at.field("age"))?);
        }
    }
    let mut group = GroupSpec {
        age,
        pgp: string_items(map, "pgp", at)?,
        hc_vault: vault_uris(map, at)?,
        gcp_kms: keyed_list(map, "gcp_kms", "resource_id", at)?,
        azure_kv: azure_group_keys(map, at)?,
        hckms: hckms_keys(map, at)?,
        ..GroupSpec::default()
    };
    // In a group, each KMS key is a map (sops refuses a bare ARN string there).
    for (m, at) in map_list(map, "kms", at)?.unwrap_or_default() {
        let text = |f: &str| text_field(m, f, &at).map(Option::unwrap_or_default);
        let arn = text("arn")?;
        if arn.is_empty() {
            // sops' refusal, when the key would be used.
            return Err(at.err("no valid ARN found in ''"));
        }
        let context = tree::string_map(tree::get(m, "context"))
            .map_err(|()| at.field("context").err("must be a map"))?;
        group.kms.push(KmsSpec {
            arn,
            role: text("role")?,
            context: Some(context.unwrap_or_default()),
            aws_profile: text("aws_profile")?,
        });
    }
    for (m, at) in map_list(map, "merge", at)?.unwrap_or_default() {
        let inner = parse_group(m, &at)?;
        group.age.extend(inner.age);
        group.pgp.extend(inner.pgp);
        group.kms.extend(inner.kms);
        group.hc_vault.extend(inner.hc_vault);
        group.gcp_kms.extend(inner.gcp_kms);
        group.azure_kv.extend(inner.azure_kv);
        group.hckms.extend(inner.hckms);
    }
    group.dedup();
    Ok(group)
}

/// A key group's `hc_vault`: a list of transit key URIs (a scalar is an error, as in sops).
fn vault_uris(map: &Map, at: &At) -> Result<Vec<String>> {
    match tree::get(map, "hc_vault") {
        None | Some(Node::Scalar(Scalar::Null)) => Ok(Vec::new()),
        Some(Node::List(_)) => string_list(map, "hc_vault", at),
        Some(n) => Err(at
            .field("hc_vault")
            .wrong("a list of Vault transit key URIs", n)),
    }
}

/// A key group's list of `{FIELD: ID}` maps (`gcp_kms: [{resource_id: …}]`), as ids.
fn keyed_list(map: &Map, list: &str, field: &str, at: &At) -> Result<Vec<String>> {
    map_list(map, list, at)?
        .unwrap_or_default()
        .into_iter()
        .map(|(m, at)| text_field(m, field, &at)?.ok_or_else(|| at.err(format!("needs {field}"))))
        .collect()
}

/// A key group's `azure_keyvault`: a list of `{vaultUrl, key, version}` maps (the vault URL
/// kept as written, `version` optional) or of key URLs.
fn azure_group_keys(map: &Map, at: &At) -> Result<Vec<AzureKeyRef>> {
    let Some(Node::List(items)) = tree::get(map, "azure_keyvault") else {
        return azure_rule_keys(map, at);
    };
    let at = at.field("azure_keyvault");
    let mut out = Vec::new();
    for (i, item) in entries(items) {
        let at = at.index(i);
        match item {
            Node::Map(m) => {
                let text = |f: &str| text_field(m, f, &at).map(Option::unwrap_or_default);
                let key = AzureKeyRef {
                    vault_url: text("vaultUrl")?,
                    name: text("key")?,
                    version: text("version")?,
                };
                if key.vault_url.is_empty() || key.name.is_empty() {
                    return Err(at.err("needs vaultUrl and key"));
                }
                out.push(key);
            }
            Node::Scalar(Scalar::Str(url)) => {
                out.push(AzureKeyRef::parse(url).map_err(|e| at.err(e.message))?)
            }
            Node::Scalar(Scalar::Null) => {}
            n => return Err(at.wrong("a map or a key URL", n)),
        }
    }
    Ok(out)
}

/// A rule's `azure_keyvault`: key URLs as a comma-separated string or a list.
fn azure_rule_keys(map: &Map, at: &At) -> Result<Vec<AzureKeyRef>> {
    string_list(map, "azure_keyvault", at)?
        .iter()
        .map(|url| AzureKeyRef::parse(url).map_err(|e| at.field("azure_keyvault").err(e.message)))
        .collect()
}

/// `hckms`: always a list, of key ids (rules) or of `{key_id}` maps (key groups); the ids
/// must parse as `REGION:KEY-UUID`.
fn hckms_keys(map: &Map, at: &At) -> Result<Vec<String>> {
    let at = at.field("hckms");
    let items = match tree::get(map, "hckms") {
        None | Some(Node::Scalar(Scalar::Null)) => return Ok(Vec::new()),
        Some(Node::List(items)) => items,
        Some(n) => {
            return Err(at.wrong("a list (of key ids, or of {key_id: ...} in key_groups)", n))
        }
    };
    let mut out = Vec::new();
    for (i, item) in entries(items) {
        let at = at.index(i);
        let id = match item {
            // A key group's entry: sops refuses one without a key id.
            Node::Map(m) => Some(text_field(m, "key_id", &at)?.unwrap_or_default()),
            Node::Scalar(Scalar::Str(s)) => Some(s.to_string()),
            Node::Scalar(Scalar::Null) => None,
            n => return Err(at.wrong("a key id or a {key_id: ...} map", n)),
        };
        let id = match (id, item) {
            (Some(id), Node::Map(_)) => id,
            (Some(id), _) if !id.trim().is_empty() => id,
            _ => continue,
        };
        hckms::KeyId::parse(&id).map_err(|e| at.err(e.message))?;
        out.push(id);
    }
    Ok(out)
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

/// Parses the `recreation_rule` of `destination_rules[index]` (`sops publish`): a creation
/// rule, its errors named by where it sits.
pub fn parse_recreation_rule(map: &Map, file: &Path, index: usize) -> Result<CreationRule> {
    let at = At::root(file)
        .field("destination_rules")
        .index(index)
        .field("recreation_rule");
    read_rule(map, &at).rule
}

/// Reads a rule: its `path_regex`, then the rest ([`RuleRead`]).
fn read_rule(map: &Map, at: &At) -> RuleRead {
    let path_regex = rule_path_regex(map, at);
    let rule = match &path_regex {
        Ok(path_regex) => parse_rule(map, at, path_regex.clone()),
        Err(e) => Err(e.clone()),
    };
    RuleRead { path_regex, rule }
}

/// A rule's `path_regex`, compiled (`None`: the rule matches every file).
fn rule_path_regex(map: &Map, at: &At) -> Result<Option<Regex>> {
    match text_field(map, "path_regex", at)?.as_deref() {
        Some(p) if !p.is_empty() => Regex::new(p).map(Some).map_err(|e| {
            at.err(format!(
                "invalid path_regex {p:?}: {}",
                e.to_string().lines().last().unwrap_or("bad regex")
            ))
        }),
        _ => Ok(None),
    }
}

/// Reads a rule whose `path_regex` is read already.
fn parse_rule(map: &Map, at: &At, path_regex: Option<Regex>) -> Result<CreationRule> {
    let aws_profile = text_field(map, "aws_profile", at)?.unwrap_or_default();
    let groups = match map_list(map, "key_groups", at)? {
        Some(groups) if !groups.is_empty() => groups
            .iter()
            .map(|(g, at)| parse_group(g, at))
            .collect::<Result<Vec<_>>>()?,
        _ => {
            // The rule's own fields: outside `key_groups`, `kms` and `gcp_kms` are lists of
            // id strings and Vault keys sit in `hc_vault_transit_uri`.
            // sops joins a list of age entries with commas and reads the whole as one
            // list: `[a, "b,c"]` is three recipients, an empty entry is an error.
            let age = match tree::get(map, "age") {
                Some(Node::List(_)) => {
                    recipients(&string_list(map, "age", at)?.join(","), &at.field("age"))?
                }
                _ => string_list(map, "age", at)?,
            };
            // Keys named twice stay twice, as in sops (only a key group drops them).
            let g = GroupSpec {
                age,
                pgp: string_list(map, "pgp", at)?,
                kms: string_list(map, "kms", at)?
                    .iter()
                    .map(|arn| KmsSpec::from_arn_string(arn, &aws_profile))
                    .collect(),
                hc_vault: string_list(map, "hc_vault_transit_uri", at)?,
                gcp_kms: string_list(map, "gcp_kms", at)?,
                azure_kv: azure_rule_keys(map, at)?,
                hckms: hckms_keys(map, at)?,
            };
            if g.is_empty() {
                Vec::new()
            } else {
                vec![g]
            }
        }
    };
    let mut selectors = Vec::new();
    for kind in SelectorKind::ALL {
        if let Some(p) = text_field(map, kind.field(), at)? {
            if !p.is_empty() {
                selectors.push(Selector::new(kind, &p).map_err(|e| at.err(e))?);
            }
        }
    }
    if selectors.len() > 1 {
        // sops' message and exit code (1: it is a config error, not a flag conflict).
        return Err(at.err(
            "cannot use more than one of encrypted_suffix, unencrypted_suffix, \
             encrypted_regex, unencrypted_regex, encrypted_comment_regex, or \
             unencrypted_comment_regex for the same rule",
        ));
    }
    let threshold = int_field(map, "shamir_threshold", at)?.unwrap_or(0);
    Ok(CreationRule {
        path_regex,
        groups,
        shamir_threshold: threshold.max(0) as usize,
        selector: selectors.pop(),
        mac_only_encrypted: bool_field(map, "mac_only_encrypted", at)?,
        aws_profile,
    })
}

/// The `indent` of each store in `stores:`, as written (sops' rules apply when output is
/// written: [`Config::indent_output`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreIndents {
    pub yaml: Option<i64>,
    pub json: Option<i64>,
    pub json_binary: Option<i64>,
}

fn parse_stores(map: &Map, file: &Path) -> Result<StoreIndents> {
    let root = At::root(file);
    let Some(stores) = map_field(map, "stores", &root)? else {
        return Ok(StoreIndents::default());
    };
    let at = root.field("stores");
    let indent = |name: &str| -> Result<Option<i64>> {
        match map_field(stores, name, &at)? {
            Some(m) => int_field(m, "indent", &at.field(name)),
            None => Ok(None),
        }
    };
    Ok(StoreIndents {
        yaml: indent("yaml")?,
        json: indent("json")?,
        json_binary: indent("json_binary")?,
    })
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
        let doc = crate::format::yaml_settings(&bytes).map_err(|e| cfg_err(file, e))?;
        let listed = map_list(&doc, "creation_rules", &At::root(file))?;
        // sops reads `destination_rules` with the rest: one of the wrong kind fails every
        // command, not only `publish`.
        map_list(&doc, "destination_rules", &At::root(file))?;
        let rules_listed = listed.is_some();
        let rules = (listed.unwrap_or_default().iter())
            .map(|(rule, at)| read_rule(rule, at))
            .collect();
        let abs = absolute(cwd, file);
        Ok(Config {
            dir: abs.parent().map(Path::to_path_buf).unwrap_or_default(),
            file: file.to_path_buf(),
            rules,
            rules_listed,
            indents: parse_stores(&doc, file)?,
        })
    }

    /// Sets `options`' indentation of `format`'s output from `stores:` (an indent the
    /// format refuses is sops' exit 4, as `--indent`'s).
    pub fn indent_output(&self, options: &mut StoreOptions, format: Format) -> Result<()> {
        let n = match format {
            Format::Yaml => self.indents.yaml,
            Format::Json => self.indents.json,
            Format::Binary => self.indents.json_binary,
            Format::Dotenv | Format::Ini | Format::Toml => None,
        };
        match n {
            Some(n) => options.set_indent(format, n),
            None => Ok(()),
        }
    }

    /// Store options for every format from `stores:`, an indent a format refuses left at its
    /// default (for input, and output that does not go through [`Config::indent_output`]).
    pub fn stores(&self) -> StoreOptions {
        let set = |format| {
            let mut one = StoreOptions::default();
            self.indent_output(&mut one, format).is_ok().then_some(one)
        };
        let mut options = StoreOptions::default();
        if let Some(one) = set(Format::Yaml) {
            options.yaml_indent = one.yaml_indent;
        }
        if let Some(one) = set(Format::Json) {
            options.json_indent = one.json_indent;
        }
        if let Some(one) = set(Format::Binary) {
            options.json_binary_indent = one.json_binary_indent;
        }
        options
    }

    /// Every creation rule, or the first error reading one met.
    pub fn rules(&self) -> Result<Vec<&CreationRule>> {
        (self.rules.iter())
            .map(|read| read.rule.as_ref().map_err(Error::clone))
            .collect()
    }

    /// How a person finds `rule` in the file: `creation_rules[N] (path_regex: '…')`, the
    /// regex as written (Debug formatting would double its backslashes).
    pub fn describe_rule(&self, rule: &CreationRule) -> String {
        let index = self
            .rules
            .iter()
            .position(|x| x.rule.as_ref().is_ok_and(|x| std::ptr::eq(x, rule)))
            .unwrap_or(0);
        match rule.path_regex() {
            Some(re) => format!("creation_rules[{index}] (path_regex: '{re}')"),
            None => format!("creation_rules[{index}] (no path_regex: matches every file)"),
        }
    }

    /// The first rule whose `path_regex` matches `path` (made absolute against `cwd`, then
    /// relative to the config's directory when inside it). `Ok(None)` when the file has no
    /// `creation_rules`; an error when it has the list and no rule matches (as sops).
    pub fn rule_for(&self, path: &Path, cwd: &Path) -> Result<Option<&CreationRule>> {
        if !self.rules_listed {
            return Ok(None);
        }
        let abs = absolute(cwd, path);
        let subject = abs
            .strip_prefix(&self.dir)
            .map(Path::to_path_buf)
            .unwrap_or(abs);
        let subject = subject.to_string_lossy();
        for read in &self.rules {
            let path_regex = read.path_regex.as_ref().map_err(Error::clone)?;
            if path_regex.as_ref().is_none_or(|re| re.is_match(&subject)) {
                return read.rule.as_ref().map(Some).map_err(Error::clone);
            }
        }
        Err(Error::new(
            Code::Generic,
            format!(
                "error loading config: no matching creation rules found for {subject} in {}",
                self.file.display()
            ),
        ))
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

    #[test]
    fn a_sops_yml_on_the_way_is_ignored_with_sops_warning() {
        let root = tempfile::tempdir().unwrap();
        let sub = root.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join(ALTERNATE_CONFIG_NAME), "creation_rules: []\n").unwrap();
        let (found, warning) = find(&sub);
        assert_eq!(found, None);
        assert_eq!(
            warning.as_deref(),
            Some(
                "ignoring \".sops.yml\" when searching for config file; the config file must \
                 be called \".sops.yaml\""
            )
        );
        std::fs::write(root.path().join(CONFIG_NAME), "creation_rules: []\n").unwrap();
        let (found, warning) = find(&sub);
        assert_eq!(found, Some(root.path().join(CONFIG_NAME)));
        assert!(warning
            .unwrap()
            .ends_with("; using \"../.sops.yaml\" instead"));
        std::fs::write(sub.join(CONFIG_NAME), "creation_rules: []\n").unwrap();
        assert_eq!(find(&sub), (Some(sub.join(CONFIG_NAME)), None));
    }

    fn s(text: &str) -> Node {
        Node::str(text)
    }

    fn pair(k: &str, v: Node) -> Item {
        Item::Pair(k.into(), v)
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
        let rule = read_rule(&flat, &At::root(file)).rule.unwrap();
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
                Node::Map(vec![pair("age", Node::List(vec![s("age1x")]))]),
            ]),
        )];
        let rule = read_rule(&groups, &At::root(file)).rule.unwrap();
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
    fn azure_and_hckms_keys_in_rules() {
        let file = Path::new(".sops.yaml");
        let url = "https://v.vault.azure.net/keys/k/1";
        let flat = vec![
            pair(
                "azure_keyvault",
                s(&format!("{url}, https://w.vault.azure.net/keys/j")),
            ),
            pair(
                "hckms",
                Node::List(vec![s("cn-north-4:u1"), s("cn-north-4:u1")]),
            ),
        ];
        let g = &read_rule(&flat, &At::root(file)).rule.unwrap().groups[0];
        let urls: Vec<String> = g.azure_kv.iter().map(ToString::to_string).collect();
        assert_eq!(urls, [url, "https://w.vault.azure.net/keys/j"]);
        assert_eq!(
            g.hckms,
            ["cn-north-4:u1", "cn-north-4:u1"],
            "a rule's keys named twice stay twice, as in sops"
        );

        let listed = vec![pair("azure_keyvault", Node::List(vec![s(url)]))];
        assert_eq!(
            read_rule(&listed, &At::root(file)).rule.unwrap().groups[0]
                .azure_kv
                .len(),
            1
        );

        let groups = vec![pair(
            "key_groups",
            Node::List(vec![Node::Map(vec![
                pair(
                    "azure_keyvault",
                    Node::List(vec![Node::Map(vec![
                        pair("vaultUrl", s("https://v.vault.azure.net/")),
                        pair("key", s("k")),
                    ])]),
                ),
                pair(
                    "hckms",
                    Node::List(vec![Node::Map(vec![pair("key_id", s("eu-west-101:u2"))])]),
                ),
            ])]),
        )];
        let g = &read_rule(&groups, &At::root(file)).rule.unwrap().groups[0];
        assert_eq!(
            g.azure_kv[0].vault_url, "https://v.vault.azure.net/",
            "kept as written"
        );
        assert_eq!(
            (g.azure_kv[0].name.as_str(), g.azure_kv[0].version.as_str()),
            ("k", "")
        );
        assert_eq!(g.hckms, ["eu-west-101:u2"]);

        for (bad, why) in [
            (pair("hckms", s("cn-north-4:u1")), "hckms must be a list"),
            (
                pair("hckms", Node::List(vec![s("nocolon")])),
                "invalid key ID format",
            ),
            (
                pair("azure_keyvault", s("http://v/keys/k")),
                "could not parse",
            ),
        ] {
            let e = read_rule(&vec![bad], &At::root(file)).rule.unwrap_err();
            assert!(e.message.contains(why), "{}", e.message);
        }
    }

    #[test]
    fn finds_the_nearest_config_upwards() {
        let tmp = tempfile::tempdir().unwrap();
        let deep = tmp.path().join("a/b/c");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(tmp.path().join("a/.sops.yaml"), "creation_rules: []\n").unwrap();
        assert_eq!(find(&deep).0.unwrap(), tmp.path().join("a/.sops.yaml"));
    }
}
