//! xmlsec1, the referee: a federation CA and one node's signing credentials, the verification
//! command an operator runs, and xmlsec1's own signing of templates.

use std::path::PathBuf;
use std::process::Command;

use once_pki::MemberId;
use once_pki::ca::{Ca, NodeCredentials, Validity};
use once_pki::files::read_certs_from_pem;
use once_xml::dsig::detached::{self, MessageProperties};
use once_xml::dsig::{DsigError, Signer};
use tempfile::TempDir;

use super::{ours, refs};

/// A federation CA and one node's signing credentials, in a temporary directory.
pub(crate) struct Referee {
    dir: TempDir,
    creds: NodeCredentials,
}

impl Referee {
    pub(crate) fn new() -> Referee {
        let dir = tempfile::tempdir().expect("tmp");
        let mut ca = Ca::init(&dir.path().join("ca"), "Detached Signature Test", 30).expect("ca");
        let member: MemberId = "DE-HB:KOMMUNE:04011000".parse().expect("member id");
        let creds = ca
            .issue_node(&member, &["localhost".into()], Validity::days_from_now(5))
            .expect("issue");
        std::fs::write(dir.path().join("signing.key"), &creds.signing_key_pem).expect("key");
        std::fs::write(dir.path().join("signing.pem"), &creds.signing_cert_pem).expect("cert");
        Referee { dir, creds }
    }

    pub(crate) fn cert_der(&self) -> Vec<u8> {
        read_certs_from_pem(&self.creds.signing_cert_pem)
            .expect("pem")
            .remove(0)
            .to_vec()
    }

    pub(crate) fn signer(&self) -> Signer {
        Signer::from_pkcs8_pem(&self.creds.signing_key_pem, vec![self.cert_der()]).expect("signer")
    }

    pub(crate) fn sign(
        &self,
        parts: &[(&'static str, Vec<u8>)],
        properties: Option<&MessageProperties>,
    ) -> String {
        detached::sign(&self.signer(), &refs(parts), properties).expect("sign")
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `--url-map:<uri> <file>` for each part, written to its own file.
    pub(crate) fn url_maps(&self, parts: &[(&'static str, Vec<u8>)]) -> Vec<String> {
        let mut args = Vec::new();
        for (i, (uri, bytes)) in parts.iter().enumerate() {
            let file = self.path(&format!("part-{i}.bin"));
            std::fs::write(&file, bytes).expect("write part");
            args.push(format!("--url-map:{uri}"));
            args.push(file.display().to_string());
        }
        args
    }

    /// `xmlsec1 --verify` with the federation root as the only trust anchor and each part mapped
    /// from its `cid:` URL to its file: Ok with xmlsec1's report, Err with its errors.
    pub(crate) fn xmlsec1_verify(
        &self,
        signature: &str,
        parts: &[(&'static str, Vec<u8>)],
    ) -> Result<String, String> {
        let file = self.path("signature.xml");
        std::fs::write(&file, signature).expect("write");
        run(Command::new("xmlsec1")
            .arg("--verify")
            .arg("--trusted-pem")
            .arg(self.path("ca/ca.pem"))
            .args(self.url_maps(parts))
            .arg(&file))
    }

    /// `xmlsec1 --sign` of a template with the node's key and certificate.
    pub(crate) fn xmlsec1_sign(&self, template: &str, parts: &[(&'static str, Vec<u8>)]) -> String {
        let file = self.path("template.xml");
        std::fs::write(&file, template).expect("write");
        let out = self.path("xmlsec1-signed.xml");
        let key_and_cert = format!(
            "{},{}",
            self.path("signing.key").display(),
            self.path("signing.pem").display()
        );
        run(Command::new("xmlsec1")
            .arg("--sign")
            .arg("--privkey-pem")
            .arg(key_and_cert)
            .args(self.url_maps(parts))
            .arg("--output")
            .arg(&out)
            .arg(&file))
        .unwrap_or_else(|e| panic!("xmlsec1 --sign: {e}\n{template}"));
        std::fs::read_to_string(out).expect("signed by xmlsec1")
    }

    /// Asserts that both verifiers refuse `signature` over `parts`; returns our refusal.
    pub(crate) fn both_refuse(
        &self,
        signature: &str,
        parts: &[(&'static str, Vec<u8>)],
        what: &str,
    ) -> DsigError {
        if let Ok(report) = self.xmlsec1_verify(signature, parts) {
            panic!("xmlsec1 accepted {what}: {report}\n{signature}");
        }
        match ours(signature, parts) {
            Ok(_) => panic!("our verify accepted {what}\n{signature}"),
            Err(refusal) => refusal,
        }
    }
}

/// Runs a referee tool; Ok with its report (xmlsec1 writes it to stderr), Err with its errors.
fn run(command: &mut Command) -> Result<String, String> {
    let output = command
        .output()
        .expect("xmlsec1 is installed (Debian package xmlsec1)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() {
        Ok(report)
    } else {
        Err(report)
    }
}
