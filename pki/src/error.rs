use std::path::PathBuf;

use crate::MemberIdError;

/// Everything that can go wrong in the PKI. Each variant says what was being done and with what.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// A file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("reading", "writing", "creating directory").
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A file that must not be overwritten exists already.
    #[error("{0} exists already; remove it or choose another directory")]
    Exists(PathBuf),
    /// A PEM file holds nothing usable of the expected kind.
    #[error("{path}: {what}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        what: String,
    },
    /// A certificate or CRL could not be parsed.
    #[error("cannot parse {what}: {detail}")]
    Parse {
        /// What was being parsed.
        what: String,
        /// The parser's complaint.
        detail: String,
    },
    /// Certificate generation failed.
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    /// A member id is malformed.
    #[error(transparent)]
    MemberId(#[from] MemberIdError),
    /// A certificate carries no member id, or more than one.
    #[error(
        "certificate {subject:?} carries {found} member URI SANs (urn:once:member:…); exactly one is required"
    )]
    MemberUri {
        /// The certificate's subject.
        subject: String,
        /// How many member URIs it carries.
        found: usize,
    },
    /// The CA's index file is damaged.
    #[error("CA index {path}: {detail}")]
    Index {
        /// The index file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// A serial number names no certificate this CA issued.
    #[error("no certificate with serial {0} was issued by this CA (see index.json)")]
    UnknownSerial(String),
    /// A serial number is not hexadecimal.
    #[error("serial {0:?} is not a hexadecimal number (e.g. 3f9a01 or 3F:9A:01)")]
    BadSerial(String),
    /// A certificate request asks for something the CA will not sign.
    #[error("certificate request refused: {0}")]
    CsrRefused(String),
    /// A certificate and a key do not belong together.
    #[error("certificate {cert} does not match key {key}")]
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// A host name is neither a DNS name nor an IP address.
    #[error("host {0:?} is neither a DNS name nor an IP address")]
    BadHost(String),
    /// rustls refused a configuration.
    #[error("TLS configuration: {0}")]
    Tls(String),
}

impl PkiError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        PkiError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
