//! Unit tests of the detached profile's building blocks; the whole round trip, xmlsec1 as the
//! referee and the refusals are in `tests/dsig_detached.rs`.

use super::*;

#[test]
fn part_uris_are_cid_urls_as_multipart_writes_them() {
    for (uri, id) in [
        ("cid:message@once", "message@once"),
        ("CID:evidence-1@once", "evidence-1@once"),
        ("cid:a%20b@once", "a b@once"),
    ] {
        assert_eq!(part_content_id(uri).as_deref(), Ok(id), "{uri}");
    }
    assert_eq!(
        part_content_id(&multipart::cid_url("évidence 1&2@once")).as_deref(),
        Ok("évidence 1&2@once")
    );
    for uri in [
        "",
        "cid:",
        "cid",
        "#x",
        "http://example.org/p",
        "file:///etc/passwd",
        "message@once",
        "cid:a b",
        "cid:a%zz",
        "cid:a%ff",
        "cid:a\"b",
        "cid:é",
    ] {
        assert_eq!(
            part_content_id(uri),
            Err(DsigError::DetachedUri(Some(uri.to_owned()))),
            "{uri:?}"
        );
    }
}

#[test]
fn the_signed_info_written_is_canonical_and_escapes_its_uris() {
    let references = [
        Reference {
            uri: "cid:a&b@once".into(),
            digest: [7; 32],
            object: false,
        },
        Reference {
            uri: format!("#{OBJECT_ID}"),
            digest: [9; 32],
            object: true,
        },
    ];
    let standalone = write_signed_info(&references, true).expect("written");
    assert!(
        standalone.contains(r#"URI="cid:a&amp;b@once""#),
        "{standalone}"
    );
    let canonical = c14n::element(&standalone, 0).expect("c14n");
    let in_document = format!(
        r#"<ds:Signature xmlns:ds="{DSIG_NS}" xmlns:x="urn:x">{}</ds:Signature>"#,
        write_signed_info(&references, false).expect("written")
    );
    let at = in_document.find("<ds:SignedInfo").expect("signed info");
    assert_eq!(c14n::element(&in_document, at).expect("c14n"), canonical);
}
