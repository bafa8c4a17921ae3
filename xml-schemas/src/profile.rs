//! The profiles a message is written in: [`Profile::Oots`], the EU profile, and [`Profile::De`],
//! the German national profile. The caller picks one per message (per exchange) when writing:
//! `EvidenceRequest::try_to_xml_as(Profile::Oots)`. Reading does not depend on the profile: the
//! readers take what either profile writes (and what other OOTS implementations write).
//!
//! `Oots` writes only what the EDM defines, so that its messages pass the Commission's EDM 1.0
//! business rules (`schematron/edm-1.0/`, EDM-REQ/RESP/ERR, S and C) without an error-level
//! finding; what only a national exchange can carry is left out, never sent abroad:
//! the `LegalBasis` slot, a German tax identification number as the person's identifier, a
//! procedure given as free text instead of a code of the OOTS Procedures list, and the `Reason`
//! of an exception. Neither profile binds a response to its request and evidence inside the
//! EDM document: the transport's envelope does (the national envelope's detached signature,
//! AS4 on the EU network).
//!
//! `De` writes the same messages plus exactly the deviations in [`DE_DEVIATIONS`], each where
//! OOTS has no field for what a German exchange needs. Its messages fail the EDM 1.0 rules
//! listed there and no other.
//!
//! [`EDM_1_0_RULE_DEFECTS`] lists the one case where a message this crate writes in either
//! profile fails an EDM 1.0 rule whose test contradicts its own text.

use crate::sdg::{PersonIdentifier, Procedure};
use crate::version::EdmVersion;

/// The profile a message is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Profile {
    /// The EU Once-Only Technical System: the EDM as the Commission's rules define it.
    Oots,
    /// The German national profile: OOTS plus [`DE_DEVIATIONS`].
    De,
}

/// One way [`Profile::De`] deviates from the EDM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deviation {
    /// A short stable name, e.g. `legal-basis`.
    pub key: &'static str,
    /// What `De` writes that `Oots` leaves out.
    pub what: &'static str,
    /// The EDM 1.0 rule ids whose test a message with it fails.
    pub breaks: &'static [&'static str],
    /// EDM 1.0 rules whose text forbids it though their test does not catch it.
    pub against_the_text_of: &'static [&'static str],
    /// Why Germany needs it.
    pub why: &'static str,
}

/// Every deviation of [`Profile::De`] from the EDM, with the rules it breaks and why.
pub const DE_DEVIATIONS: [Deviation; 7] = [
    Deviation {
        key: "legal-basis",
        what: "the request's `LegalBasis` slot (`rim:StringValueType`, free text such as `§ 9 BEEG`)",
        breaks: &["R-EDM-REQ-S019"],
        against_the_text_of: &[],
        why: "a German provider releases evidence only to a requester that names the law it \
              relies on, and its access rules match that law; OOTS has no field for it (its \
              Requirements are EU-wide Semantic Repository entries, not national laws)",
    },
    Deviation {
        key: "procedure-text",
        what: "a national procedure as free text in the `Procedure` slot (`Procedure::Text`)",
        breaks: &["R-EDM-REQ-C003"],
        against_the_text_of: &[],
        why: "German administrative procedures (e.g. `Antrag auf Elterngeld`) are not in the \
              OOTS Procedures code list, which covers only the SDGR Annex II procedures",
    },
    Deviation {
        key: "idnr-request",
        what: "the tax identification number (IDNr) as the identifier of the natural person \
               asked about (`sdg:Identifier schemeID=TAX_ID_SCHEME`)",
        breaks: &["R-EDM-REQ-C039", "R-EDM-REQ-C042"],
        against_the_text_of: &[],
        why: "German registers identify a person by the IDNr (IDNrG); OOTS admits only an eIDAS \
              identifier `XX/YY/…` with `schemeID=\"eidas\"`",
    },
    Deviation {
        key: "idnr-response",
        what: "the IDNr as the identifier of the person an evidence is about (`sdg:IsAbout`)",
        breaks: &["R-EDM-RESP-C028", "R-EDM-RESP-C031"],
        against_the_text_of: &[],
        why: "the response names the subject as the request did, so the requester can match \
              the evidence to the person it asked about",
    },
    Deviation {
        key: "national-evidence-type",
        what: "a national evidence type: the node's own URN as `EvidenceTypeClassification` \
               (`urn:once:evidence-type:…`) and its evidence namespace as the distribution's \
               `ConformsTo` (`urn:once:evidence:…`), in request and response",
        breaks: &[
            "R-EDM-REQ-C027",
            "R-EDM-REQ-C034",
            "R-EDM-RESP-C017",
            "R-EDM-RESP-C022",
        ],
        against_the_text_of: &[],
        why: "national evidence types (a German income certificate for parental allowance) have \
              no Semantic Repository entry; the node names them as its registers do and maps \
              them to SR URIs where `[[oots.evidence_types]]` gives one (then `Oots`)",
    },
    Deviation {
        key: "no-level-of-assurance",
        what: "a natural person asked about without `LevelOfAssurance`",
        breaks: &["R-EDM-REQ-C036"],
        against_the_text_of: &[],
        why: "a national request is made by an authority for its procedure (a case worker \
              deciding an application), often without the person signing in with an eIDAS \
              means; the requester sends the level only when it knows one. `Oots` requests \
              always carry it (the node refuses to send one without)",
    },
    Deviation {
        key: "reason",
        what: "the exception's `Reason` slot (a machine-readable cause, see `response::reason`)",
        breaks: &[],
        against_the_text_of: &["R-EDM-ERR-S017b"],
        why: "one EDM code covers several causes (EDM:ERR:0004: no match or several matches) \
              that a German requester handles differently",
    },
];

/// An EDM 1.0 rule whose test contradicts its text, and what of this crate's output it fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleDefect {
    /// The rule id.
    pub rule: &'static str,
    /// Which message fails it, in either profile.
    pub fails: &'static str,
    /// What the rule says and what its test does.
    pub why: &'static str,
}

/// The EDM 1.0 rules whose test contradicts their own text, failing a message that follows the
/// text. Later versions fixed them; this crate writes what the text says.
pub const EDM_1_0_RULE_DEFECTS: [RuleDefect; 1] = [RuleDefect {
    rule: "R-EDM-ERR-C015",
    fails: "an error response with EDM:ERR:0002 (missing authorisation) and severity \
            `urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error`, i.e. a refusal without \
            preview",
    why: "the text: the severity MUST be `…ErrorSeverityType:Error` unless EDM:ERR:0002 is used \
          (which may ask for a preview); the test, on `rs:AuthorizationExceptionType` only, \
          asserts the severity is NOT `…:Error`, so a plain authorisation refusal cannot pass. \
          The 2.0.1 rules test `@code != 'EDM:ERR:0002'` instead, as the text says",
}];

/// How a message is written: its profile and the version of its exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) profile: Profile,
    pub(crate) version: EdmVersion,
}

impl Profile {
    /// Every profile.
    pub const ALL: [Profile; 2] = [Profile::Oots, Profile::De];

    /// Whether this profile writes the deviations of [`DE_DEVIATIONS`].
    fn deviates(self) -> bool {
        self == Profile::De
    }

    /// Whether the extension slots of the node (`LegalBasis`, `Reason`) are written.
    pub(crate) fn extension_slots(self) -> bool {
        self.deviates()
    }

    /// Whether a person's identifier is written: an eIDAS identifier always, the IDNr in `De`
    /// only, one of another scheme never (the EDM admits only `eidas`).
    pub(crate) fn writes_person_identifier(self, id: &PersonIdentifier) -> bool {
        match id {
            PersonIdentifier::Eidas(_) => true,
            PersonIdentifier::TaxId(_) => self.deviates(),
            PersonIdentifier::Other(_) => false,
        }
    }

    /// Whether the procedure is written: a code always, free text in `De` only.
    pub(crate) fn writes_procedure(self, procedure: &Procedure) -> bool {
        match procedure {
            Procedure::Code(_) => true,
            Procedure::Text(_) => self.deviates(),
        }
    }
}

/// The deviation of [`DE_DEVIATIONS`] named `key`.
pub fn deviation(key: &str) -> Option<&'static Deviation> {
    DE_DEVIATIONS.iter().find(|d| d.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deviation_table_is_well_formed() {
        for (i, d) in DE_DEVIATIONS.iter().enumerate() {
            assert_eq!(deviation(d.key), Some(d));
            assert!(
                DE_DEVIATIONS[i + 1..].iter().all(|o| o.key != d.key),
                "{}",
                d.key
            );
            for rule in d.breaks.iter().chain(d.against_the_text_of) {
                assert!(rule.starts_with("R-EDM-"), "{rule}");
            }
            assert!(!d.why.is_empty() && !d.what.is_empty());
        }
        assert_eq!(deviation("none"), None);
        assert!(!Profile::Oots.extension_slots() && Profile::De.extension_slots());
    }
}
