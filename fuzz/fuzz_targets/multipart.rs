//! `multipart/related` as a provider (request) and a requester (response) read it, within the
//! exchange limits. The input is the `Content-Type` header value up to the first newline and the
//! body after it, so both are fuzzed.
//!
//! What parses must hold together: every part is found by its content id, bare (unless it starts
//! with `cid:`), in brackets and as a `cid:` URL; and built again with [`multipart::build`], it
//! parses to the same parts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use once_xml::multipart::{self, MESSAGE_CONTENT_ID, Part};

fuzz_target!(|data: &[u8]| {
    let (content_type, body) = match data.iter().position(|b| *b == b'\n') {
        Some(newline) => (&data[..newline], &data[newline + 1..]),
        None => (data, &[][..]),
    };
    let content_type = String::from_utf8_lossy(content_type);
    let Ok(parsed) = multipart::parse(&content_type, body, &once_fuzz::multipart_limits()) else {
        return;
    };
    let root = *parsed.root();
    assert!(parsed.parts().contains(&root));
    assert_eq!(parsed.attachments().count() + 1, parsed.parts().len());
    for part in parsed.parts() {
        let id = part.content_id;
        // A reference that starts with `cid:` is a URL (see `Multipart::get`), so a content id
        // that itself starts with `cid:` is found in brackets or as a URL, not bare.
        if !id.get(..4).is_some_and(|s| s.eq_ignore_ascii_case("cid:")) {
            assert_eq!(parsed.get(id), Some(part), "bare content id {id:?}");
        }
        assert_eq!(parsed.get(&format!("<{id}>")), Some(part), "<{id}>");
        let url = multipart::cid_url(id);
        assert_eq!(parsed.get(&url), Some(part), "{url}");
    }

    let attachments: Vec<Part<'_>> = parsed.attachments().copied().collect();
    let Ok((content_type, rebuilt)) = multipart::build(&[0x5a; 24], root.body, &attachments) else {
        return;
    };
    let again = multipart::parse(
        &content_type,
        &rebuilt,
        &multipart::MultipartLimits::default(),
    )
    .unwrap_or_else(|e| panic!("a built body does not parse: {e}"));
    assert_eq!(again.root().content_id, MESSAGE_CONTENT_ID);
    assert_eq!(again.root().body, root.body);
    assert_eq!(
        again.attachments().copied().collect::<Vec<_>>(),
        attachments
    );
});
