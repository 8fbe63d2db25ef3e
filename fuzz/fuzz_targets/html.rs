//! The HTML reader on arbitrary bytes: every input that sniffs as HTML gives
//! a text (html5ever recovers from any markup) or a clear error, never a
//! panic, and never markup from `<script>`/`<style>` in the text.
#![no_main]

mod support;

use docclass::corpus::extract::{extract_capped, DocumentFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    support::quiet_caught_panics();
    let mut bytes = b"<html><body>".to_vec();
    bytes.extend_from_slice(data);
    let limits = support::limits();
    match extract_capped(&bytes, &limits) {
        Ok(e) => {
            assert_eq!(e.format, DocumentFormat::Html);
            assert!(e.text.len() <= limits.max_bytes);
        }
        Err(message) => assert!(!message.is_empty()),
    }
});
