//! [`Document`]: a decrypted sops file, and [`Value`], a read-only view of one of its values.

use crate::error::{Code, Error, Result};
use crate::format::{Format, StoreOptions};
use crate::sopsfile::{self, Opened};
use crate::tree::{Item, Map, Node, Scalar};
use crate::treepath::{self, Step};

/// A decrypted sops file: its values, its `sops` metadata and its data key, so that it can
/// be read ([`Document::get`]), changed ([`Document::set`]) and encrypted again
/// ([`Document::encrypt`]) with the same master keys.
///
/// ```
/// let identity = std::fs::read_to_string("examples/demo-age-key.txt")?;
/// let keyring = secret::Keyring::new().with_age_identities(&identity)?;
/// let file = std::fs::read("examples/secrets.yaml")?;
/// let doc = secret::decrypt(&file, secret::Format::Yaml, &keyring)?;
/// assert_eq!(doc.get("database.port")?.and_then(|v| v.as_i64()), Some(5432));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Document {
    format: Format,
    opened: Opened,
}

impl Document {
    pub(crate) fn new(format: Format, opened: Opened) -> Document {
        Document { format, opened }
    }

    /// The format the document was read in (and is written in).
    pub fn format(&self) -> Format {
        self.format
    }

    /// The value at `path`, `Ok(None)` when there is none. A path is dotted keys with list
    /// indices (`database.hosts[0]`), or sops' `--extract` form for keys holding dots or
    /// brackets (`["database"]["hosts"][0]`). A malformed path is
    /// [`ErrorKind::InvalidPath`](crate::ErrorKind::InvalidPath).
    ///
    /// In a YAML file of several documents this reads the first; the other formats hold one.
    pub fn get(&self, path: &str) -> Result<Option<Value<'_>>> {
        let steps = parse_path(path)?;
        let Some(first) = self.opened.docs.first() else {
            return Ok(None);
        };
        Ok(steps
            .iter()
            .try_fold(Value::map(first), |value, step| match step {
                Step::Key(k) => value.get(k),
                Step::Index(i) => value.index(*i),
            }))
    }

    /// The whole (first) document, a map.
    pub fn root(&self) -> Value<'_> {
        static EMPTY: Map = Vec::new();
        Value::map(self.opened.docs.first().unwrap_or(&EMPTY))
    }

    /// Sets the value at `path` (syntax as in [`Document::get`]) as `secret set` does:
    /// missing keys are added at the end of their map, an index past the end appends, a
    /// value in the way is replaced. It is encrypted by the next [`Document::encrypt`]
    /// (unless the file's selector leaves it plain).
    ///
    /// ```
    /// # let identity = std::fs::read_to_string("examples/demo-age-key.txt")?;
    /// # let keyring = secret::Keyring::new().with_age_identities(&identity)?;
    /// # let file = std::fs::read("examples/secrets.yaml")?;
    /// let mut doc = secret::decrypt(&file, secret::Format::Yaml, &keyring)?;
    /// doc.set("database.port", 6543)?;
    /// doc.set("features[0]", "audit")?;
    /// let again = secret::decrypt(&doc.encrypt()?, secret::Format::Yaml, &keyring)?;
    /// assert_eq!(again.get("database.port")?.and_then(|v| v.as_i64()), Some(6543));
    /// assert_eq!(again.get("features[0]")?.and_then(|v| v.as_str()), Some("audit"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set(&mut self, path: &str, value: impl Into<NewValue>) -> Result<()> {
        let steps = parse_path(path)?;
        if self.opened.docs.is_empty() {
            self.opened.docs.push(Map::new());
        }
        let mut root = Node::Map(std::mem::take(&mut self.opened.docs[0]));
        let result = treepath::set(&mut root, &steps, value.into().into_node());
        if let Node::Map(m) = root {
            self.opened.docs[0] = m;
        }
        result
    }

    /// The decrypted file in its format, as `secret decrypt` writes it.
    pub fn to_plaintext(&self) -> Result<Vec<u8>> {
        self.format.store(&StoreOptions::default()).emit_over(
            &self.opened.docs,
            None,
            self.opened.source.as_deref(),
        )
    }

    /// The file encrypted again with its own data key and master keys, as `secret edit`
    /// saves it: values that did not change keep their exact ciphertext, so diffs stay
    /// small; `lastmodified` and the MAC are renewed.
    pub fn encrypt(&mut self) -> Result<Vec<u8>> {
        let store = self.format.store(&StoreOptions::default());
        sopsfile::seal_opened(&mut self.opened, &*store, self.format)
    }

    /// The file's master keys as `type id` (e.g. `age age1…`, `kms arn:aws:kms:…`), in
    /// metadata order. Never secret.
    pub fn master_keys(&self) -> Vec<String> {
        self.opened
            .metadata
            .master_keys()
            .map(|k| format!("{} {}", k.kind(), k.describe()))
            .collect()
    }
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the values or the data key.
        f.debug_struct("Document")
            .field("format", &self.format)
            .field("master_keys", &self.master_keys())
            .finish_non_exhaustive()
    }
}

/// Parses a [`Document::get`] path: sops' `["a"][0]` form, or dotted keys with indices.
fn parse_path(text: &str) -> Result<Vec<Step>> {
    if text.starts_with("[\"") || text.starts_with("['") {
        return treepath::parse(text);
    }
    let bad = |why: &str| {
        Error::new(
            Code::InvalidTreePathFormat,
            format!("invalid path {text:?}: {why}"),
        )
    };
    let mut steps = Vec::new();
    for part in text.split('.') {
        let (key, indices) = part.split_at(part.find('[').unwrap_or(part.len()));
        if key.is_empty() {
            return Err(bad("empty key"));
        }
        steps.push(Step::Key(key.to_string()));
        if !indices.is_empty() {
            steps.extend(treepath::parse(indices)?);
        }
    }
    Ok(steps)
}

/// A read-only view of one value of a [`Document`]. Comments are not values: maps and lists
/// skip them.
#[derive(Clone, Copy)]
pub struct Value<'a>(Inner<'a>);

#[derive(Clone, Copy)]
enum Inner<'a> {
    Node(&'a Node),
    /// A whole document, which is a map but not a [`Node`].
    Map(&'a Map),
}

/// The type of a [`Value`], as sops records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ValueKind {
    /// YAML `null` / `~`, JSON `null`.
    Null,
    /// `true` / `false`.
    Bool,
    /// A whole number (64-bit).
    Int,
    /// A floating-point number.
    Float,
    /// Text.
    Str,
    /// Raw bytes (the contents of a binary-format file).
    Bytes,
    /// A YAML timestamp, kept as its RFC 3339 text.
    Time,
    /// An ordered list.
    List,
    /// An ordered map with string keys.
    Map,
}

impl<'a> Value<'a> {
    fn map(map: &'a Map) -> Value<'a> {
        Value(Inner::Map(map))
    }

    fn scalar(&self) -> Option<&'a Scalar> {
        match self.0 {
            Inner::Node(Node::Scalar(s)) => Some(s),
            _ => None,
        }
    }

    fn entries_of(&self) -> Option<&'a Map> {
        match self.0 {
            Inner::Map(m) | Inner::Node(Node::Map(m)) => Some(m),
            _ => None,
        }
    }

    /// This value's type.
    pub fn kind(&self) -> ValueKind {
        match self.0 {
            Inner::Map(_) | Inner::Node(Node::Map(_)) => ValueKind::Map,
            Inner::Node(Node::List(_)) => ValueKind::List,
            // A comment is never handed out as a value.
            Inner::Node(Node::Comment(_)) => ValueKind::Null,
            Inner::Node(Node::Scalar(s)) => match s {
                Scalar::Str(_) => ValueKind::Str,
                Scalar::Bytes(_) => ValueKind::Bytes,
                Scalar::Int(_) => ValueKind::Int,
                Scalar::Float(_) => ValueKind::Float,
                Scalar::Bool(_) => ValueKind::Bool,
                Scalar::Time(_) => ValueKind::Time,
                Scalar::Null => ValueKind::Null,
            },
        }
    }

    /// The text of a string or timestamp.
    pub fn as_str(&self) -> Option<&'a str> {
        match self.scalar()? {
            Scalar::Str(s) | Scalar::Time(s) => Some(s),
            _ => None,
        }
    }

    /// The bytes of a binary value or of a string.
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match self.scalar()? {
            Scalar::Bytes(b) => Some(b),
            Scalar::Str(s) => Some(s.as_bytes()),
            _ => None,
        }
    }

    /// A whole number.
    pub fn as_i64(&self) -> Option<i64> {
        match self.scalar()? {
            Scalar::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// A number (whole numbers converted).
    pub fn as_f64(&self) -> Option<f64> {
        match self.scalar()? {
            Scalar::Float(f) => Some(*f),
            Scalar::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// A boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self.scalar()? {
            Scalar::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Whether this is null.
    pub fn is_null(&self) -> bool {
        self.kind() == ValueKind::Null
    }

    /// The value under `key`, if this is a map that has it.
    pub fn get(&self, key: &str) -> Option<Value<'a>> {
        self.entries().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The element at `index` (comments not counted), if this is a list that long.
    pub fn index(&self, index: usize) -> Option<Value<'a>> {
        self.items().nth(index)
    }

    /// The entries of a map in file order (nothing for other values).
    pub fn entries(&self) -> impl Iterator<Item = (&'a str, Value<'a>)> {
        self.entries_of()
            .into_iter()
            .flatten()
            .filter_map(|item| match item {
                Item::Pair(k, v) => Some((k.as_str(), Value(Inner::Node(v)))),
                Item::Comment(_) => None,
            })
    }

    /// The elements of a list in order (nothing for other values).
    pub fn items(&self) -> impl Iterator<Item = Value<'a>> {
        let list = match self.0 {
            Inner::Node(Node::List(l)) => Some(l),
            _ => None,
        };
        list.into_iter()
            .flatten()
            .filter(|n| !matches!(n, Node::Comment(_)))
            .map(|n| Value(Inner::Node(n)))
    }
}

impl std::fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Only the type: values are secrets, and `Debug` output ends up in logs.
        write!(f, "Value({:?})", self.kind())
    }
}

/// A value for [`Document::set`]: built from `&str`, `String`, `i64`, `i32`, `f64` or `bool`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum NewValue {
    /// Text.
    Str(String),
    /// A whole number.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// Null.
    Null,
}

impl NewValue {
    fn into_node(self) -> Node {
        Node::Scalar(match self {
            NewValue::Str(s) => Scalar::Str(s.into()),
            NewValue::Int(i) => Scalar::Int(i),
            NewValue::Float(f) => Scalar::Float(f),
            NewValue::Bool(b) => Scalar::Bool(b),
            NewValue::Null => Scalar::Null,
        })
    }
}

impl From<&str> for NewValue {
    fn from(s: &str) -> NewValue {
        NewValue::Str(s.to_string())
    }
}

impl From<String> for NewValue {
    fn from(s: String) -> NewValue {
        NewValue::Str(s)
    }
}

impl From<i64> for NewValue {
    fn from(i: i64) -> NewValue {
        NewValue::Int(i)
    }
}

impl From<i32> for NewValue {
    fn from(i: i32) -> NewValue {
        NewValue::Int(i64::from(i))
    }
}

impl From<f64> for NewValue {
    fn from(f: f64) -> NewValue {
        NewValue::Float(f)
    }
}

impl From<bool> for NewValue {
    fn from(b: bool) -> NewValue {
        NewValue::Bool(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_paths_parse_to_steps() {
        let key = |k: &str| Step::Key(k.to_string());
        assert_eq!(
            parse_path("a.b[0][2].c").unwrap(),
            [key("a"), key("b"), Step::Index(0), Step::Index(2), key("c")]
        );
        assert_eq!(
            parse_path(r#"["a.b"][1]"#).unwrap(),
            [key("a.b"), Step::Index(1)]
        );
        for bad in ["", "a..b", "a[x]", "a[1", "a[1]b", ".a"] {
            let e = parse_path(bad).unwrap_err();
            assert_eq!(e.code, Code::InvalidTreePathFormat, "{bad:?}");
        }
    }
}
