//! What the tests share: access points with fresh keys (once-as4's `testing` feature) and an
//! OOTS request header.

#![allow(dead_code)]

use once_as4::header::UserMessage;

pub use once_as4::testing::TestAccessPoint as AccessPoint;

/// An OOTS request header from `from` to `to`.
pub fn request_header(from: &str, to: &str) -> UserMessage {
    once_as4::testing::sample_header(from, to).to_user_message(
        once_as4::send::message_id(&format!("{from}.test")),
        time::OffsetDateTime::now_utc(),
    )
}
