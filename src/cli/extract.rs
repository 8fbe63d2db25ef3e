//! `docclass extract`: shows the text docclass reads from documents, so a
//! surprising label can be traced to what extraction produced (a scanned
//! PDF, a page that is all menus, a mis-detected encoding).

use super::{EXIT_OK, EXIT_SOME_FAILED};
use crate::corpus::extract::{extract_bounded, Limits};
use crate::corpus::input::{folder_documents, STDIN_NAME};
use crate::corpus::{check_inputs, read_document, Extracted, InputDocument, DEFAULT_MAX_DOC_BYTES};
use rayon::prelude::*;
use serde::Serialize;
use std::io::{Read, Write};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct ExtractArgs {
    /// Documents (plain text in any encoding, HTML, PDF, DOCX, ODT), folders
    /// (every non-hidden file below, in sorted order), or - for standard input.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// One JSON object per file: {"id", "format", "text"}, or {"id", "error"}.
    #[arg(long)]
    json: bool,
    /// Largest file accepted, in bytes; larger ones get an error.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_DOC_BYTES)]
    max_doc_bytes: usize,
}

/// One document to extract.
enum Item {
    File(InputDocument),
    Stdin(std::io::Result<Vec<u8>>),
}

#[derive(Serialize)]
struct JsonRecord<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

pub fn run(args: ExtractArgs) -> anyhow::Result<i32> {
    check_inputs(&args.files)?;
    // With several documents, plain output names each one before its text.
    let headers = args.files.len() > 1 || args.files.iter().any(|p| p.is_dir());
    let max_doc_bytes = args.max_doc_bytes;
    let mut items = args
        .files
        .iter()
        .flat_map(|path| -> Box<dyn Iterator<Item = Item>> {
            if path.as_os_str() == "-" {
                let mut bytes = Vec::new();
                let read = std::io::stdin()
                    .take(max_doc_bytes as u64 + 1)
                    .read_to_end(&mut bytes)
                    .map(|_| bytes);
                Box::new(std::iter::once(Item::Stdin(read)))
            } else if path.is_dir() {
                Box::new(folder_documents(path).map(Item::File))
            } else {
                Box::new(std::iter::once(Item::File(InputDocument::File {
                    id: path.display().to_string(),
                    path: path.clone(),
                })))
            }
        });
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (mut total, mut failed) = (0u64, 0u64);
    // Whole extracted texts are held until written: a small batch keeps that
    // to a few documents per core instead of a thousand.
    let batch_len = 2 * rayon::current_num_threads();
    loop {
        let batch: Vec<Item> = items.by_ref().take(batch_len).collect();
        if batch.is_empty() {
            break;
        }
        let results: Vec<(String, Result<Extracted, String>)> = batch
            .into_par_iter()
            .map(|item| extract_item(item, max_doc_bytes))
            .collect();
        for (id, result) in &results {
            total += 1;
            if result.is_err() {
                failed += 1;
            }
            write_result(&mut out, id, result, args.json, headers)?;
        }
    }
    out.flush()?;
    if failed > 0 {
        note!("docclass: {failed} of {total} documents could not be read");
        return Ok(EXIT_SOME_FAILED);
    }
    Ok(EXIT_OK)
}

fn extract_item(item: Item, max_doc_bytes: usize) -> (String, Result<Extracted, String>) {
    match item {
        Item::File(InputDocument::File { id, path }) => {
            let result = read_document(&path, max_doc_bytes);
            (id, result)
        }
        Item::File(InputDocument::Failed { id, message }) => (id, Err(message)),
        // Folders yield only files and failures; keep any text as it is.
        Item::File(InputDocument::Text { id, text }) => (
            id,
            Ok(Extracted {
                text,
                format: crate::corpus::DocumentFormat::Text,
            }),
        ),
        Item::Stdin(Err(e)) => (STDIN_NAME.to_string(), Err(format!("cannot read: {e}"))),
        Item::Stdin(Ok(bytes)) if bytes.len() > max_doc_bytes => (
            STDIN_NAME.to_string(),
            Err(format!(
                "document is over the limit of {max_doc_bytes} bytes (--max-doc-bytes)"
            )),
        ),
        Item::Stdin(Ok(bytes)) => (
            STDIN_NAME.to_string(),
            extract_bounded(bytes, &Limits::new(max_doc_bytes)),
        ),
    }
}

fn write_result(
    out: &mut impl Write,
    id: &str,
    result: &Result<Extracted, String>,
    json: bool,
    headers: bool,
) -> anyhow::Result<()> {
    if json {
        let record = match result {
            Ok(e) => JsonRecord {
                id,
                format: Some(e.format.name()),
                text: Some(&e.text),
                error: None,
            },
            Err(message) => JsonRecord {
                id,
                format: None,
                text: None,
                error: Some(message),
            },
        };
        serde_json::to_writer(&mut *out, &record)?;
        out.write_all(b"\n")?;
        return Ok(());
    }
    match result {
        Ok(e) => {
            if headers {
                writeln!(out, "==> {id} ({}) <==", e.format)?;
            }
            out.write_all(e.text.as_bytes())?;
            if !e.text.is_empty() && !e.text.ends_with('\n') {
                out.write_all(b"\n")?;
            }
            if headers {
                out.write_all(b"\n")?;
            }
        }
        Err(message) => {
            // Keep stdout and stderr in order for a reader of both.
            out.flush()?;
            eprintln!("docclass: {id}: {message}");
        }
    }
    Ok(())
}
