//! The identifiers of the EDM messages, in the form the OOTS writes each: a UUID (RFC 4122) as
//! `urn:uuid:<UUID>` for the request id (`QueryRequest/@id`, echoed as `@requestId`) and the
//! registry objects of a response, and as the bare UUID for `EvidenceResponseIdentifier`, the
//! evidence's `sdg:Identifier` and the requested evidence type's `sdg:Identifier`
//! (R-EDM-REQ-S004, R-EDM-RESP-S004/S037, R-EDM-RESP-C003/C015, R-EDM-REQ-C026).
//!
//! Readers accept either form and keep the one OOTS writes, so an id compares equal whichever
//! form a peer used; writers write that form whatever the caller gave. An id that is no UUID is
//! kept and written as it is. A caller comparing ids of its own with ids read from messages
//! brings its own into the same form with [`urn_uuid`] or [`bare_uuid`].

use std::borrow::Cow;

use sha2::{Digest, Sha256};

/// The prefix of a UUID URN.
pub const URN_UUID: &str = "urn:uuid:";

/// Whether `text` is a UUID in its 36-character hex-and-hyphens form (either case).
pub fn is_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// `urn:uuid:<UUID>` for a UUID given bare or as URN (the prefix in any case); other text as it
/// is.
pub fn urn_uuid(id: &str) -> Cow<'_, str> {
    let bare = bare_uuid(id);
    if !is_uuid(bare) || id.starts_with(URN_UUID) {
        Cow::Borrowed(id)
    } else {
        Cow::Owned(format!("{URN_UUID}{bare}"))
    }
}

/// The bare UUID of a UUID given bare or as URN (the prefix in any case); other text as it is.
pub fn bare_uuid(id: &str) -> &str {
    match id.get(..URN_UUID.len()) {
        Some(prefix) if prefix.eq_ignore_ascii_case(URN_UUID) && is_uuid(&id[URN_UUID.len()..]) => {
            &id[URN_UUID.len()..]
        }
        _ => id,
    }
}

/// A UUID derived from `parts` (name-based, RFC 9562 version 8 with SHA-256), for the objects a
/// writer must name that the caller does not: the same parts always give the same UUID, other
/// parts another one.
pub(crate) fn derived_uuid(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    let mut bytes: [u8; 32] = hash.finalize().into();
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(36);
    for (i, byte) in bytes[..16].iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        text.push(char::from(HEX[usize::from(byte >> 4)]));
        text.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "4ffb5281-179d-4578-adf2-39fd13ccc797";

    #[test]
    fn uuids_in_either_form() {
        assert!(is_uuid(UUID) && is_uuid(&UUID.to_uppercase()));
        for not in [
            "4ffb5281179d4578adf239fd13ccc797",
            "4ffb5281-179d-4578-adf2-39fd13ccc79",
            "4ffb5281-179d-4578-adf2x39fd13ccc797",
            "4ffb5281-179d-4578-adf2-39fd13ccc79g",
        ] {
            assert!(!is_uuid(not), "{not}");
        }
        let urn = format!("urn:uuid:{UUID}");
        assert_eq!(urn_uuid(UUID), urn);
        assert!(matches!(urn_uuid(&urn), Cow::Borrowed(_)));
        assert_eq!(urn_uuid(&format!("URN:UUID:{UUID}")), urn);
        assert_eq!(bare_uuid(&urn), UUID);
        assert_eq!(bare_uuid(&format!("URN:uuid:{UUID}")), UUID);
        assert_eq!(bare_uuid(UUID), UUID);
        for other in ["unparsed-1", "urn:uuid:x", "", "DE-HB:LAND:x"] {
            assert_eq!(urn_uuid(other), other);
            assert_eq!(bare_uuid(other), other);
        }
    }

    #[test]
    fn derived_uuids_are_stable_distinct_and_well_formed() {
        let a = derived_uuid(&["package", UUID]);
        assert_eq!(a, derived_uuid(&["package", UUID]));
        assert!(is_uuid(&a), "{a}");
        assert_eq!(&a[14..15], "8", "version 8: {a}");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "variant: {a}");
        assert_ne!(a, derived_uuid(&["classification", UUID]));
        assert_ne!(derived_uuid(&["ab", "c"]), derived_uuid(&["a", "bc"]));
    }
}
