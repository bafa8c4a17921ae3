//! Malformed and hostile requests to a provider's peer endpoint `POST /v1/exchange`, sent over
//! real mutual TLS by an authenticated member. Every one must get the right, specific ebRS
//! exception (never a panic, a hang or a 500), and the provider must keep answering valid
//! requests: one is sent after every ten cases and at the end.
//!
//! The provider verifies the XML signature first, so: input the reader refuses (limits, DOCTYPE,
//! entities, encoding, well-formedness) → EDM:ERR:0003 naming the rule; well-formed but unsigned
//! or with a broken, duplicated or misplaced signature → EDM:ERR:0001; requests made malformed
//! and then signed correctly reach the codec → EDM:ERR:0003.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use once_node::exchange::transport::Sealed;
use once_pki::MemberId;
use once_pki::ca::{Ca, Validity, node_files};
use once_tests::client::tls_client;
use once_tests::exchange::{
    JUERGEN, PROVIDER, REQUESTER, RESIDENCE, juergen_request, member_client, member_signer,
    population_register, seal_document,
};
use once_tests::{Backend, TestFederation};
use once_xml::Profile;
use once_xml::dsig::Signer;
use once_xml::multipart::{self, Part};
use once_xml::request::EvidenceRequest;
use once_xml::response::{Response, reason};
use rustls_pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;

/// The provider's `exchange.max_message_bytes`, small so that the oversize case is cheap.
const MAX_MESSAGE_BYTES: usize = 256 * 1024;
/// Longest a single answer may take; anything slower counts as a hang.
const ANSWER_WITHIN: Duration = Duration::from_secs(15);
/// Longest a refusal may take: each is decided from the first bytes or a small document.
const SLOW: Duration = Duration::from_secs(5);
/// A valid request is sent after this many cases.
const VALID_EVERY: usize = 10;

const EDM_AUTHENTICATION: &str = "EDM:ERR:0001";
const EDM_INVALID: &str = "EDM:ERR:0003";
const EDM_AUTHORIZATION: &str = "EDM:ERR:0002";

const XML: &str = "application/xml";

#[actix_rt::test]
async fn hostile_requests_get_specific_errors() {
    let mut fed = TestFederation::builder()
        .backend(Backend::Sqlite)
        .member(PROVIDER)
        .configure(|c| c.exchange.max_message_bytes = MAX_MESSAGE_BYTES)
        .start()
        .await
        .expect("provider");
    population_register(&fed.node(0).pool(), REQUESTER)
        .await
        .expect("register");
    let dir = fed.issue(REQUESTER, "requester").expect("issue");
    let signer = member_signer(&dir).expect("signer");
    let foreign = member_signer(&foreign_credentials(fed.dir())).expect("foreign signer");

    assert_still_answers(&fed, &dir, &signer, false, "start").await;
    let cases = cases(&signer, &foreign);
    assert!(cases.len() >= 32, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let answer = send(&fed, &dir, case).await;
        let problem = match answer {
            Err(e) => Some(e),
            Ok(answer) => check(case, &answer),
        };
        if let Some(problem) = problem {
            failures.push(format!("case {} {:?}: {problem}", i + 1, case.name));
        }
        if (i + 1) % VALID_EVERY == 0 {
            assert_still_answers(&fed, &dir, &signer, i % 20 == 9, case.name).await;
        }
    }
    assert_still_answers(&fed, &dir, &signer, true, "the last case").await;
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    fed.stop().await;
}

/// A peer that announces a body and then stops sending must not hold its connection open
/// forever: the provider answers or closes within [`ANSWER_WITHIN`].
///
/// The provider drops it after `exchange.body_timeout_ms` with 408, and a Content-Length over the
/// limit is refused before any body is read.
#[actix_rt::test]
async fn stalled_body_is_dropped() {
    let mut fed = TestFederation::builder()
        .backend(Backend::Sqlite)
        .member(PROVIDER)
        .configure(|c| c.exchange.body_timeout_ms = 1000)
        .start()
        .await
        .expect("provider");
    let dir = fed.issue(REQUESTER, "requester").expect("issue");
    let stalled = format!(
        "POST /v1/exchange HTTP/1.1\r\nHost: localhost\r\nContent-Type: {XML}\r\n\
         Content-Length: 1000\r\nConnection: close\r\n\r\n<a>"
    );
    let (took, response) = raw(&fed, &dir, stalled.as_bytes(), false)
        .await
        .expect("stalled body: an answer, not a hang");
    let (status, _, _) = http_response(&response).expect("an HTTP answer");
    assert_eq!(status, 408, "stalled body");
    assert!(took < Duration::from_secs(4), "dropped after {took:?}");

    let huge = format!(
        "POST /v1/exchange HTTP/1.1\r\nHost: localhost\r\nContent-Type: {XML}\r\n\
         Content-Length: 99999999999\r\nConnection: close\r\n\r\n<a>"
    );
    let (took, response) = raw(&fed, &dir, huge.as_bytes(), false)
        .await
        .expect("huge Content-Length: an answer, not a hang");
    let (status, _, body) = http_response(&response).expect("an HTTP answer");
    assert_eq!(status, 200, "huge Content-Length");
    assert!(
        String::from_utf8_lossy(&body).contains("larger than"),
        "huge Content-Length"
    );
    // Not a timing target: only that the refusal does not wait for 99 GB that never come.
    assert!(took < ANSWER_WITHIN, "refused after {took:?}");
    fed.stop().await;
}

/// Sends a valid request (as application/xml or multipart/related) and expects the evidence.
async fn assert_still_answers(
    fed: &TestFederation,
    dir: &Path,
    signer: &Signer,
    multipart: bool,
    after: &str,
) {
    let _ = multipart;
    let sealed = seal_as_requester(signer, valid().as_bytes());
    let answer = post(fed, dir, Some(&sealed.content_type), sealed.body)
        .await
        .unwrap_or_else(|e| panic!("valid request after {after:?}: {e}"));
    assert_eq!(
        answer.status, 200,
        "valid request after {after:?}: {answer:?}"
    );
    assert!(
        matches!(answer.response, Some(Response::Evidence(_))),
        "valid request after {after:?} got no evidence: {answer:?}"
    );
}

/// What is wrong with the answer to a case, if anything.
fn check(case: &Case, answer: &Answer) -> Option<String> {
    if answer.status != case.status {
        return Some(format!(
            "expected HTTP {}, got {}: {}",
            case.status, answer.status, answer.raw
        ));
    }
    if case.status != 200 {
        if !answer.raw.contains(case.detail) {
            return Some(format!("expected {:?} in {:?}", case.detail, answer.raw));
        }
        println!(
            "ok {:?}: HTTP {} {:?}",
            case.name, answer.status, answer.raw
        );
        return None;
    }
    let Some(Response::Error(error)) = &answer.response else {
        return Some(format!("not an error response: {answer:?}"));
    };
    let exception = &error.exception;
    let got = format!(
        "{} reason {:?} detail {:?} in {:?}",
        exception.code.code(),
        exception.reason,
        exception.detail,
        answer.took
    );
    if exception.code.code() != case.code
        || exception.reason.as_deref() != case.reason
        || !exception.detail.contains(case.detail)
    {
        return Some(format!(
            "expected {} reason {:?} with {:?}; got {got}",
            case.code, case.reason, case.detail
        ));
    }
    if answer.took > SLOW {
        return Some(format!("too slow: {got}"));
    }
    println!("ok {:?}: {got}", case.name);
    None
}

/// The hostile requests, in the order sent.
fn cases(signer: &Signer, foreign: &Signer) -> Vec<Case> {
    let mut cases = transport_cases(signer);
    cases.extend(reader_cases(signer));
    cases.extend(envelope_cases(signer, foreign));
    cases.extend(codec_cases(signer));
    cases
}

/// A valid request about Jürgen, as XML text.
fn valid() -> String {
    juergen().to_xml_as(Profile::De)
}

/// `document` sealed as the requester seals it for the provider.
fn seal_as_requester(signer: &Signer, document: &[u8]) -> Sealed {
    seal_document(signer, REQUESTER, PROVIDER, document, &[])
}

/// The transport: the envelope is read before anything else.
fn transport_cases(signer: &Signer) -> Vec<Case> {
    let valid_sealed = || seal_as_requester(signer, valid().as_bytes());
    let mut cases = vec![
        // A media type the endpoint does not accept.
        Case::sealed("content type text/plain", valid_sealed())
            .content_type(Some("text/plain"))
            .invalid("text/plain is not multipart/related"),
        // No Content-Type header at all.
        Case::sealed("no content type", valid_sealed())
            .content_type(None)
            .invalid("no Content-Type"),
        // A bare document without an envelope (nothing authenticates it).
        Case::xml("bare XML without an envelope", valid())
            .invalid("application/xml is not multipart/related"),
        // multipart/related without its boundary parameter.
        Case::sealed("multipart without boundary", valid_sealed())
            .content_type(Some(r#"multipart/related; type="application/xml""#))
            .invalid("no boundary parameter"),
    ];
    // multipart/related with a boundary longer than RFC 2046 allows.
    let long_boundary = format!("multipart/related; boundary=\"{}\"", "b".repeat(71));
    cases.push(
        Case::sealed("multipart with an invalid boundary", valid_sealed())
            .content_type(Some(&long_boundary))
            .invalid("boundary"),
    );
    // multipart/related whose body stops before the closing delimiter.
    let mut cut = valid_sealed();
    let closing = cut
        .body
        .windows(4)
        .rposition(|w| w == b"\r\n--")
        .expect("closing delimiter");
    cut.body.truncate(closing + 2);
    cases.push(
        Case::sealed("multipart without closing delimiter", cut)
            .invalid("closing boundary delimiter"),
    );
    // A request with an attachment beside the message, signed with it.
    let attachment = [Part {
        content_id: "smuggled@evil",
        content_type: "application/xml",
        body: b"<payload/>",
    }];
    cases.push(
        Case::sealed(
            "multipart with an attachment",
            seal_document(signer, REQUESTER, PROVIDER, valid().as_bytes(), &attachment),
        )
        .invalid("no attachments"),
    );
    // A body larger than the provider's max_message_bytes.
    let huge = before_root_end(
        &valid(),
        &format!("<!-- {} -->", "x".repeat(MAX_MESSAGE_BYTES)),
    );
    cases.push(Case::xml("body over the size limit", huge).invalid("larger than 262144 bytes"));
    // A chunked body (no Content-Length) that grows past the limit: refused while streaming.
    let mut chunked = format!(
        "POST /v1/exchange HTTP/1.1\r\nHost: localhost\r\nContent-Type: {XML}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for _ in 0..(MAX_MESSAGE_BYTES / 8192 + 8) {
        chunked.extend_from_slice(format!("2000\r\n{}\r\n", "x".repeat(8192)).as_bytes());
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    cases.push(
        Case::raw("chunked body over the size limit", chunked, false)
            .invalid("larger than 262144 bytes"),
    );
    // A Content-Length the body never reaches: the client closes its side after 3 bytes.
    let cut = format!(
        "POST /v1/exchange HTTP/1.1\r\nHost: localhost\r\nContent-Type: {XML}\r\n\
         Content-Length: 1000\r\nConnection: close\r\n\r\n<a>"
    )
    .into_bytes();
    cases.push(
        Case::raw("body shorter than Content-Length", cut, true).plain(400, "could not be read"),
    );
    cases
}

/// The reader: a validly sealed document that is not XML within the limits → EDM:ERR:0003.
fn reader_cases(signer: &Signer) -> Vec<Case> {
    let sealed = |name: &'static str, document: &[u8], detail: &'static str| {
        Case::sealed(name, seal_as_requester(signer, document)).invalid(detail)
    };
    let mut laughs = String::from(r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">"#);
    for level in 1..10 {
        let previous = if level == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", level - 1)
        };
        laughs.push_str(&format!(
            "<!ENTITY lol{level} \"{}\">",
            format!("&{previous};").repeat(10)
        ));
    }
    laughs.push_str("]><lolz>&lol9;</lolz>");
    let latin1 = valid()
        .replace('ü', "\u{0}")
        .into_bytes()
        .into_iter()
        .map(|b| if b == 0 { 0xfc } else { b })
        .collect::<Vec<u8>>();
    let whole = valid();
    let truncated = &whole.as_bytes()[..whole.find("</sdg:FamilyName>").expect("family name")];
    let req = juergen();
    let attributes: String = (0..20_000).map(|i| format!(" a{i}=\"v\"")).collect();
    vec![
        sealed("empty document", b"", "no root element"),
        sealed(
            "DOCTYPE with external entity (XXE)",
            br#"<?xml version="1.0"?><!DOCTYPE q [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><q>&xxe;</q>"#,
            "DOCTYPE is not allowed",
        ),
        sealed("billion laughs", laughs.as_bytes(), "DOCTYPE is not allowed"),
        sealed(
            "undeclared entity",
            replace_once(
                &valid(),
                "<sdg:FamilyName>Müller-Lüdenscheidt</sdg:FamilyName>",
                "<sdg:FamilyName>&evil;</sdg:FamilyName>",
            )
            .as_bytes(),
            "&evil;",
        ),
        sealed("invalid UTF-8", &latin1, "not valid UTF-8"),
        sealed(
            "ISO-8859-1 declaration",
            replace_once(&valid(), r#"encoding="UTF-8""#, r#"encoding="ISO-8859-1""#).as_bytes(),
            "ISO-8859-1",
        ),
        sealed(
            "nesting 41 deep",
            before_root_end(&valid(), &format!("{}{}", "<d>".repeat(40), "</d>".repeat(40)))
                .as_bytes(),
            "deeper than 32 levels",
        ),
        sealed(
            "10 001 extra elements",
            before_root_end(&valid(), &"<e/>".repeat(10_001)).as_bytes(),
            "more than 10000 elements",
        ),
        sealed(
            "oversized attribute",
            before_root_end(&valid(), &format!(r#"<e a="{}"/>"#, "a".repeat(5000))).as_bytes(),
            "longer than 4096 bytes",
        ),
        sealed(
            "oversized text",
            before_root_end(&valid(), &format!("<e>{}</e>", "t".repeat(70_000))).as_bytes(),
            "longer than 65536 bytes",
        ),
        sealed(
            "mismatched end tag",
            replace_once(
                &valid(),
                "Müller-Lüdenscheidt</sdg:FamilyName>",
                "Müller-Lüdenscheidt</sdg:GivenName>",
            )
            .as_bytes(),
            "not well-formed",
        ),
        sealed("truncated document", truncated, "ends inside an element"),
        sealed(
            "double hyphen in comment",
            before_root_end(&valid(), "<!-- a -- b -->").as_bytes(),
            "not well-formed",
        ),
        sealed(
            "undeclared namespace prefix",
            replace_once(
                &valid(),
                "<sdg:FamilyName>Müller-Lüdenscheidt</sdg:FamilyName>",
                "<evil:FamilyName>Müller-Lüdenscheidt</evil:FamilyName>",
            )
            .as_bytes(),
            "undeclared namespace prefix",
        ),
        sealed(
            "duplicate attribute",
            replace_once(
                &req.to_xml_as(Profile::De),
                &format!(r#"id="{}""#, once_xml::ids::urn_uuid(&req.id)),
                &format!(r#"id="{}" id="other""#, once_xml::ids::urn_uuid(&req.id)),
            )
            .as_bytes(),
            "bad attribute",
        ),
        sealed(
            "content after the root",
            format!("{}<query:QueryRequest/>", valid()).as_bytes(),
            "after the root element",
        ),
        // A root element with 20 000 distinct attributes: must stay cheap.
        sealed(
            "20 000 attributes",
            replace_once(
                &req.to_xml_as(Profile::De),
                &format!(r#"id="{}""#, once_xml::ids::urn_uuid(&req.id)),
                &format!(r#"id="{}"{attributes}"#, once_xml::ids::urn_uuid(&req.id)),
            )
            .as_bytes(),
            "more than 32 attributes",
        ),
    ]
}

/// The envelope's signature: the message is not signed by the requester as sent → EDM:ERR:0001
/// (EDM:ERR:0003 where the envelope names another receiver).
fn envelope_cases(signer: &Signer, foreign: &Signer) -> Vec<Case> {
    let valid_sealed = || seal_as_requester(signer, valid().as_bytes());
    let edit = |sealed: Sealed, from: &str, to: &str| Sealed {
        body: replace_once(&String::from_utf8_lossy(&sealed.body), from, to).into_bytes(),
        ..sealed
    };
    let (content_type, body) = multipart_body(valid().as_bytes(), &[]);
    let unsigned = Sealed { content_type, body };
    let sealed = valid_sealed();
    let body = String::from_utf8_lossy(&sealed.body).into_owned();
    let at = body.find("<ds:SignatureValue>").expect("value") + "<ds:SignatureValue>".len();
    let flipped = if body.as_bytes()[at] == b'A' {
        "B"
    } else {
        "A"
    };
    let tampered_value = Sealed {
        body: format!("{}{flipped}{}", &body[..at], &body[at + 1..]).into_bytes(),
        ..sealed
    };
    let attachment = [Part {
        content_id: "smuggled@evil",
        content_type: "application/xml",
        body: b"<payload/>",
    }];
    let document = valid();
    vec![
        Case::sealed("multipart without a signature part", unsigned)
            .unauthenticated("no signature part"),
        Case::sealed(
            "tampered subject",
            edit(
                valid_sealed(),
                "<sdg:GivenName>Jürgen</sdg:GivenName>",
                "<sdg:GivenName>Anna</sdg:GivenName>",
            ),
        )
        .unauthenticated("changed after signing"),
        Case::sealed("tampered SignatureValue", tampered_value)
            .unauthenticated("does not verify with the public key"),
        Case::sealed(
            "a signed part dropped",
            transplant_signature(
                &seal_document(
                    signer,
                    REQUESTER,
                    PROVIDER,
                    document.as_bytes(),
                    &attachment,
                ),
                &seal_as_requester(signer, document.as_bytes()),
            ),
        )
        .unauthenticated("no part with this content id"),
        Case::sealed(
            "signature of another message",
            transplant_signature(&valid_sealed(), &valid_sealed()),
        )
        .unauthenticated("changed after signing"),
        Case::sealed(
            "RSA signature method",
            edit(
                valid_sealed(),
                "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
                "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            ),
        )
        .unauthenticated("is not allowed"),
        Case::sealed(
            "signer from a foreign CA",
            seal_as_requester(foreign, valid().as_bytes()),
        )
        .unauthenticated("not issued by the federation CA"),
        Case::sealed(
            "sender named is not the signer",
            seal_document(
                signer,
                "DE-NI:KOMMUNE:03241001",
                PROVIDER,
                valid().as_bytes(),
                &[],
            ),
        )
        .unauthenticated("as its sender"),
        Case::sealed(
            "addressed to another node",
            seal_document(
                signer,
                REQUESTER,
                "DE-HB:KOMMUNE:04012000",
                valid().as_bytes(),
                &[],
            ),
        )
        .invalid("is addressed to")
        .reason(reason::PROVIDER_MISMATCH),
    ]
}

/// `into` with the signature part of `from`.
fn transplant_signature(from: &Sealed, into: &Sealed) -> Sealed {
    let signature_of = |sealed: &Sealed| {
        let parsed = multipart::parse(&sealed.content_type, &sealed.body, &Default::default())
            .expect("sealed message");
        parsed
            .get("signature@once")
            .expect("signature part")
            .body
            .to_vec()
    };
    let (signature, target) = (signature_of(from), signature_of(into));
    let (target, signature) = (
        String::from_utf8_lossy(&target).into_owned(),
        String::from_utf8_lossy(&signature).into_owned(),
    );
    let body = String::from_utf8_lossy(&into.body).replacen(&target, &signature, 1);
    Sealed {
        content_type: into.content_type.clone(),
        body: body.into_bytes(),
    }
}

/// The codec: malformed requests in a valid envelope → EDM:ERR:0003.
fn codec_cases(signer: &Signer) -> Vec<Case> {
    let mut cases = Vec::new();
    let semantic = |name: &'static str, xml: String, detail: &'static str| {
        Case::sealed(name, seal_as_requester(signer, xml.as_bytes())).invalid(detail)
    };
    // The root element in another namespace.
    cases.push(semantic(
        "wrong root namespace",
        replace_once(
            &valid(),
            r#"xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0""#,
            r#"xmlns:query="urn:example:not-ebrs""#,
        ),
        "root element must be QueryRequest",
    ));
    // The request without its id attribute.
    let req = juergen();
    cases.push(semantic(
        "missing request id",
        replace_once(
            &req.to_xml_as(Profile::De),
            &format!(r#" id="{}""#, once_xml::ids::urn_uuid(&req.id)),
            "",
        ),
        "lacks its id attribute",
    ));
    // The mandatory Procedure slot removed.
    let xml = valid();
    let procedure = slot_range(&xml, "Procedure");
    // Without a Procedure slot (only recommended in EDM 1.0, R-EDM-REQ-S007): read, and
    // refused because no access rule allows a request without a procedure.
    cases.push(
        Case {
            code: EDM_AUTHORIZATION,
            ..semantic(
                "Procedure slot missing",
                format!("{}{}", &xml[..procedure.start], &xml[procedure.end..]),
                "for procedure \"\"",
            )
        }
        .reason(reason::NO_ACCESS_RULE),
    );
    // The Procedure slot given twice.
    cases.push(semantic(
        "Procedure slot twice",
        format!(
            "{}{}{}",
            &xml[..procedure.end],
            &xml[procedure.clone()],
            &xml[procedure.end..]
        ),
        "slot Procedure is given twice",
    ));
    // An empty Procedure.
    cases.push(semantic(
        "empty Procedure",
        replace_once(&valid(), r#"value="Elterngeld""#, r#"value="""#),
        "slot Procedure is empty",
    ));
    // A tax identification number with a wrong check digit.
    cases.push(semantic(
        "tax id check digit",
        replace_once(&valid(), JUERGEN, "65929970488"),
        "check digit",
    ));
    // A tax identification number with 10 digits.
    cases.push(semantic(
        "tax id with 10 digits",
        replace_once(&valid(), JUERGEN, "6592997048"),
        "exactly 11 digits",
    ));
    // An evidence type no provider knows.
    cases.push(semantic(
        "unknown evidence type",
        replace_once(
            &valid(),
            RESIDENCE,
            "urn:once:evidence-type:unicorn-licence",
        ),
        "unknown evidence type",
    ));
    // Both a NaturalPerson and a LegalPerson as subject.
    cases.push(semantic(
        "NaturalPerson and LegalPerson",
        replace_once(
            &valid(),
            r#"<rim:Slot name="EvidenceRequest">"#,
            concat!(
                r#"<rim:Slot name="LegalPerson"><rim:SlotValue xsi:type="rim:AnyValueType"><sdg:LegalPerson>"#,
                r#"<sdg:Identifier schemeID="urn:example:hrb">HRB 1234</sdg:Identifier><sdg:LegalName>Evil GmbH</sdg:LegalName>"#,
                r#"</sdg:LegalPerson></rim:SlotValue></rim:Slot><rim:Slot name="EvidenceRequest">"#
            ),
        ),
        "both a NaturalPerson and a LegalPerson",
    ));
    // No subject at all.
    let xml = valid();
    let person = slot_range(&xml, "NaturalPerson");
    cases.push(semantic(
        "no subject",
        format!("{}{}", &xml[..person.start], &xml[person.end..]),
        "lacks the subject",
    ));
    // A date of birth that does not exist.
    cases.push(semantic(
        "impossible date of birth",
        replace_once(&valid(), "1985-03-07", "1985-02-30"),
        "DateOfBirth must be a date",
    ));
    // An IssueDateTime that is not a date and time.
    let req = juergen();
    let issued = req
        .issue_date_time
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format");
    cases.push(semantic(
        "IssueDateTime not a date",
        replace_once(&req.to_xml_as(Profile::De), &issued, "yesterday"),
        "date and time with offset",
    ));
    // A boolean slot that is neither true nor false.
    let xml = valid();
    let preview = slot_range(&xml, "PossibilityForPreview");
    let maybe = xml[preview.clone()].replace("false", "maybe");
    cases.push(semantic(
        "boolean neither true nor false",
        format!("{}{maybe}{}", &xml[..preview.start], &xml[preview.end..]),
        "must be true or false",
    ));
    // A request meant for another provider.
    cases.push(
        semantic(
            "wrong EvidenceProvider",
            juergen_request(REQUESTER, "DE-HB:KOMMUNE:04012000").to_xml_as(Profile::De),
            "is not this node",
        )
        .reason(reason::PROVIDER_MISMATCH),
    );
    // A request that names another requester than the signer and TLS peer.
    let spoofed = juergen_request("DE-NI:KOMMUNE:03241001", PROVIDER);
    cases.push(
        Case::sealed(
            "wrong EvidenceRequester",
            seal_as_requester(signer, spoofed.to_xml_as(Profile::De).as_bytes()),
        )
        .unauthenticated("is not the member that sent the request")
        .reason(reason::REQUESTER_MISMATCH),
    );
    // An IssueDateTime an hour in the future.
    let mut future = juergen();
    future.issue_date_time += time::Duration::hours(1);
    cases.push(
        semantic(
            "IssueDateTime in the future",
            future.to_xml_as(Profile::De),
            "from the provider's clock",
        )
        .reason(reason::STALE_ISSUE_DATE_TIME),
    );
    cases
}

/// How a case is sent.
enum Transport {
    /// Through an HTTPS client, with this `Content-Type` (or none).
    Client { content_type: Option<String> },
    /// As these raw HTTP/1.1 bytes (head included) on a fresh mutual-TLS connection; with
    /// `half_close` the client then shuts down its side of the connection.
    Raw { half_close: bool },
}

/// One hostile request and the answer it must get.
struct Case {
    name: &'static str,
    transport: Transport,
    body: Vec<u8>,
    /// The HTTP status; for 200, an ebRS exception with `code`, `reason` and `detail` is expected,
    /// otherwise a plain body containing `detail`.
    status: u16,
    code: &'static str,
    reason: Option<&'static str>,
    /// A word or phrase of the exception's detail that names the rule broken.
    detail: &'static str,
}

impl Case {
    fn xml(name: &'static str, body: impl Into<Vec<u8>>) -> Case {
        Case {
            name,
            transport: Transport::Client {
                content_type: Some(XML.into()),
            },
            body: body.into(),
            status: 200,
            code: EDM_INVALID,
            reason: None,
            detail: "",
        }
    }

    fn sealed(name: &'static str, sealed: Sealed) -> Case {
        Case {
            transport: Transport::Client {
                content_type: Some(sealed.content_type),
            },
            ..Case::xml(name, sealed.body)
        }
    }

    fn raw(name: &'static str, request: Vec<u8>, half_close: bool) -> Case {
        Case {
            transport: Transport::Raw { half_close },
            ..Case::xml(name, request)
        }
    }

    fn content_type(mut self, content_type: Option<&str>) -> Case {
        self.transport = Transport::Client {
            content_type: content_type.map(ToOwned::to_owned),
        };
        self
    }

    fn invalid(mut self, detail: &'static str) -> Case {
        self.code = EDM_INVALID;
        self.detail = detail;
        self
    }

    fn unauthenticated(mut self, detail: &'static str) -> Case {
        self.code = EDM_AUTHENTICATION;
        self.detail = detail;
        self
    }

    fn reason(mut self, reason: &'static str) -> Case {
        self.reason = Some(reason);
        self
    }

    fn plain(mut self, status: u16, detail: &'static str) -> Case {
        self.status = status;
        self.detail = detail;
        self
    }
}

/// What the provider answered.
#[derive(Debug)]
struct Answer {
    status: u16,
    response: Option<Response>,
    raw: String,
    took: Duration,
}

/// Sends a case as the member whose files are in `client_dir`.
async fn send(fed: &TestFederation, client_dir: &Path, case: &Case) -> Result<Answer, String> {
    match &case.transport {
        Transport::Client { content_type } => {
            post(fed, client_dir, content_type.as_deref(), case.body.clone()).await
        }
        Transport::Raw { half_close } => raw(fed, client_dir, &case.body, *half_close)
            .await
            .and_then(|(took, bytes)| {
                let (status, content_type, body) = http_response(&bytes)?;
                Ok(answer(status, &content_type, &body, took))
            }),
    }
}

/// Posts a body to the provider's peer endpoint as the member whose files are in `client_dir`
/// (like `post_raw` in `exchange.rs`, but reporting transport errors instead of panicking).
async fn post(
    fed: &TestFederation,
    client_dir: &Path,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Result<Answer, String> {
    let started = Instant::now();
    let client = member_client(client_dir).map_err(|e| format!("client: {e}"))?;
    let mut builder = client.post(format!("{}/v1/exchange", fed.node(0).peer_url()));
    if let Some(content_type) = content_type {
        builder = builder.header("content-type", content_type);
    }
    let sent = builder.body(body).send();
    let response = tokio::time::timeout(ANSWER_WITHIN, sent)
        .await
        .map_err(|_| format!("no answer within {ANSWER_WITHIN:?}"))?
        .map_err(|e| format!("transport error: {e:?}"))?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = tokio::time::timeout(ANSWER_WITHIN, response.bytes())
        .await
        .map_err(|_| format!("no complete body within {ANSWER_WITHIN:?}"))?
        .map_err(|e| format!("reading the body: {e:?}"))?;
    Ok(answer(status, &content_type, &bytes, started.elapsed()))
}

/// Writes raw HTTP bytes on a fresh mutual-TLS connection to the peer endpoint and reads until
/// the provider closes it; returns how long that took and what was read.
async fn raw(
    fed: &TestFederation,
    client_dir: &Path,
    request: &[u8],
    half_close: bool,
) -> Result<(Duration, Vec<u8>), String> {
    let config = tls_client(
        &fed.ca_pem_path(),
        Some((
            &client_dir.join(node_files::TLS_CERT),
            &client_dir.join(node_files::TLS_KEY),
        )),
    )
    .map_err(|e| format!("client: {e}"))?;
    let started = Instant::now();
    let tcp = tokio::net::TcpStream::connect(fed.node(0).peer_addr())
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
    let mut tls = TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    let exchange = async {
        tls.write_all(request)
            .await
            .map_err(|e| format!("write: {e}"))?;
        if half_close {
            tls.shutdown().await.map_err(|e| format!("shutdown: {e}"))?;
        }
        let mut response = Vec::new();
        tls.read_to_end(&mut response)
            .await
            .map_err(|e| format!("read: {e}"))?;
        Ok::<_, String>(response)
    };
    let response = tokio::time::timeout(ANSWER_WITHIN, exchange)
        .await
        .map_err(|_| format!("no answer within {ANSWER_WITHIN:?}"))??;
    Ok((started.elapsed(), response))
}

/// Status, `Content-Type` and body of a raw HTTP/1.1 response (`Content-Length` or chunked).
fn http_response(bytes: &[u8]) -> Result<(u16, String, Vec<u8>), String> {
    let text = String::from_utf8_lossy(bytes);
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no HTTP response: {text:?}"))?;
    let head = String::from_utf8_lossy(&bytes[..split]);
    let mut body = &bytes[split + 4..];
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status line: {head:?}"))?;
    let header = |name: &str| {
        head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    };
    let content_type = header("content-type").unwrap_or_default();
    if header("transfer-encoding").is_none_or(|t| !t.eq_ignore_ascii_case("chunked")) {
        return Ok((status, content_type, body.to_vec()));
    }
    let mut decoded = Vec::new();
    loop {
        let line_end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("a chunk size line does not end")?;
        let size_text = String::from_utf8_lossy(&body[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|e| format!("chunk size {size_text:?}: {e}"))?;
        if size == 0 {
            return Ok((status, content_type, decoded));
        }
        let chunk = body
            .get(line_end + 2..line_end + 2 + size)
            .ok_or("a chunk is cut off")?;
        decoded.extend_from_slice(chunk);
        body = body
            .get(line_end + 4 + size..)
            .ok_or("a chunk is cut off")?;
    }
}

/// The answer, read as an ebRS message if it is one.
fn answer(status: u16, content_type: &str, bytes: &[u8], took: Duration) -> Answer {
    let response = multipart::parse(content_type, bytes, &Default::default())
        .ok()
        .and_then(|m| Response::from_xml(m.root().body, &Default::default()).ok());
    Answer {
        status,
        response,
        raw: String::from_utf8_lossy(&bytes[..bytes.len().min(2000)]).into_owned(),
        took,
    }
}

/// A valid request about Jürgen, from the requester to the provider.
fn juergen() -> EvidenceRequest {
    juergen_request(REQUESTER, PROVIDER)
}

/// `xml` with the one occurrence of `from` replaced by `to`; panics if `from` does not occur
/// exactly once, so that an edit can never silently do nothing.
fn replace_once(xml: &str, from: &str, to: &str) -> String {
    assert_eq!(
        xml.matches(from).count(),
        1,
        "{from:?} must occur once in the document"
    );
    xml.replacen(from, to, 1)
}

/// The byte range of the root-level `rim:Slot` with this name (slots of requests hold no
/// nested slots, so the first `</rim:Slot>` after its start tag ends it).
fn slot_range(xml: &str, name: &str) -> std::ops::Range<usize> {
    let open = format!(r#"<rim:Slot name="{name}">"#);
    let start = xml.find(&open).unwrap_or_else(|| panic!("no slot {name}"));
    let end = start
        + xml[start..]
            .find("</rim:Slot>")
            .unwrap_or_else(|| panic!("slot {name} does not end"))
        + "</rim:Slot>".len();
    start..end
}

/// `xml` with `inserted` placed just before the end tag of the root element.
fn before_root_end(xml: &str, inserted: &str) -> String {
    replace_once(
        xml,
        "</query:QueryRequest>",
        &format!("{inserted}</query:QueryRequest>"),
    )
}

/// A `multipart/related` body with the message as root part and these attachments.
fn multipart_body(message: &[u8], attachments: &[Part<'_>]) -> (String, Vec<u8>) {
    multipart::build(&uuid::Uuid::new_v4().into_bytes(), message, attachments).expect("multipart")
}

/// Credentials for the requester's member id, issued by a CA the federation does not know.
fn foreign_credentials(dir: &Path) -> PathBuf {
    let mut ca = Ca::init(&dir.join("foreign-ca"), "Foreign Federation", 30).expect("foreign CA");
    let member: MemberId = REQUESTER.parse().expect("member");
    let out = dir.join("foreign-requester");
    ca.issue_node(&member, &["localhost".into()], Validity::days_from_now(5))
        .expect("issue")
        .write_to(&out, ca.cert_pem())
        .expect("write");
    out
}
