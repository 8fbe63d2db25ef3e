//! Labelled data for `train`, `eval` and `cv`, in three layouts:
//! a folder with one sub-folder per label (20 Newsgroups), JSON Lines of
//! `{"id"?, "text", "labels": [...]}`, or CSV with `text` and `labels`
//! columns (labels separated by `;`).

use super::csv_records::{read_csv_records, too_wide_message, unterminated_message, CsvRead};
use super::input::csv_delimiter;
use super::records::{parse_json_record, read_lines_limited, LineRead};
use crate::{Error, Result};
use rayon::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub struct LabelledDocument {
    pub id: String,
    pub text: String,
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    /// Skip (and count) invalid records instead of stopping at the first.
    pub skip_invalid: bool,
    /// Largest document accepted, in bytes.
    pub max_doc_bytes: usize,
    /// Column names in Parquet and Arrow files.
    pub columns: super::columnar::ColumnNames,
}

/// Default largest document: far above any real program brief or
/// curriculum, low enough that one document's analysis stays in memory
/// comfortably.
pub const DEFAULT_MAX_DOC_BYTES: usize = 32 * 1024 * 1024;

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            skip_invalid: false,
            max_doc_bytes: DEFAULT_MAX_DOC_BYTES,
            columns: super::columnar::ColumnNames::default(),
        }
    }
}

/// What was read, and what was skipped on the way.
#[derive(Debug, Default)]
pub struct LabelledData {
    pub documents: Vec<LabelledDocument>,
    /// One message per skipped record (with `skip_invalid`) or notable event.
    pub warnings: Vec<String>,
}

/// Reads and concatenates several labelled sources.
pub fn read_labelled_paths(paths: &[PathBuf], options: ReadOptions) -> Result<LabelledData> {
    let mut all = LabelledData::default();
    for path in paths {
        let part = read_labelled(path, options)?;
        all.documents.extend(part.documents);
        all.warnings.extend(part.warnings);
    }
    Ok(all)
}

/// Reads background (out-of-domain) documents, whose labels do not matter:
/// JSON Lines or CSV records with a text (a `labels` field or column is
/// allowed and ignored), or a folder of files read as one document each,
/// recursively, in sorted order.
pub fn read_background_paths(paths: &[PathBuf], options: ReadOptions) -> Result<LabelledData> {
    let mut all = LabelledData::default();
    for path in paths {
        let meta = fs::metadata(path).map_err(|e| Error::io(path, e))?;
        let mut part = if meta.is_dir() {
            read_files(path, options)?
        } else if let Some(kind) = super::columnar::columnar_kind(path) {
            read_columnar(path, kind, options, false)?
        } else {
            match extension(path).as_deref() {
                Some("jsonl") | Some("ndjson") | Some("json") => {
                    read_jsonl_as(path, options, false)?
                }
                Some("csv") | Some("tsv") => read_csv(path, options, false)?,
                _ => read_file_list(vec![path.to_path_buf()], options)?,
            }
        };
        for doc in &mut part.documents {
            doc.labels.clear();
        }
        all.documents.extend(part.documents);
        all.warnings.extend(part.warnings);
    }
    Ok(all)
}

/// Every non-hidden file below `root`, one document each.
fn read_files(root: &Path, options: ReadOptions) -> Result<LabelledData> {
    read_file_list(files_below(root), options)
}

/// Every non-hidden file below `root` (links followed), in sorted order.
fn files_below(root: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.path()))
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    found.sort();
    found
}

fn read_file_list(files: Vec<PathBuf>, options: ReadOptions) -> Result<LabelledData> {
    let results = files
        .par_iter()
        .map(|path| read_document_file(path, options, Vec::new()))
        .collect();
    collect_results(results, options)
}

/// One file as one document, in any format [`crate::corpus::extract`] reads.
fn read_document_file(
    path: &Path,
    options: ReadOptions,
    labels: Vec<String>,
) -> std::result::Result<LabelledDocument, Error> {
    let text = super::input::read_document(path, options.max_doc_bytes)
        .map_err(|e| Error::data(path, 0, e))?
        .text;
    Ok(LabelledDocument {
        id: path.display().to_string(),
        text,
        labels,
    })
}

/// Reads one labelled source, choosing the layout from what the path is.
pub fn read_labelled(path: &Path, options: ReadOptions) -> Result<LabelledData> {
    let meta = fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return read_folder(path, options);
    }
    if let Some(kind) = super::columnar::columnar_kind(path) {
        return read_columnar(path, kind, options, true);
    }
    match extension(path).as_deref() {
        Some("jsonl") | Some("ndjson") | Some("json") => read_jsonl(path, options),
        Some("csv") | Some("tsv") => read_csv(path, options, true),
        _ => Err(Error::data(
            path,
            0,
            "unknown labelled-data layout: expected a folder with one sub-folder per label, \
             a .jsonl file, a .csv file or a Parquet/Arrow file",
        )),
    }
}

/// Rows of a Parquet or Arrow IPC file with a text column and (for
/// labelled data) a labels column; see [`super::columnar`].
fn read_columnar(
    path: &Path,
    kind: super::columnar::Columnar,
    options: ReadOptions,
    need_labels: bool,
) -> Result<LabelledData> {
    let mut results = Vec::new();
    for row in super::columnar::read_rows(path, kind, options.columns) {
        let row = match row {
            Ok(row) => row,
            Err(e) => return Err(Error::data(path, 0, e)),
        };
        let line = row.line;
        if need_labels && row.labels.is_none() {
            return Err(Error::data(
                path,
                0,
                "no labels column (name it with --labels-column; list<string> or labels \
                 separated by ';')",
            ));
        }
        results.push(match row.text {
            None => Err(Error::data(path, line, "the text is null")),
            Some(text) if text.len() > options.max_doc_bytes => Err(Error::data(
                path,
                line,
                format!(
                    "record is {} bytes, over the limit of {} (--max-doc-bytes)",
                    text.len(),
                    options.max_doc_bytes
                ),
            )),
            Some(text) => Ok(LabelledDocument {
                id: row
                    .id
                    .unwrap_or_else(|| format!("{}:{line}", path.display())),
                text,
                labels: row.labels.unwrap_or_default(),
            }),
        });
    }
    collect_results(results, options)
}

pub(crate) fn extension(path: &Path) -> Option<String> {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
}

pub(crate) fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// One sub-folder per label; every non-hidden file below it is a document
/// of that label, in any format [`crate::corpus::extract`] reads. Files are
/// read in parallel, results kept in sorted order.
fn read_folder(root: &Path, options: ReadOptions) -> Result<LabelledData> {
    let entries: Vec<PathBuf> = fs::read_dir(root)
        .map_err(|e| Error::io(root, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| !is_hidden(p))
        .collect();
    // Files beside the label folders have no label: they are not read, and
    // the user is told how many, rather than losing them silently.
    let loose = entries.iter().filter(|p| !p.is_dir()).count();
    let mut labels: Vec<PathBuf> = entries.into_iter().filter(|p| p.is_dir()).collect();
    labels.sort();
    if labels.is_empty() {
        return Err(Error::data(
            root,
            0,
            "folder has no label sub-folders (expected FOLDER/LABEL/FILE)",
        ));
    }
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for dir in &labels {
        let label = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        files.extend(files_below(dir).into_iter().map(|p| (label.clone(), p)));
    }
    let results: Vec<std::result::Result<LabelledDocument, Error>> = files
        .par_iter()
        .map(|(label, path)| read_document_file(path, options, vec![label.clone()]))
        .collect();
    let mut data = collect_results(results, options)?;
    if loose > 0 {
        data.warnings.push(format!(
            "{}: {loose} file(s) at the top level were not read: in a folder of labelled \
             documents every file must be inside a label's sub-folder (FOLDER/LABEL/FILE)",
            root.display()
        ));
    }
    Ok(data)
}

fn collect_results(
    results: Vec<std::result::Result<LabelledDocument, Error>>,
    options: ReadOptions,
) -> Result<LabelledData> {
    let mut data = LabelledData::default();
    for r in results {
        match r {
            Ok(doc) => data.documents.push(doc),
            Err(e) if options.skip_invalid => data.warnings.push(format!("skipped {e}")),
            Err(e) => return Err(e),
        }
    }
    Ok(data)
}

fn read_jsonl(path: &Path, options: ReadOptions) -> Result<LabelledData> {
    read_jsonl_as(path, options, true)
}

fn read_jsonl_as(path: &Path, options: ReadOptions, need_labels: bool) -> Result<LabelledData> {
    let file = fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut results = Vec::new();
    for item in read_lines_limited(std::io::BufReader::new(file), options.max_doc_bytes) {
        let (line_no, line) = match item {
            LineRead::Line(n, text) => (n, text),
            LineRead::TooLong(n, size) => {
                results.push(Err(Error::data(
                    path,
                    n,
                    format!(
                        "record is {size} bytes, over the limit of {} (--max-doc-bytes)",
                        options.max_doc_bytes
                    ),
                )));
                continue;
            }
            LineRead::Io(e) => return Err(Error::io(path, e)),
        };
        if line.trim().is_empty() {
            continue;
        }
        let record = parse_json_record(&line).and_then(|r| {
            let labels = match r.labels {
                Some(labels) => labels,
                None if !need_labels => Vec::new(),
                None => {
                    return Err(
                        "missing \"labels\" (use [] for a document with no label)".to_string()
                    )
                }
            };
            Ok(LabelledDocument {
                id: r
                    .id
                    .unwrap_or_else(|| format!("{}:{line_no}", path.display())),
                text: r.text,
                labels,
            })
        });
        results.push(record.map_err(|m| Error::data(path, line_no, m)));
    }
    collect_results(results, options)
}

fn read_csv(path: &Path, options: ReadOptions, need_labels: bool) -> Result<LabelledData> {
    let file = fs::File::open(path).map_err(|e| Error::io(path, e))?;
    read_csv_as(
        std::io::BufReader::new(file),
        path,
        csv_delimiter(path),
        options,
        need_labels,
    )
}

/// Labelled CSV (or TSV) from any reader: a header row with `text` and
/// `labels` (or `label`) columns and an optional `id`; labels separated by
/// `;`. `path` names the input in ids and messages. Rows over
/// `max_doc_bytes` are not held in memory.
pub fn read_labelled_csv<R: std::io::BufRead>(
    input: R,
    path: &Path,
    delimiter: u8,
    options: ReadOptions,
) -> Result<LabelledData> {
    read_csv_as(input, path, delimiter, options, true)
}

fn read_csv_as<R: std::io::BufRead>(
    input: R,
    path: &Path,
    delimiter: u8,
    options: ReadOptions,
    need_labels: bool,
) -> Result<LabelledData> {
    let mut records = read_csv_records(input, delimiter, options.max_doc_bytes);
    let headers = match records.next() {
        Some(CsvRead::Record { fields, .. }) => fields,
        None => {
            return Err(Error::data(
                path,
                0,
                "empty CSV file: expected a header row with \"text\" and \"labels\" columns",
            ))
        }
        Some(CsvRead::TooLong { bytes, .. }) => {
            return Err(Error::data(
                path,
                1,
                format!(
                    "the header row is {bytes} bytes, over the limit of {} (--max-doc-bytes)",
                    options.max_doc_bytes
                ),
            ))
        }
        Some(CsvRead::TooWide { .. }) => return Err(Error::data(path, 1, too_wide_message())),
        Some(CsvRead::Unterminated { .. }) => {
            return Err(Error::data(path, 1, unterminated_message()))
        }
        Some(CsvRead::Io(e)) => return Err(Error::io(path, e)),
    };
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let text_col = column("text")
        .ok_or_else(|| Error::data(path, 1, "no \"text\" column in the header row"))?;
    let labels_col = column("labels").or_else(|| column("label"));
    if need_labels && labels_col.is_none() {
        return Err(Error::data(
            path,
            1,
            "no \"labels\" column in the header row",
        ));
    }
    let id_col = column("id");
    let mut results = Vec::new();
    for item in records {
        let (line, mut fields) = match item {
            CsvRead::Record { line, fields } => (line, fields),
            CsvRead::TooLong { line, bytes } => {
                results.push(Err(Error::data(
                    path,
                    line,
                    format!(
                        "record is {bytes} bytes, over the limit of {} (--max-doc-bytes)",
                        options.max_doc_bytes
                    ),
                )));
                continue;
            }
            CsvRead::TooWide { line } => {
                results.push(Err(Error::data(path, line, too_wide_message())));
                continue;
            }
            CsvRead::Unterminated { line } => {
                results.push(Err(Error::data(path, line, unterminated_message())));
                continue;
            }
            CsvRead::Io(e) => return Err(Error::io(path, e)),
        };
        if text_col >= fields.len() || labels_col.is_some_and(|c| c >= fields.len()) {
            results.push(Err(Error::data(
                path,
                line,
                format!(
                    "row has {} fields, fewer than the header's {}: ragged row",
                    fields.len(),
                    headers.len()
                ),
            )));
            continue;
        }
        let labels: Vec<String> = labels_col
            .map_or("", |c| fields[c].as_str())
            .split(';')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        let id = id_col
            .and_then(|c| fields.get(c))
            .filter(|s| !s.is_empty())
            .cloned()
            .unwrap_or_else(|| format!("{}:{line}", path.display()));
        results.push(Ok(LabelledDocument {
            id,
            text: std::mem::take(&mut fields[text_col]),
            labels,
        }));
    }
    collect_results(results, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).expect("mkdir");
        }
        fs::write(&p, content).expect("write");
        p
    }

    #[test]
    fn reads_jsonl_with_ids_and_line_numbers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = write(
            dir.path(),
            "d.jsonl",
            "{\"id\": \"a\", \"text\": \"port\", \"labels\": [\"trade\"], \"lang\": \"en\"}\n\n{\"text\": \"media\", \"labels\": []}\n",
        );
        let data = read_labelled(&p, ReadOptions::default()).expect("read");
        assert_eq!(data.documents.len(), 2);
        assert_eq!(data.documents[0].id, "a");
        assert!(data.documents[1].id.ends_with("d.jsonl:3"));
        assert!(data.documents[1].labels.is_empty());
    }

    #[test]
    fn broken_jsonl_names_file_and_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = write(
            dir.path(),
            "d.jsonl",
            "{\"text\": \"ok\", \"labels\": [\"a\"]}\n{\"text\": 5, \"labels\": [\"a\"]}\n{broken\n",
        );
        let err = read_labelled(&p, ReadOptions::default()).expect_err("must fail");
        assert!(err.to_string().contains("d.jsonl:2"), "{err}");
        let opts = ReadOptions {
            skip_invalid: true,
            ..ReadOptions::default()
        };
        let data = read_labelled(&p, opts).expect("skip");
        assert_eq!(data.documents.len(), 1);
        assert_eq!(data.warnings.len(), 2);
    }

    #[test]
    fn reads_csv_with_quoted_multiline_text() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = write(
            dir.path(),
            "d.csv",
            "id,text,labels\nx,\"line one\nline two, with comma\",trade;intelligence\n",
        );
        let data = read_labelled(&p, ReadOptions::default()).expect("read");
        assert_eq!(data.documents.len(), 1);
        assert_eq!(data.documents[0].text, "line one\nline two, with comma");
        assert_eq!(data.documents[0].labels, ["trade", "intelligence"]);
    }

    #[test]
    fn csv_without_text_column_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = write(dir.path(), "d.csv", "body,labels\nx,a\n");
        let err = read_labelled(&p, ReadOptions::default()).expect_err("must fail");
        assert!(err.to_string().contains("text"), "{err}");
    }

    #[test]
    fn reads_label_folders_skipping_hidden_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "sport/1.txt", "football");
        write(dir.path(), "sport/.hidden", "ignored");
        write(dir.path(), "space/a/2.txt", "orbit");
        write(dir.path(), ".git/x", "ignored");
        let data = read_labelled(dir.path(), ReadOptions::default()).expect("read");
        let labels: Vec<_> = data
            .documents
            .iter()
            .map(|d| d.labels[0].as_str())
            .collect();
        assert_eq!(labels, ["space", "sport"]);
    }
}
