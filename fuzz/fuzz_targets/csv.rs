//! The CSV readers on arbitrary bytes: the labelled-data reader of
//! `train`/`eval` and the document reader of `classify`. Never a panic; a
//! clear error or documents whose texts respect the limit.
#![no_main]

use docclass::corpus::input::csv_documents;
use docclass::corpus::{read_labelled_csv, InputDocument, ReadOptions};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    // The first byte picks comma or tab.
    let delimiter = if data.first() == Some(&b'\t') {
        b'\t'
    } else {
        b','
    };
    // Small limits, so that over-limit records and the growth of the
    // field buffer (which starts at the limit or 8 KiB) are reached by
    // short inputs too.
    for limit in [24, 512] {
        check(data, delimiter, limit);
    }
});

fn check(data: &[u8], delimiter: u8, limit: usize) {
    for skip_invalid in [false, true] {
        let options = ReadOptions {
            skip_invalid,
            max_doc_bytes: limit,
            ..ReadOptions::default()
        };
        match read_labelled_csv(data, Path::new("fuzz.csv"), delimiter, options) {
            Ok(read) => {
                for doc in &read.documents {
                    assert!(doc.text.len() <= limit * 3, "text over the limit");
                    assert!(doc.labels.iter().all(|l| !l.is_empty() && l.trim() == l));
                }
            }
            Err(e) => assert!(e.to_string().contains("fuzz.csv"), "{e}"),
        }
    }
    for doc in csv_documents(data, "fuzz.csv".into(), delimiter, limit) {
        if let InputDocument::Text { text, .. } = &doc {
            assert!(text.len() <= limit * 3, "text over the limit");
        }
        assert!(!doc.id().is_empty());
    }
}
