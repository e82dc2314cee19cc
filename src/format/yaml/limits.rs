//! What a YAML document may cost to load, so hostile input fails fast instead of exhausting
//! memory, time or the stack.
//!
//! - Aliases: go-yaml v3 refuses a document once too large a share of the nodes it decodes
//!   come from alias expansion (the "billion laughs" guard); [`Budget`] counts nodes the way
//!   go-yaml's decoder does, so the same files are refused. Apart from that ratio, the text
//!   that aliases copy is capped relative to the input: a big scalar aliased many times is
//!   cheap in Go (strings are shared) but would be copied here.
//! - Depth: go-yaml refuses more than [`MAX_DEPTH`] nested flow collections and more than
//!   [`MAX_DEPTH`] block indentation levels. Aliases can stack those, so the depth of the
//!   loaded tree is capped too ([`MAX_TREE_DEPTH`]).

/// go-yaml's `max_flow_level` and `max_indents`.
pub const MAX_DEPTH: usize = 10_000;
/// The deepest tree a document may load into: flow inside block nesting, each at its limit.
pub const MAX_TREE_DEPTH: usize = 2 * MAX_DEPTH + 1;
/// Text copied by aliases is always allowed up to this much...
const ALIAS_BYTES_FLOOR: usize = 64 << 20;
/// ...and up to this many times the input's size.
const ALIAS_BYTES_PER_INPUT_BYTE: usize = 4;

/// What a loaded node costs: go-yaml nodes (keys included, an alias counts itself plus its
/// target), bytes of text, and height (0 for a scalar).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cost {
    pub nodes: usize,
    pub bytes: usize,
    pub height: usize,
}

impl Cost {
    /// A scalar (value or key) of `len` bytes.
    pub fn scalar(len: usize) -> Cost {
        Cost {
            nodes: 1,
            bytes: len,
            height: 0,
        }
    }

    /// A collection before its entries are known.
    pub fn collection() -> Cost {
        Cost::scalar(0)
    }

    /// An alias of a node that costs `target`.
    pub fn alias(target: Cost) -> Cost {
        Cost {
            nodes: target.nodes + 1,
            ..target
        }
    }

    /// Adds an entry (key or value) to a collection's cost.
    pub fn absorb(&mut self, child: Cost) {
        self.nodes = self.nodes.saturating_add(child.nodes);
        self.bytes = self.bytes.saturating_add(child.bytes);
        self.height = self.height.max(child.height + 1);
    }
}

/// go-yaml's `allowedAliasRatio`: the share of decoded nodes that may come from aliases,
/// 99% up to 400k nodes, sliding down to 10% at 4M.
fn allowed_alias_ratio(decoded: usize) -> f64 {
    const LOW: usize = 400_000;
    const HIGH: usize = 4_000_000;
    if decoded <= LOW {
        0.99
    } else if decoded >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((decoded - LOW) as f64 / (HIGH - LOW) as f64)
    }
}

/// Counts what a stream has cost so far.
#[derive(Debug)]
pub struct Budget {
    /// Nodes decoded in the current document (go-yaml's `decodeCount`, per document).
    decoded: usize,
    /// Of those, nodes reached through an alias (go-yaml's `aliasCount`).
    aliased: usize,
    /// Text copied by aliases over the whole stream.
    alias_bytes: usize,
    max_alias_bytes: usize,
}

/// Why a document is refused.
pub const EXCESSIVE_ALIASING: &str = "document contains excessive aliasing";

impl Budget {
    /// A budget for an input of `input_len` bytes.
    pub fn new(input_len: usize) -> Budget {
        Budget {
            decoded: 0,
            aliased: 0,
            alias_bytes: 0,
            max_alias_bytes: ALIAS_BYTES_FLOOR
                .max(input_len.saturating_mul(ALIAS_BYTES_PER_INPUT_BYTE)),
        }
    }

    /// A document starts: go-yaml counts from zero again, the document node first.
    pub fn start_document(&mut self) {
        self.decoded = 1;
        self.aliased = 0;
    }

    /// A scalar or collection read from the text.
    pub fn node(&mut self) {
        self.decoded = self.decoded.saturating_add(1);
    }

    /// An alias of a node costing `target` is expanded: refused when aliases make up too much
    /// of the document (checked once per alias: during one expansion the aliased share only
    /// grows, so checking at its end refuses exactly what go-yaml refuses).
    pub fn alias(&mut self, target: Cost) -> Result<(), String> {
        self.decoded = self.decoded.saturating_add(target.nodes + 1);
        self.aliased = self.aliased.saturating_add(target.nodes);
        self.alias_bytes = self.alias_bytes.saturating_add(target.bytes);
        let ratio = self.aliased as f64 / self.decoded as f64;
        if self.aliased > 100 && self.decoded > 1000 && ratio > allowed_alias_ratio(self.decoded) {
            return Err(EXCESSIVE_ALIASING.to_string());
        }
        if self.alias_bytes > self.max_alias_bytes {
            return Err(format!(
                "{EXCESSIVE_ALIASING} (aliases copy more than {} MiB of text)",
                self.max_alias_bytes >> 20
            ));
        }
        Ok(())
    }
}

/// The error for nesting past a limit.
pub fn too_deep(limit: usize) -> String {
    format!("exceeded max depth of {limit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_slides_between_the_bounds() {
        assert_eq!(allowed_alias_ratio(1000), 0.99);
        assert_eq!(allowed_alias_ratio(4_000_000), 0.10);
        let mid = allowed_alias_ratio(2_200_000);
        assert!((mid - 0.545).abs() < 1e-9, "{mid}");
    }

    #[test]
    fn small_documents_may_alias_freely() {
        let mut b = Budget::new(10);
        b.start_document();
        // 100 nodes through aliases is never too many, whatever the ratio.
        assert!(b.alias(Cost::scalar(1).tap_nodes(99)).is_ok());
    }

    #[test]
    fn mostly_aliased_documents_are_refused() {
        let mut b = Budget::new(10);
        b.start_document();
        for _ in 0..20 {
            b.node();
        }
        assert_eq!(
            b.alias(Cost::scalar(1).tap_nodes(5000)),
            Err(EXCESSIVE_ALIASING.into())
        );
    }

    #[test]
    fn copied_text_is_capped() {
        let mut b = Budget::new(10);
        b.start_document();
        for _ in 0..10_000 {
            b.node();
        }
        let big = Cost::scalar(ALIAS_BYTES_FLOOR / 2);
        assert!(b.alias(big).is_ok());
        assert!(b.alias(big).is_ok());
        let err = b.alias(big).unwrap_err();
        assert!(err.starts_with(EXCESSIVE_ALIASING), "{err}");
    }

    #[test]
    fn cost_of_a_collection() {
        let mut c = Cost::collection();
        c.absorb(Cost::scalar(3));
        c.absorb(Cost::alias(Cost::scalar(5)));
        assert_eq!(
            c,
            Cost {
                nodes: 4,
                bytes: 8,
                height: 1
            }
        );
    }

    impl Cost {
        fn tap_nodes(mut self, nodes: usize) -> Cost {
            self.nodes = nodes;
            self
        }
    }
}
