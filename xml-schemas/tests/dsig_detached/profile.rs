//! Signatures outside the profile: valid XML Signatures that xmlsec1 makes, wrapping, foreign
//! algorithms and transforms, the reader's limits; each refused for its own reason.

use once_xml::Limits;
use once_xml::dsig::DsigError;
use once_xml::dsig::detached::{self, OBJECT_ID};

use super::referee::Referee;
use super::{EVIDENCE_1, EVIDENCE_2, MESSAGE, ours, parts, properties, replace_once};

const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const INCLUSIVE_C14N: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";

/// A template for `xmlsec1 --sign`: our profile's frame around `references` and `after_key_info`.
fn template(signature_method: &str, references: &str, after_key_info: &str) -> String {
    format!(
        concat!(
            r#"<ds:Signature xmlns:ds="{DSIG}"><ds:SignedInfo>"#,
            r#"<ds:CanonicalizationMethod Algorithm="{EXC_C14N}"/>"#,
            r#"<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#{method}"/>"#,
            r#"{references}</ds:SignedInfo><ds:SignatureValue/>"#,
            r#"<ds:KeyInfo><ds:X509Data/></ds:KeyInfo>{after}</ds:Signature>"#
        ),
        DSIG = DSIG,
        EXC_C14N = EXC_C14N,
        method = signature_method,
        references = references,
        after = after_key_info,
    )
}

/// A `ds:Reference` with these transforms and digest algorithm, for xmlsec1 to fill in.
fn reference(uri: &str, transforms: &[&str], digest: &str) -> String {
    let transforms = if transforms.is_empty() {
        String::new()
    } else {
        let list: String = transforms
            .iter()
            .map(|t| format!(r#"<ds:Transform Algorithm="{t}"/>"#))
            .collect();
        format!("<ds:Transforms>{list}</ds:Transforms>")
    };
    format!(
        r#"<ds:Reference URI="{uri}">{transforms}<ds:DigestMethod Algorithm="{digest}"/><ds:DigestValue/></ds:Reference>"#
    )
}

/// The `ds:Object` of our signature with the properties.
fn object(signature: &str) -> &str {
    let start = signature.find("<ds:Object").expect("object");
    let end = signature.find("</ds:Object>").expect("object end") + "</ds:Object>".len();
    &signature[start..end]
}

/// The `ds:Reference` templates of the three parts, and of the object.
fn reference_templates() -> (String, String) {
    let parts = [MESSAGE, EVIDENCE_1, EVIDENCE_2]
        .iter()
        .map(|uri| reference(uri, &[], SHA256))
        .collect();
    let object = reference(&format!("#{OBJECT_ID}"), &[EXC_C14N], SHA256);
    (parts, object)
}

#[test]
fn signatures_xmlsec1_makes_in_the_profile_verify_with_ours() {
    let referee = Referee::new();
    let parts = parts();
    let ours_signed = referee.sign(&parts, Some(&properties()));
    let (part_refs, object_ref) = reference_templates();
    // Ours verifies what xmlsec1 signed (its line breaks in base64 included).
    let signed = referee.xmlsec1_sign(
        &template(
            "ecdsa-sha256",
            &format!("{part_refs}{object_ref}"),
            object(&ours_signed),
        ),
        &parts,
    );
    let verified = ours(&signed, &parts)
        .unwrap_or_else(|e| panic!("our verify refused xmlsec1's signature: {e}\n{signed}"));
    assert_eq!(verified.references, [MESSAGE, EVIDENCE_1, EVIDENCE_2]);
    assert_eq!(verified.properties, Some(properties()));
    assert_eq!(verified.signer_certificate(), referee.cert_der());
}

/// Templates of valid XML signatures outside the profile (what, references, what follows
/// `ds:KeyInfo`, our refusal); `object` is the `ds:Object` of a signature of ours, `message_file`
/// the file that holds the message part.
fn outside_profile(
    object: &str,
    message_file: &str,
) -> Vec<(&'static str, String, String, DsigError)> {
    let (part_refs, object_ref) = reference_templates();
    let sha1 = "http://www.w3.org/2000/09/xmldsig#sha1";
    vec![
        (
            "the same part twice",
            format!("{part_refs}{}{object_ref}", reference(MESSAGE, &[], SHA256)),
            object.to_owned(),
            DsigError::DuplicateReference(MESSAGE.into()),
        ),
        (
            "a part digested with SHA-1",
            format!("{}{object_ref}", reference(MESSAGE, &[], sha1)),
            object.to_owned(),
            DsigError::Algorithm {
                element: "ds:DigestMethod",
                found: sha1.into(),
                required: SHA256,
            },
        ),
        (
            "a part canonicalised instead of digested as sent",
            format!("{}{object_ref}", reference(MESSAGE, &[EXC_C14N], SHA256)),
            object.to_owned(),
            DsigError::ReferenceTransforms {
                uri: MESSAGE.into(),
                found: vec![EXC_C14N.into()],
                required: "none for a part (its raw octets are digested)",
            },
        ),
        (
            "the object without its transform",
            format!(
                "{part_refs}{}",
                reference(&format!("#{OBJECT_ID}"), &[], SHA256)
            ),
            object.to_owned(),
            DsigError::ReferenceTransforms {
                uri: format!("#{OBJECT_ID}"),
                found: vec![],
                required: "exactly [exc-c14n] for the ds:Object",
            },
        ),
        (
            "an unsigned object",
            part_refs.clone(),
            object.to_owned(),
            DsigError::UnreferencedObject,
        ),
        (
            "the object alone",
            object_ref.clone(),
            object.to_owned(),
            DsigError::NoParts,
        ),
        (
            "a part read from a local file",
            reference(&format!("file://{message_file}"), &[], SHA256),
            String::new(),
            DsigError::DetachedUri(Some(format!("file://{message_file}"))),
        ),
    ]
}

#[test]
fn valid_signatures_outside_the_profile_are_refused_for_their_reason() {
    let referee = Referee::new();
    let parts = parts();
    let ours_signed = referee.sign(&parts, Some(&properties()));
    // xmlsec1_sign writes the parts to files first: part-0.bin is the message.
    let message_file = referee.path("part-0.bin").display().to_string();
    for (what, references, after_key_info, refusal) in
        outside_profile(object(&ours_signed), &message_file)
    {
        let signed = referee.xmlsec1_sign(
            &template("ecdsa-sha256", &references, &after_key_info),
            &parts,
        );
        referee
            .xmlsec1_verify(&signed, &parts)
            .unwrap_or_else(|e| panic!("xmlsec1 refused its own signature ({what}): {e}"));
        assert_eq!(
            ours(&signed, &parts).err(),
            Some(refusal),
            "{what}\n{signed}"
        );
    }
    let (part_refs, _) = reference_templates();
    let signed = referee.xmlsec1_sign(&template("ecdsa-sha1", &part_refs, ""), &parts);
    assert_eq!(
        ours(&signed, &parts).err(),
        Some(DsigError::Algorithm {
            element: "ds:SignatureMethod",
            found: "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1".into(),
            required: "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
        })
    );
}

/// A copy of a signature changed by an attacker or a broken peer, and what ours says of it.
struct Tampered {
    what: &'static str,
    xml: String,
    refusal: DsigError,
    /// Whether xmlsec1 refuses it too. It accepts (1.2.37) the copies whose signed bytes are
    /// unchanged and only their place or an unsigned attribute is not: the wrapping the profile
    /// exists to refuse.
    xmlsec1_refuses: bool,
}

/// The case of a [`Tampered`] copy.
fn case(what: &'static str, xml: String, refusal: DsigError, xmlsec1_refuses: bool) -> Tampered {
    Tampered {
        what,
        xml,
        refusal,
        xmlsec1_refuses,
    }
}

/// Copies of `signed` (over three parts, with properties) wrapped in some way: an Id, an object
/// or a signature where the profile has none.
fn wrapped_copies(signed: &str) -> Vec<Tampered> {
    let object = object(signed);
    let without_object = signed.replace(object, "");
    let key_info_end = "</ds:X509Data></ds:KeyInfo>";
    let edit = |from: &str, to: &str| replace_once(signed, from, to);
    vec![
        case(
            "an Id used twice",
            edit(
                "<ds:SignatureValue>",
                &format!(r#"<ds:SignatureValue Id="{OBJECT_ID}">"#),
            ),
            DsigError::DuplicateId(OBJECT_ID.into()),
            true,
        ),
        case(
            "a second object (with the same Id) before the signed one",
            edit(
                "</ds:KeyInfo>",
                &format!(r#"</ds:KeyInfo><ds:Object Id="{OBJECT_ID}"/>"#),
            ),
            DsigError::ObjectCount(2),
            true,
        ),
        case(
            "an Id on the signature",
            edit("<ds:Signature ", r#"<ds:Signature Id="s" "#),
            DsigError::StrayId {
                element: "Signature".into(),
                attribute: "Id".into(),
                id: "s".into(),
            },
            false,
        ),
        case(
            "an xml:id in the properties",
            edit("<mp:MessageId>", r#"<mp:MessageId xml:id="m">"#),
            DsigError::StrayId {
                element: "MessageId".into(),
                attribute: "xml:id".into(),
                id: "m".into(),
            },
            true,
        ),
        case(
            "the object inside ds:KeyInfo",
            without_object.replace(
                key_info_end,
                &format!("</ds:X509Data>{object}</ds:KeyInfo>"),
            ),
            DsigError::MisplacedObject {
                parent: "ds:KeyInfo".into(),
            },
            false,
        ),
        case(
            "the object inside another object",
            without_object.replace(
                key_info_end,
                &format!("{key_info_end}<ds:Object>{object}</ds:Object>"),
            ),
            DsigError::MisplacedObject {
                parent: "ds:Object".into(),
            },
            false,
        ),
        case(
            "the object missing",
            without_object.clone(),
            DsigError::MissingObject(format!("#{OBJECT_ID}")),
            true,
        ),
        case(
            "a second ds:Signature in the object",
            edit("</ds:Object>", "<ds:Signature/></ds:Object>"),
            DsigError::Multiple(2),
            true,
        ),
        case(
            "another document element",
            format!("<x>{signed}</x>"),
            DsigError::Structure(format!(
                "the document element must be ds:Signature ({DSIG}), not x (no namespace)"
            )),
            false,
        ),
    ]
}

/// Copies of `signed` with a reference, an algorithm, a transform or the signature value outside
/// the profile.
fn foreign_copies(signed: &str) -> Vec<Tampered> {
    let object_ref = format!("#{OBJECT_ID}");
    let edit = |from: &str, to: &str| replace_once(signed, from, to);
    let value_start = signed.find("<ds:SignatureValue>").expect("value") + 19;
    let part_transform =
        format!(r#"<ds:Transforms><ds:Transform Algorithm="{DSIG}base64"/></ds:Transforms>"#);
    let xpointer = "#xpointer(id('message-properties'))";
    vec![
        case(
            "a reference without URI",
            edit(&format!(r#" URI="{MESSAGE}""#), ""),
            DsigError::DetachedUri(None),
            true,
        ),
        case(
            "the same part under another spelling of its URL",
            edit(EVIDENCE_1, "CID:message%40once"),
            DsigError::DuplicateReference("CID:message%40once".into()),
            true,
        ),
        case(
            "a whole-document reference",
            edit(&format!(r#"URI="{MESSAGE}""#), r#"URI="""#),
            DsigError::DetachedUri(Some(String::new())),
            true,
        ),
        case(
            "an XPointer to the object",
            edit(
                &format!(r#"URI="{object_ref}""#),
                &format!(r#"URI="{xpointer}""#),
            ),
            DsigError::MissingObject(xpointer.into()),
            true,
        ),
        case(
            "RSA",
            edit("xmldsig-more#ecdsa-sha256", "xmldsig-more#rsa-sha256"),
            DsigError::Algorithm {
                element: "ds:SignatureMethod",
                found: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256".into(),
                required: "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
            },
            true,
        ),
        case(
            "inclusive canonicalisation of ds:SignedInfo",
            edit(
                &format!(r#"<ds:CanonicalizationMethod Algorithm="{EXC_C14N}"/>"#),
                &format!(r#"<ds:CanonicalizationMethod Algorithm="{INCLUSIVE_C14N}"/>"#),
            ),
            DsigError::Algorithm {
                element: "ds:CanonicalizationMethod",
                found: INCLUSIVE_C14N.into(),
                required: EXC_C14N,
            },
            true,
        ),
        case(
            "an unknown transform on the object",
            edit(
                &format!(r#"<ds:Transform Algorithm="{EXC_C14N}"/>"#),
                r#"<ds:Transform Algorithm="urn:unknown"/>"#,
            ),
            DsigError::ReferenceTransforms {
                uri: object_ref.clone(),
                found: vec!["urn:unknown".into()],
                required: "exactly [exc-c14n] for the ds:Object",
            },
            true,
        ),
        case(
            "a base64 transform on a part",
            edit(
                &format!(r#"URI="{EVIDENCE_1}">"#),
                &format!(r#"URI="{EVIDENCE_1}">{part_transform}"#),
            ),
            DsigError::ReferenceTransforms {
                uri: EVIDENCE_1.into(),
                found: vec![format!("{DSIG}base64")],
                required: "none for a part (its raw octets are digested)",
            },
            true,
        ),
        case(
            "a short signature value",
            format!(
                "{}AAAA{}",
                &signed[..value_start],
                &signed[value_start + 88..]
            ),
            DsigError::SignatureLength(3),
            true,
        ),
    ]
}

#[test]
fn wrapping_and_profile_violations_are_refused() {
    let referee = Referee::new();
    let parts = parts();
    let signed = referee.sign(&parts, Some(&properties()));
    for tampered in wrapped_copies(&signed)
        .into_iter()
        .chain(foreign_copies(&signed))
    {
        let what = tampered.what;
        assert_eq!(
            ours(&tampered.xml, &parts).err(),
            Some(tampered.refusal),
            "{what}\n{}",
            tampered.xml
        );
        if tampered.xmlsec1_refuses {
            assert!(
                referee.xmlsec1_verify(&tampered.xml, &parts).is_err(),
                "xmlsec1 accepted {what}"
            );
        }
    }

    // A part the resolver does not know: the message arrived without it.
    assert_eq!(
        referee.both_refuse(&signed, &parts[..2], "a missing part"),
        DsigError::UnresolvedReference(EVIDENCE_2.into())
    );
}

#[test]
fn the_limits_of_the_reader_apply() {
    let referee = Referee::new();
    let parts = parts();
    let signed = referee.sign(&parts, Some(&properties()));
    let resolve = |uri: &str| {
        parts
            .iter()
            .find(|(u, _)| *u == uri)
            .map(|(_, bytes)| bytes.as_slice())
    };
    let verify = |xml: &str, limits: &Limits| detached::verify(xml.as_bytes(), limits, resolve);
    verify(&signed, &Limits::default()).expect("within the default limits");

    let small = Limits {
        max_bytes: signed.len() - 1,
        ..Limits::default()
    };
    let refusal = verify(&signed, &small);
    assert!(
        matches!(&refusal, Err(DsigError::Document(e)) if e.detail.contains("more than the limit")),
        "oversized: {refusal:?}"
    );
    // ds:Signature/ds:SignedInfo/ds:Reference/ds:Transforms/ds:Transform is five deep.
    let shallow = Limits {
        max_depth: 4,
        ..Limits::default()
    };
    assert!(
        matches!(verify(&signed, &shallow), Err(DsigError::Document(_))),
        "too deep"
    );
    let nested = replace_once(
        &signed,
        "</mp:MessageProperties>",
        &format!(
            "{}{}</mp:MessageProperties>",
            "<a>".repeat(40),
            "</a>".repeat(40)
        ),
    );
    assert!(
        matches!(
            verify(&nested, &Limits::default()),
            Err(DsigError::Document(_))
        ),
        "nesting beyond the default depth"
    );
    let many = Limits {
        max_elements: 10,
        ..Limits::default()
    };
    assert!(
        matches!(verify(&signed, &many), Err(DsigError::Document(_))),
        "too many elements"
    );
}

#[test]
fn signing_refuses_what_it_cannot_sign_honestly() {
    let referee = Referee::new();
    let signer = referee.signer();
    let message: &[u8] = b"<m/>";
    let sign = |parts: &[(&str, &[u8])]| detached::sign(&signer, parts, None);
    assert_eq!(sign(&[]), Err(DsigError::NoParts));
    assert_eq!(
        sign(&[(MESSAGE, message), ("cid:message%40once", message)]),
        Err(DsigError::DuplicateReference("cid:message%40once".into()))
    );
    for uri in [
        "message@once",
        "cid:",
        "http://example.org/m",
        "#x",
        "cid:a b",
    ] {
        assert_eq!(
            sign(&[(uri, message)]),
            Err(DsigError::DetachedUri(Some(uri.into()))),
            "{uri:?}"
        );
    }
    let mut properties = properties();
    properties.sender = "DE-HB:KOMMUNE:04011000\nX-Injected: yes".into();
    let refusal = detached::sign(&signer, &[(MESSAGE, message)], Some(&properties));
    assert!(
        matches!(&refusal, Err(DsigError::Properties(e)) if e.contains("Sender")),
        "{refusal:?}"
    );
    properties.sender = String::new();
    assert_eq!(
        detached::sign(&signer, &[(MESSAGE, message)], Some(&properties)),
        Err(DsigError::Properties("Sender is empty".into()))
    );
}
