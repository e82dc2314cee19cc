//! `secret decrypt`: sops file in, plaintext out.

use super::io::{lock_in_place, Context, Destination, Files, Purpose};
use super::keyservice_args::KeyServiceArgs;
use super::IoArgs;
use crate::error::Result;

use super::batch::Want;
use crate::tree::{Map, Node, Scalar};
use crate::treepath;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args, Clone)]
pub struct DecryptArgs {
    #[command(flatten)]
    pub io: IoArgs,
    #[command(flatten)]
    pub many: super::batch::ManyArgs,
    /// Print only this part of the tree, e.g. '["db"]["password"]' or '["list"][0]'
    #[arg(long, value_name = "PATH")]
    pub extract: Option<String>,
    /// Do not check the file's MAC
    #[arg(long)]
    pub ignore_mac: bool,
    /// Replace every decrypted value with ***** (layout and comments kept; for logs)
    #[arg(long)]
    pub mask: bool,
    #[command(flatten)]
    pub keyservice: KeyServiceArgs,
    /// Decrypt FILE and MORE files into one document: a later file's keys override an
    /// earlier one's (maps are merged key by key); written as FILE's format
    #[arg(long, conflicts_with_all = ["mask", "in_place"])]
    pub merge: bool,
}

/// The first documents of `paths`, decrypted and laid over each other in order (a later
/// file's keys win, maps merge key by key; see [`crate::tree::overlay`]).
pub(super) fn merged(ctx: &Context, paths: &[PathBuf], input_type: Option<&str>) -> Result<Map> {
    super::io::overlay_files(paths, input_type, |io| {
        Files::resolve(io, false)?.open(ctx, false, Purpose::Read)
    })
}

pub fn run(ctx: &Context, args: DecryptArgs) -> Result<()> {
    decrypt(ctx, args, Ending::Exit)
}

/// What comes after a decrypted file is written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ending {
    /// The process exits (one file, or `--merge`).
    Exit,
    /// More files follow (a batch).
    MoreFiles,
}

impl Ending {
    /// Disposes of `tree`, written out. Before the process exits it is left as it is: freeing
    /// and wiping a 50,000-value tree took 0.6 ms, 4% of a dotenv decrypt, and the system
    /// clears a process's memory before anyone else gets it. Between the files of a batch
    /// it is freed (and wiped) as usual.
    fn dispose<T>(self, tree: T) {
        match self {
            Ending::Exit => std::mem::forget(tree),
            Ending::MoreFiles => drop(tree),
        }
    }
}

fn decrypt(ctx: &Context, args: DecryptArgs, ending: Ending) -> Result<()> {
    // An empty path is no `--extract`, as in sops.
    let extract = (args.extract.as_deref().filter(|p| !p.is_empty()))
        .map(treepath::parse)
        .transpose()?;
    if args.merge {
        let paths: Vec<PathBuf> = args
            .io
            .file
            .iter()
            .chain(&args.many.more)
            .cloned()
            .collect();
        let doc = merged(ctx, &paths, args.io.input_type.as_deref())?;
        let files = Files::resolve(&args.io, false)?;
        return emit(ctx, extract, &args.io, &files, vec![doc], None, ending);
    }
    if args.many.is_batch(&args.io) {
        let one = |ctx: &Context, io| {
            let many = Default::default();
            let args = DecryptArgs {
                io,
                many,
                ..args.clone()
            };
            decrypt(ctx, args, Ending::MoreFiles)
        };
        return args
            .many
            .each_in_place(ctx, &args.io, Want::Encrypted, "decrypted", one);
    }
    let files = Files::resolve(&args.io, false)?;
    let _lock = lock_in_place(&args.io)?;
    let loaded = files.load_encrypted(ctx)?;
    let encrypted = args.mask.then(|| loaded.docs.clone());
    let mut opened = files.open_loaded(ctx, loaded, args.ignore_mac, Purpose::Read)?;
    if let Some(encrypted) = &encrypted {
        crate::mask::mask_docs(&mut opened.docs, encrypted, Default::default());
    }
    emit(
        ctx,
        extract,
        &args.io,
        &files,
        opened.docs,
        opened.source.as_deref(),
        ending,
    )
}

/// Writes decrypted documents as the output format has them (or the `--extract`ed part).
fn emit(
    ctx: &Context,
    extract: Option<Vec<treepath::Step>>,
    io: &IoArgs,
    files: &Files,
    docs: Vec<Map>,
    source: Option<&[u8]>,
    ending: Ending,
) -> Result<()> {
    let label = files.label();
    let store = ctx.output_store(files.output_format)?;
    let destination = Destination::of(io);
    let out = match extract {
        None => {
            let written = destination.write_with(0o600, |out| {
                store
                    .write_over(&docs, None, source, out)
                    .map_err(|e| e.context(&label))
            });
            ending.dispose(docs);
            return written;
        }
        Some(path) => {
            let root = Node::Map(docs.into_iter().next().unwrap_or_default());
            match treepath::get(&root, &path).map_err(|e| e.context(&label))? {
                Node::Scalar(Scalar::Str(s)) => Ok(s.clone().into_bytes()),
                Node::Scalar(Scalar::Bytes(b)) => Ok(b.to_vec()),
                Node::Map(m) => store.emit(std::slice::from_ref(m), None),
                other => store.emit_value(other),
            }
        }
    }
    .map_err(|e| e.context(&label))?;
    destination.write(&zeroize::Zeroizing::new(out), 0o600)
}

#[cfg(test)]
mod tests {
    use super::Ending;
    use std::cell::Cell;

    struct Counted<'a>(&'a Cell<u32>);

    impl Drop for Counted<'_> {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }

    #[test]
    fn a_batch_frees_each_tree_and_the_last_run_leaves_it_to_the_exit() {
        let drops = Cell::new(0);
        Ending::MoreFiles.dispose(Counted(&drops));
        assert_eq!(drops.get(), 1);
        Ending::Exit.dispose(Counted(&drops));
        assert_eq!(drops.get(), 1);
    }
}
