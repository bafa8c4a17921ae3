//! Exclusive canonicalisation as the signature check runs it, on documents the tree reader
//! accepts within the exchange limits: the whole document, the document less one element
//! (the enveloped-signature transform), and one element in its namespace context (SignedInfo).
//! The first byte chooses the element. Canonical XML is a fixed point: canonicalising the
//! output again gives the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use once_xml::{c14n, tree};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, xml)) = data.split_first() else {
        return;
    };
    if tree::parse(xml, &once_fuzz::exchange_limits()).is_err() {
        return;
    }
    // tree::parse accepted it as UTF-8.
    let Ok(text) = std::str::from_utf8(xml) else {
        return;
    };
    idempotent(c14n::document(text, None), "document");
    let starts: Vec<usize> = text.match_indices('<').map(|(i, _)| i).collect();
    if starts.is_empty() {
        return;
    }
    let at = starts[usize::from(selector) % starts.len()];
    idempotent(c14n::document(text, Some(at)), "document less an element");
    idempotent(c14n::element(text, at), "element");
});

fn idempotent(once: Result<Vec<u8>, c14n::C14nError>, what: &str) {
    let Ok(once) = once else {
        return;
    };
    let once_text = std::str::from_utf8(&once)
        .unwrap_or_else(|e| panic!("{what}: the canonical form is not UTF-8: {e}"));
    let twice = c14n::document(once_text, None).unwrap_or_else(|e| {
        panic!("{what}: the canonical form does not canonicalise: {e}\n{once_text}")
    });
    assert_eq!(
        String::from_utf8_lossy(&twice),
        once_text,
        "{what}: canonicalising twice changed the bytes"
    );
}
