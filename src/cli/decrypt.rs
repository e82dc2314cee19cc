//! `secret decrypt`: sops file in, plaintext out.

use super::io::{lock_in_place, Context, Destination, Files, Purpose};
use super::IoArgs;
use crate::error::Result;

use super::batch::Want;
use crate::tree::{Node, Scalar};
use crate::treepath;
use clap::Args;

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
}

pub fn run(ctx: &Context, args: DecryptArgs) -> Result<()> {
    if args.many.is_batch(&args.io) {
        let one = |ctx: &Context, io| {
            let many = Default::default();
            run(
                ctx,
                DecryptArgs {
                    io,
                    many,
                    ..args.clone()
                },
            )
        };
        return args
            .many
            .each_in_place(ctx, &args.io, Want::Encrypted, "decrypted", one);
    }
    let files = Files::resolve(&args.io, false)?;
    let label = files.label();
    let extract = args.extract.as_deref().map(treepath::parse).transpose()?;
    let options = ctx.store_options()?;
    let _lock = lock_in_place(&args.io)?;
    let loaded = files.load(ctx)?;
    let encrypted = args.mask.then(|| loaded.docs.clone());
    let mut opened = files.open_loaded(ctx, loaded, args.ignore_mac, Purpose::Read)?;
    if let Some(encrypted) = &encrypted {
        crate::mask::mask_docs(&mut opened.docs, encrypted, Default::default());
    }
    let store = files.output_format.store(&options);
    let out = match extract {
        None => store.emit_over(&opened.docs, None, opened.source.as_deref()),
        Some(path) => {
            let root = Node::Map(opened.docs.into_iter().next().unwrap_or_default());
            match treepath::get(&root, &path).map_err(|e| e.context(&label))? {
                Node::Scalar(Scalar::Str(s)) => Ok(s.clone().into_bytes()),
                Node::Scalar(Scalar::Bytes(b)) => Ok(b.clone()),
                Node::Map(m) => store.emit(std::slice::from_ref(m), None),
                other => store.emit_value(other),
            }
        }
    }
    .map_err(|e| e.context(&label))?;
    Destination::of(&args.io).write(&out, 0o600)
}
