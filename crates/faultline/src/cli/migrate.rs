//! `faultline migrate --from DIR --to URL`: moves a whole SQLite installation to PostgreSQL.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

/// Options of `migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Data directory of the SQLite installation to copy (stop its server first).
    #[arg(long)]
    from: PathBuf,
    /// Empty PostgreSQL database to copy into: postgres://user@host:port/db.
    #[arg(long)]
    to: String,
}

pub async fn run(args: MigrateArgs) -> anyhow::Result<()> {
    let target = faultline_store::redact(&args.to);
    println!("Copying {} into {target}", args.from.display());
    let counts = faultline_store::transfer::sqlite_to_postgres(&args.from, &args.to)
        .await
        .with_context(|| format!("cannot migrate {} to {target}", args.from.display()))?;
    println!("{:<16} {:>10} {:>10}", "TABLE", "SQLITE", "POSTGRES");
    for c in &counts {
        println!("{:<16} {:>10} {:>10}", c.table, c.source, c.target);
    }
    let rows: u64 = counts.iter().map(|c| c.target).sum();
    println!(
        "Verified: every table has the same number of rows on both sides ({rows} rows). \
         Start the servers with --database-url {target}"
    );
    Ok(())
}
