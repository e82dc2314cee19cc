//! `--keyservice` and `--enable-local-keyservice`: accepted by every command that uses keys,
//! as sops does, and kept here for the key service client to use.

use clap::{ArgAction, Args};

/// The variable of `--enable-local-keyservice`.
pub const ENABLE_LOCAL_KEYSERVICE_VAR: &str = "SOPS_ENABLE_LOCAL_KEYSERVICE";

// Which key services a command may ask to wrap and unwrap data keys.
#[derive(Debug, Args, Clone, PartialEq, Eq)]
pub struct KeyServiceArgs {
    /// A key service to use in addition to the local one, e.g. tcp://host:5000 or
    /// unix:///path/sock (repeatable; the variable takes a comma-separated list)
    #[arg(
        long = "keyservice",
        env = "SOPS_KEYSERVICE",
        value_name = "URI",
        value_delimiter = ','
    )]
    pub keyservice: Vec<String>,
    /// Use the local key service (the default; only `=false` or the variable turn it off)
    // `require_equals`: `--enable-local-keyservice false` leaves `false` as the FILE, as in sops.
    #[arg(
        long,
        env = ENABLE_LOCAL_KEYSERVICE_VAR,
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_value = "true",
        default_missing_value = "true",
        value_parser = parse_go_bool,
        action = ArgAction::Set
    )]
    pub enable_local_keyservice: bool,
}

impl Default for KeyServiceArgs {
    fn default() -> KeyServiceArgs {
        KeyServiceArgs {
            keyservice: Vec::new(),
            enable_local_keyservice: true,
        }
    }
}

/// Parses a boolean flag or variable value the way Go's `strconv.ParseBool` does (sops reads
/// its boolean variables with it): `yes` or `on` are errors, not true.
pub fn parse_go_bool(text: &str) -> Result<bool, String> {
    crate::crypt::cipher::parse_go_bool(text).ok_or_else(|| {
        format!("could not parse {text} as bool value (use true, false, 1, 0, t or f)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Probe {
        #[command(flatten)]
        ks: KeyServiceArgs,
        file: Option<String>,
    }

    fn parse(args: &[&str]) -> Probe {
        Probe::try_parse_from(std::iter::once("probe").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn go_bool_accepts_exactly_parsebool_spellings() {
        for t in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(parse_go_bool(t), Ok(true), "{t}");
        }
        for f in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(parse_go_bool(f), Ok(false), "{f}");
        }
        for bad in ["yes", "no", "tRUE", "", "on"] {
            assert!(parse_go_bool(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn local_keyservice_defaults_on_and_turns_off_only_with_equals() {
        assert!(parse(&[]).ks.enable_local_keyservice);
        assert!(
            parse(&["--enable-local-keyservice"])
                .ks
                .enable_local_keyservice
        );
        assert!(
            !parse(&["--enable-local-keyservice=false"])
                .ks
                .enable_local_keyservice
        );
        let spaced = parse(&["--enable-local-keyservice", "false"]);
        assert!(spaced.ks.enable_local_keyservice);
        assert_eq!(spaced.file.as_deref(), Some("false"));
    }

    #[test]
    fn keyservices_repeat() {
        let p = parse(&["--keyservice", "tcp://a:1", "--keyservice=unix:///s", "f"]);
        assert_eq!(p.ks.keyservice, ["tcp://a:1", "unix:///s"]);
    }
}
