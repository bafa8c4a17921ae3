"""Opens an AS4 user message of the eDelivery AS4 2.0 EC profile on its own, with Python's
`cryptography` and `lxml` (both installed with the referee package `as4`): nothing of once-as4
is used. Called by `tests/ec_suite.rs` with a directory holding

    envelope.xml   the SOAP envelope (the MIME root part)
    parts/<cid>    each MIME attachment, by content id
    key.pem        the recipient's EC P-256 key (PKCS#8)
    sender.pem     the sender's certificate

It checks the ECDSA-SHA256 signature over the exclusive-C14N ds:SignedInfo, the digests of the
signed elements, agrees the key (ECDH with the ephemeral key in the xenc:AgreementMethod),
derives the key-encryption key (HKDF-SHA256 with the message's salt, info and key length),
unwraps the session key (RFC 3394), decrypts every part (AES-128-GCM: nonce, cipher text, tag),
checks each part's digest over the compressed bytes, decompresses, and prints a JSON report.
Any failure exits non-zero with the reason.
"""

import base64
import gzip
import hashlib
import json
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap
from lxml import etree

NS = {
    "S12": "http://www.w3.org/2003/05/soap-envelope",
    "wsse": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "xenc": "http://www.w3.org/2001/04/xmlenc#",
    "xenc11": "http://www.w3.org/2009/xmlenc11#",
    "dsig11": "http://www.w3.org/2009/xmldsig11#",
    "dsig-more": "http://www.w3.org/2021/04/xmldsig-more#",
}
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
ECDH_ES = "http://www.w3.org/2009/xmlenc11#ECDH-ES"
HKDF_URI = "http://www.w3.org/2021/04/xmldsig-more#hkdf"
HMAC_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"
KW_AES128 = "http://www.w3.org/2001/04/xmlenc#kw-aes128"
AES128_GCM = "http://www.w3.org/2009/xmlenc11#aes128-gcm"


def fail(reason):
    print(reason, file=sys.stderr)
    sys.exit(1)


def one(element, path):
    found = element.findall(path, NS)
    if len(found) != 1:
        fail(f"expected one {path}, found {len(found)}")
    return found[0]


def b64(element):
    return base64.b64decode("".join((element.text or "").split()))


def exc_c14n(element):
    return etree.tostring(element, method="c14n", exclusive=True, with_comments=False)


def main(directory):
    directory = Path(directory)
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    envelope = etree.fromstring((directory / "envelope.xml").read_bytes(), parser)
    security = one(envelope, "S12:Header/wsse:Security")

    # The signature: ECDSA-SHA256 (r || s) over the canonical SignedInfo, by the sender.
    signed_info = one(security, "ds:Signature/ds:SignedInfo")
    if one(signed_info, "ds:SignatureMethod").get("Algorithm") != ECDSA_SHA256:
        fail("the signature method is not ECDSA-SHA256")
    value = b64(one(security, "ds:Signature/ds:SignatureValue"))
    if len(value) != 64:
        fail(f"an ECDSA P-256 signature value has 64 bytes, not {len(value)}")
    sender = x509.load_pem_x509_certificate((directory / "sender.pem").read_bytes())
    der = encode_dss_signature(int.from_bytes(value[:32], "big"), int.from_bytes(value[32:], "big"))
    sender.public_key().verify(der, exc_c14n(signed_info), ec.ECDSA(hashes.SHA256()))

    references = {}
    checked = 0
    for reference in signed_info.findall("ds:Reference", NS):
        uri = reference.get("URI")
        digest = b64(one(reference, "ds:DigestValue"))
        if uri.startswith("#"):
            targets = envelope.xpath(
                "//*[@wsu:Id=$id]", namespaces={"wsu": NS["wsu"]}, id=uri[1:]
            )
            if len(targets) != 1:
                fail(f"{uri} names {len(targets)} elements")
            if hashlib.sha256(exc_c14n(targets[0])).digest() != digest:
                fail(f"the digest of {uri} does not match")
            checked += 1
        else:
            references[uri[len("cid:"):]] = digest

    # The session key: ECDH-ES with the ephemeral key, HKDF-SHA256, AES-128 key unwrap.
    encrypted_key = one(security, "xenc:EncryptedKey")
    if one(encrypted_key, "xenc:EncryptionMethod").get("Algorithm") != KW_AES128:
        fail("the key encryption is not AES-128 key wrap")
    agreement = one(encrypted_key, "ds:KeyInfo/xenc:AgreementMethod")
    if agreement.get("Algorithm") != ECDH_ES:
        fail("the key agreement is not ECDH-ES")
    derivation = one(agreement, "xenc11:KeyDerivationMethod")
    if derivation.get("Algorithm") != HKDF_URI:
        fail("the key derivation is not HKDF")
    params = one(derivation, "dsig-more:HKDFParams")
    if one(params, "dsig-more:PRF").get("Algorithm") != HMAC_SHA256:
        fail("the HKDF PRF is not HMAC-SHA256")
    point = b64(one(agreement, "xenc:OriginatorKeyInfo/ds:KeyValue/dsig11:ECKeyValue/dsig11:PublicKey"))
    ephemeral = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    key = serialization.load_pem_private_key((directory / "key.pem").read_bytes(), password=None)
    shared = key.exchange(ec.ECDH(), ephemeral)
    kek = HKDF(
        algorithm=hashes.SHA256(),
        length=int(one(params, "dsig-more:KeyLength").text),
        salt=b64(one(params, "dsig-more:Salt")),
        info=b64(one(params, "dsig-more:Info")),
    ).derive(shared)
    session_key = aes_key_unwrap(kek, b64(one(encrypted_key, "xenc:CipherData/xenc:CipherValue")))

    # Every part: AES-128-GCM, the digest over the compressed bytes, gzip.
    payloads = {}
    for data in security.findall("xenc:EncryptedData", NS):
        if one(data, "xenc:EncryptionMethod").get("Algorithm") != AES128_GCM:
            fail("a part is not encrypted with AES-128-GCM")
        cid = one(data, "xenc:CipherData/xenc:CipherReference").get("URI")[len("cid:"):]
        sealed = (directory / "parts" / cid).read_bytes()
        compressed = AESGCM(session_key).decrypt(sealed[:12], sealed[12:], None)
        if hashlib.sha256(compressed).digest() != references.get(cid):
            fail(f"the digest of the part {cid} does not match")
        checked += 1
        payloads[cid] = gzip.decompress(compressed).decode("utf-8")

    print(json.dumps({"signature": "valid", "references_checked": checked, "payloads": payloads}))


if __name__ == "__main__":
    main(sys.argv[1])
