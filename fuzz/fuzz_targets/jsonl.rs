//! The JSON Lines reader for `classify` on arbitrary bytes: never panics,
//! yields at most one document per line, and never a text over the limit.
#![no_main]

use docclass::corpus::input::jsonl_documents;
use docclass::corpus::InputDocument;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A small limit so that the over-limit path is exercised too.
    let limit = 256;
    let lines = data.split(|&b| b == b'\n').count();
    let mut count = 0;
    for doc in jsonl_documents(std::io::Cursor::new(data), "fuzz".into(), limit) {
        count += 1;
        if let InputDocument::Text { text, .. } = &doc {
            assert!(text.len() <= limit * 4, "text longer than its line");
        }
        assert!(!doc.id().is_empty());
    }
    assert!(count <= lines, "{count} documents from {lines} lines");
});
