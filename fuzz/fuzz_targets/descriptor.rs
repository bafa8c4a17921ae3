//! The register descriptor as the map reads it (the map's limits) and the discovery answer as a
//! node reads it (the exchange limits). What reads is written and read again and must be equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use once_xml::descriptor::NodeDescriptor;
use once_xml::discovery::DiscoveryResponse;
use once_xml::tree;

fuzz_target!(|data: &[u8]| {
    let limits = once_fuzz::descriptor_limits();
    if let Ok(root) = tree::parse(data, &limits)
        && let Ok(descriptor) = NodeDescriptor::from_element(&root)
    {
        let xml = descriptor
            .try_to_xml()
            .unwrap_or_else(|e| panic!("a descriptor that reads cannot be written: {e}"));
        let again = NodeDescriptor::from_xml(xml.as_bytes(), &limits)
            .unwrap_or_else(|e| panic!("a written descriptor does not read: {e:?}\n{xml}"));
        assert_eq!(
            again, descriptor,
            "the descriptor changed on a round trip\n{xml}"
        );
    }
    let limits = once_fuzz::exchange_limits();
    if let Ok(root) = tree::parse(data, &limits)
        && let Ok(answer) = DiscoveryResponse::from_element(&root)
    {
        let xml = answer
            .try_to_xml()
            .unwrap_or_else(|e| panic!("a discovery answer that reads cannot be written: {e}"));
        let again = DiscoveryResponse::from_xml(xml.as_bytes(), &limits)
            .unwrap_or_else(|e| panic!("a written discovery answer does not read: {e:?}\n{xml}"));
        assert_eq!(
            again, answer,
            "the discovery answer changed on a round trip\n{xml}"
        );
    }
});
