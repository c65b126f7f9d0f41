//! The two backends, how to connect to them, and their embedded migrations.
//!
//! Every query of the store is written once, in SQL both databases accept (`$1` placeholders,
//! `ON CONFLICT … DO UPDATE`, `RETURNING`), and run through [`on_pool!`], which expands the same
//! code once per backend so each arm is compiled against its own driver's types.

use std::borrow::Cow;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::StoreError;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the backend's pool, for whichever backend `$db` is.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Implements `sqlx::FromRow` for both backends' rows by reading each field from the column of
/// the same name.
macro_rules! from_row {
    ($ty:ident { $($field:ident),+ $(,)? }) => {
        impl sqlx::FromRow<'_, sqlx::sqlite::SqliteRow> for $ty {
            fn from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Self, sqlx::Error> {
                use sqlx::Row as _;
                Ok($ty { $($field: row.try_get(stringify!($field))?),+ })
            }
        }
        impl sqlx::FromRow<'_, sqlx::postgres::PgRow> for $ty {
            fn from_row(row: &sqlx::postgres::PgRow) -> Result<Self, sqlx::Error> {
                use sqlx::Row as _;
                Ok($ty { $($field: row.try_get(stringify!($field))?),+ })
            }
        }
    };
}
pub(crate) use from_row;

/// How long a statement waits for SQLite's write lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request waits for a free connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

impl Db {
    pub(crate) async fn connect(url: &str) -> Result<Db, StoreError> {
        match backend_of(url)? {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(|e| StoreError::BadUrl(e.to_string()))?
                    .create_if_missing(true)
                    .foreign_keys(true)
                    // WAL lets readers proceed while one writer commits.
                    .journal_mode(SqliteJournalMode::Wal)
                    // FULL syncs the WAL on every commit: an acknowledged linking survives
                    // power loss too, not only a killed process. Writes are rare; reads are not
                    // affected.
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT);
                if let Some(parent) = options.get_filename().parent()
                    && !parent.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(parent).map_err(StoreError::CreateDir)?;
                }
                if let Some(file) = sqlite_file(url)? {
                    create_owner_only(&file).map_err(StoreError::CreateFile)?;
                }
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(options)
                    .await
                    .map_err(StoreError::Connect)?;
                Ok(Db::Sqlite(pool))
            }
            Backend::Postgres => {
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect(url)
                    .await
                    .map_err(StoreError::Connect)?;
                Ok(Db::Postgres(pool))
            }
        }
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the embedded migrations not yet applied. On Postgres, sqlx holds an advisory
    /// lock meanwhile, so several hubs starting together migrate once.
    pub(crate) async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(pool) => Migrator::new(Embedded(SQLITE_MIGRATIONS))
                .await?
                .run(pool)
                .await
                .map_err(StoreError::from),
            Db::Postgres(pool) => Migrator::new(Embedded(POSTGRES_MIGRATIONS))
                .await?
                .run(pool)
                .await
                .map_err(StoreError::from),
        }
    }

    pub(crate) async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}

/// The backend a database URL names.
pub fn backend_of(url: &str) -> Result<Backend, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(StoreError::BadUrl(
            "expected sqlite://PATH or postgres://USER@HOST/DATABASE".to_owned(),
        ))
    }
}

/// The database file of a SQLite URL (`None` for in-memory databases and other backends).
pub fn sqlite_file(url: &str) -> Result<Option<std::path::PathBuf>, StoreError> {
    if backend_of(url)? != Backend::Sqlite {
        return Ok(None);
    }
    let options =
        SqliteConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl(e.to_string()))?;
    let file = options.get_filename();
    if file.as_os_str().is_empty() || file.as_os_str() == ":memory:" {
        return Ok(None);
    }
    Ok(Some(file.to_path_buf()))
}

/// Creates a missing database file readable and writable by its owner only (0600, whatever the
/// umask), before SQLite opens it: SQLite would create it 0644 less the umask, and it gives the
/// `-wal` and `-shm` files the database file's mode. An existing file keeps its mode.
fn create_owner_only(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        // The umask may have taken bits away at creation; set the mode exactly.
        #[cfg(unix)]
        Ok(file) => file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600)),
        #[cfg(not(unix))]
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

/// Whether the SQLite database at `path` holds values sealed by the vault (the API key pepper,
/// credentials): opening it with a new master key would then fail, so a missing key file
/// beside it must not be replaced by a new one. A missing or empty file holds nothing.
pub async fn sqlite_holds_sealed_data(path: &Path) -> Result<bool, StoreError> {
    if std::fs::metadata(path).map_or(true, |meta| meta.len() == 0) {
        return Ok(false);
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .busy_timeout(SQLITE_BUSY_TIMEOUT);
    let mut connection = sqlx::ConnectOptions::connect(&options)
        .await
        .map_err(StoreError::Connect)?;
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('hub_secrets', 'credentials')",
    )
    .fetch_one(&mut connection)
    .await?;
    let sealed = tables == 2
        && sqlx::query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT 1 FROM hub_secrets) OR EXISTS (SELECT 1 FROM credentials)",
        )
        .fetch_one(&mut connection)
        .await?;
    let _ = sqlx::Connection::close(connection).await;
    Ok(sealed)
}

/// (version, description, SQL) of each migration, oldest first.
type EmbeddedMigration = (i64, &'static str, &'static str);

const SQLITE_MIGRATIONS: &[EmbeddedMigration] = &[
    (
        1,
        "init",
        include_str!("../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "runs",
        include_str!("../migrations/sqlite/0002_runs.sql"),
    ),
    (
        3,
        "dashboard sign-outs",
        include_str!("../migrations/sqlite/0003_dashboard_sign_outs.sql"),
    ),
    (
        4,
        "sealed idempotency",
        include_str!("../migrations/sqlite/0004_sealed_idempotency.sql"),
    ),
    (
        5,
        "webhooks",
        include_str!("../migrations/sqlite/0005_webhooks.sql"),
    ),
    (
        6,
        "policies and approvals",
        include_str!("../migrations/sqlite/0006_policies_approvals.sql"),
    ),
];
const POSTGRES_MIGRATIONS: &[EmbeddedMigration] = &[
    (
        1,
        "init",
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "runs",
        include_str!("../migrations/postgres/0002_runs.sql"),
    ),
    (
        3,
        "dashboard sign-outs",
        include_str!("../migrations/postgres/0003_dashboard_sign_outs.sql"),
    ),
    (
        4,
        "sealed idempotency",
        include_str!("../migrations/postgres/0004_sealed_idempotency.sql"),
    ),
    (
        5,
        "webhooks",
        include_str!("../migrations/postgres/0005_webhooks.sql"),
    ),
    (
        6,
        "policies and approvals",
        include_str!("../migrations/postgres/0006_policies_approvals.sql"),
    ),
];

/// Migrations compiled into the binary, so a hub needs no files beside it (sqlx's `migrate!`
/// would do the same but needs its proc-macro crate, which this project does not build).
#[derive(Debug)]
struct Embedded(&'static [EmbeddedMigration]);

impl MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 'static>> {
        Box::pin(async move {
            Ok(self
                .0
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}
