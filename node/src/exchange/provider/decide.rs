//! The provider's decision, in one database session: the request id is new, this node keeps a
//! register for the evidence type, an access rule allows the requester, exactly one person
//! matches, and (with a preview) what the person decided.

use once_xml::EdmCode;
use once_xml::evidence::EvidenceKind;
use once_xml::request::{EvidenceRequest, NaturalPerson, Subject};
use time::OffsetDateTime;

use super::legal_basis;
use crate::db::previews::{self, PreviewState};
use crate::db::registers::{self, Record, Register};
use crate::db::{AnyConnection, DbError, replay, rules};
use crate::exchange::matching::{iso_date, match_key};
use crate::exchange::outcome::{Reason, Refusal};

/// The one answer for a person not found, whatever the reason (so that a requester cannot learn
/// whether an identification number is registered by trying dates of birth).
const NOT_FOUND: &str = "no person in the register matches the subject of the request";

/// What the decision is about.
#[derive(Debug)]
pub(super) struct DecideInput<'a> {
    /// The request, authenticated and checked.
    pub request: &'a EvidenceRequest,
    /// The requesting member.
    pub peer: &'a str,
    /// The evidence type.
    pub kind: EvidenceKind,
    /// The time of the decision.
    pub now: OffsetDateTime,
    /// `<preview.public_url>/preview/`, if this node offers previews.
    pub preview_prefix: Option<&'a str>,
}

/// The decision and what the log needs to know of it.
#[derive(Debug)]
pub(super) struct Decision {
    /// The keyed digest of the person (of the identification number, or of the record).
    pub subject_digest: String,
    /// What to answer.
    pub verdict: Verdict,
    /// The request id is new (not a replay): record it with the log entries.
    pub fresh: bool,
}

/// What to answer.
#[derive(Debug)]
pub(super) enum Verdict {
    /// Refuse.
    Refused(Refusal),
    /// Send the evidence built from this record.
    Deliver(Record),
    /// Send the evidence the person approved in a preview.
    DeliverStored {
        /// The preview, marked delivered with the log entries.
        preview: String,
        /// The signed evidence document.
        document: Vec<u8>,
    },
    /// Offer the person a preview of the evidence built from this record.
    NeedsPreview(Record),
}

/// Decides on a request. `digest` is the log's keyed digest of an identifier.
pub(super) fn decide(
    conn: &mut AnyConnection,
    input: &DecideInput<'_>,
    digest: &dyn Fn(&str) -> String,
) -> Result<Decision, DbError> {
    let request = input.request;
    let requested_digest = match &request.subject {
        Subject::NaturalPerson(person) => person
            .tax_id()
            .map(|id| digest(&id.to_string()))
            .unwrap_or_default(),
        Subject::LegalPerson(org) => digest(
            org.legal_person_identifier
                .as_deref()
                .or(org.identifier.as_ref().map(|i| i.value.as_str()))
                .unwrap_or(&org.legal_name),
        ),
    };
    let refused = |refusal: Refusal, fresh: bool| Decision {
        subject_digest: requested_digest.clone(),
        verdict: Verdict::Refused(refusal),
        fresh,
    };
    // Only a check here: the id is recorded when the answer is logged, in one transaction.
    if replay::seen(conn, &request.id, input.peer)? {
        return Ok(refused(
            Refusal::because(
                EdmCode::InvalidRequest,
                Reason::Replay,
                format!(
                    "request id {} was received before; every request needs a new id",
                    request.id
                ),
            ),
            false,
        ));
    }
    let registers = registers::for_evidence_type(conn, input.kind.classification())?;
    if let Some(refusal) = authorize(conn, input, &registers)? {
        return Ok(refused(refusal, true));
    }
    let person = match &request.subject {
        Subject::NaturalPerson(person) => person,
        Subject::LegalPerson(_) => {
            return Ok(refused(
                Refusal::new(
                    EdmCode::UnsupportedCapability,
                    format!(
                        "{} is about natural persons, not legal persons",
                        input.kind.classification()
                    ),
                ),
                true,
            ));
        }
    };
    let record = match find_person(conn, &registers, person)? {
        Ok(record) => record,
        Err(refusal) => return Ok(refused(refusal, true)),
    };
    // The person's digest: of the identification number, or for records without one of the
    // record itself, so a preview is always bound to exactly this person.
    let subject_digest = match record.tax_id.as_deref() {
        Some(tax_id) => digest(tax_id),
        None => digest(&format!(
            "record:{}/{}",
            record.register_id, record.record_key
        )),
    };
    let verdict = match (request.possibility_for_preview, &request.preview_location) {
        (false, _) => Verdict::Deliver(record),
        (true, None) => Verdict::NeedsPreview(record),
        (true, Some(location)) => resumed_preview(conn, input, location, &subject_digest)?
            .unwrap_or(Verdict::NeedsPreview(record)),
    };
    Ok(Decision {
        subject_digest,
        verdict,
        fresh: true,
    })
}

/// A refusal unless this node keeps a register for the evidence type and an access rule allows
/// the requester to receive it for the procedure on the legal basis.
fn authorize(
    conn: &mut AnyConnection,
    input: &DecideInput<'_>,
    registers: &[Register],
) -> Result<Option<Refusal>, DbError> {
    let classification = input.kind.classification();
    // The requester reads the evidence type as it asked for it (a Semantic Repository URI on
    // an OOTS exchange), not by this node's own name.
    let asked = input.request.evidence_type.classification.trim();
    if registers.is_empty() {
        return Ok(Some(Refusal::new(
            EdmCode::InvalidRequest,
            format!("this provider keeps no register for evidence type {asked}"),
        )));
    }
    let procedure = &super::procedure(input.request);
    let basis = legal_basis(input.request);
    if rules::find(conn, input.peer, classification, procedure, &basis)?.is_some() {
        return Ok(None);
    }
    tracing::warn!(
        exchange.requester = input.peer,
        "evidence.type" = classification,
        "no access rule"
    );
    Ok(Some(Refusal::because(
        EdmCode::Authorization,
        Reason::NoAccessRule,
        format!(
            "no access rule allows {} to receive {asked} for procedure {procedure:?} on legal basis {basis:?}",
            input.peer
        ),
    )))
}

/// Exactly one record of `registers` that matches the person: by identification
/// number (whose date of birth must agree too: never the wrong person), or else by names and
/// date of birth.
fn find_person(
    conn: &mut AnyConnection,
    registers: &[Register],
    person: &NaturalPerson,
) -> Result<Result<Record, Refusal>, DbError> {
    let tax_id = person.tax_id().map(|id| id.to_string());
    let mut found: Vec<Record> = Vec::new();
    for register in registers {
        match &tax_id {
            Some(tax_id) => found.extend(registers::by_tax_id(conn, &register.id, tax_id)?),
            None => {
                let key = match_key(
                    &person.family_name,
                    &person.given_name,
                    person.date_of_birth,
                );
                found.extend(registers::by_match_key(conn, &register.id, &key, 2)?);
            }
        }
    }
    let not_found =
        || Refusal::because(EdmCode::ObjectNotFound, Reason::SubjectNotFound, NOT_FOUND);
    Ok(match found.len() {
        0 => Err(not_found()),
        1 => {
            let record = found.remove(0);
            if tax_id.is_some() && record.date_of_birth != iso_date(person.date_of_birth) {
                Err(not_found())
            } else {
                Ok(record)
            }
        }
        _ => Err(Refusal::because(
            EdmCode::ObjectNotFound,
            Reason::AmbiguousSubject,
            if tax_id.is_some() {
                "the person is in more than one register of this provider for this evidence type; the provider must resolve this"
            } else {
                "more than one person matches name and date of birth; send the identification number (tax id) of the person"
            },
        )),
    })
}

/// A request sent again with its PreviewLocation: what the person decided. `None`: the preview
/// expired, start a new one.
fn resumed_preview(
    conn: &mut AnyConnection,
    input: &DecideInput<'_>,
    location: &str,
    subject_digest: &str,
) -> Result<Option<Verdict>, DbError> {
    let refused = |refusal| Ok(Some(Verdict::Refused(refusal)));
    let unknown = || {
        refused(Refusal::new(
            EdmCode::InvalidRequest,
            format!("PreviewLocation {location:?} is not a preview of this provider"),
        ))
    };
    let Some(id) = input
        .preview_prefix
        .and_then(|prefix| location.strip_prefix(prefix))
    else {
        return unknown();
    };
    let Some(preview) = previews::find(conn, id)? else {
        return unknown();
    };
    if preview.requester != input.peer
        || preview.evidence_type != input.kind.classification()
        || preview.subject_digest != subject_digest
    {
        return refused(Refusal::new(
            EdmCode::InvalidRequest,
            "the PreviewLocation belongs to another requester, evidence type or person",
        ));
    }
    let now = input.now.unix_timestamp();
    match preview.state()? {
        // Marked as delivered only in the transaction that logs the answer.
        PreviewState::Approved if preview.expires_at > now => Ok(Some(Verdict::DeliverStored {
            preview: preview.id,
            document: preview.evidence,
        })),
        PreviewState::Approved | PreviewState::Delivered => refused(Refusal::new(
            EdmCode::InvalidRequest,
            "this preview was used already or has expired; start a new request",
        )),
        PreviewState::Refused => refused(Refusal::because(
            EdmCode::Authorization,
            Reason::PreviewRefused,
            "the person refused to send this evidence in the preview",
        )),
        PreviewState::Pending | PreviewState::Verified if preview.expires_at > now => refused(
            Refusal::preview_required(location, Some(Reason::PreviewPending)),
        ),
        PreviewState::Pending | PreviewState::Verified => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::requester::{EvidenceQuery, SubjectInput};
    use crate::exchange::testkit::{Kit, RESIDENCE, RESIDENTS_CSV};
    use once_xml::request::{Identifier, LegalPerson};

    const REQUESTER: &str = "DE-HB:KOMMUNE:04011001";
    const PROVIDER: &str = "DE-HB:KOMMUNE:04011000";
    const PREFIX: &str = "https://preview.invalid/preview/";

    fn request(tax_id: Option<&str>, family: &str, given: &str, born: &str) -> EvidenceRequest {
        let query = EvidenceQuery {
            evidence_type: RESIDENCE.into(),
            subject: SubjectInput {
                tax_id: tax_id.map(ToOwned::to_owned),
                family_name: family.into(),
                given_name: given.into(),
                date_of_birth: born.into(),
                eidas_id: None,
                level_of_assurance: None,
            },
            procedure: "Elterngeld".into(),
            legal_basis: "§ 9 BEEG".into(),
            jurisdiction: None,
            preview: false,
            preview_location: None,
            provider: None,
            transport: None,
            trace: None,
        };
        let dialect = crate::exchange::testkit::dialect(REQUESTER, "Elterngeldstelle");
        query
            .check()
            .expect("query")
            .to_request(
                &dialect,
                once_xml::Profile::De,
                &PROVIDER.parse().expect("member"),
                None,
            )
            .expect("request")
    }

    fn juergen() -> EvidenceRequest {
        request(
            Some("65929970489"),
            "Müller-Lüdenscheidt",
            "Jürgen",
            "1985-03-07",
        )
    }

    /// A provider database with the population register and, if `rule`, an access rule for
    /// the requester.
    async fn kit(rule: bool) -> Kit {
        let kit = Kit::new();
        kit.register("melderegister", RESIDENCE, RESIDENTS_CSV)
            .await;
        if rule {
            kit.rule(REQUESTER, RESIDENCE, "Elterngeld", "§ 9 BEEG")
                .await;
        }
        kit
    }

    fn decided(kit: &Kit, request: &EvidenceRequest) -> Decision {
        let mut conn = kit.pool.get().expect("connection");
        let input = DecideInput {
            request,
            peer: REQUESTER,
            kind: EvidenceKind::from_classification(RESIDENCE).expect("kind"),
            now: OffsetDateTime::now_utc(),
            preview_prefix: Some(PREFIX),
        };
        decide(&mut conn, &input, &|id| format!("digest:{id}")).expect("decision")
    }

    fn refusal(decision: &Decision) -> (EdmCode, Option<Reason>) {
        match &decision.verdict {
            Verdict::Refused(r) => (r.code, r.reason.clone()),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn the_person_with_the_identification_number_is_delivered() {
        let kit = kit(true).await;
        let decision = decided(&kit, &juergen());
        match &decision.verdict {
            Verdict::Deliver(record) => assert_eq!(record.given_name, "Jürgen"),
            other => panic!("{other:?}"),
        }
        assert_eq!(decision.subject_digest, "digest:65929970489");
        assert!(decision.fresh);
        // Names and date of birth, spelt differently, find the same person.
        let by_name = decided(
            &kit,
            &request(None, "MUELLER LUEDENSCHEIDT", "juergen", "1985-03-07"),
        );
        assert!(
            matches!(by_name.verdict, Verdict::Deliver(_)),
            "{by_name:?}"
        );
    }

    #[tokio::test]
    async fn never_the_wrong_person_and_never_a_guess() {
        let kit = kit(true).await;
        // The identification number of one person with the date of birth of another.
        let mixed = request(Some("65929970489"), "Schmidt", "Anna", "1990-12-31");
        assert_eq!(
            refusal(&decided(&kit, &mixed)),
            (EdmCode::ObjectNotFound, Some(Reason::SubjectNotFound))
        );
        let nobody = request(None, "Nobody", "Nemo", "1970-01-01");
        assert_eq!(
            refusal(&decided(&kit, &nobody)),
            (EdmCode::ObjectNotFound, Some(Reason::SubjectNotFound))
        );
        let anna = request(None, "Schmidt", "Anna", "1990-12-31");
        assert_eq!(
            refusal(&decided(&kit, &anna)),
            (EdmCode::ObjectNotFound, Some(Reason::AmbiguousSubject))
        );
    }

    #[tokio::test]
    async fn no_rule_no_register_or_a_legal_person_is_refused_before_any_lookup() {
        let without_rule = kit(false).await;
        assert_eq!(
            refusal(&decided(&without_rule, &juergen())),
            (EdmCode::Authorization, Some(Reason::NoAccessRule))
        );
        let empty = Kit::new();
        let (code, reason) = refusal(&decided(&empty, &juergen()));
        assert_eq!((code, reason), (EdmCode::InvalidRequest, None));
        let kit = kit(true).await;
        let mut company = juergen();
        company.subject = Subject::LegalPerson(LegalPerson {
            level_of_assurance: None,
            legal_person_identifier: None,
            identifier: Some(Identifier {
                scheme: None,
                value: "HRB 1".into(),
            }),
            legal_name: "Firma".into(),
        });
        assert_eq!(
            refusal(&decided(&kit, &company)),
            (EdmCode::UnsupportedCapability, None)
        );
    }

    #[tokio::test]
    async fn a_request_id_seen_before_is_a_replay_and_not_recorded_again() {
        let kit = kit(true).await;
        let request = juergen();
        let mut conn = kit.pool.get().expect("connection");
        assert!(replay::first_seen(&mut conn, &request.id, REQUESTER, 0).expect("recorded"));
        drop(conn);
        let decision = decided(&kit, &request);
        assert_eq!(
            refusal(&decision),
            (EdmCode::InvalidRequest, Some(Reason::Replay))
        );
        assert!(!decision.fresh);
    }

    #[tokio::test]
    async fn a_preview_is_offered_and_a_foreign_preview_location_is_refused() {
        let kit = kit(true).await;
        let mut first = juergen();
        first.possibility_for_preview = true;
        assert!(matches!(
            decided(&kit, &first).verdict,
            Verdict::NeedsPreview(_)
        ));
        let mut elsewhere = first.clone();
        elsewhere.preview_location = Some("https://elsewhere.invalid/preview/x".into());
        assert_eq!(
            refusal(&decided(&kit, &elsewhere)),
            (EdmCode::InvalidRequest, None)
        );
        let mut unknown = first;
        unknown.preview_location = Some(format!("{PREFIX}unknown"));
        assert_eq!(
            refusal(&decided(&kit, &unknown)),
            (EdmCode::InvalidRequest, None)
        );
    }
}
