//! `once`: the command-line program of the once node.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use once_cli::{Cli, run};

fn main() -> ExitCode {
    let cli = Cli::parse();
    once_runtime::logging::init_with_default(cli.log_format, cli.default_log_level());
    once_pki::install_crypto_provider();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(71);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
