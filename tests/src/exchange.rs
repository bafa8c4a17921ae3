//! Helpers for exchange tests: a member's mTLS client and message signer from its directory,
//! sample requests, and provider registers.

use std::path::Path;
use std::time::Duration;

use once_node::config::{Config, OotsConfig, OotsEvidenceType, OotsMember, ProviderConfig};
use once_node::db::registers::{self, ImportMode, Level, Register};
use once_node::db::{self, DbPool, rules};
use once_node::exchange::transport::{Outgoing, Sealed, envelope};
use once_node::operations::import::{self, Format};
use once_pki::MemberId;
use once_pki::ca::node_files;
use once_pki::files::{read_certs, read_key};
use once_xml::Profile;
use once_xml::dsig::Signer;
use once_xml::multipart::Part;
use once_xml::request::{
    Agent, Distribution, EdmVersion, EvidenceRequest, EvidenceType, Identifier, LocalizedText,
    MEMBER_SCHEME, NaturalPerson, PersonIdentifier, Procedure, Requirement, Subject,
};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::{TestFederation, TestFederationBuilder};

/// The provider of the exchange tests: the city of Bremen's population register.
pub const PROVIDER: &str = "DE-HB:KOMMUNE:04011000";
/// The requester of the exchange tests: Bremen's parental allowance office.
pub const REQUESTER: &str = "DE-HB:LAND:elterngeld";
/// The identification number of Jürgen Müller-Lüdenscheidt, born 1985-03-07, whom the test
/// registers know ([`RESIDENTS_CSV`], [`INCOMES_CSV`]).
pub const JUERGEN: &str = "65929970489";

/// The residence certificate classification.
pub const RESIDENCE: &str = "urn:once:evidence-type:residence-certificate";
/// The income certificate classification.
pub const INCOME: &str = "urn:once:evidence-type:income-certificate";
/// The birth certificate classification.
pub const BIRTH: &str = "urn:once:evidence-type:birth-certificate";

/// An HTTPS client authenticating with the TLS certificate in a member directory.
pub fn member_client(dir: &Path) -> anyhow::Result<reqwest::Client> {
    let tls = once_pki::tls::client_config(
        read_certs(&dir.join(node_files::CA_CERT))?,
        Vec::new(),
        read_certs(&dir.join(node_files::TLS_CERT))?,
        read_key(&dir.join(node_files::TLS_KEY))?,
    )?;
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(Duration::from_secs(20))
        .build()?)
}

/// A plain HTTP(S) client that trusts the federation root (for application endpoints and the
/// preview page).
pub fn browser(ca_pem: &Path) -> anyhow::Result<reqwest::Client> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in read_certs(ca_pem)? {
        roots.add(cert)?;
    }
    let tls = rustls::ClientConfig::builder_with_provider(once_pki::tls::provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()?)
}

/// The message signer of the member whose files are in `dir`.
pub fn member_signer(dir: &Path) -> anyhow::Result<Signer> {
    let key = read_key(&dir.join(node_files::SIGNING_KEY))?;
    let chain = read_certs(&dir.join(node_files::SIGNING_CERT))?;
    Ok(Signer::from_pkcs8_der(
        key.secret_der(),
        vec![chain[0].to_vec()],
    )?)
}

/// An agent with a member id.
pub fn agent(member: &str) -> Agent {
    Agent::new(
        Identifier {
            scheme: Some(MEMBER_SCHEME.into()),
            value: member.into(),
        },
        LocalizedText {
            lang: None,
            value: member.into(),
        },
    )
}

/// A residence-certificate request of the national profile from `requester` to `provider` about
/// the given person (a `tax_id` that is no valid identification number is left out).
pub fn request(
    requester: &str,
    provider: &str,
    tax_id: Option<&str>,
    family_name: &str,
    given_name: &str,
    born: &str,
) -> EvidenceRequest {
    let text = |s: &str| LocalizedText {
        lang: None,
        value: s.into(),
    };
    EvidenceRequest {
        id: uuid::Uuid::new_v4().to_string(),
        version: EdmVersion::default(),
        issue_date_time: OffsetDateTime::now_utc(),
        procedure: Some(Procedure::Text(text(PROCEDURE))),
        possibility_for_preview: false,
        explicit_request_given: true,
        preview_location: None,
        legal_basis: Some(LEGAL_BASIS.into()),
        requirements: vec![Requirement {
            identifier: LEGAL_BASIS.into(),
            names: vec![text("Proof of residence")],
        }],
        requester: agent(requester),
        provider: agent(provider),
        subject: Subject::NaturalPerson(NaturalPerson {
            level_of_assurance: None,
            identifier: tax_id
                .and_then(|id| id.parse().ok())
                .map(PersonIdentifier::TaxId),
            family_name: family_name.into(),
            given_name: given_name.into(),
            date_of_birth: import::parse_date(born).expect("date"),
        }),
        evidence_type: EvidenceType {
            identifier: uuid::Uuid::new_v4().to_string(),
            classification: RESIDENCE.into(),
            titles: vec![text("Residence certificate")],
            descriptions: Vec::new(),
            distribution: Distribution::new("application/xml"),
        },
        representative: None,
    }
}

/// Seals an EDM document as the national transport does (`multipart/related` with a detached
/// signature by `signer`), from member `sender` to member `receiver`.
pub fn seal_document(
    signer: &Signer,
    sender: &str,
    receiver: &str,
    document: &[u8],
    attachments: &[Part<'_>],
) -> Sealed {
    let (sender, receiver): (MemberId, MemberId) = (
        sender.parse().expect("sender"),
        receiver.parse().expect("receiver"),
    );
    envelope::seal(
        signer,
        &Outgoing {
            document,
            attachments,
            sender: &sender,
            receiver: &receiver,
            in_reply_to: None,
        },
    )
    .expect("seal")
}

/// Seals a request from member `sender` (whose signer is `signer`) for the provider it names.
pub fn seal(signer: &Signer, sender: &str, request: &EvidenceRequest) -> Sealed {
    seal_document(
        signer,
        sender,
        &request.provider.identifier.value,
        request.to_xml_as(Profile::De).as_bytes(),
        &[],
    )
}

/// The procedure the test rules allow.
pub const PROCEDURE: &str = "Elterngeld";
/// The legal basis the test rules allow.
pub const LEGAL_BASIS: &str = "§ 9 BEEG";

/// The residents of the test population register. Two "Anna Schmidt" born the same day make
/// matching without an identification number ambiguous.
pub const RESIDENTS_CSV: &str = "tax_id,family_name,given_name,date_of_birth,street,house_number,postcode,municipality,ags,moved_in\n\
65929970489,Müller-Lüdenscheidt,Jürgen,1985-03-07,Am Markt,1,28195,Bremen,04011000,2010-01-01\n\
36574261809,Schmidt,Anna,1990-12-31,Obernstraße,5a,28195,Bremen,04011000,2015-06-01\n\
47036892816,Schmidt,Anna,1990-12-31,Sögestraße,12,28195,Bremen,04011000,2018-02-01\n";

/// Adds the population register with [`RESIDENTS_CSV`] and a rule for `requester`.
pub async fn population_register(pool: &DbPool, requester: &str) -> anyhow::Result<()> {
    let register = Register {
        id: "melderegister-bremen".parse().expect("register id"),
        name: "Melderegister Bremen".into(),
        evidence_types: vec![RESIDENCE.into()],
        level: Level::Municipality,
        jurisdictions: vec!["04011000".into()],
        legal_basis: "§ 18 BMG".into(),
        created_at: 0,
        updated_at: 0,
        register_type: Some("melderegister".into()),
        standards: vec!["XMeld".into()],
    };
    add_register(pool, register, RESIDENTS_CSV, requester).await
}

/// Creates an API key on a node.
pub async fn api_key(pool: &DbPool, name: &str) -> anyhow::Result<String> {
    let name = name.to_owned();
    let (_, secret) = db::run(pool, move |conn| {
        once_node::db::api_keys::create(conn, &name)
            .map_err(|e| db::DbError::Conflict(e.to_string()))
    })
    .await?;
    Ok(secret)
}

/// The incomes of the test income register (a state-level register of Bremen).
pub const INCOMES_CSV: &str = "tax_id,family_name,given_name,date_of_birth,tax_year,gross_income,income_kind,payer\n\
65929970489,Müller-Lüdenscheidt,Jürgen,1985-03-07,2025,41234.50,employment,Stahlwerke Bremen GmbH\n";

/// Adds a state-level income register of Bremen ("04") with [`INCOMES_CSV`] and a rule for
/// `requester`.
pub async fn income_register(pool: &DbPool, requester: &str) -> anyhow::Result<()> {
    let register = Register {
        id: "einkommen-hb".parse().expect("register id"),
        name: "Einkommensnachweise Bremen".into(),
        evidence_types: vec![INCOME.into()],
        level: Level::State,
        jurisdictions: vec!["04".into()],
        legal_basis: "§ 93 AO".into(),
        created_at: 0,
        updated_at: 0,
        register_type: None,
        standards: Vec::new(),
    };
    add_register(pool, register, INCOMES_CSV, requester).await
}

/// Adds `register` (of one evidence type) with the records in `csv`, and a rule that lets
/// `requester` receive its evidence for [`PROCEDURE`] on [`LEGAL_BASIS`].
pub async fn add_register(
    pool: &DbPool,
    register: Register,
    csv: &str,
    requester: &str,
) -> anyhow::Result<()> {
    let evidence_type = register.evidence_types[0].clone();
    let records = import::parse(
        csv.as_bytes(),
        Format::Csv,
        register.id.as_str(),
        std::slice::from_ref(&evidence_type),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let requester = requester.to_owned();
    let conflict = |e: &dyn std::fmt::Display| db::DbError::Conflict(e.to_string());
    db::run(pool, move |conn| {
        registers::add(conn, &register).map_err(|e| conflict(&e))?;
        registers::import(conn, &register.id, &records, ImportMode::Append)
            .map_err(|e| conflict(&e))?;
        rules::add(conn, &requester, &evidence_type, PROCEDURE, LEGAL_BASIS)
            .map_err(|e| conflict(&e))?;
        Ok(())
    })
    .await?;
    Ok(())
}

/// Starts [`PROVIDER`] as node 0 of a federation from `builder`, with the population register
/// ([`population_register`]) and a rule for [`REQUESTER`].
pub async fn start_provider(builder: TestFederationBuilder) -> anyhow::Result<TestFederation> {
    let fed = builder.member(PROVIDER).start().await?;
    population_register(&fed.node(0).pool(), REQUESTER).await?;
    Ok(fed)
}

/// Adds and starts [`REQUESTER`] with `providers` in its table, configured further by `f`;
/// returns an API key of its application endpoint.
pub async fn add_requester(
    fed: &mut TestFederation,
    providers: Vec<ProviderConfig>,
    f: impl Fn(&mut Config) + 'static,
) -> anyhow::Result<String> {
    let requester = fed
        .add_member(REQUESTER, move |c| {
            c.providers = providers.clone();
            f(c);
        })
        .await?;
    api_key(&requester.pool(), "app").await
}

/// Bremen's population register ([`PROVIDER`]) as a requester's provider at `url`.
pub fn bremen_provider(url: String) -> ProviderConfig {
    ProviderConfig {
        member: PROVIDER.parse().expect("member id"),
        name: None,
        url,
        evidence_types: vec![RESIDENCE.into()],
        jurisdictions: vec!["04011".into()],
        tls_fingerprint: None,
        profile: None,
    }
}

/// Jürgen ([`JUERGEN`]) as the subject of a request on the application endpoint.
pub fn juergen() -> Value {
    json!({"tax_id": JUERGEN, "family_name": "Müller-Lüdenscheidt", "given_name": "Jürgen",
           "date_of_birth": "1985-03-07"})
}

/// The body of an application's request for Jürgen's residence certificate in Bremen, for
/// `procedure` on [`LEGAL_BASIS`].
pub fn residence_query(procedure: &str) -> Value {
    json!({
        "evidence_type": RESIDENCE,
        "subject": juergen(),
        "procedure": procedure,
        "legal_basis": LEGAL_BASIS,
        "jurisdiction": "04011000",
    })
}

/// A residence-certificate request from `requester` to `provider` about Jürgen.
pub fn juergen_request(requester: &str, provider: &str) -> EvidenceRequest {
    request(
        requester,
        provider,
        Some(JUERGEN),
        "Müller-Lüdenscheidt",
        "Jürgen",
        "1985-03-07",
    )
}

/// The residence certificate in the Semantic Repository (as an Evidence Broker would name it).
pub const SR_RESIDENCE: &str = "https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/2c3b5f5a-0d8e-4c2f-9a41-5d1f3b1e7c11";
pub const SR_MODEL: &str =
    "https://sr.oots.tech.europa.eu/distributions/once-residence-certificate-1";
/// The requirement an OOTS requester names, and the provider's access rule for it.
pub const SR_REQUIREMENT: &str =
    "https://sr.oots.tech.europa.eu/requirements/0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
/// The OOTS procedure "requesting proof of residence".
pub const OOTS_PROCEDURE: &str = "S1";
pub const EAS_DE: &str = "urn:cef.eu:names:identifier:EAS:0204";

/// `[oots]` of a test node with agent id `agent_id`, knowing [`PROVIDER`] as
/// `04011000-buergeramt-01` and [`REQUESTER`] as `04-elterngeld-01`.
pub fn oots_config(agent_id: &str) -> OotsConfig {
    OotsConfig {
        agent_scheme: EAS_DE.into(),
        agent_id: agent_id.into(),
        country: "DE".into(),
        specification: "oots-edm:v1.0".into(),
        evidence_types: vec![OotsEvidenceType {
            evidence_type: RESIDENCE.into(),
            classification: SR_RESIDENCE.into(),
            conforms_to: Some(SR_MODEL.into()),
            requirement: Some(SR_REQUIREMENT.into()),
        }],
        members: vec![
            OotsMember {
                member: PROVIDER.parse().expect("member"),
                agent_scheme: EAS_DE.into(),
                agent_id: "04011000-buergeramt-01".into(),
            },
            OotsMember {
                member: REQUESTER.parse().expect("member"),
                agent_scheme: EAS_DE.into(),
                agent_id: "04-elterngeld-01".into(),
            },
        ],
    }
}

/// Asks the application endpoint at `app_url` with the API key `key` for evidence; the status
/// and the JSON answer.
pub async fn ask(http: &reqwest::Client, app_url: &str, key: &str, body: &Value) -> (u16, Value) {
    let response = http
        .post(format!("{app_url}/v1/evidence-requests"))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .expect("requester answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON answer"))
}

/// The boundary of a logged `multipart/related` message (from its first line).
pub fn logged_boundary(message: &[u8]) -> String {
    String::from_utf8_lossy(&message[..message.len().min(200)])
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("--"))
        .expect("a boundary line")
        .trim()
        .to_owned()
}

/// The provider's access rule for [`REQUESTER`]'s OOTS requests: the procedure code
/// [`OOTS_PROCEDURE`] and the Semantic Repository requirement [`SR_REQUIREMENT`].
pub async fn oots_rule(pool: &DbPool) -> anyhow::Result<()> {
    db::run(pool, |conn| {
        rules::add(conn, REQUESTER, RESIDENCE, OOTS_PROCEDURE, SR_REQUIREMENT)
            .map_err(|e| db::DbError::Conflict(e.to_string()))
    })
    .await?;
    Ok(())
}
