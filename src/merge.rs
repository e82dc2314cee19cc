//! Three-way merge of decrypted document trees (the git merge driver).
//!
//! Maps merge key by key: a key changed (added, removed, modified) on one side only takes
//! that side's value; the same change on both sides is no conflict; nested maps merge
//! recursively. Lists and scalars are atomic. Comments and key order follow the current
//! side (`ours`), unless only the other side changed a map's comments. Anything else is a
//! conflict, reported by key path (never by value).

use crate::tree::{Item, Map, Node, Text};
use std::fmt::Write as _;

/// Merges `ours` and `theirs`, both descended from `base`. On conflict, the key paths
/// (`["a"]["b"]`) that both sides changed differently.
pub fn merge_docs(base: &[Map], ours: &[Map], theirs: &[Map]) -> Result<Vec<Map>, Vec<String>> {
    let mut conflicts = Vec::new();
    let merged = if base.len() == ours.len() && ours.len() == theirs.len() {
        base.iter()
            .zip(ours)
            .zip(theirs)
            .enumerate()
            .map(|(i, ((o, a), b))| {
                let prefix = if base.len() > 1 {
                    format!("document {i} ")
                } else {
                    String::new()
                };
                merge_map(o, a, b, &prefix, &mut conflicts)
            })
            .collect()
    } else if ours == theirs || base == theirs {
        ours.to_vec()
    } else if base == ours {
        theirs.to_vec()
    } else {
        conflicts.push("(the number of documents)".into());
        ours.to_vec()
    };
    if conflicts.is_empty() {
        Ok(merged)
    } else {
        Err(conflicts)
    }
}

fn comments(map: &Map) -> Vec<&Text> {
    map.iter()
        .filter_map(|i| match i {
            Item::Comment(c) => Some(c),
            Item::Pair(..) => None,
        })
        .collect()
}

fn get<'a>(map: &'a Map, key: &str) -> Option<&'a Node> {
    crate::tree::get(map, key)
}

/// The merged value of one key; `None`: the key is absent from the result.
fn resolve(
    o: Option<&Node>,
    a: Option<&Node>,
    b: Option<&Node>,
    path: &str,
    conflicts: &mut Vec<String>,
) -> Option<Node> {
    if a == b || o == b {
        return a.cloned();
    }
    if o == a {
        return b.cloned();
    }
    match (o, a, b) {
        (Some(Node::Map(om)), Some(Node::Map(am)), Some(Node::Map(bm))) => {
            Some(Node::Map(merge_map(om, am, bm, path, conflicts)))
        }
        (None, Some(Node::Map(am)), Some(Node::Map(bm))) => {
            Some(Node::Map(merge_map(&Map::new(), am, bm, path, conflicts)))
        }
        _ => {
            conflicts.push(if path.is_empty() {
                "(the document root)".into()
            } else {
                path.to_string()
            });
            a.cloned()
        }
    }
}

fn merge_map(o: &Map, a: &Map, b: &Map, path: &str, conflicts: &mut Vec<String>) -> Map {
    let (co, ca, cb) = (comments(o), comments(a), comments(b));
    // The layout (comments, key order) comes from the side that changed the comments.
    let ours_is_base = !(ca == co && cb != co);
    if ca != co && cb != co && ca != cb {
        conflicts.push(format!("{path} (comments)"));
    }
    let (base, other) = if ours_is_base { (a, b) } else { (b, a) };
    let pick = |key: &str, conflicts: &mut Vec<String>| {
        let mut p = path.to_string();
        let _ = write!(p, "[{key:?}]");
        resolve(get(o, key), get(a, key), get(b, key), &p, conflicts)
    };
    let mut out = Map::new();
    for item in base {
        match item {
            Item::Comment(c) => out.push(Item::Comment(c.clone())),
            Item::Pair(k, _) => {
                if let Some(v) = pick(k, conflicts) {
                    out.push(Item::Pair(k.clone(), v));
                }
            }
        }
    }
    // Keys only the other side has: after the key that precedes them there.
    let mut after: Option<&str> = None;
    for item in other {
        let Item::Pair(k, _) = item else { continue };
        if get(base, k).is_none() {
            if let Some(v) = pick(k, conflicts) {
                let at = after
                    .and_then(|prev| {
                        out.iter()
                            .position(|i| matches!(i, Item::Pair(pk, _) if pk == prev))
                    })
                    .map(|p| p + 1)
                    .unwrap_or(out.len());
                out.insert(at, Item::Pair(k.clone(), v));
            } else {
                continue;
            }
        }
        if out
            .iter()
            .any(|i| matches!(i, Item::Pair(pk, _) if pk == k))
        {
            after = Some(k);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pairs: &[(&str, &str)]) -> Map {
        pairs
            .iter()
            .map(|(k, v)| Item::Pair((*k).into(), Node::str(*v)))
            .collect()
    }

    #[test]
    fn one_sided_changes_merge() {
        let o = m(&[("a", "1"), ("b", "2"), ("c", "3")]);
        let a = m(&[("a", "x"), ("b", "2"), ("c", "3"), ("d", "4")]);
        let b = m(&[("a", "1"), ("b", "y"), ("e", "5")]);
        let r = merge_docs(&[o], &[a], &[b]).unwrap();
        assert_eq!(r[0], m(&[("a", "x"), ("b", "y"), ("e", "5"), ("d", "4")]));
    }

    #[test]
    fn nested_maps_merge_and_conflicts_are_paths() {
        let nest = |v: &str, w: &str| {
            vec![Item::Pair(
                "db".into(),
                Node::Map(m(&[("user", v), ("password", w)])),
            )]
        };
        let r = merge_docs(&[nest("u", "p")], &[nest("U", "p")], &[nest("u", "P")]).unwrap();
        assert_eq!(r[0], nest("U", "P"));
        let e = merge_docs(&[nest("u", "p")], &[nest("u", "p1")], &[nest("u", "p2")]).unwrap_err();
        assert_eq!(e, [r#"["db"]["password"]"#]);
    }

    #[test]
    fn modify_delete_is_a_conflict() {
        let o = m(&[("a", "1")]);
        let a = m(&[("a", "2")]);
        let b = Map::new();
        let (o, b) = (vec![o], vec![b]);
        assert!(merge_docs(&o, &[a], &b).is_err());
        let r = merge_docs(&o, &o, &b).unwrap();
        assert_eq!(r, b);
    }
}
