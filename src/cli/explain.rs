//! `secret explain FILE`: which `.sops.yaml` and creation rule apply to a file, with which
//! keys and selector, and which key paths are (or would be) encrypted. Never shows values.

use super::io::Context;
use crate::config::{CreationRule, GroupSpec};
use crate::crypt::cipher::{self, DataKey};
use crate::crypt::select::Selector;
use crate::crypt::walk::{self, NonceMemory};
use crate::error::{Code, Error, Result};
use crate::format::Format;
use crate::sopsfile;
use crate::tree::{Item, Map, Node, Scalar};
use clap::Args;
use std::fmt::Write as _;
use std::path::PathBuf;

// Options of `secret explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The file (it need not exist yet)
    pub file: PathBuf,
    /// Input format (default: from the file name)
    #[arg(long, value_name = "TYPE", value_parser = super::FormatName)]
    pub input_type: Option<String>,
}

/// One line per key of a rule's groups: `group N: kind key`.
fn describe_specs(specs: &[GroupSpec]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, g) in specs.iter().enumerate() {
        let keys = g
            .age
            .iter()
            .map(|k| format!("age {k}"))
            .chain(g.pgp.iter().map(|k| format!("pgp {k}")))
            .chain(g.kms.iter().map(|k| format!("kms {k}")))
            .chain(g.azure_kv.iter().map(|k| format!("azure_kv {k}")))
            .chain(g.hckms.iter().map(|k| format!("hckms {k}")))
            .chain(g.gcp_kms.iter().map(|k| format!("gcp_kms {k}")))
            .chain(g.hc_vault.iter().map(|k| format!("hc_vault {k}")));
        for k in keys {
            out.push(format!("group {}: {k}", i + 1));
        }
    }
    out
}

fn describe_selector(selector: &Selector) -> String {
    format!("{}: {:?}", selector.kind.field(), selector.pattern)
}

/// Lists `(path, encrypted)` for every value leaf of an encrypted tree.
fn leaves(map: &Map, prefix: &mut String, out: &mut Vec<(String, bool)>) {
    for item in map {
        if let Item::Pair(k, v) = item {
            let len = prefix.len();
            let _ = write!(prefix, "[{k:?}]");
            leaf_node(v, prefix, out);
            prefix.truncate(len);
        }
    }
}

fn leaf_node(node: &Node, prefix: &mut String, out: &mut Vec<(String, bool)>) {
    match node {
        Node::Map(m) => leaves(m, prefix, out),
        Node::List(items) => {
            let mut index = 0;
            for n in items {
                if let Node::Scalar(Scalar::Str(s)) = n {
                    if cipher::is_encrypted(s) && s.ends_with("type:comment]") {
                        continue;
                    }
                }
                if matches!(n, Node::Comment(_)) {
                    continue;
                }
                let len = prefix.len();
                let _ = write!(prefix, "[{index}]");
                leaf_node(n, prefix, out);
                prefix.truncate(len);
                index += 1;
            }
        }
        Node::Scalar(Scalar::Str(s)) => out.push((prefix.clone(), cipher::is_encrypted(s))),
        Node::Scalar(_) => out.push((prefix.clone(), false)),
        Node::Comment(_) => {}
    }
}

/// Runs `secret explain`.
pub fn run(ctx: &Context, args: ExplainArgs) -> Result<()> {
    let mut report = String::new();
    let path = &args.file;
    let label = path.display().to_string();
    let format = args
        .input_type
        .as_deref()
        .and_then(Format::from_name)
        .unwrap_or_else(|| Format::from_path(path));
    let exists = path.is_file();

    let config = ctx.config()?;
    let mut rule: Option<&CreationRule> = None;
    match config {
        None => {
            let _ = writeln!(report, "config:    none (no .sops.yaml found upwards from the working directory; give --config)");
        }
        Some(config) => {
            let _ = writeln!(report, "config:    {}", config.file.display());
            match config.rule_for(path, &ctx.cwd) {
                Ok(Some(r)) => {
                    rule = Some(r);
                    let _ = writeln!(report, "rule:      {}", config.describe_rule(r));
                }
                Ok(None) => {
                    let _ = writeln!(report, "rule:      none (the config has no creation rules)");
                }
                Err(e) => {
                    let _ = writeln!(report, "rule:      none matches ({e})");
                }
            }
        }
    }
    if let Some(r) = rule {
        let keys = describe_specs(&r.groups);
        if keys.is_empty() {
            let _ = writeln!(
                report,
                "rule keys: none (give --age or --pgp when encrypting)"
            );
        }
        for k in keys {
            let _ = writeln!(report, "rule keys: {k}");
        }
        if r.shamir_threshold > 0 {
            let _ = writeln!(report, "shamir:    threshold {}", r.shamir_threshold);
        }
    }

    if !exists {
        let _ = writeln!(report, "file:      {label} does not exist yet");
        let selector = rule.and_then(|r| r.selector.clone());
        let _ = writeln!(
            report,
            "selector:  {}",
            match &selector {
                Some(s) => format!("{} (from the rule)", describe_selector(s)),
                None => format!("{} (the default)", describe_selector(&Selector::default())),
            }
        );
        print!("{report}");
        return Ok(());
    }

    let bytes = std::fs::read(path).map_err(|e| {
        Error::new(
            Code::CouldNotReadInputFile,
            format!("{label}: cannot read: {e}"),
        )
    })?;
    let loaded = format
        .store(&ctx.store_options()?)
        .load(&bytes)
        .map_err(|e| e.context(&label))?;
    let (encrypted_docs, selector_line) = if loaded.metadata.is_some() {
        let metadata = sopsfile::metadata_of(&loaded).map_err(|e| e.context(&label))?;
        let _ = writeln!(
            report,
            "file:      {label} is encrypted ({})",
            format.name()
        );
        for (i, group) in metadata.key_groups.iter().enumerate() {
            for k in group {
                let _ = writeln!(
                    report,
                    "file keys: group {}: {} {}",
                    i + 1,
                    k.kind(),
                    k.describe()
                );
            }
        }
        let line = format!(
            "{} (from the file's metadata)",
            describe_selector(&metadata.selector)
        );
        (loaded.docs, line)
    } else {
        let _ = writeln!(
            report,
            "file:      {label} is not encrypted ({})",
            format.name()
        );
        let (selector, line) = match rule.and_then(|r| r.selector.clone()) {
            Some(s) => {
                let line = format!("{} (from the rule)", describe_selector(&s));
                (s, line)
            }
            None => {
                let s = Selector::default();
                let line = format!("{} (the default)", describe_selector(&s));
                (s, line)
            }
        };
        // Encrypt a copy with a throwaway key: the very walk `encrypt` runs decides.
        let mut docs = loaded.docs;
        format.store(&ctx.store_options()?).normalize(&mut docs);
        walk::encrypt(
            &mut docs,
            &DataKey::generate(),
            &selector,
            rule.is_some_and(|r| r.mac_only_encrypted),
            &mut NonceMemory::default(),
        )
        .map_err(|e| e.context(&label))?;
        (docs, line)
    };
    let _ = writeln!(report, "selector:  {selector_line}");
    let mut list = Vec::new();
    for doc in &encrypted_docs {
        leaves(doc, &mut String::new(), &mut list);
    }
    let _ = writeln!(report, "values:");
    for (p, encrypted) in list {
        let _ = writeln!(
            report,
            "  {} {p}",
            if encrypted { "encrypted" } else { "plain    " }
        );
    }
    print!("{report}");
    Ok(())
}
