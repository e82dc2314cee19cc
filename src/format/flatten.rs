//! sops' flattening of the metadata tree for dotenv and INI (`stores/flatten.go`):
//! a map step appends `__map_<key>`, a list step `__list_<index>`.
//!
//! Also home of the scalar-to-text rule both flat stores share (`stores.ValToString`, §6.5).

use crate::error::{Code, Error, Result};
use crate::numfmt;
use crate::tree::{Item, Map, Node, Scalar};

const MAP_SEP: &str = "__map_";
const LIST_SEP: &str = "__list_";

/// Largest list index accepted when un-flattening (sops would try to allocate whatever a
/// file asks for; real metadata lists hold a handful of keys).
const MAX_LIST_INDEX: usize = 10_000;

/// Flattens a nested metadata map into `(key, text)` pairs, sorted by key (byte order, as
/// Go's `sort.Strings`), the order in which both flat stores write them.
///
/// Nulls (and comments) are dropped, empty strings kept; newlines in strings become the two
/// characters `\n`; other scalars are written as [`scalar_text`] writes them.
pub fn flatten(map: &Map) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for item in map {
        if let Item::Pair(key, value) = item {
            flatten_node(key.to_string(), value, &mut out);
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn flatten_node(prefix: String, node: &Node, out: &mut Vec<(String, String)>) {
    match node {
        Node::Map(map) => {
            for item in map {
                if let Item::Pair(key, value) = item {
                    flatten_node(format!("{prefix}{MAP_SEP}{key}"), value, out);
                }
            }
        }
        Node::List(list) => {
            for (i, value) in list.iter().enumerate() {
                flatten_node(format!("{prefix}{LIST_SEP}{i}"), value, out);
            }
        }
        Node::Scalar(Scalar::Null) | Node::Comment(_) => {}
        Node::Scalar(scalar) => out.push((prefix, scalar_text(scalar).replace('\n', "\\n"))),
    }
}

/// Rebuilds the nested metadata map from flattened `(key, text)` pairs (any order).
///
/// The two characters `\n` become a newline in every value; `shamir_threshold` becomes an
/// [`Scalar::Int`] (an integral float such as `2.0` is accepted, as sops accepts it) and
/// `mac_only_encrypted` a [`Scalar::Bool`] (true only for exactly `true`); everything else
/// stays a string. Lists are rebuilt by index; a missing index becomes a null.
/// Map keys keep the order in which they first appear in `pairs`.
pub fn unflatten(pairs: &[(String, String)]) -> Result<Map> {
    let mut root = Tmp::Map(Vec::new());
    for (key, text) in pairs {
        let text = text.replace("\\n", "\n");
        let leaf = match key.as_str() {
            "shamir_threshold" => Node::Scalar(Scalar::Int(parse_threshold(&text)?)),
            "mac_only_encrypted" => Node::Scalar(Scalar::Bool(text == "true")),
            _ => Node::str(text),
        };
        let tokens = tokenize(key)?;
        insert(&mut root, &tokens, leaf);
    }
    match root.into_node() {
        Node::Map(map) => Ok(map),
        _ => unreachable!("the root is always a map"),
    }
}

/// `shamir_threshold` as sops reads it back: an integer, or a float without a fraction.
fn parse_threshold(text: &str) -> Result<i64> {
    if let Some(n) = go_atoi(text) {
        return Ok(n);
    }
    match text.parse::<f64>() {
        Ok(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
        _ => Err(Error::new(
            Code::Generic,
            format!(
                "shamir_threshold is not an integer: strconv.Atoi: parsing {text:?}: invalid syntax"
            ),
        )),
    }
}

/// Go's `strconv.Atoi`: optional sign, then ASCII digits only.
fn go_atoi(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Key(String),
    Index(usize),
}

/// Splits a flattened key at every `__map_` / `__list_` marker, as sops' `tokenize` does
/// (the first token is always a map key, possibly empty).
fn tokenize(path: &str) -> Result<Vec<Token>> {
    let mut tokens = Vec::new();
    // (start of the current token's text, whether it is a list index)
    let mut start = 0;
    let mut is_list = false;
    let mut i = 0;
    let finish = |tokens: &mut Vec<Token>, text: &str, is_list: bool| -> Result<()> {
        if is_list {
            // sops ignores Atoi errors (index 0); a negative index would crash it.
            let index = match go_atoi(text) {
                Some(n) if n < 0 => {
                    return Err(Error::new(
                        Code::Generic,
                        format!("invalid list index {text} in metadata key {path}"),
                    ))
                }
                Some(n) => n as usize,
                None => 0,
            };
            if index > MAX_LIST_INDEX {
                return Err(Error::new(
                    Code::Generic,
                    format!("list index {index} too large in metadata key {path}"),
                ));
            }
            tokens.push(Token::Index(index));
        } else {
            tokens.push(Token::Key(text.to_string()));
        }
        Ok(())
    };
    while i < path.len() {
        let rest = &path[i..];
        if rest.starts_with(MAP_SEP) {
            finish(&mut tokens, &path[start..i], is_list)?;
            i += MAP_SEP.len();
            start = i;
            is_list = false;
        } else if rest.starts_with(LIST_SEP) {
            finish(&mut tokens, &path[start..i], is_list)?;
            i += LIST_SEP.len();
            start = i;
            is_list = true;
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    finish(&mut tokens, &path[start..], is_list)?;
    Ok(tokens)
}

/// A tree under construction.
enum Tmp {
    Map(Vec<(String, Tmp)>),
    List(Vec<Option<Tmp>>),
    Leaf(Node),
}

impl Tmp {
    fn into_node(self) -> Node {
        match self {
            Tmp::Map(entries) => Node::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| Item::Pair(k.into(), v.into_node()))
                    .collect(),
            ),
            Tmp::List(elements) => Node::List(
                elements
                    .into_iter()
                    .map(|e| e.map_or(Node::Scalar(Scalar::Null), Tmp::into_node))
                    .collect(),
            ),
            Tmp::Leaf(node) => node,
        }
    }
}

/// An empty container of the kind `token` indexes into.
fn container_for(token: &Token) -> Tmp {
    match token {
        Token::Key(_) => Tmp::Map(Vec::new()),
        Token::Index(_) => Tmp::List(Vec::new()),
    }
}

/// Puts `leaf` at `tokens` below `node`, creating (or replacing mismatched) containers.
fn insert(node: &mut Tmp, tokens: &[Token], leaf: Node) {
    let Some((first, rest)) = tokens.split_first() else {
        *node = Tmp::Leaf(leaf);
        return;
    };
    let fits = matches!(
        (&*node, first),
        (Tmp::Map(_), Token::Key(_)) | (Tmp::List(_), Token::Index(_))
    );
    if !fits {
        *node = container_for(first);
    }
    let child: &mut Tmp = match (node, first) {
        (Tmp::Map(entries), Token::Key(key)) => {
            let pos = match entries.iter().position(|(k, _)| k == key) {
                Some(pos) => pos,
                None => {
                    let fresh = rest
                        .first()
                        .map_or(Tmp::Leaf(Node::Scalar(Scalar::Null)), container_for);
                    entries.push((key.clone(), fresh));
                    entries.len() - 1
                }
            };
            &mut entries[pos].1
        }
        (Tmp::List(elements), Token::Index(index)) => {
            if elements.len() <= *index {
                elements.resize_with(*index + 1, || None);
            }
            elements[*index].get_or_insert_with(|| {
                rest.first()
                    .map_or(Tmp::Leaf(Node::Scalar(Scalar::Null)), container_for)
            })
        }
        _ => unreachable!("the container was made to fit the token"),
    };
    insert(child, rest, leaf);
}

/// A scalar as sops' `stores.ValToString` writes it in flat files (§6.5): strings verbatim,
/// ints decimal, floats [`numfmt::flat_float`], bools `true`/`false`, timestamps RFC 3339
/// (whole seconds), null as Go prints a nil interface (`<nil>`).
pub fn scalar_text(scalar: &Scalar) -> String {
    match scalar {
        Scalar::Str(s) => s.to_string(),
        Scalar::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Scalar::Int(n) => n.to_string(),
        Scalar::Float(f) => numfmt::flat_float(*f),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Time(t) => rfc3339_seconds(t),
        Scalar::Null => "<nil>".to_string(),
    }
}

/// Go's `t.Format(time.RFC3339)` from the `MarshalText` form: fractional seconds dropped,
/// a zero offset written as `Z`.
fn rfc3339_seconds(text: &str) -> String {
    let (main, zone) = split_zone(text);
    let main = match main.find('.') {
        Some(dot) => &main[..dot],
        None => main,
    };
    let zone = if zone == "+00:00" || zone == "-00:00" {
        "Z"
    } else {
        zone
    };
    format!("{main}{zone}")
}

/// Splits an RFC 3339 timestamp into date-time and zone (`Z`, `+hh:mm`, or empty).
pub(crate) fn split_zone(text: &str) -> (&str, &str) {
    if let Some(main) = text.strip_suffix(['Z', 'z']) {
        return (main, "Z");
    }
    // The zone starts at the last sign after the `T`.
    if let Some(t) = text.find(['T', 't', ' ']) {
        if let Some(sign) = text[t..].rfind(['+', '-']) {
            return text.split_at(t + sign);
        }
    }
    (text, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Node {
        Node::str(v)
    }

    fn pair(k: &str, v: Node) -> Item {
        Item::Pair(k.into(), v)
    }

    fn age_entry(recipient: &str, enc: &str) -> Node {
        Node::Map(vec![pair("recipient", s(recipient)), pair("enc", s(enc))])
    }

    fn flat(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
        pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// Sorts map keys recursively so trees can be compared regardless of key order.
    fn canonical(node: &Node) -> Node {
        match node {
            Node::Map(map) => {
                let mut items: Vec<Item> = map
                    .iter()
                    .map(|item| match item {
                        Item::Pair(k, v) => Item::Pair(k.clone(), canonical(v)),
                        c => c.clone(),
                    })
                    .collect();
                items.sort_by(|a, b| match (a, b) {
                    (Item::Pair(x, _), Item::Pair(y, _)) => x.cmp(y),
                    _ => std::cmp::Ordering::Equal,
                });
                Node::Map(items)
            }
            Node::List(list) => Node::List(list.iter().map(canonical).collect()),
            other => other.clone(),
        }
    }

    #[test]
    fn flattens_single_group_metadata_sorted() {
        let meta = vec![
            pair(
                "age",
                Node::List(vec![age_entry(
                    "age1xyz",
                    "-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n",
                )]),
            ),
            pair("lastmodified", s("2026-11-23T07:21:13Z")),
            pair("mac", s("ENC[AES256_GCM,data:x,type:str]")),
            pair("unencrypted_suffix", s("_unencrypted")),
            pair("version", s("3.11.0")),
        ];
        assert_eq!(
            flat(&flatten(&meta)),
            vec![
                (
                    "age__list_0__map_enc",
                    "-----BEGIN AGE ENCRYPTED FILE-----\\nYWdl\\n-----END AGE ENCRYPTED FILE-----\\n"
                ),
                ("age__list_0__map_recipient", "age1xyz"),
                ("lastmodified", "2026-11-23T07:21:13Z"),
                ("mac", "ENC[AES256_GCM,data:x,type:str]"),
                ("unencrypted_suffix", "_unencrypted"),
                ("version", "3.11.0"),
            ]
        );
    }

    fn shamir_kms_meta() -> Map {
        vec![
            pair("shamir_threshold", Node::Scalar(Scalar::Int(2))),
            pair(
                "key_groups",
                Node::List(vec![
                    Node::Map(vec![
                        pair(
                            "kms",
                            Node::List(vec![Node::Map(vec![
                                pair("arn", s("arn:aws:kms:us-east-1:1:key/k")),
                                pair(
                                    "context",
                                    Node::Map(vec![pair("app", s("web")), pair("env", s("prod"))]),
                                ),
                                pair("created_at", s("2026-11-23T07:18:47Z")),
                                pair("enc", s("MDI3")),
                                pair("aws_profile", s("")),
                            ])]),
                        ),
                        pair("hc_vault", Node::Scalar(Scalar::Null)),
                        pair("age", Node::List(vec![age_entry("age1a", "A\nB\n")])),
                    ]),
                    Node::Map(vec![
                        pair("hc_vault", Node::Scalar(Scalar::Null)),
                        pair("age", Node::List(vec![age_entry("age1b", "C\n")])),
                    ]),
                ]),
            ),
            pair("lastmodified", s("2026-11-23T07:21:13Z")),
            pair("mac", s("ENC[x]")),
            pair("encrypted_regex", s("^password$")),
            pair("mac_only_encrypted", Node::Scalar(Scalar::Bool(true))),
            pair("version", s("3.11.0")),
        ]
    }

    #[test]
    fn flattens_key_groups_kms_context_and_empty_strings() {
        let pairs = flatten(&shamir_kms_meta());
        let got = flat(&pairs);
        assert!(got.contains(&("shamir_threshold", "2")));
        assert!(got.contains(&("mac_only_encrypted", "true")));
        assert!(got.contains(&(
            "key_groups__list_0__map_kms__list_0__map_context__map_env",
            "prod"
        )));
        assert!(got.contains(&("key_groups__list_0__map_kms__list_0__map_aws_profile", "")));
        assert!(got.contains(&(
            "key_groups__list_1__map_age__list_0__map_recipient",
            "age1b"
        )));
        assert!(got.contains(&("key_groups__list_0__map_age__list_0__map_enc", "A\\nB\\n")));
        assert!(
            !got.iter().any(|(k, _)| k.contains("hc_vault")),
            "nulls are dropped"
        );
        let mut keys: Vec<&str> = got.iter().map(|(k, _)| *k).collect();
        let sorted = {
            let mut k = keys.clone();
            k.sort();
            k
        };
        assert_eq!(keys, sorted);
        keys.dedup();
        assert_eq!(keys.len(), got.len());
    }

    #[test]
    fn round_trips_nested_metadata() {
        let meta = shamir_kms_meta();
        let back = unflatten(&flatten(&meta)).unwrap();
        // hc_vault nulls are dropped by flatten; everything else comes back, typed.
        let mut expected = meta.clone();
        if let Item::Pair(_, Node::List(groups)) = &mut expected[1] {
            for g in groups {
                if let Node::Map(m) = g {
                    m.retain(|i| !matches!(i, Item::Pair(k, _) if k == "hc_vault"));
                }
            }
        }
        assert_eq!(canonical(&Node::Map(back)), canonical(&Node::Map(expected)));
    }

    #[test]
    fn unflatten_types_and_escapes() {
        let pairs = vec![
            ("shamir_threshold".to_string(), "2.0".to_string()),
            ("mac_only_encrypted".to_string(), "True".to_string()),
            ("age__list_1__map_enc".to_string(), "a\\nb".to_string()),
            ("version".to_string(), "3.11.0".to_string()),
        ];
        let map = unflatten(&pairs).unwrap();
        assert_eq!(
            map,
            vec![
                pair("shamir_threshold", Node::Scalar(Scalar::Int(2))),
                pair("mac_only_encrypted", Node::Scalar(Scalar::Bool(false))),
                pair(
                    "age",
                    Node::List(vec![
                        Node::Scalar(Scalar::Null),
                        Node::Map(vec![pair("enc", s("a\nb"))])
                    ])
                ),
                pair("version", s("3.11.0")),
            ]
        );
    }

    #[test]
    fn bad_threshold_is_an_error() {
        for bad in ["abc", "2.5", " 2", ""] {
            let err = unflatten(&[("shamir_threshold".into(), bad.into())]).unwrap_err();
            assert_eq!(err.code, Code::Generic);
            assert!(err.message.contains("shamir_threshold is not an integer"));
        }
    }

    #[test]
    fn huge_or_negative_list_index_is_an_error() {
        assert!(unflatten(&[("age__list_99999999999__map_enc".into(), "x".into())]).is_err());
        assert!(unflatten(&[("age__list_-1__map_enc".into(), "x".into())]).is_err());
        // Not a number: sops reads index 0.
        let map = unflatten(&[("age__list_x__map_enc".into(), "x".into())]).unwrap();
        assert_eq!(
            map,
            vec![pair(
                "age",
                Node::List(vec![Node::Map(vec![pair("enc", s("x"))])])
            )]
        );
    }

    #[test]
    fn tokenizes_like_sops() {
        assert_eq!(
            tokenize("a__map_b__list_3__map___list_0").unwrap(),
            vec![
                Token::Key("a".into()),
                Token::Key("b".into()),
                Token::Index(3),
                Token::Key("".into()),
                Token::Index(0),
            ]
        );
        assert_eq!(tokenize("ünï__map_ç").unwrap().len(), 2);
    }

    #[test]
    fn flat_scalar_text() {
        assert_eq!(scalar_text(&Scalar::Float(1.0)), "1.0");
        assert_eq!(scalar_text(&Scalar::Float(1e21)), "1E+21");
        assert_eq!(scalar_text(&Scalar::Float(1.5e-7)), "1.5E-07");
        assert_eq!(scalar_text(&Scalar::Float(100000.0)), "100000.0");
        assert_eq!(scalar_text(&Scalar::Int(-42)), "-42");
        assert_eq!(scalar_text(&Scalar::Bool(true)), "true");
        assert_eq!(scalar_text(&Scalar::Null), "<nil>");
        assert_eq!(
            scalar_text(&Scalar::Time("2024-01-02T03:04:05.123456Z".into())),
            "2024-01-02T03:04:05Z"
        );
        assert_eq!(
            scalar_text(&Scalar::Time("2024-01-02T03:04:05+02:00".into())),
            "2024-01-02T03:04:05+02:00"
        );
    }
}
