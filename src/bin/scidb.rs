//! The `scidb` command-line program. Subcommands:
//!
//! - `scidb copy SRC DST [--data-path DIR]`: copies the database SRC (a
//!   DuckDB file, or a PostgreSQL catalog URL) into the empty database DST
//!   (created when missing; a PostgreSQL catalog needs `--data-path`, the
//!   shared folder for its payload files), then verifies every record.
//!
//! Errors are one line on stderr and a non-zero exit.

use scidb::Database;
use std::process::ExitCode;

const USAGE: &str = "usage: scidb copy SRC DST [--data-path DIR] [--json]

  Copies every record (all versions), view, lineage row, run and payload
  file of the database SRC into the empty database DST, then loads every
  record from DST and checks its content hash and provenance.
  SRC, DST: a DuckDB file or a postgresql:// URL (libpq conventions; PG*
  variables and ~/.pgpass are read). DST is created with SRC's schema keys
  when new; --data-path is DST's payload folder (required for a new
  PostgreSQL catalog: a folder every process sees).";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("scidb: {message}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("copy") => copy(&args[1..]),
        Some("-h" | "--help" | "help") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command '{other}'\n{USAGE}")),
    }
}

fn copy(args: &[String]) -> Result<(), String> {
    let mut positional = Vec::new();
    let mut data_path = None;
    let mut json = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            "--data-path" => {
                data_path = Some(it.next().ok_or("--data-path needs a folder")?.clone());
            }
            "--json" => json = true,
            flag if flag.starts_with("--") => {
                return Err(format!("unknown option {flag}\n{USAGE}"))
            }
            _ => positional.push(a.clone()),
        }
    }
    let [src, dst] = positional.as_slice() else {
        return Err(format!("copy needs SRC and DST\n{USAGE}"));
    };
    let source = Database::open_existing(src, None).map_err(|e| e.message)?;
    let target =
        Database::open_with_data_path(dst, source.schema_keys(), None, data_path.as_deref())
            .map_err(|e| e.message)?;
    let report = source.copy_into(&target).map_err(|e| e.message)?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&report).map_err(|e| e.to_string())?
        );
    } else {
        println!(
            "copied {} records of {} variable types, {} payload files ({} bytes), {} lineage rows, \
             {} runs from {} to {}; verified {} records",
            report.records,
            report.variables,
            report.payload_files,
            report.payload_bytes,
            report.lineage_rows,
            report.runs,
            source.path(),
            target.path(),
            report.verified
        );
    }
    Ok(())
}
