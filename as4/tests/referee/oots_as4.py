"""An independent AS4 access point for the tests of once-as4: the PyPI package `as4`
(Apache-2.0, its own signing, encryption and receipt code on `cryptography` and `lxml`) with an
OOTS profile defined on it.

The package ships the Peppol profile only (SBDH-wrapped payloads, Peppol party ids). Its message
class holds the AS4 mechanics (RSA-SHA256 signature over eb:Messaging, the Body and every
payload, AES-128-GCM payload encryption under RSA-OAEP, receipts); the OOTS profile below reuses
all of that and replaces what is Peppol's: the eb:Messaging content (service QueryManager,
the OOTS actions, gateway roles, originalSender/finalRecipient/ExchangeId/SpecificationId), no
SBDH around the payload, and every MIME part read (Peppol reads one).

    oots_as4.py send --url URL --key K --cert C --partner-cert P --payload FILE [--tamper WHAT]
        builds an OOTS request from this access point (AP_AT_01) to AP_DE_01 carrying FILE,
        POSTs it, verifies the signal: prints {"receipt": true} for a receipt whose signature by
        the partner and non-repudiation information check out, {"error": code, "detail": …} for
        an error signal. --tamper attachment|unencrypted|replay changes what is sent.
    oots_as4.py receive --port N --key K --cert C --partner-cert P --schema XSD --out DIR
        serves one message on 127.0.0.1:N: validates its SOAP header against the ebMS3 XSD,
        opens it with the package, answers the receipt or error signal, writes the payloads and
        a summary (summary.json) into DIR, and exits.
    oots_as4.py ask --url URL … --payload FILE --port N --schema XSD --out DIR --tls-cert C
                    --tls-key K [--timeout S]
        a whole OOTS exchange with a node: serves HTTPS on 127.0.0.1:N for the answer (as
        `receive` does), sends the request (as `send` does) and waits for the answer; prints
        {"request": <what send prints>, "answer": <the summary of the answer>}.

    Common options: --party and --partner-party (the access points' party ids, AP_AT_01 and
    AP_DE_01 by default), --original-sender and --final-recipient (SCHEME,ID), --ca (the CA
    file that verifies an https:// URL).
"""

import argparse
import gzip
import json
import pathlib
import ssl
import sys
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import urllib3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree
from pydantic import BaseModel

from as4 import (
    AS4BaseCredentials,
    AS4ExternalParty,
    AS4InternalCredentials,
    AS4InternalParty,
    AS4LocalPrivateKey,
    AS4PartyIdentity,
    AS4ReceivingExchange,
    AS4References,
    SecurityPolicy,
    pinned_certificates,
)
from as4.core.message import AS4Message
from as4.core.profiles import AS4Profile
from as4.core.receipt import AS4Receipt
from as4.errors import PayloadPartNotFoundException, SoapPartNotFoundException
from as4.models.ebms.message_info import MessageId, MessageInfo, Timestamp
from as4.models.ebms.user_message import (
    Action,
    CollaborationInfo,
    ConversationId,
    MessageProperties,
    PartInfo,
    PartProperties,
    PartyFrom,
    PartyId,
    PartyInfo,
    PartyTo,
    PayloadInfo,
    Property,
    Role,
    Service,
    UserMessage,
)
from as4.models.common import NAMESPACES
from as4.profiles.peppol.message import PeppolAS4Message
from as4.utils.cipher_handler import CipherHandler
from as4.utils.mime_handler import MIMEHandler

OOTS_PARTY_TYPE = "urn:oasis:names:tc:ebcore:partyid-type:unregistered:oots"
GATEWAY = "http://sdg.europa.eu/edelivery/gateway"
EBMS_NS = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/"


class OotsArgs(BaseModel):
    namespace_map: dict[str, str] = NAMESPACES
    action: str = "ExecuteQueryRequest"
    original_sender: tuple[str, str] = ("urn:cef.eu:names:identifier:EAS:9914", "AT:BUND:familienbeihilfe")
    final_recipient: tuple[str, str] = ("urn:cef.eu:names:identifier:EAS:9930", "DE73524311")
    exchange_id: str = ""
    specification_id: str = "oots-edm:v1.0"


def gateway_party_id(party):
    return PartyId(value=party.identity.party_id, type_value=party.identity.party_type)


class OotsMessage(PeppolAS4Message):
    """The Peppol message class's AS4 mechanics with the OOTS header and no SBDH."""

    @classmethod
    def process(cls, fields, parse_context, soap_envelope_element, mime_attachments):
        # AS4Message.process: signature, decryption, digests, decompression; no SBDH.
        return super(PeppolAS4Message, cls).process(fields, parse_context, soap_envelope_element, mime_attachments)

    @classmethod
    def get_user_message(cls, local_party, remote_party, builder_args, references):
        parts = [
            PartInfo(
                part_properties=PartProperties(
                    properties=[
                        Property(name="MimeType", value="application/x-ebrs+xml"),
                        Property(name="CompressionType", value="application/gzip"),
                    ]
                ),
                href=f"cid:{attachment_id}",
            )
            for attachment_id in references.attachment_id_encrypted_data_id_map
        ]
        return UserMessage(
            message_info=MessageInfo(
                timestamp=Timestamp(value=datetime.now(UTC)), message_id=MessageId(value=references.message_id)
            ),
            # OOTS: both access points act in the gateway role (the package's default roles are
            # ebMS3's initiator/responder).
            party_info=PartyInfo(
                party_from=PartyFrom(party_id=gateway_party_id(local_party), role=Role(value=GATEWAY)),
                party_to=PartyTo(party_id=gateway_party_id(remote_party), role=Role(value=GATEWAY)),
            ),
            collaboration_info=CollaborationInfo(
                service=Service(value="QueryManager", type_value="urn:oasis:names:tc:ebcore:ebrs:ebms:binding:1.0"),
                action=Action(value=builder_args.action),
                conversation_id=ConversationId(value=references.conversation_id),
            ),
            message_properties=MessageProperties(
                properties=[
                    Property(name="originalSender", property_type=builder_args.original_sender[0],
                             value=builder_args.original_sender[1]),
                    Property(name="finalRecipient", property_type=builder_args.final_recipient[0],
                             value=builder_args.final_recipient[1]),
                    Property(name="ExchangeId", value=builder_args.exchange_id or str(uuid.uuid4())),
                    Property(name="SpecificationId", value=builder_args.specification_id),
                ]
            ),
            payload_info=PayloadInfo(part_info=parts),
        )

    @classmethod
    def build_message(cls, payload, *, local_party, remote_party, builder_args, references):
        compressed = gzip.compress(payload)
        session_key, encrypted = CipherHandler.encrypt_payload(compressed)
        encrypted_session_key = remote_party.credentials.rsa_public_key.encrypt(
            session_key,
            padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=b""),
        )
        attachment_id, _ = references.encrypted_data_attachment_mapping()
        envelope = cls.get_soap_envelope(
            local_party, remote_party, builder_args, references, encrypted_session_key,
            compressed_payloads={attachment_id: compressed},
        )
        return cls(
            soap_envelope=envelope,
            message_id=references.message_id,
            messaging_id=references.messaging_id,
            mime_attachments={attachment_id: encrypted},
            decrypted_data={attachment_id: payload},
        )


class OotsProfile(AS4Profile[OotsMessage, AS4Receipt, OotsArgs]):
    @classmethod
    def get_profile_name(cls):
        return "oots"

    @classmethod
    def message_class(cls):
        return OotsMessage

    @classmethod
    def receipt_class(cls):
        return AS4Receipt

    @classmethod
    def unpack_message(cls, payload):
        message = MIMEHandler.parser.parsebytes(payload)
        soap_part = MIMEHandler.get_soap_part(message)
        if soap_part is None:
            raise SoapPartNotFoundException()
        attachments = {}
        for part in message.iter_parts() if message.get_content_type() == "multipart/related" else []:
            content_id = MIMEHandler.get_content_id(part)
            if part is soap_part or content_id is None:
                continue
            attachments[content_id] = part.get_payload(decode=True)
        if not attachments:
            raise PayloadPartNotFoundException()
        return soap_part.get_payload(decode=True), attachments

    @classmethod
    def parse_receipt(cls, payload, expected_signer):
        return AS4Receipt.parse(payload, expected_signer)

    @classmethod
    def build_message(cls, payload, *, local_party, remote_party, builder_args, references=None):
        return OotsMessage.build_message(
            payload, local_party=local_party, remote_party=remote_party, builder_args=builder_args,
            references=references or AS4References(),
        )


def load_certificate(path):
    return x509.load_pem_x509_certificate(pathlib.Path(path).read_bytes())


def internal_party(party_id, key_path, cert_path):
    key = serialization.load_pem_private_key(pathlib.Path(key_path).read_bytes(), password=None)
    return AS4InternalParty(
        identity=AS4PartyIdentity(party_id=party_id, party_type=OOTS_PARTY_TYPE),
        credentials=AS4InternalCredentials(certificate=load_certificate(cert_path),
                                           private_key=AS4LocalPrivateKey(key)),
    )


def strip_encryption(message):
    """The same message with its payload in the clear: no EncryptedKey, no EncryptedData."""
    security = message.soap_envelope.header.security
    security.encrypted_key = None
    security.encrypted_data = None
    message.mime_attachments = {
        cid: gzip.compress(data) for cid, data in message.decrypted_data.items()
    }


def oots_args(args):
    return OotsArgs(
        original_sender=tuple(args.original_sender.split(",", 1)),
        final_recipient=tuple(args.final_recipient.split(",", 1)),
    )


def send(args):
    print(json.dumps(send_request(args)))


def send_request(args):
    local = internal_party(args.party, args.key, args.cert)
    remote = AS4ExternalParty(
        identity=AS4PartyIdentity(party_id=args.partner_party, party_type=OOTS_PARTY_TYPE),
        credentials=AS4BaseCredentials(certificate=load_certificate(args.partner_cert)),
    )
    message = OotsProfile.build_message(
        pathlib.Path(args.payload).read_bytes(), local_party=local, remote_party=remote, builder_args=oots_args(args)
    )
    if args.tamper == "unencrypted":
        strip_encryption(message)
    body, boundary = message.get_request_data()
    if args.tamper == "attachment":
        body = bytearray(body)
        at = body.rfind(b"\r\n--" + boundary.encode()) - 5
        body[at] ^= 0x01
        body = bytes(body)
    headers = message.get_http_headers(boundary)
    http = urllib3.PoolManager(ca_certs=args.ca) if args.ca else urllib3.PoolManager()
    times = 2 if args.tamper == "replay" else 1
    results = []
    for _ in range(times):
        response = http.request("POST", args.url, body=body, headers=headers, retries=False, timeout=30)
        results.append(read_signal(response.data, remote, message))
    return results[-1] | ({"first": results[0]} if times == 2 else {})


def read_signal(data, remote, message):
    receipt = OotsProfile.parse_receipt(data, remote.credentials.certificate)
    if receipt.original_message_id not in (None, message.message_id):
        return {"failed": f"the signal refers to {receipt.original_message_id}"}
    if receipt.error is not None:
        return {"error": receipt.error.error_code, "detail": receipt.error.error_detail.value
                if receipt.error.error_detail else None}
    receipt.verify_non_repudiation(message.signed_references)
    return {"receipt": True, "message_id": message.message_id}


def receive(args):
    server = answer_server(args)
    print("listening", flush=True)
    server.handle_request()


def answer_server(args):
    """An HTTP(S) server for one message on 127.0.0.1:args.port, writing what it got to args.out."""
    local = internal_party(args.party, args.key, args.cert)
    schema = etree.XMLSchema(etree.parse(args.schema))
    policy = SecurityPolicy(signer_resolver=pinned_certificates(load_certificate(args.partner_cert)),
                            verify_participants=False)
    out = pathlib.Path(args.out)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            headers = {"Content-Type": self.headers["Content-Type"]}
            exchange = AS4ReceivingExchange[OotsMessage, AS4Receipt, OotsArgs](profile=OotsProfile, local_party=local)
            exchange.receive(request_headers=headers, request_body=body, security_policy=policy)
            summary = {"successful": exchange.successful}
            message = exchange.message
            if message is not None and message.parse_error is not None:
                summary["error"] = message.parse_error.error_code
                summary["detail"] = message.parse_error.detail
            if message is not None and message.soap_envelope is not None and message.soap_envelope.etree_element is not None:
                envelope = message.soap_envelope.etree_element
                summary["header_valid"] = schema.validate(envelope)
                summary["header_errors"] = [str(e) for e in schema.error_log]
                user = envelope.find(f"{{http://www.w3.org/2003/05/soap-envelope}}Header/{{{EBMS_NS}}}Messaging/{{{EBMS_NS}}}UserMessage")
                if user is not None:
                    summary["action"] = user.findtext(f"{{{EBMS_NS}}}CollaborationInfo/{{{EBMS_NS}}}Action")
                    summary["service"] = user.findtext(f"{{{EBMS_NS}}}CollaborationInfo/{{{EBMS_NS}}}Service")
                    summary["message_id"] = user.findtext(f"{{{EBMS_NS}}}MessageInfo/{{{EBMS_NS}}}MessageId")
                    summary["ref_to_message_id"] = user.findtext(f"{{{EBMS_NS}}}MessageInfo/{{{EBMS_NS}}}RefToMessageId")
            parts = []
            for i, (cid, data) in enumerate((message.decrypted_data if message else {}).items()):
                (out / f"payload-{i}").write_bytes(data)
                parts.append(cid)
            summary["payloads"] = parts
            (out / "summary.json").write_text(json.dumps(summary))
            signal_headers, signal = exchange.build_signal()
            self.send_response(200)
            for name, value in signal_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(signal)))
            self.end_headers()
            self.wfile.write(signal)

        def log_message(self, *_):
            pass

    server = HTTPServer(("127.0.0.1", args.port), Handler)
    if getattr(args, "tls_cert", None):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    return server


def ask(args):
    """Sends a request to a node and waits for its answer on our own endpoint."""
    server = answer_server(args)
    server.timeout = args.timeout
    waiting = threading.Thread(target=server.handle_request)
    waiting.start()
    request = send_request(args)
    waiting.join(args.timeout + 5)
    summary = pathlib.Path(args.out) / "summary.json"
    answer = json.loads(summary.read_text()) if summary.exists() else None
    print(json.dumps({"request": request, "answer": answer}))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("send")
    r = sub.add_parser("receive")
    a = sub.add_parser("ask")
    for p in (s, a):
        p.add_argument("--url", required=True)
        p.add_argument("--tamper", choices=["attachment", "unencrypted", "replay"])
        p.add_argument("--payload", required=True)
        p.add_argument("--ca")
        p.add_argument("--original-sender", default="urn:cef.eu:names:identifier:EAS:9914,AT:BUND:familienbeihilfe")
        p.add_argument("--final-recipient", default="urn:cef.eu:names:identifier:EAS:9930,DE73524311")
    for p in (r, a):
        p.add_argument("--port", type=int, required=True)
        p.add_argument("--schema", required=True)
        p.add_argument("--out", required=True)
        p.add_argument("--tls-cert")
        p.add_argument("--tls-key")
    a.add_argument("--timeout", type=float, default=30)
    for p in (s, r, a):
        p.add_argument("--key", required=True)
        p.add_argument("--cert", required=True)
        p.add_argument("--partner-cert", required=True)
        p.add_argument("--party", default="AP_AT_01")
        p.add_argument("--partner-party", default="AP_DE_01")
    args = parser.parse_args()
    {"send": send, "receive": receive, "ask": ask}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
