//! PostgreSQL connection strings (stand-in until the libpq-conventions
//! parser lands: URL only, no environment, no password file).

use crate::error::{Error, Result};
use std::str::FromStr;

/// A parsed connection string and how to name it without its password.
pub struct ParsedUrl {
    pub config: postgres::Config,
    pub shown: String,
}

pub fn is_postgres_url(s: &str) -> bool {
    s.starts_with("postgresql://") || s.starts_with("postgres://")
}

pub fn parse(url: &str) -> Result<ParsedUrl> {
    let config = postgres::Config::from_str(url)
        .map_err(|e| Error::invalid(format!("a PostgreSQL connection string: {e}")))?;
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let shown = format!(
        "postgresql://{}@{host}:{port}/{}",
        config.get_user().unwrap_or(""),
        config.get_dbname().unwrap_or("")
    );
    Ok(ParsedUrl { config, shown })
}
