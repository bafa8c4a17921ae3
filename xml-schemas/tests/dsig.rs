//! XML Signature against the independent referees: libxmlsec1 (`xmlsec1`) signs and verifies
//! both ways, libxml2 (`xmllint`) validates signed messages against the exchange XSDs; and the
//! signature-wrapping and profile violations our verifier must refuse.

use std::path::{Path, PathBuf};
use std::process::Command;

use once_pki::MemberId;
use once_pki::ca::{Ca, NodeCredentials, Validity};
use once_pki::files::read_certs_from_pem;
use once_xml::dsig::{self, DsigError, Placement, Signer};
use once_xml::request::EvidenceRequest;
use once_xml::{EdmCode, EdmError, Limits, Profile, schema_dir};
use tempfile::TempDir;

/// A federation CA and one node's credentials, in a temporary directory.
struct Pki {
    dir: TempDir,
    creds: NodeCredentials,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().expect("tmp");
        let mut ca = Ca::init(&dir.path().join("ca"), "Signature Test Federation", 30).expect("ca");
        let member: MemberId = "DE-HB:KOMMUNE:04011000".parse().expect("member id");
        let creds = ca
            .issue_node(&member, &["localhost".into()], Validity::days_from_now(5))
            .expect("issue");
        std::fs::write(dir.path().join("signing.key"), &creds.signing_key_pem).expect("key");
        std::fs::write(dir.path().join("signing.pem"), &creds.signing_cert_pem).expect("cert");
        Pki { dir, creds }
    }

    fn ca_pem(&self) -> PathBuf {
        self.dir.path().join("ca/ca.pem")
    }

    fn signing_cert_der(&self) -> Vec<u8> {
        der(&self.creds.signing_cert_pem)
    }

    fn signer(&self) -> Signer {
        Signer::from_pkcs8_pem(&self.creds.signing_key_pem, vec![self.signing_cert_der()])
            .expect("signer")
    }

    fn write(&self, name: &str, xml: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, xml).expect("write");
        path
    }

    /// `xmlsec1 --verify` with the federation root as the only trust anchor. No other option is
    /// needed: xmlsec1 (OpenSSL) builds the chain from the certificate in ds:KeyInfo to the root
    /// and does not check the extended key usage of a signing certificate (documentSigning).
    fn xmlsec1_verify(&self, xml: &str) -> Result<(), String> {
        let file = self.write("to-verify.xml", xml);
        run(Command::new("xmlsec1")
            .arg("--verify")
            .arg("--trusted-pem")
            .arg(self.ca_pem())
            .arg(&file))
        .map(drop)
    }

    /// `xmlsec1 --sign` of a template with the node's signing key and certificate.
    fn xmlsec1_sign(&self, template: &str) -> String {
        let file = self.write("template.xml", template);
        let out = self.dir.path().join("xmlsec1-signed.xml");
        let key_and_cert = format!(
            "{},{}",
            self.dir.path().join("signing.key").display(),
            self.dir.path().join("signing.pem").display()
        );
        run(Command::new("xmlsec1")
            .arg("--sign")
            .arg("--privkey-pem")
            .arg(key_and_cert)
            .arg("--output")
            .arg(&out)
            .arg(&file))
        .unwrap_or_else(|e| panic!("xmlsec1 --sign: {e}\n{template}"));
        std::fs::read_to_string(out).expect("signed by xmlsec1")
    }
}

fn der(pem: &str) -> Vec<u8> {
    read_certs_from_pem(pem).expect("pem").remove(0).to_vec()
}

/// Runs a referee tool; Ok with its stdout, Err with its stderr.
fn run(command: &mut Command) -> Result<String, String> {
    let output = command
        .output()
        .expect("xmlsec1 and xmllint are installed (Debian packages xmlsec1, libxml2-utils)");
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

fn xmllint_schema(xml: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("message.xml");
    std::fs::write(&file, xml).expect("write");
    run(Command::new("xmllint")
        .arg("--noout")
        .arg("--nonet")
        .arg("--schema")
        .arg(schema_dir().join("once-exchange.xsd"))
        .arg(&file))
    .map(drop)
}

fn sample_request() -> EvidenceRequest {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/samples/birth_request.xml");
    let bytes = std::fs::read(&path).expect("sample");
    EvidenceRequest::from_xml(&bytes, &Limits::default()).expect("sample request")
}

fn verify(xml: &str, placement: Placement) -> Result<dsig::VerifiedSignature, DsigError> {
    dsig::verify(xml.as_bytes(), &Limits::default(), placement)
}

/// Replaces exactly one occurrence of `from`.
fn replace_once(xml: &str, from: &str, to: &str) -> String {
    assert_eq!(xml.matches(from).count(), 1, "{from:?} once in\n{xml}");
    xml.replacen(from, to, 1)
}

/// An evidence document that exercises canonicalisation: declaration, PIs and comments outside
/// the root, a default namespace, unused and undone declarations, CR LF line ends, references,
/// CDATA, non-ASCII text.
const EVIDENCE: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<?xml-stylesheet href=\"e.css\"?>\n<!-- evidence -->\n",
    "<ev:Evidence xmlns:ev=\"urn:once:evidence\" xmlns=\"urn:once:default\" xmlns:unused=\"urn:u\"",
    " id=\"e1\" ev:kind=\"residence\">\r\n",
    "  <Holder xml:lang=\"de\" b=\"2\" a=\"1 &amp; &#9;tab\r\nline\">Müller-Lüdenscheidt &lt;&gt; &#13;</Holder>\r\n",
    "  <ev:Note><![CDATA[a <b> & c]]><!-- note --></ev:Note>\n",
    "  <plain xmlns=\"\"><x/></plain>\n  <?pi inside?>\n",
    "</ev:Evidence>\n"
);

#[test]
fn a_signed_request_validates_verifies_with_xmlsec1_and_still_parses() {
    let pki = Pki::new();
    let request = sample_request();
    let signed = pki
        .signer()
        .sign(&request.to_xml_as(Profile::De), Placement::Slot)
        .expect("sign");
    assert_eq!(signed.matches("<ds:Signature ").count(), 1);
    let slot = signed.find(r#"<rim:Slot name="Signature">"#).expect("slot");
    let option = signed
        .find("<query:ResponseOption")
        .expect("response option");
    let last_slot = signed[..slot].rfind("<rim:Slot ").expect("slots before");
    assert!(
        slot < option && signed[last_slot..slot].contains("EvidenceProvider"),
        "the signature slot is the last of the leading slots"
    );

    xmllint_schema(&signed).unwrap_or_else(|e| panic!("{e}\n{signed}"));
    pki.xmlsec1_verify(&signed)
        .unwrap_or_else(|e| panic!("xmlsec1 refused our signature: {e}\n{signed}"));
    let verified = verify(&signed, Placement::Slot).expect("verify");
    assert_eq!(verified.signer_certificate(), pki.signing_cert_der());
    assert_eq!(verified.certificates, vec![pki.signing_cert_der()]);

    let parsed = EvidenceRequest::from_xml(signed.as_bytes(), &Limits::default())
        .expect("a signed request still parses");
    assert_eq!(parsed, request);

    // One letter of the family name changed: both verifiers refuse.
    let tampered = replace_once(&signed, "<sdg:FamilyName>Smith<", "<sdg:FamilyName>Smyth<");
    assert!(
        pki.xmlsec1_verify(&tampered).is_err(),
        "xmlsec1 accepted a tampered copy"
    );
    assert_eq!(
        verify(&tampered, Placement::Slot),
        Err(DsigError::DigestMismatch)
    );
}

#[test]
fn an_evidence_document_signed_as_last_child_verifies_with_xmlsec1() {
    let pki = Pki::new();
    let signed = pki
        .signer()
        .sign(EVIDENCE, Placement::LastChild)
        .expect("sign");
    assert!(signed.ends_with("</ds:Signature></ev:Evidence>\n"));
    pki.xmlsec1_verify(&signed)
        .unwrap_or_else(|e| panic!("xmlsec1 refused our signature: {e}\n{signed}"));
    let verified = verify(&signed, Placement::LastChild).expect("verify");
    assert_eq!(verified.signer_certificate(), pki.signing_cert_der());

    // The document digest is that of the canonical document less the signature: the same as
    // for the unsigned document.
    let unsigned_digest = sha256(&once_xml::c14n::document(EVIDENCE, None).expect("c14n"));
    assert_eq!(verified.document_digest, unsigned_digest);

    for (from, to) in [
        ("Müller", "Möller"),
        ("&#9;tab", "&#10;tab"),
        ("<x/>", "<x></x><y/>"),
    ] {
        let tampered = replace_once(&signed, from, to);
        assert!(pki.xmlsec1_verify(&tampered).is_err(), "xmlsec1: {from}");
        assert_eq!(
            verify(&tampered, Placement::LastChild),
            Err(DsigError::DigestMismatch),
            "{from}"
        );
    }
    // What canonicalisation ignores is not a change.
    let reformatted = replace_once(&signed, "<!-- note -->", "<!-- another note -->");
    verify(&reformatted, Placement::LastChild).expect("comments are not signed");
}

#[test]
fn an_empty_root_is_opened_up() {
    let pki = Pki::new();
    let signed = pki
        .signer()
        .sign("<e:Evidence xmlns:e='urn:e' a='1'/>", Placement::LastChild)
        .expect("sign");
    assert!(signed.starts_with("<e:Evidence xmlns:e='urn:e' a='1'><ds:Signature "));
    assert!(signed.ends_with("</ds:Signature></e:Evidence>"));
    verify(&signed, Placement::LastChild).expect("verify");
    pki.xmlsec1_verify(&signed).expect("xmlsec1");
}

/// The signature template xmlsec1 fills in: our profile's algorithms, an unprefixed
/// `Signature` (default namespace) and indentation, so that our canonicalisation of a
/// `SignedInfo` with whitespace and an inherited default namespace is checked too.
const TEMPLATE: &str = r#"<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">
  <SignedInfo>
    <CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
    <SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"/>
    <Reference URI="">
      <Transforms>
        <Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
        <Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
      </Transforms>
      <DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
      <DigestValue/>
    </Reference>
  </SignedInfo>
  <SignatureValue/>
  <KeyInfo>
    <X509Data/>
  </KeyInfo>
</Signature>"#;

#[test]
fn documents_signed_by_xmlsec1_verify_with_ours() {
    let pki = Pki::new();

    let request = sample_request().to_xml_as(Profile::De);
    let template = replace_once(
        &request,
        "<query:ResponseOption",
        &format!(
            "<rim:Slot name=\"Signature\"><rim:SlotValue xsi:type=\"rim:AnyValueType\">{TEMPLATE}</rim:SlotValue></rim:Slot><query:ResponseOption"
        ),
    );
    let signed = pki.xmlsec1_sign(&template);
    xmllint_schema(&signed).unwrap_or_else(|e| panic!("{e}\n{signed}"));
    let verified = verify(&signed, Placement::Slot)
        .unwrap_or_else(|e| panic!("our verify refused xmlsec1's signature: {e}\n{signed}"));
    assert_eq!(verified.signer_certificate(), pki.signing_cert_der());
    let tampered = replace_once(&signed, "<sdg:FamilyName>Smith<", "<sdg:FamilyName>Smyth<");
    assert_eq!(
        verify(&tampered, Placement::Slot),
        Err(DsigError::DigestMismatch)
    );

    let template = replace_once(
        EVIDENCE,
        "</ev:Evidence>",
        &format!("{TEMPLATE}</ev:Evidence>"),
    );
    let signed = pki.xmlsec1_sign(&template);
    verify(&signed, Placement::LastChild)
        .unwrap_or_else(|e| panic!("our verify refused xmlsec1's signature: {e}\n{signed}"));
}

#[test]
fn signature_wrapping_and_profile_violations_are_refused() {
    let pki = Pki::new();
    let request = sample_request().to_xml_as(Profile::De);
    let signed = pki.signer().sign(&request, Placement::Slot).expect("sign");
    verify(&signed, Placement::Slot).expect("the original verifies");
    let body = signed
        .strip_prefix(r#"<?xml version="1.0" encoding="UTF-8"?>"#)
        .expect("declaration");
    let slot_start = signed.find(r#"<rim:Slot name="Signature">"#).expect("slot");
    let slot_end = slot_start
        + signed[slot_start..].find("</rim:Slot>").expect("slot end")
        + "</rim:Slot>".len();
    let signature_slot = &signed[slot_start..slot_end];
    let query_start = signed.find("<query:Query ").expect("query");
    let query_end = signed.find("</query:Query>").expect("query end") + "</query:Query>".len();
    let query = &signed[query_start..query_end];
    let other_cert = der(&pki.creds.tls_cert_pem);
    let other_cert_b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(&other_cert)
    };
    let own_cert_b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(pki.signing_cert_der())
    };

    // (case, document, our refusal); xmlsec1 refuses each too, except where noted.
    let cases: Vec<(&str, String, DsigError)> = vec![
        (
            "the signed root moved under an unsigned wrapper",
            format!("<w:Wrapper xmlns:w=\"urn:evil\">{body}</w:Wrapper>"),
            DsigError::Misplaced {
                expected: Placement::Slot,
            },
        ),
        (
            "a second, unsigned copy of the query added",
            replace_once(&signed, query, &format!("{query}{query}")),
            DsigError::DigestMismatch,
        ),
        (
            "a second ds:Signature",
            replace_once(
                &signed,
                signature_slot,
                &format!("{signature_slot}{signature_slot}"),
            ),
            DsigError::Multiple(2),
        ),
        (
            "a Reference to an element",
            replace_once(&signed, r#"<ds:Reference URI="">"#, r##"<ds:Reference URI="#x">"##),
            DsigError::ReferenceUri(Some("#x".into())),
        ),
        (
            "a Reference without URI",
            replace_once(&signed, r#"<ds:Reference URI="">"#, "<ds:Reference>"),
            DsigError::ReferenceUri(None),
        ),
        (
            "an extra XPath transform",
            replace_once(
                &signed,
                "</ds:Transforms>",
                r#"<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath></ds:Transform></ds:Transforms>"#,
            ),
            DsigError::Transforms(vec![
                dsig::ENVELOPED_SIGNATURE.into(),
                dsig::EXC_C14N.into(),
                "http://www.w3.org/TR/1999/REC-xpath-19991116".into(),
            ]),
        ),
        (
            "SignatureMethod rsa-sha1",
            replace_once(
                &signed,
                dsig::ECDSA_SHA256,
                "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
            ),
            DsigError::Algorithm {
                element: "ds:SignatureMethod",
                found: "http://www.w3.org/2000/09/xmldsig#rsa-sha1".into(),
                required: dsig::ECDSA_SHA256,
            },
        ),
        (
            "inclusive canonicalization",
            replace_once(
                &signed,
                r#"<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#">"#,
                r#"<ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315">"#,
            ),
            DsigError::Algorithm {
                element: "ds:CanonicalizationMethod",
                found: "http://www.w3.org/TR/2001/REC-xml-c14n-20010315".into(),
                required: dsig::EXC_C14N,
            },
        ),
        (
            "SHA-1 digest",
            replace_once(
                &signed,
                dsig::SHA256,
                "http://www.w3.org/2000/09/xmldsig#sha1",
            ),
            DsigError::Algorithm {
                element: "ds:DigestMethod",
                found: "http://www.w3.org/2000/09/xmldsig#sha1".into(),
                required: dsig::SHA256,
            },
        ),
        (
            "a ds:Object",
            replace_once(
                &signed,
                "</ds:KeyInfo>",
                "</ds:KeyInfo><ds:Object><x/></ds:Object>",
            ),
            DsigError::Structure(
                "ds:Signature must hold exactly ds:SignedInfo, ds:SignatureValue, ds:KeyInfo in this order, not [SignedInfo, SignatureValue, KeyInfo, Object]".into(),
            ),
        ),
        (
            "a certificate that is not the signer's",
            replace_once(&signed, &own_cert_b64, &other_cert_b64),
            DsigError::BadSignature,
        ),
        (
            "a changed signature value",
            {
                let at = signed.find("<ds:SignatureValue>").expect("value")
                    + "<ds:SignatureValue>".len();
                let mut bytes = signed.clone().into_bytes();
                bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
                String::from_utf8(bytes).expect("utf8")
            },
            DsigError::BadSignature,
        ),
        (
            "the signature removed",
            replace_once(&signed, signature_slot, ""),
            DsigError::Missing,
        ),
    ];
    for (name, xml, expected) in cases {
        assert_eq!(verify(&xml, Placement::Slot), Err(expected), "{name}");
        // XML Signature allows an unsigned ds:Object, so xmlsec1 accepts it; our profile
        // leaves nothing unsigned in the signature but ds:KeyInfo.
        let xmlsec1_refuses = !name.contains("ds:Object");
        assert_eq!(
            pki.xmlsec1_verify(&xml).is_err(),
            xmlsec1_refuses,
            "xmlsec1 on: {name}"
        );
    }

    // The right signature at the wrong place for the caller.
    assert_eq!(
        verify(&signed, Placement::LastChild),
        Err(DsigError::Misplaced {
            expected: Placement::LastChild
        })
    );
    let evidence = pki
        .signer()
        .sign(EVIDENCE, Placement::LastChild)
        .expect("sign");
    let not_last = replace_once(&evidence, "</ev:Evidence>", "<after/></ev:Evidence>");
    assert_eq!(
        verify(&not_last, Placement::LastChild),
        Err(DsigError::Misplaced {
            expected: Placement::LastChild
        })
    );
}

#[test]
fn the_limits_of_the_reader_apply() {
    let pki = Pki::new();
    let signed = pki
        .signer()
        .sign(&sample_request().to_xml_as(Profile::De), Placement::Slot)
        .expect("sign");
    let small = Limits {
        max_bytes: 1000,
        ..Limits::default()
    };
    let err = dsig::verify(signed.as_bytes(), &small, Placement::Slot).expect_err("too big");
    assert!(matches!(err, DsigError::Document(_)), "{err}");
    let with_doctype = replace_once(
        &signed,
        "<query:QueryRequest",
        "<!DOCTYPE x><query:QueryRequest",
    );
    let err = verify(&with_doctype, Placement::Slot).expect_err("doctype");
    assert!(err.to_string().contains("DOCTYPE"), "{err}");
    let edm: EdmError = err.into();
    assert_eq!(edm.code, EdmCode::InvalidRequest);
    let edm: EdmError = DsigError::DigestMismatch.into();
    assert_eq!(edm.code, EdmCode::InvalidRequest);
    assert!(edm.detail.contains("digest"), "{}", edm.detail);
}

#[test]
fn signers_refuse_what_they_cannot_sign_honestly() {
    let pki = Pki::new();
    // The key of one certificate with another certificate.
    let err = Signer::from_pkcs8_pem(
        &pki.creds.signing_key_pem,
        vec![der(&pki.creds.tls_cert_pem)],
    )
    .expect_err("mismatch");
    assert!(matches!(err, DsigError::Key(_)), "{err}");
    let err = Signer::from_pkcs8_pem(&pki.creds.signing_cert_pem, vec![pki.signing_cert_der()])
        .expect_err("a certificate is not a key");
    assert!(matches!(err, DsigError::Key(_)), "{err}");
    assert!(matches!(
        Signer::from_pkcs8_pem(&pki.creds.signing_key_pem, vec![]),
        Err(DsigError::Certificate(_))
    ));

    let signer = pki.signer();
    assert_eq!(signer.certificate(), pki.signing_cert_der());
    let err = signer
        .sign(
            "<q xmlns:rim='urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0'/>",
            Placement::Slot,
        )
        .expect_err("no xsi prefix");
    assert!(err.to_string().contains("XMLSchema-instance"), "{err}");
    let signed = signer.sign(EVIDENCE, Placement::LastChild).expect("sign");
    assert!(matches!(
        signer.sign(&signed, Placement::LastChild),
        Err(DsigError::Placement(_))
    ));
    assert!(matches!(
        signer.sign("<!DOCTYPE r><r/>", Placement::LastChild),
        Err(DsigError::Xml(_))
    ));
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .try_into()
        .expect("32 bytes")
}
