//! The ebMS 3.0 error codes (ebMS Core §6.7) and the error a receiver reports with them.

use std::fmt;

/// An ebMS error code, with its short description, category and severity as ebMS Core §6.7
/// lists them, and the AS4 profile's `EBMS:03xx` additions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EbmsCode {
    /// EBMS:0001: an element content or attribute value is not recognised.
    ValueNotRecognized,
    /// EBMS:0002: the feature is not supported (e.g. bundled messages, other algorithms).
    FeatureNotSupported,
    /// EBMS:0003: values are inconsistent with each other or with the P-Mode.
    ValueInconsistent,
    /// EBMS:0004: another error.
    Other,
    /// EBMS:0007: the MIME message is inconsistent with the header (a part missing or extra).
    MimeInconsistency,
    /// EBMS:0009: the header is missing or not well-formed.
    InvalidHeader,
    /// EBMS:0010: the message does not match the processing mode agreed with the partner.
    ProcessingModeMismatch,
    /// EBMS:0101: the signature, the signer or a digest does not verify.
    FailedAuthentication,
    /// EBMS:0102: the payloads cannot be decrypted.
    FailedDecryption,
    /// EBMS:0103: the message does not comply with the security policy (unsigned, unencrypted,
    /// other algorithms).
    PolicyNoncompliance,
    /// EBMS:0202: the message could not be delivered to the application.
    DeliveryFailure,
    /// EBMS:0301: no receipt arrived.
    MissingReceipt,
    /// EBMS:0302: a receipt arrived but does not prove the delivery.
    InvalidReceipt,
    /// EBMS:0303: a payload cannot be decompressed.
    DecompressionFailure,
}

impl EbmsCode {
    /// Every code, for lookups.
    pub const ALL: [EbmsCode; 14] = [
        EbmsCode::ValueNotRecognized,
        EbmsCode::FeatureNotSupported,
        EbmsCode::ValueInconsistent,
        EbmsCode::Other,
        EbmsCode::MimeInconsistency,
        EbmsCode::InvalidHeader,
        EbmsCode::ProcessingModeMismatch,
        EbmsCode::FailedAuthentication,
        EbmsCode::FailedDecryption,
        EbmsCode::PolicyNoncompliance,
        EbmsCode::DeliveryFailure,
        EbmsCode::MissingReceipt,
        EbmsCode::InvalidReceipt,
        EbmsCode::DecompressionFailure,
    ];

    /// The code as written: `EBMS:0101`.
    pub fn code(self) -> &'static str {
        self.facts().0
    }

    /// The short description ebMS Core gives it.
    pub fn short_description(self) -> &'static str {
        self.facts().1
    }

    /// Its category: `Content`, `Communication`, `UnPackaging` or `Processing`.
    pub fn category(self) -> &'static str {
        self.facts().2
    }

    /// Its severity: `failure` or `warning`.
    pub fn severity(self) -> &'static str {
        match self {
            EbmsCode::MissingReceipt | EbmsCode::InvalidReceipt => "warning",
            _ => "failure",
        }
    }

    /// The code written as `EBMS:0101`, if it is one of these.
    pub fn parse(code: &str) -> Option<EbmsCode> {
        EbmsCode::ALL.into_iter().find(|c| c.code() == code)
    }

    fn facts(self) -> (&'static str, &'static str, &'static str) {
        match self {
            EbmsCode::ValueNotRecognized => ("EBMS:0001", "ValueNotRecognized", "Content"),
            EbmsCode::FeatureNotSupported => ("EBMS:0002", "FeatureNotSupported", "Content"),
            EbmsCode::ValueInconsistent => ("EBMS:0003", "ValueInconsistent", "Content"),
            EbmsCode::Other => ("EBMS:0004", "Other", "Content"),
            EbmsCode::MimeInconsistency => ("EBMS:0007", "MimeInconsistency", "UnPackaging"),
            EbmsCode::InvalidHeader => ("EBMS:0009", "InvalidHeader", "UnPackaging"),
            EbmsCode::ProcessingModeMismatch => {
                ("EBMS:0010", "ProcessingModeMismatch", "Processing")
            }
            EbmsCode::FailedAuthentication => ("EBMS:0101", "FailedAuthentication", "Processing"),
            EbmsCode::FailedDecryption => ("EBMS:0102", "FailedDecryption", "Processing"),
            EbmsCode::PolicyNoncompliance => ("EBMS:0103", "PolicyNoncompliance", "Processing"),
            EbmsCode::DeliveryFailure => ("EBMS:0202", "DeliveryFailure", "Communication"),
            EbmsCode::MissingReceipt => ("EBMS:0301", "MissingReceipt", "Communication"),
            EbmsCode::InvalidReceipt => ("EBMS:0302", "InvalidReceipt", "Communication"),
            EbmsCode::DecompressionFailure => ("EBMS:0303", "DecompressionFailure", "Content"),
        }
    }
}

impl fmt::Display for EbmsCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code(), self.short_description())
    }
}

/// Why a message was refused: its ebMS code and what exactly is wrong, and the ids of the
/// message in error when they could be read (so the error signal can refer to it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {detail}")]
pub struct EbmsError {
    /// The ebMS code.
    pub code: EbmsCode,
    /// What exactly is wrong, for the error signal's `eb:ErrorDetail` and the log.
    pub detail: String,
    /// The `eb:MessageId` of the message in error, if it could be read.
    pub ref_to_message_id: Option<String>,
}

impl EbmsError {
    /// An error with this code and detail.
    pub fn new(code: EbmsCode, detail: impl Into<String>) -> EbmsError {
        EbmsError {
            code,
            detail: detail.into(),
            ref_to_message_id: None,
        }
    }

    /// The same error, naming the message in error.
    pub fn about(mut self, message_id: Option<&str>) -> EbmsError {
        if self.ref_to_message_id.is_none() {
            self.ref_to_message_id = message_id.map(str::to_owned);
        }
        self
    }
}

/// Shorthands for the receiver's refusals.
pub(crate) fn header(detail: impl Into<String>) -> EbmsError {
    EbmsError::new(EbmsCode::InvalidHeader, detail)
}

pub(crate) fn authentication(detail: impl Into<String>) -> EbmsError {
    EbmsError::new(EbmsCode::FailedAuthentication, detail)
}

pub(crate) fn decryption(detail: impl Into<String>) -> EbmsError {
    EbmsError::new(EbmsCode::FailedDecryption, detail)
}

pub(crate) fn policy(detail: impl Into<String>) -> EbmsError {
    EbmsError::new(EbmsCode::PolicyNoncompliance, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_and_has_its_facts() {
        for code in EbmsCode::ALL {
            assert_eq!(EbmsCode::parse(code.code()), Some(code));
            assert!(code.code().starts_with("EBMS:0"));
            assert!(!code.short_description().is_empty());
        }
        assert_eq!(EbmsCode::parse("EBMS:9999"), None);
        assert_eq!(
            EbmsCode::FailedAuthentication.to_string(),
            "EBMS:0101 FailedAuthentication"
        );
    }
}
