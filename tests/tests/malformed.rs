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

use once_pki::MemberId;
use once_pki::ca::{Ca, Validity, node_files};
use once_tests::client::tls_client;
use once_tests::exchange::{
    JUERGEN, PROVIDER, REQUESTER, RESIDENCE, juergen_request, member_client, member_signer,
    population_register,
};
use once_tests::{Backend, TestFederation};
use once_xml::dsig::{Placement, Signer};
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
    let message = signed(signer, &juergen().to_xml()).into_bytes();
    let (content_type, body) = if multipart {
        multipart_body(&message, &[])
    } else {
        (XML.to_owned(), message)
    };
    let answer = post(fed, dir, Some(&content_type), body)
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
    let valid = || juergen().to_xml();
    let valid_signed = || signed(signer, &valid());
    let mut cases = Vec::new();

    // --- Transport: the envelope is read before anything else.
    // A media type the endpoint does not accept.
    cases.push(
        Case::xml("content type text/plain", valid_signed())
            .content_type(Some("text/plain"))
            .invalid("text/plain is not accepted"),
    );
    // No Content-Type header at all.
    cases.push(
        Case::xml("no content type", valid_signed())
            .content_type(None)
            .invalid("no Content-Type"),
    );
    // multipart/related without its boundary parameter.
    let (_, body) = multipart_body(valid_signed().as_bytes(), &[]);
    cases.push(
        Case::xml("multipart without boundary", body)
            .content_type(Some(r#"multipart/related; type="application/xml""#))
            .invalid("no boundary parameter"),
    );
    // multipart/related with a boundary longer than RFC 2046 allows.
    let (_, body) = multipart_body(valid_signed().as_bytes(), &[]);
    let long_boundary = format!("multipart/related; boundary=\"{}\"", "b".repeat(71));
    cases.push(
        Case::xml("multipart with an invalid boundary", body)
            .content_type(Some(&long_boundary))
            .invalid("boundary"),
    );
    // multipart/related whose body stops before the closing delimiter.
    let (content_type, mut body) = multipart_body(valid_signed().as_bytes(), &[]);
    let closing = body
        .windows(4)
        .rposition(|w| w == b"\r\n--")
        .expect("closing delimiter");
    body.truncate(closing + 2);
    cases.push(
        Case::xml("multipart without closing delimiter", body)
            .content_type(Some(&content_type))
            .invalid("closing boundary delimiter"),
    );
    // A request with an attachment smuggled in beside the message.
    let (content_type, body) = multipart_body(
        valid_signed().as_bytes(),
        &[Part {
            content_id: "smuggled@evil",
            content_type: "application/xml",
            body: b"<payload/>",
        }],
    );
    cases.push(
        Case::xml("multipart with an attachment", body)
            .content_type(Some(&content_type))
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

    // --- The reader: not XML within the limits, refused before the signature is looked at.
    // An empty body.
    cases.push(Case::xml("empty body", Vec::new()).invalid("no root element"));
    // XXE: an external entity in a DOCTYPE.
    cases.push(
        Case::xml(
            "DOCTYPE with external entity (XXE)",
            r#"<?xml version="1.0"?><!DOCTYPE q [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><q>&xxe;</q>"#,
        )
        .invalid("DOCTYPE is not allowed"),
    );
    // Billion laughs: nested entity expansion.
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
    cases.push(Case::xml("billion laughs", laughs).invalid("DOCTYPE is not allowed"));
    // A reference to an entity that is never declared, inside a real request.
    let undeclared = replace_once(
        &valid(),
        "<sdg:FamilyName>Müller-Lüdenscheidt</sdg:FamilyName>",
        "<sdg:FamilyName>&evil;</sdg:FamilyName>",
    );
    cases.push(Case::xml("undeclared entity", undeclared).invalid("&evil;"));
    // Latin-1 bytes in a document that claims UTF-8.
    let latin1 = valid()
        .replace('ü', "\u{0}")
        .into_bytes()
        .into_iter()
        .map(|b| if b == 0 { 0xfc } else { b })
        .collect::<Vec<u8>>();
    cases.push(Case::xml("invalid UTF-8", latin1).invalid("not valid UTF-8"));
    // An encoding declaration other than UTF-8.
    let iso = replace_once(&valid(), r#"encoding="UTF-8""#, r#"encoding="ISO-8859-1""#);
    cases.push(Case::xml("ISO-8859-1 declaration", iso).invalid("ISO-8859-1"));
    // Elements nested deeper than the limit of 32.
    let deep = before_root_end(
        &valid(),
        &format!("{}{}", "<d>".repeat(40), "</d>".repeat(40)),
    );
    cases.push(Case::xml("nesting 41 deep", deep).invalid("deeper than 32 levels"));
    // More elements than the limit of 10 000.
    let many = before_root_end(&valid(), &"<e/>".repeat(10_001));
    cases.push(Case::xml("10 001 extra elements", many).invalid("more than 10000 elements"));
    // An attribute value longer than 4096 bytes.
    let long_attribute = before_root_end(&valid(), &format!(r#"<e a="{}"/>"#, "a".repeat(5000)));
    cases.push(Case::xml("oversized attribute", long_attribute).invalid("longer than 4096 bytes"));
    // A text longer than 64 KiB.
    let long_text = before_root_end(&valid(), &format!("<e>{}</e>", "t".repeat(70_000)));
    cases.push(Case::xml("oversized text", long_text).invalid("longer than 65536 bytes"));
    // An end tag that does not match its start tag.
    let mismatched = replace_once(
        &valid(),
        "Müller-Lüdenscheidt</sdg:FamilyName>",
        "Müller-Lüdenscheidt</sdg:GivenName>",
    );
    cases.push(Case::xml("mismatched end tag", mismatched).invalid("not well-formed"));
    // A signed document cut off in the middle of the subject.
    let whole = valid_signed();
    let cut = whole.find("</sdg:FamilyName>").expect("family name");
    cases.push(
        Case::xml("truncated document", &whole.as_bytes()[..cut]).invalid("ends inside an element"),
    );
    // A comment with "--" inside (not well-formed XML).
    let bad_comment = before_root_end(&valid(), "<!-- a -- b -->");
    cases.push(Case::xml("double hyphen in comment", bad_comment).invalid("not well-formed"));
    // An element with a namespace prefix that is never declared.
    let undeclared_prefix = replace_once(
        &valid(),
        "<sdg:FamilyName>Müller-Lüdenscheidt</sdg:FamilyName>",
        "<evil:FamilyName>Müller-Lüdenscheidt</evil:FamilyName>",
    );
    cases.push(
        Case::xml("undeclared namespace prefix", undeclared_prefix)
            .invalid("undeclared namespace prefix"),
    );
    // The same attribute twice on the root element.
    let req = juergen();
    let duplicate_attribute = replace_once(
        &req.to_xml(),
        &format!(r#"id="{}""#, req.id),
        &format!(r#"id="{}" id="other""#, req.id),
    );
    cases.push(Case::xml("duplicate attribute", duplicate_attribute).invalid("bad attribute"));
    // A correctly signed request with a second root element appended after it.
    cases.push(
        Case::xml(
            "content after the signed root",
            format!("{}<query:QueryRequest/>", valid_signed()),
        )
        .invalid("after the root element"),
    );

    // --- The signature: well-formed, but not signed as the requester → EDM:ERR:0001.
    // A valid request without any signature.
    cases.push(Case::xml("unsigned request", valid()).unauthenticated("not signed"));
    // Signed, then the subject changed.
    let tampered = replace_once(
        &valid_signed(),
        "<sdg:GivenName>Jürgen</sdg:GivenName>",
        "<sdg:GivenName>Anna</sdg:GivenName>",
    );
    cases.push(
        Case::xml("tampered subject", tampered).unauthenticated("signed content was changed"),
    );
    // Signed, then the SignatureValue changed.
    let xml = valid_signed();
    let at = xml.find("<ds:SignatureValue>").expect("value") + "<ds:SignatureValue>".len();
    let flipped = if xml.as_bytes()[at] == b'A' { "B" } else { "A" };
    let tampered_value = format!("{}{flipped}{}", &xml[..at], &xml[at + 1..]);
    cases.push(
        Case::xml("tampered SignatureValue", tampered_value)
            .unauthenticated("does not verify with the public key"),
    );
    // A second copy of the signature slot.
    let xml = valid_signed();
    let signature = slot_range(&xml, "Signature");
    let doubled = format!(
        "{}{}{}",
        &xml[..signature.end],
        &xml[signature.clone()],
        &xml[signature.end..]
    );
    cases.push(
        Case::xml("duplicated signature", doubled)
            .unauthenticated("2 ds:Signature elements; exactly one is allowed"),
    );
    // Signature wrapping: the signed request inside an unsigned wrapper element.
    let wrapped = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><w:Wrapper xmlns:w="urn:example:wrapper">{}</w:Wrapper>"#,
        without_declaration(&valid_signed())
    );
    cases.push(
        Case::xml("signed request in an unsigned wrapper", wrapped)
            .unauthenticated("signature wrapping"),
    );
    // The signature slot moved from the leading slots to the end of the request.
    let xml = valid_signed();
    let signature = slot_range(&xml, "Signature");
    let moved = before_root_end(
        &format!("{}{}", &xml[..signature.start], &xml[signature.end..]),
        &xml[signature],
    );
    cases.push(Case::xml("signature slot moved to the end", moved).unauthenticated("changed"));
    // The signature algorithm swapped for one outside the profile.
    let rsa = replace_once(
        &valid_signed(),
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    );
    cases.push(Case::xml("RSA signature method", rsa).unauthenticated("is not allowed"));
    // Signed with a key whose certificate (same member id) comes from a CA outside the federation.
    cases.push(
        Case::xml("signer from a foreign CA", signed(foreign, &valid()))
            .unauthenticated("not issued by the federation CA"),
    );
    // A root element with 20 000 distinct attributes (well-formed, unsigned): must stay cheap.
    let attributes: String = (0..20_000).map(|i| format!(" a{i}=\"v\"")).collect();
    let req = juergen();
    let crowded = replace_once(
        &req.to_xml(),
        &format!(r#"id="{}""#, req.id),
        &format!(r#"id="{}"{attributes}"#, req.id),
    );
    // Refused by the reader (at most 32 attributes on an element), before the signature.
    cases.push(Case::xml("20 000 attributes", crowded.clone()).invalid("more than 32 attributes"));
    // The same, signed: still refused, so an attacker cannot make the node spend time on it.
    cases.push(
        Case::xml("20 000 attributes, signed", signed(signer, &crowded))
            .invalid("more than 32 attributes"),
    );

    // --- The codec: malformed requests, then signed correctly → EDM:ERR:0003.
    let semantic = |name: &'static str, xml: String, detail: &'static str| {
        Case::xml(name, signed(signer, &xml)).invalid(detail)
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
        replace_once(&req.to_xml(), &format!(r#" id="{}""#, req.id), ""),
        "lacks its id attribute",
    ));
    // The mandatory Procedure slot removed.
    let xml = valid();
    let procedure = slot_range(&xml, "Procedure");
    cases.push(semantic(
        "Procedure slot missing",
        format!("{}{}", &xml[..procedure.start], &xml[procedure.end..]),
        "mandatory slot Procedure is missing",
    ));
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
        replace_once(&req.to_xml(), &issued, "yesterday"),
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
            juergen_request(REQUESTER, "DE-HB:KOMMUNE:04012000").to_xml(),
            "is not this node",
        )
        .reason(reason::PROVIDER_MISMATCH),
    );
    // A request that names another requester than the signer and TLS peer.
    let spoofed = juergen_request("DE-NI:KOMMUNE:03241001", PROVIDER);
    cases.push(
        Case::xml("wrong EvidenceRequester", signed(signer, &spoofed.to_xml()))
            .unauthenticated("is not the member that sent the request")
            .reason(reason::REQUESTER_MISMATCH),
    );
    // An IssueDateTime an hour in the future.
    let mut future = juergen();
    future.issue_date_time += time::Duration::hours(1);
    cases.push(
        semantic(
            "IssueDateTime in the future",
            future.to_xml(),
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

/// Signs XML text as ebRS messages are signed.
fn signed(signer: &Signer, xml: &str) -> String {
    signer.sign(xml, Placement::Slot).expect("sign")
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

/// The document without its XML declaration (to embed it in another).
fn without_declaration(xml: &str) -> &str {
    match xml.strip_prefix("<?xml") {
        Some(rest) => rest
            .split_once("?>")
            .map_or(xml, |(_, body)| body.trim_start()),
        None => xml,
    }
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
