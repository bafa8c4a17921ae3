//! Checking a provider's answer before anything of it is believed: the TLS server is the
//! provider asked (and, when the register map named it, presented the certificate it
//! published), the answer is signed by that provider, answers this request, binds it by digest,
//! and its evidence part is the one the signed response names, itself signed by the provider.

use once_pki::{MemberId, PeerIdentity};
use once_runtime::signed::SignedMessages;
use once_xml::dsig::Placement;
use once_xml::evidence::{EvidenceDocument, EvidenceKind};
use once_xml::request::EvidenceRequest;
use once_xml::response::{ErrorResponse, EvidenceResponse, Response, Severity};
use rustls_pki_types::CertificateDer;

use super::{ProviderRefusal, RequestError, RequestOutcome};
use crate::config::ProviderConfig;
use crate::exchange::dialect::Dialect;
use crate::exchange::outcome::Reason;
use crate::exchange::sha256;
use crate::exchange::transport::{OpenError, Opened, Received, Transport};

/// What was sent, to check the answer against.
#[derive(Debug, Clone, Copy)]
pub struct Sent<'a> {
    /// What this node calls things in each profile.
    pub dialect: &'a Dialect,
    /// The provider asked.
    pub provider: &'a ProviderConfig,
    /// This node.
    pub requester: &'a MemberId,
    /// The request.
    pub request: &'a EvidenceRequest,
    /// The request document, as sent.
    pub request_document: &'a [u8],
    /// The evidence type asked for.
    pub kind: EvidenceKind,
}

/// The outcome an answer stands for: evidence, a preview, or the provider's refusal.
pub fn check_answer(
    signed: &SignedMessages,
    transport: &dyn Transport,
    sent: Sent<'_>,
    received: &Received,
) -> Result<RequestOutcome, RequestError> {
    let provider = &sent.provider.member;
    if transport.federation_pki() {
        check_peer(sent.provider, received.peer_certificate.as_deref())?;
    }
    let opened = transport
        .open(received.content_type.as_deref(), &received.body)
        .map_err(|e| match e {
            OpenError::Malformed(detail) => malformed(sent, detail),
            other => untrusted(sent, other.to_string()),
        })?;
    if &opened.signer != provider {
        return Err(untrusted(
            sent,
            format!(
                "the answer is signed by {}, not by {provider}",
                opened.signer
            ),
        ));
    }
    if opened.properties.in_reply_to != Some(sha256(sent.request_document)) {
        return Err(untrusted(
            sent,
            "the answer is not bound to the request sent (its envelope names another request)"
                .into(),
        ));
    }
    if opened.properties.receiver != sent.requester.as_str() {
        return Err(untrusted(
            sent,
            format!(
                "the answer is addressed to {:?}, not to this node",
                opened.properties.receiver
            ),
        ));
    }
    let response = Response::from_xml(&opened.document, signed.limits())
        .map_err(|e| malformed(sent, e.detail))?;
    if response.request_id() != sent.request.id {
        return Err(untrusted(
            sent,
            format!(
                "the answer is for request {}, not {}",
                response.request_id(),
                sent.request.id
            ),
        ));
    }
    match response {
        Response::Error(error) => refusal(sent, error),
        Response::Evidence(response) => {
            evidence(signed, transport.federation_pki(), sent, &opened, &response)
        }
    }
}

/// The TLS server is the provider we meant (the CA vouches for the certificate; the member id
/// must be the one we asked), with the certificate it published to the register map, where
/// discovery named one.
fn check_peer(
    provider: &ProviderConfig,
    peer_certificate: Option<&[u8]>,
) -> Result<(), RequestError> {
    let untrusted = |detail: String| RequestError::BadSignature {
        provider: provider.member.to_string(),
        detail,
    };
    let tls_member = peer_certificate
        .and_then(|der| PeerIdentity::from_certificate(&CertificateDer::from(der)).ok())
        .map(|identity| identity.member_id);
    if tls_member.as_ref() != Some(&provider.member) {
        return Err(untrusted(format!(
            "the TLS server is {}, not {}",
            tls_member.map_or_else(|| "unknown".to_owned(), |m| m.to_string()),
            provider.member
        )));
    }
    if let (Some(pinned), Some(der)) = (&provider.tls_fingerprint, peer_certificate)
        && once_pki::sha256_hex(der) != *pinned
    {
        return Err(untrusted(
            "the TLS certificate is not the one the provider published to the register map".into(),
        ));
    }
    Ok(())
}

/// A signed error answer: a preview to ask the person for, or the provider's refusal.
fn refusal(sent: Sent<'_>, error: ErrorResponse) -> Result<RequestOutcome, RequestError> {
    if sent.dialect.member_of(&error.provider).as_ref() != Some(&sent.provider.member) {
        return Err(untrusted(sent, "the error names another provider".into()));
    }
    let e = error.exception;
    match (e.severity, e.preview_location) {
        (Severity::PreviewRequired, Some(location)) => Ok(RequestOutcome::PreviewRequired {
            request_id: sent.request.id.clone(),
            provider: sent.provider.member.to_string(),
            preview_location: location,
            code: e.code.code().to_owned(),
            message: "the person must see and approve the evidence at preview_location; then send the request again with preview_location".into(),
        }),
        _ => Err(RequestError::Refused(Box::new(ProviderRefusal {
            request_id: sent.request.id.clone(),
            provider: sent.provider.member.to_string(),
            code: e.code,
            reason: e.reason.as_deref().map(Reason::parse),
            message: if e.detail.is_empty() { e.message } else { e.detail },
        }))),
    }
}

/// A signed evidence answer: bound to the request, one item of the type asked for, whose part
/// matches the digest the response signs and is itself signed by the provider.
fn evidence(
    signed: &SignedMessages,
    federation_pki: bool,
    sent: Sent<'_>,
    opened: &Opened<'_>,
    response: &EvidenceResponse,
) -> Result<RequestOutcome, RequestError> {
    let provider = &sent.provider.member;
    let kind = sent.kind;
    if sent.dialect.member_of(&response.provider).as_ref() != Some(provider) {
        return Err(untrusted(
            sent,
            "the response names another provider".into(),
        ));
    }
    let [item] = response.evidence.as_slice() else {
        return Err(malformed(
            sent,
            format!(
                "{} evidence items where one was asked for",
                response.evidence.len()
            ),
        ));
    };
    if sent.dialect.kind_of(&item.classification) != Some(kind) {
        return Err(malformed(
            sent,
            format!(
                "the evidence is a {}, not the {} asked for",
                item.classification,
                kind.classification()
            ),
        ));
    }
    let part = opened
        .attachment(&item.repository_item_ref)
        .ok_or_else(|| malformed(sent, format!("no part {}", item.repository_item_ref)))?;
    // In the federation the evidence carries the provider's own signature; from a partner
    // outside it (AS4), the message signature by its configured certificate covers the part.
    let evidence_tree = if federation_pki {
        signed
            .verify(&part.body, Placement::LastChild, provider)
            .map_err(|e| untrusted(sent, format!("evidence document: {e}")))?
    } else {
        once_xml::tree::parse(&part.body, signed.limits())
            .map_err(|e| malformed(sent, format!("evidence document: {e}")))?
    };
    let document = EvidenceDocument::from_element(&evidence_tree)
        .map_err(|e| malformed(sent, format!("evidence document: {}", e.detail)))?;
    if document.kind() != kind {
        return Err(malformed(
            sent,
            "the evidence document is of another type".into(),
        ));
    }
    Ok(RequestOutcome::Evidence {
        request_id: sent.request.id.clone(),
        provider: provider.to_string(),
        evidence_type: kind.classification().to_owned(),
        evidence: document
            .fields()
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect(),
        evidence_xml: String::from_utf8_lossy(&part.body).into_owned(),
    })
}

fn untrusted(sent: Sent<'_>, detail: String) -> RequestError {
    RequestError::BadSignature {
        provider: sent.provider.member.to_string(),
        detail,
    }
}

fn malformed(sent: Sent<'_>, detail: String) -> RequestError {
    RequestError::Malformed {
        provider: sent.provider.member.to_string(),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use once_pki::MemberId;
    use once_runtime::metrics::Metrics;
    use once_xml::EdmCode;

    use super::*;
    use crate::exchange::Identity;
    use crate::exchange::metrics::ExchangeMetrics;
    use crate::exchange::outcome::Reason;
    use crate::exchange::provider::{PeerAnswer, Provider, ProviderParts};
    use crate::exchange::requester::{EvidenceQuery, SubjectInput};
    use crate::exchange::testkit::{Codec, Kit, Member, RESIDENCE, RESIDENTS_CSV};
    use crate::exchange::transport::{Outgoing, Transport};

    const REQUESTER: &str = "DE-HB:KOMMUNE:04011001";
    const PROVIDER: &str = "DE-HB:KOMMUNE:04011000";
    const OTHER: &str = "DE-NI:KOMMUNE:03241001";

    /// A provider with the population register, a requester allowed to ask it (for
    /// Elterngeld), and a third member.
    struct World {
        _kit: Kit,
        requester: Member,
        provider: Member,
        other: Member,
        node: Provider,
    }

    async fn world() -> World {
        let mut kit = Kit::new();
        kit.register("melderegister", RESIDENCE, RESIDENTS_CSV)
            .await;
        kit.rule(REQUESTER, RESIDENCE, "Elterngeld", "§ 9 BEEG")
            .await;
        let requester = kit.member(REQUESTER);
        let mut provider = kit.member(PROVIDER);
        let other = kit.member(OTHER);
        let node = Provider::new(ProviderParts {
            identity: Identity {
                member: PROVIDER.parse().expect("member"),
                name: "Bremen".into(),
            },
            dialect: crate::exchange::testkit::dialect(PROVIDER, "Bremen"),
            signed: provider.signed.clone(),
            logbook: kit.logbook(&mut provider).await,
            pool: kit.pool.clone(),
            issue_window_seconds: 300,
            preview: None,
            metrics: ExchangeMetrics::new(Arc::new(Metrics::node())),
        });
        World {
            _kit: kit,
            requester,
            provider,
            other,
            node,
        }
    }

    fn query(procedure: &str) -> EvidenceQuery {
        EvidenceQuery {
            evidence_type: RESIDENCE.into(),
            subject: SubjectInput {
                tax_id: Some("65929970489".into()),
                family_name: "Müller-Lüdenscheidt".into(),
                given_name: "Jürgen".into(),
                date_of_birth: "1985-03-07".into(),
                eidas_id: None,
                level_of_assurance: None,
            },
            procedure: procedure.into(),
            legal_basis: "§ 9 BEEG".into(),
            jurisdiction: None,
            preview: false,
            preview_location: None,
            provider: None,
            transport: None,
            trace: None,
        }
    }

    /// What the requester sent and what the provider answered.
    struct Exchanged {
        provider: ProviderConfig,
        request: EvidenceRequest,
        request_document: Vec<u8>,
        received: Received,
    }

    impl Exchanged {
        fn check(&self, world: &World) -> Result<RequestOutcome, RequestError> {
            let requester: MemberId = REQUESTER.parse().expect("member");
            let dialect = crate::exchange::testkit::dialect(REQUESTER, "Elterngeldstelle");
            let sent = Sent {
                dialect: &dialect,
                provider: &self.provider,
                requester: &requester,
                request: &self.request,
                request_document: &self.request_document,
                kind: EvidenceKind::from_classification(RESIDENCE).expect("kind"),
            };
            let codec = Codec(world.requester.signed.clone());
            check_answer(&world.requester.signed, &codec, sent, &self.received)
        }
    }

    async fn exchange(world: &World, procedure: &str) -> Exchanged {
        let provider: MemberId = PROVIDER.parse().expect("member");
        let requester = Identity {
            member: REQUESTER.parse().expect("member"),
            name: "Elterngeldstelle".into(),
        };
        let dialect = crate::exchange::testkit::dialect(REQUESTER, "Elterngeldstelle");
        let request = query(procedure)
            .check()
            .expect("query")
            .to_request(&dialect, once_xml::Profile::De, &provider, None)
            .expect("request");
        let request_document = request
            .try_to_xml_as(once_xml::Profile::De)
            .expect("xml")
            .into_bytes();
        let sealed = Codec(world.requester.signed.clone())
            .seal(&Outgoing {
                document: &request_document,
                attachments: &[],
                sender: &requester.member,
                receiver: &provider,
                in_reply_to: None,
            })
            .expect("sealed");
        let answer = world
            .node
            .answer(
                &Codec(world.provider.signed.clone()),
                &requester.member,
                Some(&sealed.content_type),
                &sealed.body,
            )
            .await;
        let PeerAnswer::Sealed { sealed, .. } = answer else {
            panic!("no signed answer: {answer:?}");
        };
        Exchanged {
            provider: ProviderConfig {
                member: provider,
                name: None,
                url: "https://provider.invalid".into(),
                evidence_types: vec![RESIDENCE.into()],
                jurisdictions: Vec::new(),
                tls_fingerprint: None,
                profile: None,
            },
            request,
            request_document,
            received: Received {
                content_type: Some(sealed.content_type),
                body: sealed.body,
                peer_certificate: Some(world.provider.tls_certificate.clone()),
            },
        }
    }

    fn untrusted_because(result: Result<RequestOutcome, RequestError>, says: &str) {
        match result {
            Err(RequestError::BadSignature { detail, .. }) => {
                assert!(detail.contains(says), "{detail}")
            }
            other => panic!("expected an untrusted answer ({says}), got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_signed_bound_answer_yields_the_evidence() {
        let world = world().await;
        let exchanged = exchange(&world, "Elterngeld").await;
        match exchanged.check(&world).expect("evidence") {
            RequestOutcome::Evidence { evidence, .. } => {
                assert_eq!(evidence["person.given_names"], "Jürgen")
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_signed_refusal_is_the_providers_refusal_with_its_reason() {
        let world = world().await;
        let exchanged = exchange(&world, "Wohngeld").await;
        match exchanged.check(&world) {
            Err(RequestError::Refused(refusal)) => {
                assert_eq!(refusal.code, EdmCode::Authorization);
                assert_eq!(refusal.reason, Some(Reason::NoAccessRule));
                assert_eq!(refusal.request_id, exchanged.request.id);
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn the_tls_server_must_be_the_provider_asked_with_the_published_certificate() {
        let world = world().await;
        let mut exchanged = exchange(&world, "Elterngeld").await;
        exchanged.received.peer_certificate = Some(world.other.tls_certificate.clone());
        untrusted_because(
            exchanged.check(&world),
            "the TLS server is DE-NI:KOMMUNE:03241001",
        );
        exchanged.received.peer_certificate = None;
        untrusted_because(exchanged.check(&world), "the TLS server is unknown");
        exchanged.received.peer_certificate = Some(world.provider.tls_certificate.clone());
        exchanged.provider.tls_fingerprint = Some("00".repeat(32));
        untrusted_because(
            exchanged.check(&world),
            "not the one the provider published",
        );
    }

    #[tokio::test]
    async fn an_answer_signed_by_another_member_or_for_another_request_is_untrusted() {
        let world = world().await;
        let mut exchanged = exchange(&world, "Elterngeld").await;
        // The other member's connection, the provider's signature.
        exchanged.provider.member = OTHER.parse().expect("member");
        exchanged.received.peer_certificate = Some(world.other.tls_certificate.clone());
        untrusted_because(
            exchanged.check(&world),
            "signed by DE-HB:KOMMUNE:04011000, not",
        );

        let mut exchanged = exchange(&world, "Elterngeld").await;
        exchanged.request.id = uuid::Uuid::new_v4().to_string();
        untrusted_because(exchanged.check(&world), "the answer is for request");

        let mut exchanged = exchange(&world, "Elterngeld").await;
        exchanged.request_document.push(b' ');
        untrusted_because(exchanged.check(&world), "not bound to the request sent");
    }

    #[tokio::test]
    async fn a_changed_evidence_part_is_untrusted_and_a_broken_envelope_malformed() {
        let world = world().await;
        let mut exchanged = exchange(&world, "Elterngeld").await;
        let body = &mut exchanged.received.body;
        let at = body
            .windows(5)
            .position(|w| w == b"28195")
            .expect("the postcode in the evidence part");
        body[at] = b'3';
        untrusted_because(exchanged.check(&world), "digest");

        let mut exchanged = exchange(&world, "Elterngeld").await;
        exchanged.received.content_type = Some("text/plain".into());
        match exchanged.check(&world) {
            Err(RequestError::Malformed { detail, .. }) => {
                assert!(detail.contains("multipart/related"), "{detail}")
            }
            other => panic!("{other:?}"),
        }
    }
}
