//! The Commission's EDM 1.0 Schematron rules, run by `schematron/schematron.py` (python3 +
//! saxonche): sample messages that pass, the published originals that fail with the recorded
//! rule ids, purpose-broken copies that fail with exactly the expected ids, the processor's
//! Schematron constructs and refusals, and its command line.
//!
//! Needs `python3` and `python3 -m pip install saxonche`; without them every test here fails and
//! says so.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use once_xml::schematron::{self, CheckError, Finding, Kind, Report, Rules, Severity};
use serde::Deserialize;

fn data(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(relative)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs the checker or fails the test with what to install.
fn checked<T>(result: Result<T, CheckError>) -> T {
    result.unwrap_or_else(|e| panic!("the Schematron check could not run: {e}"))
}

fn ids(ids: &[String]) -> BTreeSet<String> {
    ids.iter().cloned().collect()
}

#[derive(Deserialize)]
struct Samples {
    conformed: Vec<Conformed>,
    unchanged: Vec<Unchanged>,
}

#[derive(Deserialize)]
struct Conformed {
    file: String,
    original: String,
    rule_sets: Vec<String>,
    edits: Vec<Edit>,
    original_errors: Vec<String>,
}

#[derive(Deserialize)]
struct Edit {
    from: String,
    to: String,
}

#[derive(Deserialize)]
struct Unchanged {
    file: String,
    rule_sets: Vec<String>,
    errors: Vec<String>,
}

fn samples() -> Samples {
    serde_json::from_str(&read(&data("oots-samples/samples.json"))).expect("samples.json")
}

#[test]
fn conformed_samples_pass_and_the_published_originals_fail_with_the_recorded_rules() {
    let samples = samples();
    let dir = data("oots-samples");

    // Each conformed copy is its unchanged original with exactly the listed edits.
    for c in &samples.conformed {
        let mut text = read(&dir.join(&c.original));
        for edit in &c.edits {
            assert!(
                text.contains(&edit.from),
                "{}: edit {:?} does not apply",
                c.file,
                edit.from
            );
            text = text.replace(&edit.from, &edit.to);
        }
        assert_eq!(
            text,
            read(&dir.join(&c.file)),
            "{} is not {} with the edits of samples.json",
            c.file,
            c.original
        );
    }

    // One run for every file: each rule set is compiled once.
    let mut files: Vec<PathBuf> = Vec::new();
    for c in &samples.conformed {
        files.push(dir.join(&c.file));
        files.push(dir.join(&c.original));
    }
    files.extend(samples.unchanged.iter().map(|u| dir.join(&u.file)));
    let reports = checked(schematron::check_files(&files, Rules::Auto));
    assert_eq!(reports.len(), files.len());
    let mut reports = reports.into_iter();

    for c in &samples.conformed {
        let (passing, original) = (reports.next(), reports.next());
        let (Some(passing), Some(original)) = (passing, original) else {
            panic!("missing reports");
        };
        assert_eq!(passing.rule_set_names(), c.rule_sets, "{}", c.file);
        for run in &passing.rule_sets {
            assert!(
                run.fired_rules > 5,
                "{}: {} barely applied",
                c.file,
                run.name
            );
        }
        let errors: Vec<String> = passing.errors().map(ToString::to_string).collect();
        assert!(
            errors.is_empty(),
            "{} must pass:\n{}",
            c.file,
            errors.join("\n")
        );
        assert_eq!(
            original.error_ids(),
            ids(&c.original_errors),
            "{}: the rules the original breaks",
            c.original
        );
    }
    for u in &samples.unchanged {
        let Some(report) = reports.next() else {
            panic!("missing report for {}", u.file);
        };
        assert_eq!(report.rule_set_names(), u.rule_sets, "{}", u.file);
        assert_eq!(report.error_ids(), ids(&u.errors), "{}", u.file);
    }
}

#[derive(Deserialize)]
struct Cases {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    target: String,
    base: String,
    from: String,
    to: String,
    expected: Vec<String>,
}

#[test]
fn purpose_broken_copies_fail_with_exactly_the_expected_rules() {
    let cases: Cases =
        serde_json::from_str(&read(&data("schematron-broken/cases.json"))).expect("cases.json");
    for target in [
        "EDM-REQ-S",
        "EDM-REQ-C",
        "EDM-RESP-S",
        "EDM-RESP-C",
        "EDM-ERR-S",
        "EDM-ERR-C",
    ] {
        let n = cases.cases.iter().filter(|c| c.target == target).count();
        assert!(n >= 2, "{target}: {n} broken case(s), want at least two");
    }

    let dir = tempfile::tempdir().expect("temporary directory");
    let mut files = Vec::new();
    let mut bases = BTreeSet::new();
    for case in &cases.cases {
        let base = read(&data("oots-samples").join(&case.base));
        assert_eq!(
            base.matches(&case.from).count(),
            1,
            "{}: the edit must match exactly once in {}",
            case.name,
            case.base
        );
        let file = dir.path().join(format!("{}.xml", case.name));
        std::fs::write(&file, base.replacen(&case.from, &case.to, 1)).expect("write");
        files.push(file);
        bases.insert(case.base.clone());
    }
    let bases: Vec<String> = bases.into_iter().collect();
    files.extend(bases.iter().map(|b| data("oots-samples").join(b)));

    let reports = checked(schematron::check_files(&files, Rules::Auto));
    let (broken, unbroken) = reports.split_at(cases.cases.len());
    let base_reports: BTreeMap<&str, &Report> =
        bases.iter().map(String::as_str).zip(unbroken).collect();
    for (case, report) in cases.cases.iter().zip(broken) {
        assert!(
            report.rule_set_names().contains(&case.target.as_str()),
            "{}: {} was not run",
            case.name,
            case.target
        );
        assert_eq!(
            report.error_ids(),
            ids(&case.expected),
            "{}: the error-level rule ids of the broken copy",
            case.name
        );
        let base_report = base_reports[case.base.as_str()];
        assert!(
            base_report.error_ids().is_disjoint(&ids(&case.expected)),
            "{}: the unbroken {} already fails {:?}",
            case.name,
            case.base,
            case.expected
        );
    }
}

#[test]
fn an_in_memory_message_is_checked_through_standard_input() {
    let passing = read(&data(
        "oots-samples/pyregrep-edm-v1.2/EDM_Ferst_Request.edm-1.0.xml",
    ));
    let report = schematron::assert_conforms(passing.as_bytes());
    assert_eq!(report.rule_set_names(), ["EDM-REQ-S", "EDM-REQ-C"]);
    assert_eq!(report.file, "-");
    // The "MAY be present" asserts of EDM-REQ-S are info, not errors.
    assert!(report.findings.iter().any(|f| f.severity == Severity::Info));

    let broken = passing.replace(
        "xml:lang=\"EN\" value=\"T2\"",
        "xml:lang=\"en\" value=\"T2\"",
    );
    let report = checked(schematron::check(broken.as_bytes()));
    let errors: Vec<&Finding> = report.errors().collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let finding = errors[0];
    assert_eq!(finding.id.as_deref(), Some("R-EDM-REQ-C004"));
    assert_eq!(finding.rule_set, "EDM-REQ-C");
    assert_eq!(finding.kind, Kind::Assert);
    assert_eq!(
        finding.location,
        "/query:QueryRequest[1]/rim:Slot[3]/rim:SlotValue[1]/rim:Value[1]/rim:LocalizedString[1]/@xml:lang"
    );
    assert!(
        finding
            .message
            .starts_with("Value supplied 'en' is unacceptable"),
        "{}",
        finding.message
    );

    let only_structure = checked(schematron::check_with(
        broken.as_bytes(),
        Rules::Named(&["EDM-REQ-S"]),
    ));
    assert!(only_structure.error_ids().is_empty());
}

#[test]
#[should_panic(expected = "R-EDM-REQ-S004")]
fn assert_conforms_fails_on_a_broken_message() {
    let passing = read(&data(
        "oots-samples/pyregrep-edm-v1.2/EDM_Ferst_Request.edm-1.0.xml",
    ));
    schematron::assert_conforms(passing.replace("id=\"urn:uuid:", "id=\"").as_bytes());
}

#[test]
fn a_message_no_edm_rule_set_applies_to_is_refused() {
    let result = schematron::check(b"<a xmlns=\"urn:x\"/>");
    match result {
        Err(CheckError::Failed { message }) => {
            assert!(message.contains("no EDM rule set"), "{message}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    match schematron::check(b"<query:QueryRequest") {
        Err(CheckError::Failed { message }) => {
            assert!(message.contains("not well-formed"), "{message}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn every_bundled_rule_set_compiles_and_runs() {
    let mut names: Vec<String> = std::fs::read_dir(schematron::edm_rules_dir())
        .expect("edm-1.0")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".sch").map(str::to_owned)
        })
        .collect();
    names.sort();
    assert_eq!(names.len(), 21, "{names:?}");
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let sample = data("oots-samples/oots-france/erreur.edm-1.0.xml");
    let reports = checked(schematron::check_files(&[sample], Rules::Named(&names)));
    assert_eq!(reports[0].rule_set_names(), names);
}

/// The processor's Schematron constructs, pinned on a schema written for them.
#[test]
fn schematron_constructs() {
    let schema = data("schematron-constructs/constructs.sch");
    let schema = schema.to_string_lossy();
    let instance = data("schematron-constructs/constructs.xml");
    let reports = checked(schematron::check_files(
        &[instance],
        Rules::Named(&[schema.as_ref()]),
    ));
    let report: &Report = &reports[0];
    let seen: Vec<(String, Severity, Kind, &str, &str)> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.key(),
                f.severity,
                f.kind,
                f.location.as_str(),
                f.message.as_str(),
            )
        })
        .collect();
    use Kind::{Assert, Report as Rep};
    use Severity::{Caution, Error, Fatal, Info, Warning};
    let want = vec![
        // Schema, pattern and rule lets; value-of; role on an assert.
        (
            "A-LIMIT".to_owned(),
            Warning,
            Assert,
            "/t:list[1]",
            "List has 4 items, more than 3.",
        ),
        // A report; sch:name.
        (
            "R-COUNT".into(),
            Info,
            Rep,
            "/t:list[1]",
            "Document has 4 items in t:list.",
        ),
        // An attribute context; flag; sch:emph.
        (
            "A-CODE".into(),
            Fatal,
            Assert,
            "/t:list[1]/t:item[2]/@code",
            "Code must be two capitals.",
        ),
        // First matching rule of a pattern wins (item 3 never reaches A-HAS-CODE); name path.
        (
            "R-SPECIAL".into(),
            Info,
            Rep,
            "/t:list[1]/t:item[3]",
            "special item in t:list",
        ),
        // Abstract rule and extends, with its own let.
        (
            "A-NAME".into(),
            Caution,
            Assert,
            "/t:list[1]/t:item[2]",
            "Missing name on t:item.",
        ),
        // No role or flag: error; braces kept literally.
        (
            "A-LEN".into(),
            Error,
            Assert,
            "/t:list[1]/t:item[2]",
            "Item text {too} long: 12 characters.",
        ),
    ];
    assert_eq!(seen, want);
    assert_eq!(report.rule_sets[0].fired_rules, 13);
    let code = &report.findings[2];
    assert_eq!(code.test, "matches(., '^[A-Z]{2}$')");
    assert_eq!(
        report.findings[5].test,
        "string-length(.) lt 10 or . = '{x}'"
    );
    assert_eq!(report.error_ids().len(), 2);
}

fn cli(args: &[&str]) -> (i32, String, String) {
    let output = Command::new("python3")
        .arg(schematron::script())
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "python3 could not be run ({e}): install Python 3, then `{}`",
                schematron::INSTALL_HINT
            )
        });
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn phases_and_diagnostics_through_the_command_line() {
    let schema = data("schematron-constructs/constructs.sch");
    let instance = data("schematron-constructs/constructs.xml");
    let (schema, instance) = (schema.to_string_lossy(), instance.to_string_lossy());
    let findings = |phase: &str| -> (i32, Vec<serde_json::Value>) {
        let (status, stdout, stderr) = cli(&[
            "--json",
            "--phase",
            phase,
            "--rules",
            schema.as_ref(),
            instance.as_ref(),
        ]);
        let json: serde_json::Value =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
        let findings = json["files"][0]["findings"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        (status, findings)
    };
    let keys = |f: &[serde_json::Value]| -> Vec<String> {
        f.iter()
            .map(|x| x["id"].as_str().unwrap_or("").to_owned())
            .collect()
    };

    // The default phase (defaultPhase="all-checks"); the diagnostic of A-CODE.
    let (status, all_checks) = findings("all-checks");
    assert_eq!(status, 1);
    assert_eq!(
        keys(&all_checks),
        [
            "A-LIMIT",
            "R-COUNT",
            "A-CODE",
            "R-SPECIAL",
            "A-NAME",
            "A-LEN"
        ]
    );
    assert_eq!(all_checks[2]["diagnostics"][0]["id"], "d-code");
    assert_eq!(all_checks[2]["diagnostics"][0]["message"], "Found 'x1'.");
    // A phase with one pattern and only an info: exit status 0.
    let (status, order) = findings("only-order");
    assert_eq!((status, keys(&order)), (0, vec!["R-SPECIAL".to_owned()]));
    // #ALL adds the pattern in no phase.
    let (status, all) = findings("#ALL");
    assert_eq!(status, 1);
    assert!(keys(&all).contains(&"A-NEVER".to_owned()));
}

#[test]
fn unsupported_constructs_are_refused_not_ignored() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let instance = data("schematron-constructs/constructs.xml");
    let cases = [
        (
            "<sch:include href=\"other.sch\"/>",
            "sch:include is not supported",
        ),
        (
            "<sch:pattern abstract=\"true\" id=\"p\"/>",
            "abstract patterns",
        ),
        (
            "<xsl:key xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\" name=\"k\" match=\"a\" use=\"b\"/>",
            "foreign element",
        ),
        (
            "<sch:pattern><sch:rule context=\"a\"><sch:assert test=\"true()\" subject=\".\">x</sch:assert></sch:rule></sch:pattern>",
            "attribute 'subject' on sch:assert is not supported",
        ),
        (
            "<sch:let name=\"x\"><x/></sch:let>",
            "sch:let without a value attribute",
        ),
        (
            "<sch:pattern><sch:rule context=\"a\"><sch:extends rule=\"missing\"/></sch:rule></sch:pattern>",
            "no abstract rule of this pattern",
        ),
        (
            "<sch:pattern><sch:rule context=\"a[\"><sch:assert test=\"true()\">x</sch:assert></sch:rule></sch:pattern>",
            "does not compile",
        ),
        (
            "<sch:pattern><sch:rule context=\"a\"><sch:assert test=\"true()\">x<sch:copy-of select=\".\"/></sch:assert></sch:rule></sch:pattern>",
            "sch:copy-of is not allowed in a message",
        ),
    ];
    for (i, (body, expected)) in cases.iter().enumerate() {
        let schema = dir.path().join(format!("unsupported-{i}.sch"));
        std::fs::write(
            &schema,
            format!(
                "<sch:schema xmlns:sch=\"http://purl.oclc.org/dsdl/schematron\" queryBinding=\"xslt2\">{body}</sch:schema>"
            ),
        )
        .expect("write");
        let schema = schema.to_string_lossy();
        match schematron::check_files(
            std::slice::from_ref(&instance),
            Rules::Named(&[schema.as_ref()]),
        ) {
            Err(CheckError::Failed { message }) => {
                assert!(message.contains(expected), "{body}: {message}")
            }
            other => panic!("{body}: expected a refusal, got {other:?}"),
        }
    }
}

#[test]
fn command_line_exit_status_and_human_output() {
    let passing = data("oots-samples/oots-france/erreur.edm-1.0.xml");
    let failing = data("oots-samples/oots-france/original/erreur.xml");
    let (passing, failing) = (passing.to_string_lossy(), failing.to_string_lossy());

    let (status, stdout, stderr) = cli(&["--rules", "auto", passing.as_ref()]);
    assert_eq!(status, 0, "{stdout}{stderr}");
    assert!(stdout.contains("PASS: 0 error(s)"), "{stdout}");

    let (status, stdout, _) = cli(&[passing.as_ref(), failing.as_ref()]);
    assert_eq!(status, 1, "{stdout}");
    assert!(
        stdout.contains("error EDM-ERR-C R-EDM-ERR-C001 at /query:QueryResponse[1]/rim:Slot[1]/rim:SlotValue[1]: The 'rim:Value' of the 'SpecificationIdentifier' MUST be the fixed value \"oots-edm:v1.0\"."),
        "{stdout}"
    );

    for usage in [
        &[][..],
        &["--rules", "NO-SUCH-RULES", passing.as_ref()][..],
        &["--rules", "auto,EDM-REQ-S", passing.as_ref()][..],
        &["/no/such/file.xml"][..],
    ] {
        let (status, _, stderr) = cli(usage);
        assert_eq!(status, 2, "{usage:?}: {stderr}");
        assert!(stderr.starts_with("schematron.py: "), "{usage:?}: {stderr}");
    }
}
