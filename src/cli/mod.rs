//! The command line: clap definitions, sops' legacy spellings, dispatch.

mod batch;
mod check;
mod checkcache;
mod completion;
mod decrypt;
mod edit;
mod encrypt;
mod exec;
mod explain;
mod filestatus;
mod git;
mod gitfilter;
mod gitfilter_glob;
mod gitfilter_process;
mod gitfilter_setup;
mod groups;
mod init;
mod inplace;
pub mod io;
mod keyfile;
#[cfg(feature = "keyservice")]
mod keyservice;
pub mod keyservice_args;
mod legacy;
mod manual;
mod plan;
mod proc;
mod publish;
mod rotate;
mod set;
mod updatekeys;
mod version;
mod wiped;

use crate::error::{Code, Error, Result};
use clap::{Args, Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;

/// Encrypt the values of YAML, JSON, dotenv, INI, TOML and binary secrets files; a drop-in for
/// sops. Without a subcommand, sops' legacy form: `-d`, `-e`, `-r`, `--set` or (none) edit
/// FILE.
#[derive(Debug, Parser)]
#[command(
    name = "secret",
    about,
    max_term_width = 100,
    disable_version_flag = true,
    args_override_self = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(flatten)]
    pub legacy: legacy::LegacyArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// [`Cli`] for a command line whose first word is a subcommand: the same, without sops'
/// legacy top-level flags, which can only come before the subcommand (after it, its own
/// flags are read). Their sixty definitions were built for nothing on every run, a third of
/// the time taken to read the command line.
///
/// Only its subcommands' help is ever shown, so only what they inherit is set.
#[derive(Debug, Parser)]
#[command(name = "secret", max_term_width = 100, args_override_self = true)]
struct SubcommandCli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

impl Cli {
    /// Parses `args` (the program's name first), with [`SubcommandCli`] when the first
    /// argument names a subcommand.
    pub fn parse_args(args: Vec<OsString>) -> std::result::Result<Cli, clap::Error> {
        let first = args.get(1).and_then(|a| a.to_str());
        if first.is_some_and(<Command as Subcommand>::has_subcommand) && legacy_variables_read() {
            let SubcommandCli { global, command } = SubcommandCli::try_parse_from(args)?;
            return Ok(Cli {
                global,
                legacy: legacy::LegacyArgs::default(),
                command: Some(command),
            });
        }
        // One definition of the full command line, for finding the file and for reading.
        let mut command = <Cli as clap::CommandFactory>::command();
        let args = legacy_flags_before_the_file(&command, args);
        let mut matches = command.try_get_matches_from_mut(args)?;
        <Cli as clap::FromArgMatches>::from_arg_matches_mut(&mut matches)
    }
}

/// sops' top-level (legacy) form reads flags only up to the first file name: every word after
/// it is an ignored positional argument, flag-like or not (`secret -d f.yaml -i` prints the
/// plaintext and leaves the file alone, as sops does, rather than decrypting it in place).
/// So the words after the file are put after `--`, where clap takes them all as positional
/// ([`legacy::LegacyArgs::more`], ignored with sops' warnings).
fn legacy_flags_before_the_file(command: &clap::Command, args: Vec<OsString>) -> Vec<OsString> {
    let takes_value = |word: &str| {
        command.get_arguments().any(|arg| {
            let named = match word.strip_prefix("--") {
                Some(long) => arg.get_long() == Some(long),
                // A short cluster (`-di`): its last letter decides.
                None => word[1..]
                    .chars()
                    .last()
                    .is_some_and(|c| arg.get_short() == Some(c)),
            };
            named && arg.get_action().takes_values() && !arg.is_require_equals_set()
        })
    };
    let mut words = args.iter().enumerate().skip(1);
    let mut file = None;
    while let Some((i, word)) = words.next() {
        let Some(word) = word.to_str() else {
            file = Some(i);
            break;
        };
        if word == "--" {
            file = Some(i + 1);
            break;
        }
        if word.len() > 1 && word.starts_with('-') {
            if !word.contains('=') && takes_value(word) {
                words.next();
            }
            continue;
        }
        file = Some(i);
        break;
    }
    // A subcommand after global flags (`secret --config c.yaml decrypt f.yaml -i`) reads its
    // own flags anywhere.
    let subcommand = |i: usize| {
        args[i]
            .to_str()
            .is_some_and(<Command as Subcommand>::has_subcommand)
    };
    match file {
        Some(i) if i + 1 < args.len() && !subcommand(i) && args[..=i].iter().all(|w| w != "--") => {
            let mut cut = args;
            let rest = cut.split_off(i + 1);
            cut.push("--".into());
            cut.extend(rest);
            cut
        }
        _ => args,
    }
}

/// Whether the boolean variables of sops' top-level flags can be read. sops fails on one it
/// cannot read whatever the command, so a command line is only read without the legacy
/// flags (see [`SubcommandCli`]) when both are unset or readable; else the full parser
/// reports the variable as sops does.
fn legacy_variables_read() -> bool {
    [
        legacy::DISABLE_VERSION_CHECK_VAR,
        keyservice_args::ENABLE_LOCAL_KEYSERVICE_VAR,
    ]
    .iter()
    .all(|name| match std::env::var_os(name) {
        None => true,
        Some(value) => value
            .to_str()
            .is_some_and(|v| keyservice_args::parse_go_bool(v).is_ok()),
    })
}

// Options every subcommand takes.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Path to the .sops.yaml to use instead of searching up from the working directory
    #[arg(long, global = true, env = "SOPS_CONFIG", value_name = "PATH", value_parser = path_or_empty())]
    pub config: Option<PathBuf>,
    /// Say what is happening on stderr (never prints secrets)
    #[arg(long, global = true)]
    pub verbose: bool,
    /// Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)
    #[arg(
        long,
        global = true,
        env = "SOPS_DECRYPTION_ORDER",
        value_name = "TYPES"
    )]
    pub decryption_order: Option<String>,
    /// Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding
    /// .sops.yaml's stores settings
    #[arg(long, global = true, value_name = "N", allow_negative_numbers = true)]
    pub indent: Option<i64>,
}

// Each subcommand's arguments are built only when that subcommand is the one run (or its
// help is shown): building all of them cost a quarter of a small file's decryption.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Encrypt a file (stdout by default)
    Encrypt(Box<encrypt::EncryptArgs>),
    /// Decrypt a file (stdout by default)
    Decrypt(decrypt::DecryptArgs),
    /// Generate a new data key and re-encrypt every value (stdout by default)
    Rotate(rotate::RotateArgs),
    /// Give files the master keys of their .sops.yaml creation rule (same data key)
    Updatekeys(updatekeys::UpdateKeysArgs),
    /// Add or delete key groups (Shamir secret sharing)
    Groups(groups::GroupsArgs),
    /// Print {"encrypted":true} or {"encrypted":false} for a file
    Filestatus(filestatus::FileStatusArgs),
    /// Edit an encrypted file in your editor (a missing file starts from an example)
    Edit(edit::EditArgs),
    /// Run a command with the decrypted values in its environment
    ExecEnv(exec::ExecEnvArgs),
    /// Run a command with the decrypted file at the path that replaces {}
    ExecFile(exec::ExecFileArgs),
    /// Set one value of an encrypted file in place: set FILE PATH JSON-VALUE
    Set(set::SetArgs),
    /// Remove one value of an encrypted file in place: unset FILE PATH
    Unset(set::UnsetArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completion(completion::CompletionArgs),
    /// Create an age key and a .sops.yaml for this repository
    Init(init::InitArgs),
    /// Serve this machine's keys to other secret and sops runs (sops' gRPC key service)
    #[cfg(feature = "keyservice")]
    Keyservice(keyservice::KeyServiceArgs),
    /// Upload encrypted files where the .sops.yaml destination_rules say (S3, Vault KV)
    Publish(publish::PublishArgs),
    /// Show which .sops.yaml, rule, recipients and selector apply to a file
    Explain(explain::ExplainArgs),
    /// Fail when secrets are committed: unencrypted files under a rule, keys, tokens
    Check(check::CheckArgs),
    /// Set up git diff and merge drivers for encrypted files (--filter: plaintext work tree)
    GitSetup(git::SetupArgs),
    /// git diff driver: print an encrypted file decrypted, values masked
    #[command(hide = true)]
    GitTextconv(git::TextconvArgs),
    /// git merge driver: merge three versions of an encrypted file
    #[command(hide = true)]
    MergeDriver(git::MergeArgs),
    /// git clean/smudge filter: encrypt (clean) or decrypt (smudge) stdin for PATH; process:
    /// git's long-running filter protocol
    #[command(hide = true)]
    GitFilter(gitfilter::FilterArgs),
}

impl Command {
    /// The command's `--keyservice`/`--enable-local-keyservice`, for commands that use keys.
    /// The input/output options of the commands that have them.
    fn io_mut(&mut self) -> Option<&mut IoArgs> {
        match self {
            Command::Encrypt(a) => Some(&mut a.io),
            Command::Decrypt(a) => Some(&mut a.io),
            Command::Rotate(a) => Some(&mut a.io),
            _ => None,
        }
    }

    fn keyservice_args(&self) -> Option<&keyservice_args::KeyServiceArgs> {
        match self {
            Command::Encrypt(a) => Some(&a.keyservice),
            Command::Decrypt(a) => Some(&a.keyservice),
            Command::Rotate(a) => Some(&a.keyservice),
            Command::Updatekeys(a) => Some(&a.keyservice),
            Command::Edit(a) => Some(&a.keyservice),
            Command::ExecEnv(a) => Some(&a.keyservice),
            Command::ExecFile(a) => Some(&a.keyservice),
            Command::Set(a) => Some(&a.change.keyservice),
            Command::Unset(a) => Some(&a.change.keyservice),
            Command::Publish(a) => Some(&a.keyservice),
            Command::Groups(g) => Some(match &g.command {
                groups::GroupsCommand::Add(a) => &a.common.keyservice,
                groups::GroupsCommand::Delete(d) => &d.common.keyservice,
            }),
            _ => None,
        }
    }
}

// Input and output options shared by encrypt and decrypt.
#[derive(Debug, Args, Clone, Default)]
pub struct IoArgs {
    /// The file; without one, standard input is read
    pub file: Option<PathBuf>,
    /// Write the result back to FILE (atomically, keeping its mode)
    #[arg(short = 'i', long)]
    pub in_place: bool,
    /// Write the result to PATH instead of stdout
    #[arg(long, value_name = "PATH", value_parser = path_or_empty())]
    pub output: Option<PathBuf>,
    /// Input format (default: from the file name)
    #[arg(long, value_name = "TYPE", value_parser = FormatName)]
    pub input_type: Option<String>,
    /// Output format (default: from the file name)
    #[arg(long, value_name = "TYPE", value_parser = FormatName)]
    pub output_type: Option<String>,
    /// Use this name instead of FILE for picking formats and the creation rule
    #[arg(long, value_name = "NAME", value_parser = path_or_empty())]
    pub filename_override: Option<PathBuf>,
}

/// A path option that may be empty (clap's own path parser refuses that): sops takes an
/// empty `--config`, `SOPS_CONFIG`, `--output` or `--filename-override` as not given, Go's
/// flags and environment reads leaving an unset string empty. [`drop_empty`] does the same
/// after parsing.
fn path_or_empty() -> impl clap::builder::TypedValueParser<Value = PathBuf> {
    use clap::builder::TypedValueParser as _;
    clap::builder::OsStringValueParser::new().map(PathBuf::from)
}

/// Forgets an empty path option ([`path_or_empty`]).
fn drop_empty(path: &mut Option<PathBuf>) {
    if path.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
        *path = None;
    }
}

/// The value of `--input-type`/`--output-type`. Help and completion offer the format names;
/// any text is accepted, since sops silently falls back to the file name for an unknown one.
#[derive(Debug, Clone, Copy)]
pub struct FormatName;

impl clap::builder::TypedValueParser for FormatName {
    type Value = String;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> std::result::Result<String, clap::Error> {
        Ok(value.to_string_lossy().into_owned())
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            crate::format::Format::ALL
                .iter()
                .map(|f| clap::builder::PossibleValue::new(f.name())),
        ))
    }
}

/// Runs the command line and returns the process exit code.
pub fn run(args: Vec<OsString>) -> i32 {
    let as_sops = version::invoked_as_sops(args.first().map(OsString::as_os_str));
    let cli = match Cli::parse_args(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => Code::Generic as i32,
            };
            let _ = e.print();
            return code;
        }
    };
    if cli.legacy.version {
        print!("{}", version::text(as_sops, cli.legacy.check_for_updates));
        return 0;
    }
    match dispatch(cli) {
        Ok(code) => code,
        // Under sops' name, errors are printed as sops prints them: the bare message.
        Err(e) if as_sops => {
            eprintln!("{}", e.message);
            e.code as i32
        }
        Err(e) => {
            eprintln!("secret: {}", e.message);
            e.code as i32
        }
    }
}

/// Runs the subcommand; `Ok` carries the exit code (commands that run a child pass its
/// code on, an edit abandoned on a signal exits 128+n).
fn dispatch(cli: Cli) -> Result<i32> {
    let cwd = std::env::current_dir().map_err(|e| {
        Error::new(
            Code::Generic,
            format!("cannot read the working directory: {e}"),
        )
    })?;
    let mut command = match cli.command {
        Some(command) => command,
        None => cli.legacy.into_command()?,
    };
    let mut global = cli.global;
    drop_empty(&mut global.config);
    if let Some(io) = command.io_mut() {
        drop_empty(&mut io.output);
        drop_empty(&mut io.filename_override);
    }
    let mut ctx = io::Context::new(global, cwd);
    if let Some(services) = command.keyservice_args() {
        ctx = ctx.with_key_services(services.clone());
    }
    match command {
        Command::Encrypt(args) => encrypt::run(&ctx, *args).map(|()| 0),
        Command::Decrypt(args) => decrypt::run(&ctx, args).map(|()| 0),
        Command::Rotate(args) => rotate::run(&ctx, args).map(|()| 0),
        Command::Updatekeys(args) => updatekeys::run(&ctx, args).map(|()| 0),
        Command::Groups(args) => groups::run(&ctx, args).map(|()| 0),
        Command::Filestatus(args) => filestatus::run(&ctx, args).map(|()| 0),
        Command::Edit(args) => edit::run(&ctx, args),
        Command::ExecEnv(args) => exec::run_env(&ctx, args),
        Command::ExecFile(args) => exec::run_file(&ctx, args),
        Command::Set(args) => set::run_set(&ctx, args),
        Command::Unset(args) => set::run_unset(&ctx, args),
        Command::Completion(args) => completion::run(&ctx, args).map(|()| 0),
        Command::Init(args) => init::run(&ctx, args).map(|()| 0),
        #[cfg(feature = "keyservice")]
        Command::Keyservice(args) => keyservice::run(&ctx, args).map(|()| 0),
        Command::Publish(args) => publish::run(&ctx, args).map(|()| 0),
        Command::Explain(args) => explain::run(&ctx, args).map(|()| 0),
        Command::Check(args) => check::run(&ctx, args).map(|()| 0),
        Command::GitSetup(args) => git::setup(&ctx, args).map(|()| 0),
        Command::GitTextconv(args) => git::textconv(&ctx, args).map(|()| 0),
        Command::MergeDriver(args) => git::merge_driver(&ctx, args).map(|()| 0),
        Command::GitFilter(args) => gitfilter::run(&ctx, args).map(|()| 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(args: &[&str]) -> Cli {
        Cli::parse_args(args.iter().map(OsString::from).collect()).unwrap()
    }

    /// A subcommand first is read without the legacy flags, to the same result as with
    /// them; a legacy flag after the subcommand is not one of its flags.
    #[test]
    fn a_subcommand_first_parses_as_with_the_legacy_flags() {
        let line = [
            "secret",
            "exec-env",
            "--pristine",
            "--config",
            "c",
            "f.env",
            "a b",
        ];
        let fast = parse(&line);
        let full = Cli::try_parse_from(line).unwrap();
        // The legacy flags are unused with a subcommand (the full parser may still have read
        // variables into them).
        assert_eq!(format!("{:?}", fast.global), format!("{:?}", full.global));
        assert_eq!(format!("{:?}", fast.command), format!("{:?}", full.command));
        assert!(matches!(fast.command, Some(Command::ExecEnv(ref e)) if e.pristine));
        let err = Cli::parse_args(["secret", "exec-env", "-d"].map(OsString::from).to_vec());
        assert_eq!(
            err.unwrap_err().kind(),
            clap::error::ErrorKind::UnknownArgument,
            "a legacy flag after the subcommand is not one of its flags"
        );
    }

    #[test]
    fn cli_without_legacy_flags_is_consistent() {
        use clap::CommandFactory;
        SubcommandCli::command().debug_assert();
    }

    #[test]
    fn legacy_flags_become_subcommands() {
        let cli = parse(&["secret", "-d", "--kms", "arn", "--indent", "2", "f.yaml"]);
        assert!(cli.command.is_none());
        assert_eq!(cli.global.indent, Some(2));
        match cli.legacy.into_command().unwrap() {
            Command::Decrypt(d) => assert_eq!(d.io.file, Some(PathBuf::from("f.yaml"))),
            other => panic!("{other:?}"),
        }
        let cli = parse(&["secret", "-r", "-i", "--add-age", "a", "f.json"]);
        match cli.legacy.into_command().unwrap() {
            Command::Rotate(r) => {
                assert!(r.io.in_place);
                assert_eq!(r.changes.add_age.as_deref(), Some("a"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bare_file_means_edit_and_no_file_is_exit_100() {
        let cli = parse(&["secret", "--config", "c.yaml", "-s", "f.json"]);
        assert_eq!(cli.global.config, Some(PathBuf::from("c.yaml")));
        match cli.legacy.into_command().unwrap() {
            Command::Edit(e) => assert!(e.show_master_keys && e.file == Path::new("f.json")),
            other => panic!("{other:?}"),
        }
        let err = parse(&["secret", "-d"]).legacy.into_command().unwrap_err();
        assert_eq!(err.code, Code::NoFileSpecified);
    }

    #[test]
    fn legacy_set_takes_its_in_place_flag_and_splits_path_and_value() {
        let cli = parse(&["secret", "--set", r#"["a"][0] {"b": 1}"#, "-i", "f.json"]);
        match cli.legacy.into_command().unwrap() {
            Command::Set(s) => {
                assert_eq!(s.path, r#"["a"][0]"#);
                assert_eq!(s.value.as_deref(), Some(r#"{"b": 1}"#));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn top_level_flags_before_a_subcommand_are_accepted() {
        let cli = parse(&[
            "secret",
            "--kms",
            "arn",
            "-i",
            "--indent=-1",
            "decrypt",
            "f.yaml",
        ]);
        assert_eq!(cli.global.indent, Some(-1));
        assert!(matches!(cli.command, Some(Command::Decrypt(_))));
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    /// Subcommands are defined when built: a doc comment on an `Args` struct would then
    /// replace the subcommand's help text (its variant's doc comment).
    #[test]
    fn lazily_built_subcommands_keep_their_help_text() {
        use clap::CommandFactory;
        let declared = Cli::command();
        let mut built = Cli::command();
        built.build();
        for sub in declared.get_subcommands() {
            let after = built.find_subcommand(sub.get_name()).unwrap();
            assert_eq!(
                after.get_about().map(ToString::to_string),
                sub.get_about().map(ToString::to_string),
                "secret {}",
                sub.get_name()
            );
            assert!(after.get_arguments().count() > 0, "{}", sub.get_name());
        }
    }
}
