use super::*;
use crate::EdmError;

const SEED: &[u8; 16] = b"0123456789abcdef";

fn evidence() -> Vec<Part<'static>> {
    vec![
        Part {
            content_id: "evidence-1@once",
            content_type: "application/xml",
            body: b"<ResidenceCertificate/>",
        },
        Part {
            content_id: "evidence 2",
            content_type: "application/pdf",
            body: b"%PDF-1.7\r\n--not a boundary\r\n\x00\xff",
        },
    ]
}

#[test]
fn round_trip() {
    let parts = [evidence()[0]];
    let (content_type, body) = build(SEED, b"<query:QueryResponse/>", &parts).expect("build");
    assert!(content_type.starts_with("multipart/related; boundary=\"once-3031"));
    assert!(content_type.ends_with("type=\"application/xml\"; start=\"<message@once>\""));
    let parsed = parse(&content_type, &body, &MultipartLimits::default()).expect("parse");
    assert_eq!(parsed.root().body, b"<query:QueryResponse/>");
    assert_eq!(parsed.root().content_id, MESSAGE_CONTENT_ID);
    assert_eq!(parsed.attachments().copied().collect::<Vec<_>>(), parts);
    assert_eq!(parsed.get("cid:evidence-1@once"), Some(&parts[0]));
    assert_eq!(parsed.get("cid:evidence%2D1%40once"), Some(&parts[0]));
    assert_eq!(parsed.get("evidence-1@once"), Some(&parts[0]));
    assert_eq!(parsed.get("<evidence-1@once>"), Some(&parts[0]));
    assert_eq!(parsed.get("cid:other@once"), None);
    assert_eq!(parsed.get("cid:%zz"), None);
    assert_eq!(cid_url("evidence-1@once"), "cid:evidence-1@once");
    assert_eq!(cid_url("a b%c/ä"), "cid:a%20b%25c%2F%C3%A4");
    assert_eq!(parsed.get(&cid_url(parts[0].content_id)), Some(&parts[0]));
}

#[test]
fn binary_parts_and_bare_lf_and_preamble_are_read() {
    let (content_type, body) = build(
        SEED,
        b"",
        &[Part {
            content_id: "bin@once",
            content_type: "application/pdf",
            body: b"%PDF\r\n\x00\xff\r\n",
        }],
    )
    .expect("build");
    let parsed = parse(&content_type, &body, &MultipartLimits::default()).expect("parse");
    assert_eq!(parsed.root().body, b"");
    assert_eq!(
        parsed.get("cid:bin@once").map(|p| p.body),
        Some(&b"%PDF\r\n\x00\xff\r\n"[..])
    );

    let lf = b"preamble\n--b\nContent-Type: text/plain\nContent-ID: <a>\n\nA\n--b\ncontent-type: application/xml\ncontent-id: <z>\n\nZ\n--b--\nepilogue";
    let parsed = parse(
        "Multipart/Related; boundary=b; start=\"<z>\"",
        lf,
        &MultipartLimits::default(),
    )
    .expect("bare LF");
    assert_eq!(parsed.root().body, b"Z");
    assert_eq!(parsed.get("a").map(|p| p.body), Some(&b"A"[..]));
}

#[test]
fn the_boundary_changes_when_a_part_contains_it() {
    let (content_type, _) = build(SEED, b"x", &[]).expect("build");
    let boundary = content_type
        .split('"')
        .nth(1)
        .expect("quoted boundary")
        .to_owned();
    assert!(boundary.len() >= 32 && boundary.len() <= 70, "{boundary}");
    let hostile = format!("--{boundary}\r\n");
    let (content_type, body) = build(SEED, hostile.as_bytes(), &[]).expect("build");
    assert!(!content_type.contains(&format!("\"{boundary}\"")));
    let parsed = parse(&content_type, &body, &MultipartLimits::default()).expect("parse");
    assert_eq!(parsed.root().body, hostile.as_bytes());
}

#[test]
fn building_refuses_what_cannot_be_written() {
    assert_eq!(
        build(b"short", b"", &[]),
        Err(MultipartError::BoundarySeedTooShort { len: 5 })
    );
    let bad_id = Part {
        content_id: "a\r\nX-Injected: 1",
        content_type: "text/plain",
        body: b"",
    };
    assert!(matches!(
        build(SEED, b"", &[bad_id]),
        Err(MultipartError::InvalidHeaderValue {
            what: "Content-ID",
            ..
        })
    ));
    let bad_type = Part {
        content_id: "a",
        content_type: "text/plain\r\nX: y",
        body: b"",
    };
    assert!(matches!(
        build(SEED, b"", &[bad_type]),
        Err(MultipartError::InvalidHeaderValue {
            what: "Content-Type",
            ..
        })
    ));
    let twice = [evidence()[0], evidence()[0]];
    assert!(matches!(
        build(SEED, b"", &twice),
        Err(MultipartError::DuplicateContentId { .. })
    ));
    let root_id = Part {
        content_id: MESSAGE_CONTENT_ID,
        ..evidence()[0]
    };
    assert!(matches!(
        build(SEED, b"", &[root_id]),
        Err(MultipartError::DuplicateContentId { .. })
    ));
}

fn body(parts: &[&str]) -> Vec<u8> {
    let mut body = String::new();
    for part in parts {
        body.push_str("--b\r\n");
        body.push_str(part);
        body.push_str("\r\n");
    }
    body.push_str("--b--\r\n");
    body.into_bytes()
}

const ROOT: &str = "Content-Type: application/xml\r\nContent-ID: <m>\r\n\r\n<x/>";
const CT: &str = "multipart/related; boundary=\"b\"; type=\"application/xml\"";

/// A malformed body: name, Content-Type, body, the error expected.
type Case = (&'static str, String, Vec<u8>, fn(&MultipartError) -> bool);

#[test]
fn every_malformed_case_has_its_error() {
    use MultipartError as E;
    let limits = MultipartLimits {
        max_body_bytes: 4096,
        max_parts: 3,
        max_part_bytes: 64,
        max_headers: 4,
        max_header_bytes: 200,
    };
    let ok = body(&[ROOT]);
    let cases: Vec<Case> = vec![
        (
            "another media type",
            "multipart/mixed; boundary=b".into(),
            ok.clone(),
            |e| matches!(e, E::NotMultipartRelated { .. }),
        ),
        (
            "no boundary",
            "multipart/related; type=\"application/xml\"".into(),
            ok.clone(),
            |e| *e == E::MissingBoundary,
        ),
        (
            "unterminated quote",
            "multipart/related; boundary=\"b".into(),
            ok.clone(),
            |e| matches!(e, E::MalformedContentType { .. }),
        ),
        (
            "parameter twice",
            "multipart/related; boundary=b; boundary=c".into(),
            ok.clone(),
            |e| matches!(e, E::MalformedContentType { .. }),
        ),
        (
            "parameter without value",
            "multipart/related; boundary".into(),
            ok.clone(),
            |e| matches!(e, E::MalformedContentType { .. }),
        ),
        (
            "boundary too long",
            format!("multipart/related; boundary={}", "b".repeat(71)),
            ok.clone(),
            |e| matches!(e, E::InvalidBoundary { .. }),
        ),
        (
            "boundary with a bad character",
            "multipart/related; boundary=\"b\\\"c\"".into(),
            ok.clone(),
            |e| matches!(e, E::InvalidBoundary { .. }),
        ),
        (
            "empty boundary",
            "multipart/related; boundary=\"\"".into(),
            ok.clone(),
            |e| matches!(e, E::InvalidBoundary { .. }),
        ),
        ("body too large", CT.into(), vec![b'x'; 5000], |e| {
            matches!(e, E::BodyTooLarge { size: 5000, .. })
        }),
        ("no opening delimiter", CT.into(), b"hello".to_vec(), |e| {
            *e == E::NoOpeningDelimiter
        }),
        (
            "no closing delimiter",
            CT.into(),
            ok[..ok.len() - 9].to_vec(),
            |e| *e == E::NoClosingDelimiter,
        ),
        ("ends after a delimiter", CT.into(), b"--b".to_vec(), |e| {
            *e == E::NoClosingDelimiter
        }),
        ("no parts", CT.into(), b"--b--\r\n".to_vec(), |e| {
            *e == E::NoParts
        }),
        (
            "junk after a delimiter",
            CT.into(),
            b"--bc\r\nContent-Type: a/b\r\nContent-ID: <m>\r\n\r\nx\r\n--b--".to_vec(),
            |e| *e == E::MalformedDelimiter { part: 1 },
        ),
        (
            "boundary inside a part",
            CT.into(),
            body(&["Content-Type: application/xml\r\nContent-ID: <m>\r\n\r\n<x>--b</x>"]),
            |e| *e == E::BoundaryInPart { part: 1 },
        ),
        (
            "boundary inside a header",
            CT.into(),
            body(&["Content-Type: application/xml; x=--b\r\nContent-ID: <m>\r\n\r\n<x/>"]),
            |e| *e == E::BoundaryInPart { part: 1 },
        ),
        (
            "too many parts",
            CT.into(),
            body(&[
                ROOT,
                "Content-Type: a/b\r\nContent-ID: <2>\r\n\r\n",
                "Content-Type: a/b\r\nContent-ID: <3>\r\n\r\n",
                "Content-Type: a/b\r\nContent-ID: <4>\r\n\r\n",
            ]),
            |e| *e == E::TooManyParts { limit: 3 },
        ),
        (
            "part too large",
            CT.into(),
            body(&[&format!(
                "Content-Type: a/b\r\nContent-ID: <m>\r\n\r\n{}",
                "x".repeat(65)
            )]),
            |e| {
                matches!(
                    e,
                    E::PartTooLarge {
                        part: 1,
                        size: 65,
                        limit: 64
                    }
                )
            },
        ),
        (
            "too many headers",
            CT.into(),
            body(&[
                "Content-Type: application/xml\r\nContent-ID: <m>\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
            ]),
            |e| *e == E::TooManyHeaders { part: 1, limit: 4 },
        ),
        (
            "headers too large",
            CT.into(),
            body(&[&format!(
                "Content-Type: application/xml\r\nContent-ID: <m>\r\nX: {}\r\n\r\n",
                "y".repeat(200)
            )]),
            |e| {
                *e == E::HeadersTooLarge {
                    part: 1,
                    limit: 200,
                }
            },
        ),
        (
            "no empty line after the headers",
            CT.into(),
            body(&["Content-Type: application/xml\r\nContent-ID: <m>"]),
            |e| matches!(e, E::MalformedHeader { part: 1, .. }),
        ),
        (
            "folded header",
            CT.into(),
            body(&[
                "Content-Type: application/xml\r\n  ; charset=UTF-8\r\nContent-ID: <m>\r\n\r\n",
            ]),
            |e| matches!(e, E::MalformedHeader { part: 1, .. }),
        ),
        (
            "header without colon",
            CT.into(),
            body(&["Content-Type application/xml\r\nContent-ID: <m>\r\n\r\n"]),
            |e| matches!(e, E::MalformedHeader { part: 1, .. }),
        ),
        (
            "non-ASCII header",
            CT.into(),
            body(&["Content-Type: application/xml\r\nContent-ID: <m\u{e4}>\r\n\r\n"]),
            |e| matches!(e, E::MalformedHeader { part: 1, .. }),
        ),
        (
            "header twice",
            CT.into(),
            body(&["Content-Type: application/xml\r\nContent-ID: <m>\r\ncontent-id: <n>\r\n\r\n"]),
            |e| {
                *e == E::DuplicateHeader {
                    part: 1,
                    name: "Content-ID",
                }
            },
        ),
        (
            "no content type",
            CT.into(),
            body(&["Content-ID: <m>\r\n\r\n<x/>"]),
            |e| *e == E::MissingContentType { part: 1 },
        ),
        (
            "no content id",
            CT.into(),
            body(&["Content-Type: application/xml\r\n\r\n<x/>"]),
            |e| *e == E::MissingContentId { part: 1 },
        ),
        ("no headers at all", CT.into(), body(&["\r\n<x/>"]), |e| {
            *e == E::MissingContentType { part: 1 }
        }),
        (
            "content id without brackets",
            CT.into(),
            body(&["Content-Type: application/xml\r\nContent-ID: m\r\n\r\n"]),
            |e| matches!(e, E::InvalidContentId { part: 1, .. }),
        ),
        (
            "empty content id",
            CT.into(),
            body(&["Content-Type: application/xml\r\nContent-ID: <>\r\n\r\n"]),
            |e| matches!(e, E::InvalidContentId { part: 1, .. }),
        ),
        (
            "base64",
            CT.into(),
            body(&[
                "Content-Type: application/xml\r\nContent-ID: <m>\r\nContent-Transfer-Encoding: base64\r\n\r\nPHgvPg==",
            ]),
            |e| matches!(e, E::UnsupportedTransferEncoding { part: 1, .. }),
        ),
        (
            "duplicate content id",
            CT.into(),
            body(&[ROOT, "Content-Type: a/b\r\nContent-ID: <m>\r\n\r\n"]),
            |e| matches!(e, E::DuplicateContentId { .. }),
        ),
        (
            "unknown start",
            format!("{CT}; start=\"<nope>\""),
            ok.clone(),
            |e| matches!(e, E::UnknownStart { .. }),
        ),
        (
            "root of another type",
            CT.into(),
            body(&["Content-Type: text/plain\r\nContent-ID: <m>\r\n\r\nx"]),
            |e| matches!(e, E::RootTypeMismatch { .. }),
        ),
    ];
    for (name, content_type, input, expected) in cases {
        let error = parse(&content_type, &input, &limits).expect_err(name);
        assert!(expected(&error), "{name}: {error:?}");
        assert!(
            EdmError::from(error)
                .detail
                .starts_with("multipart/related: ")
        );
    }
    let fine = parse(CT, &ok, &limits).expect("the valid body still parses");
    assert_eq!(fine.root().body, b"<x/>");
    assert_eq!(fine.parts().len(), 1);
}
