//! The evidence request as a provider reads it: the tree within the exchange limits, the
//! request codec, and the XML signature check on the same bytes (no valid signature is expected;
//! it must refuse, never panic or hang). A request that reads is written and read again: the
//! codec must give back what it read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use once_xml::Profile;
use once_xml::dsig::{self, Placement};
use once_xml::request::EvidenceRequest;
use once_xml::tree;

fuzz_target!(|data: &[u8]| {
    let limits = once_fuzz::exchange_limits();
    if let Ok(root) = tree::parse(data, &limits)
        && let Ok(request) = EvidenceRequest::from_element(&root)
    {
        // The national profile writes all that the reader keeps (OOTS leaves the deviations out).
        let xml = request
            .try_to_xml_as(Profile::De)
            .unwrap_or_else(|e| panic!("a request that reads cannot be written: {e}"));
        let again = EvidenceRequest::from_xml(xml.as_bytes(), &limits)
            .unwrap_or_else(|e| panic!("a written request does not read: {e:?}\n{xml}"));
        assert_eq!(again, request, "the request changed on a round trip\n{xml}");
    }
    // Requests travel signed in a Slot; evidence and descriptors as the last child.
    let _ = dsig::verify(data, &limits, Placement::Slot);
    let _ = dsig::verify(data, &limits, Placement::LastChild);
});
