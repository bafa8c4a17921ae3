//! The catalogue exports of the register map, refereed by independent tools.
//!
//! The catalogue is the full seed (every register type over the official municipality list, about
//! 127,000 registers), with the members of Bremen and the Kraftfahrt-Bundesamt given a node and
//! their registers connected, plus a published register with quotes, a line break and an unknown
//! type.
//!
//! - DCAT-AP.de: the Turtle export is validated by pyshacl (`registry-map/dcat/validate.py`) with
//!   the DCAT-AP.de 3.0 shapes (SHACL-DE, German additions, controlled vocabularies), the base
//!   DCAT-AP 3.0 mandatory properties SHACL-DE refers to, and the local vocabulary facts, without
//!   owl:imports; it must conform. pyshacl takes minutes on the whole export (about 2 million
//!   triples) on two cores, so the default test validates a deterministic sample: the catalogue,
//!   every data service and the datasets they serve, every non-municipal register and every 50th
//!   register. The whole export is validated by the ignored test `whole_dcat_export_conforms`
//!   (`cargo test -p once-tests --test dcat -- --ignored`). A broken export must not conform, so
//!   the validator is known to bite.
//! - CSV: parsed back with the csv crate, one row per register, a known row field by field.
//!
//! Needs python3 with pyshacl: `python3 -m pip install pyshacl==0.40.1`.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::Command;
use std::sync::LazyLock;
use std::time::Instant;

use once_registry_map::catalogue::Catalogue;
use once_registry_map::db::Snapshot;
use once_registry_map::export::{self, CSV_COLUMNS};
use once_registry_map::model::{Register, Source};
use once_registry_map::seed;
use once_xml::level::Level;

const BASE: &str = "https://map.example.org";
const BREMEN_POPULATION: &str = "DE-HB:KOMMUNE:04011000/melderegister";
const PUBLISHED: &str = "DE-HB:LAND:finanzamt/steuer:konto \"A\"";

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| {
    let seed = seed::load().expect("the embedded seed loads");
    let runs_node = |member: &str| member.starts_with("DE-HB:") || member == "DE:BUND:kba";
    let mut members = seed.members;
    for member in members.iter_mut().filter(|m| runs_node(&m.id)) {
        let host = member.id.replace([':', '.'], "-").to_lowercase();
        member.peer_url = Some(format!("https://{host}.example:8443"));
        member.contact = Some(format!("poststelle@{host}.example"));
    }
    let mut registers = seed.registers;
    for register in registers.iter_mut().filter(|r| runs_node(&r.member)) {
        register.connected = true;
    }
    registers.push(Register {
        id: PUBLISHED.into(),
        member: "DE-HB:LAND:finanzamt".into(),
        local_id: "steuer:konto \"A\"".into(),
        register_type: None,
        name: "Steuerkonto \"A\"\nZweite Zeile".into(),
        level: Level::State,
        jurisdictions: vec!["04".into()],
        evidence_types: vec!["urn:once:evidence-type:tax-account".into()],
        legal_basis: "AO § 139b, \\ und \"mehr\"".into(),
        standards: vec!["XSteuer 1.0".into(), "ELSTER".into()],
        record_count: None,
        connected: true,
        source: Source::Published,
    });
    Catalogue::build(Snapshot {
        types: seed.types,
        areas: seed.jurisdictions,
        members,
        registers,
        flows: Vec::new(),
    })
});

/// Runs `validate.py` on the Turtle; `Ok(report)` if it conforms, `Err(report)` if it does not.
/// Panics, saying what to install, if python3 or pyshacl is missing.
fn validate(turtle: &str) -> Result<String, String> {
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join("export.ttl");
    std::fs::write(&file, turtle).expect("the export is written");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../registry-map/dcat/validate.py");
    let output = match Command::new("python3").arg(&script).arg(&file).output() {
        Ok(output) => output,
        Err(e) => panic!(
            "cannot run python3 ({e}): the DCAT-AP.de test needs Python 3 with pyshacl \
             (python3 -m pip install pyshacl==0.40.1)"
        ),
    };
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    match output.status.code() {
        Some(0) => Ok(report),
        Some(1) => Err(report),
        Some(3) => panic!(
            "pyshacl is missing: the DCAT-AP.de test needs it (python3 -m pip install pyshacl==0.40.1)\n{report}"
        ),
        _ => panic!("validate.py failed ({}):\n{report}", output.status),
    }
}

#[test]
fn dcat_export_conforms_to_dcat_ap_de() {
    let catalogue = &*CATALOGUE;
    let every_50th: HashSet<&str> = catalogue
        .registers()
        .iter()
        .step_by(50)
        .map(|r| r.id.as_str())
        .collect();
    let sample = export::dcat_turtle_where(catalogue, BASE, |r| {
        r.level != Level::Municipality || every_50th.contains(r.id.as_str())
    });
    let datasets = sample.matches(" a dcat:Dataset ;").count();
    assert!(
        datasets > 5_000,
        "a sample of {datasets} datasets is too small"
    );
    let nodes = catalogue
        .members()
        .iter()
        .filter(|m| m.peer_url.is_some())
        .count();
    assert!(nodes >= 10, "{nodes} nodes");
    assert_eq!(sample.matches(" a dcat:DataService ;").count(), nodes);
    for expected in [
        // A municipality served by a node, its key, level, legal basis and publisher.
        "<https://map.example.org/registers/DE-HB%3AKOMMUNE%3A04011000%2Fmelderegister> a dcat:Dataset",
        "dcatde:politicalGeocodingURI <http://dcat-ap.de/def/politicalGeocoding/municipalityKey/04011000>",
        "dcatde:politicalGeocodingURI <http://dcat-ap.de/def/politicalGeocoding/districtKey/04012>",
        "dcatde:politicalGeocodingURI <http://dcat-ap.de/def/politicalGeocoding/stateKey/09>",
        "dcatde:politicalGeocodingLevelURI geolevel:administrativeDistrict",
        "dcatde:legalBasis \"Bundesmeldegesetz (BMG)\"@de",
        "dct:publisher <https://map.example.org/members/DE-HB%3AKOMMUNE%3A04011000>",
        "dcat:endpointURL <https://de-bund-kba.example:8443>",
        "dct:title \"Steuerkonto \\\"A\\\"\\nZweite Zeile\"@de",
        seed::ATTRIBUTION,
    ] {
        assert!(
            sample.contains(expected),
            "{expected:?} is missing from the export"
        );
    }
    match validate(&sample) {
        Ok(report) => println!("{report}"),
        Err(report) => panic!("the DCAT-AP.de export does not conform:\n{report}"),
    }
}

#[test]
fn whole_export_is_complete() {
    let catalogue = &*CATALOGUE;
    let started = Instant::now();
    let turtle = export::dcat_turtle(catalogue, BASE);
    let took = started.elapsed();
    println!(
        "{} registers: {} bytes of Turtle in {took:?}",
        catalogue.registers().len(),
        turtle.len()
    );
    assert_eq!(
        turtle.matches(" a dcat:Dataset ;").count(),
        catalogue.registers().len()
    );
    assert_eq!(
        turtle.matches(" a foaf:Agent ;").count(),
        catalogue.members().len() + 1,
        "an agent per member and the map's operator"
    );
    // The time is reported, not asserted (the release build takes ~0.3 s): timing targets
    // belong to benchmarks, not to tests on shared machines.
}

#[test]
#[ignore = "pyshacl on the whole export (about 2 million triples) takes minutes; run with --ignored"]
fn whole_dcat_export_conforms() {
    let turtle = export::dcat_turtle(&CATALOGUE, BASE);
    match validate(&turtle) {
        Ok(report) => println!("{report}"),
        Err(report) => panic!("the DCAT-AP.de export does not conform:\n{report}"),
    }
}

#[test]
fn broken_exports_do_not_conform() {
    let catalogue = &*CATALOGUE;
    let turtle = export::dcat_turtle_where(catalogue, BASE, |r| r.id == BREMEN_POPULATION);
    validate(&turtle)
        .unwrap_or_else(|report| panic!("the small export does not conform:\n{report}"));
    let breakages: [(&str, &str, &str); 4] = [
        (
            "dct:accessRights access:RESTRICTED",
            "dct:accessRights access:SECRET",
            "kv-access-right",
        ),
        (
            "dct:publisher <https://map.example.org/members/",
            "dct:creator <https://map.example.org/members/",
            "MUSS einen dcterms:publisher haben",
        ),
        (
            "vcard:hasEmail <",
            "vcard:note <",
            "vcard:Kind: MUSS über vcard:hasEmail",
        ),
        (
            "dct:title \"Melderegister – ",
            "dct:alternative \"",
            "dcterms:title MUSS MINDESTEN",
        ),
    ];
    for (from, to, message) in breakages {
        assert!(turtle.contains(from), "{from:?} is not in the export");
        let broken = turtle.replacen(from, to, 1);
        match validate(&broken) {
            Ok(report) => panic!("replacing {from:?} by {to:?} still conforms:\n{report}"),
            Err(report) => assert!(
                report.contains(message),
                "{message:?} not reported:\n{report}"
            ),
        }
    }
}

#[test]
fn csv_export_parses_back() {
    let catalogue = &*CATALOGUE;
    let text = export::csv(catalogue);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("a header line")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header, CSV_COLUMNS);
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .expect("every row parses");
    assert_eq!(rows.len(), catalogue.registers().len());
    let row = |id: &str| -> Vec<String> {
        rows.iter()
            .find(|r| r.get(0) == Some(id))
            .unwrap_or_else(|| panic!("no row {id}"))
            .iter()
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        row(BREMEN_POPULATION),
        [
            BREMEN_POPULATION,
            "Melderegister – Stadt Bremen",
            "DE-HB:KOMMUNE:04011000",
            "Stadt Bremen",
            "melderegister",
            "Melderegister",
            "municipality",
            "04011000",
            "Bremen, Stadt",
            "urn:once:evidence-type:residence-certificate",
            "Bundesmeldegesetz (BMG)",
            "XMeld",
            "565719",
            "true",
            "seed",
        ]
    );
    let published = row(PUBLISHED);
    assert_eq!(published[1], "Steuerkonto \"A\"\nZweite Zeile");
    assert_eq!(published[4], "");
    assert_eq!(published[8], "Bremen");
    assert_eq!(published[10], "AO § 139b, \\ und \"mehr\"");
    assert_eq!(published[11], "XSteuer 1.0; ELSTER");
    assert_eq!(published[12..], ["", "true", "published"]);
    // No line after the rows: the attribution goes with the file, not into it.
    assert!(text.ends_with("published\r\n") || text.ends_with("seed\r\n"));
}
