//! Moving a whole installation from the embedded SQLite database to PostgreSQL
//! (`faultline migrate --from DIR --to URL`).
//!
//! Every table is copied with its ids (binary `COPY`, one PostgreSQL transaction for the lot),
//! sequences are moved past the copied ids, and each table's row count is compared on both sides.
//! The SQLite side is read in one read transaction, so a server still running on it cannot make
//! the copy inconsistent (stop it anyway: events it stores later are not copied).

use std::path::Path;

use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

use crate::error::{Result, StoreError};
use crate::postgres::{PgStore, TABLES};

/// One table's rows in the source and, after the copy, in the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCount {
    /// Table name.
    pub table: String,
    /// Rows in the SQLite database.
    pub source: u64,
    /// Rows in PostgreSQL after the copy.
    pub target: u64,
}

/// Rows of one table, in chunks, read from SQLite on a thread of its own.
enum Chunk {
    Rows(Vec<Vec<rusqlite::types::Value>>),
    Done(u64),
    Failed(String),
}

const CHUNK_ROWS: usize = 500;

/// Copies the installation in `data_dir` into the empty database at `url`; returns each table's
/// counts (equal on both sides, or an error).
pub async fn sqlite_to_postgres(data_dir: &Path, url: &str) -> Result<Vec<TableCount>> {
    let db = data_dir.join(crate::sqlite::DB_FILE);
    if !db.is_file() {
        return Err(StoreError::NotFound(format!(
            "Faultline database {}",
            db.display()
        )));
    }
    // The source first gets this version's schema, as a server of this version starting on it
    // would give it: the copy reads the target's columns, so a table or column that a
    // migration created or moved would otherwise be missing from the source.
    let dir = data_dir.to_path_buf();
    tokio::task::spawn_blocking(move || crate::sqlite::SqliteStore::open(&dir).map(drop))
        .await
        .map_err(|e| StoreError::Database(format!("opening the source failed: {e}")))??;
    let target = PgStore::connect(url, 2).await?;
    let mut conn = target.raw_conn().await?;
    for table in TABLES {
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {table})");
        let has_rows: bool = conn.query_one(&sql, &[]).await?.try_get(0)?;
        if has_rows {
            return Err(StoreError::Conflict(format!(
                "the target database is not empty: table {table} has rows; \
                 migrate into a new, empty database"
            )));
        }
    }
    let mut plan = Vec::new();
    for table in TABLES {
        let rows = conn
            .query(
                "SELECT column_name::text, data_type::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1
                 ORDER BY ordinal_position",
                &[table],
            )
            .await?;
        let mut cols = Vec::new();
        for r in rows {
            let (name, ty): (String, String) = (r.try_get(0)?, r.try_get(1)?);
            cols.push((name, pg_type(&ty)?));
        }
        plan.push((table.to_string(), cols));
    }

    let (tx_chunks, mut chunks) = tokio::sync::mpsc::channel::<Chunk>(4);
    let reader_plan: Vec<(String, Vec<String>)> = plan
        .iter()
        .map(|(t, cols)| (t.clone(), cols.iter().map(|c| c.0.clone()).collect()))
        .collect();
    let reader = std::thread::spawn(move || read_sqlite(&db, &reader_plan, &tx_chunks));

    let tx = conn.transaction().await?;
    let mut counts = Vec::new();
    for (table, cols) in &plan {
        let names: Vec<&str> = cols.iter().map(|c| c.0.as_str()).collect();
        let types: Vec<Type> = cols.iter().map(|c| c.1.clone()).collect();
        let sink = tx
            .copy_in(&format!(
                "COPY {table} ({}) FROM STDIN (FORMAT binary)",
                names.join(", ")
            ))
            .await?;
        let writer = BinaryCopyInWriter::new(sink, &types);
        tokio::pin!(writer);
        let source = loop {
            match chunks.recv().await {
                Some(Chunk::Rows(rows)) => {
                    for row in rows {
                        let cells = row
                            .into_iter()
                            .zip(&types)
                            .map(|(v, ty)| cell(v, ty, table))
                            .collect::<Result<Vec<_>>>()?;
                        let refs: Vec<&(dyn ToSql + Sync)> = cells
                            .iter()
                            .map(|b| b.as_ref() as &(dyn ToSql + Sync))
                            .collect();
                        writer.as_mut().write(&refs).await?;
                    }
                }
                Some(Chunk::Done(n)) => break n,
                Some(Chunk::Failed(e)) => return Err(StoreError::Database(e)),
                None => return Err(StoreError::Database("the SQLite reader stopped".into())),
            }
        };
        writer.finish().await?;
        counts.push((table.clone(), source));
        if names.contains(&"id") {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                               COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            );
            tx.execute(&sql, &[]).await?;
        }
    }
    tx.commit().await?;
    let _ = reader.join();

    let mut out = Vec::new();
    for (table, source) in counts {
        let n: i64 = conn
            .query_one(&format!("SELECT COUNT(*) FROM {table}"), &[])
            .await?
            .try_get(0)?;
        out.push(TableCount {
            table,
            source,
            target: n as u64,
        });
    }
    if let Some(bad) = out.iter().find(|c| c.source != c.target) {
        return Err(StoreError::Corrupt(format!(
            "verification failed: table {} has {} rows in SQLite but {} in PostgreSQL",
            bad.table, bad.source, bad.target
        )));
    }
    Ok(out)
}

fn pg_type(data_type: &str) -> Result<Type> {
    Ok(match data_type {
        "bigint" => Type::INT8,
        "integer" => Type::INT4,
        "double precision" => Type::FLOAT8,
        "text" => Type::TEXT,
        "bytea" => Type::BYTEA,
        "boolean" => Type::BOOL,
        other => {
            return Err(StoreError::Invalid(format!(
                "cannot copy a column of type {other}"
            )))
        }
    })
}

/// A SQLite value as the PostgreSQL column's type.
fn cell(v: rusqlite::types::Value, ty: &Type, table: &str) -> Result<Box<dyn ToSql + Sync + Send>> {
    use rusqlite::types::Value as V;
    let bad = |v: &V| StoreError::Corrupt(format!("table {table}: cannot store {v:?} as {ty}"));
    Ok(match (ty, v) {
        (t, V::Null) if *t == Type::INT8 => Box::new(None::<i64>),
        (t, V::Null) if *t == Type::INT4 => Box::new(None::<i32>),
        (t, V::Null) if *t == Type::FLOAT8 => Box::new(None::<f64>),
        (t, V::Null) if *t == Type::TEXT => Box::new(None::<String>),
        (t, V::Null) if *t == Type::BYTEA => Box::new(None::<Vec<u8>>),
        (t, V::Null) if *t == Type::BOOL => Box::new(None::<bool>),
        (t, V::Integer(n)) if *t == Type::INT8 => Box::new(n),
        (t, V::Integer(n)) if *t == Type::INT4 => {
            Box::new(i32::try_from(n).map_err(|_| bad(&V::Integer(n)))?)
        }
        (t, V::Real(x)) if *t == Type::INT8 && x.fract() == 0.0 => Box::new(x as i64),
        (t, V::Integer(n)) if *t == Type::FLOAT8 => Box::new(n as f64),
        (t, V::Real(x)) if *t == Type::FLOAT8 => Box::new(x),
        (t, V::Integer(n)) if *t == Type::BOOL => Box::new(n != 0),
        (t, V::Text(s)) if *t == Type::TEXT => Box::new(s),
        (t, V::Blob(b)) if *t == Type::TEXT => {
            Box::new(String::from_utf8(b).map_err(|e| bad(&V::Blob(e.into_bytes())))?)
        }
        (t, V::Blob(b)) if *t == Type::BYTEA => Box::new(b),
        (t, V::Text(s)) if *t == Type::BYTEA => Box::new(s.into_bytes()),
        (_, v) => return Err(bad(&v)),
    })
}

/// Streams every table of `plan` (in order) from the SQLite file, in one read transaction.
fn read_sqlite(db: &Path, plan: &[(String, Vec<String>)], out: &tokio::sync::mpsc::Sender<Chunk>) {
    if let Err(e) = try_read_sqlite(db, plan, out) {
        let _ = out.blocking_send(Chunk::Failed(format!("reading {}: {e}", db.display())));
    }
}

fn try_read_sqlite(
    db: &Path,
    plan: &[(String, Vec<String>)],
    out: &tokio::sync::mpsc::Sender<Chunk>,
) -> Result<()> {
    let conn = rusqlite::Connection::open_with_flags(
        db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.execute_batch("BEGIN")?;
    let closed = || StoreError::Database("the copy stopped".into());
    for (table, cols) in plan {
        let exists: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
            [table],
            |r| r.get(0),
        )?;
        let mut n = 0u64;
        if exists {
            let mut stmt = conn.prepare(&format!("SELECT {} FROM {table}", cols.join(", ")))?;
            let mut rows = stmt.query([])?;
            let mut chunk = Vec::with_capacity(CHUNK_ROWS);
            while let Some(r) = rows.next()? {
                let row = (0..cols.len())
                    .map(|i| r.get::<_, rusqlite::types::Value>(i))
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                chunk.push(row);
                n += 1;
                if chunk.len() == CHUNK_ROWS {
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_ROWS));
                    out.blocking_send(Chunk::Rows(full)).map_err(|_| closed())?;
                }
            }
            if !chunk.is_empty() {
                out.blocking_send(Chunk::Rows(chunk))
                    .map_err(|_| closed())?;
            }
        }
        out.blocking_send(Chunk::Done(n)).map_err(|_| closed())?;
    }
    conn.execute_batch("COMMIT")?;
    Ok(())
}
