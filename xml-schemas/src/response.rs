//! The answer to an evidence request: `query:QueryResponse` of the OOTS Evidence Data Model, either
//! a success carrying evidence or a failure carrying one `rs:Exception`.
//!
//! Reading dispatches on `status`, finds slots by name (unknown slots and any slot named
//! `Signature` are ignored) and refuses a missing or invalid part with EDM:ERR:0003 and a detail
//! naming the rule. Writing produces XML that validates against `schemas/once-exchange.xsd`.
//!
//! Two slots are ours, not the Commission's: `RequestDigest` on the response binds it to the
//! request it answers (the SHA-256 of the request message as received), `EvidenceDigest` on each
//! evidence item binds the evidence part of the multipart message (the SHA-256 of its bytes), so
//! a signature over the response covers the evidence too. The Commission's samples carry neither,
//! so both read as `Option`; [`EvidenceResponse::check_binding`] insists on them.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime};

use crate::EdmError;
use crate::multipart::Multipart;
use crate::ns::{QUERY, RIM, RS, SDG};
use crate::request::{Agent, Distribution, LocalizedText, Subject};
use crate::slots::{
    DATE, Slots, agent, agent_element, date_text, date_time_value, distribution,
    distribution_write, element, legal_person_element, legal_person_write, localized_element,
    natural_person_element, natural_person_write, sdg_text, simple_element, single_agent,
    single_child, single_sdg, slot_agent, slot_agent_set, slot_date_time, slot_name, slot_string,
    string_value, titles,
};
use crate::text::InvalidText;
use crate::tree::{self, Element, Limits};
use crate::write::Writer;

mod error;

pub use error::{
    ErrorResponse, Exception, SEVERITY_ERROR, SEVERITY_PREVIEW_REQUIRED, Severity, reason,
};

/// XLink (`xlink:`), of `rim:RepositoryItemRef`'s attributes.
const XLINK: &str = "http://www.w3.org/1999/xlink";

/// `status` of a response that carries evidence.
pub const STATUS_SUCCESS: &str = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success";
/// `status` of a response that carries an exception.
pub const STATUS_FAILURE: &str = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure";

/// Slots that are never looked up, and may occur more than once: a signature travels this way.
const IGNORED_SLOTS: &[&str] = &["Signature"];

/// A SHA-256 digest as lowercase hex (64 characters), the form of the `RequestDigest` and
/// `EvidenceDigest` slots.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sha256Hex(String);

impl Sha256Hex {
    /// The SHA-256 of these bytes.
    pub fn of(bytes: &[u8]) -> Sha256Hex {
        Sha256Hex::from_digest(Sha256::digest(bytes).into())
    }

    /// The hex form of a digest computed elsewhere.
    pub fn from_digest(digest: [u8; 32]) -> Sha256Hex {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = String::with_capacity(64);
        for byte in digest {
            text.push(char::from(HEX[usize::from(byte >> 4)]));
            text.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        Sha256Hex(text)
    }

    /// The 64 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Sha256Hex {
    type Err = EdmError;

    /// Exactly 64 lowercase hex digits; anything else is refused.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(Sha256Hex(s.to_owned()))
        } else {
            Err(EdmError::invalid(format!(
                "a SHA-256 digest is 64 lowercase hex digits, not {s:?}"
            )))
        }
    }
}

impl fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A successful answer: the evidence, with its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceResponse {
    /// The id of the request answered (`@requestId`).
    pub request_id: String,
    /// `EvidenceResponseIdentifier`.
    pub response_id: String,
    /// `SpecificationIdentifier`, e.g. `oots-edm:v1.0`.
    pub specification_identifier: String,
    /// `IssueDateTime`.
    pub issue_date_time: OffsetDateTime,
    /// `EvidenceRequester`.
    pub requester: Agent,
    /// `EvidenceProvider`.
    pub provider: Agent,
    /// `RequestDigest`: the SHA-256 of the request message as the provider received it.
    pub request_digest: Option<Sha256Hex>,
    /// The evidence (`rim:RegistryObjectList`), at least one.
    pub evidence: Vec<EvidenceItem>,
}

/// One piece of evidence: a `rim:RegistryObject` with its metadata and a reference to the part
/// of the multipart message that carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceItem {
    /// The registry object's `@id`.
    pub id: String,
    /// `sdg:Evidence/sdg:Identifier`.
    pub evidence_id: String,
    /// `sdg:IsAbout`: whom the evidence is about, as in the request.
    pub subject: Subject,
    /// `sdg:IssuingAuthority`.
    pub issuing_authority: Agent,
    /// `sdg:IsConformantTo/sdg:EvidenceTypeClassification`.
    pub classification: String,
    /// `sdg:IsConformantTo/sdg:Title`, at least one.
    pub titles: Vec<LocalizedText>,
    /// `sdg:IssuingDate`.
    pub issuing_date: Date,
    /// `sdg:Distribution`: the media type of the evidence and what it conforms to.
    pub distribution: Distribution,
    /// `EvidenceDigest`: the SHA-256 of the evidence part's bytes.
    pub evidence_digest: Option<Sha256Hex>,
    /// `rim:RepositoryItemRef/@xlink:href`: `cid:` and the content id of the evidence part.
    pub repository_item_ref: String,
    /// `rim:RepositoryItemRef/@xlink:title`, if given.
    pub repository_item_title: Option<String>,
}

/// A response: evidence or an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// `status` Success.
    Evidence(EvidenceResponse),
    /// `status` Failure.
    Error(ErrorResponse),
}

impl Response {
    /// Reads a response from its bytes within `limits`.
    pub fn from_xml(bytes: &[u8], limits: &Limits) -> Result<Response, EdmError> {
        Response::from_element(&tree::parse(bytes, limits)?)
    }

    /// Reads a response from a parsed document, by its `status`.
    pub fn from_element(root: &Element) -> Result<Response, EdmError> {
        match status(root)? {
            STATUS_SUCCESS => EvidenceResponse::from_element(root).map(Response::Evidence),
            STATUS_FAILURE => ErrorResponse::from_element(root).map(Response::Error),
            other => Err(EdmError::invalid(format!(
                "QueryResponse status must be {STATUS_SUCCESS} or {STATUS_FAILURE}, not {other:?}"
            ))),
        }
    }

    /// Writes the response as XML; a character XML 1.0 does not allow is refused with the field
    /// it is in (see [`EvidenceRequest::try_to_xml`](crate::request::EvidenceRequest::try_to_xml)).
    pub fn try_to_xml(&self) -> Result<String, InvalidText> {
        match self {
            Response::Evidence(response) => response.try_to_xml(),
            Response::Error(response) => response.try_to_xml(),
        }
    }

    /// Writes the response as XML; a character XML 1.0 does not allow is written as U+FFFD.
    /// Prefer [`Response::try_to_xml`], or check every text with [`crate::text`] first.
    pub fn to_xml(&self) -> String {
        match self {
            Response::Evidence(response) => response.to_xml(),
            Response::Error(response) => response.to_xml(),
        }
    }

    /// The id of the request answered.
    pub fn request_id(&self) -> &str {
        match self {
            Response::Evidence(response) => &response.request_id,
            Response::Error(response) => &response.request_id,
        }
    }
}

impl EvidenceResponse {
    /// Reads a successful response from its bytes within `limits`.
    pub fn from_xml(bytes: &[u8], limits: &Limits) -> Result<EvidenceResponse, EdmError> {
        EvidenceResponse::from_element(&tree::parse(bytes, limits)?)
    }

    /// Reads a successful response from a parsed document.
    pub fn from_element(root: &Element) -> Result<EvidenceResponse, EdmError> {
        let status = status(root)?;
        if status != STATUS_SUCCESS {
            return Err(EdmError::invalid(format!(
                "an evidence response has status {STATUS_SUCCESS}, not {status:?}"
            )));
        }
        if root.child(RS, "Exception").is_some() {
            return Err(EdmError::invalid(
                "a QueryResponse with status Success carries no Exception",
            ));
        }
        let slots = Slots::of_except(root, IGNORED_SLOTS)?;
        let list = single_child(root, RIM, "RegistryObjectList", "QueryResponse")?;
        let evidence = list
            .children_named(RIM, "RegistryObject")
            .map(evidence_item)
            .collect::<Result<Vec<_>, _>>()?;
        if evidence.is_empty() {
            return Err(EdmError::invalid(
                "the RegistryObjectList of a successful response carries no RegistryObject",
            ));
        }
        Ok(EvidenceResponse {
            request_id: request_id(root)?,
            response_id: string_value(slots.require("EvidenceResponseIdentifier")?)?,
            specification_identifier: string_value(slots.require("SpecificationIdentifier")?)?,
            issue_date_time: date_time_value(slots.require("IssueDateTime")?)?,
            requester: single_agent(slots.require("EvidenceRequester")?)?,
            provider: single_agent(slots.require("EvidenceProvider")?)?,
            request_digest: slots.get("RequestDigest").map(digest_value).transpose()?,
            evidence,
        })
    }

    /// Writes the response as XML; a character XML 1.0 does not allow is refused with the field
    /// it is in (see [`EvidenceRequest::try_to_xml`](crate::request::EvidenceRequest::try_to_xml)).
    pub fn try_to_xml(&self) -> Result<String, InvalidText> {
        self.write().finish()
    }

    /// Writes the response as XML; a character XML 1.0 does not allow is written as U+FFFD.
    /// Prefer [`EvidenceResponse::try_to_xml`], or check every text with [`crate::text`] first.
    pub fn to_xml(&self) -> String {
        self.write().into_lossy()
    }

    fn write(&self) -> Writer {
        let mut out = Writer::with_capacity(4096);
        root_start(&mut out, STATUS_SUCCESS, &self.request_id);
        slot_string(
            &mut out,
            "SpecificationIdentifier",
            &self.specification_identifier,
        );
        slot_string(&mut out, "EvidenceResponseIdentifier", &self.response_id);
        slot_date_time(&mut out, "IssueDateTime", self.issue_date_time);
        slot_agent_set(&mut out, "EvidenceProvider", &self.provider);
        slot_agent(&mut out, "EvidenceRequester", &self.requester);
        if let Some(digest) = &self.request_digest {
            slot_string(&mut out, "RequestDigest", digest.as_str());
        }
        out.push_str("<rim:RegistryObjectList>");
        for (i, item) in self.evidence.iter().enumerate() {
            out.within(|| format!("RegistryObject[{i}]"), |out| item.write(out));
        }
        out.push_str("</rim:RegistryObjectList></query:QueryResponse>\n");
        out
    }

    /// Checks that this response answers `request` (the request message as the requester sent
    /// it) and that `message` carries its evidence unchanged: `RequestDigest` is the SHA-256 of
    /// `request`, and for every item the part its `cid:` reference names exists and has the
    /// SHA-256 in its `EvidenceDigest`. A missing digest is refused: without it the signature
    /// over the response would not cover the request or the evidence.
    pub fn check_binding(&self, request: &[u8], message: &Multipart<'_>) -> Result<(), EdmError> {
        match &self.request_digest {
            None => {
                return Err(EdmError::invalid(
                    "the response lacks its RequestDigest slot",
                ));
            }
            Some(digest) if *digest != Sha256Hex::of(request) => {
                return Err(EdmError::invalid(
                    "the RequestDigest of the response is not the SHA-256 of the request sent",
                ));
            }
            Some(_) => {}
        }
        for item in &self.evidence {
            let part = message.get(&item.repository_item_ref).ok_or_else(|| {
                EdmError::invalid(format!(
                    "the evidence {} refers to {}, which is not a part of the message",
                    item.id, item.repository_item_ref
                ))
            })?;
            match &item.evidence_digest {
                None => {
                    return Err(EdmError::invalid(format!(
                        "the evidence {} lacks its EvidenceDigest slot",
                        item.id
                    )));
                }
                Some(digest) if *digest != Sha256Hex::of(part.body) => {
                    return Err(EdmError::invalid(format!(
                        "the EvidenceDigest of the evidence {} is not the SHA-256 of the part {}",
                        item.id, item.repository_item_ref
                    )));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

impl EvidenceItem {
    fn write(&self, out: &mut Writer) {
        out.push_str(r#"<rim:RegistryObject xsi:type="rim:ExtrinsicObjectType" id=""#);
        out.attr("@id", &self.id);
        out.push_str(r#""><rim:Slot name="EvidenceMetadata"><rim:SlotValue xsi:type="rim:AnyValueType"><sdg:Evidence>"#);
        simple_element(out, "sdg:Identifier", &self.evidence_id);
        element(out, "sdg:IsAbout", |out| match &self.subject {
            Subject::NaturalPerson(person) => {
                natural_person_write(out, "sdg:NaturalPerson", person)
            }
            Subject::LegalPerson(org) => legal_person_write(out, org),
        });
        agent_element(out, "sdg:IssuingAuthority", &self.issuing_authority);
        element(out, "sdg:IsConformantTo", |out| {
            simple_element(out, "sdg:EvidenceTypeClassification", &self.classification);
            for title in &self.titles {
                localized_element(out, "sdg:Title", title);
            }
        });
        simple_element(out, "sdg:IssuingDate", &date_text(self.issuing_date));
        distribution_write(out, "sdg:Distribution", &self.distribution);
        out.push_str("</sdg:Evidence></rim:SlotValue></rim:Slot>");
        if let Some(digest) = &self.evidence_digest {
            slot_string(out, "EvidenceDigest", digest.as_str());
        }
        out.push_str(r#"<rim:RepositoryItemRef xlink:href=""#);
        out.attr(
            "rim:RepositoryItemRef/@xlink:href",
            &self.repository_item_ref,
        );
        out.push('"');
        if let Some(title) = &self.repository_item_title {
            out.push_str(r#" xlink:title=""#);
            out.attr("rim:RepositoryItemRef/@xlink:title", title);
            out.push('"');
        }
        out.push_str("/></rim:RegistryObject>");
    }
}

fn root_start(out: &mut Writer, status: &str, request_id: &str) {
    out.push_str(concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        "\n",
        r#"<query:QueryResponse xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0" "#,
        r#"xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" "#,
        r#"xmlns:rs="urn:oasis:names:tc:ebxml-regrep:xsd:rs:4.0" "#,
        r#"xmlns:sdg="http://data.europa.eu/p4s" "#,
        r#"xmlns:xlink="http://www.w3.org/1999/xlink" "#,
        r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" status=""#
    ));
    out.push_str(status);
    out.push_str(r#"" requestId=""#);
    out.attr("QueryResponse/@requestId", request_id);
    out.push_str("\">");
}

/// The `status` of a `query:QueryResponse` root.
fn status(root: &Element) -> Result<&str, EdmError> {
    if !root.is(QUERY, "QueryResponse") {
        return Err(EdmError::invalid(format!(
            "the root element must be QueryResponse in namespace {QUERY}, not {} in {}",
            root.local,
            root.ns.as_deref().unwrap_or("no namespace")
        )));
    }
    root.attribute(None, "status")
        .map(str::trim)
        .ok_or_else(|| EdmError::invalid("QueryResponse lacks its status attribute"))
}

fn request_id(root: &Element) -> Result<String, EdmError> {
    root.attribute(None, "requestId")
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(ToOwned::to_owned)
        .ok_or_else(|| EdmError::invalid("QueryResponse lacks its requestId attribute"))
}

fn digest_value(slot: &Element) -> Result<Sha256Hex, EdmError> {
    string_value(slot)?.parse().map_err(|e: EdmError| {
        EdmError::invalid(format!("the slot {}: {}", slot_name(slot), e.detail))
    })
}

fn evidence_item(object: &Element) -> Result<EvidenceItem, EdmError> {
    let id = object
        .attribute(None, "id")
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| EdmError::invalid("a RegistryObject of the response lacks its id"))?;
    let slots = Slots::of_except(object, IGNORED_SLOTS)?;
    let context = "EvidenceMetadata";
    let evidence = single_sdg(slots.require(context)?, "Evidence")?;
    let about = single_child(evidence, SDG, "IsAbout", context)?;
    let subject = match &about.children[..] {
        [person] if person.is(SDG, "NaturalPerson") => Subject::NaturalPerson(
            natural_person_element(person, "EvidenceMetadata: NaturalPerson")?,
        ),
        [org] if org.is(SDG, "LegalPerson") => {
            Subject::LegalPerson(legal_person_element(org, "EvidenceMetadata: LegalPerson")?)
        }
        _ => {
            return Err(EdmError::invalid(
                "EvidenceMetadata: IsAbout must carry one sdg:NaturalPerson or sdg:LegalPerson",
            ));
        }
    };
    let conformant = single_child(evidence, SDG, "IsConformantTo", context)?;
    let issued = sdg_text(evidence, "IssuingDate", context)?;
    let issuing_date = Date::parse(&issued, DATE).map_err(|_| {
        EdmError::invalid(format!(
            "EvidenceMetadata: IssuingDate must be a date like 2026-11-23, not {issued:?}"
        ))
    })?;
    let reference = single_child(object, RIM, "RepositoryItemRef", "RegistryObject")?;
    let href = reference
        .attribute(Some(XLINK), "href")
        .map(str::trim)
        .unwrap_or_default();
    if !href.starts_with("cid:") || href.len() == "cid:".len() {
        return Err(EdmError::invalid(format!(
            "RepositoryItemRef: xlink:href must be a cid: reference to a part of the message, not {href:?}"
        )));
    }
    Ok(EvidenceItem {
        id: id.to_owned(),
        evidence_id: sdg_text(evidence, "Identifier", context)?,
        subject,
        issuing_authority: agent(
            single_child(evidence, SDG, "IssuingAuthority", context)?,
            "EvidenceMetadata: IssuingAuthority",
        )?,
        classification: sdg_text(
            conformant,
            "EvidenceTypeClassification",
            "EvidenceMetadata: IsConformantTo",
        )?,
        titles: titles(conformant, "EvidenceMetadata: IsConformantTo")?,
        issuing_date,
        distribution: distribution(
            single_child(evidence, SDG, "Distribution", context)?,
            "EvidenceMetadata: Distribution",
        )?,
        evidence_digest: slots.get("EvidenceDigest").map(digest_value).transpose()?,
        repository_item_ref: href.to_owned(),
        repository_item_title: reference
            .attribute(Some(XLINK), "title")
            .map(ToOwned::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;
    use crate::EdmCode;
    use crate::request::{Identifier, MEMBER_SCHEME, NaturalPerson, TAX_ID_SCHEME};

    fn member(id: &str, name: &str) -> Agent {
        Agent {
            identifier: Identifier {
                scheme: Some(MEMBER_SCHEME.into()),
                value: id.into(),
            },
            name: LocalizedText {
                lang: Some("de".into()),
                value: name.into(),
            },
        }
    }

    fn evidence_response() -> EvidenceResponse {
        EvidenceResponse {
            request_id: "urn:uuid:0b6b8b1e-3d0c-4b8e-9a57-6c1f1f3f6a01".into(),
            response_id: "urn:uuid:7a1c7a52-3f0e-4d43-9c1b-0d6f0b0e9e11".into(),
            specification_identifier: "oots-edm:v1.0".into(),
            issue_date_time: datetime!(2026-11-23 09:00:01.25 +01:00),
            requester: member("DE-HB:LAND:elterngeld", "Elterngeldstelle Bremen"),
            provider: member("DE-HB:KOMMUNE:04011000", "Stadt Bremen & <Meldebehörde>"),
            request_digest: Some(Sha256Hex::from_digest([0xab; 32])),
            evidence: vec![EvidenceItem {
                id: "urn:uuid:5e0d7e8c-4a4b-4f7e-8f59-0a3f1f2b9c01".into(),
                evidence_id: "urn:uuid:16c7f1a2-0d55-4a43-b1a8-2f2b3c4d5e6f".into(),
                subject: Subject::NaturalPerson(NaturalPerson {
                    level_of_assurance: Some("High".into()),
                    identifier: Some(Identifier {
                        scheme: Some(TAX_ID_SCHEME.into()),
                        value: "86095742719".into(),
                    }),
                    family_name: "Müller-Lüdenscheidt".into(),
                    given_name: "Jürgen".into(),
                    date_of_birth: date!(1988 - 02 - 29),
                }),
                issuing_authority: member("DE-HB:KOMMUNE:04011000", "Stadt Bremen"),
                classification: "urn:once:evidence-type:residence-certificate".into(),
                titles: vec![
                    LocalizedText {
                        lang: Some("en".into()),
                        value: "Residence certificate".into(),
                    },
                    LocalizedText {
                        lang: Some("de".into()),
                        value: "Meldebescheinigung".into(),
                    },
                ],
                issuing_date: date!(2026 - 11 - 23),
                distribution: Distribution {
                    format: "application/xml".into(),
                    conforms_to: Some("urn:once:evidence:residence-certificate:1".into()),
                },
                evidence_digest: Some(Sha256Hex::from_digest([0x01; 32])),
                repository_item_ref: "cid:evidence-1@once".into(),
                repository_item_title: Some("ResidenceCertificate".into()),
            }],
        }
    }

    fn error_response() -> ErrorResponse {
        ErrorResponse {
            request_id: "urn:uuid:0b6b8b1e-3d0c-4b8e-9a57-6c1f1f3f6a01".into(),
            response_id: "urn:uuid:7a1c7a52-3f0e-4d43-9c1b-0d6f0b0e9e12".into(),
            specification_identifier: "oots-edm:v1.0".into(),
            provider: member("DE-HB:KOMMUNE:04011000", "Stadt Bremen"),
            requester: member("DE-HB:LAND:elterngeld", "Elterngeldstelle Bremen"),
            exception: Exception::new(
                EdmCode::ObjectNotFound,
                "two persons match \"Müller\" born 1988-02-29",
                datetime!(2026-11-23 09:00:02 UTC),
            )
            .with_reason(reason::AMBIGUOUS_SUBJECT),
        }
    }

    #[test]
    fn evidence_response_round_trips() {
        let response = Response::Evidence(evidence_response());
        let xml = response.to_xml();
        let parsed = Response::from_xml(xml.as_bytes(), &Limits::default()).expect("parse");
        assert_eq!(parsed, response);
        assert_eq!(
            parsed.request_id(),
            "urn:uuid:0b6b8b1e-3d0c-4b8e-9a57-6c1f1f3f6a01"
        );
        assert!(xml.contains(&format!(r#"<rim:Slot name="RequestDigest"><rim:SlotValue xsi:type="rim:StringValueType"><rim:Value>{}</rim:Value>"#, "ab".repeat(32))));
    }

    #[test]
    fn error_responses_round_trip_for_every_code_and_the_preview() {
        for code in EdmCode::ALL {
            let mut response = error_response();
            response.exception.code = code;
            response.exception.message = code.message().into();
            let xml = response.to_xml();
            assert!(xml.contains(code.exception_type()), "{xml}");
            let parsed = Response::from_xml(xml.as_bytes(), &Limits::default()).expect("parse");
            assert_eq!(parsed, Response::Error(response));
        }
        let mut preview = error_response();
        preview.exception = Exception::preview_required(
            "https://preview.example/requests?session=1&lang=de",
            datetime!(2026-11-23 09:00:02 UTC),
        );
        preview.exception.preview_description = vec![
            LocalizedText {
                lang: Some("de".into()),
                value: "Bitte prüfen Sie die Meldebescheinigung.".into(),
            },
            LocalizedText {
                lang: Some("en".into()),
                value: "Please check the residence certificate.".into(),
            },
        ];
        let xml = preview.to_xml();
        assert!(xml.contains(SEVERITY_PREVIEW_REQUIRED));
        let parsed = ErrorResponse::from_xml(xml.as_bytes(), &Limits::default()).expect("parse");
        assert_eq!(parsed, preview);
        assert_eq!(parsed.exception.code, EdmCode::Authorization);
    }

    #[test]
    fn a_signature_slot_and_unknown_slots_are_ignored() {
        let xml = evidence_response().to_xml();
        let signature = r#"<rim:Slot name="Signature"><rim:SlotValue xsi:type="rim:AnyValueType"><x:Sig xmlns:x="urn:x"/></rim:SlotValue></rim:Slot>"#;
        let extra = r#"<rim:Slot name="Unknown"><rim:SlotValue xsi:type="rim:StringValueType"><rim:Value>?</rim:Value></rim:SlotValue></rim:Slot>"#;
        let edited = xml.replacen(
            "<rim:RegistryObjectList>",
            &format!("{signature}{signature}{extra}<rim:RegistryObjectList>"),
            1,
        );
        let parsed =
            EvidenceResponse::from_xml(edited.as_bytes(), &Limits::default()).expect("parse");
        assert_eq!(parsed, evidence_response());
    }

    #[test]
    fn broken_responses_are_refused_with_the_rule() {
        let ok = evidence_response().to_xml();
        let err = error_response().to_xml();
        let cases: Vec<(String, &str)> = vec![
            (ok.replace(STATUS_SUCCESS, "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:PartialSuccess"), "status must be"),
            (ok.replacen(" requestId=\"urn:uuid:0b6b8b1e-3d0c-4b8e-9a57-6c1f1f3f6a01\"", "", 1), "lacks its requestId"),
            (ok.replace("abababab", "ABABABAB"), "the slot RequestDigest: a SHA-256 digest is 64 lowercase hex"),
            (ok.replace("01010101", "0101010"), "the slot EvidenceDigest: a SHA-256 digest"),
            (ok.replace("cid:evidence-1@once", "https://example.org/e"), "must be a cid: reference"),
            (ok.replace("<rim:Slot name=\"EvidenceResponseIdentifier\">", "<rim:Slot name=\"X\">"), "the mandatory slot EvidenceResponseIdentifier is missing"),
            (ok.replace("<sdg:IssuingDate>2026-11-23", "<sdg:IssuingDate>23.11.2026"), "IssuingDate must be a date"),
            (ok.replace("86095742719", "86095742718"), "EvidenceMetadata: NaturalPerson: Identifier: the check digit"),
            (ok.replace("<sdg:NaturalPerson>", "<sdg:Person>").replace("</sdg:NaturalPerson>", "</sdg:Person>"), "IsAbout must carry one"),
            (ok.replace("<sdg:Title lang=\"en\">Residence certificate</sdg:Title><sdg:Title lang=\"de\">Meldebescheinigung</sdg:Title>", ""), "IsConformantTo: Title is missing"),
            (ok.replace("<rim:Slot name=\"EvidenceMetadata\">", "<rim:Slot name=\"Metadata\">"), "the mandatory slot EvidenceMetadata is missing"),
            (ok.replace("</rim:RegistryObjectList>", "</rim:RegistryObjectList><rs:Exception message=\"x\"/>"), "carries no Exception"),
            (ok.replace("query:4.0", "query:3.0"), "root element must be QueryResponse"),
            (err.replace("code=\"EDM:ERR:0004\"", "code=\"EDM:ERR:0003\""), "does not go with its type"),
            (err.replace("code=\"EDM:ERR:0004\"", "code=\"ERR-4\""), "is not an EDM code"),
            (err.replace("rs:ObjectNotFoundExceptionType", "rs:RegistryExceptionType"), "is not one of the EDM exception types"),
            (err.replace(SEVERITY_ERROR, "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Warning"), "severity must be"),
            (err.replace(SEVERITY_ERROR, SEVERITY_PREVIEW_REQUIRED), "carries the slot PreviewLocation"),
            (err.replace("<rim:Slot name=\"Timestamp\">", "<rim:Slot name=\"Time\">"), "the mandatory slot Timestamp is missing"),
            (err.replace("<rim:Slot name=\"ErrorProvider\">", "<rim:Slot name=\"Provider\">"), "the mandatory slot ErrorProvider is missing"),
            (err.replace("</rs:Exception>", "</rs:Exception><rs:Exception message=\"again\"/>"), "more than one Exception"),
            (err.replace("<rs:Exception", "<rs:Exceptio").replace("</rs:Exception>", "</rs:Exceptio>"), "lacks its Exception"),
            (err.replace("</rs:Exception>", "</rs:Exception><rim:RegistryObjectList/>"), "carries no RegistryObjectList"),
        ];
        for (xml, expected) in cases {
            let e = Response::from_xml(xml.as_bytes(), &Limits::default()).expect_err(expected);
            assert_eq!(e.code, EdmCode::InvalidRequest);
            assert!(
                e.detail.contains(expected),
                "{expected:?} not in {:?}",
                e.detail
            );
        }
    }

    #[test]
    fn sha256_hex_is_strict() {
        assert_eq!(Sha256Hex::from_digest([0; 32]).as_str(), "0".repeat(64));
        // FIPS 180-2, appendix B.1.
        assert_eq!(
            Sha256Hex::of(b"abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!("ab".repeat(32).parse::<Sha256Hex>().is_ok());
        assert!("AB".repeat(32).parse::<Sha256Hex>().is_err());
        assert!("ab".repeat(31).parse::<Sha256Hex>().is_err());
        assert!(
            format!("{} ", "ab".repeat(32))
                .parse::<Sha256Hex>()
                .is_err()
        );
    }
}
