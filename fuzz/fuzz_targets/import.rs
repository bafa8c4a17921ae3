//! The register import (`once register import`): CSV or JSON records checked line by line. The
//! first byte chooses the format (bit 0) and the register's evidence types (bits 1 to 3, any
//! subset of the three the node produces); the rest is the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use once_node::operations::import::{self, Format};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let format = if selector & 1 == 0 {
        Format::Csv
    } else {
        Format::Json
    };
    let evidence_types: Vec<String> = import::known_evidence_types()
        .enumerate()
        .filter(|(i, _)| selector & (2 << i) != 0)
        .map(|(_, t)| t.to_owned())
        .collect();
    match import::parse(file, format, "fuzz", &evidence_types) {
        Ok(records) => {
            for record in &records {
                assert_eq!(record.register_id, "fuzz");
                assert!(!record.record_key.is_empty());
                if let Some(tax_id) = &record.tax_id {
                    assert_eq!(tax_id.len(), 11);
                }
                import::parse_date(&record.date_of_birth)
                    .expect("an imported date of birth is a date");
            }
        }
        Err(error) => {
            assert!(!error.errors.is_empty());
            assert!(error.errors.len() <= 50);
            let _ = error.to_string();
        }
    }
});
