//! What a requester reads from a provider: the response (evidence or error) and the evidence
//! documents, within the exchange limits. What reads is written and read again and must be
//! equal; an evidence document's fields are listed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use once_xml::Profile;
use once_xml::evidence::EvidenceDocument;
use once_xml::response::Response;
use once_xml::tree;

fuzz_target!(|data: &[u8]| {
    let limits = once_fuzz::exchange_limits();
    let Ok(root) = tree::parse(data, &limits) else {
        return;
    };
    if let Ok(response) = Response::from_element(&root) {
        let _ = response.request_id();
        // The national profile writes all that the reader keeps (OOTS leaves the deviations out).
        let xml = response
            .try_to_xml_as(Profile::De)
            .unwrap_or_else(|e| panic!("a response that reads cannot be written: {e}"));
        let again = Response::from_xml(xml.as_bytes(), &limits)
            .unwrap_or_else(|e| panic!("a written response does not read: {e:?}\n{xml}"));
        assert_eq!(
            again, response,
            "the response changed on a round trip\n{xml}"
        );
    }
    if let Ok(document) = EvidenceDocument::from_element(&root) {
        let fields = document.fields();
        assert_eq!(
            fields.first().map(|(k, v)| (k.as_str(), v.as_str())),
            Some(("evidence_type", document.kind().classification()))
        );
        let _ = document.evidence_id();
        let xml = document
            .try_to_xml()
            .unwrap_or_else(|e| panic!("an evidence document that reads cannot be written: {e}"));
        let again = EvidenceDocument::from_xml(xml.as_bytes(), &limits)
            .unwrap_or_else(|e| panic!("a written evidence document does not read: {e:?}\n{xml}"));
        assert_eq!(
            again, document,
            "the document changed on a round trip\n{xml}"
        );
    }
});
