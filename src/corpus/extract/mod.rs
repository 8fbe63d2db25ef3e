//! Document files to text: the briefs analysts collect arrive as PDF, Word,
//! OpenDocument, saved web pages and plain text in legacy encodings, and the
//! classifier only ever sees text.
//!
//! The reader is chosen from the file's content, never from its name:
//! downloaded files are often misnamed (`brief.doc` that is really HTML,
//! `report` with no extension at all), and a name-based choice would either
//! reject them or feed markup to the classifier.
//!
//! | content | reader |
//! |---|---|
//! | starts with `%PDF-` | [`pdf`]: the text layer, pages in order |
//! | ZIP with `word/document.xml` | [`docx`]: paragraphs and table cells |
//! | ZIP whose `mimetype` is `application/vnd.oasis.opendocument.text` | [`odt`] |
//! | any other ZIP | error: not a text document |
//! | OLE2 (`D0 CF 11 E0`, legacy `.doc`/`.xls`) | error: convert it first |
//! | starts with an HTML tag (after BOM, white space, comments) | [`html`]: visible text |
//! | anything else | [`text`]: encoding detection, binary rejection |
//!
//! Structured formats are read by third-party parsers that can panic or loop
//! on malformed input, so [`extract_with_limit`] runs them on a worker
//! thread under a time limit, and [`extract`] turns a panic into an error.

mod archive;
pub mod docx;
pub mod html;
pub mod odt;
pub mod pdf;
pub mod text;

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::Duration;

/// How long one file's extraction may take before it is given up:
/// generous for a several-hundred-page PDF on a slow machine, short enough
/// that one pathological file cannot stall a batch for long.
pub const EXTRACT_TIME_LIMIT: Duration = Duration::from_secs(30);

/// Name of the worker threads of [`extract_with_limit`], so that their
/// panics can be recognised (see [`silence_worker_panics`]).
pub const WORKER_THREAD_NAME: &str = "docclass-extract";

/// Stack of a worker thread. Parsers of nested formats recurse, and a stack
/// overflow aborts the whole process (it cannot be caught like a panic), so
/// the workers get far more than the 2 MiB default. It is virtual memory:
/// only the pages actually used are committed.
const WORKER_STACK_BYTES: usize = 64 * 1024 * 1024;

/// The kind of document a file turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentFormat {
    /// Plain text, in any encoding docclass detects.
    Text,
    Html,
    Pdf,
    /// Office Open XML word processing (`.docx`, `.docm`, `.dotx`).
    Docx,
    /// OpenDocument text (`.odt`, `.ott`).
    Odt,
}

impl DocumentFormat {
    /// Short lower-case name for messages and JSON output.
    pub fn name(self) -> &'static str {
        match self {
            DocumentFormat::Text => "text",
            DocumentFormat::Html => "html",
            DocumentFormat::Pdf => "pdf",
            DocumentFormat::Docx => "docx",
            DocumentFormat::Odt => "odt",
        }
    }
}

impl std::fmt::Display for DocumentFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The text of a document and what it was read as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    pub text: String,
    pub format: DocumentFormat,
}

/// Message for OLE2 compound files: docclass does not parse the legacy
/// binary formats, but the user can convert them in one command.
pub const LEGACY_OFFICE_MESSAGE: &str = "legacy Word/Office binary format is not supported: \
     convert it to .docx or PDF (e.g. libreoffice --headless --convert-to docx FILE)";

/// What the first bytes say a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sniffed {
    Pdf,
    Zip,
    Ole2,
    Html,
    Text,
}

impl Sniffed {
    /// What the user would call the file, for messages.
    fn name(self) -> &'static str {
        match self {
            Sniffed::Pdf => "PDF",
            Sniffed::Zip => "document archive",
            Sniffed::Ole2 => "Office document",
            Sniffed::Html => "HTML",
            Sniffed::Text => "text",
        }
    }
}

fn sniff(bytes: &[u8]) -> Sniffed {
    if bytes.starts_with(b"%PDF-") {
        Sniffed::Pdf
    } else if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        Sniffed::Zip
    } else if bytes.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        Sniffed::Ole2
    } else if html::looks_like_html(bytes) {
        Sniffed::Html
    } else {
        Sniffed::Text
    }
}

/// Extracts the text of a document of any supported format, chosen by
/// content. A panic inside a format reader becomes an error. This call has
/// no time limit; see [`extract_with_limit`] for batch use.
pub fn extract(bytes: &[u8]) -> Result<Extracted, String> {
    match sniff(bytes) {
        Sniffed::Text => text::extract_text(bytes).map(|text| Extracted {
            text,
            format: DocumentFormat::Text,
        }),
        Sniffed::Ole2 => Err(LEGACY_OFFICE_MESSAGE.to_string()),
        kind => catch_panic(kind.name(), || extract_structured(kind, bytes)),
    }
}

fn extract_structured(kind: Sniffed, bytes: &[u8]) -> Result<Extracted, String> {
    let (text, format) = match kind {
        Sniffed::Pdf => (pdf::extract_pdf(bytes)?, DocumentFormat::Pdf),
        Sniffed::Html => (html::extract_html(bytes)?, DocumentFormat::Html),
        Sniffed::Zip => match archive::office_kind(bytes)? {
            archive::OfficeKind::Docx => (docx::extract_docx(bytes)?, DocumentFormat::Docx),
            archive::OfficeKind::Odt => (odt::extract_odt(bytes)?, DocumentFormat::Odt),
        },
        Sniffed::Ole2 => return Err(LEGACY_OFFICE_MESSAGE.to_string()),
        Sniffed::Text => (text::extract_text(bytes)?, DocumentFormat::Text),
    };
    Ok(Extracted { text, format })
}

/// Like [`extract`], but a structured document (PDF, HTML, DOCX, ODT) is
/// read on a worker thread, and if that takes longer than `limit` the call
/// returns an "extraction timed out" error instead of hanging the batch.
///
/// Plain text is decoded on the calling thread: decoding is linear in the
/// input and cannot hang, and a thread per file would cost more than the
/// decoding itself on folders of many small text files.
///
/// Limitation: Rust cannot kill a thread. A worker that overruns keeps
/// running in the background until its parser finishes (or forever, if the
/// parser loops), using a core and its memory; its result is discarded.
/// The process still exits normally when the command is done.
pub fn extract_with_limit(bytes: Vec<u8>, limit: Duration) -> Result<Extracted, String> {
    match sniff(&bytes) {
        // Plain text, the common and possibly largest case, is decoded
        // from the bytes it owns, without a copy.
        Sniffed::Text => text::extract_text_owned(bytes).map(|text| Extracted {
            text,
            format: DocumentFormat::Text,
        }),
        Sniffed::Ole2 => extract(&bytes),
        _ => run_with_limit(limit, move || extract(&bytes)),
    }
}

/// Runs `work` on a new named worker thread and waits at most `limit` for
/// its result. A panic in `work` becomes an error.
pub fn run_with_limit<T, F>(limit: Duration, work: F) -> Result<T, String>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, String> + Send + 'static,
{
    // A buffer of one lets an overrunning worker deliver its late result
    // and exit without blocking on a receiver that is gone.
    let (sender, receiver) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name(WORKER_THREAD_NAME.to_string())
        .stack_size(WORKER_STACK_BYTES)
        .spawn(move || {
            let result = catch_panic("document", work);
            let _ = sender.send(result);
        })
        .map_err(|e| format!("cannot start an extraction thread: {e}"))?;
    match receiver.recv_timeout(limit) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            Err(format!("extraction timed out after {} s", seconds(limit)))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err("extraction failed: the reader thread died".to_string())
        }
    }
}

/// Seconds for messages: whole numbers as such ("30"), fractions as needed.
fn seconds(limit: Duration) -> String {
    if limit.subsec_nanos() == 0 {
        limit.as_secs().to_string()
    } else {
        format!("{}", limit.as_secs_f64())
    }
}

/// Runs a format reader, turning a panic into an error that says the file
/// is malformed: parser crates treat some impossible inputs as bugs.
/// `kind` names the file in the message ("broken PDF: ...").
fn catch_panic<T>(kind: &str, work: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match panic::catch_unwind(AssertUnwindSafe(work)) {
        Ok(result) => result,
        Err(payload) => {
            let detail = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown cause".to_string());
            Err(format!("broken {kind}: the reader failed on it ({detail})"))
        }
    }
}

/// Keeps panics of extraction worker threads off standard error: they are
/// caught and reported as the file's error, and the default hook's
/// "thread 'docclass-extract' panicked at ..." lines would only confuse
/// someone reading a batch's output. Panics anywhere else are reported as
/// before. Installs the hook once; later calls do nothing.
pub fn silence_worker_panics() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() != Some(WORKER_THREAD_NAME) {
                previous(info);
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Sniffed::Pdf);
        assert_eq!(sniff(b"PK\x03\x04rest"), Sniffed::Zip);
        assert_eq!(
            sniff(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0"),
            Sniffed::Ole2
        );
        assert_eq!(sniff(b"  <!DOCTYPE html><p>x"), Sniffed::Html);
        assert_eq!(sniff(b"Port seminar"), Sniffed::Text);
        assert_eq!(sniff(b"PDF-1.7 is a file format"), Sniffed::Text);
    }

    #[test]
    fn legacy_office_files_name_the_fix() {
        let err = extract(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0\0\0").expect_err("OLE2");
        assert!(err.contains("convert it to .docx"), "{err}");
    }

    #[test]
    fn plain_text_is_decoded() {
        let got = extract("港口管理研修班".as_bytes()).expect("text");
        assert_eq!(got.format, DocumentFormat::Text);
        assert_eq!(got.text, "港口管理研修班");
    }

    #[test]
    fn other_zip_archives_are_not_documents() {
        let err =
            extract(b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0").expect_err("empty zip");
        assert_eq!(err, "not a text document (ZIP archive)");
    }

    #[test]
    fn slow_work_times_out_and_panics_become_errors() {
        let started = std::time::Instant::now();
        let err = run_with_limit(Duration::from_millis(100), || {
            std::thread::sleep(Duration::from_secs(5));
            Ok(())
        })
        .expect_err("must time out");
        assert_eq!(err, "extraction timed out after 0.1 s");
        assert!(started.elapsed() < Duration::from_secs(4));
        assert_eq!(seconds(EXTRACT_TIME_LIMIT), "30");

        silence_worker_panics();
        let err = run_with_limit(Duration::from_secs(5), || -> Result<(), String> {
            panic!("boom")
        })
        .expect_err("must fail");
        assert_eq!(err, "broken document: the reader failed on it (boom)");
        assert_eq!(run_with_limit(Duration::from_secs(5), || Ok(7)), Ok(7));
    }
}
