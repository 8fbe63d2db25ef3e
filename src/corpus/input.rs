//! Documents to classify, streamed: each input yields its documents one at a
//! time, so a multi-gigabyte JSON Lines file or a folder of a million files
//! is never held in memory at once.

use super::extract::{extract_with_limit, Extracted, EXTRACT_TIME_LIMIT};
use super::labelled::{csv_error, extension, is_hidden};
use super::records::{parse_json_record, read_lines_limited, LineRead};
use crate::{Error, Result};
use std::fs;
use std::io::{BufReader, Read};
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

/// Reads a single document file: the size limit applies to the file as
/// stored (the extracted text of a PDF is usually far smaller), and
/// extraction is bounded by [`EXTRACT_TIME_LIMIT`].
pub fn read_document(path: &Path, max_doc_bytes: usize) -> std::result::Result<Extracted, String> {
    let file = fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut bytes = Vec::new();
    file.take(max_doc_bytes as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() > max_doc_bytes {
        return Err(format!(
            "document is over {max_doc_bytes} bytes, the limit (--max-doc-bytes)"
        ));
    }
    extract_with_limit(bytes, EXTRACT_TIME_LIMIT)
}

/// The name used for standard input in ids and messages.
pub const STDIN_NAME: &str = "<stdin>";

/// Checks that every input exists before any work starts, so a typo fails
/// fast with the path named instead of after an hour of classification.
pub fn check_inputs(inputs: &[PathBuf]) -> Result<()> {
    for input in inputs {
        if input.as_os_str() == "-" {
            continue;
        }
        fs::metadata(input).map_err(|e| Error::io(input, e))?;
    }
    Ok(())
}

/// All documents of all inputs, in order. `-` reads JSON Lines from stdin.
pub fn documents(inputs: &[PathBuf], max_doc_bytes: usize) -> impl Iterator<Item = InputDocument> {
    let inputs = inputs.to_vec();
    inputs
        .into_iter()
        .flat_map(move |input| -> Box<dyn Iterator<Item = InputDocument>> {
            if input.as_os_str() == "-" {
                let stdin = std::io::stdin();
                return Box::new(jsonl_documents(
                    BufReader::new(stdin),
                    STDIN_NAME.to_string(),
                    max_doc_bytes,
                ));
            }
            if input.is_dir() {
                return Box::new(folder_documents(&input));
            }
            match extension(&input).as_deref() {
                Some("jsonl") | Some("ndjson") => match fs::File::open(&input) {
                    Ok(f) => Box::new(jsonl_documents(
                        BufReader::new(f),
                        input.display().to_string(),
                        max_doc_bytes,
                    )),
                    Err(e) => Box::new(std::iter::once(InputDocument::Failed {
                        id: input.display().to_string(),
                        message: format!("cannot read: {e}"),
                    })),
                },
                Some("csv") | Some("tsv") => Box::new(csv_documents(&input, max_doc_bytes)),
                _ => Box::new(std::iter::once(InputDocument::File {
                    id: input.display().to_string(),
                    path: input.clone(),
                })),
            }
        })
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
            Some(match parse_json_record(&line) {
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
                "line {n}: record is over {size} bytes, the limit (--max-doc-bytes {max_doc_bytes})"
            ),
        }),
        LineRead::Io(e) => Some(InputDocument::Failed {
            id: name.clone(),
            message: format!("read error, rest of input lost: {e}"),
        }),
    })
}

/// CSV rows with a `text` column (and optional `id`).
fn csv_documents(path: &Path, max_doc_bytes: usize) -> Box<dyn Iterator<Item = InputDocument>> {
    let name = path.display().to_string();
    let fail = |message: String| -> Box<dyn Iterator<Item = InputDocument>> {
        Box::new(std::iter::once(InputDocument::Failed {
            id: path.display().to_string(),
            message,
        }))
    };
    let delimiter = if extension(path).as_deref() == Some("tsv") {
        b'\t'
    } else {
        b','
    };
    let mut reader = match csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_path(path)
    {
        Ok(r) => r,
        Err(e) => return fail(csv_error(path, e).to_string()),
    };
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return fail(csv_error(path, e).to_string()),
    };
    let column = |n: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(n))
    };
    let Some(text_col) = column("text") else {
        return fail(format!(
            "{name}:1: no \"text\" column in the header row; the CSV needs one"
        ));
    };
    let id_col = column("id");
    let path = path.to_path_buf();
    Box::new(reader.into_records().map(move |record| match record {
        Ok(r) => {
            let line = r.position().map_or(0, |p| p.line());
            let id = id_col
                .and_then(|c| r.get(c))
                .filter(|s| !s.is_empty())
                .map(String::from)
                .unwrap_or_else(|| format!("{name}:{line}"));
            match r.get(text_col) {
                Some(text) if text.len() <= max_doc_bytes => InputDocument::Text {
                    id,
                    text: text.to_string(),
                },
                Some(_) => InputDocument::Failed {
                    id,
                    message: format!("line {line}: text is over --max-doc-bytes"),
                },
                None => InputDocument::Failed {
                    id,
                    message: format!("line {line}: row has no \"text\" field (ragged row)"),
                },
            }
        }
        Err(e) => {
            let err = csv_error(&path, e);
            InputDocument::Failed {
                id: name.clone(),
                message: err.to_string(),
            }
        }
    }))
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
            matches!(&docs[3], InputDocument::Failed { message, .. } if message.contains("missing"))
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
