//! Member ids, the one parser of them (`once_pki::MemberId`): from text, from a certificate's
//! URI SAN, from JSON. What parses must come back unchanged: parse → to_string → parse gives the
//! same id, its parts joined are the text, the URI and JSON forms read back to the same id.
#![no_main]

use libfuzzer_sys::fuzz_target;
use once_pki::{MEMBER_URI_PREFIX, MemberId};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match MemberId::from_uri(text) {
        None => assert!(!text.starts_with(MEMBER_URI_PREFIX)),
        Some(from_uri) => {
            assert_eq!(
                from_uri,
                text[MEMBER_URI_PREFIX.len()..].parse::<MemberId>()
            );
        }
    }
    // As JSON (configuration, API bodies): a JSON string reads as its text parses.
    if let Ok(string) = serde_json::from_str::<String>(text) {
        assert_eq!(
            serde_json::from_str::<MemberId>(text).ok(),
            string.parse::<MemberId>().ok()
        );
    }
    let Ok(id) = text.parse::<MemberId>() else {
        return;
    };
    assert_eq!(id.to_string(), text);
    assert_eq!(id.as_str(), text);
    assert_eq!(id.to_string().parse::<MemberId>().as_ref(), Ok(&id));
    assert_eq!(
        format!("{}:{}:{}", id.instance(), id.class(), id.code()),
        text
    );
    assert!(!id.instance().is_empty() && !id.class().is_empty() && !id.code().is_empty());
    assert_eq!(MemberId::from_uri(&id.to_uri()), Some(Ok(id.clone())));
    let json = serde_json::to_string(&id).expect("a member id serialises");
    assert_eq!(
        serde_json::from_str::<MemberId>(&json).ok().as_ref(),
        Some(&id)
    );
});
