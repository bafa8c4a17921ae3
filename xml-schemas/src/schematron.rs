//! The European Commission's EDM Schematron business rules, for tests: runs
//! `schematron/schematron.py` (Python 3 with the `saxonche` package) over a message and returns
//! what it found.
//!
//! Behind the cargo feature `schematron-check`, off by default: the node never runs Python. A
//! crate whose tests check messages against the rules adds to its `[dev-dependencies]`
//! `once-xml = { workspace = true, features = ["schematron-check"] }` and calls
//!
//! ```no_run
//! # let xml: &[u8] = b"";
//! // Every error-level finding of EDM-REQ/RESP/ERR (chosen by the message) fails the test,
//! // with the rule ids and messages in the panic.
//! once_xml::schematron::assert_conforms(xml);
//! // Or look at the findings, including warnings:
//! let report = once_xml::schematron::check(xml).expect("python3 and saxonche");
//! assert!(report.error_ids().is_empty());
//! ```
//!
//! A missing `python3` or `saxonche` is a [`CheckError`] naming what to install
//! (`python3 -m pip install saxonche`), never a silent pass.

use std::collections::BTreeSet;
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

/// What to install when Python's Saxon is missing.
pub const INSTALL_HINT: &str = "python3 -m pip install saxonche";

/// The processor: `schematron/schematron.py` in this crate's source tree.
pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schematron/schematron.py")
}

/// The directory of the Commission's EDM 1.0 rule sets (`schematron/edm-1.0`).
pub fn edm_rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schematron/edm-1.0")
}

/// Which rule sets to run.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Rules<'a> {
    /// By the message: `query:QueryRequest` → EDM-REQ-S + EDM-REQ-C; `query:QueryResponse` with
    /// an `rs:Exception` → EDM-ERR-S + EDM-ERR-C; any other `query:QueryResponse` → EDM-RESP-S +
    /// EDM-RESP-C.
    Auto,
    /// Bundled rule sets by name (`EDM-REQ-S`) or `.sch` files by path.
    Named(&'a [&'a str]),
}

/// Checks a message against the EDM rule sets its root element calls for ([`Rules::Auto`]).
pub fn check(message: &[u8]) -> Result<Report, CheckError> {
    check_with(message, Rules::Auto)
}

/// Checks a message against the given rule sets.
pub fn check_with(message: &[u8], rules: Rules<'_>) -> Result<Report, CheckError> {
    let mut reports = run(&rule_args(rules), &["-".into()], Some(message))?;
    match (reports.pop(), reports.is_empty()) {
        (Some(report), true) => Ok(report),
        _ => Err(CheckError::BadOutput {
            detail: "expected the report of exactly one message".into(),
        }),
    }
}

/// Checks files in one run of the processor (each rule set is compiled once), in order.
pub fn check_files(files: &[PathBuf], rules: Rules<'_>) -> Result<Vec<Report>, CheckError> {
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    run(&rule_args(rules), &names, None)
}

/// Checks a message ([`Rules::Auto`]) and panics, listing the findings, if any is error-level
/// or if the check cannot run (the panic then says what to install). Returns the report
/// (which may hold warnings) otherwise.
///
/// # Panics
/// On any error-level finding and on any [`CheckError`]: this is a test assertion.
pub fn assert_conforms(message: &[u8]) -> Report {
    let report = check(message).unwrap_or_else(|e| panic!("Schematron check: {e}"));
    let errors: Vec<String> = report.errors().map(ToString::to_string).collect();
    assert!(
        errors.is_empty(),
        "the message breaks {} EDM business rule(s) ({}):\n{}\n--- message ---\n{}",
        errors.len(),
        report.rule_set_names().join(", "),
        errors.join("\n"),
        String::from_utf8_lossy(message)
    );
    report
}

/// The findings for one message.
#[derive(Debug, Clone)]
pub struct Report {
    /// The file name given to the processor (`-` for a message passed in memory).
    pub file: String,
    /// The rule sets run, in order.
    pub rule_sets: Vec<RuleSetRun>,
    /// Every failed assert and successful report, in rule set and document order.
    pub findings: Vec<Finding>,
}

impl Report {
    /// The error-level findings (severity fatal or error).
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.severity.is_error())
    }

    /// The keys ([`Finding::key`]) of the error-level findings, each once.
    pub fn error_ids(&self) -> BTreeSet<String> {
        self.errors().map(Finding::key).collect()
    }

    /// The names of the rule sets run.
    pub fn rule_set_names(&self) -> Vec<&str> {
        self.rule_sets.iter().map(|r| r.name.as_str()).collect()
    }
}

/// One rule set run over a message.
#[derive(Debug, Clone, Deserialize)]
pub struct RuleSetRun {
    /// The rule set, e.g. `EDM-REQ-S`.
    pub name: String,
    /// How many times a rule's context matched a node: 0 means the rules did not apply at all.
    pub fired_rules: u32,
}

/// A failed assert or a successful report.
#[derive(Debug, Clone, Deserialize)]
pub struct Finding {
    /// The rule set, e.g. `EDM-REQ-S`.
    pub rule_set: String,
    /// Failed assert or successful report.
    pub kind: Kind,
    /// The rule id (`R-EDM-REQ-S019`); a few of the Commission's asserts have none.
    pub id: Option<String>,
    /// From `role`, else `flag`, else error.
    pub severity: Severity,
    /// The XPath of the node, with the message's prefixes: `/query:QueryRequest[1]/rim:Slot[3]`.
    pub location: String,
    /// The XPath test of the assert or report.
    pub test: String,
    /// The message, white space normalised.
    pub message: String,
}

impl Finding {
    /// The rule id, or for an assert without one `test:` and its test.
    pub fn key(&self) -> String {
        match &self.id {
            Some(id) => id.clone(),
            None => format!("test:{}", self.test),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}, {}) at {}: {}",
            self.key(),
            self.severity,
            self.rule_set,
            self.location,
            self.message
        )
    }
}

/// Whether a finding is a failed assert or a successful report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Kind {
    /// `sch:assert` whose test was false.
    Assert,
    /// `sch:report` whose test was true.
    Report,
}

/// The severity of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Severity {
    /// `fatal` (the Commission's `flag="FATAL"`): an error.
    Fatal,
    /// `error`, and the default: an error.
    Error,
    /// `warning`: not an error.
    Warning,
    /// `info`: not an error (the Commission's "MAY be present" asserts).
    Info,
    /// `caution`: not an error.
    Caution,
}

impl Severity {
    /// Fatal and error findings break the rules; the others inform.
    pub fn is_error(self) -> bool {
        matches!(self, Severity::Fatal | Severity::Error)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Fatal => "fatal",
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Caution => "caution",
        })
    }
}

/// Why a check could not run. Each says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// `python3` is not on the `PATH`.
    #[error("python3 was not found: install Python 3, then `{INSTALL_HINT}`")]
    PythonMissing,
    /// The `saxonche` package is not installed for `python3`.
    #[error("the Python package saxonche is missing: `{INSTALL_HINT}` ({detail})")]
    SaxoncheMissing {
        /// What the processor said.
        detail: String,
    },
    /// `python3` could not be started or fed.
    #[error("running python3 {script}: {source}")]
    Io {
        /// The processor's path.
        script: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The processor refused (a message not well-formed, no EDM rule set for its root element,
    /// an unsupported Schematron construct, …): exit status 2.
    #[error("schematron.py failed: {message}")]
    Failed {
        /// What the processor said.
        message: String,
    },
    /// The processor's output could not be read.
    #[error("schematron.py gave unexpected output: {detail}")]
    BadOutput {
        /// What was wrong.
        detail: String,
    },
}

/// The processor's `--json` document.
#[derive(Deserialize)]
struct Output {
    files: Vec<FileOutput>,
}

/// One file of the `--json` document: a report, or the reason there is none.
#[derive(Deserialize)]
struct FileOutput {
    file: String,
    error: Option<String>,
    rule_sets: Option<Vec<RuleSetRun>>,
    findings: Option<Vec<Finding>>,
}

fn rule_args(rules: Rules<'_>) -> Vec<String> {
    let value = match rules {
        Rules::Auto => "auto".to_owned(),
        Rules::Named(names) => names.join(","),
    };
    vec!["--rules".into(), value]
}

/// Runs `python3 schematron.py --json ARGS FILES`, with `stdin` as standard input if given.
fn run(args: &[String], files: &[String], stdin: Option<&[u8]>) -> Result<Vec<Report>, CheckError> {
    let script = script();
    let io_error = |source| CheckError::Io {
        script: script.display().to_string(),
        source,
    };
    let mut child = Command::new("python3")
        .arg(&script)
        .arg("--json")
        .args(args)
        .arg("--")
        .args(files)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => CheckError::PythonMissing,
            _ => io_error(e),
        })?;
    // Feed standard input from a second thread while this one collects the output, so that
    // neither side can block the other on a full pipe. A write error (python3 exited early) is
    // left to the exit status to explain.
    let input = stdin.zip(child.stdin.take());
    let output = std::thread::scope(|scope| {
        if let Some((bytes, mut pipe)) = input {
            scope.spawn(move || pipe.write_all(bytes));
        }
        child.wait_with_output()
    })
    .map_err(io_error)?;

    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    match output.status.code() {
        Some(0 | 1) => {}
        Some(2) => {
            if stderr.contains("saxonche") {
                return Err(CheckError::SaxoncheMissing { detail: stderr });
            }
            // A file-level refusal is in the JSON; anything earlier only on stderr.
            let reason = serde_json::from_slice::<Output>(&output.stdout)
                .ok()
                .and_then(|o| o.files.into_iter().find_map(|f| f.error))
                .unwrap_or(stderr);
            return Err(CheckError::Failed { message: reason });
        }
        _ => {
            return Err(CheckError::Failed {
                message: format!("{}: {stderr}", output.status),
            });
        }
    }
    let parsed: Output =
        serde_json::from_slice(&output.stdout).map_err(|e| CheckError::BadOutput {
            detail: e.to_string(),
        })?;
    parsed
        .files
        .into_iter()
        .map(|f| match (f.error, f.rule_sets, f.findings) {
            (None, Some(rule_sets), Some(findings)) => Ok(Report {
                file: f.file,
                rule_sets,
                findings,
            }),
            (Some(error), _, _) => Err(CheckError::Failed { message: error }),
            _ => Err(CheckError::BadOutput {
                detail: format!("{}: neither findings nor an error", f.file),
            }),
        })
        .collect()
}
