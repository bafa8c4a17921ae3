//! The demo directory: who the members are, where their files live, and `demo.json`, the file
//! that lets scripts and operators drive the running federation (and the next run reuse it).

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use once_pki::ca::node_files;
use serde::{Deserialize, Serialize};

use super::citizens::SampleSubject;

/// The version of the directory layout; a directory of another layout is not reused.
pub(super) const FORMAT: &str = "once-demo/2";
/// The file scripts read.
pub(super) const DEMO_JSON: &str = "demo.json";
/// The register map's member id.
pub(super) const MAP_MEMBER: &str = "DE:BUND:registerlandkarte";
/// The procedure and legal basis of the access rules.
pub(super) const PROCEDURE: &str = "Elterngeld";
pub(super) const LEGAL_BASIS: &str = "§ 9 BEEG";
/// Evidence types.
pub(super) const RESIDENCE: &str = "urn:once:evidence-type:residence-certificate";
pub(super) const INCOME: &str = "urn:once:evidence-type:income-certificate";

/// A member of the demo federation.
#[derive(Debug, Clone, Copy)]
pub(super) struct Member {
    pub id: &'static str,
    pub name: &'static str,
    /// Its directory under the demo directory.
    pub dir: &'static str,
    pub contact: &'static str,
    /// The register it keeps, if it is a provider.
    pub register: Option<RegisterSpec>,
}

/// A provider's register.
#[derive(Debug, Clone, Copy)]
pub(super) struct RegisterSpec {
    pub id: &'static str,
    pub name: &'static str,
    /// Its type in the map's seed catalogue: the published register replaces the seed entry.
    pub register_type: &'static str,
    pub evidence_type: &'static str,
    pub legal_basis: &'static str,
    pub standards: &'static [&'static str],
    /// Evidence for this kind of thing, in words.
    pub evidence: &'static str,
}

pub(super) const REQUESTER: Member = Member {
    id: "DE-HB:LAND:elterngeld",
    name: "Elterngeldstelle Bremen",
    dir: "elterngeldstelle",
    contact: "elterngeld@demo.once.invalid",
    register: None,
};

pub(super) const POPULATION: Member = Member {
    id: "DE-HB:KOMMUNE:04011000",
    name: "Stadt Bremen, Bürgeramt",
    dir: "melderegister-bremen",
    contact: "buergeramt@demo.once.invalid",
    register: Some(RegisterSpec {
        id: "melderegister",
        name: "Melderegister Bremen",
        register_type: "melderegister",
        evidence_type: RESIDENCE,
        legal_basis: "Bundesmeldegesetz (BMG)",
        standards: &["XMeld"],
        evidence: "residence certificate",
    }),
};

pub(super) const PENSION: Member = Member {
    id: "DE:BUND:drv",
    name: "Deutsche Rentenversicherung Bund",
    dir: "rentenversicherung",
    contact: "https://demo.once.invalid/drv",
    register: Some(RegisterSpec {
        id: "rentenversicherungskonto",
        name: "Versicherungskonten der gesetzlichen Rentenversicherung",
        register_type: "rentenversicherungskonto",
        evidence_type: INCOME,
        legal_basis: "Sozialgesetzbuch Sechstes Buch (SGB VI) § 149",
        standards: &[],
        evidence: "income certificate",
    }),
};

/// An authority of another member state: Austria's family allowance office, which asks
/// Bremen's population register for a residence certificate over OOTS (the `oots` profile).
pub(super) const ABROAD: Member = Member {
    id: "AT:BUND:familienbeihilfe",
    name: "Finanzamt Österreich, Familienbeihilfe",
    dir: "familienbeihilfe-at",
    contact: "familienbeihilfe@demo.once.invalid",
    register: None,
};

/// Every member, the requester first.
pub(super) const MEMBERS: [Member; 4] = [REQUESTER, POPULATION, PENSION, ABROAD];

/// The cross-border exchange in OOTS terms, as an operator takes them from the Evidence Broker
/// and the Semantic Repository (the UUIDs are the demo's own).
pub(super) mod oots {
    /// The residence certificate's Semantic Repository classification.
    pub const RESIDENCE: &str = "https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/2c3b5f5a-0d8e-4c2f-9a41-5d1f3b1e7c11";
    /// Its data model.
    pub const RESIDENCE_MODEL: &str =
        "https://sr.oots.tech.europa.eu/distributions/once-residence-certificate-1";
    /// The requirement the Austrian office names, and Bremen's access rule for it.
    pub const REQUIREMENT: &str =
        "https://sr.oots.tech.europa.eu/requirements/0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
    /// The OOTS procedure "requesting proof of residence".
    pub const PROCEDURE: &str = "S1";
    /// Agent identifiers: Bremen's by its Leitweg-ID (EAS 0204), Austria's by its VAT number
    /// (EAS 9915).
    pub const BREMEN_SCHEME: &str = "urn:cef.eu:names:identifier:EAS:0204";
    pub const BREMEN_ID: &str = "04011000-BUERGERAMT-01";
    pub const AUSTRIA_SCHEME: &str = "urn:cef.eu:names:identifier:EAS:9915";
    pub const AUSTRIA_ID: &str = "ATU00000024";
}

/// Paths inside the demo directory.
#[derive(Debug, Clone)]
pub(super) struct Layout {
    pub dir: PathBuf,
}

impl Layout {
    pub fn new(dir: &Path) -> Layout {
        // Absolute, so demo.json is usable from anywhere.
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
        Layout { dir }
    }
    pub fn ca_dir(&self) -> PathBuf {
        self.dir.join("ca")
    }
    pub fn map_dir(&self) -> PathBuf {
        self.dir.join("registerlandkarte")
    }
    pub fn map_toml(&self) -> PathBuf {
        self.map_dir().join("map.toml")
    }
    pub fn member_dir(&self, member: &Member) -> PathBuf {
        self.dir.join(member.dir)
    }
    pub fn node_toml(&self, member: &Member) -> PathBuf {
        self.member_dir(member).join("node.toml")
    }
    pub fn demo_json(&self) -> PathBuf {
        self.dir.join(DEMO_JSON)
    }
}

/// `demo.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DemoFile {
    /// [`FORMAT`].
    pub format: String,
    /// The demo directory.
    pub dir: PathBuf,
    /// The federation root certificate.
    pub ca: PathBuf,
    /// The federation CRL.
    pub crl: PathBuf,
    /// The register map.
    pub map: MapEntry,
    /// The members, the requester first.
    pub members: Vec<MemberEntry>,
    /// The procedure and legal basis the access rules allow.
    pub procedure: String,
    pub legal_basis: String,
    /// People in the registers to ask about.
    pub sample_subjects: Vec<SampleSubject>,
    /// When the federation was last ready (RFC 3339); absent until it first was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_at: Option<String>,
}

/// The register map in `demo.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MapEntry {
    pub member_id: String,
    /// The API for nodes (mutual TLS).
    pub api_url: String,
    /// The web page.
    pub web_url: String,
    pub config: PathBuf,
}

/// A member in `demo.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MemberEntry {
    pub id: String,
    pub name: String,
    /// `requester` or `provider`.
    pub role: String,
    /// The peer endpoint (mutual TLS, for other members).
    pub peer_url: String,
    /// The application endpoint (for the authority's own services; `Authorization: Bearer`).
    pub app_url: String,
    /// The preview page, for providers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_url: Option<String>,
    /// The API key of the application endpoint.
    pub api_key: String,
    pub dir: PathBuf,
    pub config: PathBuf,
    pub database: PathBuf,
    pub tls_cert: PathBuf,
    pub tls_key: PathBuf,
    pub signing_cert: PathBuf,
    pub signing_key: PathBuf,
    /// The registers it serves.
    #[serde(default)]
    pub registers: Vec<RegisterEntry>,
}

/// A register in `demo.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RegisterEntry {
    pub id: String,
    pub register_type: String,
    pub evidence_type: String,
    pub records: usize,
    /// The file the records were imported from.
    pub records_csv: PathBuf,
}

/// What is in the directory given with `--dir`.
#[derive(Debug)]
pub(super) enum Found {
    /// Nothing yet: create the federation.
    Nothing,
    /// A demo federation of this version.
    Demo(Box<DemoFile>),
}

/// Looks at the directory; anything but nothing or a demo of this version is an error that says
/// what to do.
pub(super) fn probe(layout: &Layout) -> Result<Found, String> {
    let dir = &layout.dir;
    let what_to_do = || {
        format!(
            "remove {} to start afresh, or use --dir with another directory",
            dir.display()
        )
    };
    if !dir.exists() {
        return Ok(Found::Nothing);
    }
    let mut entries = std::fs::read_dir(dir)
        .map_err(|e| format!("{} cannot be read ({e}); {}", dir.display(), what_to_do()))?;
    if entries.next().is_none() {
        return Ok(Found::Nothing);
    }
    let path = layout.demo_json();
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(_) => {
            return Err(format!(
                "{} is not a directory of this demo (it has no {DEMO_JSON}; an older `once demo`, an interrupted first run, or something else): {}",
                dir.display(),
                what_to_do()
            ));
        }
    };
    let demo: DemoFile = serde_json::from_str(&text)
        .map_err(|e| format!("{} cannot be read ({e}): {}", path.display(), what_to_do()))?;
    let ids: Vec<&str> = demo.members.iter().map(|m| m.id.as_str()).collect();
    let expected: Vec<&str> = MEMBERS.iter().map(|m| m.id).collect();
    if demo.format != FORMAT || ids != expected {
        return Err(format!(
            "{} holds a demo of another version ({}): {}",
            dir.display(),
            demo.format,
            what_to_do()
        ));
    }
    for member in &MEMBERS {
        let config = layout.node_toml(member);
        if !config.exists() {
            return Err(format!("{} is missing: {}", config.display(), what_to_do()));
        }
    }
    if !layout.map_toml().exists() {
        return Err(format!(
            "{} is missing: {}",
            layout.map_toml().display(),
            what_to_do()
        ));
    }
    Ok(Found::Demo(Box::new(demo)))
}

impl DemoFile {
    /// The entry of a member.
    pub fn member(&self, member: &Member) -> Option<&MemberEntry> {
        self.members.iter().find(|m| m.id == member.id)
    }

    /// Writes `demo.json` with mode 0600 (it holds API keys), replacing the old one at once so a
    /// script never reads half a file.
    pub fn write(&self, layout: &Layout) -> Result<(), String> {
        let path = layout.demo_json();
        let text = serde_json::to_vec_pretty(self).map_err(|e| e.to_string())?;
        let temporary = layout.dir.join(format!(".{DEMO_JSON}.new"));
        let _ = std::fs::remove_file(&temporary);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temporary)
            .map_err(|e| format!("{}: {e}", temporary.display()))?;
        file.write_all(&text)
            .and_then(|()| file.write_all(b"\n"))
            .and_then(|()| file.sync_all())
            .map_err(|e| format!("{}: {e}", temporary.display()))?;
        std::fs::rename(&temporary, &path).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// The paths of a member's files, as `once node init` writes them.
pub(super) fn member_entry(
    layout: &Layout,
    member: &Member,
    urls: (String, String, Option<String>),
    api_key: String,
    registers: Vec<RegisterEntry>,
) -> MemberEntry {
    let dir = layout.member_dir(member);
    let (peer_url, app_url, preview_url) = urls;
    MemberEntry {
        id: member.id.to_owned(),
        name: member.name.to_owned(),
        role: if member.register.is_some() {
            "provider".into()
        } else {
            "requester".into()
        },
        peer_url,
        app_url,
        preview_url,
        api_key,
        config: dir.join("node.toml"),
        database: dir.join("node.db"),
        tls_cert: dir.join(node_files::TLS_CERT),
        tls_key: dir.join(node_files::TLS_KEY),
        signing_cert: dir.join(node_files::SIGNING_CERT),
        signing_key: dir.join(node_files::SIGNING_KEY),
        registers,
        dir,
    }
}
