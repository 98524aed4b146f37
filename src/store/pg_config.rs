//! PostgreSQL connection settings: what a user passes to
//! `configure_database` (a `postgresql://` or `postgres://` URL) turned into
//! a [`postgres::Config`], following libpq's conventions.
//!
//! Where each setting comes from, first match wins:
//!
//! | setting | URL query | URL | environment | default |
//! |---|---|---|---|---|
//! | user | `?user=` | `user@` | `PGUSER` | the OS user name |
//! | password | `?password=` | `user:password@` | `PGPASSWORD` | `PGPASSFILE` or `~/.pgpass` |
//! | host(s) | `?host=` | `host1,host2` | `PGHOST` | `/var/run/postgresql` if that directory exists, else `localhost` |
//! | port(s) | `?port=` | `host:port` | `PGPORT` | 5432 |
//! | database | `?dbname=` | `/dbname` | `PGDATABASE` | the user name |
//! | sslmode | `?sslmode=` | | `PGSSLMODE` | `prefer` |
//! | connect timeout | `?connect_timeout=` | | `PGCONNECT_TIMEOUT` | none |
//! | application name | `?application_name=` | | `PGAPPNAME` | `scidb` |
//!
//! A host starting with `/` is a Unix socket directory (percent-encode it
//! in the host part, `%2Fvar%2Frun%2Fpostgresql`, or give it as `?host=`).
//! Empty environment variables count as unset. The other query parameters
//! of `postgres::Config` (`options`, `hostaddr`, `keepalives`,
//! `target_session_attrs`, ...) are accepted as they are.
//!
//! The user name, host list and database name are parsed here, the libpq
//! way (only the first `@` before any `/` ends the credentials, a host
//! without a port takes `PGPORT`); the query parameters are applied by
//! `postgres::Config::from_str`. This build connects without TLS
//! (`postgres::NoTls`): `sslmode` may be `disable`, `allow` or `prefer`
//! (all three connect in plain text), and `require`, `verify-ca` and
//! `verify-full` are refused rather than silently downgraded.
//!
//! The password file is read like libpq reads it: lines
//! `host:port:database:user:password`, `*` matching anything, `\:` and
//! `\\` escaping, `#` starting a comment line; the first line matching the
//! first host, its port, the database and the user gives the password (for
//! a Unix socket host, `localhost` matches the default socket directory
//! `/var/run/postgresql`). Like libpq, a file that group or others may
//! read or write is ignored ([`ParsedUrl::ignored_passfile`] names it).
//!
//! The password never appears in a message: not in [`ParsedUrl`]'s
//! `Display` or `Debug`, not in any error (errors name the part of the URL
//! that is wrong, never the URL itself).

use crate::error::{Error, Result};
use postgres::config::{Host, SslMode};
use std::ffi::{CStr, OsStr};
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// libpq's default Unix socket directory on Debian and Ubuntu. A socket
/// host equal to it matches `localhost` in the password file.
pub const DEFAULT_SOCKET_DIR: &str = "/var/run/postgresql";

/// The application name the server shows when none is given.
pub const DEFAULT_APPLICATION_NAME: &str = "scidb";

/// The port when neither the URL nor `PGPORT` gives one.
pub const DEFAULT_PORT: u16 = 5432;

const ACCEPTED_SSLMODES: &str = "disable, allow or prefer";

/// The query parameters `postgres::Config` understands (and `sslmode`,
/// which is handled here).
const KNOWN_PARAMS: &[&str] = &[
    "user",
    "password",
    "dbname",
    "options",
    "application_name",
    "sslmode",
    "sslnegotiation",
    "host",
    "hostaddr",
    "port",
    "connect_timeout",
    "tcp_user_timeout",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_retries",
    "target_session_attrs",
    "channel_binding",
    "load_balance_hosts",
];

/// True for what names a PostgreSQL catalog: a `postgresql://` or
/// `postgres://` URL.
pub fn is_postgres_url(s: &str) -> bool {
    strip_scheme(s).is_some()
}

/// Where the password came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// The URL (`user:password@` or `?password=`).
    Url,
    /// `PGPASSWORD`.
    Env,
    /// A line of this password file.
    PassFile(PathBuf),
    /// No password: the server must not ask for one (trust, peer).
    None,
}

/// A parsed URL: the connection settings and their display without the
/// password.
#[derive(Clone)]
pub struct ParsedUrl {
    /// What to connect with (`config.connect(postgres::NoTls)`).
    pub config: postgres::Config,
    /// `postgresql://user@host:port/dbname`, never the password.
    pub redacted: String,
    /// Where the password came from.
    pub password_source: PasswordSource,
    /// A password file that was ignored because group or others may read
    /// or write it, or it is not a regular file (libpq ignores it too);
    /// worth naming when authentication fails.
    pub ignored_passfile: Option<PathBuf>,
}

impl ParsedUrl {
    /// `postgresql://user@host:port/dbname`, never the password.
    pub fn redacted(&self) -> &str {
        &self.redacted
    }
}

impl fmt::Display for ParsedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

impl fmt::Debug for ParsedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedUrl")
            .field("url", &self.redacted)
            .field("password_source", &self.password_source)
            .field("ignored_passfile", &self.ignored_passfile)
            .finish_non_exhaustive()
    }
}

/// What the defaults come from: the environment, the home directory (for
/// `~/.pgpass`), the OS user name and the default socket directory.
/// [`parse`] reads the real ones; tests give their own to [`parse_with`].
pub struct Sources<'a> {
    /// Looks up an environment variable (`PGHOST`, ...).
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The home directory holding `.pgpass`.
    pub home: Option<PathBuf>,
    /// The user name when neither the URL nor `PGUSER` gives one.
    pub os_user: Option<String>,
    /// The default host when neither the URL nor `PGHOST` gives one: a
    /// socket directory, or None for `localhost`.
    pub default_socket_dir: Option<PathBuf>,
}

impl Sources<'_> {
    /// The variable's value; empty counts as unset.
    fn var(&self, name: &str) -> Option<String> {
        (self.env)(name).filter(|v| !v.is_empty())
    }
}

/// Parses a `postgresql://` URL with the defaults of this process: the
/// PG* environment variables, `$HOME` (or the passwd entry's home), the
/// effective user's name, and `/var/run/postgresql` when it exists.
pub fn parse(url: &str) -> Result<ParsedUrl> {
    let env = |name: &str| std::env::var(name).ok();
    let passwd = passwd_entry();
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| passwd.as_ref().map(|p| p.1.clone()));
    let default_socket_dir = Path::new(DEFAULT_SOCKET_DIR)
        .is_dir()
        .then(|| PathBuf::from(DEFAULT_SOCKET_DIR));
    let sources = Sources {
        env: &env,
        home,
        os_user: passwd.map(|p| p.0),
        default_socket_dir,
    };
    parse_with(url, &sources)
}

/// Parses a `postgresql://` URL with the given defaults (see the module
/// documentation for what comes from where).
pub fn parse_with(url: &str, sources: &Sources) -> Result<ParsedUrl> {
    let mut secrets = Vec::new();
    parse_inner(url, sources, &mut secrets).map_err(|e| scrub(e, &secrets))
}

/// The last line of defence: an error whose text contains a password
/// (raw or decoded) loses its details. Short passwords are not checked,
/// as they would match ordinary words; no message is built from the
/// password anyway.
fn scrub(e: Error, secrets: &[Vec<u8>]) -> Error {
    let leaks = secrets.iter().any(|s| {
        s.len() >= 4
            && e.message
                .as_bytes()
                .windows(s.len())
                .any(|w| w == s.as_slice())
    });
    if leaks {
        Error::new(
            e.kind,
            "invalid PostgreSQL URL (the details are withheld because they would show the password)",
        )
    } else {
        e
    }
}

fn invalid(what: impl fmt::Display) -> Error {
    Error::invalid(format!("invalid PostgreSQL URL: {what}"))
}

fn strip_scheme(s: &str) -> Option<&str> {
    s.strip_prefix("postgresql://")
        .or_else(|| s.strip_prefix("postgres://"))
}

/// A host as the URL's host part gives it: None for an empty entry.
struct HostPort {
    host: Option<Host>,
    port: Option<u16>,
}

fn parse_inner(url: &str, sources: &Sources, secrets: &mut Vec<Vec<u8>>) -> Result<ParsedUrl> {
    let rest = strip_scheme(url).ok_or_else(|| {
        Error::invalid(
            "a PostgreSQL catalog is named by a URL starting with postgresql:// or postgres://",
        )
    })?;

    // Credentials: the first '@' before any '/' ends them (libpq).
    let auth_end = rest.find('/').unwrap_or(rest.len());
    let (creds, rest) = match rest[..auth_end].find('@') {
        Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
        None => (None, rest),
    };
    let mut url_user = None;
    let mut url_password = None;
    if let Some(creds) = creds {
        let (user, password) = match creds.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (creds, None),
        };
        if let Some(p) = password {
            secrets.push(p.as_bytes().to_vec());
            let decoded = percent_decode(p, "password")?;
            secrets.push(decoded.clone());
            url_password = Some(decoded);
        }
        let user = utf8(percent_decode(user, "user name")?, "user name")?;
        if !user.is_empty() {
            url_user = Some(user);
        }
    }
    // A second '@' means a password or user name with an unencoded '@' or
    // '/': what follows would be read as host or database, parts of the
    // password would show in messages.
    if rest.contains('@') {
        return Err(invalid(
            "'@' appears after the user name and password; write '@' and '/' in a user \
             name or password as %40 and %2F",
        ));
    }

    // Hosts and ports, up to the path or the query.
    let hosts_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let url_hosts = parse_hosts(&rest[..hosts_end])?;
    let rest = &rest[hosts_end..];

    // The database name, up to the query.
    let (path, query) = match rest.find('?') {
        Some(q) => (&rest[..q], &rest[q + 1..]),
        None => (rest, ""),
    };
    let url_dbname = match path.strip_prefix('/') {
        Some(p) if !p.is_empty() => {
            Some(utf8(percent_decode(p, "database name")?, "database name")?)
        }
        _ => None,
    };

    // The query: sslmode is handled here, the rest by postgres::Config.
    let mut pairs = Vec::new();
    let mut keys = Vec::new();
    let mut url_sslmode = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| invalid("a query parameter has no '=' (write '&' in a value as %26)"))?;
        let key = utf8(percent_decode(k, "query")?, "query")?;
        if key == "password" {
            secrets.push(v.as_bytes().to_vec());
            secrets.push(percent_decode(v, "password")?);
        }
        if key == "sslmode" {
            url_sslmode = Some(utf8(percent_decode(v, "query")?, "sslmode")?);
        } else {
            pairs.push(pair);
        }
        keys.push(key);
    }
    let has_password = url_password.is_some() || keys.iter().any(|k| k == "password");
    if let Some(unknown) = keys.iter().find(|k| !KNOWN_PARAMS.contains(&k.as_str())) {
        return Err(if has_password {
            // The name may be part of a password with an unencoded '&'.
            invalid(
                "the query has a parameter that is not a connection parameter (its name is \
                 not shown because the URL holds a password; write '&' in a password as %26)",
            )
        } else {
            invalid(format!("unknown connection parameter `{unknown}`"))
        });
    }
    let query_only = format!("postgresql://?{}", pairs.join("&"));
    let mut config = postgres::Config::from_str(&query_only).map_err(|e| {
        // The Display of a postgres error leaves out its cause, which names
        // the parameter.
        match std::error::Error::source(&e) {
            Some(cause) => invalid(format!("{e}: {cause}")),
            None => invalid(e),
        }
    })?;

    // sslmode: the URL, PGSSLMODE, prefer.
    let ssl_mode = match url_sslmode {
        Some(mode) => ssl_mode(&mode, "the URL")?,
        None => match sources.var("PGSSLMODE") {
            Some(mode) => ssl_mode(&mode, "PGSSLMODE")?,
            None => SslMode::Prefer,
        },
    };
    config.ssl_mode(ssl_mode);

    // The user: the query, the URL, PGUSER, the OS user.
    let user = match config.get_user() {
        Some(u) if !u.is_empty() => u.to_owned(),
        _ => url_user
            .or_else(|| sources.var("PGUSER"))
            .or_else(|| sources.os_user.clone().filter(|u| !u.is_empty()))
            .ok_or_else(|| {
                Error::invalid(
                    "no PostgreSQL user name: give one in the URL (postgresql://user@host/db) or in PGUSER",
                )
            })?,
    };
    config.user(&user);

    // The database: the query, the URL's path, PGDATABASE, the user name.
    let dbname = match config.get_dbname() {
        Some(d) if !d.is_empty() => d.to_owned(),
        _ => url_dbname
            .or_else(|| sources.var("PGDATABASE"))
            .unwrap_or_else(|| user.clone()),
    };
    config.dbname(&dbname);

    // Hosts: the query, the URL, PGHOST, the default.
    let default_host = || match &sources.default_socket_dir {
        Some(dir) => Host::Unix(dir.clone()),
        None => Host::Tcp("localhost".to_owned()),
    };
    let url_gives_hosts = url_hosts.iter().any(|h| h.host.is_some());
    let hosts: Vec<Host> = if !config.get_hosts().is_empty() {
        config.get_hosts().to_vec()
    } else if url_gives_hosts {
        url_hosts
            .iter()
            .map(|h| h.host.clone().unwrap_or_else(default_host))
            .collect()
    } else if let Some(env_hosts) = sources.var("PGHOST") {
        env_hosts
            .split(',')
            .map(|h| match h {
                "" => default_host(),
                h if h.starts_with('/') => Host::Unix(PathBuf::from(h)),
                h => Host::Tcp(h.to_owned()),
            })
            .collect()
    } else {
        vec![default_host()]
    };
    let n = hosts.len();
    if config.get_hosts().is_empty() {
        for h in &hosts {
            match h {
                Host::Tcp(name) => config.host(name),
                Host::Unix(path) => config.host_path(path),
            };
        }
    }

    // Ports: the query, the URL (per host), PGPORT, 5432.
    let ports: Vec<u16> = if !config.get_ports().is_empty() {
        let p = config.get_ports().to_vec();
        if p.len() != 1 && p.len() != n {
            return Err(invalid(format!(
                "the query gives {} ports for {}",
                p.len(),
                count_hosts(n)
            )));
        }
        p
    } else {
        let env_ports = match sources.var("PGPORT") {
            Some(v) => v
                .split(',')
                .map(|p| match p {
                    "" => Ok(None),
                    p => port_number(p).map(Some).ok_or_else(|| {
                        Error::invalid(format!(
                            "PGPORT is not a port number from 1 to 65535: `{v}`"
                        ))
                    }),
                })
                .collect::<Result<Vec<_>>>()?,
            None => Vec::new(),
        };
        if env_ports.len() > 1 && env_ports.len() != n {
            return Err(Error::invalid(format!(
                "PGPORT gives {} ports for {}",
                env_ports.len(),
                count_hosts(n)
            )));
        }
        let url_ports: Vec<Option<u16>> = url_hosts.iter().map(|h| h.port).collect();
        if url_ports.len() > 1 && url_ports.len() != n {
            return Err(invalid(format!(
                "the URL gives {} host:port entries for {}",
                url_ports.len(),
                count_hosts(n)
            )));
        }
        let pick = |list: &[Option<u16>], i: usize| match list.len() {
            0 => None,
            1 => list[0],
            _ => list[i],
        };
        (0..n)
            .map(|i| {
                pick(&url_ports, i)
                    .or_else(|| pick(&env_ports, i))
                    .unwrap_or(DEFAULT_PORT)
            })
            .collect()
    };
    if config.get_ports().is_empty() {
        for p in &ports {
            config.port(*p);
        }
    }
    let addrs = config.get_hostaddrs().len();
    if addrs != 0 && addrs != n {
        return Err(invalid(format!(
            "hostaddr gives {addrs} addresses for {}",
            count_hosts(n)
        )));
    }

    // Connect timeout: the query, PGCONNECT_TIMEOUT, none.
    if !keys.iter().any(|k| k == "connect_timeout") {
        if let Some(v) = sources.var("PGCONNECT_TIMEOUT") {
            let secs = v.trim().parse::<i64>().map_err(|_| {
                Error::invalid(format!(
                    "PGCONNECT_TIMEOUT is not a number of seconds: `{v}`"
                ))
            })?;
            if secs > 0 {
                config.connect_timeout(Duration::from_secs(secs.unsigned_abs()));
            }
        }
    }

    // Application name: the query, PGAPPNAME, scidb.
    if config.get_application_name().is_none() {
        let name = sources
            .var("PGAPPNAME")
            .unwrap_or_else(|| DEFAULT_APPLICATION_NAME.to_owned());
        config.application_name(&name);
    }

    // The password: the query, the URL, PGPASSWORD, the password file.
    let mut ignored_passfile = None;
    let password_source = if config.get_password().is_some_and(|p| !p.is_empty()) {
        PasswordSource::Url
    } else if let Some(p) = url_password.filter(|p| !p.is_empty()) {
        config.password(p);
        PasswordSource::Url
    } else if let Some(p) = sources.var("PGPASSWORD") {
        config.password(p);
        PasswordSource::Env
    } else {
        let file = sources
            .var("PGPASSFILE")
            .map(PathBuf::from)
            .or_else(|| sources.home.as_ref().map(|h| h.join(".pgpass")));
        match file.map(|f| (read_passfile(&f), f)) {
            Some((PassFile::Readable(text), file)) => {
                let found = hosts.iter().enumerate().find_map(|(i, h)| {
                    let port = ports[if ports.len() == 1 { 0 } else { i }].to_string();
                    passfile_lookup(&text, &pgpass_host(h), &port, &dbname, &user)
                });
                match found {
                    Some(p) if !p.is_empty() => {
                        config.password(p);
                        PasswordSource::PassFile(file)
                    }
                    _ => PasswordSource::None,
                }
            }
            Some((PassFile::TooOpen, file)) => {
                ignored_passfile = Some(file);
                PasswordSource::None
            }
            Some((PassFile::Missing, _)) | None => PasswordSource::None,
        }
    };

    let redacted = redact(&user, &hosts, &ports, &dbname);
    Ok(ParsedUrl {
        config,
        redacted,
        password_source,
        ignored_passfile,
    })
}

fn ssl_mode(mode: &str, from: &str) -> Result<SslMode> {
    match mode {
        "disable" => Ok(SslMode::Disable),
        // With postgres::NoTls, prefer connects in plain text without asking
        // the server for TLS; allow (plain first) is the same connection.
        "allow" | "prefer" => Ok(SslMode::Prefer),
        "require" | "verify-ca" | "verify-full" => Err(Error::invalid(format!(
            "sslmode `{mode}` (from {from}) needs TLS, but this build of scidb connects to \
             PostgreSQL without TLS; use sslmode {ACCEPTED_SSLMODES} (on a trusted network, \
             or through an SSH tunnel)"
        ))),
        other => Err(Error::invalid(format!(
            "unknown sslmode `{other}` (from {from}); this build of scidb accepts \
             {ACCEPTED_SSLMODES}"
        ))),
    }
}

fn count_hosts(n: usize) -> String {
    match n {
        1 => "1 host".to_owned(),
        n => format!("{n} hosts"),
    }
}

fn port_number(s: &str) -> Option<u16> {
    s.parse::<u16>().ok().filter(|p| *p != 0)
}

/// The URL's host part: `host[:port]` or `[ipv6][:port]` entries separated
/// by commas, percent-encoded. Nothing of it is echoed in errors.
fn parse_hosts(part: &str) -> Result<Vec<HostPort>> {
    if part.is_empty() {
        return Ok(Vec::new());
    }
    part.split(',')
        .map(|chunk| {
            let (host, port) = if let Some(inner) = chunk.strip_prefix('[') {
                let (host, after) = inner
                    .split_once(']')
                    .ok_or_else(|| invalid("an IPv6 host has '[' without ']'"))?;
                let port = match after {
                    "" => None,
                    a => Some(
                        a.strip_prefix(':')
                            .ok_or_else(|| invalid("text follows an IPv6 host's ']'"))?,
                    ),
                };
                (host, port)
            } else {
                match chunk.split_once(':') {
                    Some((h, p)) => (h, Some(p)),
                    None => (chunk, None),
                }
            };
            let port = match port {
                None | Some("") => None,
                Some(p) => Some(
                    port_number(&utf8(percent_decode(p, "port")?, "port")?)
                        .ok_or_else(|| invalid("a port is not a number from 1 to 65535"))?,
                ),
            };
            let bytes = percent_decode(host, "host")?;
            let host = if bytes.is_empty() {
                None
            } else if bytes[0] == b'/' {
                Some(Host::Unix(PathBuf::from(OsStr::from_bytes(&bytes))))
            } else {
                Some(Host::Tcp(utf8(bytes, "host")?))
            };
            Ok(HostPort { host, port })
        })
        .collect()
}

/// Strict percent-decoding: a '%' must start two hex digits.
fn percent_decode(s: &str, part: &str) -> Result<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = |c: u8| (c as char).to_digit(16);
            match (
                b.get(i + 1).and_then(|c| hex(*c)),
                b.get(i + 2).and_then(|c| hex(*c)),
            ) {
                (Some(hi), Some(lo)) => out.push((hi * 16 + lo) as u8),
                _ => {
                    return Err(invalid(format!(
                        "a '%' in the {part} does not start a %XX escape (write '%' as %25)"
                    )))
                }
            }
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn utf8(bytes: Vec<u8>, part: &str) -> Result<String> {
    String::from_utf8(bytes).map_err(|_| invalid(format!("the {part} is not UTF-8")))
}

/// Percent-encodes what is not unreserved, so the display reads back as
/// the same URL.
fn encode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    for &c in bytes {
        if c.is_ascii_alphanumeric() || b"-._~".contains(&c) {
            s.push(c as char);
        } else {
            s.push_str(&format!("%{c:02X}"));
        }
    }
    s
}

/// `postgresql://user@host:port[,host:port]/dbname`.
fn redact(user: &str, hosts: &[Host], ports: &[u16], dbname: &str) -> String {
    let hosts: Vec<String> = hosts
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let port = ports[if ports.len() == 1 { 0 } else { i }];
            let host = match h {
                Host::Tcp(name) if name.contains(':') => format!("[{name}]"),
                Host::Tcp(name) => encode(name.as_bytes()),
                Host::Unix(path) => encode(path.as_os_str().as_bytes()),
            };
            format!("{host}:{port}")
        })
        .collect();
    format!(
        "postgresql://{}@{}/{}",
        encode(user.as_bytes()),
        hosts.join(","),
        encode(dbname.as_bytes())
    )
}

/// The host as the password file names it.
fn pgpass_host(h: &Host) -> String {
    match h {
        Host::Tcp(name) => name.clone(),
        Host::Unix(path) if path == Path::new(DEFAULT_SOCKET_DIR) => "localhost".to_owned(),
        Host::Unix(path) => path.to_string_lossy().into_owned(),
    }
}

enum PassFile {
    Readable(String),
    /// Group or others may use it, or it is not a regular file.
    TooOpen,
    Missing,
}

fn read_passfile(path: &Path) -> PassFile {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return PassFile::Missing;
    };
    if !meta.is_file() || meta.permissions().mode() & 0o077 != 0 {
        return PassFile::TooOpen;
    }
    match std::fs::read(path) {
        Ok(bytes) => PassFile::Readable(String::from_utf8_lossy(&bytes).into_owned()),
        Err(_) => PassFile::Missing,
    }
}

/// The password of the first line matching host, port, database and user
/// (libpq's passwordFromFile).
fn passfile_lookup(text: &str, host: &str, port: &str, dbname: &str, user: &str) -> Option<String> {
    for line in text.split('\n') {
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut rest = line;
        let mut matched = true;
        for want in [host, port, dbname, user] {
            match field_matches(rest, want) {
                Some(after) => rest = after,
                None => {
                    matched = false;
                    break;
                }
            }
        }
        if matched {
            // The password: up to an unescaped ':', with escapes removed.
            let mut password = String::new();
            let mut chars = rest.chars();
            while let Some(c) = chars.next() {
                match c {
                    ':' => break,
                    '\\' => match chars.next() {
                        Some(e) => password.push(e),
                        None => password.push('\\'),
                    },
                    c => password.push(c),
                }
            }
            return Some(password);
        }
    }
    None
}

/// If the line starts with a field matching `want` (or `*`) followed by
/// ':', what follows the ':'.
fn field_matches<'a>(line: &'a str, want: &str) -> Option<&'a str> {
    if let Some(after) = line.strip_prefix("*:") {
        return Some(after);
    }
    let mut field = String::new();
    let mut chars = line.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, e)) => field.push(e),
                None => return None,
            },
            ':' => return (field == want).then(|| &line[i + 1..]),
            c => field.push(c),
        }
    }
    None
}

/// The effective user's name and home directory from the passwd database
/// (what libpq uses for the default user).
fn passwd_entry() -> Option<(String, PathBuf)> {
    // SAFETY: getpwuid_r writes into the buffers we own and sets `result`
    // to `pwd` or null; the strings it points at live in `buf`.
    unsafe {
        let uid = libc::geteuid();
        let mut buf = vec![0u8; 4096];
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        loop {
            let rc = libc::getpwuid_r(
                uid,
                &mut pwd,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut result,
            );
            if rc == libc::ERANGE && buf.len() < 1 << 20 {
                buf.resize(buf.len() * 2, 0);
                continue;
            }
            if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
                return None;
            }
            break;
        }
        let name = CStr::from_ptr(pwd.pw_name).to_str().ok()?.to_owned();
        let home = if pwd.pw_dir.is_null() {
            PathBuf::new()
        } else {
            PathBuf::from(OsStr::from_bytes(CStr::from_ptr(pwd.pw_dir).to_bytes()))
        };
        Some((name, home))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::os::unix::fs::PermissionsExt;

    const SECRET: &str = "Zq7-s3cr3t-Wx";

    /// Parses with the given variables, no home, OS user "osuser", and no
    /// socket directory (so the default host is localhost).
    fn with_env(url: &str, vars: &[(&str, &str)]) -> Result<ParsedUrl> {
        with(url, vars, None, None)
    }

    fn with(
        url: &str,
        vars: &[(&str, &str)],
        home: Option<&Path>,
        socket_dir: Option<&str>,
    ) -> Result<ParsedUrl> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let env = move |name: &str| map.get(name).cloned();
        let sources = Sources {
            env: &env,
            home: home.map(Path::to_path_buf),
            os_user: Some("osuser".to_owned()),
            default_socket_dir: socket_dir.map(PathBuf::from),
        };
        parse_with(url, &sources)
    }

    fn ok(url: &str) -> ParsedUrl {
        match with_env(url, &[]) {
            Ok(p) => p,
            Err(e) => panic!("{url}: {e}"),
        }
    }

    fn err(url: &str, vars: &[(&str, &str)]) -> Error {
        match with_env(url, vars) {
            Ok(p) => panic!("{url} parsed as {p}"),
            Err(e) => e,
        }
    }

    fn tcp(h: &str) -> Host {
        Host::Tcp(h.to_owned())
    }

    #[test]
    fn recognises_urls() {
        assert!(is_postgres_url("postgresql://h/db"));
        assert!(is_postgres_url("postgres://"));
        assert!(!is_postgres_url("data.duckdb"));
        assert!(!is_postgres_url("postgresql:/h"));
        assert!(!is_postgres_url("POSTGRESQL://h"));
        assert!(!is_postgres_url(" postgresql://h"));
    }

    #[test]
    fn full_url() {
        let p = ok(&format!(
            "postgresql://alice:{SECRET}@db.lab.org:6543/catalog?connect_timeout=7&application_name=run1"
        ));
        let c = &p.config;
        assert_eq!(c.get_user(), Some("alice"));
        assert_eq!(c.get_password(), Some(SECRET.as_bytes()));
        assert_eq!(c.get_hosts(), [tcp("db.lab.org")]);
        assert_eq!(c.get_ports(), [6543]);
        assert_eq!(c.get_dbname(), Some("catalog"));
        assert_eq!(c.get_connect_timeout(), Some(&Duration::from_secs(7)));
        assert_eq!(c.get_application_name(), Some("run1"));
        assert_eq!(c.get_ssl_mode(), SslMode::Prefer);
        assert_eq!(p.password_source, PasswordSource::Url);
        assert_eq!(p.to_string(), "postgresql://alice@db.lab.org:6543/catalog");
        assert_eq!(p.redacted(), "postgresql://alice@db.lab.org:6543/catalog");
        assert!(!format!("{p:?}").contains(SECRET));
        assert!(!format!("{:?}", p.config).contains(SECRET));
    }

    #[test]
    fn defaults() {
        let p = ok("postgres://");
        let c = &p.config;
        assert_eq!(c.get_user(), Some("osuser"));
        assert_eq!(c.get_dbname(), Some("osuser"));
        assert_eq!(c.get_hosts(), [tcp("localhost")]);
        assert_eq!(c.get_ports(), [5432]);
        assert_eq!(c.get_application_name(), Some("scidb"));
        assert_eq!(c.get_connect_timeout(), None);
        assert_eq!(c.get_password(), None);
        assert_eq!(p.password_source, PasswordSource::None);
        assert_eq!(p.to_string(), "postgresql://osuser@localhost:5432/osuser");

        // The socket directory, when it exists, is the default host.
        let p = with("postgresql:///db", &[], None, Some("/var/run/postgresql")).unwrap();
        assert_eq!(
            p.config.get_hosts(),
            [Host::Unix(PathBuf::from("/var/run/postgresql"))]
        );
        assert_eq!(
            p.to_string(),
            "postgresql://osuser@%2Fvar%2Frun%2Fpostgresql:5432/db"
        );

        // No user anywhere.
        let env = |_: &str| None;
        let sources = Sources {
            env: &env,
            home: None,
            os_user: None,
            default_socket_dir: None,
        };
        let e = parse_with("postgresql://h/db", &sources).unwrap_err();
        assert!(e.message.contains("no PostgreSQL user name"), "{e}");
    }

    #[test]
    fn environment_defaults_and_url_wins() {
        let vars = [
            ("PGHOST", "envhost"),
            ("PGPORT", "6000"),
            ("PGUSER", "envuser"),
            ("PGPASSWORD", "envpass"),
            ("PGDATABASE", "envdb"),
            ("PGSSLMODE", "disable"),
            ("PGCONNECT_TIMEOUT", "12"),
            ("PGAPPNAME", "envapp"),
        ];
        let p = with_env("postgresql://", &vars).unwrap();
        let c = &p.config;
        assert_eq!(c.get_hosts(), [tcp("envhost")]);
        assert_eq!(c.get_ports(), [6000]);
        assert_eq!(c.get_user(), Some("envuser"));
        assert_eq!(c.get_password(), Some(&b"envpass"[..]));
        assert_eq!(p.password_source, PasswordSource::Env);
        assert_eq!(c.get_dbname(), Some("envdb"));
        assert_eq!(c.get_ssl_mode(), SslMode::Disable);
        assert_eq!(c.get_connect_timeout(), Some(&Duration::from_secs(12)));
        assert_eq!(c.get_application_name(), Some("envapp"));

        let p = with_env(
            "postgresql://u:pw@urlhost:7000/urldb?sslmode=prefer&connect_timeout=0&application_name=a",
            &vars,
        )
        .unwrap();
        let c = &p.config;
        assert_eq!(c.get_hosts(), [tcp("urlhost")]);
        assert_eq!(c.get_ports(), [7000]);
        assert_eq!(c.get_user(), Some("u"));
        assert_eq!(c.get_password(), Some(&b"pw"[..]));
        assert_eq!(c.get_dbname(), Some("urldb"));
        assert_eq!(c.get_ssl_mode(), SslMode::Prefer);
        // connect_timeout=0 in the URL means none, whatever the environment says.
        assert_eq!(c.get_connect_timeout(), None);
        assert_eq!(c.get_application_name(), Some("a"));

        // A host without a port takes PGPORT; the dbname defaults to the user.
        let p = with_env("postgresql://u@urlhost", &[("PGPORT", "6001")]).unwrap();
        assert_eq!(p.config.get_ports(), [6001]);
        assert_eq!(p.config.get_dbname(), Some("u"));

        // PGHOST may be a socket directory; empty variables are unset.
        let p = with_env(
            "postgresql:///db",
            &[("PGHOST", "/tmp/sock"), ("PGUSER", ""), ("PGPORT", "")],
        )
        .unwrap();
        assert_eq!(
            p.config.get_hosts(),
            [Host::Unix(PathBuf::from("/tmp/sock"))]
        );
        assert_eq!(p.config.get_ports(), [5432]);
        assert_eq!(p.config.get_user(), Some("osuser"));
        assert_eq!(p.to_string(), "postgresql://osuser@%2Ftmp%2Fsock:5432/db");
    }

    #[test]
    fn query_overrides_authority() {
        let p =
            ok("postgresql://u1:p1@h1:5433/db1?user=u2&password=p2&dbname=db2&host=h2&port=5434");
        let c = &p.config;
        assert_eq!(c.get_user(), Some("u2"));
        assert_eq!(c.get_password(), Some(&b"p2"[..]));
        assert_eq!(c.get_dbname(), Some("db2"));
        assert_eq!(c.get_hosts(), [tcp("h2")]);
        assert_eq!(c.get_ports(), [5434]);

        // A query host keeps the URL's port.
        let p = ok("postgresql://h1:5433/db?host=h2");
        assert_eq!(p.config.get_hosts(), [tcp("h2")]);
        assert_eq!(p.config.get_ports(), [5433]);

        // A socket directory as a query host, or percent-encoded.
        for url in [
            "postgresql:///db?host=/run/pg",
            "postgresql:///db?host=%2Frun%2Fpg",
            "postgresql://%2Frun%2Fpg/db",
        ] {
            let p = ok(url);
            assert_eq!(
                p.config.get_hosts(),
                [Host::Unix(PathBuf::from("/run/pg"))],
                "{url}"
            );
        }
        // Other postgres::Config parameters pass through.
        let p = ok("postgresql://h/db?options=-c%20search_path%3Dx&keepalives=0&target_session_attrs=read-write");
        assert_eq!(p.config.get_options(), Some("-c search_path=x"));
        assert!(!p.config.get_keepalives());
    }

    #[test]
    fn hosts_and_ports() {
        let p = ok("postgresql://a:5433,b,[::1]:5435,[fe80::2]/db");
        assert_eq!(
            p.config.get_hosts(),
            [tcp("a"), tcp("b"), tcp("::1"), tcp("fe80::2")]
        );
        assert_eq!(p.config.get_ports(), [5433, 5432, 5435, 5432]);
        assert_eq!(
            p.to_string(),
            "postgresql://osuser@a:5433,b:5432,[::1]:5435,[fe80::2]:5432/db"
        );

        // An empty host with a port: the default host on that port.
        let p = with_env("postgresql://:5439/db", &[("PGHOST", "envhost")]).unwrap();
        assert_eq!(p.config.get_hosts(), [tcp("envhost")]);
        assert_eq!(p.config.get_ports(), [5439]);

        // PGPORT lists pair with PGHOST lists.
        let p = with_env("postgresql:///db", &[("PGHOST", "x,y"), ("PGPORT", "1,2")]).unwrap();
        assert_eq!(p.config.get_hosts(), [tcp("x"), tcp("y")]);
        assert_eq!(p.config.get_ports(), [1, 2]);
        let e = with_env("postgresql:///db", &[("PGHOST", "x"), ("PGPORT", "1,2")]).unwrap_err();
        assert!(e.message.contains("PGPORT gives 2 ports for 1 host"), "{e}");

        // Percent-encoded user and database names come back decoded, and
        // the display encodes them again.
        let p = ok("postgresql://me%40lab@h/my%20db");
        assert_eq!(p.config.get_user(), Some("me@lab"));
        assert_eq!(p.config.get_dbname(), Some("my db"));
        assert_eq!(p.to_string(), "postgresql://me%40lab@h:5432/my%20db");
    }

    #[test]
    fn passwords_with_special_characters() {
        // Percent-encoded '@', '/', ':' and '%'; a raw ':' and '?' after the first ':'.
        let p = ok("postgresql://u:a%40b%2Fc%3Ad%25e@h/db");
        assert_eq!(p.config.get_password(), Some(&b"a@b/c:d%e"[..]));
        let p = ok("postgresql://u:a:b?c@h/db");
        assert_eq!(p.config.get_password(), Some(&b"a:b?c"[..]));
        assert_eq!(p.config.get_hosts(), [tcp("h")]);
        let p = ok("postgresql://u:x%26y@h/db?password=q%26r");
        assert_eq!(p.config.get_password(), Some(&b"q&r"[..]));
    }

    #[test]
    fn sslmodes() {
        for (mode, want) in [
            ("disable", SslMode::Disable),
            ("allow", SslMode::Prefer),
            ("prefer", SslMode::Prefer),
        ] {
            let p = ok(&format!("postgresql://h/db?sslmode={mode}"));
            assert_eq!(p.config.get_ssl_mode(), want, "{mode}");
            let p = with_env("postgresql://h/db", &[("PGSSLMODE", mode)]).unwrap();
            assert_eq!(p.config.get_ssl_mode(), want, "{mode}");
        }
        for mode in ["require", "verify-ca", "verify-full"] {
            let e = err(&format!("postgresql://h/db?sslmode={mode}"), &[]);
            assert_eq!(e.kind, crate::error::ErrorKind::InvalidArgument);
            assert!(e.message.contains("without TLS"), "{e}");
            assert!(e.message.contains("disable, allow or prefer"), "{e}");
            assert!(e.message.contains(mode), "{e}");
            let e = err("postgresql://h/db", &[("PGSSLMODE", mode)]);
            assert!(e.message.contains("(from PGSSLMODE)"), "{e}");
        }
        let e = err("postgresql://h/db?sslmode=sometimes", &[]);
        assert!(e.message.contains("`sometimes`"), "{e}");
        assert!(e.message.contains("unknown sslmode"), "{e}");
        // The URL's sslmode wins over PGSSLMODE, even a refused one.
        let p = with_env(
            "postgresql://h/db?sslmode=disable",
            &[("PGSSLMODE", "require")],
        )
        .unwrap();
        assert_eq!(p.config.get_ssl_mode(), SslMode::Disable);
    }

    #[test]
    fn errors() {
        for (url, vars, want) in [
            ("mysql://h/db", &[][..], "postgresql://"),
            ("postgresql://h:0/db", &[], "port"),
            ("postgresql://h:99999/db", &[], "port"),
            ("postgresql://h:54x/db", &[], "port"),
            ("postgresql://[::1/db", &[], "IPv6"),
            ("postgresql://[::1]x/db", &[], "IPv6"),
            (
                "postgresql://h/db?foo=1",
                &[],
                "unknown connection parameter `foo`",
            ),
            ("postgresql://h/db?port", &[], "no '='"),
            (
                "postgresql://h/db?connect_timeout=soon",
                &[],
                "connect_timeout",
            ),
            ("postgresql://h/d%zzb", &[], "database name"),
            ("postgresql://h/%FF", &[], "database name is not UTF-8"),
            ("postgresql://h/db?port=1,2", &[], "2 ports for 1 host"),
            (
                "postgresql://h/db",
                &[("PGPORT", "x")],
                "PGPORT is not a port number",
            ),
            (
                "postgresql://h/db",
                &[("PGCONNECT_TIMEOUT", "x")],
                "PGCONNECT_TIMEOUT",
            ),
        ] {
            let e = err(url, vars);
            assert_eq!(e.kind, crate::error::ErrorKind::InvalidArgument);
            assert!(e.message.contains(want), "{url}: {e}");
        }
    }

    /// Every error path, with the password in the URL's credentials or its
    /// query: the password never shows in the message.
    #[test]
    fn errors_never_show_the_password() {
        let enc = "Zq7-s3cr3t%2DWx"; // SECRET with its '-' percent-encoded
        let cases: Vec<(String, Vec<(&str, &str)>)> = [
            "mysql://u:{P}@h/db",
            "postgresql//u:{P}@h/db",
            "postgresql://u:{P}@h:0/db",
            "postgresql://u:{P}@h:port/db",
            "postgresql://u:{P}@[::1/db",
            "postgresql://u:{P}@[::1]x/db",
            "postgresql://u:{P}@h/db?foo=1",
            "postgresql://u:{P}@h/db?foo",
            "postgresql://u:{P}@h/db?connect_timeout=x",
            "postgresql://u:{P}@h/db?keepalives=x",
            "postgresql://u:{P}@h/db?hostaddr=x",
            "postgresql://u:{P}@h/db?sslmode=require",
            "postgresql://u:{P}@h/db?sslmode=verify-full",
            "postgresql://u:{P}@h/db?sslmode=bogus",
            "postgresql://u:{P}@h/db?port=1,2",
            "postgresql://u:{P}@h/d%zz",
            "postgresql://u:{P}@h/%FF",
            "postgresql://u:{P}@h%FF/db",
            "postgresql://u%FF:{P}@h/db",
            "postgresql://u:{P}%zz@h/db",
            "postgresql://u:{P}@h/db?sslmode=%FF",
            // Unencoded '@' or '/' in the password.
            "postgresql://u:{P}@x@h/db",
            "postgresql://u:x@{P}@h/db",
            "postgresql://u:x/{P}@h/db",
            "postgresql://u:12/{P}@h/db",
            // The password in the query, with an unencoded '&'.
            "postgresql://u@h/db?password={P}&{P}=1",
            "postgresql://u@h/db?password=a&{P}",
            "postgresql://u@h/db?password={P}&sslmode=require",
            "postgresql://u@h:0/db?password={P}",
        ]
        .iter()
        .flat_map(|t| {
            [SECRET, enc]
                .map(|p| (t.replace("{P}", p), Vec::new()))
                .into_iter()
        })
        .chain(
            [
                ("PGPORT", "x"),
                ("PGSSLMODE", "require"),
                ("PGSSLMODE", "bogus"),
                ("PGCONNECT_TIMEOUT", "x"),
            ]
            .into_iter()
            .map(|kv| (format!("postgresql://u:{SECRET}@h/db"), vec![kv])),
        )
        .collect();
        for (url, vars) in &cases {
            let e = match with_env(url, vars) {
                Ok(p) => panic!("{url} parsed as {p}"),
                Err(e) => e,
            };
            for shown in [e.to_string(), format!("{e:?}")] {
                assert!(!shown.contains("s3cr3t"), "{url}: {shown}");
                assert!(!shown.contains(url.as_str()), "{url}: {shown}");
            }
        }
    }

    #[test]
    fn scrub_withholds_leaking_messages() {
        let e = Error::invalid("bad sslmode `hunter22`");
        let s = scrub(e.clone(), &[b"hunter22".to_vec()]);
        assert!(!s.message.contains("hunter22"));
        assert!(s.message.contains("withheld"));
        assert_eq!(s.kind, e.kind);
        assert_eq!(scrub(e.clone(), &[b"xyz".to_vec()]), e);
        assert_eq!(scrub(e.clone(), &[]), e);
    }

    fn write_passfile(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn passfile_lookup_rules() {
        let text = "# comment line\n\
                    other:5432:db:u:wrong\n\
                    h:5432:db:u:first\\:pw\\\\x:ignored\n\
                    h:5432:db:u:second\n\
                    *:*:*:alice:wild\r\n\
                    we\\:ird:5432:*:bob:esc\n\
                    h:5433:db:carol:\n\
                    h:5433:db:dave\n\
                    \\*:5432:db:erin:star\n";
        assert_eq!(
            passfile_lookup(text, "h", "5432", "db", "u").as_deref(),
            Some("first:pw\\x")
        );
        assert_eq!(
            passfile_lookup(text, "any", "1", "x", "alice").as_deref(),
            Some("wild")
        );
        assert_eq!(
            passfile_lookup(text, "we:ird", "5432", "anydb", "bob").as_deref(),
            Some("esc")
        );
        assert_eq!(
            passfile_lookup(text, "h", "5433", "db", "carol").as_deref(),
            Some("")
        );
        assert_eq!(passfile_lookup(text, "h", "5433", "db", "dave"), None);
        assert_eq!(passfile_lookup(text, "h", "5432", "db", "nobody"), None);
        // An escaped '*' is a literal star, not a wildcard.
        assert_eq!(passfile_lookup(text, "zz", "5432", "db", "erin"), None);
        assert_eq!(
            passfile_lookup(text, "*", "5432", "db", "erin").as_deref(),
            Some("star")
        );
        assert_eq!(
            passfile_lookup("# h:5432:db:u:x\n", "# h", "5432", "db", "u"),
            None
        );
    }

    #[test]
    fn passfile_from_home_and_pgpassfile() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path();
        write_passfile(home, ".pgpass", "h:5432:db:u:frompgpass\n", 0o600);
        let p = with("postgresql://u@h/db", &[], Some(home), None).unwrap();
        assert_eq!(p.config.get_password(), Some(&b"frompgpass"[..]));
        assert_eq!(
            p.password_source,
            PasswordSource::PassFile(home.join(".pgpass"))
        );
        assert_eq!(p.ignored_passfile, None);

        // No matching line: no password.
        let p = with("postgresql://u@h:5439/db", &[], Some(home), None).unwrap();
        assert_eq!(p.config.get_password(), None);
        assert_eq!(p.password_source, PasswordSource::None);

        // A password given otherwise wins over the file.
        let p = with("postgresql://u:given@h/db", &[], Some(home), None).unwrap();
        assert_eq!(p.config.get_password(), Some(&b"given"[..]));
        let p = with(
            "postgresql://u@h/db",
            &[("PGPASSWORD", "env")],
            Some(home),
            None,
        )
        .unwrap();
        assert_eq!(p.config.get_password(), Some(&b"env"[..]));

        // PGPASSFILE replaces ~/.pgpass.
        let other = write_passfile(home, "other", "*:*:*:*:fromother\n", 0o400);
        let vars = [("PGPASSFILE", other.to_str().unwrap())];
        let p = with("postgresql://u@h/db", &vars, Some(home), None).unwrap();
        assert_eq!(p.config.get_password(), Some(&b"fromother"[..]));

        // The default socket directory matches "localhost"; the defaults
        // (user, dbname, port) take part in the match.
        write_passfile(
            home,
            ".pgpass",
            "localhost:5432:osuser:osuser:sock\n",
            0o600,
        );
        let p = with("postgresql://", &[], Some(home), Some(DEFAULT_SOCKET_DIR)).unwrap();
        assert_eq!(p.config.get_password(), Some(&b"sock"[..]));

        // Later hosts are tried when the first has no line.
        write_passfile(home, ".pgpass", "b:6000:db:u:second-host\n", 0o600);
        let p = with("postgresql://u@a,b:6000/db", &[], Some(home), None).unwrap();
        assert_eq!(p.config.get_password(), Some(&b"second-host"[..]));

        // A file group or others may read is ignored, and named.
        for mode in [0o640, 0o604, 0o660] {
            let path = write_passfile(home, ".pgpass", "*:*:*:*:open\n", mode);
            let p = with("postgresql://u@h/db", &[], Some(home), None).unwrap();
            assert_eq!(p.config.get_password(), None, "{mode:o}");
            assert_eq!(p.ignored_passfile.as_deref(), Some(path.as_path()));
        }
        // A directory is not a password file; a missing file is no error.
        let vars = [("PGPASSFILE", home.to_str().unwrap())];
        let p = with("postgresql://u@h/db", &vars, Some(home), None).unwrap();
        assert_eq!(p.config.get_password(), None);
        let p = with(
            "postgresql://u@h/db",
            &[],
            Some(&home.join("nowhere")),
            None,
        )
        .unwrap();
        assert_eq!(p.config.get_password(), None);
        assert_eq!(p.ignored_passfile, None);
    }

    #[test]
    fn real_environment_wrapper_runs() {
        // Whatever the machine's PG* variables say, an explicit URL parses.
        let p =
            parse("postgresql://someone@somehost:1234/somedb?sslmode=disable&connect_timeout=0")
                .unwrap();
        assert_eq!(p.to_string(), "postgresql://someone@somehost:1234/somedb");
        assert!(passwd_entry().is_some_and(|(name, _)| !name.is_empty()));
    }
}
