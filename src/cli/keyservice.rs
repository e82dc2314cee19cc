//! `secret keyservice`: serve this machine's keys to other `secret` and sops runs over
//! sops' gRPC key service protocol.

use super::io::Context;
use crate::error::Result;
use crate::keys::service::server::{self, Options};
use clap::Args;

#[derive(Debug, Args)]
pub struct KeyServiceArgs {
    /// Network to listen on: tcp, tcp4, tcp6 or unix
    #[arg(
        long,
        visible_alias = "net",
        default_value = "tcp",
        value_name = "NETWORK"
    )]
    pub network: String,
    /// Address to listen on: HOST:PORT for tcp, the socket path for unix
    #[arg(
        long,
        visible_alias = "addr",
        default_value = "127.0.0.1:5000",
        value_name = "ADDRESS"
    )]
    pub address: String,
    /// Ask on the terminal before answering each request
    #[arg(long)]
    pub prompt: bool,
}

pub fn run(ctx: &Context, args: KeyServiceArgs) -> Result<()> {
    server::serve(Options {
        network: args.network,
        address: args.address,
        prompt: args.prompt,
        verbose: ctx.global.verbose,
    })
}
