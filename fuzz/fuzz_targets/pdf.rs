//! The PDF reader on arbitrary bytes: text or a clear error, never a panic
//! that escapes (parser panics become "broken PDF" errors), and a text
//! within the size limit. Seed with `tests/fixtures/formats/*.pdf`.
//!
//! Memory is bounded here only by libFuzzer's `-rss_limit_mb`: in the
//! binary, PDFs are read in worker processes under an address-space limit,
//! which a fuzzer running in one process cannot use. An input that
//! inflates past the RSS limit is a finding for the worker, not a crash of
//! docclass.
#![no_main]

mod support;

use docclass::corpus::extract::{extract_capped, DocumentFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    support::quiet_caught_panics();
    let mut bytes = Vec::with_capacity(data.len() + 5);
    if !data.starts_with(b"%PDF-") {
        bytes.extend_from_slice(b"%PDF-");
    }
    bytes.extend_from_slice(data);
    let limits = support::limits();
    match extract_capped(&bytes, &limits) {
        Ok(e) => {
            assert_eq!(e.format, DocumentFormat::Pdf);
            assert!(e.text.len() <= limits.max_bytes);
        }
        Err(message) => {
            assert!(!message.is_empty());
            assert!(!message.contains("unwrap()"), "{message}");
        }
    }
});
