//! The `scidb` command-line program: looks at a database (a DuckDB file or
//! a PostgreSQL catalog URL) and copies one into another. Every listing is
//! an aligned table for an 80-column terminal, or JSON with `--json`; the
//! facts come from the library (`scidb::store::inspect`), this program
//! only renders them. Errors are one line on stderr and a non-zero exit.
//! Only `copy` writes (to its destination).

mod table;
mod views;

use clap::{Arg, ArgAction, ArgMatches, Command as Cli};
use scidb::Database;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options every listing has.
struct Common {
    db: String,
    json: bool,
    data_path: Option<String>,
}

/// A subcommand, parsed.
enum Command {
    Vars(Common),
    Show {
        common: Common,
        variable: String,
        query: Vec<String>,
    },
    Versions {
        common: Common,
        variable: String,
        query: Vec<String>,
    },
    Trace {
        common: Common,
        record: String,
    },
    Runs(Common),
    Status(Common),
    Graph {
        common: Common,
        output: Option<PathBuf>,
    },
    Sql {
        common: Common,
        query: String,
    },
    Check(Common),
    Copy {
        src: String,
        dst: String,
        data_path: Option<String>,
        json: bool,
    },
}

/// A listing subcommand: DB, then `more` arguments, --json, --data-path.
fn listing(name: &'static str, about: &'static str, more: Vec<Arg>) -> Cli {
    Cli::new(name)
        .about(about)
        .arg(
            Arg::new("db")
                .value_name("DB")
                .required(true)
                .help("The database: a DuckDB file or a postgresql:// URL"),
        )
        .args(more)
        .arg(
            Arg::new("json")
                .long("json")
                .action(ArgAction::SetTrue)
                .help("Machine-readable JSON instead of a table"),
        )
        .arg(
            Arg::new("data_path")
                .long("data-path")
                .value_name("DIR")
                .help("A PostgreSQL catalog's payload folder, when not recorded in it"),
        )
}

fn variable_and_query() -> Vec<Arg> {
    vec![
        Arg::new("variable")
            .value_name("TYPE")
            .required(true)
            .help("The variable type"),
        Arg::new("query")
            .value_name("KEY=VALUE")
            .num_args(0..)
            .help("Metadata to match (repeat a key to match any of its values)"),
    ]
}

fn one(name: &'static str, value: &'static str, help: &'static str) -> Vec<Arg> {
    vec![Arg::new(name).value_name(value).required(true).help(help)]
}

fn cli() -> Cli {
    Cli::new("scidb")
        .about("Look at a scidb database: what it holds, how it was made, what is out of date")
        .long_about(
            "Look at a scidb database: what it holds, how it was made, what is out of date.\n\n\
             DB is a DuckDB file or a postgresql:// URL (libpq conventions; PG* variables and \
             ~/.pgpass are read). Every command but copy only reads.",
        )
        .version(env!("CARGO_PKG_VERSION"))
        .subcommand_required(true)
        .subcommand(listing(
            "vars",
            "Every variable type: records, locations, variants, value kinds, size",
            vec![],
        ))
        .subcommand(listing(
            "show",
            "The newest records at matching locations, with a preview of each value",
            variable_and_query(),
        ))
        .subcommand(listing(
            "versions",
            "Every version of the records at a location",
            variable_and_query(),
        ))
        .subcommand(listing(
            "trace",
            "The full upstream provenance of a record as a tree",
            one(
                "record",
                "RECORD",
                "The record id, or its first 6 or more characters",
            ),
        ))
        .subcommand(listing(
            "runs",
            "The for_each run log, newest first, with the failures' messages",
            vec![],
        ))
        .subcommand(listing(
            "status",
            "Every pipeline step with how many outputs are current and how many stale",
            vec![],
        ))
        .subcommand(listing(
            "graph",
            "The pipeline picture: DOT on stdout, or a .dot, .svg or .html file",
            vec![Arg::new("output")
                .short('o')
                .long("output")
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .help("Where to write it; the extension chooses the format (.dot, .svg, .html)")],
        ))
        .subcommand(listing(
            "sql",
            "Runs one read-only SQL query and prints an aligned table",
            one(
                "query",
                "QUERY",
                "The query (SELECT ...); writes are refused",
            ),
        ))
        .subcommand(listing(
            "check",
            "Checks every record's value against its content hash, and the lineage links",
            vec![],
        ))
        .subcommand(
            Cli::new("copy")
                .about(
                    "Copies every record, version, lineage row, run and payload file of SRC \
                     into the empty database DST (created when missing), then verifies it",
                )
                .args(one("src", "SRC", "The database to copy"))
                .args(one("dst", "DST", "The empty database to copy into"))
                .arg(
                    Arg::new("data_path")
                        .long("data-path")
                        .value_name("DIR")
                        .help(
                        "DST's payload folder (required for a new PostgreSQL catalog: a folder \
                     every process sees)",
                    ),
                )
                .arg(
                    Arg::new("json")
                        .long("json")
                        .action(ArgAction::SetTrue)
                        .help("Machine-readable JSON report"),
                ),
        )
}

fn text(m: &ArgMatches, name: &str) -> String {
    m.get_one::<String>(name).cloned().unwrap_or_default()
}

fn common(m: &ArgMatches) -> Common {
    Common {
        db: text(m, "db"),
        json: m.get_flag("json"),
        data_path: m.get_one::<String>("data_path").cloned(),
    }
}

fn parse(matches: &ArgMatches) -> Result<Command, String> {
    let (name, m) = matches
        .subcommand()
        .ok_or("a command is needed (see scidb --help)")?;
    let query = || -> Vec<String> {
        m.get_many::<String>("query")
            .map(|v| v.cloned().collect())
            .unwrap_or_default()
    };
    Ok(match name {
        "vars" => Command::Vars(common(m)),
        "show" => Command::Show {
            common: common(m),
            variable: text(m, "variable"),
            query: query(),
        },
        "versions" => Command::Versions {
            common: common(m),
            variable: text(m, "variable"),
            query: query(),
        },
        "trace" => Command::Trace {
            common: common(m),
            record: text(m, "record"),
        },
        "runs" => Command::Runs(common(m)),
        "status" => Command::Status(common(m)),
        "graph" => Command::Graph {
            common: common(m),
            output: m.get_one::<PathBuf>("output").cloned(),
        },
        "sql" => Command::Sql {
            common: common(m),
            query: text(m, "query"),
        },
        "check" => Command::Check(common(m)),
        "copy" => Command::Copy {
            src: text(m, "src"),
            dst: text(m, "dst"),
            data_path: m.get_one::<String>("data_path").cloned(),
            json: m.get_flag("json"),
        },
        other => return Err(format!("unknown command '{other}'")),
    })
}

fn main() -> ExitCode {
    let matches = match cli().try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            use clap::error::ErrorKind;
            match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    let _ = e.print();
                    return ExitCode::SUCCESS;
                }
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                    return ExitCode::from(2);
                }
                _ => {}
            }
            // One line: clap's first paragraph, without its "error: " prefix.
            let text = e.to_string();
            let first: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.is_empty() && !l.starts_with("Usage:"))
                .collect();
            eprintln!(
                "scidb: {} (see scidb --help)",
                first.join(" ").trim_start_matches("error: ")
            );
            return ExitCode::from(2);
        }
    };
    match parse(&matches).and_then(run) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("scidb: {}", message.replace('\n', " "));
            ExitCode::from(1)
        }
    }
}

fn open(c: &Common) -> Result<Database, String> {
    Database::open_existing(&c.db, c.data_path.as_deref()).map_err(|e| e.message)
}

fn run(command: Command) -> Result<ExitCode, String> {
    let ok = Ok(ExitCode::SUCCESS);
    match command {
        Command::Vars(c) => {
            let vars = open(&c)?.variable_summaries().map_err(|e| e.message)?;
            views::print(c.json, &vars[..], views::vars)?;
        }
        Command::Show {
            common,
            variable,
            query,
        } => {
            let db = open(&common)?;
            let query = views::parse_query(&query)?;
            let rows = db.show_records(&variable, &query).map_err(|e| e.message)?;
            views::print(common.json, &rows[..], |r| {
                views::records(r, db.schema_keys(), false)
            })?;
        }
        Command::Versions {
            common,
            variable,
            query,
        } => {
            let db = open(&common)?;
            let query = views::parse_query(&query)?;
            let rows = db.version_rows(&variable, &query).map_err(|e| e.message)?;
            views::print(common.json, &rows[..], |r| {
                views::records(r, db.schema_keys(), true)
            })?;
        }
        Command::Trace { common, record } => {
            let db = open(&common)?;
            let id = db.resolve_record_id(&record).map_err(|e| e.message)?;
            let steps = db.upstream_provenance(&id).map_err(|e| e.message)?;
            if common.json {
                views::print_json(&steps)?;
            } else {
                let record = db.load_record(None, &id).map_err(|e| e.message)?;
                print!("{}", views::trace(&record, &steps));
            }
        }
        Command::Runs(c) => {
            let runs = open(&c)?.runs().map_err(|e| e.message)?;
            views::print(c.json, &runs[..], views::runs)?;
        }
        Command::Status(c) => {
            let steps = open(&c)?.pipeline_status(None).map_err(|e| e.message)?;
            views::print(c.json, &steps[..], views::status)?;
        }
        Command::Graph { common, output } => {
            let db = open(&common)?;
            let graph = db.pipeline_graph().map_err(|e| e.message)?;
            match output {
                None if common.json => views::print_json(&graph)?,
                None => print!("{}", graph.to_dot()),
                Some(path) => {
                    let format = views::picture_format(&path)?;
                    let text = graph.render(format, db.path()).map_err(|e| e.message)?;
                    std::fs::write(&path, text)
                        .map_err(|e| format!("writing {}: {e}", path.display()))?;
                    if !common.json {
                        println!("wrote {}", path.display());
                    }
                }
            }
        }
        Command::Sql { common, query } => {
            let result = open(&common)?
                .sql_read_only(&query)
                .map_err(|e| e.message)?;
            if common.json {
                views::print_json(&result)?;
            } else {
                print!("{}", views::sql(&result));
            }
        }
        Command::Check(c) => {
            let report = open(&c)?.check().map_err(|e| e.message)?;
            if c.json {
                views::print_json(&report)?;
            } else {
                print!("{}", views::check(&report));
            }
            if let Some(p) = report.problems.first() {
                let more = match report.problems.len() {
                    1 => String::new(),
                    n => format!(" (and {} more problems)", n - 1),
                };
                return Err(format!(
                    "check failed: record {}: {}{more}",
                    p.record_id, p.problem
                ));
            }
        }
        Command::Copy {
            src,
            dst,
            data_path,
            json,
        } => copy(&src, &dst, data_path.as_deref(), json)?,
    }
    ok
}

fn copy(src: &str, dst: &str, data_path: Option<&str>, json: bool) -> Result<(), String> {
    let source = Database::open_existing(src, None).map_err(|e| e.message)?;
    let target = Database::open_with_data_path(dst, source.schema_keys(), None, data_path)
        .map_err(|e| e.message)?;
    let report = source.copy_into(&target).map_err(|e| e.message)?;
    if json {
        views::print_json(&report)?;
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
