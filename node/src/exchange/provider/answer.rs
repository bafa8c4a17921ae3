//! The provider's last step: the signed ebRS answer (evidence response or error response),
//! sealed by the transport with the evidence beside it, and committed to the message log with
//! the request before a byte goes out.

use diesel::Connection;
use once_pki::MemberId;
use once_xml::Profile;
use once_xml::evidence::EvidenceKind;
use once_xml::ids;
use once_xml::request::{Agent, Distribution, EdmVersion, LegalPerson, Subject};
use once_xml::response::{ErrorResponse, EvidenceItem, EvidenceResponse, Response};
use once_xml::text::InvalidText;
use time::OffsetDateTime;

use super::{Known, Outcome, PeerAnswer, Provider, ProviderFault};
use crate::db::log::{Direction, Kind, OUTCOME_EVIDENCE};
use crate::db::{self, DbError, previews, replay};
use crate::exchange::logbook::{LogEntry, append_all_within};
use crate::exchange::transport::{Outgoing, Part, SealError, Transport};

/// The content id of the evidence part (lower-case letters and digits before the `@`, as the
/// EDM rules want a `cid:` reference).
const EVIDENCE_CONTENT_ID: &str = "evidence1@once";

/// An answer document before it is signed: its XML, the evidence beside it, its outcome, and the
/// approved preview it delivers.
struct Unsigned {
    xml: Result<String, InvalidText>,
    evidence: Option<Vec<u8>>,
    outcome: String,
    consumed_preview: Option<String>,
}

impl Provider {
    /// Builds, seals (signs) and logs the answer; the bytes go out only after the log entries
    /// are committed. `received` is the request as it arrived, logged as it was.
    pub(super) async fn finish(
        &self,
        transport: &dyn Transport,
        peer: &MemberId,
        known: &Known,
        received: &[u8],
        outcome: Outcome,
    ) -> PeerAnswer {
        let request_id = known
            .request_id
            .clone()
            .unwrap_or_else(|| format!("unparsed-{}", uuid::Uuid::new_v4()));
        let (profile, version) = self.profile_of(known);
        let unsigned = match outcome {
            Outcome::Evidence {
                document,
                kind,
                preview,
            } => Unsigned {
                xml: self.evidence_response(peer, known, &request_id, kind),
                evidence: Some(document),
                outcome: OUTCOME_EVIDENCE.to_owned(),
                consumed_preview: preview,
            },
            Outcome::Refused(refusal) => Unsigned {
                xml: Response::Error(ErrorResponse {
                    request_id: request_id.clone(),
                    response_id: uuid::Uuid::new_v4().to_string(),
                    version,
                    provider: self.dialect.me(profile),
                    requester: self.requester(known, peer, profile),
                    exception: refusal.exception(OffsetDateTime::now_utc()),
                })
                .try_to_xml_as(profile),
                evidence: None,
                outcome: refusal.code.code().to_owned(),
                consumed_preview: None,
            },
            Outcome::Fault(fault) => return PeerAnswer::Fault(fault),
        };
        // The answer holds only what the reader accepted and this node wrote: an unwritable
        // character here is a defect, not the peer's fault.
        let xml = match &unsigned.xml {
            Ok(xml) => xml,
            Err(e) => {
                tracing::error!(error = %e, "the answer is not writable as XML");
                return PeerAnswer::Fault(ProviderFault::Unsealed);
            }
        };
        let parts: Vec<Part<'_>> = unsigned
            .evidence
            .as_deref()
            .map(|document| Part {
                content_id: EVIDENCE_CONTENT_ID,
                content_type: "application/xml",
                body: document,
            })
            .into_iter()
            .collect();
        let outgoing = Outgoing {
            document: xml.as_bytes(),
            attachments: &parts,
            sender: &self.identity.member,
            receiver: peer,
            in_reply_to: known.request_digest,
        };
        let sealed = match transport.seal(&outgoing) {
            Ok(sealed) => sealed,
            Err(e) => {
                tracing::error!(error = %e, "sealing the answer failed");
                return PeerAnswer::Fault(match e {
                    SealError::Sign(_) => ProviderFault::Unsigned,
                    _ => ProviderFault::Unsealed,
                });
            }
        };
        if let Err(e) = self
            .log(peer, known, &request_id, received, &sealed.body, &unsigned)
            .await
        {
            tracing::error!(error = %e, "the exchange could not be logged; nothing is sent");
            return PeerAnswer::Fault(ProviderFault::Unlogged);
        }
        tracing::info!(
            evidence.request_id = %request_id,
            exchange.outcome = %unsigned.outcome,
            "evidence request answered"
        );
        PeerAnswer::Sealed {
            sealed,
            outcome: unsigned.outcome,
        }
    }

    /// The profile and version of the answer: the request's, or the node's default when the
    /// request could not be read.
    fn profile_of(&self, known: &Known) -> (Profile, EdmVersion) {
        known.profile.unwrap_or_else(|| {
            let profile = self.dialect.default_profile();
            (profile, self.dialect.version(profile))
        })
    }

    /// The requester as the request named it, or the peer.
    fn requester(&self, known: &Known, peer: &MemberId, profile: Profile) -> Agent {
        match &known.requester {
            // On an OOTS exchange the requester as this node knows it (its configured agent
            // identifier, the scheme as a URN even if the request wrote a bare EAS code), named
            // as it named itself.
            Some(asked) if profile == Profile::Oots => {
                let mut agent = self.dialect.peer(profile, peer, &asked.name.value);
                agent.name = asked.name.clone();
                agent
            }
            Some(asked) => asked.clone(),
            None => self.dialect.peer(profile, peer, peer.as_str()),
        }
    }

    /// The evidence response: one item of `kind` about the request's subject, its evidence in
    /// the part [`EVIDENCE_CONTENT_ID`]. The envelope's signature binds the response to the
    /// request and covers the evidence part.
    fn evidence_response(
        &self,
        peer: &MemberId,
        known: &Known,
        request_id: &str,
        kind: EvidenceKind,
    ) -> Result<String, InvalidText> {
        let (profile, version) = self.profile_of(known);
        let now = OffsetDateTime::now_utc();
        let named = self.dialect.evidence_type(profile, kind);
        let mut distribution = Distribution::new(kind.media_type());
        distribution.conforms_to = named.as_ref().and_then(|n| n.conforms_to.clone());
        let response = EvidenceResponse {
            request_id: request_id.to_owned(),
            response_id: uuid::Uuid::new_v4().to_string(),
            version,
            issue_date_time: now,
            requester: self.requester(known, peer, profile),
            provider: self.dialect.me(profile),
            evidence: vec![EvidenceItem {
                id: ids::urn_uuid(&uuid::Uuid::new_v4().to_string()).into_owned(),
                evidence_id: uuid::Uuid::new_v4().to_string(),
                // Evidence is only delivered after the request was read, subject included.
                subject: known.subject.clone().unwrap_or_else(|| {
                    Subject::LegalPerson(LegalPerson {
                        level_of_assurance: None,
                        legal_person_identifier: None,
                        identifier: None,
                        legal_name: String::new(),
                    })
                }),
                issuing_authority: self.dialect.me(profile),
                classification: named
                    .map_or_else(|| kind.classification().to_owned(), |n| n.classification),
                titles: kind.titles(),
                descriptions: Vec::new(),
                issuing_date: now.date(),
                distribution,
                repository_item_ref: format!("cid:{EVIDENCE_CONTENT_ID}"),
                repository_item_title: Some(kind.titles()[0].value.clone()),
            }],
        };
        Response::Evidence(response).try_to_xml_as(profile)
    }

    /// Commits the request and the answer to the message log in one transaction, with the
    /// request id (replay protection) and the delivered preview.
    async fn log(
        &self,
        peer: &MemberId,
        known: &Known,
        request_id: &str,
        message: &[u8],
        answer: &[u8],
        unsigned: &Unsigned,
    ) -> Result<(), DbError> {
        let entry = |direction, kind, outcome: &str, message: Vec<u8>| LogEntry {
            direction,
            kind,
            exchange_id: request_id.to_owned(),
            peer: peer.as_str().to_owned(),
            evidence_type: known.evidence_type.clone(),
            subject_digest: known.subject_digest.clone(),
            procedure: known.procedure.clone(),
            legal_basis: known.legal_basis.clone(),
            outcome: outcome.to_owned(),
            message,
        };
        let entries = [
            entry(Direction::In, Kind::Request, "received", message.to_vec()),
            entry(
                Direction::Out,
                Kind::Response,
                &unsigned.outcome,
                answer.to_vec(),
            ),
        ];
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let record_request = known
            .record_request
            .then(|| known.request_id.clone())
            .flatten();
        let consumed = unsigned.consumed_preview.clone();
        let requester = peer.as_str().to_owned();
        db::run(&self.pool, move |conn| {
            conn.transaction(|conn| {
                // The request id is recorded with the answer; the same id arriving twice at the
                // same moment is caught here (the first wins, the second is not answered).
                if let Some(id) = record_request.as_deref()
                    && !replay::first_seen(conn, id, &requester, now)?
                {
                    return Err(DbError::Conflict(
                        "the same request id arrived twice at the same time".into(),
                    ));
                }
                // A preview is used once, and only if the answer carrying its evidence is
                // logged.
                if let Some(preview) = &consumed
                    && !previews::consume(conn, preview, now)?
                {
                    return Err(DbError::Conflict(
                        "the preview was used by another request at the same time".into(),
                    ));
                }
                append_all_within(conn, &entries).map(|_| ())
            })
        })
        .await
    }
}
