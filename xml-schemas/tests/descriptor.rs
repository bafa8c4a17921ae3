//! Register descriptors and discovery responses: round trips, libxml2 (xmllint) against the
//! driver schema for every written document, signed and unsigned, the signature checked by our
//! verifier and by libxmlsec1 (xmlsec1), and the refusals of the reader, which xmllint shares.

use std::path::PathBuf;
use std::process::Command;

use once_pki::MemberId;
use once_pki::ca::{Ca, NodeCredentials, Validity};
use once_pki::files::read_certs_from_pem;
use once_xml::descriptor::{MAX_JURISDICTIONS, NodeDescriptor, RegisterDescriptor};
use once_xml::discovery::{DiscoveredProvider, DiscoveryOutcome, DiscoveryResponse};
use once_xml::dsig::{self, DsigError, Placement, Signer};
use once_xml::level::Level;
use once_xml::{EdmCode, Limits, schema_dir};
use tempfile::TempDir;
use time::macros::datetime;

const FINGERPRINT: &str = "3f0c8e5a1b2d4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60";

/// A federation CA and one node's signing credentials, in a temporary directory.
struct Pki {
    dir: TempDir,
    creds: NodeCredentials,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().expect("tmp");
        let mut ca =
            Ca::init(&dir.path().join("ca"), "Descriptor Test Federation", 30).expect("ca");
        let member: MemberId = "DE-HB:KOMMUNE:04011000".parse().expect("member id");
        let creds = ca
            .issue_node(&member, &["localhost".into()], Validity::days_from_now(5))
            .expect("issue");
        Pki { dir, creds }
    }

    fn signing_cert_der(&self) -> Vec<u8> {
        read_certs_from_pem(&self.creds.signing_cert_pem)
            .expect("pem")
            .remove(0)
            .to_vec()
    }

    fn sign(&self, xml: &str) -> String {
        Signer::from_pkcs8_pem(&self.creds.signing_key_pem, vec![self.signing_cert_der()])
            .expect("signer")
            .sign(xml, Placement::LastChild)
            .expect("sign")
    }

    /// `xmlsec1 --verify` with the federation root as the only trust anchor.
    fn xmlsec1_verify(&self, xml: &str) -> Result<(), String> {
        let file = self.dir.path().join("to-verify.xml");
        std::fs::write(&file, xml).expect("write");
        run(Command::new("xmlsec1")
            .arg("--verify")
            .arg("--trusted-pem")
            .arg(self.dir.path().join("ca/ca.pem"))
            .arg(&file))
    }
}

/// Runs a referee tool; Err with its stderr.
fn run(command: &mut Command) -> Result<(), String> {
    let output = command
        .output()
        .expect("xmlsec1 and xmllint are installed (Debian packages xmlsec1, libxml2-utils)");
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// Validates documents with one xmllint run against the driver schema.
fn xmllint(documents: &[&str]) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("tmp");
    let files: Vec<PathBuf> = documents
        .iter()
        .enumerate()
        .map(|(i, xml)| {
            let file = dir.path().join(format!("document-{i}.xml"));
            std::fs::write(&file, xml).expect("write");
            file
        })
        .collect();
    run(Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(schema_dir().join("once-exchange.xsd"))
        .args(files))
}

fn register(id: &str) -> RegisterDescriptor {
    RegisterDescriptor {
        id: id.into(),
        name: "Melderegister Bremen".into(),
        register_type: Some("melderegister".into()),
        level: Level::Municipality,
        jurisdictions: vec!["04011000".into()],
        evidence_types: vec!["urn:once:evidence-type:residence-certificate".into()],
        legal_basis: "Bundesmeldegesetz (BMG)".into(),
        standards: vec!["XMeld 3.2".into()],
        record_count: Some(571_000),
        contact: Some("melderegister@bremen.example".into()),
    }
}

/// A descriptor with three registers: municipal, federal listing states, and a bare one.
fn descriptor() -> NodeDescriptor {
    NodeDescriptor {
        member: "DE-HB:KOMMUNE:04011000".into(),
        name: "Freie Hansestadt Bremen & Bürgeramt <Mitte>".into(),
        peer_endpoint: "https://node.bremen.example:8443/v1/exchange".into(),
        tls_certificate_sha256: FINGERPRINT.into(),
        contact: Some("https://www.bremen.example/kontakt?a=1&b=2".into()),
        issue_date_time: datetime!(2026-11-23 09:00:00 +01:00),
        sequence: 42,
        registers: vec![
            register("melderegister-bremen"),
            RegisterDescriptor {
                id: "einkommen.bund".into(),
                name: "Einkommensregister".into(),
                register_type: None,
                level: Level::Federal,
                jurisdictions: (1..=16).map(|state| format!("{state:02}")).collect(),
                evidence_types: vec![
                    "urn:once:evidence-type:income-certificate".into(),
                    "urn:once:evidence-type:pension-certificate".into(),
                ],
                legal_basis: "§ 93c AO".into(),
                standards: vec![],
                record_count: None,
                contact: None,
            },
            RegisterDescriptor {
                id: "geburtenregister_hb-2".into(),
                name: "Geburtenregister".into(),
                register_type: Some("personenstandsregister".into()),
                level: Level::District,
                jurisdictions: vec!["04011".into(), "040110000000".into()],
                evidence_types: vec![],
                legal_basis: "Personenstandsgesetz (PStG)".into(),
                standards: vec!["XPersonenstand".into(), "X & Y".into()],
                record_count: Some(0),
                contact: None,
            },
        ],
    }
}

fn provider(rank: u32, member: &str, register_id: &str) -> DiscoveredProvider {
    DiscoveredProvider {
        rank,
        match_level: Level::Municipality,
        member: member.into(),
        name: "Stadt Bremen".into(),
        peer_endpoint: "https://node.bremen.example/v1/exchange".into(),
        tls_certificate_sha256: FINGERPRINT.into(),
        register_id: register_id.into(),
        jurisdictions: vec!["04011000".into()],
    }
}

fn providers() -> DiscoveryResponse {
    DiscoveryResponse {
        issue_date_time: datetime!(2026-11-23 09:00:01 UTC),
        evidence_type: "urn:once:evidence-type:residence-certificate".into(),
        jurisdiction: Some("04011000".into()),
        outcome: DiscoveryOutcome::Providers(vec![
            provider(1, "DE-HB:KOMMUNE:04011000", "melderegister-bremen"),
            DiscoveredProvider {
                match_level: Level::Federal,
                jurisdictions: vec![],
                ..provider(2, "DE:BUND:bva", "zentralregister")
            },
        ]),
    }
}

fn missing_input() -> DiscoveryResponse {
    DiscoveryResponse {
        issue_date_time: datetime!(2026-11-23 09:00:02 +01:00),
        evidence_type: "urn:once:evidence-type:residence-certificate".into(),
        jurisdiction: Some("04".into()),
        outcome: DiscoveryOutcome::MissingInput {
            parameter: "jurisdiction".into(),
            message: "Residence certificates are given per municipality: give its 8-digit key (AGS) or its 12-digit ARS, not a state.".into(),
        },
    }
}

#[test]
fn descriptors_and_answers_round_trip() {
    let d = descriptor();
    let xml = d.to_xml();
    assert_eq!(xml.matches("<Register>").count(), 3);
    assert!(xml.contains("&amp; Bürgeramt &lt;Mitte&gt;"));
    assert_eq!(
        NodeDescriptor::from_xml(xml.as_bytes(), &Limits::default()).expect("descriptor"),
        d
    );
    let empty = NodeDescriptor {
        registers: vec![],
        contact: None,
        ..descriptor()
    };
    let read = NodeDescriptor::from_xml(empty.to_xml().as_bytes(), &Limits::default());
    assert_eq!(read.expect("no registers"), empty);

    for answer in [providers(), missing_input()] {
        let xml = answer.to_xml();
        assert_eq!(
            DiscoveryResponse::from_xml(xml.as_bytes(), &Limits::default())
                .unwrap_or_else(|e| panic!("{e}\n{xml}")),
            answer
        );
    }
    let none = DiscoveryResponse {
        jurisdiction: None,
        outcome: DiscoveryOutcome::Providers(vec![]),
        ..providers()
    };
    let read = DiscoveryResponse::from_xml(none.to_xml().as_bytes(), &Limits::default());
    assert_eq!(read.expect("no providers"), none);
}

#[test]
fn providers_are_written_and_read_in_rank_order() {
    let DiscoveryOutcome::Providers(mut found) = providers().outcome else {
        panic!("providers")
    };
    found.reverse();
    let shuffled = DiscoveryResponse {
        outcome: DiscoveryOutcome::Providers(found),
        ..providers()
    };
    let xml = shuffled.to_xml();
    assert!(xml.find("<Rank>1<").expect("1") < xml.find("<Rank>2<").expect("2"));
    assert_eq!(
        DiscoveryResponse::from_xml(xml.as_bytes(), &Limits::default()).expect("ranked"),
        providers()
    );
    // Out of order on the wire: refused by us (XSD 1.0 cannot say it).
    let swapped = xml
        .replacen("<Rank>1<", "<Rank>x<", 1)
        .replacen("<Rank>2<", "<Rank>1<", 1)
        .replacen("<Rank>x<", "<Rank>2<", 1);
    let e = DiscoveryResponse::from_xml(swapped.as_bytes(), &Limits::default())
        .expect_err("out of order");
    assert!(e.detail.contains("rank order"), "{}", e.detail);
}

#[test]
fn written_documents_validate_signed_and_unsigned_and_signatures_verify() {
    let pki = Pki::new();
    let unsigned = [
        descriptor().to_xml(),
        providers().to_xml(),
        missing_input().to_xml(),
    ];
    let signed: Vec<String> = unsigned.iter().map(|xml| pki.sign(xml)).collect();
    let all: Vec<&str> = unsigned.iter().chain(&signed).map(String::as_str).collect();
    xmllint(&all).unwrap_or_else(|e| panic!("{e}\n{all:#?}"));

    for xml in &signed {
        assert!(
            xml.trim_end().ends_with("</ds:Signature></NodeDescriptor>")
                || xml
                    .trim_end()
                    .ends_with("</ds:Signature></DiscoveryResponse>"),
            "the signature is the last child\n{xml}"
        );
        let verified = dsig::verify(xml.as_bytes(), &Limits::default(), Placement::LastChild)
            .unwrap_or_else(|e| panic!("{e}\n{xml}"));
        assert_eq!(verified.signer_certificate(), pki.signing_cert_der());
        pki.xmlsec1_verify(xml)
            .unwrap_or_else(|e| panic!("xmlsec1 refused our signature: {e}\n{xml}"));
    }
    // The signed documents still read as the unsigned ones.
    assert_eq!(
        NodeDescriptor::from_xml(signed[0].as_bytes(), &Limits::default()).expect("signed"),
        descriptor()
    );
    assert_eq!(
        DiscoveryResponse::from_xml(signed[1].as_bytes(), &Limits::default()).expect("signed"),
        providers()
    );
    assert_eq!(
        DiscoveryResponse::from_xml(signed[2].as_bytes(), &Limits::default()).expect("signed"),
        missing_input()
    );

    // A newer sequence number slipped into a signed descriptor: both verifiers refuse.
    let tampered = signed[0].replacen("<Sequence>42<", "<Sequence>43<", 1);
    assert_eq!(
        dsig::verify(
            tampered.as_bytes(),
            &Limits::default(),
            Placement::LastChild
        )
        .map(drop),
        Err(DsigError::DigestMismatch)
    );
    assert!(pki.xmlsec1_verify(&tampered).is_err());
}

#[test]
fn the_reader_refuses_what_the_schemas_forbid() {
    let xml = descriptor().to_xml();
    let answer = providers().to_xml();
    let missing = missing_input().to_xml();
    let cases = [
        (
            xml.replace("register-descriptor:1", "register-descriptor:2"),
            "is not a NodeDescriptor in urn:once:register-descriptor:1",
        ),
        (
            xml.replacen("<Level>municipality<", "<Level>kommune<", 1),
            "Register[0]: Level: \"kommune\" is not a level",
        ),
        (
            xml.replacen(FINGERPRINT, &FINGERPRINT.to_uppercase(), 1),
            "TlsCertificateSha256: \"3F0C",
        ),
        (
            xml.replacen(FINGERPRINT, &FINGERPRINT[1..], 1),
            "is not a SHA-256 fingerprint",
        ),
        (
            xml.replacen("<Id>einkommen.bund<", "<Id>melderegister-bremen<", 1),
            "the register id \"melderegister-bremen\" is given twice",
        ),
        (
            xml.replacen("<Jurisdiction>04011000<", "<Jurisdiction>0401100<", 1),
            "Register[0]: Jurisdiction: \"0401100\" is not an official area key",
        ),
        (
            xml.replacen("<Jurisdiction>04011000<", "<Jurisdiction>0401100000<", 1),
            "Jurisdiction: \"0401100000\" is not an official area key",
        ),
        (
            xml.replacen("<Name>Melderegister Bremen<", "<Name> <", 1),
            "Register[0]: Name is empty",
        ),
        (
            xml.replacen("<Sequence>42<", "<Sequence>forty-two<", 1),
            "Sequence: \"forty-two\" is not a number",
        ),
        (
            xml.replacen("<Sequence>42<", "<Sequence>-1<", 1),
            "Sequence: \"-1\" is not a number",
        ),
        (
            xml.replacen(">DE-HB:KOMMUNE:04011000<", ">DE-HB:kommune:04011000<", 1),
            "Member: \"DE-HB:kommune:04011000\" is not a member id",
        ),
        (
            xml.replacen(">https://node.bremen", ">http://node.bremen", 1),
            "PeerEndpoint: \"http://node.bremen.example:8443/v1/exchange\" is not an https URL",
        ),
        (
            xml.replacen("<Id>einkommen.bund<", "<Id>Einkommen<", 1),
            "is not a register id",
        ),
        (
            xml.replacen("<Level>federal</Level>", "", 1),
            "Register[1]: expected Level, found Jurisdiction",
        ),
        (
            xml.replacen("<LegalBasis>", "<Remark>x</Remark><LegalBasis>", 1),
            "Register[0]: expected LegalBasis, found Remark",
        ),
        (
            xml.replacen(
                "<Register>",
                r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/><Register>"#,
                1,
            ),
            "a ds:Signature may only come last",
        ),
        (
            xml.replacen("2026-11-23T09:00:00+01:00", "2026-11-23T09:00:00", 1),
            "IssueDateTime: \"2026-11-23T09:00:00\" is not a date and time with offset",
        ),
        (
            answer.replace("discovery:1", "discovery:0"),
            "is not a DiscoveryResponse in urn:once:discovery:1",
        ),
        (
            answer.replacen("<MatchLevel>federal<", "<MatchLevel>Federal<", 1),
            "Provider[1]: MatchLevel: \"Federal\" is not a level",
        ),
        (
            answer.replacen("<Rank>1<", "<Rank>0<", 1),
            "Provider[0]: Rank: \"0\" is not a rank",
        ),
        (
            answer.replacen("<Jurisdiction>04011000<", "<Jurisdiction>4011000<", 1),
            "DiscoveryResponse: Jurisdiction: \"4011000\" is not an official area key",
        ),
        (
            answer
                .replacen("<Providers>", "", 1)
                .replacen("</Providers>", "", 1),
            "DiscoveryResponse: expected Providers, found Provider",
        ),
        (
            missing.replacen("<Parameter>jurisdiction<", "<Parameter>the area<", 1),
            "Parameter: \"the area\" is not a parameter name",
        ),
    ];
    for (bad, expected) in &cases {
        let refused = if bad.contains("<NodeDescriptor") {
            NodeDescriptor::from_xml(bad.as_bytes(), &Limits::default()).map(drop)
        } else {
            DiscoveryResponse::from_xml(bad.as_bytes(), &Limits::default()).map(drop)
        };
        let e = refused.expect_err(expected);
        assert_eq!(e.code, EdmCode::InvalidRequest);
        assert!(
            e.detail.contains(expected),
            "{expected:?} not in {:?}",
            e.detail
        );
        // The referee agrees.
        assert!(xmllint(&[bad]).is_err(), "xmllint accepted: {expected}");
    }
}

#[test]
fn every_wrong_key_length_is_refused_by_both() {
    let xml = descriptor().to_xml();
    for digits in [1, 4, 6, 7, 10, 11, 13] {
        let key = "4".repeat(digits);
        let bad = xml.replacen(
            "<Jurisdiction>04011000<",
            &format!("<Jurisdiction>{key}<"),
            1,
        );
        let e = NodeDescriptor::from_xml(bad.as_bytes(), &Limits::default()).expect_err(&key);
        assert!(
            e.detail.contains("is not an official area key"),
            "{}",
            e.detail
        );
        assert!(xmllint(&[&bad]).is_err(), "xmllint accepted the key {key}");
    }
}

#[test]
fn limits_of_sense() {
    let limits = Limits {
        max_bytes: 4 * 1024 * 1024,
        max_elements: 100_000,
        ..Limits::default()
    };
    let with = |count: usize| NodeDescriptor {
        registers: vec![RegisterDescriptor {
            jurisdictions: (0..count).map(|i| format!("{i:08}")).collect(),
            ..register("bund")
        }],
        ..descriptor()
    };
    let most = with(MAX_JURISDICTIONS);
    let xml = most.to_xml();
    assert_eq!(
        NodeDescriptor::from_xml(xml.as_bytes(), &limits).expect("20,000"),
        most
    );
    xmllint(&[&xml]).expect("20,000 jurisdictions validate");
    let too_many = with(MAX_JURISDICTIONS + 1).to_xml();
    let e = NodeDescriptor::from_xml(too_many.as_bytes(), &limits).expect_err("20,001");
    assert!(
        e.detail.contains("more than 20000 Jurisdiction elements"),
        "{}",
        e.detail
    );
    assert!(xmllint(&[&too_many]).is_err());

    let long = NodeDescriptor {
        name: "x".repeat(1025),
        ..descriptor()
    };
    let e = NodeDescriptor::from_xml(long.to_xml().as_bytes(), &Limits::default())
        .expect_err("1025 characters");
    assert!(
        e.detail.contains("longer than 1024 characters"),
        "{}",
        e.detail
    );
    assert!(xmllint(&[&long.to_xml()]).is_err());
}
