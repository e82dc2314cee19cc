//! The `secret` command line: parse arguments, run the subcommand, map errors to sops'
//! exit codes.

fn main() {
    std::process::exit(secret::cli::run(std::env::args_os().collect()));
}
