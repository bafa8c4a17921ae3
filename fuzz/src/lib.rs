//! What the fuzz targets share: the limits the node and the map apply to what they read, so that
//! the targets exercise the parsers as they run in production.
//!
//! The values mirror the defaults of `node/src/config.rs` (`[exchange] max_message_bytes = 4 MiB`,
//! `max_depth = 32`) as `node/src/service/exchange.rs` turns them into limits, and the map's
//! descriptor limits in `node/src/map/server.rs`. once-node is not a dependency of these targets
//! (it is heavy); if those defaults change, change them here.
#![forbid(unsafe_code)]

use once_xml::Limits;
use once_xml::multipart::MultipartLimits;

/// `exchange.max_message_bytes`, default.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// The XML limits of a node's exchange (`Exchange::new`): requests, responses, evidence
/// documents, discovery answers.
pub fn exchange_limits() -> Limits {
    Limits {
        max_bytes: MAX_MESSAGE_BYTES,
        max_depth: 32,
        ..Limits::default()
    }
}

/// The multipart limits of a node's exchange (`Exchange::new`).
pub fn multipart_limits() -> MultipartLimits {
    MultipartLimits {
        max_body_bytes: MAX_MESSAGE_BYTES,
        max_part_bytes: MAX_MESSAGE_BYTES,
        ..MultipartLimits::default()
    }
}

/// The map's limits for incoming register descriptors (`RunningMap::start`).
pub fn descriptor_limits() -> Limits {
    Limits {
        // once_registry_map::api::MAX_DESCRIPTOR_BYTES
        max_bytes: 16 * 1024 * 1024,
        max_elements: 1_000_000,
        ..Limits::default()
    }
}

/// The fuzz access point's key and certificate (`keys/`): a throwaway RSA-2048 pair, public on
/// purpose, that the `as4` target opens messages with and the seeds (`examples/seeds.rs`) are
/// signed and encrypted with, so that mutations of a seed reach decryption and decompression.
pub fn as4_credentials() -> &'static once_as4::Credentials {
    use once_as4::OwnKeys;
    as4_keyring()
        .for_suite(once_as4::Suite::Edelivery115)
        .expect("the keyring holds the RSA pair")
}

/// The fuzz access point's EC P-256 key and certificate (`keys/as4-ec-*.pem`), public on purpose
/// like the RSA pair: the eDelivery AS4 2.0 EC profile's seed is signed and encrypted with them.
pub fn as4_ec_credentials() -> &'static once_as4::Credentials {
    use once_as4::OwnKeys;
    as4_keyring()
        .for_suite(once_as4::Suite::Edelivery20Ec)
        .expect("the keyring holds the EC pair")
}

/// Both fuzz key pairs, one per suite: what the `as4` target opens messages with.
pub fn as4_keyring() -> &'static once_as4::Keyring {
    static KEYRING: std::sync::OnceLock<once_as4::Keyring> = std::sync::OnceLock::new();
    KEYRING.get_or_init(|| {
        let read = |key: &str, cert: &str| {
            once_as4::Credentials::from_pem(key, cert).expect("a fuzz key pair")
        };
        once_as4::Keyring::new(vec![
            read(
                include_str!("../keys/as4-key.pem"),
                include_str!("../keys/as4-cert.pem"),
            ),
            read(
                include_str!("../keys/as4-ec-key.pem"),
                include_str!("../keys/as4-ec-cert.pem"),
            ),
        ])
        .expect("one key pair per suite")
    })
}
