//! The PostgreSQL test server (tests/pg/with_server.sh) is there and
//! answers: password authentication over TCP, the URL parsing of
//! `scidb::store::pg_config`, and the password file.
//!
//! Without SCIDB_TEST_PG_URL these tests print why they skip, unless
//! SCIDB_REQUIRE_PG=1 (set by with_server.sh, so `make test` demands a
//! server): then they fail.

use postgres::{Client, NoTls};
use scidb::store::pg_config::{self, PasswordSource, Sources};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

/// The server's URL (without password) and the password, or None to skip.
fn server(test: &str) -> Option<(String, String)> {
    let url = std::env::var("SCIDB_TEST_PG_URL")
        .ok()
        .filter(|u| !u.is_empty());
    match url {
        Some(url) => {
            let password = std::env::var("SCIDB_TEST_PG_PASSWORD").unwrap_or_default();
            Some((url, password))
        }
        None if std::env::var("SCIDB_REQUIRE_PG").as_deref() == Ok("1") => panic!(
            "{test}: SCIDB_REQUIRE_PG=1 but SCIDB_TEST_PG_URL is not set; \
             run the tests under tests/pg/with_server.sh"
        ),
        None => {
            eprintln!(
                "{test}: skipped, SCIDB_TEST_PG_URL is not set \
                 (tests/pg/with_server.sh CMD runs CMD beside a server)"
            );
            None
        }
    }
}

/// The URL with the password in it, percent-encoded.
fn with_password(url: &str, password: &str) -> String {
    let encoded: String = password
        .bytes()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                (c as char).to_string()
            } else {
                format!("%{c:02X}")
            }
        })
        .collect();
    url.replacen("://scidb_test@", &format!("://scidb_test:{encoded}@"), 1)
}

fn select_1(client: &mut Client) {
    let row = client.query_one("SELECT 1", &[]).unwrap();
    assert_eq!(row.get::<_, i32>(0), 1);
}

#[test]
fn select_1_with_the_postgres_crate() {
    let Some((url, password)) = server("select_1_with_the_postgres_crate") else {
        return;
    };
    let mut config: postgres::Config = url.parse().unwrap();
    config.password(&password);
    let mut client = config.connect(NoTls).unwrap();
    select_1(&mut client);
    let row = client
        .query_one("SELECT current_user::text, current_database()::text", &[])
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "scidb_test");
    assert_eq!(row.get::<_, String>(1), "scidb_test");
}

#[test]
fn password_auth_over_tcp_via_pg_config() {
    let Some((url, password)) = server("password_auth_over_tcp_via_pg_config") else {
        return;
    };
    let parsed = pg_config::parse(&with_password(&url, &password)).unwrap();
    assert_eq!(parsed.password_source, PasswordSource::Url);
    assert!(!parsed.to_string().contains(&password));
    let mut client = parsed.config.connect(NoTls).unwrap();
    select_1(&mut client);
    let row = client.query_one("SHOW application_name", &[]).unwrap();
    assert_eq!(row.get::<_, String>(0), "scidb");

    // A wrong password is refused, and the error does not show it.
    let wrong = format!("{password}-wrong");
    let parsed = pg_config::parse(&with_password(&url, &wrong)).unwrap();
    let err = parsed
        .config
        .connect(NoTls)
        .err()
        .expect("a wrong password connects");
    let text = format!("{err} {err:?}");
    assert!(!text.contains(&wrong), "{text}");
    assert!(text.contains("password authentication failed"), "{text}");
}

#[test]
fn password_from_a_pgpass_file() {
    let Some((url, password)) = server("password_from_a_pgpass_file") else {
        return;
    };
    let port = url
        .rsplit_once(':')
        .and_then(|(_, p)| p.split('/').next())
        .unwrap()
        .to_owned();
    let home = tempfile::tempdir().unwrap();
    let pgpass = home.path().join(".pgpass");
    std::fs::write(
        &pgpass,
        format!("127.0.0.1:{port}:scidb_test:scidb_test:{password}\n"),
    )
    .unwrap();
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let env = |_: &str| None;
    let sources = Sources {
        env: &env,
        home: Some(home.path().to_path_buf()),
        os_user: None,
        default_socket_dir: None,
    };
    let parsed = pg_config::parse_with(&url, &sources).unwrap();
    assert_eq!(
        parsed.password_source,
        PasswordSource::PassFile(pgpass.clone())
    );
    select_1(&mut parsed.config.connect(NoTls).unwrap());

    // Readable by others: ignored, so no password, so refused.
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o644)).unwrap();
    let parsed = pg_config::parse_with(&url, &sources).unwrap();
    assert_eq!(parsed.ignored_passfile, Some(PathBuf::from(&pgpass)));
    assert!(parsed.config.connect(NoTls).is_err());
}
