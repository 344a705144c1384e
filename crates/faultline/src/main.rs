//! `faultline`: the one binary. Parses the command line and runs a subcommand.

mod cli;

use clap::Parser;

/// mimalloc rather than the system allocator: every event is parsed into a tree of hundreds of
/// small allocations and freed again, which glibc's malloc does markedly slower (more events/s
/// in `bench/run.sh`, for a few tens of MiB more resident memory under load).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli::run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(1)
        }
    }
}
