//! Reading an evidence document: every element known and in its place, every value in its form.

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use super::{
    Address, BirthCertificate, Child, EuroAmount, EvidenceDocument, EvidenceKind, INCOME_KINDS,
    IncomeCertificate, IssuingAuthority, KindOfResidence, Municipality, Parent, Person,
    ResidenceCertificate, SEXES, digits,
};
use crate::EdmError;
use crate::slots::{DATE, single_child};
use crate::taxid::TaxId;
use crate::tree::Element;

/// XML Signature (`ds:`), allowed as the last child of a document.
const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";

/// The longest name or other text in a document, in characters (as in the XSDs).
const MAX_TEXT_CHARS: usize = 200;

/// Reads a document of any kind; the root element's namespace says which.
pub(super) fn document(root: &Element) -> Result<EvidenceDocument, EdmError> {
    let kind = EvidenceKind::ALL
        .into_iter()
        .find(|k| root.is(k.namespace(), k.root_element()))
        .ok_or_else(|| {
            EdmError::invalid(format!(
                "{} in {} is not an evidence document of this federation",
                root.local,
                root.ns.as_deref().unwrap_or("no namespace")
            ))
        })?;
    let doc = Node::root(root, kind)?;
    let head = Head::read(&doc)?;
    Ok(match kind {
        EvidenceKind::ResidenceCertificate => {
            EvidenceDocument::ResidenceCertificate(doc.residence_certificate(head)?)
        }
        EvidenceKind::IncomeCertificate => {
            EvidenceDocument::IncomeCertificate(doc.income_certificate(head)?)
        }
        EvidenceKind::BirthCertificate => {
            EvidenceDocument::BirthCertificate(doc.birth_certificate(head)?)
        }
    })
}

/// What every kind of document starts with.
struct Head {
    evidence_id: String,
    issue_date_time: OffsetDateTime,
    issuing_authority: IssuingAuthority,
}

impl Head {
    fn read(doc: &Node<'_>) -> Result<Head, EdmError> {
        Ok(Head {
            evidence_id: doc.identifier("EvidenceIdentifier")?,
            issue_date_time: doc.date_time("IssueDateTime")?,
            issuing_authority: doc.child("IssuingAuthority")?.issuing_authority()?,
        })
    }
}

/// The documents of each kind, read from their root after the [`Head`]. The elements are read
/// in document order, so that the first thing wrong is the one refused.
impl Node<'_> {
    fn residence_certificate(&self, head: Head) -> Result<ResidenceCertificate, EdmError> {
        let address = self.child("CurrentAddress")?;
        address.only(&["Street", "HouseNumber", "Postcode", "Municipality"])?;
        Ok(ResidenceCertificate {
            evidence_id: head.evidence_id,
            issue_date_time: head.issue_date_time,
            issuing_authority: head.issuing_authority,
            person: self.child("Person")?.person()?,
            address: address.address()?,
            moved_in_date: self.date("MovedInDate")?,
            kind_of_residence: self.checked("KindOfResidence", |s| match s {
                "main" => Some(KindOfResidence::Main),
                "secondary" => Some(KindOfResidence::Secondary),
                _ => None,
            })?,
        })
    }

    fn income_certificate(&self, head: Head) -> Result<IncomeCertificate, EdmError> {
        Ok(IncomeCertificate {
            evidence_id: head.evidence_id,
            issue_date_time: head.issue_date_time,
            issuing_authority: head.issuing_authority,
            person: self.child("Person")?.person()?,
            tax_year: self.checked("TaxYear", |s| {
                digits(s, 4).then(|| s.parse().ok()).flatten()
            })?,
            gross_annual_income: self.gross_annual_income()?,
            income_kind: self.checked("IncomeKind", |s| {
                INCOME_KINDS
                    .iter()
                    .find(|(_, code)| *code == s)
                    .map(|(kind, _)| *kind)
            })?,
            payer_name: self.optional_text("PayerName")?,
        })
    }

    fn birth_certificate(&self, head: Head) -> Result<BirthCertificate, EdmError> {
        let child = self.child("Child")?;
        child.only(&[
            "FamilyName",
            "GivenNames",
            "Sex",
            "DateOfBirth",
            "PlaceOfBirth",
        ])?;
        let parents = self.children("Parent");
        if parents.len() > 2 {
            return Err(EdmError::invalid(
                "BirthCertificate: at most two Parent elements",
            ));
        }
        Ok(BirthCertificate {
            evidence_id: head.evidence_id,
            issue_date_time: head.issue_date_time,
            issuing_authority: head.issuing_authority,
            child: child.birth_child()?,
            parents: parents
                .iter()
                .map(Node::parent)
                .collect::<Result<_, EdmError>>()?,
            register_entry_number: self.text("RegisterEntryNumber")?,
        })
    }
}

/// An element of a document being read, with the path that names it in refusals.
struct Node<'a> {
    element: &'a Element,
    ns: &'static str,
    path: String,
}

impl<'a> Node<'a> {
    /// The root, whose children must all be known (a `ds:Signature` may come last).
    fn root(element: &'a Element, kind: EvidenceKind) -> Result<Node<'a>, EdmError> {
        let node = Node {
            element,
            ns: kind.namespace(),
            path: kind.root_element().to_owned(),
        };
        let known: &[&str] = match kind {
            EvidenceKind::ResidenceCertificate => {
                &["Person", "CurrentAddress", "MovedInDate", "KindOfResidence"]
            }
            EvidenceKind::IncomeCertificate => &[
                "Person",
                "TaxYear",
                "GrossAnnualIncome",
                "IncomeKind",
                "PayerName",
            ],
            EvidenceKind::BirthCertificate => &["Child", "Parent", "RegisterEntryNumber"],
        };
        let children = &element.children;
        let signed = children.last().is_some_and(|c| c.is(DSIG, "Signature"));
        let unsigned = &children[..children.len() - usize::from(signed)];
        for child in unsigned {
            let head = ["EvidenceIdentifier", "IssueDateTime", "IssuingAuthority"];
            if !(child.ns.as_deref() == Some(node.ns)
                && (head.contains(&child.local.as_str()) || known.contains(&child.local.as_str())))
            {
                return Err(node.unknown(child));
            }
        }
        Ok(node)
    }

    fn unknown(&self, child: &Element) -> EdmError {
        EdmError::invalid(format!(
            "{}: the element {} in {} is not part of the document (a ds:Signature may only come last)",
            self.path,
            child.local,
            child.ns.as_deref().unwrap_or("no namespace")
        ))
    }

    /// Refuses any child but these, in the document's namespace.
    fn only(&self, known: &[&str]) -> Result<(), EdmError> {
        match self
            .element
            .children
            .iter()
            .find(|c| !(c.ns.as_deref() == Some(self.ns) && known.contains(&c.local.as_str())))
        {
            Some(child) => Err(self.unknown(child)),
            None => Ok(()),
        }
    }

    fn child(&self, local: &str) -> Result<Node<'a>, EdmError> {
        Ok(Node {
            element: single_child(self.element, self.ns, local, &self.path)?,
            ns: self.ns,
            path: format!("{}: {local}", self.path),
        })
    }

    fn children(&self, local: &str) -> Vec<Node<'a>> {
        self.element
            .children_named(self.ns, local)
            .enumerate()
            .map(|(i, element)| Node {
                element,
                ns: self.ns,
                path: format!("{}: {local}[{i}]", self.path),
            })
            .collect()
    }

    /// The text of the one child `local`: not blank, at most 200 characters.
    fn text(&self, local: &str) -> Result<String, EdmError> {
        let node = self.child(local)?;
        if let Some(child) = node.element.children.first() {
            return Err(EdmError::invalid(format!(
                "{} has the element {}, but only text is allowed",
                node.path, child.local
            )));
        }
        let text = node.element.trimmed_text();
        if text.is_empty() {
            return Err(EdmError::invalid(format!("{} is empty", node.path)));
        }
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(EdmError::invalid(format!(
                "{} is longer than {MAX_TEXT_CHARS} characters",
                node.path
            )));
        }
        Ok(text.to_owned())
    }

    fn optional_text(&self, local: &str) -> Result<Option<String>, EdmError> {
        match self.element.child(self.ns, local) {
            Some(_) => self.text(local).map(Some),
            None => Ok(None),
        }
    }

    /// The text of the one child `local`, read by `parse`; `None` from it is refused.
    fn checked<T>(&self, local: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, EdmError> {
        let text = self.text(local)?;
        parse(&text).ok_or_else(|| {
            EdmError::invalid(format!(
                "{}: {local} has an invalid value {text:?}",
                self.path
            ))
        })
    }

    fn identifier(&self, local: &str) -> Result<String, EdmError> {
        self.checked(local, |s| {
            (s.len() <= 256 && !s.chars().any(char::is_whitespace)).then(|| s.to_owned())
        })
    }

    fn date(&self, local: &str) -> Result<Date, EdmError> {
        self.checked(local, |s| Date::parse(s, DATE).ok())
    }

    fn date_time(&self, local: &str) -> Result<OffsetDateTime, EdmError> {
        self.checked(local, |s| OffsetDateTime::parse(s, &Rfc3339).ok())
    }

    fn issuing_authority(&self) -> Result<IssuingAuthority, EdmError> {
        self.only(&["MemberId", "Name"])?;
        Ok(IssuingAuthority {
            member_id: self.checked("MemberId", |s| member_id(s).then(|| s.to_owned()))?,
            name: self.text("Name")?,
        })
    }

    fn person(&self) -> Result<Person, EdmError> {
        self.only(&[
            "TaxId",
            "FamilyName",
            "GivenNames",
            "BirthName",
            "DateOfBirth",
            "PlaceOfBirth",
            "Nationality",
        ])?;
        let tax_id = self
            .text("TaxId")?
            .parse::<TaxId>()
            .map_err(|e| EdmError::invalid(format!("{}: TaxId: {e}", self.path)))?;
        Ok(Person {
            tax_id,
            family_name: self.text("FamilyName")?,
            given_names: self.text("GivenNames")?,
            birth_name: self.optional_text("BirthName")?,
            date_of_birth: self.date("DateOfBirth")?,
            place_of_birth: self.optional_text("PlaceOfBirth")?,
            nationality: match self.element.child(self.ns, "Nationality") {
                Some(_) => Some(self.checked("Nationality", |s| {
                    (s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()))
                        .then(|| s.to_owned())
                })?),
                None => None,
            },
        })
    }

    fn municipality(&self) -> Result<Municipality, EdmError> {
        self.only(&["Name", "Key"])?;
        Ok(Municipality {
            name: self.text("Name")?,
            key: self.checked("Key", |s| s.parse().ok())?,
        })
    }

    /// The fields of `CurrentAddress`, whose children were checked already.
    fn address(&self) -> Result<Address, EdmError> {
        Ok(Address {
            street: self.text("Street")?,
            house_number: self.checked("HouseNumber", house_number)?,
            postcode: self.checked("Postcode", |s| digits(s, 5).then(|| s.to_owned()))?,
            municipality: self.child("Municipality")?.municipality()?,
        })
    }

    /// `GrossAnnualIncome`, which must be in euros.
    fn gross_annual_income(&self) -> Result<EuroAmount, EdmError> {
        let amount = self.child("GrossAnnualIncome")?;
        if amount.element.attribute(None, "currency") != Some("EUR") {
            return Err(EdmError::invalid(
                "IncomeCertificate: GrossAnnualIncome must have currency=\"EUR\"",
            ));
        }
        self.checked("GrossAnnualIncome", |s| s.parse().ok())
    }

    /// The fields of a birth certificate's `Child`, whose children were checked already.
    fn birth_child(&self) -> Result<Child, EdmError> {
        Ok(Child {
            family_name: self.text("FamilyName")?,
            given_names: self.text("GivenNames")?,
            sex: self.checked("Sex", |s| {
                SEXES.iter().find(|(_, c)| *c == s).map(|(sex, _)| *sex)
            })?,
            date_of_birth: self.date("DateOfBirth")?,
            place_of_birth: self.child("PlaceOfBirth")?.municipality()?,
        })
    }

    /// A `Parent` of a birth certificate.
    fn parent(&self) -> Result<Parent, EdmError> {
        self.only(&["FamilyName", "GivenNames", "BirthName"])?;
        Ok(Parent {
            family_name: self.text("FamilyName")?,
            given_names: self.text("GivenNames")?,
            birth_name: self.optional_text("BirthName")?,
        })
    }
}

/// `instance:class:code`, no part empty, no whitespace.
fn member_id(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && !p.chars().any(char::is_whitespace))
}

/// One or two groups of up to 16 non-blank characters (`21`, `21a`, `3 b`).
fn house_number(text: &str) -> Option<String> {
    let group =
        |g: &str| !g.is_empty() && g.chars().count() <= 16 && !g.contains(char::is_whitespace);
    let valid = match text.split_once(' ') {
        Some((number, suffix)) => group(number) && group(suffix),
        None => group(text),
    };
    valid.then(|| text.to_owned())
}
