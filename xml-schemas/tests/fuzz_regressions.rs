//! Inputs the fuzz targets (`fuzz/`, cargo-fuzz) found, minimised, with the behaviour they pin.
//! Each test names the target and says what was wrong.

use std::path::Path;

use once_xml::c14n::{self, C14nError};
use once_xml::multipart::{self, MultipartLimits};
use once_xml::request::{EvidenceRequest, Subject};
use once_xml::{EdmCode, Limits, Profile, tree};

/// `multipart`: a part whose `Content-ID` itself starts with `cid:`. A reference starting with
/// `cid:` is a `cid:` URL (RFC 2392), so the bare id does not find the part; in brackets or as its
/// URL it does. (The harness had assumed every bare id finds its part; the crate was right.)
#[test]
fn multipart_content_id_that_starts_with_cid() {
    let input: &[u8] = b"multipart/related; boundary=b\n--b\r\nContent-Type: a/b\r\nContent-ID: <cid:a>\r\n\r\n\r\n--b--";
    let newline = input.iter().position(|b| *b == b'\n').expect("newline");
    let content_type = std::str::from_utf8(&input[..newline]).expect("utf-8");
    let parsed = multipart::parse(
        content_type,
        &input[newline + 1..],
        &MultipartLimits::default(),
    )
    .expect("a valid body");
    let part = parsed.root();
    assert_eq!(part.content_id, "cid:a");
    assert_eq!(
        parsed.get("cid:a"),
        None,
        "cid:a is the URL of the id \"a\""
    );
    assert_eq!(parsed.get("<cid:a>"), Some(part));
    assert_eq!(parsed.get(&multipart::cid_url("cid:a")), Some(part));
}

/// `c14n` (input `\x00<e//>`): quick-xml reads `<e//>` as an empty element named `e/`. The tree
/// reader accepted it and the canonicalisation wrote `<e/></e/>`, which is not XML: a signature
/// over it would be computed over bytes no other verifier can read. Names are checked now.
#[test]
fn c14n_element_name_with_a_slash_is_refused() {
    for xml in ["<e//>", "<a><e//></a>", "<a><e/x/></a>"] {
        let error = tree::parse(xml.as_bytes(), &Limits::default())
            .map(|_| ())
            .expect_err(xml);
        assert_eq!(error.code, EdmCode::InvalidRequest);
        assert!(
            error.detail.contains("not an element name"),
            "{xml}: {}",
            error.detail
        );
        assert!(
            matches!(c14n::document(xml, None), Err(C14nError::Syntax { ref detail, .. }) if detail.contains("not an element name")),
            "{xml}"
        );
    }
    for xml in ["<a b/='1'/>", "<a><?x/y z?></a>"] {
        assert!(
            tree::parse(xml.as_bytes(), &Limits::default()).is_err(),
            "{xml}"
        );
        assert!(c14n::document(xml, None).is_err(), "{xml}");
    }
    // Names from the whole of XML 1.0 stay fine, with their canonical form a fixed point.
    let xml = "<ä:Ünïcode·x xmlns:ä='urn:a' _a-b.c='1'><?pi-target data?><b\u{300}/></ä:Ünïcode·x>";
    tree::parse(xml.as_bytes(), &Limits::default()).expect("valid names");
    let canonical = String::from_utf8(c14n::document(xml, None).expect("c14n")).expect("utf-8");
    assert_eq!(
        String::from_utf8(c14n::document(&canonical, None).expect("c14n")).expect("utf-8"),
        canonical
    );
}

/// `request` (round trip): a value with a carriage return from a character reference
/// (`a&#13;b`) was written as a literal carriage return, which a reader turns into a line feed:
/// the request read back was another one. Carriage returns in text are written as `&#13;` now.
#[test]
fn request_carriage_return_survives_a_round_trip() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/samples/birth_request.xml");
    let xml = std::fs::read_to_string(&sample).expect("sample");
    let xml = xml.replacen(
        "<sdg:FamilyName>Smith</sdg:FamilyName>",
        "<sdg:FamilyName>Smith&#13;Jones\r\nJr</sdg:FamilyName>",
        1,
    );
    let request = EvidenceRequest::from_xml(xml.as_bytes(), &Limits::default()).expect("read");
    let Subject::NaturalPerson(person) = &request.subject else {
        panic!("a natural person")
    };
    assert_eq!(person.family_name, "Smith\rJones\nJr");
    let written = request.to_xml_as(Profile::De);
    assert!(written.contains("Smith&#13;Jones\nJr"), "{written}");
    let again = EvidenceRequest::from_xml(written.as_bytes(), &Limits::default()).expect("again");
    assert_eq!(again, request);
}
