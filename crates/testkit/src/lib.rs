//! Test fixtures shared by actionhub's test suites: throwaway databases on both backends and
//! fixed master keys.
//!
//! A Postgres fixture creates a fresh database with a random name on the server named by
//! `ACTIONHUB_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) and
//! drops it when the fixture is dropped, so parallel tests and repeated runs never share state.
//! If the server is not reachable the test fails and says how to start it: the Postgres half of
//! the suite is never skipped silently.
//!
//! [`front_spec`] converts Front's OpenAPI response schemas to JSON Schema, to check answers.
//!
//! It is for tests only and must never be a dependency of the shipped binary.

pub mod front_spec;

use std::path::PathBuf;
use std::process::Command;

use sqlx::Connection as _;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnection;

/// Version 1 of the test keyring (32 bytes, standard base64).
pub const KEY_V1: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// Version 2 of the test keyring.
pub const KEY_V2: &str = "HxwdHhscGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";

/// The default administrative URL of the test Postgres server.
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database that exists for the lifetime of one test.
pub struct TestDatabase {
    url: String,
    backend: Backend,
}

enum Backend {
    Sqlite {
        dir: tempfile::TempDir,
        file: PathBuf,
    },
    Postgres {
        admin_url: String,
        name: String,
    },
}

impl TestDatabase {
    /// A SQLite database file in a fresh temporary directory.
    pub fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let file = dir.path().join("actionhub.db");
        TestDatabase {
            url: format!("sqlite://{}", file.display()),
            backend: Backend::Sqlite { dir, file },
        }
    }

    /// A fresh, empty Postgres database. Panics with instructions when the server is down.
    pub async fn postgres() -> TestDatabase {
        let admin_url = std::env::var("ACTIONHUB_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let mut admin = match PgConnection::connect(&admin_url).await {
            Ok(connection) => connection,
            Err(error) => panic!(
                "the Postgres tests need a server at {admin_url} (set ACTIONHUB_TEST_POSTGRES_URL to \
                 use another), but connecting failed: {error}. Start the machine's server with \
                 `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, or \
                 run ./scripts/test.sh, which does."
            ),
        };
        let name = format!("actionhub_test_{}", random_suffix());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|error| panic!("cannot create the test database {name}: {error}"));
        let _ = admin.close().await;
        let url = replace_database(&admin_url, &name);
        TestDatabase {
            url,
            backend: Backend::Postgres { admin_url, name },
        }
    }

    /// The URL to open the database with.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The SQLite file's directory (for a key file beside it), or `None` on Postgres.
    pub fn dir(&self) -> Option<&std::path::Path> {
        match &self.backend {
            Backend::Sqlite { dir, .. } => Some(dir.path()),
            Backend::Postgres { .. } => None,
        }
    }

    /// Runs one SQL statement directly on the database, behind the store's back (to tamper
    /// with rows the way an attacker with database access could).
    pub async fn execute(&self, sql: &str) -> u64 {
        let result = match &self.backend {
            Backend::Sqlite { .. } => {
                let mut connection = SqliteConnection::connect(&self.url)
                    .await
                    .expect("open SQLite");
                sqlx::query(sql)
                    .execute(&mut connection)
                    .await
                    .map(|r| r.rows_affected())
            }
            Backend::Postgres { .. } => {
                let mut connection = PgConnection::connect(&self.url)
                    .await
                    .expect("open Postgres");
                sqlx::query(sql)
                    .execute(&mut connection)
                    .await
                    .map(|r| r.rows_affected())
            }
        };
        result.unwrap_or_else(|error| panic!("{sql}: {error}"))
    }

    /// SQLite's `PRAGMA integrity_check` verdict (`ok` for a sound file); `None` on Postgres,
    /// whose server keeps its own files consistent.
    pub async fn sqlite_integrity_check(&self) -> Option<String> {
        match &self.backend {
            Backend::Sqlite { .. } => {
                let mut connection = SqliteConnection::connect(&self.url)
                    .await
                    .expect("open SQLite");
                let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
                    .fetch_one(&mut connection)
                    .await
                    .expect("run the integrity check");
                Some(verdict)
            }
            Backend::Postgres { .. } => None,
        }
    }

    /// Everything the database holds, as raw bytes: on SQLite the database file with its WAL
    /// and shared-memory files; on Postgres a `pg_dump` of the whole database.
    pub fn raw_contents(&self) -> Vec<u8> {
        match &self.backend {
            Backend::Sqlite { file, .. } => {
                let mut bytes = Vec::new();
                for suffix in ["", "-wal", "-shm"] {
                    let mut path = file.clone().into_os_string();
                    path.push(suffix);
                    if let Ok(content) = std::fs::read(&path) {
                        bytes.extend_from_slice(&content);
                    }
                }
                bytes
            }
            Backend::Postgres { .. } => {
                let output = Command::new("pg_dump")
                    .arg("--dbname")
                    .arg(&self.url)
                    .output()
                    .unwrap_or_else(|error| panic!("cannot run pg_dump: {error}"));
                assert!(
                    output.status.success(),
                    "pg_dump failed: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
                output.stdout
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Backend::Postgres { admin_url, name } = &self.backend {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop may run inside a runtime, which cannot be blocked on: use a thread of our own.
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                runtime
                    .block_on(async {
                        let mut admin = PgConnection::connect(&admin_url).await?;
                        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut admin)
                            .await?;
                        admin.close().await
                    })
                    .map_err(std::io::Error::other)
            })
            .join();
            if !matches!(dropped, Ok(Ok(()))) {
                eprintln!("warning: could not drop a test database");
            }
        }
    }
}

/// `admin_url` with its database name replaced by `name`.
fn replace_database(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut url = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// 16 random lowercase hex digits, for unique database names.
pub fn random_suffix() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the OS random number generator works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of `needle` and its lowercase hex form: a token stored in a `bytea` or `BLOB`
/// column shows up hex-encoded in a dump, so both must be absent.
pub fn encodings_of(needle: &str) -> Vec<Vec<u8>> {
    let hex: String = needle.bytes().map(|b| format!("{b:02x}")).collect();
    vec![needle.as_bytes().to_vec(), hex.into_bytes()]
}

/// Whether `haystack` contains `needle` in any of the forms of [`encodings_of`].
pub fn contains_secret(haystack: &[u8], needle: &str) -> bool {
    encodings_of(needle).iter().any(|form| {
        haystack
            .windows(form.len())
            .any(|window| window == form.as_slice())
    })
}

/// Reads one HTTP/1 request from `socket` whole, its body included (by `Content-Length`), for a
/// fake peer that answers by hand: closing the connection before the body is read could reset
/// it before the client reads the answer. False when the connection ended first.
pub async fn read_http_request(socket: &mut tokio::net::TcpStream) -> bool {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
        }
    };
    let head = String::from_utf8_lossy(&received[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0);
    while received.len() < head_end + length {
        match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
        }
    }
    true
}
