//! The provider's first step: from the bytes that arrived to a request worth deciding on. The
//! envelope opens, the document is signed by the member on the other end of the TLS connection,
//! reads as a request, names that member as the requester and this node as the provider, was
//! issued within the window, and asks for an evidence type this node knows. Nothing of an
//! unauthenticated message is acted upon.

use once_pki::MemberId;
use once_xml::EdmCode;
use once_xml::evidence::EvidenceKind;
use once_xml::request::EvidenceRequest;
use time::OffsetDateTime;

use super::{Known, Provider, legal_basis, procedure};
use crate::exchange::outcome::{Reason, Refusal};
use crate::exchange::sha256;
use crate::exchange::transport::{OpenError, Opened};

/// A request that passed the envelope: what to decide on.
#[derive(Debug)]
pub(super) struct Accepted {
    /// The request.
    pub request: EvidenceRequest,
    /// Its evidence type.
    pub kind: EvidenceKind,
    /// When it was accepted.
    pub now: OffsetDateTime,
}

impl Provider {
    /// Checks a request from `peer` that the transport opened and authenticated (or could
    /// not), then the request itself. What is learnt of the request on the way goes into
    /// `known`, so that even a refusal names it.
    pub(super) fn accept(
        &self,
        opened: Result<Opened<'_>, OpenError>,
        peer: &MemberId,
        known: &mut Known,
    ) -> Result<Accepted, Refusal> {
        // The signature first: nothing of an unauthenticated message is acted upon.
        let opened = opened.map_err(|e| Refusal::new(e.edm_code(), e.to_string()))?;
        if &opened.signer != peer {
            return Err(Refusal::new(
                EdmCode::Authentication,
                format!(
                    "the message is signed by {}, but comes from {peer}",
                    opened.signer
                ),
            ));
        }
        if opened.properties.receiver != self.identity.member.as_str() {
            return Err(Refusal::because(
                EdmCode::InvalidRequest,
                Reason::ProviderMismatch,
                format!(
                    "the message is addressed to {:?}, not to this node ({})",
                    opened.properties.receiver, self.identity.member
                ),
            ));
        }
        if !opened.attachments.is_empty() {
            return Err(Refusal::new(
                EdmCode::InvalidRequest,
                "an evidence request carries no attachments",
            ));
        }
        known.request_digest = Some(sha256(&opened.document));
        let request = EvidenceRequest::from_xml(&opened.document, self.signed.limits())?;
        known.learn(&request);
        known.profile = Some((self.dialect.profile_of(&request), request.version));
        let now = OffsetDateTime::now_utc();
        let kind = self.check_request(&request, peer, now)?;
        Ok(Accepted { request, kind, now })
    }

    /// The checks of a readable request that need no database: requester, provider, window,
    /// evidence type.
    fn check_request(
        &self,
        request: &EvidenceRequest,
        peer: &MemberId,
        now: OffsetDateTime,
    ) -> Result<EvidenceKind, Refusal> {
        if self.dialect.member_of(&request.requester).as_ref() != Some(peer) {
            return Err(Refusal::because(
                EdmCode::Authentication,
                Reason::RequesterMismatch,
                format!(
                    "EvidenceRequester {:?} is not the member that sent the request ({peer})",
                    request.requester.identifier.value
                ),
            ));
        }
        if self.dialect.member_of(&request.provider).as_ref() != Some(&self.identity.member) {
            return Err(Refusal::because(
                EdmCode::InvalidRequest,
                Reason::ProviderMismatch,
                format!(
                    "EvidenceProvider {:?} is not this node ({})",
                    request.provider.identifier.value, self.identity.member
                ),
            ));
        }
        let skew = (now - request.issue_date_time).whole_seconds().abs();
        if skew > self.issue_window_seconds {
            return Err(Refusal::because(
                EdmCode::InvalidRequest,
                Reason::StaleIssueDateTime,
                format!(
                    "IssueDateTime {} is {skew} s from the provider's clock; at most {} s are accepted",
                    request.issue_date_time, self.issue_window_seconds
                ),
            ));
        }
        self.dialect
            .kind_of(&request.evidence_type.classification)
            .ok_or_else(|| {
                Refusal::new(
                    EdmCode::InvalidRequest,
                    format!(
                        "unknown evidence type {:?}",
                        request.evidence_type.classification
                    ),
                )
            })
    }
}

impl Known {
    /// What the log and the answer need of a readable request.
    fn learn(&mut self, request: &EvidenceRequest) {
        self.request_id = Some(request.id.clone());
        self.requester = Some(request.requester.clone());
        self.subject = Some(request.subject.clone());
        self.evidence_type = request.evidence_type.classification.clone();
        self.procedure = procedure(request);
        self.legal_basis = legal_basis(request);
    }
}
