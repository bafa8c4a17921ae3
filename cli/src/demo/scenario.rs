//! The demo scenario, driven the way its actors would: the Elterngeld office's application
//! service asks its node over the application API, the citizen opens the preview page in a
//! browser (HTTPS with the demo CA), the providers' staff read the transfer record.

use std::time::{Duration, Instant};

use once_registry_map::catalogue::Catalogue;
use once_xml::discovery::DiscoveryOutcome;
use serde_json::{Value, json};

use super::citizens::SampleSubject;
use super::layout::{
    ABROAD, DemoFile, INCOME, LEGAL_BASIS, Layout, MEMBERS, Member, MemberEntry, PENSION,
    POPULATION, PROCEDURE, REQUESTER, RESIDENCE, oots,
};
use super::{Federation, Step, ok};
use crate::CliError;

/// What the scenario leaves for the closing notes.
#[derive(Debug)]
pub(super) struct Done {
    /// The person the scenario was about.
    pub subject: SampleSubject,
    /// The preview link the citizen used.
    pub preview_link: String,
}

/// Every node publishes its descriptor to the map (the requester too: it has no registers, but
/// the map shows it as a member); then the map must list the providers' registers as connected,
/// in place of their seed entries. Then `demo.json` is written with the time the federation was
/// ready.
pub(super) async fn publish(
    fed: &Federation,
    layout: &Layout,
    demo: &mut DemoFile,
    since: i64,
) -> Result<(), CliError> {
    for member in &MEMBERS {
        let step = format!("{} publishes to the register map", member.id);
        let started = Instant::now();
        let count = fed.node(member).publish().await.step(&step)?;
        ok(format!(
            "{} published its signed descriptor to the register map: {count} register{} ({})",
            member.id,
            if count == 1 { "" } else { "s" },
            super::seconds(started.elapsed())
        ));
    }
    let step = "the register map lists the members";
    let catalogue = fed.map.state().catalogue.load();
    let missing: Vec<&str> = MEMBERS
        .iter()
        .filter(|m| !published(&catalogue, m, since))
        .map(|m| m.id)
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the map has no current descriptor of {}",
            missing.join(", ")
        ))
        .step(step);
    }
    let seed_left = MEMBERS
        .iter()
        .filter_map(|m| m.register.map(|r| (m.id, r)))
        .any(|(id, r)| {
            catalogue
                .registers_of(id)
                .any(|g| g.register_type.as_deref() == Some(r.register_type) && !g.connected)
        });
    if seed_left {
        return Err("a seed entry of a published register is still listed beside it").step(step);
    }
    ok(format!(
        "the register map lists {} as connected members; {}/{} and {}/{} replace their seed entries ({} registers in all)",
        MEMBERS.map(|m| m.id).join(", "),
        POPULATION.id,
        POPULATION.register.map_or("", |r| r.id),
        PENSION.id,
        PENSION.register.map_or("", |r| r.id),
        catalogue.registers().len()
    ));

    demo.ready_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .ok();
    demo.write(layout).step("write demo.json")?;
    ok(format!(
        "wrote {} (mode 0600): members, URLs, API keys, paths, sample subjects",
        layout.demo_json().display()
    ));
    Ok(())
}

fn published(catalogue: &Catalogue, member: &Member, since: i64) -> bool {
    let current = catalogue
        .member(member.id)
        .and_then(|m| m.published_at)
        .is_some_and(|at| at >= since);
    current
        && member.register.is_none_or(|r| {
            catalogue
                .registers_of(member.id)
                .any(|g| g.local_id == r.id && g.connected)
        })
}

/// The scenario: discovery, a residence certificate, an income certificate with the preview
/// flow, a refused request, the transfer record, the exchanges on the map.
pub(super) async fn run(fed: &Federation, demo: &DemoFile) -> Result<Done, CliError> {
    let subject = demo
        .sample_subjects
        .first()
        .cloned()
        .ok_or("demo.json has no sample subjects")
        .step("choose a citizen")?;
    let entry = |member: &Member| {
        demo.member(member)
            .cloned()
            .ok_or_else(|| format!("demo.json has no member {}", member.id))
            .step("read demo.json")
    };
    let (requester, population, pension) =
        (entry(&REQUESTER)?, entry(&POPULATION)?, entry(&PENSION)?);
    let http = Http::new(&demo.ca).step("build an HTTPS client trusting the demo CA")?;
    let who = format!(
        "{} {} (born {}, identification number {}, living in {})",
        subject.given_name,
        subject.family_name,
        subject.date_of_birth,
        subject.tax_id,
        subject.municipality
    );

    discover(fed, &subject)
        .await
        .step("discover the providers")?;

    let step = "obtain a residence certificate";
    let answer = http
        .ask(&requester, &query(RESIDENCE, &subject, PROCEDURE))
        .await
        .and_then(|(status, answer)| expect_evidence(status, answer, &POPULATION, &subject))
        .step(step)?;
    let municipality = field(&answer, "address.municipality.key");
    if municipality != subject.ags {
        return Err(format!("the certificate names municipality {municipality}")).step(step);
    }
    ok(format!(
        "the Elterngeld office obtained a residence certificate for {who} from {}, signed:",
        POPULATION.id
    ));
    show(
        &answer,
        &["person.", "address.", "moved_in_date", "kind_of_residence"],
    );
    let residence_request = field(&answer, "request_id");

    let (income, preview_link) = with_preview(&http, &requester, &pension, &subject).await?;
    ok(format!(
        "the Elterngeld office obtained an income certificate for {} {} from {} after the citizen approved it, signed:",
        subject.given_name, subject.family_name, PENSION.id
    ));
    show(
        &income,
        &[
            "tax_year",
            "gross_annual_income_eur",
            "income_kind",
            "payer_name",
        ],
    );
    let income_request = field(&income, "request_id");

    let step = "a request without an access rule is refused";
    let refused = refusal(&http, &requester, &subject).await.step(step)?;
    ok(format!(
        "a request without an access rule (procedure \"Wohngeld\", § 23 WoGG) was refused by {}: {refused}",
        POPULATION.id
    ));

    cross_border(&http, &entry(&ABROAD)?, &population, &subject).await?;

    let step = "the transfers show in the citizen's transfer record";
    let residence_at = transfer(&http, &population, &subject, &residence_request, RESIDENCE)
        .await
        .step(step)?;
    let income_at = transfer(&http, &pension, &subject, &income_request, INCOME)
        .await
        .step(step)?;
    ok(format!(
        "the citizen's transfer record shows both transfers to {} for {PROCEDURE} ({LEGAL_BASIS}): the residence certificate from {} at {residence_at}, the income certificate from {} at {income_at}; the refused request is not in it",
        REQUESTER.id, POPULATION.id, PENSION.id
    ));

    flows(fed)
        .await
        .step("the register map shows the exchanges")?;
    Ok(Done {
        subject,
        preview_link,
    })
}

/// The requester's discovery client asks the map for both providers.
async fn discover(fed: &Federation, subject: &SampleSubject) -> Result<(), String> {
    let discovery = fed
        .node(&REQUESTER)
        .state()
        .requester
        .discovery()
        .cloned()
        .ok_or("the requester has no [map] configured")?;
    let mut found = Vec::new();
    for (evidence_type, expected) in [(RESIDENCE, &POPULATION), (INCOME, &PENSION)] {
        let answer = discovery
            .providers(evidence_type, Some(&subject.ags))
            .await
            .map_err(|e| e.to_string())?;
        let first = match &answer.outcome {
            DiscoveryOutcome::Providers(providers) => providers.first(),
            DiscoveryOutcome::MissingInput { message, .. } => return Err(message.clone()),
            other => return Err(format!("the map answered {other:?}")),
        };
        match first {
            Some(p) if p.member == expected.id => found.push(format!(
                "{} for {}s ({} level)",
                p.member,
                expected.register.map_or("evidence", |r| r.evidence),
                p.match_level.as_str()
            )),
            Some(p) => {
                return Err(format!(
                    "the map names {} first for {evidence_type}, expected {}",
                    p.member, expected.id
                ));
            }
            None => return Err(format!("the map knows no provider of {evidence_type}")),
        }
    }
    ok(format!(
        "discovery: for a citizen of {} ({}) the signed answers of the map name {}",
        subject.municipality,
        subject.ags,
        found.join(" and ")
    ));
    Ok(())
}

/// The income certificate, with the preview: the provider asks for the citizen's approval first;
/// the citizen opens the preview page, enters the one-time code from the (simulated) mailbox and
/// approves; the office sends the request again.
async fn with_preview(
    http: &Http,
    requester: &MemberEntry,
    pension: &MemberEntry,
    subject: &SampleSubject,
) -> Result<(Value, String), CliError> {
    let mut body = query(INCOME, subject, PROCEDURE);
    body["preview"] = json!(true);
    let (answer, location) = previewed(
        http,
        (&REQUESTER, requester),
        (&PENSION, pension),
        subject,
        body,
        "an income certificate",
    )
    .await?;
    if field(&answer, "tax_year").is_empty() || field(&answer, "gross_annual_income_eur").is_empty()
    {
        return Err(format!("the certificate has no income: {answer}"))
            .step("obtain an income certificate after the preview");
    }
    Ok((answer, location))
}

/// The cross-border exchange: Austria's family allowance office asks Bremen's population
/// register over OOTS, access point to access point over eDelivery AS4 (the `oots` profile: EAS agents, Semantic Repository evidence type, the
/// OOTS procedure code and requirement), naming the citizen by the eIDAS identifier the German
/// eID gave the Austrian service, with level of assurance High, and with the preview.
async fn cross_border(
    http: &Http,
    abroad: &MemberEntry,
    population: &MemberEntry,
    subject: &SampleSubject,
) -> Result<(), CliError> {
    let eidas_id = format!(
        "DE/AT/{}",
        &once_pki::sha256_hex(subject.tax_id.as_bytes())[..20]
    );
    let body = json!({
        "evidence_type": RESIDENCE,
        "subject": {
            "eidas_id": eidas_id,
            "level_of_assurance": "High",
            "family_name": subject.family_name,
            "given_name": subject.given_name,
            "date_of_birth": subject.date_of_birth,
        },
        "procedure": oots::PROCEDURE,
        "legal_basis": oots::REQUIREMENT,
        "provider": POPULATION.id,
        "transport": "as4",
        "preview": true,
    });
    let (answer, _) = previewed(
        http,
        (&ABROAD, abroad),
        (&POPULATION, population),
        subject,
        body,
        "a residence certificate over OOTS (eDelivery AS4)",
    )
    .await?;
    ok(format!(
        "{} ({}) obtained a residence certificate for {} {} from {} over OOTS (eDelivery AS4: signed, encrypted user messages, signed receipts; EDM 1.0, the oots profile: eIDAS identifier, level of assurance High, procedure {}, Semantic Repository evidence type), signed:",
        ABROAD.name,
        ABROAD.id,
        subject.given_name,
        subject.family_name,
        POPULATION.id,
        oots::PROCEDURE
    ));
    show(&answer, &["person.family_name", "address.municipality"]);
    Ok(())
}

/// Asks with a preview: the provider wants the citizen's approval first (202 with the preview
/// location on its preview page), the citizen approves, the requester asks again with the
/// location and gets the evidence. Returns the answer and the location.
async fn previewed(
    http: &Http,
    (requester, requester_entry): (&Member, &MemberEntry),
    (provider, provider_entry): (&Member, &MemberEntry),
    subject: &SampleSubject,
    mut body: Value,
    what: &str,
) -> Result<(Value, String), CliError> {
    let step = format!("obtain {what} with the preview");
    let (status, answer) = http.ask(requester_entry, &body).await.step(&step)?;
    if status != 202 || answer["status"] != "preview_required" {
        return Err(format!(
            "expected 202 preview_required, got HTTP {status}: {answer}"
        ))
        .step(&step);
    }
    let location = answer["preview_location"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let expected = provider_entry.preview_url.as_deref().unwrap_or("https://");
    if !location.starts_with(expected) {
        return Err(format!(
            "the preview location {location:?} is not on {expected}"
        ))
        .step(&step);
    }
    ok(format!(
        "{} ({}) asked for {what} with a preview; {} wants the citizen's approval first: {location}",
        requester.name, requester.id, provider.id
    ));

    let step = "the citizen approves on the preview page";
    citizen_approves(http, provider_entry, subject, &location)
        .await
        .step(step)?;
    ok(
        "the citizen opened the preview page, entered the one-time code from the simulated mailbox, saw the certificate and approved it",
    );

    let step = format!("obtain {what} after the preview");
    body["preview_location"] = json!(location);
    let answer = http
        .ask(requester_entry, &body)
        .await
        .and_then(|(status, answer)| expect_evidence(status, answer, provider, subject))
        .step(&step)?;
    Ok((answer, location))
}

async fn citizen_approves(
    http: &Http,
    pension: &MemberEntry,
    subject: &SampleSubject,
    location: &str,
) -> Result<(), String> {
    let (status, page) = http.page(location, None, None).await?;
    if status != 200 || !page.contains("one-time code") {
        return Err(format!("the preview page answered HTTP {status}"));
    }
    let mailbox = http
        .get(
            pension,
            &format!("/v1/preview-mailbox?subject={}", subject.tax_id),
        )
        .await?;
    let id = location.rsplit('/').next().unwrap_or_default();
    let code = mailbox["messages"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["preview_id"] == id))
        .and_then(|m| m["code"].as_str())
        .ok_or_else(|| format!("no one-time code for preview {id} in the mailbox: {mailbox}"))?
        .to_owned();
    let (status, page, cookie) = http
        .form(&format!("{location}/code"), &format!("code={code}"), None)
        .await?;
    let cookie = cookie
        .ok_or_else(|| format!("no session cookie after the one-time code (HTTP {status})"))?;
    if !page.contains(&subject.family_name) {
        return Err("the preview page does not show the certificate".into());
    }
    let (status, page, _) = http
        .form(
            &format!("{location}/decision"),
            "decision=approve",
            Some(&cookie),
        )
        .await?;
    if !page.contains("id=\"decided\"") {
        return Err(format!("the decision was not taken (HTTP {status})"));
    }
    Ok(())
}

/// The same citizen, a procedure no rule allows: the provider refuses.
async fn refusal(
    http: &Http,
    requester: &MemberEntry,
    subject: &SampleSubject,
) -> Result<String, String> {
    let mut body = query(RESIDENCE, subject, "Wohngeld");
    body["legal_basis"] = json!("§ 23 WoGG");
    let (status, answer) = http.ask(requester, &body).await?;
    let error = &answer["error"];
    if status != 403 || error["edm_code"] != "EDM:ERR:0002" || error["reason"] != "NoAccessRule" {
        return Err(format!(
            "expected HTTP 403 with EDM:ERR:0002 NoAccessRule, got HTTP {status}: {answer}"
        ));
    }
    Ok(format!(
        "HTTP 403, {} {}: {}",
        error["edm_code"].as_str().unwrap_or_default(),
        error["reason"].as_str().unwrap_or_default(),
        error["message"].as_str().unwrap_or_default()
    ))
}

/// The provider's transfer record of the citizen lists the request; returns when it was.
async fn transfer(
    http: &Http,
    provider: &MemberEntry,
    subject: &SampleSubject,
    request_id: &str,
    evidence_type: &str,
) -> Result<String, String> {
    let record = http
        .get(
            provider,
            &format!("/v1/transfers?subject={}", subject.tax_id),
        )
        .await?;
    let transfers = record["transfers"].as_array().cloned().unwrap_or_default();
    let listed = transfers
        .iter()
        .find(|t| t["request_id"] == request_id)
        .ok_or_else(|| {
            format!(
                "the transfer record at {} lacks request {request_id}: {record}",
                provider.id
            )
        })?;
    if listed["recipient"] != REQUESTER.id
        || listed["evidence_type"] != evidence_type
        || listed["procedure"] != PROCEDURE
        || listed["legal_basis"] != LEGAL_BASIS
    {
        return Err(format!("the transfer record says {listed}"));
    }
    Ok(listed["at"].as_str().unwrap_or_default().to_owned())
}

/// The requester reports its counts; the map shows the exchanges.
async fn flows(fed: &Federation) -> Result<(), String> {
    fed.node(&REQUESTER).report().await?;
    let catalogue = fed.map.state().catalogue.load();
    let today = once_node::exchange::matching::iso_date(time::OffsetDateTime::now_utc().date());
    let mut shown = Vec::new();
    for (provider, evidence_type) in [(&POPULATION, RESIDENCE), (&PENSION, INCOME)] {
        let count = catalogue
            .flows()
            .iter()
            .filter(|f| {
                f.requester == REQUESTER.id
                    && f.provider == provider.id
                    && f.evidence_type == evidence_type
                    && f.day == today
            })
            .map(|f| f.count)
            .sum::<u64>();
        if count == 0 {
            return Err(format!(
                "the map shows no exchange {} → {} today",
                provider.id, REQUESTER.id
            ));
        }
        shown.push(format!(
            "{} → {} ({count} today)",
            provider.id, REQUESTER.id
        ));
    }
    ok(format!(
        "the register map shows the exchanges: {}",
        shown.join(", ")
    ));
    Ok(())
}

fn query(evidence_type: &str, subject: &SampleSubject, procedure: &str) -> Value {
    json!({
        "evidence_type": evidence_type,
        "subject": {
            "tax_id": subject.tax_id,
            "family_name": subject.family_name,
            "given_name": subject.given_name,
            "date_of_birth": subject.date_of_birth,
        },
        "procedure": procedure,
        "legal_basis": LEGAL_BASIS,
        "jurisdiction": subject.ags,
    })
}

/// A 200 answer with evidence from `provider` about `subject`.
fn expect_evidence(
    status: u16,
    answer: Value,
    provider: &Member,
    subject: &SampleSubject,
) -> Result<Value, String> {
    if status != 200 || answer["status"] != "evidence" {
        return Err(format!(
            "expected HTTP 200 with evidence, got HTTP {status}: {answer}"
        ));
    }
    if answer["provider"] != provider.id {
        return Err(format!("the answer came from {}", answer["provider"]));
    }
    let evidence = &answer["evidence"];
    if evidence["person.family_name"] != subject.family_name.as_str()
        || evidence["person.tax_id"] != subject.tax_id.as_str()
    {
        return Err(format!("the evidence is about someone else: {evidence}"));
    }
    if !answer["evidence_xml"]
        .as_str()
        .is_some_and(|x| x.contains("SignatureValue"))
    {
        return Err("the evidence is not signed".into());
    }
    Ok(answer)
}

/// An evidence field (or `request_id`) of an answer.
fn field(answer: &Value, name: &str) -> String {
    let value = if name == "request_id" {
        &answer["request_id"]
    } else {
        &answer["evidence"][name]
    };
    value.as_str().unwrap_or_default().to_owned()
}

/// Prints the evidence fields that start with one of `prefixes`.
fn show(answer: &Value, prefixes: &[&str]) {
    let Some(evidence) = answer["evidence"].as_object() else {
        return;
    };
    let fields: Vec<(&String, &str)> = evidence
        .iter()
        .filter(|(name, _)| prefixes.iter().any(|p| name.starts_with(p)))
        .map(|(name, value)| (name, value.as_str().unwrap_or_default()))
        .collect();
    let width = fields.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, value) in fields {
        println!("       {name:<width$}  {value}");
    }
}

/// HTTP as the actors use it: application services with their API key, the citizen's browser
/// trusting the demo CA.
pub(super) struct Http {
    client: reqwest::Client,
}

impl Http {
    pub(super) fn new(ca: &std::path::Path) -> Result<Http, String> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in once_pki::files::read_certs(ca).map_err(|e| e.to_string())? {
            roots.add(cert).map_err(|e| e.to_string())?;
        }
        let tls = rustls::ClientConfig::builder_with_provider(once_pki::tls::provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Http { client })
    }

    /// `POST /v1/evidence-requests` at the member's application endpoint.
    pub(super) async fn ask(
        &self,
        member: &MemberEntry,
        body: &Value,
    ) -> Result<(u16, Value), String> {
        let url = format!("{}/v1/evidence-requests", member.app_url);
        let response = self
            .client
            .post(&url)
            .bearer_auth(&member.api_key)
            .json(body)
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let status = response.status().as_u16();
        let answer = response
            .json()
            .await
            .map_err(|e| format!("{url}: HTTP {status} without a JSON answer: {e}"))?;
        Ok((status, answer))
    }

    /// `GET path` at the member's application endpoint; the answer must be 200 JSON.
    async fn get(&self, member: &MemberEntry, path: &str) -> Result<Value, String> {
        let url = format!("{}{path}", member.app_url);
        let response = self
            .client
            .get(&url)
            .bearer_auth(&member.api_key)
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let status = response.status();
        let answer: Value = response
            .json()
            .await
            .map_err(|e| format!("{url}: HTTP {status} without a JSON answer: {e}"))?;
        if !status.is_success() {
            return Err(format!("{url}: HTTP {status}: {answer}"));
        }
        Ok(answer)
    }

    /// A page, as a browser gets it.
    async fn page(
        &self,
        url: &str,
        body: Option<&str>,
        cookie: Option<&str>,
    ) -> Result<(u16, String), String> {
        self.form_or_get(url, body, cookie)
            .await
            .map(|(status, page, _)| (status, page))
    }

    /// A form posted as a browser posts it; returns the status, the page and the session cookie
    /// set, if any.
    async fn form(
        &self,
        url: &str,
        body: &str,
        cookie: Option<&str>,
    ) -> Result<(u16, String, Option<String>), String> {
        self.form_or_get(url, Some(body), cookie).await
    }

    async fn form_or_get(
        &self,
        url: &str,
        body: Option<&str>,
        cookie: Option<&str>,
    ) -> Result<(u16, String, Option<String>), String> {
        let mut request = match body {
            Some(body) => self
                .client
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.to_owned()),
            None => self.client.get(url),
        };
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.map_err(|e| format!("{url}: {e}"))?;
        let status = response.status().as_u16();
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(ToOwned::to_owned);
        let page = response.text().await.map_err(|e| format!("{url}: {e}"))?;
        Ok((status, page, cookie))
    }
}
