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
//! Structured formats are read by third-party parsers that can panic, loop
//! or allocate without bound on malformed or hostile input (a 100 KB PDF
//! whose compressed stream inflates to gigabytes). [`extract`] turns a
//! panic into an error and caps what it keeps; [`extract_bounded`] also
//! bounds time and memory: in a program that has called
//! [`worker::use_worker_process`] (the `docclass` binary does) each PDF,
//! DOCX, ODT and large HTML file is read in a child process under an
//! address-space limit and killed at the time limit, otherwise on a
//! worker thread under the time limit only.

mod archive;
pub mod docx;
pub mod html;
pub mod odt;
pub mod pdf;
pub mod text;
pub mod worker;

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// How long one file's extraction may take before it is given up:
/// generous for a several-hundred-page PDF on a slow machine, short enough
/// that one pathological file cannot stall a batch for long.
pub const EXTRACT_TIME_LIMIT: Duration = Duration::from_secs(30);

/// The time limit [`Limits::new`] gives, in milliseconds: [`EXTRACT_TIME_LIMIT`]
/// unless the program set another with [`set_time_limit`].
static TIME_LIMIT_MS: AtomicU64 = AtomicU64::new(EXTRACT_TIME_LIMIT.as_millis() as u64);

/// Sets the time limit of every later [`Limits::new`] in this process (the
/// CLI's `DOCCLASS_EXTRACT_TIMEOUT`).
pub fn set_time_limit(limit: Duration) {
    TIME_LIMIT_MS.store(limit.as_millis().max(1) as u64, Ordering::Relaxed);
}

/// The time limit [`Limits::new`] gives.
pub fn time_limit() -> Duration {
    Duration::from_millis(TIME_LIMIT_MS.load(Ordering::Relaxed))
}

/// Name of the worker threads of [`extract_with_limit`], so that their
/// panics can be recognised (see [`silence_worker_panics`]).
pub const WORKER_THREAD_NAME: &str = "docclass-extract";

/// HTML up to this size is parsed in the calling process. Its document tree
/// takes at most about 50 times the file's size (1e7 tiny elements in 30 MB
/// took 1.4 GB), so below this bound a page costs at most some 50 MB per
/// thread, while the many ordinary web pages of a crawl avoid the cost of a
/// child process. Larger HTML goes to a worker process like PDF.
pub const IN_PROCESS_HTML_BYTES: usize = 1024 * 1024;

/// Bounds on one document's extraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time before the extraction is given up (and, in a worker
    /// process, killed).
    pub time: Duration,
    /// Largest extracted text kept, in bytes (`--max-doc-bytes`); a
    /// compressed part of a DOCX or ODT may inflate to four times this.
    pub max_bytes: usize,
}

impl Limits {
    /// The process's time limit ([`time_limit`]) with a given text size
    /// limit.
    pub fn new(max_bytes: usize) -> Self {
        Limits {
            time: time_limit(),
            max_bytes,
        }
    }

    /// Largest uncompressed XML part read from a DOCX or ODT: markup around
    /// the text takes about three times the text itself.
    fn part_bytes(&self) -> u64 {
        (self.max_bytes as u64).saturating_mul(4)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::new(crate::corpus::DEFAULT_MAX_DOC_BYTES)
    }
}

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

    /// The format a [`DocumentFormat::name`] names.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            DocumentFormat::Text,
            DocumentFormat::Html,
            DocumentFormat::Pdf,
            DocumentFormat::Docx,
            DocumentFormat::Odt,
        ]
        .into_iter()
        .find(|f| f.name() == name)
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
/// content, with the default [`Limits`] on sizes. A panic inside a format
/// reader becomes an error. This call has no time or memory limit; see
/// [`extract_bounded`] for batch use.
pub fn extract(bytes: &[u8]) -> Result<Extracted, String> {
    extract_capped(bytes, &Limits::default())
}

/// [`extract`] with the size limits of `limits` (its time limit is not
/// used here).
pub fn extract_capped(bytes: &[u8], limits: &Limits) -> Result<Extracted, String> {
    let extracted = match sniff(bytes) {
        Sniffed::Text => text::extract_text(bytes).map(|text| Extracted {
            text,
            format: DocumentFormat::Text,
        }),
        Sniffed::Ole2 => Err(LEGACY_OFFICE_MESSAGE.to_string()),
        kind => catch_panic(kind.name(), || extract_structured(kind, bytes, limits)),
    }?;
    check_text_size(extracted, limits)
}

/// Refuses an extracted text over the size limit: a small compressed file
/// must not smuggle in what `--max-doc-bytes` refuses as a text file.
fn check_text_size(extracted: Extracted, limits: &Limits) -> Result<Extracted, String> {
    if extracted.text.len() > limits.max_bytes {
        return Err(format!(
            "the text extracted from this {} is {} bytes, over the limit of {} (--max-doc-bytes)",
            extracted.format.name().to_uppercase(),
            extracted.text.len(),
            limits.max_bytes
        ));
    }
    Ok(extracted)
}

fn extract_structured(kind: Sniffed, bytes: &[u8], limits: &Limits) -> Result<Extracted, String> {
    let (text, format) = match kind {
        Sniffed::Pdf => (pdf::extract_pdf(bytes)?, DocumentFormat::Pdf),
        Sniffed::Html => (html::extract_html(bytes)?, DocumentFormat::Html),
        Sniffed::Zip => match archive::office_kind(bytes)? {
            archive::OfficeKind::Docx => (
                docx::extract_docx_capped(bytes, limits.part_bytes())?,
                DocumentFormat::Docx,
            ),
            archive::OfficeKind::Odt => (
                odt::extract_odt_capped(bytes, limits.part_bytes())?,
                DocumentFormat::Odt,
            ),
        },
        Sniffed::Ole2 => return Err(LEGACY_OFFICE_MESSAGE.to_string()),
        Sniffed::Text => (text::extract_text(bytes)?, DocumentFormat::Text),
    };
    Ok(Extracted { text, format })
}

/// [`extract_bounded`] with a time limit and the default size limits.
pub fn extract_with_limit(bytes: Vec<u8>, limit: Duration) -> Result<Extracted, String> {
    extract_bounded(
        bytes,
        &Limits {
            time: limit,
            ..Limits::default()
        },
    )
}

/// Like [`extract_capped`], with time and (where possible) memory bounded:
/// - plain text is decoded on the calling thread: decoding is linear in
///   the input and cannot hang, and anything more would cost more than the
///   decoding itself on folders of many small text files;
/// - HTML up to [`IN_PROCESS_HTML_BYTES`] is parsed on a worker thread
///   under the time limit;
/// - PDF, DOCX, ODT and larger HTML go to a worker process (see
///   [`worker`]) when the program has set one up: it is killed at the time
///   limit and cannot take more memory than its address-space limit, and
///   at most [`worker::MAX_WORKERS`] run at once whatever the thread count.
///   Without a worker process they run on a worker thread, whose memory
///   is not bounded and which, if it overruns, keeps running in the
///   background until its parser finishes (Rust cannot kill a thread).
pub fn extract_bounded(bytes: Vec<u8>, limits: &Limits) -> Result<Extracted, String> {
    let kind = sniff(&bytes);
    match kind {
        // Plain text, the common and possibly largest case, is decoded
        // from the bytes it owns, without a copy.
        Sniffed::Text => text::extract_text_owned(bytes)
            .map(|text| Extracted {
                text,
                format: DocumentFormat::Text,
            })
            .and_then(|e| check_text_size(e, limits)),
        Sniffed::Ole2 => Err(LEGACY_OFFICE_MESSAGE.to_string()),
        Sniffed::Html if bytes.len() <= IN_PROCESS_HTML_BYTES => {
            let limits = *limits;
            run_with_limit(limits.time, move || extract_capped(&bytes, &limits))
        }
        _ => match worker::configured() {
            Some(command) => worker::extract_in_worker(command, bytes, kind.name(), limits),
            None => {
                let limits = *limits;
                run_with_limit(limits.time, move || extract_capped(&bytes, &limits))
            }
        },
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
            Err(format!(
                "broken {kind}: the reader failed on it ({})",
                panic_detail(&detail)
            ))
        }
    }
}

/// What a parser's panic message says about the file, without the Rust
/// internals a user cannot act on ("called `Result::unwrap()` on an `Err`
/// value: ..."): the error value if there is one, else the message, cut
/// to one short line.
fn panic_detail(message: &str) -> String {
    let message = match message.find("unwrap()` on ") {
        Some(_) => match message.find(" value: ") {
            Some(i) => &message[i + " value: ".len()..],
            None => "unexpected structure",
        },
        None if message.contains("unwrap()`") => "unexpected structure",
        None => message,
    };
    let line = message.lines().next().unwrap_or("").trim();
    let mut end = line.len().min(200);
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    if line.is_empty() {
        "unexpected structure".to_string()
    } else {
        line[..end].to_string()
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
        let err = run_with_limit(Duration::from_secs(5), || -> Result<(), String> {
            let offset: u32 = "x".parse().unwrap();
            Err(offset.to_string())
        })
        .expect_err("must fail");
        assert_eq!(
            err,
            "broken document: the reader failed on it (ParseIntError { kind: InvalidDigit })"
        );
        assert!(!err.contains("unwrap"), "{err}");
        assert_eq!(run_with_limit(Duration::from_secs(5), || Ok(7)), Ok(7));
    }
}
