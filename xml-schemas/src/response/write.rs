//! Writing a `query:QueryResponse` that carries evidence, and what error responses share.

use super::{EvidenceItem, EvidenceResponse, STATUS_SUCCESS};
use crate::ids;
use crate::profile::Target;
use crate::sdg::{AgentClassification, Subject};
use crate::slots::write::{
    DEFAULT_LANG, agent_element, collection_element, date_text, distribution_write, element,
    legal_person_write, localized_element, natural_person_write, simple_element, slot_any,
    slot_date_time, slot_set, slot_string, sr_element,
};
use crate::write::Writer;

/// The classification of the main evidence in a 2.0 package.
const MAIN_EVIDENCE: &str =
    r#"classificationScheme="urn:fdc:oots:classification:edm" classificationNode="MainEvidence"/>"#;

pub(super) fn evidence_response(response: &EvidenceResponse, t: Target) -> Writer {
    let mut out = Writer::with_capacity(4096);
    root_start(&mut out, STATUS_SUCCESS, &response.request_id);
    head(&mut out, t, &response.response_id);
    slot_date_time(&mut out, "IssueDateTime", response.issue_date_time);
    slot_set(&mut out, "EvidenceProvider", |out| {
        collection_element(out, |out| {
            agent_element(
                out,
                "sdg:Agent",
                &response.provider,
                Some(AgentClassification::EvidenceProvider),
            );
        });
    });
    slot_any(&mut out, "EvidenceRequester", |out| {
        agent_element(out, "sdg:Agent", &response.requester, None);
    });
    out.push_str("<rim:RegistryObjectList>");
    let packaged = t.version.packaged_response();
    if packaged {
        out.push_str(r#"<rim:RegistryObject xsi:type="rim:RegistryPackageType" id="urn:uuid:"#);
        out.push_str(&ids::derived_uuid(&["package", &response.response_id]));
        out.push_str(r#""><rim:RegistryObjectList>"#);
    }
    for (i, item) in response.evidence.iter().enumerate() {
        out.within(
            || format!("RegistryObject[{i}]"),
            |out| evidence_item(out, item, t),
        );
    }
    if packaged {
        out.push_str("</rim:RegistryObjectList></rim:RegistryObject>");
    }
    out.push_str("</rim:RegistryObjectList></query:QueryResponse>\n");
    out
}

fn evidence_item(out: &mut Writer, item: &EvidenceItem, t: Target) {
    out.push_str(r#"<rim:RegistryObject xsi:type="rim:ExtrinsicObjectType" id=""#);
    out.attr("@id", &ids::urn_uuid(&item.id));
    out.push_str(r#"">"#);
    slot_any(out, "EvidenceMetadata", |out| {
        element(out, "sdg:Evidence", |out| evidence_metadata(out, item, t));
    });
    if t.version.packaged_response() {
        out.push_str(r#"<rim:Classification id="urn:uuid:"#);
        out.push_str(&ids::derived_uuid(&["classification", &item.id]));
        out.push_str(r#"" "#);
        out.push_str(MAIN_EVIDENCE);
    }
    out.push_str(r#"<rim:RepositoryItemRef xlink:href=""#);
    out.attr(
        "rim:RepositoryItemRef/@xlink:href",
        &item.repository_item_ref,
    );
    out.push('"');
    if let Some(title) = &item.repository_item_title {
        out.push_str(r#" xlink:title=""#);
        out.attr("rim:RepositoryItemRef/@xlink:title", title);
        out.push('"');
    }
    out.push_str("/></rim:RegistryObject>");
}

fn evidence_metadata(out: &mut Writer, item: &EvidenceItem, t: Target) {
    simple_element(out, "sdg:Identifier", ids::bare_uuid(&item.evidence_id));
    element(out, "sdg:IsAbout", |out| match &item.subject {
        Subject::NaturalPerson(person) => {
            natural_person_write(out, "sdg:NaturalPerson", person, t.profile);
        }
        Subject::LegalPerson(org) => legal_person_write(out, org),
    });
    agent_element(out, "sdg:IssuingAuthority", &item.issuing_authority, None);
    element(out, "sdg:IsConformantTo", |out| {
        sr_element(
            out,
            "sdg:EvidenceTypeClassification",
            &item.classification,
            t.version,
        );
        for title in &item.titles {
            localized_element(out, "sdg:Title", title, Some(DEFAULT_LANG));
        }
        for description in &item.descriptions {
            localized_element(out, "sdg:Description", description, Some(DEFAULT_LANG));
        }
    });
    simple_element(out, "sdg:IssuingDate", &date_text(item.issuing_date));
    distribution_write(out, "sdg:Distribution", &item.distribution, t.version);
}

/// The start of a response: declaration, root with `status` and `requestId` (as
/// `urn:uuid:<UUID>`).
pub(super) fn root_start(out: &mut Writer, status: &str, request_id: &str) {
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
    out.attr("QueryResponse/@requestId", &ids::urn_uuid(request_id));
    out.push_str("\">");
}

/// The slots every response starts with: `SpecificationIdentifier` and
/// `EvidenceResponseIdentifier` (the bare UUID).
pub(super) fn head(out: &mut Writer, t: Target, response_id: &str) {
    slot_string(out, "SpecificationIdentifier", t.version.identifier());
    slot_string(
        out,
        "EvidenceResponseIdentifier",
        ids::bare_uuid(response_id),
    );
}
