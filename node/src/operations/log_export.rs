//! The message log as one self-contained file, and its verification without a database.
//!
//! The file is JSON Lines: a header `{"format":"once-log-export-v1","member_id":…,
//! "exported_at":…,"entries":N,"checkpoints":M}`, then every entry (`"type":"entry"`, every
//! column, the message bytes in base64), then every checkpoint (`"type":"checkpoint"`, with its
//! certificate PEM). Verification runs the same checks as over the database
//! ([`log::verify_entries`]); the header's counts are checked too.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use once_pki::MemberId;
use once_pki::files::read_certs_from_pem;
use once_pki::inspect::CertInfo;
use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use rustls_pki_types::CertificateDer;
use serde::{Deserialize, Serialize};

use crate::db::log::{self, Checkpoint, Entry, Report};
use crate::db::{AnyConnection, DbError};

/// The `format` of the header line.
pub const FORMAT: &str = "once-log-export-v1";

/// Entries read from the database at a time.
const PAGE: i64 = 500;

/// The first line of an export.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Always [`FORMAT`].
    pub format: String,
    /// The node whose log this is.
    pub member_id: String,
    /// When the export was written (RFC 3339, UTC).
    pub exported_at: String,
    /// The number of entry lines.
    pub entries: i64,
    /// The number of checkpoint lines.
    pub checkpoints: i64,
}

/// Every line after the header.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line {
    Entry(Box<EntryLine>),
    Checkpoint(CheckpointLine),
}

/// An entry with all its columns; the message in base64.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryLine {
    seq: i64,
    logged_at: i64,
    direction: String,
    kind: String,
    exchange_id: String,
    peer: String,
    evidence_type: String,
    subject_digest: String,
    procedure: String,
    legal_basis: String,
    outcome: String,
    message: String,
    prev_hash: String,
    entry_hash: String,
}

/// A checkpoint with its certificate.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckpointLine {
    seq: i64,
    entry_hash: String,
    signed_at: i64,
    signature: String,
    certificate: String,
}

/// Only the `type` of a line (the first pass collects the checkpoints).
#[derive(Deserialize)]
struct LineType {
    #[serde(rename = "type")]
    kind: String,
}

/// Why an export could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The output file exists; an export never overwrites.
    #[error("{0} exists already; an export never overwrites a file")]
    Exists(PathBuf),
    /// Reading or writing a file failed.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not an export (its first line is not a header of this format).
    #[error("{path} is not a message log export: {reason}")]
    NotAnExport {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A line after the header cannot be read: the export is damaged.
    #[error("line {line} of {path}: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The line number, from 1 (the header).
        line: usize,
        /// Why.
        reason: String,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What an export holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportSummary {
    /// Entry lines written.
    pub entries: i64,
    /// Checkpoint lines written.
    pub checkpoints: i64,
    /// The last entry's hash.
    pub head: Option<String>,
}

/// Writes the log of `member` from `conn` to `out` (mode 0600: the messages hold personal data):
/// the entries up to the head at the start, and the checkpoints over them, so the file is
/// consistent while the node keeps appending. Writes a temporary file next to `out` and links
/// it into place; an existing `out` is never overwritten.
pub fn export(
    conn: &mut AnyConnection,
    member: &MemberId,
    out: &Path,
) -> Result<ExportSummary, ExportError> {
    if out.exists() {
        return Err(ExportError::Exists(out.to_owned()));
    }
    let last = log::head(conn)?.map_or(0, |(seq, _)| seq);
    let checkpoints: Vec<Checkpoint> = log::checkpoints(conn)?
        .into_iter()
        .filter(|c| c.seq <= last)
        .collect();
    let header = Header {
        format: FORMAT.to_owned(),
        member_id: member.to_string(),
        exported_at: now_rfc3339(),
        entries: log::count_through(conn, last)?,
        checkpoints: checkpoints.len() as i64,
    };
    let tmp = temp_path(out);
    let written = write_export(conn, &tmp, &header, last, &checkpoints)
        .map_err(|e| match e {
            // The temporary file is ours; the operator named `out`.
            ExportError::Io { what, source, .. } => ExportError::Io {
                what,
                path: out.to_owned(),
                source,
            },
            other => other,
        })
        .and_then(|summary| link_new(&tmp, out).map(|()| summary));
    let _ = fs::remove_file(&tmp);
    written
}

fn write_export(
    conn: &mut AnyConnection,
    tmp: &Path,
    header: &Header,
    last: i64,
    checkpoints: &[Checkpoint],
) -> Result<ExportSummary, ExportError> {
    let io = |source| ExportError::Io {
        what: "writing",
        path: tmp.to_owned(),
        source,
    };
    let file = create_private(tmp).map_err(io)?;
    let mut file = BufWriter::new(file);
    write_line(&mut file, header).map_err(io)?;
    let mut summary = ExportSummary {
        entries: 0,
        checkpoints: checkpoints.len() as i64,
        head: None,
    };
    let mut after = 0;
    'pages: loop {
        let page = log::entries_after(conn, after, PAGE)?;
        let Some(end) = page.last().map(|e| e.seq) else {
            break;
        };
        for entry in page {
            if entry.seq > last {
                break 'pages;
            }
            summary.entries += 1;
            summary.head = Some(entry.entry_hash.clone());
            write_line(&mut file, &Line::Entry(Box::new(EntryLine::from(entry)))).map_err(io)?;
        }
        after = end;
    }
    if summary.entries != header.entries {
        return Err(DbError::Corrupt(format!(
            "the log held {} entries up to entry {last} but {} were read",
            header.entries, summary.entries
        ))
        .into());
    }
    for c in checkpoints {
        write_line(&mut file, &Line::Checkpoint(CheckpointLine::from(c))).map_err(io)?;
    }
    let file = file.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    Ok(summary)
}

fn write_line(out: &mut impl Write, value: &impl Serialize) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

/// Verifies an export: the chain, the sequence, the checkpoints and the header's counts.
/// Each checkpoint's signature is checked with its certificate, which must name the header's
/// member and have been valid when it signed; with `roots`, the certificate must also have
/// been issued by them (exactly as `once log verify --config` checks). Returns the header and
/// the report; a damaged line is [`ExportError::Malformed`].
pub fn verify_file(
    path: &Path,
    roots: Option<&[CertificateDer<'static>]>,
) -> Result<(Header, Report), ExportError> {
    let (header, checkpoints) = read_header_and_checkpoints(path)?;
    let member: MemberId = header
        .member_id
        .parse()
        .map_err(|e| not_an_export(path, format!("member_id: {e}")))?;
    let check = |c: &Checkpoint| match roots {
        Some(roots) => crate::exchange::checkpoint::verify(c, &member, roots),
        None => verify_with_own_certificate(c, &member),
    };
    let mut report = log::verify_entries(entry_lines(path)?, &checkpoints, &check)?;
    if report.broken.is_none() {
        let counts = [
            ("entries", header.entries, report.entries),
            ("checkpoints", header.checkpoints, checkpoints.len() as i64),
        ];
        report.broken = counts
            .into_iter()
            .find(|(_, announced, found)| announced != found)
            .map(|(what, announced, found)| log::Break::ExportCount {
                what: what.to_owned(),
                announced,
                found,
            });
    }
    Ok((header, report))
}

/// First pass: the header and every checkpoint, sorted by entry. Lines that cannot be read are
/// left for the second pass, which names them in order.
fn read_header_and_checkpoints(path: &Path) -> Result<(Header, Vec<Checkpoint>), ExportError> {
    let mut lines = open_lines(path)?;
    let first = match lines.next() {
        Some((_, Ok(line))) => line,
        Some((_, Err(ExportError::Io { source, .. })))
            if source.kind() == std::io::ErrorKind::InvalidData =>
        {
            return Err(not_an_export(path, "it is not text".into()));
        }
        Some((_, Err(e))) => return Err(e),
        None => return Err(not_an_export(path, "it is empty".into())),
    };
    let header: Header = serde_json::from_str(&first)
        .map_err(|e| not_an_export(path, format!("the first line is not its header: {e}")))?;
    if header.format != FORMAT {
        return Err(not_an_export(
            path,
            format!("format {:?}, expected {FORMAT:?}", header.format),
        ));
    }
    let mut checkpoints = Vec::new();
    for (_, line) in lines {
        let line = line?;
        if serde_json::from_str::<LineType>(&line).is_ok_and(|t| t.kind == "checkpoint")
            && let Ok(Line::Checkpoint(c)) = serde_json::from_str(&line)
        {
            checkpoints.push(Checkpoint::from(c));
        }
    }
    checkpoints.sort_by_key(|c| c.seq);
    Ok((header, checkpoints))
}

/// Second pass: the entries in the file's order.
fn entry_lines(
    path: &Path,
) -> Result<impl Iterator<Item = Result<Entry, ExportError>> + use<>, ExportError> {
    let path = path.to_owned();
    let lines = open_lines(&path)?.skip(1);
    Ok(lines.filter_map(move |(number, line)| {
        let malformed = |reason: String| ExportError::Malformed {
            path: path.clone(),
            line: number,
            reason,
        };
        let line = match line {
            Ok(line) if line.trim().is_empty() => return None,
            Ok(line) => line,
            Err(e) => return Some(Err(e)),
        };
        match serde_json::from_str::<Line>(&line) {
            Ok(Line::Entry(entry)) => Some(entry.into_entry().map_err(malformed)),
            Ok(Line::Checkpoint(_)) => None,
            Err(e) => Some(Err(malformed(format!(
                "not an entry or checkpoint of the export: {e}"
            )))),
        }
    }))
}

/// The file's lines with their numbers (from 1); a read error names the file.
fn open_lines(
    path: &Path,
) -> Result<impl Iterator<Item = (usize, Result<String, ExportError>)> + use<>, ExportError> {
    let file = File::open(path).map_err(|source| ExportError::Io {
        what: "reading",
        path: path.to_owned(),
        source,
    })?;
    let path = path.to_owned();
    Ok(BufReader::new(file)
        .lines()
        .enumerate()
        .map(move |(i, line)| {
            let line = line.map_err(|source| ExportError::Io {
                what: "reading",
                path: path.clone(),
                source,
            });
            (i + 1, line)
        }))
}

fn not_an_export(path: &Path, reason: String) -> ExportError {
    ExportError::NotAnExport {
        path: path.to_owned(),
        reason,
    }
}

/// Without the federation root: the checkpoint's own certificate names `member`, was valid when
/// it signed, is a signing certificate, and its key verifies the signature.
fn verify_with_own_certificate(checkpoint: &Checkpoint, member: &MemberId) -> Result<(), String> {
    let chain = read_certs_from_pem(&checkpoint.certificate).map_err(|e| e.to_string())?;
    let end_entity = chain.first().ok_or("no certificate")?;
    let info = CertInfo::from_der(end_entity).map_err(|e| e.to_string())?;
    if info.member_id.as_deref() != Some(member.as_str()) {
        return Err(format!(
            "its certificate is for {}, not for this log's member {member}",
            info.member_id.as_deref().unwrap_or("no member")
        ));
    }
    let signed_at = time::OffsetDateTime::from_unix_timestamp(checkpoint.signed_at)
        .map_err(|_| "the signing time is out of range".to_owned())?;
    if signed_at < info.not_before || signed_at > info.not_after {
        return Err("its certificate was not valid when it signed".into());
    }
    if !info.key_usages.contains(&"nonRepudiation") {
        return Err("its certificate is not a signing certificate".into());
    }
    let (_, cert) = x509_parser::parse_x509_certificate(end_entity.as_ref())
        .map_err(|e| format!("unparseable certificate: {e}"))?;
    let signature = B64
        .decode(&checkpoint.signature)
        .map_err(|_| "the signature is not base64".to_owned())?;
    let statement = Checkpoint::statement(
        member.as_str(),
        checkpoint.seq,
        &checkpoint.entry_hash,
        checkpoint.signed_at,
    );
    UnparsedPublicKey::new(
        &ECDSA_P256_SHA256_FIXED,
        cert.public_key().subject_public_key.data.as_ref(),
    )
    .verify(statement.as_bytes(), &signature)
    .map_err(|_| "the signature does not verify".to_owned())
}

impl From<Entry> for EntryLine {
    fn from(e: Entry) -> Self {
        EntryLine {
            seq: e.seq,
            logged_at: e.logged_at,
            direction: e.direction,
            kind: e.kind,
            exchange_id: e.exchange_id,
            peer: e.peer,
            evidence_type: e.evidence_type,
            subject_digest: e.subject_digest,
            procedure: e.procedure,
            legal_basis: e.legal_basis,
            outcome: e.outcome,
            message: B64.encode(&e.message),
            prev_hash: e.prev_hash,
            entry_hash: e.entry_hash,
        }
    }
}

impl EntryLine {
    fn into_entry(self) -> Result<Entry, String> {
        let message = B64
            .decode(&self.message)
            .map_err(|e| format!("entry {}: the message is not base64: {e}", self.seq))?;
        Ok(Entry {
            seq: self.seq,
            logged_at: self.logged_at,
            direction: self.direction,
            kind: self.kind,
            exchange_id: self.exchange_id,
            peer: self.peer,
            evidence_type: self.evidence_type,
            subject_digest: self.subject_digest,
            procedure: self.procedure,
            legal_basis: self.legal_basis,
            outcome: self.outcome,
            message,
            prev_hash: self.prev_hash,
            entry_hash: self.entry_hash,
        })
    }
}

impl From<&Checkpoint> for CheckpointLine {
    fn from(c: &Checkpoint) -> Self {
        CheckpointLine {
            seq: c.seq,
            entry_hash: c.entry_hash.clone(),
            signed_at: c.signed_at,
            signature: c.signature.clone(),
            certificate: c.certificate.clone(),
        }
    }
}

impl From<CheckpointLine> for Checkpoint {
    fn from(c: CheckpointLine) -> Self {
        Checkpoint {
            seq: c.seq,
            entry_hash: c.entry_hash,
            signed_at: c.signed_at,
            signature: c.signature,
            certificate: c.certificate,
        }
    }
}

/// Now, as RFC 3339 in UTC.
pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A hidden temporary name next to `path`.
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Creates a new file with mode 0600 (never an existing one).
pub(crate) fn create_private(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// Puts the finished `tmp` at `path` unless `path` exists: a hard link fails on an existing
/// name, where a rename would replace it.
pub(crate) fn link_new(tmp: &Path, path: &Path) -> Result<(), ExportError> {
    match fs::hard_link(tmp, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(ExportError::Exists(path.to_owned()))
        }
        // A file system without hard links: check, then rename.
        Err(_) if !path.exists() => fs::rename(tmp, path).map_err(|source| ExportError::Io {
            what: "writing",
            path: path.to_owned(),
            source,
        }),
        Err(_) => Err(ExportError::Exists(path.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::log::{Direction, Kind, NewEntry};

    fn node_log(dir: &Path, n: usize) -> crate::db::DbPool {
        let pool = crate::db::open(
            &dir.join("log.db").display().to_string(),
            2,
            std::time::Duration::from_secs(5),
        )
        .unwrap();
        let mut conn = pool.get().unwrap();
        for i in 0..n {
            let message = format!("<m n=\"{i}\"/>").into_bytes();
            log::append(
                &mut conn,
                &NewEntry {
                    direction: Direction::Out,
                    kind: Kind::Request,
                    exchange_id: &format!("req-{i}"),
                    peer: "DE:BUND:bva",
                    evidence_type: "urn:x",
                    subject_digest: "",
                    procedure: "p",
                    legal_basis: "l",
                    outcome: "sent",
                    message: &message,
                },
                1_700_000_000_000_000 + i as i64,
            )
            .unwrap();
        }
        pool
    }

    #[test]
    fn an_export_verifies_and_names_damage() {
        let dir = tempfile::tempdir().unwrap();
        let pool = node_log(dir.path(), 4);
        let member: MemberId = "DE:BUND:bva".parse().unwrap();
        let out = dir.path().join("log.jsonl");
        let summary = export(&mut pool.get().unwrap(), &member, &out).unwrap();
        assert_eq!(summary.entries, 4);
        let (header, report) = verify_file(&out, None).unwrap();
        assert_eq!((header.entries, report.broken), (4, None));
        assert!(matches!(
            export(&mut pool.get().unwrap(), &member, &out),
            Err(ExportError::Exists(_))
        ));

        let text = fs::read_to_string(&out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let damaged = |name: &str, lines: &[&str]| {
            let path = dir.path().join(name);
            fs::write(&path, lines.join("\n")).unwrap();
            verify_file(&path, None).map(|(_, r)| r.broken)
        };
        let without_last = &lines[..lines.len() - 1];
        assert_eq!(
            damaged("short.jsonl", without_last).unwrap(),
            Some(log::Break::ExportCount {
                what: "entries".into(),
                announced: 4,
                found: 3
            })
        );
        let mut garbled = lines.clone();
        garbled[2] = "{not json";
        assert!(matches!(
            damaged("garbled.jsonl", &garbled),
            Err(ExportError::Malformed { line: 3, .. })
        ));
        assert!(matches!(
            damaged("headless.jsonl", &lines[1..]),
            Err(ExportError::NotAnExport { .. })
        ));
    }
}
