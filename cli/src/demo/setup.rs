//! Creating the demo directory (the CA, the register map with the full seed, three members with
//! their keys, databases, registers, records and access rules) and preparing it for a run.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::time::Instant;

use once_pki::MemberId;
use once_pki::ca::{Ca, DEFAULT_CA_DAYS, DEFAULT_CRL_DAYS};
use once_pki::files::{read_text, write_public};

use super::citizens::{self, Population};
use super::layout::{
    ABROAD, DemoFile, FORMAT, LEGAL_BASIS, Layout, MAP_MEMBER, MEMBERS, MapEntry, Member, PENSION,
    POPULATION, PROCEDURE, REQUESTER, RESIDENCE, RegisterEntry, member_entry, oots,
};
use super::{Step, ok, seconds};
use crate::CliError;
use crate::{map, node};
use once_node::config::Config;
use once_node::db::registers::{self, ImportMode, Level, Register};
use once_node::db::{self, rules};
use once_node::operations::import::{self, Format};
use once_registry_map::config::MapConfig;

/// The hosts in the certificates: every URL of the demo uses one of them.
fn hosts() -> Vec<String> {
    vec!["localhost".into(), "127.0.0.1".into()]
}

/// Ports for one member: peer, application, preview, AS4.
#[derive(Debug, Clone, Copy)]
struct Ports {
    peer: u16,
    app: u16,
    preview: u16,
    as4: u16,
}

/// Creates the federation in an empty (or missing) directory; returns `demo.json` as written.
pub(super) async fn create(layout: &Layout) -> Result<DemoFile, CliError> {
    let step = "create the federation CA";
    std::fs::create_dir_all(&layout.dir)
        .map_err(|e| format!("{}: {e}", layout.dir.display()))
        .step(step)?;
    Ca::init(&layout.ca_dir(), "once demo federation", DEFAULT_CA_DAYS).step(step)?;
    ok(format!(
        "created the federation CA in {}",
        layout.ca_dir().display()
    ));

    // Free ports now, written into the configuration files, so every URL is known before
    // anything starts (peer URLs in the map, preview links).
    let mut ports = free_ports(2 + 4 * MEMBERS.len())
        .step("pick free ports")?
        .into_iter();
    let mut next = || ports.next().unwrap_or(0);
    let (map_api, map_web) = (next(), next());
    let member_ports: Vec<Ports> = MEMBERS
        .iter()
        .map(|_| Ports {
            peer: next(),
            app: next(),
            preview: next(),
            as4: next(),
        })
        .collect();

    set_up_map(layout, map_api, map_web).await?;
    let api_keys = set_up_members(layout, &member_ports, map_api).await?;
    let step = "set up the eDelivery AS4 access points";
    super::edelivery::issue(layout).step(step)?;
    super::edelivery::add_partners(layout).await.step(step)?;
    ok(format!(
        "{} and {} are eDelivery AS4 access points of the OOTS, each the other's partner (keys of a stand-in eDelivery PKI: edelivery/ca.pem; {} holds keys of both algorithm suites, {} exchanges with it on the eDelivery AS4 2.0 EC profile: ECDSA P-256, ECDH-ES, HKDF, AES key wrap)",
        POPULATION.id, ABROAD.id, POPULATION.id, ABROAD.id
    ));

    let step = "make synthetic citizens";
    let started = Instant::now();
    let areas = once_registry_map::seed::jurisdictions().step(step)?;
    let population = citizens::generate(&areas).step(step)?;
    ok(format!(
        "made {} synthetic citizens: names, valid identification numbers, addresses from the municipality list ({})",
        population.people.len(),
        seconds(started.elapsed())
    ));

    let mut registers = vec![Vec::new(); MEMBERS.len()];
    for (i, member) in MEMBERS.iter().enumerate() {
        if member.register.is_some() {
            registers[i].push(fill_register(layout, member, &population).await?);
        }
    }
    ok(format!(
        "access rules: {} may receive residence certificates from {} and income certificates from {}, for the procedure {PROCEDURE:?} on the legal basis {LEGAL_BASIS:?}; nothing else",
        REQUESTER.id, POPULATION.id, PENSION.id
    ));
    ok(format!(
        "across the border: {} may receive residence certificates from {} over OOTS, for the procedure {} on the requirement {}",
        ABROAD.id,
        POPULATION.id,
        oots::PROCEDURE,
        oots::REQUIREMENT
    ));

    let samples = population.samples(POPULATION.id, PENSION.id);
    let demo = describe(layout, api_keys, registers, samples).step("write demo.json")?;
    demo.write(layout).step("write demo.json")?;
    Ok(demo)
}

/// The register map with the full seed, its API and web page on the given ports.
async fn set_up_map(layout: &Layout, map_api: u16, map_web: u16) -> Result<(), CliError> {
    let step = "set up the register map";
    let started = Instant::now();
    let map_member: MemberId = MAP_MEMBER.parse().map_err(|e| format!("{e}")).step(step)?;
    map::init(
        &layout.map_dir(),
        &map_member,
        &layout.ca_dir(),
        &hosts(),
        loopback(map_api),
        loopback(map_web),
    )
    .await
    .step(step)?;
    tune(&layout.map_toml(), |text| {
        Ok(text.replace("workers = 0", "workers = 2"))
    })
    .step(step)?;
    let map_config = MapConfig::load(&layout.map_toml()).step(step)?;
    let (seeded, _) = map::seed(&map_config).await.step(step)?;
    ok(format!(
        "set up the register map {MAP_MEMBER} with the full seed: {seeded} registers of the municipality list and the register types ({})",
        seconds(started.elapsed())
    ));
    Ok(())
}

/// Every member's directory: certificates, keys, node.toml tuned for the demo, database, API
/// key; returns the API keys in the order of [`MEMBERS`].
async fn set_up_members(
    layout: &Layout,
    member_ports: &[Ports],
    map_api: u16,
) -> Result<Vec<String>, CliError> {
    let mut api_keys = Vec::new();
    for (member, ports) in MEMBERS.iter().zip(member_ports) {
        let step = format!("set up {}", member.id);
        let id: MemberId = member.id.parse().map_err(|e| format!("{e}")).step(&step)?;
        let key = node::init(
            &layout.member_dir(member),
            &id,
            &layout.ca_dir(),
            &hosts(),
            loopback(ports.peer),
            loopback(ports.app),
            "node.db",
        )
        .await
        .step(&step)?;
        configure_node(&layout.node_toml(member), member, *ports, map_api).step(&step)?;
        configure_oots(&layout.node_toml(member), member, ports.as4).step(&step)?;
        Config::load(&layout.node_toml(member)).step(&step)?;
        ok(format!(
            "set up {} ({}): certificates, keys, node.toml, database, API key",
            member.id, member.name
        ));
        api_keys.push(key);
    }
    Ok(api_keys)
}

/// Prepares a directory made by an earlier run: a fresh CRL for everyone (the CA's CRL is valid
/// for a week), `demo.json` with this directory's paths, and a check that every port is free.
pub(super) fn prepare(layout: &Layout, old: DemoFile) -> Result<DemoFile, CliError> {
    let step = "renew the CRL";
    let mut ca = Ca::open(&layout.ca_dir()).step(step)?;
    ca.write_crl(DEFAULT_CRL_DAYS).step(step)?;
    let crl = read_text(&layout.ca_dir().join("crl.pem")).step(step)?;
    for dir in MEMBERS
        .iter()
        .map(|m| layout.member_dir(m))
        .chain([layout.map_dir()])
    {
        write_public(&dir.join("crl.pem"), crl.as_bytes()).step(step)?;
    }

    let keys = MEMBERS
        .iter()
        .map(|m| old.member(m).map(|e| e.api_key.clone()).unwrap_or_default())
        .collect();
    let registers = MEMBERS
        .iter()
        .map(|m| {
            old.member(m)
                .map(|e| {
                    e.registers
                        .iter()
                        .map(|r| RegisterEntry {
                            records_csv: layout.member_dir(m).join("records.csv"),
                            ..r.clone()
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect();
    let demo =
        describe(layout, keys, registers, old.sample_subjects).step("read the configuration")?;

    let step = "check the ports";
    let map_config = MapConfig::load(&layout.map_toml()).step(step)?;
    let mut addresses = vec![
        (MAP_MEMBER, "api.listen", map_config.api.listen),
        (MAP_MEMBER, "web.listen", map_config.web.listen),
    ];
    for member in &MEMBERS {
        let config = Config::load(&layout.node_toml(member)).step(step)?;
        addresses.push((member.id, "peer.listen", config.peer.listen));
        addresses.push((member.id, "application.listen", config.application.listen));
        if let Some(preview) = &config.preview {
            addresses.push((member.id, "preview.listen", preview.listen));
        }
        if let Some(as4) = &config.as4 {
            addresses.push((member.id, "as4.listen", as4.listen));
        }
    }
    let addresses_count = addresses.len();
    for (member, field, address) in addresses {
        if let Err(e) = TcpListener::bind(address) {
            return Err(format!(
                "{address} ({field} of {member}) is not free ({e}): is the demo already running on {}? Stop it (Ctrl-C), or remove the directory to start afresh with new ports",
                layout.dir.display()
            ))
            .step(step);
        }
    }
    ok(format!(
        "renewed the CRL (valid for {DEFAULT_CRL_DAYS} days) and checked that the {} ports of the federation are free",
        addresses_count
    ));
    Ok(demo)
}

/// `demo.json` from the configuration files, the API keys, the registers and the samples.
fn describe(
    layout: &Layout,
    api_keys: Vec<String>,
    registers: Vec<Vec<RegisterEntry>>,
    sample_subjects: Vec<citizens::SampleSubject>,
) -> Result<DemoFile, String> {
    let map = MapConfig::load(&layout.map_toml()).map_err(|e| e.to_string())?;
    let mut members = Vec::new();
    for ((member, key), registers) in MEMBERS.iter().zip(api_keys).zip(registers) {
        let config = Config::load(&layout.node_toml(member)).map_err(|e| e.to_string())?;
        let urls = (
            format!("https://localhost:{}", config.peer.listen.port()),
            format!("http://{}", config.application.listen),
            config.preview.as_ref().map(|p| p.public_url.clone()),
        );
        members.push(member_entry(layout, member, urls, key, registers));
    }
    Ok(DemoFile {
        format: FORMAT.into(),
        dir: layout.dir.clone(),
        ca: layout.ca_dir().join("ca.pem"),
        crl: layout.ca_dir().join("crl.pem"),
        map: MapEntry {
            member_id: MAP_MEMBER.into(),
            api_url: format!("https://localhost:{}", map.api.listen.port()),
            web_url: format!("http://{}/", map.web.listen),
            config: layout.map_toml(),
        },
        members,
        procedure: PROCEDURE.into(),
        legal_basis: LEGAL_BASIS.into(),
        sample_subjects,
        ready_at: None,
    })
}

/// Adds a provider's register with its synthetic records (one transaction) and the access rule
/// for the requester.
async fn fill_register(
    layout: &Layout,
    member: &Member,
    population: &Population,
) -> Result<RegisterEntry, CliError> {
    let Some(spec) = member.register else {
        return Err(CliError::Failed(format!("{} keeps no register", member.id)));
    };
    let step = format!("fill the register of {}", member.id);
    let started = Instant::now();
    let (csv, what) = if spec.evidence_type == super::layout::RESIDENCE {
        (
            population.residents_csv().step(&step)?,
            format!("{} residents of Bremen", population.residents.len()),
        )
    } else {
        (
            population.accounts_csv().step(&step)?,
            format!(
                "{} insured persons from {} municipalities and their incomes of {}",
                population.accounts.len(),
                population.municipalities,
                citizens::TAX_YEAR
            ),
        )
    };
    let csv_path = layout.member_dir(member).join("records.csv");
    write_public(&csv_path, &csv).step(&step)?;
    let records =
        import::parse(&csv, Format::Csv, spec.id, &[spec.evidence_type.to_owned()]).step(&step)?;
    let count = records.len();
    let register = Register {
        id: spec.id.parse().step(&step)?,
        name: spec.name.into(),
        evidence_types: vec![spec.evidence_type.into()],
        level: if spec.evidence_type == super::layout::RESIDENCE {
            Level::Municipality
        } else {
            Level::Federal
        },
        // A federal register serves the whole country: no keys.
        jurisdictions: if spec.evidence_type == super::layout::RESIDENCE {
            vec![citizens::BREMEN.into()]
        } else {
            Vec::new()
        },
        legal_basis: spec.legal_basis.into(),
        created_at: db::now_unix(),
        updated_at: db::now_unix(),
        register_type: Some(spec.register_type.into()),
        standards: spec.standards.iter().map(|s| (*s).to_owned()).collect(),
    };
    let config = Config::load(&layout.node_toml(member)).step(&step)?;
    let pool = node::open_pool(&config).await.step(&step)?;
    let evidence_type = spec.evidence_type;
    db::run(&pool, move |conn| {
        let conflict = |e: String| db::DbError::Conflict(e);
        registers::add(conn, &register).map_err(|e| conflict(e.to_string()))?;
        registers::import(conn, &register.id, &records, ImportMode::Append)
            .map_err(|e| conflict(e.to_string()))?;
        rules::add(conn, REQUESTER.id, evidence_type, PROCEDURE, LEGAL_BASIS)
            .map_err(|e| conflict(e.to_string()))?;
        if evidence_type == super::layout::RESIDENCE {
            // The Austrian office, for the OOTS procedure on the OOTS requirement.
            rules::add(
                conn,
                ABROAD.id,
                evidence_type,
                oots::PROCEDURE,
                oots::REQUIREMENT,
            )
            .map_err(|e| conflict(e.to_string()))?;
        }
        Ok(())
    })
    .await
    .step(&step)?;
    ok(format!(
        "{}: register {} ({}) with {what} ({})",
        member.id,
        spec.id,
        spec.name,
        seconds(started.elapsed())
    ));
    Ok(RegisterEntry {
        id: spec.id.into(),
        register_type: spec.register_type.into(),
        evidence_type: spec.evidence_type.into(),
        records: count,
        records_csv: csv_path,
    })
}

/// Completes the `node.toml` that `once node init` wrote: the authority's name, fewer workers
/// (eleven servers share this machine), a short shutdown grace, the preview page (providers,
/// with the simulated mailbox) and the register map.
fn configure_node(path: &Path, member: &Member, ports: Ports, map_api: u16) -> Result<(), String> {
    tune(path, |text| {
        let id_line = format!("member_id = \"{}\"\n", member.id);
        if !text.contains(&id_line) {
            return Err(format!("{} has no line {id_line:?}", path.display()));
        }
        let mut text = text.replacen(
            &id_line,
            &format!(
                "{id_line}# The authority's name in messages and in the register map.\nname = \"{}\"\ncontact = \"{}\"\n",
                member.name, member.contact
            ),
            1,
        );
        text = text
            .replace("workers = 0", "workers = 2")
            .replace("shutdown_grace_seconds = 30", "shutdown_grace_seconds = 5");
        text.push_str("\n# Added by `once demo`.\n");
        if member.register.is_some() {
            text.push_str(&format!(
                "[preview]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"https://localhost:{port}\"\n# One-time codes go to a simulated mailbox (GET /v1/preview-mailbox), not to the person.\nsimulated_mailbox = true\n\n",
                port = ports.preview
            ));
        }
        text.push_str(&format!(
            "[map]\nurl = \"https://localhost:{map_api}\"\nmember = \"{MAP_MEMBER}\"\npeer_url = \"https://localhost:{}\"\n",
            ports.peer
        ));
        Ok(text)
    })
}

/// The cross-border part of the configuration: Bremen's population register and the Austrian
/// office as OOTS participants (`[oots]`: EAS agent identifiers, the residence certificate in
/// Semantic Repository terms, each other as members) and AS4 access points (`[as4]` on
/// `as4_port`); the partner table, not `[[providers]]`, names Bremen for the Austrian office.
fn configure_oots(path: &Path, member: &Member, as4_port: u16) -> Result<(), String> {
    let (scheme, id, country, other, other_scheme, other_id) = match member.id {
        id if id == POPULATION.id => (
            oots::BREMEN_SCHEME,
            oots::BREMEN_ID,
            "DE",
            ABROAD.id,
            oots::AUSTRIA_SCHEME,
            oots::AUSTRIA_ID,
        ),
        id if id == ABROAD.id => (
            oots::AUSTRIA_SCHEME,
            oots::AUSTRIA_ID,
            "AT",
            POPULATION.id,
            oots::BREMEN_SCHEME,
            oots::BREMEN_ID,
        ),
        _ => return Ok(()),
    };
    tune(path, |mut text| {
        text.push_str(&format!(
            "\n[oots]\nagent_scheme = \"{scheme}\"\nagent_id = \"{id}\"\ncountry = \"{country}\"\n\n\
             [[oots.evidence_types]]\nevidence_type = \"{RESIDENCE}\"\nclassification = \"{}\"\n\
             conforms_to = \"{}\"\nrequirement = \"{}\"\n\n\
             [[oots.members]]\nmember = \"{other}\"\nagent_scheme = \"{other_scheme}\"\n\
             agent_id = \"{other_id}\"\n",
            oots::RESIDENCE,
            oots::RESIDENCE_MODEL,
            oots::REQUIREMENT
        ));
        text.push_str(&super::edelivery::config_section(member, as4_port).unwrap_or_default());
        Ok(text)
    })
}

/// Rewrites a configuration file.
fn tune(path: &Path, edit: impl FnOnce(String) -> Result<String, String>) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = edit(text)?;
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// `n` distinct ports that are free now (bound together, then released).
fn free_ports(n: usize) -> Result<Vec<u16>, String> {
    let listeners = (0..n)
        .map(|_| TcpListener::bind(loopback(0)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())
}
