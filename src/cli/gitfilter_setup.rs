//! The filter mode of `secret git-setup` (`--filter`, `--uninstall`): the filter's git
//! config, `.gitattributes` patterns from the creation rules, and checking files out again
//! when the mode changes.

use super::git::{files_under_rules, git, git_list, need_config, DRIVER};
use super::gitfilter_glob;
use super::io::Context;
use crate::error::{Code, Error, Result};
use std::path::Path;
use std::process::Command;

/// Sets the filter in the local git config with `set(key, value)`; `command` is how git
/// calls `secret`.
pub fn install(set: &dyn Fn(&str, &str) -> Result<String>, command: &str) -> Result<()> {
    for mode in ["clean", "smudge"] {
        set(
            &format!("filter.{DRIVER}.{mode}"),
            &format!("{command} git-filter {mode} %f"),
        )?;
    }
    // One process for every file of a checkout or `git add` (git 2.11+; older git
    // ignores it and runs clean/smudge per file).
    set(
        &format!("filter.{DRIVER}.process"),
        &format!("{command} git-filter process"),
    )?;
    // A failing clean must stop `git add`, never stage the plaintext.
    set(&format!("filter.{DRIVER}.required"), "true")?;
    Ok(())
}

/// The filter mode's patterns: each rule's `path_regex` as gitattributes patterns matching
/// the same paths. A regex that cannot be translated exactly gives the files it matches
/// today, with a warning naming the rule; a rule without `path_regex` gives none.
pub fn rule_patterns(ctx: &Context, top: &Path) -> Result<Vec<String>> {
    let config = need_config(ctx)?;
    // Rules match paths relative to the config's directory; patterns are relative to `top`.
    let prefix = config
        .dir
        .strip_prefix(top)
        .ok()
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|p| !p.contains(|c: char| c.is_whitespace() || "*?[\\\"".contains(c)));
    let mut patterns = Vec::new();
    for rule in config.rules()? {
        let Some(regex) = rule.path_regex() else {
            eprintln!(
                "secret: warning: {} matches every file: not put under the filter",
                config.describe_rule(rule)
            );
            continue;
        };
        match (&prefix, gitfilter_glob::globs(regex)) {
            (Some(prefix), Some(globs)) => {
                patterns.extend(globs.iter().map(|g| under_prefix(prefix, g)));
            }
            (prefix, _) => {
                let why = match prefix {
                    Some(_) => "the regex cannot be written as gitattributes patterns",
                    None => "the config's directory cannot be written in a pattern",
                };
                eprintln!(
                    "secret: warning: {}: {why}: listing the files it matches now (run \
                     `secret git-setup --filter` again for new files)",
                    config.describe_rule(rule)
                );
                patterns.extend(files_under_rules(top, config, |r| std::ptr::eq(r, rule))?);
            }
        }
    }
    Ok(patterns)
}

/// A pattern relative to the directory `prefix` (relative to the top; empty for the top)
/// rewritten relative to the top.
fn under_prefix(prefix: &str, glob: &str) -> String {
    if prefix.is_empty() {
        glob.to_string()
    } else if glob.starts_with('/') {
        format!("/{prefix}{glob}")
    } else if glob.starts_with("**/") {
        format!("/{prefix}/{glob}")
    } else {
        format!("/{prefix}/**/{glob}")
    }
}

/// The tracked files under the filter, split into those with changes in the work tree and
/// those without.
fn files_under_filter(top: &Path) -> Result<(Vec<String>, Vec<String>)> {
    let under = format!(":(attr:filter={DRIVER})");
    let changed = git_list(&["diff", "--name-only", "-z", "--", &under], top)?;
    let unchanged = git_list(&["ls-files", "-z", "--", &under], top)?
        .into_iter()
        .filter(|f| !changed.contains(f))
        .collect();
    Ok((changed, unchanged))
}

/// Checks out again the tracked files under the filter that have no local change, so that
/// files committed encrypted turn plaintext now (smudge) rather than at their next checkout.
/// Returns how many.
pub fn refresh(top: &Path) -> Result<usize> {
    let (_, unchanged) = files_under_filter(top)?;
    check_out_again(top, &unchanged)?;
    Ok(unchanged.len())
}

/// Writes `files` (without local changes) from the index again, through the filter in
/// force.
fn check_out_again(top: &Path, files: &[String]) -> Result<()> {
    for chunk in files.chunks(100) {
        for f in chunk {
            // Unchanged, so the index holds it: git would skip a file whose stat is clean.
            let _ = std::fs::remove_file(top.join(f));
        }
        // stderr is the user's: smudge says there which files stay encrypted.
        let status = Command::new("git")
            .args(["--literal-pathspecs", "checkout", "--"])
            .args(chunk)
            .current_dir(top)
            .stdout(std::process::Stdio::null())
            .status()
            .map_err(|e| Error::new(Code::Generic, format!("cannot run git: {e}")))?;
        if !status.success() {
            return Err(Error::new(
                Code::Generic,
                "git checkout of the files under the filter failed (see above)",
            ));
        }
    }
    Ok(())
}

/// `git-setup --uninstall`: this clone stops filtering. The filter's config goes and the
/// files under it are checked out again as git stores them (encrypted). Refused while one
/// of them has changes that are not staged, which would be lost. `.gitattributes` and the
/// diff and merge drivers stay: other clones may still use the filter.
pub fn uninstall(top: &Path) -> Result<()> {
    let (changed, unchanged) = files_under_filter(top)?;
    if !changed.is_empty() {
        return Err(Error::new(
            Code::Generic,
            format!(
                "{}: changes not staged: stage or stash them before leaving the filter mode \
                 (the work tree is about to get the encrypted versions)",
                changed.join(", ")
            ),
        ));
    }
    if git(
        &[
            "config",
            "--local",
            "--get-regexp",
            &format!("^filter\\.{DRIVER}\\."),
        ],
        top,
    )
    .is_ok()
    {
        git(
            &[
                "config",
                "--local",
                "--remove-section",
                &format!("filter.{DRIVER}"),
            ],
            top,
        )?;
    }
    check_out_again(top, &unchanged)?;
    eprintln!(
        "secret: filter removed from .git/config; {} file(s) checked out encrypted",
        unchanged.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_of_a_nested_config_are_put_under_its_directory() {
        assert_eq!(under_prefix("", "*.enc.yaml"), "*.enc.yaml");
        assert_eq!(under_prefix("app", "*.enc.yaml"), "/app/**/*.enc.yaml");
        assert_eq!(under_prefix("app/x", "/secrets/**"), "/app/x/secrets/**");
        assert_eq!(
            under_prefix("app", "**/*/secrets/**"),
            "/app/**/*/secrets/**"
        );
    }
}
