//! Reading and writing PEM files; private keys are written with mode 0600 and never printed.

use std::fs;
use std::io::Write;
use std::path::Path;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};

use crate::PkiError;

/// Reads a whole file as text.
pub fn read_text(path: &Path) -> Result<String, PkiError> {
    fs::read_to_string(path).map_err(|e| PkiError::io("reading", path, e))
}

/// Writes a public file (certificate, CRL, index), replacing it atomically.
pub fn write_public(path: &Path, contents: &[u8]) -> Result<(), PkiError> {
    write_atomic(path, contents, 0o644)
}

/// Writes a private key with mode 0600. Refuses to overwrite an existing file.
pub fn write_private_new(path: &Path, contents: &[u8]) -> Result<(), PkiError> {
    if path.exists() {
        return Err(PkiError::Exists(path.to_owned()));
    }
    write_atomic(path, contents, 0o600)
}

fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> Result<(), PkiError> {
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let result = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        PkiError::io("writing", path, e)
    })
}

/// Creates a directory (and its parents) with mode 0700.
pub fn create_private_dir(path: &Path) -> Result<(), PkiError> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|e| PkiError::io("creating directory", path, e))
}

/// Reads all certificates of a PEM file, in order. At least one is required.
pub fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, PkiError> {
    let text = read_text(path)?;
    let certs = CertificateDer::pem_slice_iter(text.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PkiError::Pem {
            path: path.to_owned(),
            what: format!("not a PEM certificate file: {e}"),
        })?;
    if certs.is_empty() {
        return Err(PkiError::Pem {
            path: path.to_owned(),
            what: "holds no certificate (expected -----BEGIN CERTIFICATE-----)".into(),
        });
    }
    Ok(certs)
}

/// Reads all certificates of a PEM text, in order.
pub fn read_certs_from_pem(pem: &str) -> Result<Vec<CertificateDer<'static>>, PkiError> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PkiError::Parse {
            what: "PEM certificates".into(),
            detail: e.to_string(),
        })
}

/// Reads a private key (PKCS#8, SEC1 or PKCS#1) from a PEM file.
pub fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, PkiError> {
    let text = read_text(path)?;
    PrivateKeyDer::from_pem_slice(text.as_bytes()).map_err(|e| PkiError::Pem {
        path: path.to_owned(),
        what: format!("holds no private key: {e}"),
    })
}

/// Reads a CRL from a PEM file.
pub fn read_crl(path: &Path) -> Result<CertificateRevocationListDer<'static>, PkiError> {
    let text = read_text(path)?;
    CertificateRevocationListDer::from_pem_slice(text.as_bytes()).map_err(|e| PkiError::Pem {
        path: path.to_owned(),
        what: format!("holds no CRL (expected -----BEGIN X509 CRL-----): {e}"),
    })
}

/// The permission bits of a file (e.g. 0o600).
pub fn mode(path: &Path) -> Result<u32, PkiError> {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o777)
        .map_err(|e| PkiError::io("reading", path, e))
}
