//! The DOCX and ODT readers. Mutated ZIP bytes almost never get past the
//! archive's checksums, so the first byte picks what is fuzzed:
//! - even: the bytes are the file itself (seed with the fixtures' doc.docx
//!   and doc.odt), reaching the ZIP reader and its damage messages;
//! - odd: the bytes are `word/document.xml` (or `content.xml`) inside a
//!   well-formed archive, reaching the XML state machines.
//!
//! Either way: text within the limit or a clear error, never a panic.
#![no_main]

mod support;

use docclass::corpus::extract::extract_capped;
use libfuzzer_sys::fuzz_target;
use std::io::Write;

fn wrap(part: &str, xml: &[u8], odt: bool) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored);
    if odt {
        zip.start_file("mimetype", stored).expect("zip");
        zip.write_all(b"application/vnd.oasis.opendocument.text")
            .expect("zip");
    } else {
        zip.start_file("[Content_Types].xml", stored).expect("zip");
        zip.write_all(b"<Types/>").expect("zip");
    }
    zip.start_file(part, stored).expect("zip");
    zip.write_all(xml).expect("zip");
    zip.finish().expect("zip").into_inner()
}

fuzz_target!(|data: &[u8]| {
    support::quiet_caught_panics();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let bytes = match mode % 4 {
        1 => wrap("word/document.xml", rest, false),
        3 => wrap("content.xml", rest, true),
        _ => rest.to_vec(),
    };
    let limits = support::limits();
    match extract_capped(&bytes, &limits) {
        Ok(e) => assert!(e.text.len() <= limits.max_bytes),
        Err(message) => assert!(!message.is_empty()),
    }
});
