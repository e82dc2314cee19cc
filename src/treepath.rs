//! Tree paths as sops' `--extract` and `set` take them: `["key"]['key'][0]`.

use crate::error::{Code, Error, Result};
use crate::tree::{self, Item, Node};

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// Parses `["a"][0]['b']`: each component is a quoted key (first and last character
/// stripped, no escapes) or a decimal index.
pub fn parse(text: &str) -> Result<Vec<Step>> {
    let bad = |why: &str| {
        Error::new(
            Code::InvalidTreePathFormat,
            format!("invalid tree path {text:?}: {why}"),
        )
    };
    if !text.starts_with('[') {
        return Err(bad("a path starts with ["));
    }
    let mut steps = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[').ok_or_else(|| bad("expected ["))?;
        let quote = inner.chars().next().ok_or_else(|| bad("unterminated ["))?;
        if quote == '"' || quote == '\'' {
            let close = format!("{quote}]");
            let end = inner[1..]
                .find(&close)
                .ok_or_else(|| bad("unterminated quoted key"))?;
            steps.push(Step::Key(inner[1..1 + end].to_string()));
            rest = &inner[1 + end + 2..];
        } else {
            let end = inner.find(']').ok_or_else(|| bad("unterminated ["))?;
            let index = inner[..end]
                .parse()
                .map_err(|_| bad("an unquoted component must be a list index"))?;
            steps.push(Step::Index(index));
            rest = &inner[end + 1..];
        }
    }
    Ok(steps)
}

/// The value at `path`, or a "not found" error (exit 1).
pub fn get<'a>(root: &'a Node, path: &[Step]) -> Result<&'a Node> {
    let mut current = root;
    for step in path {
        current = match (step, current) {
            (Step::Key(k), Node::Map(m)) => tree::get(m, k),
            (Step::Index(i), Node::List(l)) => l.get(*i),
            _ => None,
        }
        .ok_or_else(|| {
            Error::new(
                Code::Generic,
                format!("component {} not found", display_step(step)),
            )
        })?;
    }
    Ok(current)
}

/// A value made of `path` (missing maps and lists) with `leaf` at its end.
fn build(path: &[Step], leaf: Node) -> Node {
    match path.split_first() {
        None => leaf,
        Some((Step::Key(k), rest)) => Node::Map(vec![Item::Pair(k.into(), build(rest, leaf))]),
        Some((Step::Index(_), rest)) => Node::List(vec![build(rest, leaf)]),
    }
}

/// Sets `value` at `path` below `node` as sops does: missing keys are added at the end of
/// their map, an index at or past the end appends, a scalar in the way is replaced.
pub(crate) fn set(node: &mut Node, path: &[Step], value: Node) -> Result<()> {
    let Some((step, rest)) = path.split_first() else {
        *node = value;
        return Ok(());
    };
    match (step, node) {
        (Step::Key(k), Node::Map(m)) => {
            let existing = m.iter_mut().find_map(|item| match item {
                Item::Pair(key, v) if key == k => Some(v),
                _ => None,
            });
            match existing {
                Some(v) => set(v, rest, value),
                None => {
                    m.push(Item::Pair(k.into(), build(rest, value)));
                    Ok(())
                }
            }
        }
        (Step::Index(i), Node::List(l)) => {
            // Comments inside a list are elements of the tree, not of the data: count only
            // the values, as the user sees them.
            let positions: Vec<usize> = l
                .iter()
                .enumerate()
                .filter(|(_, n)| !matches!(n, Node::Comment(_)))
                .map(|(p, _)| p)
                .collect();
            match positions.get(*i) {
                Some(&p) => set(&mut l[p], rest, value),
                None => {
                    l.push(build(rest, value));
                    Ok(())
                }
            }
        }
        (Step::Key(k), Node::List(_)) => Err(Error::new(
            Code::InvalidSetFormat,
            format!("[{k:?}] is a key, but the value there is a list"),
        )),
        (Step::Index(i), Node::Map(_)) => Err(Error::new(
            Code::InvalidSetFormat,
            format!("[{i}] is a list index, but the value there is a map"),
        )),
        (_, other) => {
            *other = build(path, value);
            Ok(())
        }
    }
}

fn display_step(step: &Step) -> String {
    match step {
        Step::Key(k) => format!("[{k:?}]"),
        Step::Index(i) => format!("[{i}]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys_and_indices() {
        assert_eq!(
            parse(r#"["a"][0]['b c']"#).unwrap(),
            vec![
                Step::Key("a".into()),
                Step::Index(0),
                Step::Key("b c".into())
            ]
        );
        assert_eq!(parse("a").unwrap_err().code, Code::InvalidTreePathFormat);
        assert_eq!(parse("[x]").unwrap_err().code, Code::InvalidTreePathFormat);
        assert_eq!(
            parse(r#"["a"#).unwrap_err().code,
            Code::InvalidTreePathFormat
        );
    }
}
