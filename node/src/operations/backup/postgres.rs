//! What a backup of a PostgreSQL database needs: the client tools (`pg_dump`, `pg_restore`)
//! run with the password in the environment, not on the command line, and the check that the
//! target of a restore is empty.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::db::mask_password;
use diesel::Connection;

use super::BackupError;

/// Refuses a database that holds any table.
pub(super) fn ensure_empty(url: &str) -> Result<(), BackupError> {
    let masked = mask_password(url);
    let mut conn = diesel::PgConnection::establish(url)
        .map_err(|e| BackupError::Unavailable(format!("--database-url {masked}: {e}")))?;
    let tables = crate::db::maintenance::table_count(&mut conn)
        .map_err(|e| BackupError::Unavailable(format!("--database-url {masked}: {e}")))?;
    if tables > 0 {
        return Err(BackupError::Refused(format!(
            "--database-url {masked}: the database is not empty ({} tables); restore into a new, \
             empty database",
            tables
        )));
    }
    Ok(())
}

/// Runs `pg_dump` or `pg_restore` against `url`; the password goes in `PGPASSWORD`, not on
/// the command line where `ps` would show it.
pub(super) fn pg_tool(name: &str, args: &[String], url: &str) -> Result<(), BackupError> {
    let tool = find_pg_tool(name)?;
    let (url, password) = split_password(url);
    let mut command = Command::new(&tool);
    command.args(args).arg(format!("--dbname={url}"));
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let output = command
        .output()
        .map_err(|e| BackupError::Unavailable(format!("cannot run {}: {e}", tool.display())))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
    Err(BackupError::Failed(format!(
        "{name} failed ({}): {}",
        output.status,
        tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
    )))
}

/// `name` on PATH, else the newest under /usr/lib/postgresql/*/bin.
fn find_pg_tool(name: &str) -> Result<PathBuf, BackupError> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p));
    if let Some(tool) = on_path {
        return Ok(tool);
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let tool = entry.path().join("bin").join(name);
            is_executable(&tool).then_some((version, tool))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, tool)| tool).ok_or_else(|| {
        BackupError::Unavailable(format!(
            "{name} is needed for a PostgreSQL database but is neither on PATH nor under \
             /usr/lib/postgresql/*/bin; install the PostgreSQL client tools (postgresql-client)"
        ))
    })
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The URL without its password, and the password (percent-decoded).
fn split_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return (url.to_owned(), None);
    };
    let Some((user, password)) = userinfo.split_once(':') else {
        return (url.to_owned(), None);
    };
    (
        format!("{scheme}://{user}@{host}{path}"),
        Some(percent_decode(password)),
    )
}

fn percent_decode(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        let hex = tail
            .get(..2)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit));
        match hex.and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()) {
            Some(decoded) if byte == b'%' => {
                out.push(decoded);
                rest = &tail[2..];
            }
            _ => {
                out.push(byte);
                rest = tail;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url() {
        assert_eq!(
            split_password("postgres://once:s%40cret@db:5432/once?sslmode=require"),
            (
                "postgres://once@db:5432/once?sslmode=require".to_owned(),
                Some("s@cret".to_owned())
            )
        );
        assert_eq!(
            split_password("postgres://postgres@127.0.0.1/x"),
            ("postgres://postgres@127.0.0.1/x".to_owned(), None)
        );
    }
}
