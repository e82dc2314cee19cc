//! Many files in one run: expanding paths (`-r` directories, `--all` of the git work tree),
//! a bounded pool of worker threads, a progress bar and the summary at the end. The commands
//! keep their one-file code; this module only calls it once per file.

use super::io::Context;
use crate::error::{Code, Error, Result};
use crate::format::Format;
use clap::builder::TypedValueParser as _;
use clap::Args;
use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Files worked on at once by default: the work is mostly waiting on key services, so more
/// workers than cores.
pub const DEFAULT_JOBS: usize = 8;

/// The stack of a worker: as the main thread's, since files may nest as deeply.
const WORKER_STACK: usize = 128 << 20;

// The options that select several files, shared by the commands that take them.
#[derive(Debug, Args, Clone, Default)]
pub struct BatchArgs {
    /// Walk the directories among the paths (symbolic links are not followed)
    #[arg(short = 'r', long)]
    pub recursive: bool,
    /// Every file of the git work tree under a creation rule (.gitignore respected)
    #[arg(long)]
    pub all: bool,
    /// How many files to work on at once
    #[arg(long, value_name = "N", env = "SECRET_JOBS", default_value_t = DEFAULT_JOBS,
          value_parser = clap::value_parser!(u16).range(1..).map(usize::from))]
    pub jobs: usize,
}

impl BatchArgs {
    /// Whether the paths name more than one file (or may: a directory, `--all`).
    pub fn is_batch(&self, paths: &[PathBuf]) -> bool {
        self.all || self.recursive || paths.len() > 1
    }
}

// More files for the commands whose first FILE is [`super::IoArgs`]' (`encrypt`,
// `decrypt`, `rotate`): with several, each is worked on in place (`-i`).
#[derive(Debug, Args, Clone, Default)]
pub struct ManyArgs {
    /// More files (or, with -r, directories) to work on in place
    #[arg(value_name = "MORE")]
    pub more: Vec<PathBuf>,
    #[command(flatten)]
    pub batch: BatchArgs,
}

impl ManyArgs {
    /// All the paths named: the first FILE and the rest.
    fn paths(&self, io: &super::IoArgs) -> Vec<PathBuf> {
        io.file.iter().chain(&self.more).cloned().collect()
    }

    /// Whether this run is about several files.
    pub fn is_batch(&self, io: &super::IoArgs) -> bool {
        self.batch.is_batch(&self.paths(io))
    }

    /// Runs `one` on each file in place, in parallel, and prints the summary. `one` gets
    /// the command's [`super::IoArgs`] naming that file alone.
    pub fn each_in_place<F>(
        &self,
        ctx: &Context,
        io: &super::IoArgs,
        want: Want,
        done_word: &str,
        one: F,
    ) -> Result<()>
    where
        F: Fn(&Context, super::IoArgs) -> Result<()> + Sync,
    {
        if !io.in_place || io.output.is_some() || io.filename_override.is_some() {
            return Err(Error::new(
                Code::ConflictingParameters,
                "several files (or -r, --all) are worked on in place: give -i, and no \
                 --output or --filename-override",
            ));
        }
        let mut contexts = Contexts::new(ctx);
        let targets = expand(&mut contexts, &self.paths(io), &self.batch, want)?;
        let report = run(&targets, self.batch.jobs, want, |t| {
            let io = super::IoArgs {
                file: Some(t.path.clone()),
                ..io.clone()
            };
            one(t.ctx, io).map(|()| Outcome::Changed)
        });
        report.finish(done_word)
    }
}

/// Which files `-r` and `--all` pick among those a creation rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// sops files (decrypt, updatekeys, rotate, filestatus).
    Encrypted,
    /// Files not yet encrypted, under a rule with a `path_regex` (encrypt).
    Plain,
    /// Any file under a rule, encrypted or not (filestatus).
    Any,
}

/// One file to work on and the context (its `.sops.yaml`) to work on it with.
pub struct Target<'a> {
    pub path: PathBuf,
    pub ctx: &'a Context,
    /// Found by `-r`/`--all` (rather than named): left alone when it is not what the command
    /// wants (see [`Want`]) instead of failing.
    pub found: bool,
}

/// What came of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Changed,
    Unchanged,
    /// Found by `-r`/`--all` but not what the command works on.
    Skipped,
}

/// The contexts of a run: the command line's, and one per `.sops.yaml` that files found by
/// `-r`/`--all` are under.
pub struct Contexts {
    base: Context,
    by_config: HashMap<PathBuf, Context>,
}

impl Contexts {
    pub fn new(base: &Context) -> Contexts {
        Contexts {
            base: base.sibling(base.global.clone()),
            by_config: HashMap::new(),
        }
    }

    /// The key of the context for a found file: the nearest `.sops.yaml` above it (as each
    /// project of a monorepo has its own), unless `--config` names one for all.
    fn key_for(&mut self, file: &Path, dirs: &mut HashMap<PathBuf, Option<PathBuf>>) -> PathBuf {
        if self.base.global.config.is_some() {
            return PathBuf::new();
        }
        let dir = file.parent().unwrap_or(Path::new("/")).to_path_buf();
        let config = dirs
            .entry(dir.clone())
            .or_insert_with(|| crate::config::find(&dir).0)
            .clone();
        match config {
            None => PathBuf::new(),
            Some(c) => {
                let base = &self.base;
                self.by_config.entry(c.clone()).or_insert_with(|| {
                    let mut global = base.global.clone();
                    global.config = Some(c.clone());
                    base.sibling(global)
                });
                c
            }
        }
    }

    fn get(&self, key: &Path) -> &Context {
        self.by_config.get(key).unwrap_or(&self.base)
    }
}

/// The files a command works on: the named files as they are, the directories' files with
/// `-r`, the git work tree's with `--all`; found files only when a creation rule of their
/// `.sops.yaml` matches them.
pub fn expand<'a>(
    contexts: &'a mut Contexts,
    paths: &[PathBuf],
    args: &BatchArgs,
    want: Want,
) -> Result<Vec<Target<'a>>> {
    if args.all && !paths.is_empty() {
        return Err(Error::new(
            Code::ConflictingParameters,
            "--all works on the whole git work tree: give no paths with it",
        ));
    }
    let cwd = contexts.base.cwd.clone();
    let picked = list(&cwd, paths, args.recursive, args.all)?;
    let mut dirs = HashMap::new();
    let mut keyed = Vec::new();
    for (path, found) in picked {
        let key = if found {
            contexts.key_for(&path, &mut dirs)
        } else {
            PathBuf::new()
        };
        keyed.push((path, found, key));
    }
    let contexts = &*contexts;
    let mut out = Vec::new();
    for (path, found, key) in keyed {
        let ctx = contexts.get(&key);
        if found && !under_rule(ctx, &path, want) {
            continue;
        }
        out.push(Target { path, ctx, found });
    }
    Ok(out)
}

/// The paths named, with `-r` the files under the directories among them, with `--all` the
/// git work tree's files; each once, as (path, found by `-r`/`--all`).
pub fn list(
    cwd: &Path,
    paths: &[PathBuf],
    recursive: bool,
    all: bool,
) -> Result<Vec<(PathBuf, bool)>> {
    let mut picked: Vec<(PathBuf, bool)> = Vec::new();
    if all {
        let top = super::git::toplevel(cwd)?;
        for f in git_files(&top)? {
            picked.push((f, true));
        }
        drop_escaping_links(&mut picked, &top);
    }
    for p in paths {
        let abs = crate::config::absolute(cwd, p);
        if abs.is_dir() {
            if !recursive {
                return Err(Error::new(
                    Code::Generic,
                    format!(
                        "{}: can't operate on a directory (-r works on its files)",
                        p.display()
                    ),
                ));
            }
            let mut found = Vec::new();
            walk(&abs, &mut found)?;
            found.sort();
            let mut found: Vec<(PathBuf, bool)> = found.into_iter().map(|f| (f, true)).collect();
            drop_escaping_links(&mut found, &abs);
            picked.extend(found);
        } else {
            picked.push((p.clone(), false));
        }
    }
    let mut seen = std::collections::HashSet::new();
    picked.retain(|(p, _)| seen.insert(crate::config::absolute(cwd, p)));
    Ok(picked)
}

/// Whether a creation rule of `ctx`'s config matches `path`. Files to encrypt need a rule
/// with a `path_regex` (a catch-all rule would otherwise encrypt the whole tree).
fn under_rule(ctx: &Context, path: &Path, want: Want) -> bool {
    let Ok(Some(config)) = ctx.config() else {
        return false;
    };
    match config.rule_for(path, &ctx.cwd) {
        Ok(Some(rule)) => want != Want::Plain || rule.path_regex().is_some(),
        _ => false,
    }
}

/// The files git sees in the work tree at `top`: tracked, and untracked but not ignored
/// (what `git status` would show), existing on disk.
fn git_files(top: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = super::git::work_tree_files(top)?
        .into_iter()
        .map(|n| top.join(n))
        // deleted in the work tree but still in the index
        .filter(|p| p.symlink_metadata().is_ok_and(|m| !m.is_dir()))
        .collect();
    files.sort();
    files.dedup();
    Ok(files)
}

/// The files under `dir`, recursively; symbolic links to directories are not entered and
/// `.git` is skipped.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Error::new(
            Code::CouldNotReadInputFile,
            format!("{}: cannot list the directory: {e}", dir.display()),
        )
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if entry.file_name() != ".git" {
                walk(&path, out)?;
            }
        } else if kind.is_file() || (kind.is_symlink() && path.is_file()) {
            out.push(path);
        }
    }
    Ok(())
}

/// Drops the symbolic links among `files` that lead out of `root` (a repository's files may
/// not pull in files from elsewhere).
fn drop_escaping_links(files: &mut Vec<(PathBuf, bool)>, root: &Path) {
    let Ok(root) = root.canonicalize() else {
        return;
    };
    files.retain(|(f, _)| {
        let is_link = f
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink());
        !is_link || f.canonicalize().is_ok_and(|t| t.starts_with(&root))
    });
}

/// Whether the file at `path` has a sops block (`Want::Encrypted`) or not (`Want::Plain`),
/// read with the format its name gives; an unreadable file counts as neither.
pub fn is_wanted(ctx: &Context, path: &Path, want: Want) -> bool {
    if want == Want::Any {
        return true;
    }
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    // Most files of a tree are not sops files: no "sops" in them, no parse needed.
    let has_word = memchr::memmem::find(&bytes, b"sops").is_some();
    let encrypted = has_word
        && ctx.store_options().is_ok_and(|o| {
            Format::from_path(path)
                .store(&o)
                .load(&bytes)
                .is_ok_and(|l| super::filestatus::is_encrypted(l.metadata.as_ref()))
        });
    match want {
        Want::Any => true,
        Want::Encrypted => encrypted,
        // A file that does not parse is not encrypted; the command reports why.
        Want::Plain => !encrypted,
    }
}

/// The results of a run, in the order of the targets.
pub struct Report {
    pub results: Vec<(String, Result<Outcome>)>,
}

/// Works on every target with up to `jobs` threads; one file's failure (or panic) does not
/// stop the others. Found targets that are not what `want` asks for are skipped. A progress
/// bar shows on a terminal.
pub fn run<F>(targets: &[Target], jobs: usize, want: Want, work: F) -> Report
where
    F: Fn(&Target) -> Result<Outcome> + Sync,
{
    let results = run_each(targets, jobs, |t| {
        if t.found && !is_wanted(t.ctx, &t.path, want) {
            Ok(Outcome::Skipped)
        } else {
            work(t)
        }
    });
    Report {
        results: targets
            .iter()
            .zip(results)
            .map(|(t, r)| (t.path.display().to_string(), r))
            .collect(),
    }
}

/// The pool under [`run`]: `work` on every target, up to `jobs` at once, results in the
/// order of the targets.
pub fn run_each<T, F>(targets: &[Target], jobs: usize, work: F) -> Vec<Result<T>>
where
    T: Send,
    F: Fn(&Target) -> Result<T> + Sync,
{
    let bar = if targets.len() > 1 && std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(targets.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Result<T>>>> = targets.iter().map(|_| Mutex::new(None)).collect();
    let worker = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(t) = targets.get(i) else { break };
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(t)))
            .unwrap_or_else(|_| {
                Err(Error::new(
                    Code::Generic,
                    format!("{}: internal error (panic)", t.path.display()),
                ))
            });
        if let Ok(mut slot) = slots[i].lock() {
            *slot = Some(result);
        }
        bar.inc(1);
    };
    std::thread::scope(|s| {
        for n in 0..jobs.clamp(1, targets.len().max(1)) {
            let spawned = std::thread::Builder::new()
                .name(format!("worker-{n}"))
                .stack_size(WORKER_STACK)
                .spawn_scoped(s, worker);
            if spawned.is_err() && n == 0 {
                // no thread at all: do the work here
                worker();
            }
        }
    });
    bar.finish_and_clear();
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| Err(Error::new(Code::Generic, "not worked on (internal error)")))
        })
        .collect()
}

impl Report {
    /// Prints one line per failed file and the counts to stderr; an error when a file
    /// failed (with the failures' exit code when they all share one).
    pub fn finish(&self, changed_word: &str) -> Result<()> {
        let (mut changed, mut unchanged, mut skipped) = (0, 0, 0);
        let mut codes = Vec::new();
        for (name, r) in &self.results {
            match r {
                Ok(Outcome::Changed) => changed += 1,
                Ok(Outcome::Unchanged) => unchanged += 1,
                Ok(Outcome::Skipped) => skipped += 1,
                Err(e) => {
                    eprintln!("secret: failed: {}", failure_line(name, &e.message));
                    codes.push(e.code);
                }
            }
        }
        let mut line = format!(
            "secret: {changed} {changed_word}, {unchanged} unchanged, {} failed",
            codes.len()
        );
        if skipped > 0 {
            line.push_str(&format!(", {skipped} skipped (not for this command)"));
        }
        eprintln!("{line}");
        if codes.is_empty() {
            return Ok(());
        }
        let code = if codes.iter().all(|c| *c == codes[0]) {
            codes[0]
        } else {
            Code::Generic
        };
        Err(Error::new(
            code,
            format!("{} of {} file(s) failed", codes.len(), self.results.len()),
        ))
    }
}

/// "FILE: why", without repeating the file name when the message starts with it already.
fn failure_line(name: &str, message: &str) -> String {
    let first = message.lines().next().unwrap_or_default();
    if first.contains(name) {
        first.to_string()
    } else {
        format!("{name}: {first}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(dir: &Path) -> Context {
        Context::new(Default::default(), dir.to_path_buf())
    }

    #[test]
    fn runner_keeps_going_and_counts() {
        let dir = tempfile::tempdir().unwrap();
        let c = ctx(dir.path());
        let targets: Vec<Target> = (0..20)
            .map(|i| Target {
                path: PathBuf::from(format!("f{i}")),
                ctx: &c,
                found: false,
            })
            .collect();
        let report = run(&targets, 4, Want::Encrypted, |t| {
            match t.path.to_str().unwrap() {
                "f3" => Err(Error::new(Code::CouldNotRetrieveKey, "f3: no keys")),
                "f7" => panic!("boom"),
                "f9" => Ok(Outcome::Unchanged),
                _ => Ok(Outcome::Changed),
            }
        });
        assert_eq!(report.results.len(), 20);
        assert_eq!(report.results[0].0, "f0");
        assert!(matches!(report.results[3].1, Err(ref e) if e.code == Code::CouldNotRetrieveKey));
        assert!(matches!(report.results[7].1, Err(ref e) if e.message.contains("panic")));
        assert_eq!(report.results[9].1.as_ref().ok(), Some(&Outcome::Unchanged));
        let err = report.finish("updated").unwrap_err();
        assert_eq!(err.code, Code::Generic);
        assert!(err.message.starts_with("2 of 20"));
    }

    #[test]
    fn failure_line_names_the_file_once() {
        assert_eq!(failure_line("a.yaml", "a.yaml: bad\nmore"), "a.yaml: bad");
        assert_eq!(failure_line("a.yaml", "bad"), "a.yaml: bad");
    }

    #[test]
    fn walk_skips_git_and_links_out() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("x.yaml"), "a: 1").unwrap();
        std::fs::create_dir_all(dir.path().join("sub/.git")).unwrap();
        std::fs::write(dir.path().join("sub/.git/config"), "").unwrap();
        std::fs::write(dir.path().join("sub/a.yaml"), "a: 1").unwrap();
        std::os::unix::fs::symlink(outside.path().join("x.yaml"), dir.path().join("out.yaml"))
            .unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("outdir")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("sub/a.yaml"), dir.path().join("in.yaml"))
            .unwrap();
        let mut found = Vec::new();
        walk(dir.path(), &mut found).unwrap();
        let mut found: Vec<(PathBuf, bool)> = found.into_iter().map(|f| (f, true)).collect();
        drop_escaping_links(&mut found, dir.path());
        let mut names: Vec<String> = found
            .iter()
            .map(|(f, _)| {
                f.strip_prefix(dir.path())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        assert_eq!(names, ["in.yaml", "sub/a.yaml"]);
    }
}
