//! The commented `node.toml` that `once node init` writes.

use std::net::SocketAddr;

use once_pki::MemberId;

/// The optional sections of `node.toml`, commented out, with example values.
const OPTIONAL_SECTIONS: &str = r#"# The preview page where people see their evidence before it is sent (provider side).
# [preview]
# listen = "0.0.0.0:8444"
# public_url = "https://preview.example.org:8444"
# ttl_seconds = 900
# max_attempts = 5

# The register map: this node publishes its registers there and discovers providers.
# [map]
# url = "https://map.example:9443"
# member = "DE:BUND:registerlandkarte"
# peer_url = "https://this-node.example:8443"
# cache_seconds = 300

# This authority as a participant of the EU Once-Only Technical System (see OPERATIONS.md).
# [oots]
# agent_scheme = "urn:cef.eu:names:identifier:EAS:0204"
# agent_id = "04011000-BUERGERAMT-01"
# country = "DE"
# [[oots.evidence_types]]
# evidence_type = "urn:once:evidence-type:residence-certificate"
# classification = "https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/<UUID>"
# conforms_to = "https://sr.oots.tech.europa.eu/distributions/<data model>"
# requirement = "https://sr.oots.tech.europa.eu/requirements/<UUID>"
# [[oots.members]]
# member = "AT:BUND:familienbeihilfe"
# agent_scheme = "urn:cef.eu:names:identifier:EAS:9915"
# agent_id = "ATU00000024"

# This node as an eDelivery AS4 access point of the EU OOTS (needs [oots]; partners with
# `once as4 partner add`; see OPERATIONS.md, section 12).
# [as4]
# listen = "0.0.0.0:8445"
# public_url = "https://as4.example.org:8445/as4"
# party_id = "DE-HB-MELDEREGISTER-AP"
# key = "as4-key.pem"                 # RSA (eDelivery AS4 1.15) or EC P-256 (2.0 EC profile)
# certificate = "as4-cert.pem"
# ec_key = "as4-ec-key.pem"           # optional: a key of the other suite, for partners on it
# ec_certificate = "as4-ec-cert.pem"
# trust_store = "edelivery-ca.pem"

# Providers this node asks for evidence when the map does not know or is not configured.
# [[providers]]
# member = "DE-HB:KOMMUNE:04011000"
# name = "Bürgeramt Bremen"
# url = "https://melde.bremen.example:8443"
# evidence_types = ["urn:once:evidence-type:residence-certificate"]
# jurisdictions = ["04011000"]
# profile = "oots"
"#;

/// The commented `node.toml` that `once node init` writes.
pub fn render_node_toml(
    member_id: &MemberId,
    peer_listen: SocketAddr,
    app_listen: SocketAddr,
    database_url: &str,
) -> String {
    format!(
        r#"# Configuration of the once node for member {member_id}.
# Relative paths are relative to this file. Every field can be overridden by an environment
# variable: ONCE_<FIELD>, with __ between levels, e.g. ONCE_PEER__LISTEN=0.0.0.0:9443.

# This node's member id; it must equal the member id in the certificates below.
member_id = "{member_id}"

# A SQLite file (the default, one file per node) or a PostgreSQL URL for production,
# e.g. "postgres://once:secret@db.example/once" (several replicas may share one).
database_url = "{database_url}"

[peer]
# Where other nodes of the federation connect, with mutual TLS.
listen = "{peer_listen}"

[application]
# Where this authority's own application services connect. Keep it on loopback or an
# internal network.
listen = "{app_listen}"
# "api_key" (Authorization: Bearer <key>; keys from `once node api-key create`) or
# "mtls" (client certificates from client_ca; needs tls = true).
auth = "api_key"
tls = false
# client_ca = "app-clients-ca.pem"

[tls]
# The federation root and its CRL. The CRL is reloaded when the file changes and on SIGHUP.
ca = "ca.pem"
crl = "crl.pem"
# This node's TLS certificate and key (serverAuth + clientAuth).
cert = "tls.pem"
key = "tls.key"
crl_reload_seconds = 10
# When the CRL is past its nextUpdate: "refuse" every peer (safe) or "warn".
crl_expired = "refuse"

[signing]
# The message-signing certificate and key (digitalSignature + nonRepudiation).
cert = "signing.pem"
key = "signing.key"

[health]
# /readyz reports not ready when a certificate expires within this many days.
min_certificate_days = 14

[server]
# Worker threads per endpoint (0: one per CPU core).
workers = 0
# On shutdown, in-flight requests get this long to finish.
shutdown_grace_seconds = 30
pool_size = 8
pool_timeout_ms = 3000

[exchange]
# Requests whose IssueDateTime is further than this from our clock are refused (seconds).
issue_window_seconds = 300
# Largest message accepted, in bytes, and deepest XML nesting.
max_message_bytes = 4194304
max_depth = 32
# How long to wait for a provider's answer (milliseconds).
request_timeout_ms = 10000
# How often the message log's chain head is signed (seconds).
checkpoint_seconds = 60
# How long a peer may take to send a request body (milliseconds).
body_timeout_ms = 10000
# The profile of the message layer requests are written in when a provider's entry names none:
# "de" (national) or "oots" (the Commission's EDM rules; needs [oots]).
profile = "de"

{OPTIONAL_SECTIONS}"#
    )
}
