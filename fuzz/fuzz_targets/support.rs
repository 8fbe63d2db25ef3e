//! Shared by the extraction targets (pdf, docx, html).

use docclass::corpus::extract::Limits;

/// libfuzzer-sys's panic hook aborts on every panic, even those docclass
/// catches and reports as "broken ..." errors (parser crates panic on some
/// malformed files). The default hook is put back once: caught panics then
/// unwind to docclass's handler, and a panic that escapes docclass still
/// reaches libfuzzer-sys's `catch_unwind` around the target, which aborts.
pub fn quiet_caught_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
    });
}

/// Small limits, so that the size caps are reached by short inputs.
pub fn limits() -> Limits {
    Limits {
        max_bytes: 1 << 20,
        ..Limits::default()
    }
}
