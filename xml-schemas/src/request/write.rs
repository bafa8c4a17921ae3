//! Writing a `query:QueryRequest` in a profile and version.

use super::EvidenceRequest;
use crate::ids;
use crate::profile::Target;
use crate::sdg::{AgentClassification, EvidenceType, Procedure, Subject};
use crate::slots::write::{
    DEFAULT_LANG, agent_element, collection_element, date_time_text, distribution_write, element,
    legal_person_write, localized_element, natural_person_write, simple_element, slot_any,
    slot_bool, slot_localized, slot_set, slot_set_of, slot_string, slot_typed, sr_element,
};
use crate::write::Writer;

const ROOT: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8"?>"#,
    "\n",
    r#"<query:QueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0" "#,
    r#"xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" "#,
    r#"xmlns:rs="urn:oasis:names:tc:ebxml-regrep:xsd:rs:4.0" "#,
    r#"xmlns:sdg="http://data.europa.eu/p4s" "#,
    r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id=""#
);

pub(super) fn request(request: &EvidenceRequest, t: Target) -> Writer {
    let mut out = Writer::with_capacity(4096);
    out.push_str(ROOT);
    out.attr("QueryRequest/@id", &ids::urn_uuid(&request.id));
    out.push_str("\">");
    slot_string(&mut out, "SpecificationIdentifier", t.version.identifier());
    slot_typed(
        &mut out,
        "IssueDateTime",
        "rim:DateTimeValueType",
        &date_time_text(request.issue_date_time),
    );
    if let Some(procedure) = request
        .procedure
        .as_ref()
        .filter(|p| t.profile.writes_procedure(p))
    {
        procedure_slot(&mut out, procedure, t);
    }
    if let Some(location) = &request.preview_location {
        slot_string(&mut out, "PreviewLocation", location);
    }
    slot_bool(
        &mut out,
        "PossibilityForPreview",
        request.possibility_for_preview,
    );
    slot_bool(
        &mut out,
        "ExplicitRequestGiven",
        request.explicit_request_given,
    );
    if let Some(basis) = request
        .legal_basis
        .as_ref()
        .filter(|_| t.profile.extension_slots())
    {
        slot_string(&mut out, "LegalBasis", basis);
    }
    requirements(&mut out, request, t);
    slot_set(&mut out, "EvidenceRequester", |out| {
        collection_element(out, |out| {
            agent_element(
                out,
                "sdg:Agent",
                &request.requester,
                Some(AgentClassification::EvidenceRequester),
            );
        });
    });
    slot_any(&mut out, "EvidenceProvider", |out| {
        agent_element(out, "sdg:Agent", &request.provider, None);
    });
    out.push_str(r#"<query:ResponseOption returnType="LeafClassWithRepositoryItem"/><query:Query queryDefinition="DocumentQuery">"#);
    match &request.subject {
        Subject::NaturalPerson(person) => slot_any(&mut out, "NaturalPerson", |out| {
            natural_person_write(out, "sdg:Person", person, t.profile);
        }),
        Subject::LegalPerson(org) => {
            slot_any(&mut out, "LegalPerson", |out| legal_person_write(out, org));
        }
    }
    if let Some(person) = &request.representative {
        slot_any(&mut out, "AuthorizedRepresentative", |out| {
            natural_person_write(out, "sdg:Person", person, t.profile);
        });
    }
    slot_any(&mut out, "EvidenceRequest", |out| {
        element(out, "sdg:DataServiceEvidenceType", |out| {
            evidence_type(out, &request.evidence_type, t);
        });
    });
    out.push_str("</query:Query></query:QueryRequest>\n");
    out
}

/// The procedure: a code as OOTS writes it (`xml:lang="EN" value="T2"`, in 2.0 the bare code),
/// free text with its language.
fn procedure_slot(out: &mut Writer, procedure: &Procedure, t: Target) {
    let (lang, value) = match procedure {
        Procedure::Code(code) => (Some(DEFAULT_LANG), code.as_str()),
        Procedure::Text(text) => (text.lang.as_deref(), text.value.as_str()),
    };
    if t.version.procedure_is_string() {
        slot_string(out, "Procedure", value);
    } else {
        slot_localized(out, "Procedure", lang, value);
    }
}

fn requirements(out: &mut Writer, request: &EvidenceRequest, t: Target) {
    if request.requirements.is_empty() {
        return;
    }
    slot_set_of(out, "Requirements", request.requirements.len(), |out, i| {
        let requirement = &request.requirements[i];
        element(out, "sdg:Requirement", |out| {
            sr_element(out, "sdg:Identifier", &requirement.identifier, t.version);
            for name in &requirement.names {
                localized_element(out, "sdg:Name", name, Some(DEFAULT_LANG));
            }
        });
    });
}

fn evidence_type(out: &mut Writer, evidence: &EvidenceType, t: Target) {
    simple_element(out, "sdg:Identifier", ids::bare_uuid(&evidence.identifier));
    sr_element(
        out,
        "sdg:EvidenceTypeClassification",
        &evidence.classification,
        t.version,
    );
    for title in &evidence.titles {
        localized_element(out, "sdg:Title", title, Some(DEFAULT_LANG));
    }
    for description in &evidence.descriptions {
        localized_element(out, "sdg:Description", description, Some(DEFAULT_LANG));
    }
    distribution_write(out, "sdg:DistributedAs", &evidence.distribution, t.version);
}
