//! `secret encrypt`: plaintext in, sops file out.

use super::batch::Want;
use super::io::{lock_in_place, Context, Destination, Files, Purpose};
use super::keyservice_args::KeyServiceArgs;
use super::plan::{for_input, plan_for, NewFileArgs};
use super::proc::EditLock;
use super::IoArgs;
use crate::error::{Code, Error, Result};
use crate::format::{Format, Loaded, Store};
use crate::sopsfile;
pub(super) use crate::sopsfile::Seal;
use crate::sopsfile::Sealed;
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Debug, Args, Clone)]
pub struct EncryptArgs {
    #[command(flatten)]
    pub io: IoArgs,
    #[command(flatten)]
    pub many: super::batch::ManyArgs,
    #[command(flatten)]
    pub keys: NewFileArgs,
    #[command(flatten)]
    pub keyservice: KeyServiceArgs,
    /// Encrypt into this existing encrypted file: its data key, master keys and selector are
    /// kept, and so is the ciphertext of every value that did not change; the result
    /// replaces it (or goes to --output; `--output -`: stdout)
    #[arg(long, value_name = "ENCRYPTED_FILE")]
    pub to: Option<PathBuf>,
}

pub fn run(ctx: &Context, args: EncryptArgs) -> Result<()> {
    if let Some(to) = &args.to {
        return run_into(ctx, &args, to);
    }
    if args.many.is_batch(&args.io) {
        let one = |ctx: &Context, io| {
            let many = Default::default();
            run(
                ctx,
                EncryptArgs {
                    io,
                    many,
                    ..args.clone()
                },
            )
        };
        return args
            .many
            .each_in_place(ctx, &args.io, Want::Plain, "encrypted", one);
    }
    let files = Files::resolve(&args.io, true)?;
    let label = files.label();
    let _lock = lock_in_place(&args.io)?;
    let loaded = files.load(ctx)?;
    sopsfile::refuse_encrypted(&loaded).map_err(|e| e.context(&label))?;
    let plan = plan_for(ctx, &files.name, &args.keys, &label)?;
    let plan = for_input(plan, files.input_format);
    let out_store = ctx.output_store(files.output_format)?;
    let sealed = seal_plain(
        ctx,
        loaded,
        Seal::New(plan),
        &*out_store,
        files.output_format,
        &label,
    )?;
    Destination::of(&args.io).write_with(0o644, |out| {
        sealed
            .write(&*out_store, out)
            .map_err(|e| e.context(&label))
    })
}

/// [`sopsfile::seal_plain`] with the command's key services; errors name `label`.
pub(super) fn seal_plain(
    ctx: &Context,
    loaded: Loaded,
    seal: Seal,
    store: &dyn Store,
    format: Format,
    label: &str,
) -> Result<Sealed> {
    sopsfile::seal_plain(loaded, seal, store, format, ctx.key_services())
        .map_err(|e| e.context(label))
}

/// `encrypt --to EXISTING`: the plaintext encrypted under EXISTING's metadata and data key.
/// EXISTING is opened as `edit` opens a file (its MAC checked, every value's nonce
/// remembered), so a value that is the same in the plaintext at the same place keeps its
/// exact ciphertext; changed and new values get fresh nonces; what the plaintext lacks is
/// gone.
fn run_into(ctx: &Context, args: &EncryptArgs, to: &Path) -> Result<()> {
    let fixed_by_existing = args.keys.selectors.selector()?.is_some()
        || args.keys.mac_only_encrypted
        || args.keys.shamir_secret_sharing_threshold.is_some();
    if args.io.in_place || fixed_by_existing {
        return Err(Error::new(
            Code::ConflictingParameters,
            "--to keeps the existing file's keys, selector and MAC mode and writes to it: it \
             cannot be used with --in-place, a selector flag, --mac-only-encrypted or \
             --shamir-secret-sharing-threshold",
        ));
    }
    // Plaintext from stdin takes its format from the existing file's name.
    let plain_io = IoArgs {
        filename_override: args
            .io
            .filename_override
            .clone()
            .or_else(|| args.io.file.is_none().then(|| to.to_path_buf())),
        ..args.io.clone()
    };
    let plain_files = Files::resolve(&plain_io, true)?;
    let existing_io = IoArgs {
        file: Some(to.to_path_buf()),
        input_type: args.io.output_type.clone(),
        output_type: args.io.output_type.clone(),
        ..IoArgs::default()
    };
    let existing = Files::resolve(&existing_io, false)?;
    let label = existing.label();
    let destination = match args.io.output.as_deref() {
        Some(out) if out == Path::new("-") => Destination::Stdout,
        Some(out) => Destination::File(out),
        None => Destination::File(to),
    };
    // Held until the result is written, so no other run changes EXISTING in between.
    let _lock = match destination {
        Destination::File(path) if path == to => Some(EditLock::acquire(to)?),
        _ => None,
    };
    let loaded = plain_files.load(ctx)?;
    sopsfile::refuse_encrypted(&loaded).map_err(|e| e.context(plain_files.label()))?;
    let mut opened = existing.open(ctx, false, Purpose::Rewrite)?;
    ctx.verbose(|| format!("encrypting {} into {label}", plain_files.label()));

    let out_store = existing.output_format.store(&ctx.store_options()?);
    let sealed = seal_plain(
        ctx,
        loaded,
        Seal::Into(&mut opened),
        &*out_store,
        existing.output_format,
        &label,
    )?;
    destination.write_with(0o644, |out| {
        sealed
            .write(&*out_store, out)
            .map_err(|e| e.context(&label))
    })
}
