//! Documents to classify, streamed: each input yields its documents one at a
//! time, so a multi-gigabyte JSON Lines file or a folder of a million files
//! is never held in memory at once.

use super::columnar::{columnar_kind, read_rows, ColumnNames, Columnar};
use super::csv_records::{read_csv_records, too_wide_message, unterminated_message, CsvRead};
use super::extract::{extract_bounded, Extracted, Limits};
use super::labelled::{extension, is_hidden};
use super::records::{parse_json_text_record, read_lines_limited, LineRead};
use crate::{Error, Result};
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// One document as read from an input, before its text is decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum InputDocument {
    /// Text already in hand (a JSON Lines or CSV record).
    Text { id: String, text: String },
    /// A file to read and extract text from; extraction runs in parallel
    /// later, in [`InputDocument::into_text`], not while inputs are listed.
    File { id: String, path: PathBuf },
    /// A document that could not be read; it still gets an output record.
    Failed { id: String, message: String },
}

impl InputDocument {
    pub fn id(&self) -> &str {
        match self {
            InputDocument::Text { id, .. }
            | InputDocument::File { id, .. }
            | InputDocument::Failed { id, .. } => id,
        }
    }

    /// The document's text, reading a file and extracting its text (any
    /// format [`crate::corpus::extract`] reads) if needed.
    pub fn into_text(self, max_doc_bytes: usize) -> (String, std::result::Result<String, String>) {
        match self {
            InputDocument::Text { id, text } => (id, Ok(text)),
            InputDocument::Failed { id, message } => (id, Err(message)),
            InputDocument::File { id, path } => {
                let text = read_document_file(&path, max_doc_bytes);
                (id, text)
            }
        }
    }
}

/// Reads a single document file and returns its text: any format
/// [`crate::corpus::extract`] reads, chosen by content.
pub fn read_document_file(
    path: &Path,
    max_doc_bytes: usize,
) -> std::result::Result<String, String> {
    read_document(path, max_doc_bytes).map(|e| e.text)
}

/// Opens a file for reading without waiting for a writer. Opening a named
/// pipe blocks until some process opens it for writing, which may be
/// never (`mkfifo f; docclass classify f` would hang with no record even
/// for the other inputs); opened non-blocking it returns at once, and reads
/// then block as usual: a pipe with a writer delivers its data, one without
/// reads as empty.
pub fn open_for_reading(path: &Path) -> std::io::Result<fs::File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        use std::os::unix::io::AsRawFd;
        let file = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)?;
        let fd = file.as_raw_fd();
        // SAFETY: fcntl on a descriptor this function owns; it only reads
        // and sets the descriptor's status flags.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFL);
            if flags >= 0 {
                libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
            }
        }
        Ok(file)
    }
    #[cfg(not(unix))]
    {
        fs::File::open(path)
    }
}

/// Whether a path is a named pipe, device or socket rather than a file
/// (process substitution `<(zcat x.gz)` gives a pipe).
fn is_stream(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Reads a single document file: the size limit applies to the file as
/// stored (the extracted text of a PDF is usually far smaller) and to the
/// text extracted, and extraction is bounded as [`extract_bounded`] says.
pub fn read_document(path: &Path, max_doc_bytes: usize) -> std::result::Result<Extracted, String> {
    let file = open_for_reading(path).map_err(|e| format!("cannot read: {e}"))?;
    let over = |size: u64| {
        format!("document is {size} bytes, over the limit of {max_doc_bytes} (--max-doc-bytes)")
    };
    // The size as stored, when the file system knows it: refuse before
    // reading, and read into a buffer of the right size (growing one by
    // doubling would take up to twice the document's size).
    let known = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    if let Some(size) = known.filter(|&s| s > max_doc_bytes as u64) {
        return Err(over(size));
    }
    let capacity = known.map_or(0, |s| s as usize);
    let mut bytes = Vec::with_capacity(capacity.saturating_add(1));
    file.take(max_doc_bytes as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() > max_doc_bytes {
        return Err(format!(
            "document is over the limit of {max_doc_bytes} bytes (--max-doc-bytes)"
        ));
    }
    if bytes.is_empty() && known.is_none() && is_stream(path) {
        return Err(
            "not a regular file: a named pipe or device with nothing to read \
             (no writer?)"
                .to_string(),
        );
    }
    extract_bounded(bytes, &Limits::new(max_doc_bytes))
}

/// The name used for standard input in ids and messages.
pub const STDIN_NAME: &str = "<stdin>";

/// Checks that every input exists and can be opened before any work
/// starts, so a typo or a missing permission fails fast with the path named
/// instead of after an hour of classification. Named pipes and devices are
/// not opened here: opening a pipe waits for its writer.
pub fn check_inputs(inputs: &[PathBuf]) -> Result<()> {
    for input in inputs {
        if input.as_os_str() == "-" {
            continue;
        }
        let meta = fs::metadata(input).map_err(|e| Error::io(input, e))?;
        if meta.is_dir() {
            fs::read_dir(input).map_err(|e| Error::io(input, e))?;
        } else if meta.is_file() {
            fs::File::open(input).map_err(|e| Error::io(input, e))?;
        }
    }
    Ok(())
}

/// All documents of all inputs, in order. A folder gives its files (and
/// the records of its record files); a `.jsonl`/`.csv`/`.tsv` file its
/// records; `-` (stdin), a pipe or a
/// gzip-compressed input is sniffed: JSON Lines if its first character is
/// `{`, else one document; any other file is one document.
pub fn documents(inputs: &[PathBuf], max_doc_bytes: usize) -> impl Iterator<Item = InputDocument> {
    documents_as(inputs, max_doc_bytes, None, ColumnNames::default())
}

/// How to read an input named on the command line, overriding what its
/// name and content say (`--input-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// One document (any format docclass extracts: text, HTML, PDF, ...).
    Text,
    /// JSON Lines records.
    Jsonl,
    /// CSV records with a header row.
    Csv,
    /// Tab-separated records with a header row.
    Tsv,
    /// A Parquet file (not from stdin or a pipe: Parquet needs to seek).
    Parquet,
    /// An Arrow IPC file or stream.
    Arrow,
}

impl InputFormat {
    fn layout(self) -> &'static str {
        match self {
            InputFormat::Text => "document",
            InputFormat::Jsonl => "jsonl",
            InputFormat::Csv => "csv",
            InputFormat::Tsv => "tsv",
            InputFormat::Parquet => "parquet",
            InputFormat::Arrow => "arrow",
        }
    }
}

/// [`documents`], with every input that is not a folder read as `format`
/// when one is given (files inside folders keep their own layout).
pub fn documents_as(
    inputs: &[PathBuf],
    max_doc_bytes: usize,
    format: Option<InputFormat>,
    columns: ColumnNames,
) -> impl Iterator<Item = InputDocument> {
    let inputs = inputs.to_vec();
    inputs
        .into_iter()
        .flat_map(move |input| -> Box<dyn Iterator<Item = InputDocument>> {
            if input.as_os_str() == "-" {
                let stdin = std::io::stdin();
                return stream_documents(
                    Box::new(BufReader::new(stdin)),
                    STDIN_NAME.to_string(),
                    format.map(InputFormat::layout),
                    max_doc_bytes,
                );
            }
            if input.is_dir() {
                // Record files found in a folder are read as records, as
                // when named on the command line.
                return Box::new(folder_documents(&input).flat_map(
                    move |doc| -> Box<dyn Iterator<Item = InputDocument>> {
                        let InputDocument::File { path, .. } = &doc else {
                            return Box::new(std::iter::once(doc));
                        };
                        // Sniffed once: the magic bytes are read here only.
                        match columnar_kind(path) {
                            Some(kind) => {
                                Box::new(columnar_documents(path, kind, columns, max_doc_bytes))
                            }
                            None if record_layout(path).is_some() => {
                                text_file_documents(path, max_doc_bytes)
                            }
                            None => Box::new(std::iter::once(doc)),
                        }
                    },
                ));
            }
            match format {
                Some(InputFormat::Parquet) => Box::new(columnar_documents(
                    &input,
                    Columnar::Parquet,
                    columns,
                    max_doc_bytes,
                )),
                Some(InputFormat::Arrow) => Box::new(columnar_documents(
                    &input,
                    Columnar::ArrowIpc,
                    columns,
                    max_doc_bytes,
                )),
                Some(format) => match open_for_reading(&input) {
                    Ok(file) => stream_documents(
                        Box::new(BufReader::new(file)),
                        input.display().to_string(),
                        Some(format.layout()),
                        max_doc_bytes,
                    ),
                    Err(e) => Box::new(std::iter::once(InputDocument::Failed {
                        id: input.display().to_string(),
                        message: format!("cannot read: {e}"),
                    })),
                },
                None => file_documents(&input, max_doc_bytes, columns),
            }
        })
}

/// The rows of a Parquet or Arrow file as documents: a null text or one
/// over the size limit is a failed document naming its row; a file that
/// cannot be read (or has no text column) is one failed document.
fn columnar_documents(
    path: &Path,
    kind: Columnar,
    columns: ColumnNames,
    max_doc_bytes: usize,
) -> impl Iterator<Item = InputDocument> {
    let name = path.display().to_string();
    read_rows(path, kind, columns).map(move |row| match row {
        Err(message) => InputDocument::Failed {
            id: name.clone(),
            message,
        },
        Ok(row) => {
            let id = row.id.unwrap_or_else(|| format!("{name}:{}", row.line));
            match row.text {
                None => InputDocument::Failed {
                    id,
                    message: format!("row {}: the text is null", row.line),
                },
                Some(text) if text.len() > max_doc_bytes => InputDocument::Failed {
                    id,
                    message: format!(
                        "row {}: record is {} bytes, over the limit of {max_doc_bytes} \
                         (--max-doc-bytes)",
                        row.line,
                        text.len()
                    ),
                },
                Some(text) => InputDocument::Text { id, text },
            }
        }
    })
}

/// What a file name says about its records: `.jsonl`, `.csv`, `.tsv`, also
/// under a `.gz` suffix (`x.jsonl.gz`).
fn record_layout(path: &Path) -> Option<&'static str> {
    let mut ext = extension(path);
    if ext.as_deref() == Some("gz") {
        ext = path.file_stem().and_then(|s| extension(Path::new(s)));
    }
    match ext.as_deref() {
        Some("jsonl") | Some("ndjson") => Some("jsonl"),
        Some("csv") => Some("csv"),
        Some("tsv") => Some("tsv"),
        _ => None,
    }
}

fn file_documents(
    input: &Path,
    max_doc_bytes: usize,
    columns: ColumnNames,
) -> Box<dyn Iterator<Item = InputDocument>> {
    match columnar_kind(input) {
        Some(kind) => Box::new(columnar_documents(input, kind, columns, max_doc_bytes)),
        None => text_file_documents(input, max_doc_bytes),
    }
}

/// [`file_documents`] for an input known not to be Parquet or Arrow.
fn text_file_documents(
    input: &Path,
    max_doc_bytes: usize,
) -> Box<dyn Iterator<Item = InputDocument>> {
    let name = input.display().to_string();
    let gzipped = extension(input).as_deref() == Some("gz");
    let stream = is_stream(input);
    let layout = record_layout(input);
    if !gzipped && !stream && layout.is_none() {
        // Read and extracted later, in parallel with other documents.
        return Box::new(std::iter::once(InputDocument::File {
            id: name,
            path: input.to_path_buf(),
        }));
    }
    match open_for_reading(input) {
        Ok(file) => stream_documents(Box::new(BufReader::new(file)), name, layout, max_doc_bytes),
        Err(e) => Box::new(std::iter::once(InputDocument::Failed {
            id: name,
            message: format!("cannot read: {e}"),
        })),
    }
}

/// The documents of an input read as a stream. Gzip is recognised by its
/// magic bytes and decompressed on the fly; then `layout` (from the file
/// name) decides, or without one the first character: `{` starts JSON
/// Lines, anything else is one document of any format [`crate::corpus::extract`]
/// reads, held whole (up to `max_doc_bytes`).
fn stream_documents(
    mut reader: Box<dyn BufRead>,
    name: String,
    layout: Option<&'static str>,
    max_doc_bytes: usize,
) -> Box<dyn Iterator<Item = InputDocument>> {
    let failed = |message: String| -> Box<dyn Iterator<Item = InputDocument>> {
        Box::new(std::iter::once(InputDocument::Failed {
            id: name.clone(),
            message,
        }))
    };
    match reader.fill_buf() {
        Ok([0x1f, 0x8b, ..]) => {
            reader = Box::new(BufReader::new(flate2::bufread::MultiGzDecoder::new(reader)));
        }
        Ok(_) => {}
        Err(e) => return failed(format!("cannot read: {e}")),
    }
    let layout = match layout {
        Some(layout) => layout,
        None => match first_character(&mut reader) {
            Ok(Some(b'{')) => "jsonl",
            Ok(Some(_)) => "document",
            // Empty standard input is an empty batch, as an empty JSON
            // Lines file is; a named pipe that gives nothing most likely
            // had no writer, which the user should hear about.
            Ok(None) if name == STDIN_NAME => return Box::new(std::iter::empty()),
            Ok(None) if !is_stream(Path::new(&name)) => {
                return Box::new(std::iter::once(InputDocument::Text {
                    id: name,
                    text: String::new(),
                }))
            }
            Ok(None) => {
                return failed(
                    "not a regular file: a named pipe or device that gave nothing to read \
                     (no writer?)"
                        .to_string(),
                )
            }
            Err(e) => return failed(format!("cannot read: {e}")),
        },
    };
    match layout {
        "parquet" | "arrow" => failed(
            "--input-format parquet/arrow reads files, not standard input or pipes (Parquet \
             needs to seek): write it to a file first"
                .to_string(),
        ),
        "jsonl" => Box::new(jsonl_documents(reader, name, max_doc_bytes)),
        "csv" | "tsv" => {
            let delimiter = if layout == "tsv" { b'\t' } else { b',' };
            Box::new(csv_documents(reader, name, delimiter, max_doc_bytes))
        }
        _ => {
            let mut bytes = Vec::new();
            let read = reader
                .take(max_doc_bytes as u64 + 1)
                .read_to_end(&mut bytes);
            let result = match read {
                Err(e) => Err(format!("cannot read: {e}")),
                Ok(_) if bytes.len() > max_doc_bytes => Err(format!(
                    "document is over the limit of {max_doc_bytes} bytes (--max-doc-bytes)"
                )),
                Ok(_) => extract_bounded(bytes, &Limits::new(max_doc_bytes)).map(|e| e.text),
            };
            Box::new(std::iter::once(match result {
                Ok(text) => InputDocument::Text { id: name, text },
                Err(message) => InputDocument::Failed { id: name, message },
            }))
        }
    }
}

/// The first byte that is not white space or a byte order mark, without
/// consuming it (what [`BufRead::fill_buf`] shows is kept for the reader).
fn first_character(reader: &mut Box<dyn BufRead>) -> std::io::Result<Option<u8>> {
    loop {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok(None);
        }
        let skip = if buf.starts_with(b"\xef\xbb\xbf") {
            3
        } else {
            buf.iter().take_while(|b| b.is_ascii_whitespace()).count()
        };
        if skip == 0 {
            return Ok(Some(buf[0]));
        }
        if skip < buf.len() && !buf.starts_with(b"\xef\xbb\xbf") {
            return Ok(Some(buf[skip]));
        }
        // Only white space (or a BOM) so far: it is not part of any
        // record, so it may be consumed.
        reader.consume(skip);
    }
}

/// Every non-hidden file below a folder, in sorted path order.
pub(crate) fn folder_documents(root: &Path) -> impl Iterator<Item = InputDocument> {
    walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.path()))
        .filter_map(|entry| match entry {
            Ok(e) if e.file_type().is_file() => Some(InputDocument::File {
                id: e.path().display().to_string(),
                path: e.into_path(),
            }),
            Ok(_) => None,
            Err(e) => Some(InputDocument::Failed {
                id: e
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "?".into()),
                message: format!("cannot read: {e}"),
            }),
        })
}

/// JSON Lines records; a bad line becomes a failed document naming its line.
pub fn jsonl_documents<R: std::io::BufRead>(
    reader: R,
    name: String,
    max_doc_bytes: usize,
) -> impl Iterator<Item = InputDocument> {
    read_lines_limited(reader, max_doc_bytes).filter_map(move |item| match item {
        LineRead::Line(n, line) => {
            if line.trim().is_empty() {
                return None;
            }
            Some(match parse_json_text_record(&line) {
                Ok(r) => InputDocument::Text {
                    id: r.id.unwrap_or_else(|| format!("{name}:{n}")),
                    text: r.text,
                },
                Err(message) => InputDocument::Failed {
                    id: super::records::record_id(&line).unwrap_or_else(|| format!("{name}:{n}")),
                    message: format!("line {n}: {message}"),
                },
            })
        }
        LineRead::TooLong(n, size) => Some(InputDocument::Failed {
            id: format!("{name}:{n}"),
            message: format!(
                "line {n}: record is {size} bytes, over the limit of {max_doc_bytes} \
                 (--max-doc-bytes)"
            ),
        }),
        LineRead::Io(e) => Some(InputDocument::Failed {
            id: name.clone(),
            message: format!("read error, rest of input lost: {e}"),
        }),
    })
}

/// CSV rows with a `text` column (and optional `id`), one document per row
/// in order. A row that cannot be used (no text field, over
/// `max_doc_bytes`) becomes a failed document naming its line; a CSV
/// without a `text` column is one failed document named after the input.
/// Memory stays within `max_doc_bytes` per row however long a field is.
pub fn csv_documents<R: BufRead>(
    reader: R,
    name: String,
    delimiter: u8,
    max_doc_bytes: usize,
) -> impl Iterator<Item = InputDocument> {
    let mut records = read_csv_records(reader, delimiter, max_doc_bytes);
    let header = records.next();
    let columns = match header {
        Some(CsvRead::Record { fields, .. }) => {
            let column = |n: &str| fields.iter().position(|h| h.trim().eq_ignore_ascii_case(n));
            match column("text") {
                Some(text) => Ok((text, column("id"))),
                None => Err(format!(
                    "{name}:1: no \"text\" column in the header row; the CSV needs one"
                )),
            }
        }
        None => Err(format!(
            "{name}: empty CSV file: expected a header row with a \"text\" column"
        )),
        Some(CsvRead::TooLong { bytes, .. }) => Err(format!(
            "{name}:1: the header row is {bytes} bytes, over the limit of {max_doc_bytes} \
             (--max-doc-bytes)"
        )),
        Some(CsvRead::TooWide { .. }) => Err(format!("{name}:1: {}", too_wide_message())),
        Some(CsvRead::Unterminated { .. }) => Err(format!("{name}:1: {}", unterminated_message())),
        Some(CsvRead::Io(e)) => Err(format!("cannot read: {e}")),
    };
    let (failure, columns) = match columns {
        Ok(c) => (None, Some(c)),
        Err(message) => (
            Some(InputDocument::Failed {
                id: name.clone(),
                message,
            }),
            None,
        ),
    };
    // Nothing after a header without a text column: map_while stops at once.
    let rows = records.map_while(move |item| {
        let (text_col, id_col) = columns?;
        Some(match item {
            CsvRead::Record { line, mut fields } => {
                let id = id_col
                    .and_then(|c| fields.get(c))
                    .filter(|s| !s.is_empty())
                    .cloned()
                    .unwrap_or_else(|| format!("{name}:{line}"));
                if text_col < fields.len() {
                    InputDocument::Text {
                        id,
                        text: fields.swap_remove(text_col),
                    }
                } else {
                    InputDocument::Failed {
                        id,
                        message: format!(
                            "line {line}: row has {} fields and no \"text\" field (column {}): \
                             ragged row",
                            fields.len(),
                            text_col + 1
                        ),
                    }
                }
            }
            CsvRead::TooLong { line, bytes } => InputDocument::Failed {
                id: format!("{name}:{line}"),
                message: format!(
                    "line {line}: record is {bytes} bytes, over the limit of {max_doc_bytes} \
                     (--max-doc-bytes)"
                ),
            },
            CsvRead::TooWide { line } => InputDocument::Failed {
                id: format!("{name}:{line}"),
                message: format!("line {line}: {}", too_wide_message()),
            },
            CsvRead::Unterminated { line } => InputDocument::Failed {
                id: format!("{name}:{line}"),
                message: format!("line {line}: {}", unterminated_message()),
            },
            CsvRead::Io(e) => InputDocument::Failed {
                id: name.clone(),
                message: format!("read error, rest of input lost: {e}"),
            },
        })
    });
    failure.into_iter().chain(rows)
}

/// Tab for `.tsv` files, comma otherwise.
pub(crate) fn csv_delimiter(path: &Path) -> u8 {
    if extension(path).as_deref() == Some("tsv") {
        b'\t'
    } else {
        b','
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_yields_one_item_per_nonblank_line() {
        let input =
            "{\"id\":\"a\",\"text\":\"x\"}\n\n{\"text\":\"y\"}\nnot json\n{\"text\":null}\n";
        let docs: Vec<_> = jsonl_documents(std::io::Cursor::new(input), "f".into(), 1000).collect();
        assert_eq!(docs.len(), 4);
        assert_eq!(docs[0].id(), "a");
        assert_eq!(docs[1].id(), "f:3");
        assert!(matches!(&docs[2], InputDocument::Failed { id, .. } if id == "f:4"));
        assert!(
            matches!(&docs[3], InputDocument::Failed { message, .. } if message.contains("is null"))
        );
    }

    #[test]
    fn folders_are_walked_in_sorted_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["b.txt", "a/z.txt", "a/.hidden", "c.md"] {
            let p = dir.path().join(name);
            fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            fs::write(p, "text").expect("write");
        }
        let ids: Vec<String> = documents(&[dir.path().to_path_buf()], 100)
            .map(|d| {
                Path::new(d.id())
                    .strip_prefix(dir.path())
                    .expect("under root")
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(ids, ["a/z.txt", "b.txt", "c.md"]);
    }
}
