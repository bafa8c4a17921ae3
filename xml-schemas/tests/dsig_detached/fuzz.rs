//! Fuzz-style regressions: every truncation of a signature, every order of its references and
//! every one-bit change of its bytes, for both verifiers.

use once_xml::Limits;
use once_xml::dsig::DsigError;
use once_xml::dsig::detached;

use super::referee::Referee;
use super::{Parts, ours, parts, properties};

/// Our verifier over raw bytes (a change may make them invalid UTF-8).
fn ours_bytes(signature: &[u8], parts: &Parts) -> Result<detached::VerifiedDetached, DsigError> {
    detached::verify(signature, &Limits::default(), |uri| {
        parts
            .iter()
            .find(|(u, _)| *u == uri)
            .map(|(_, bytes)| bytes.as_slice())
    })
}

/// Every prefix of a signature is refused, without a panic: the reader, the offsets of the
/// children and the profile checks meet every kind of unfinished document. xmlsec1 refuses a few
/// typical cuts too.
#[test]
fn every_truncated_signature_is_refused() {
    let referee = Referee::new();
    let parts = parts();
    let signed = referee.sign(&parts, Some(&properties()));
    for len in 0..signed.len() {
        assert!(
            ours_bytes(&signed.as_bytes()[..len], &parts).is_err(),
            "the signature cut at byte {len} verified"
        );
    }
    let close = "</ds:Signature>".len();
    let object = signed.find("<ds:Object").expect("object");
    for len in [
        signed.len() / 2,
        object,
        signed.len() - close,
        signed.len() - 1,
    ] {
        assert!(
            referee.xmlsec1_verify(&signed[..len], &parts).is_err(),
            "xmlsec1 verified the signature cut at byte {len}"
        );
    }
}

/// The start and end of each `ds:Reference` of `signature`, in order.
fn reference_spans(signature: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(start) = signature[from..].find("<ds:Reference ") {
        let start = from + start;
        let end = start + signature[start..].find("</ds:Reference>").expect("end") + 15;
        spans.push((start, end));
        from = end;
    }
    spans
}

/// `signature` with its `a`-th and `b`-th (`a < b`) references swapped.
fn swap(signature: &str, spans: &[(usize, usize)], a: usize, b: usize) -> String {
    let ((a_start, a_end), (b_start, b_end)) = (spans[a], spans[b]);
    [
        &signature[..a_start],
        &signature[b_start..b_end],
        &signature[a_end..b_start],
        &signature[a_start..a_end],
        &signature[b_end..],
    ]
    .concat()
}

/// The parts signed in any order verify with both, and the covered URIs come back in the signed
/// order. The same references reordered after signing (every digest still matching) fail both:
/// the order is signed.
#[test]
fn any_signed_order_of_references_verifies_and_a_reordering_does_not() {
    let referee = Referee::new();
    let parts = parts();
    let orders = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    for order in orders {
        let permuted: Parts = order.iter().map(|&i| parts[i].clone()).collect();
        let signed = referee.sign(&permuted, Some(&properties()));
        referee
            .xmlsec1_verify(&signed, &parts)
            .unwrap_or_else(|e| panic!("xmlsec1 refused the order {order:?}: {e}"));
        let verified = ours(&signed, &parts).expect("verify");
        let uris: Vec<&str> = permuted.iter().map(|(uri, _)| *uri).collect();
        assert_eq!(verified.references, uris);

        let spans = reference_spans(&signed);
        assert_eq!(spans.len(), 4, "three parts and the object");
        for (a, b) in [(0, 1), (1, 2), (0, 2), (2, 3)] {
            let reordered = swap(&signed, &spans, a, b);
            let what = format!("the order {order:?} with references {a} and {b} swapped");
            assert_eq!(
                referee.both_refuse(&reordered, &parts, &what),
                DsigError::BadSignature
            );
        }
    }
}

/// Every one-bit change of a signature's bytes is refused by ours; xmlsec1 refuses every
/// fifth of them too. The certificate's bytes are left out: a change there that keeps the
/// public key (in its signature or extensions) still verifies with ours, which does not check
/// the certificate; the caller's `once_pki::signing::SignerVerifier` refuses it (as xmlsec1,
/// which checks the chain, does).
#[test]
fn every_one_bit_change_outside_the_certificate_is_refused() {
    let referee = Referee::new();
    let parts = parts();
    let signed = referee.sign(&parts, Some(&properties()));
    let open = "<ds:X509Certificate>";
    let certificate_start = signed.find(open).expect("certificate") + open.len();
    let certificate_end = signed
        .find("</ds:X509Certificate>")
        .expect("certificate end");
    let positions =
        (0..signed.len()).filter(|at| !(certificate_start..certificate_end).contains(at));
    for (i, at) in positions.enumerate() {
        let mut changed = signed.clone().into_bytes();
        changed[at] ^= 0x01;
        let context = String::from_utf8_lossy(&changed[at.saturating_sub(20)..at + 1]).into_owned();
        assert!(
            ours_bytes(&changed, &parts).is_err(),
            "ours verified a change at byte {at} (…{context})"
        );
        if i % 5 == 0 {
            let changed = String::from_utf8(changed).expect("ASCII stays ASCII");
            assert!(
                referee.xmlsec1_verify(&changed, &parts).is_err(),
                "xmlsec1 verified a change at byte {at} (…{context})"
            );
        }
    }
}
