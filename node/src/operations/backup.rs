//! A consistent backup of one node, and its restore into a new node directory.
//!
//! A backup directory (mode 0700) holds the database (SQLite: `VACUUM INTO`, PostgreSQL:
//! `pg_dump --format=custom`; both consistent while the node runs), `node.toml`, the
//! certificates, keys (0600), CA and CRL, an export of the message log
//! ([`super::log_export`]) and `manifest.json` with the SHA-256 of every file. A restore checks
//! every file against the manifest first, then writes a node directory whose `node.toml` names
//! its files relative to itself.

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

mod postgres;

use postgres::{ensure_empty, pg_tool};

use super::log_export::{self, ExportError, ExportSummary};
use crate::config::{Config, ConfigError};
use crate::db::log::{self, Report};
use crate::db::{self, DatabaseUrl, DbError};

/// The `format` of `manifest.json`.
pub const FORMAT: &str = "once-backup-v1";
/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
/// The SQLite database's name in a restored node directory.
const RESTORED_SQLITE: &str = "node.db";

/// What a file of a backup is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Role {
    /// `node.toml` as it was.
    Config,
    /// The federation root (`tls.ca`).
    Ca,
    /// The CRL (`tls.crl`).
    Crl,
    /// The TLS certificate (`tls.cert`).
    TlsCert,
    /// The TLS key (`tls.key`).
    TlsKey,
    /// The signing certificate (`signing.cert`).
    SigningCert,
    /// The signing key (`signing.key`).
    SigningKey,
    /// The application client CA (`application.client_ca`), if configured.
    ClientCa,
    /// The database (SQLite file or `pg_dump` archive).
    Database,
    /// The message log export (`once log export`).
    LogExport,
}

impl Role {
    /// The file name (in a backup and in a restored node), the `node.toml` field that names it,
    /// and whether it is private (mode 0600).
    fn file(self, database: DatabaseKind) -> (&'static str, Option<&'static str>, bool) {
        match self {
            Role::Config => ("node.toml", None, true),
            Role::Ca => ("ca.pem", Some("tls.ca"), false),
            Role::Crl => ("crl.pem", Some("tls.crl"), false),
            Role::TlsCert => ("tls.pem", Some("tls.cert"), false),
            Role::TlsKey => ("tls.key", Some("tls.key"), true),
            Role::SigningCert => ("signing.pem", Some("signing.cert"), false),
            Role::SigningKey => ("signing.key", Some("signing.key"), true),
            Role::ClientCa => ("client-ca.pem", Some("application.client_ca"), false),
            Role::Database => match database {
                DatabaseKind::Sqlite => ("database.sqlite", None, true),
                DatabaseKind::Postgresql => ("database.pgdump", None, true),
            },
            Role::LogExport => ("log.jsonl", None, true),
        }
    }
}

/// The roles every backup has.
const REQUIRED: [Role; 8] = [
    Role::Config,
    Role::Ca,
    Role::Crl,
    Role::TlsCert,
    Role::TlsKey,
    Role::SigningCert,
    Role::SigningKey,
    Role::Database,
];

/// The kind of database backed up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseKind {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL database.
    Postgresql,
}

impl DatabaseKind {
    /// The name in `manifest.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            DatabaseKind::Sqlite => "sqlite",
            DatabaseKind::Postgresql => "postgresql",
        }
    }
}

/// `manifest.json`: what the backup is and the SHA-256 of every file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The node's member id.
    pub member_id: String,
    /// When the backup was made (RFC 3339, UTC).
    pub created_at: String,
    /// The version of `once` that made it.
    pub once_version: String,
    /// The database kind.
    pub database: DatabaseKind,
    /// What the log export holds.
    pub log: ExportSummary,
    /// Every file but the manifest.
    pub files: Vec<ManifestFile>,
}

/// One file of a backup.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    /// Its name in the backup directory.
    pub name: String,
    /// What it is.
    pub role: Role,
    /// Its SHA-256, lowercase hex.
    pub sha256: String,
    /// Its size.
    pub bytes: u64,
}

/// Why a backup or restore failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// The request cannot be carried out as given (a non-empty directory, a missing or wrong
    /// `--database-url`, a database that is not empty).
    #[error("{0}")]
    Refused(String),
    /// The node's configuration is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database or a PostgreSQL tool is not available.
    #[error("{0}")]
    Unavailable(String),
    /// A file of the backup is missing or not what the manifest says.
    #[error("backup file {path} {reason}")]
    Tampered {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A step failed (`pg_dump`, `pg_restore`, the database copy, the log export).
    #[error("{0}")]
    Failed(String),
}

impl From<ExportError> for BackupError {
    fn from(e: ExportError) -> Self {
        match e {
            ExportError::Db(e) => unavailable(e),
            other => BackupError::Failed(format!("log export: {other}")),
        }
    }
}

fn unavailable(e: DbError) -> BackupError {
    BackupError::Unavailable(format!("database_url: {e}"))
}

fn io_error(what: &'static str, path: &Path) -> impl FnOnce(io::Error) -> BackupError + use<> {
    let path = path.to_owned();
    move |source| BackupError::Io { what, path, source }
}

/// What a backup wrote.
#[derive(Debug)]
pub struct BackupSummary {
    /// The manifest written last.
    pub manifest: Manifest,
    /// The checkpoint signed before the backup (its entry), none when the newest one already
    /// covered the log, or why none could be signed.
    pub checkpoint: Result<Option<i64>, String>,
}

/// Backs up the node configured in `config_path` into `out` (new or empty; created 0700).
/// First signs a checkpoint over the log's head when the signing key can be loaded, so the
/// backup ends on a checkpoint. On failure, the files written so far are removed.
pub fn backup(config_path: &Path, out: &Path) -> Result<BackupSummary, BackupError> {
    let config = Config::load(config_path)?;
    let database = match DatabaseUrl::parse(&config.database_url) {
        Ok(DatabaseUrl::Sqlite(_)) => DatabaseKind::Sqlite,
        Ok(DatabaseUrl::Postgres(_)) => DatabaseKind::Postgresql,
        Err(e) => return Err(ConfigError::new("database_url", e).into()),
    };
    let created = prepare_empty_dir(out, "--out")?;
    let mut files = Files::new(out, database);
    let result = write_backup(&config, config_path, &mut files);
    if result.is_err() {
        files.discard(created);
    }
    result
}

fn write_backup(
    config: &Config,
    config_path: &Path,
    files: &mut Files,
) -> Result<BackupSummary, BackupError> {
    let pool = open_pool(config)?;
    let mut conn = pool
        .get()
        .map_err(|e| unavailable(DbError::Unavailable(e.to_string())))?;
    let checkpoint = config
        .load_material()
        .and_then(|(material, _)| {
            crate::exchange::checkpoint::CheckpointSigner::from_material(
                &config.member_id,
                &material,
            )
        })
        .map_err(|e| e.to_string())
        .and_then(|signer| {
            crate::exchange::logbook::checkpoint_now(&mut conn, &signer).map_err(|e| e.to_string())
        })
        .map(|made| made.map(|c| c.seq));

    // The export first, then the database: the database holds at least the exported entries.
    let export = files.path(Role::LogExport);
    let log = log_export::export(&mut conn, &config.member_id, &export)?;
    files.record(Role::LogExport);

    let dump = files.path(Role::Database);
    files.record(Role::Database);
    match DatabaseUrl::parse(&config.database_url) {
        Ok(DatabaseUrl::Postgres(url)) => pg_tool(
            "pg_dump",
            &[
                "--format=custom".into(),
                format!("--file={}", dump.display()),
            ],
            &url,
        )?,
        _ => {
            // VACUUM INTO writes a consistent copy while the node keeps writing (WAL).
            let target = dump.to_str().ok_or_else(|| {
                BackupError::Refused(format!("--out {}: not UTF-8", dump.display()))
            })?;
            crate::db::maintenance::vacuum_into(&mut conn, target)
                .map_err(|e| BackupError::Failed(format!("copying the SQLite database: {e}")))?;
        }
    }
    fs::set_permissions(&dump, fs::Permissions::from_mode(0o600))
        .map_err(io_error("writing", &dump))?;

    let mut sources = vec![
        (Role::Config, "--config", config_path),
        (Role::Ca, "tls.ca", config.tls.ca.as_path()),
        (Role::Crl, "tls.crl", &config.tls.crl),
        (Role::TlsCert, "tls.cert", &config.tls.cert),
        (Role::TlsKey, "tls.key", &config.tls.key),
        (Role::SigningCert, "signing.cert", &config.signing.cert),
        (Role::SigningKey, "signing.key", &config.signing.key),
    ];
    if let Some(client_ca) = &config.application.client_ca {
        sources.push((Role::ClientCa, "application.client_ca", client_ca));
    }
    for (role, field, source) in sources {
        let (_, _, private) = role.file(files.database);
        copy_new(source, &files.path(role), private)
            .map_err(|e| match e {
                BackupError::Io {
                    what: "reading",
                    path,
                    source,
                } => ConfigError::new(field, format!("cannot read {}: {source}", path.display()))
                    .into(),
                other => other,
            })
            .inspect(|_| files.record(role))?;
    }

    let manifest = Manifest {
        format: FORMAT.to_owned(),
        member_id: config.member_id.to_string(),
        created_at: log_export::now_rfc3339(),
        once_version: env!("CARGO_PKG_VERSION").to_owned(),
        database: files.database,
        log,
        files: files.hashed()?,
    };
    let path = files.dir.join(MANIFEST);
    let text = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| BackupError::Failed(format!("manifest: {e}")))?;
    write_new(&path, &text, 0o644)?;
    files.written.push(path);
    Ok(BackupSummary {
        manifest,
        checkpoint,
    })
}

/// What a restore did.
#[derive(Debug)]
pub struct RestoreSummary {
    /// The backup's manifest.
    pub manifest: Manifest,
    /// The restored configuration file.
    pub config: PathBuf,
    /// The restored message log, verified like `once log verify --config`.
    pub report: Report,
}

/// Restores the backup in `from` into `to` (new or empty; created 0700): every file is checked
/// against the manifest first; the database is copied (SQLite) or restored with `pg_restore`
/// into `database_url` (PostgreSQL, an empty database); `to/node.toml` names the restored files
/// relative to itself. Then the restored log is verified; a broken log is in the report.
pub fn restore(
    from: &Path,
    to: &Path,
    database_url: Option<&str>,
) -> Result<RestoreSummary, BackupError> {
    let manifest = read_manifest(from)?;
    check_files(from, &manifest)?;
    let postgres = match (manifest.database, database_url.map(DatabaseUrl::parse)) {
        (DatabaseKind::Sqlite, None) => None,
        (DatabaseKind::Postgresql, Some(Ok(DatabaseUrl::Postgres(url)))) => {
            ensure_empty(&url)?;
            Some(url)
        }
        (DatabaseKind::Sqlite, Some(_)) => {
            return Err(BackupError::Refused(format!(
                "--database-url: this is a SQLite backup; its database is restored to {}",
                to.join(RESTORED_SQLITE).display()
            )));
        }
        (DatabaseKind::Postgresql, _) => {
            return Err(BackupError::Refused(
                "--database-url: required for a PostgreSQL backup: the postgres:// URL of an \
                 empty database to restore into"
                    .into(),
            ));
        }
    };
    let created = prepare_empty_dir(to, "--to")?;
    let mut files = Files::new(to, manifest.database);
    match write_restore(from, &manifest, postgres.as_deref(), &mut files) {
        Ok(config) => {
            let report = verify_restored(&config, &manifest)?;
            Ok(RestoreSummary {
                manifest,
                config,
                report,
            })
        }
        Err(e) => {
            files.discard(created);
            Err(e)
        }
    }
}

fn write_restore(
    from: &Path,
    manifest: &Manifest,
    postgres: Option<&str>,
    files: &mut Files,
) -> Result<PathBuf, BackupError> {
    let mut fields = Vec::new();
    for file in &manifest.files {
        let source = from.join(&file.name);
        let (name, field, private) = file.role.file(manifest.database);
        match file.role {
            Role::Config | Role::LogExport => continue,
            Role::Database => match postgres {
                Some(url) => pg_tool(
                    "pg_restore",
                    &[
                        "--no-owner".into(),
                        "--no-privileges".into(),
                        "--single-transaction".into(),
                        "--exit-on-error".into(),
                        source.display().to_string(),
                    ],
                    url,
                )?,
                None => {
                    let target = files.dir.join(RESTORED_SQLITE);
                    copy_new(&source, &target, true)?;
                    files.written.push(target);
                }
            },
            _ => {
                copy_new(&source, &files.dir.join(name), private)?;
                files.written.push(files.dir.join(name));
            }
        }
        if let Some(field) = field {
            fields.push((field, name.to_owned()));
        }
    }
    fields.push((
        "database_url",
        postgres.unwrap_or(RESTORED_SQLITE).to_owned(),
    ));
    let original = from.join(Role::Config.file(manifest.database).0);
    let text = fs::read_to_string(&original).map_err(io_error("reading", &original))?;
    let rewritten = rewrite_config(&text, &fields).map_err(|e| BackupError::Tampered {
        path: original.clone(),
        reason: format!("cannot be rewritten: {e}"),
    })?;
    let config = files.dir.join("node.toml");
    write_new(&config, rewritten.as_bytes(), 0o600)?;
    files.written.push(config.clone());
    Ok(config)
}

/// The restored log verified against the restored CA, and holding the exported head.
fn verify_restored(config_path: &Path, manifest: &Manifest) -> Result<Report, BackupError> {
    let config = Config::load(config_path)?;
    let roots =
        once_pki::files::read_certs(&config.tls.ca).map_err(|e| ConfigError::new("tls.ca", e))?;
    let pool = open_pool(&config)?;
    let mut conn = pool
        .get()
        .map_err(|e| unavailable(DbError::Unavailable(e.to_string())))?;
    let member = config.member_id.clone();
    let report = log::verify(&mut conn, &|c| {
        crate::exchange::checkpoint::verify(c, &member, &roots)
    })
    .map_err(unavailable)?;
    if report.broken.is_none()
        && let Some(head) = &manifest.log.head
    {
        // The database was copied after the log was exported, so it holds every exported entry.
        let seq = manifest.log.entries;
        let at = log::entries_after(&mut conn, seq - 1, 1).map_err(unavailable)?;
        if at
            .first()
            .is_none_or(|e| e.seq != seq || &e.entry_hash != head)
        {
            return Err(BackupError::Failed(format!(
                "restored into {}, but its database lacks entry {seq} of the message log as \
                 exported in log.jsonl: the database and the export differ",
                config_path.display()
            )));
        }
    }
    Ok(report)
}

fn read_manifest(from: &Path) -> Result<Manifest, BackupError> {
    let path = from.join(MANIFEST);
    let tampered = |reason: String| BackupError::Tampered {
        path: path.clone(),
        reason,
    };
    let text = match fs::read(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(tampered(format!(
                "is missing: {} is not a backup written by `once node backup`",
                from.display()
            )));
        }
        Err(e) => return Err(io_error("reading", &path)(e)),
    };
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|e| tampered(format!("is not a backup manifest: {e}")))?;
    if manifest.format != FORMAT {
        return Err(tampered(format!(
            "has format {:?}, expected {FORMAT:?}",
            manifest.format
        )));
    }
    Ok(manifest)
}

/// Every file named, with a plain name, once per role, present and with its SHA-256.
fn check_files(from: &Path, manifest: &Manifest) -> Result<(), BackupError> {
    let tampered = |reason: String| BackupError::Tampered {
        path: from.join(MANIFEST),
        reason,
    };
    for role in REQUIRED {
        if !manifest.files.iter().any(|f| f.role == role) {
            return Err(tampered(format!("lists no {role:?} file")));
        }
    }
    for (i, file) in manifest.files.iter().enumerate() {
        let plain = Path::new(&file.name).file_name() == Some(file.name.as_ref())
            && !file.name.starts_with('.')
            && file.name != MANIFEST;
        if !plain {
            return Err(tampered(format!(
                "names {:?}, not a plain file name",
                file.name
            )));
        }
        if manifest.files[..i]
            .iter()
            .any(|f| f.role == file.role || f.name == file.name)
        {
            return Err(tampered(format!("lists {:?} twice", file.name)));
        }
        let path = from.join(&file.name);
        let (sha256, bytes) = match sha256_file(&path) {
            Ok(hashed) => hashed,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(BackupError::Tampered {
                    path,
                    reason: "is missing".into(),
                });
            }
            Err(e) => return Err(io_error("reading", &path)(e)),
        };
        if sha256 != file.sha256 || bytes != file.bytes {
            return Err(BackupError::Tampered {
                path,
                reason: format!("was modified: its SHA-256 is not the one in {MANIFEST}"),
            });
        }
    }
    Ok(())
}

fn open_pool(config: &Config) -> Result<db::DbPool, BackupError> {
    let timeout = Duration::from_millis(config.server.pool_timeout_ms);
    db::open(&config.database_url, 2, timeout).map_err(unavailable)
}

/// The files written into a backup or node directory, so a failure can remove them.
struct Files {
    dir: PathBuf,
    database: DatabaseKind,
    written: Vec<PathBuf>,
    recorded: Vec<Role>,
}

impl Files {
    fn new(dir: &Path, database: DatabaseKind) -> Files {
        Files {
            dir: dir.to_owned(),
            database,
            written: Vec::new(),
            recorded: Vec::new(),
        }
    }

    fn path(&self, role: Role) -> PathBuf {
        self.dir.join(role.file(self.database).0)
    }

    fn record(&mut self, role: Role) {
        self.written.push(self.path(role));
        self.recorded.push(role);
    }

    /// The manifest entries of the recorded files.
    fn hashed(&self) -> Result<Vec<ManifestFile>, BackupError> {
        self.recorded
            .iter()
            .map(|&role| {
                let path = self.path(role);
                let (sha256, bytes) = sha256_file(&path).map_err(io_error("reading", &path))?;
                Ok(ManifestFile {
                    name: role.file(self.database).0.to_owned(),
                    role,
                    sha256,
                    bytes,
                })
            })
            .collect()
    }

    /// Removes what was written, and the directory if this command created it.
    fn discard(&self, created: bool) {
        for path in &self.written {
            let _ = fs::remove_file(path);
        }
        if created {
            let _ = fs::remove_dir(&self.dir);
        }
    }
}

/// Creates `dir` (0700) or accepts it empty (and makes it 0700); whether it was created.
fn prepare_empty_dir(dir: &Path, flag: &str) -> Result<bool, BackupError> {
    match fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(BackupError::Refused(format!(
                    "{flag} {}: the directory is not empty; give a new or empty directory",
                    dir.display()
                )));
            }
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
                .map_err(io_error("creating", dir))?;
            Ok(false)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            once_pki::files::create_private_dir(dir)
                .map_err(|e| BackupError::Refused(format!("{flag}: {e}")))?;
            Ok(true)
        }
        Err(e) if e.kind() == io::ErrorKind::NotADirectory => Err(BackupError::Refused(format!(
            "{flag} {}: not a directory",
            dir.display()
        ))),
        Err(e) => Err(io_error("reading", dir)(e)),
    }
}

/// Copies `from` to the new file `to` with mode 0600 (private) or 0644.
fn copy_new(from: &Path, to: &Path, private: bool) -> Result<(), BackupError> {
    let mut source = File::open(from).map_err(io_error("reading", from))?;
    let mut target =
        new_file(to, if private { 0o600 } else { 0o644 }).map_err(io_error("writing", to))?;
    io::copy(&mut source, &mut target)
        .and_then(|_| target.sync_all())
        .map_err(io_error("writing", to))
}

fn write_new(path: &Path, contents: &[u8], mode: u32) -> Result<(), BackupError> {
    use std::io::Write;
    let mut file = new_file(path, mode).map_err(io_error("writing", path))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(io_error("writing", path))
}

fn new_file(path: &Path, mode: u32) -> io::Result<File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
}

fn sha256_file(path: &Path) -> io::Result<(String, u64)> {
    let mut hash = Sha256::new();
    let bytes = io::copy(&mut File::open(path)?, &mut hash)?;
    Ok((hex::encode(hash.finalize()), bytes))
}

/// `text` (a node.toml) with each dotted field set to a string. Each field's `key = …` line is
/// replaced in place, keeping the comments; where that does not give exactly the intended
/// configuration (a field missing, inline tables, dotted keys), the file is written anew.
fn rewrite_config(text: &str, fields: &[(&str, String)]) -> Result<String, String> {
    let mut expected: toml::Table = text.parse().map_err(|e| format!("{e}"))?;
    for (field, value) in fields {
        set_field(&mut expected, field, value)?;
    }
    let mut table = String::new();
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(header) = trimmed.strip_prefix('[') {
            table = match header.strip_prefix('[') {
                Some(_) => "[[".to_owned(), // an array of tables: nothing to rewrite there
                None => header
                    .split(']')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
            };
        } else if let Some((key, _)) = trimmed.split_once('=') {
            let key = key.trim();
            let dotted = match table.as_str() {
                "" => key.to_owned(),
                table => format!("{table}.{key}"),
            };
            if let Some((_, value)) = fields.iter().find(|(f, _)| *f == dotted) {
                let indent = &line[..line.len() - trimmed.len()];
                out.push_str(&format!(
                    "{indent}{key} = {}\n",
                    toml::Value::from(value.as_str())
                ));
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    if out.parse::<toml::Table>().is_ok_and(|t| t == expected) {
        return Ok(out);
    }
    let whole = toml::to_string(&expected).map_err(|e| e.to_string())?;
    Ok(format!(
        "# Written by `once node restore`; the comments of the original were not kept.\n{whole}"
    ))
}

fn set_field(table: &mut toml::Table, field: &str, value: &str) -> Result<(), String> {
    let mut parts: Vec<&str> = field.split('.').collect();
    let last = parts.pop().unwrap_or(field);
    let mut current = table;
    for part in parts {
        current = current
            .entry(part)
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .ok_or_else(|| format!("{part} is not a table"))?;
    }
    current.insert(last.to_owned(), toml::Value::from(value));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_paths_in_place_and_keeps_comments() {
        let text = "# top\nmember_id = \"DE:BUND:bva\"\ndatabase_url = \"/old/node.db\"\n\n[tls]\n# the root\nca = \"/old/ca.pem\"\ncrl = \"crl.pem\"\n\n[[providers]]\nca = \"x\"\n";
        let fields = [
            ("tls.ca", "ca.pem".to_owned()),
            ("database_url", "node.db".to_owned()),
        ];
        let out = rewrite_config(text, &fields).unwrap();
        assert!(out.contains("# the root\nca = \"ca.pem\"\n"), "{out}");
        assert!(out.contains("database_url = \"node.db\""), "{out}");
        assert!(out.contains("[[providers]]\nca = \"x\""), "{out}");

        // A field the file does not have: written anew, still complete.
        let more = [("application.client_ca", "client-ca.pem".to_owned())];
        let out = rewrite_config(text, &more).unwrap();
        let table: toml::Table = out.parse().unwrap();
        assert_eq!(
            table["application"]["client_ca"].as_str(),
            Some("client-ca.pem")
        );
        assert_eq!(table["tls"]["crl"].as_str(), Some("crl.pem"));
    }
}
