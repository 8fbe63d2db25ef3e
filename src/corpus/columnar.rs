//! Parquet and Arrow IPC: the columnar files that web crawls and archives
//! are stored in, read with the Apache Arrow crates (`parquet`, `arrow`) one
//! record batch at a time, so a file far larger than memory streams through
//! in bounded memory (a row group's column chunks, then batches of
//! [`BATCH_ROWS`] rows).
//!
//! Columns are found by name, case-insensitively: the text column (`text`
//! unless told otherwise), an optional id column (`id`), and for labelled
//! data a labels column (`labels`, or `label`), either `list<string>` or a
//! string with labels separated by `;`. Any other column is not read.

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Schema};
use std::fs::File;
use std::path::Path;

/// Rows per record batch read.
pub const BATCH_ROWS: usize = 1024;

/// Which columns hold what. `&'static str` keeps it `Copy`, as the read
/// options it travels in are; a program names them once (the CLI leaks
/// its arguments' strings for the process's lifetime).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnNames {
    pub text: &'static str,
    /// `None`: a column named `id` if there is one.
    pub id: Option<&'static str>,
    /// `None`: a column named `labels` or `label` if there is one.
    pub labels: Option<&'static str>,
}

impl Default for ColumnNames {
    fn default() -> Self {
        ColumnNames {
            text: "text",
            id: None,
            labels: None,
        }
    }
}

/// The columnar formats docclass reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Columnar {
    Parquet,
    /// Arrow IPC, file (Feather v2) or stream format.
    ArrowIpc,
}

/// A columnar file by its name (`.parquet`, `.pq`, `.arrow`, `.feather`,
/// `.ipc`, `.arrows`) or, failing that, its magic bytes.
pub fn columnar_kind(path: &Path) -> Option<Columnar> {
    match super::labelled::extension(path).as_deref() {
        Some("parquet") | Some("pq") => return Some(Columnar::Parquet),
        Some("arrow") | Some("feather") | Some("ipc") | Some("arrows") => {
            return Some(Columnar::ArrowIpc)
        }
        _ => {}
    }
    // Only regular files are sniffed: opening a named pipe would wait for
    // a writer, and reading would consume what the real reader needs.
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let mut head = [0u8; 6];
    let file = File::open(path).ok()?;
    std::io::Read::read_exact(&mut &file, &mut head).ok()?;
    if head.starts_with(b"PAR1") {
        Some(Columnar::Parquet)
    } else if &head == b"ARROW1" {
        Some(Columnar::ArrowIpc)
    } else {
        None
    }
}

/// One row as docclass uses it. `line` is the 1-based row number, for ids
/// (`FILE:ROW`) and messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub line: u64,
    pub id: Option<String>,
    pub text: Option<String>,
    pub labels: Option<Vec<String>>,
}

/// The rows of a columnar file, streamed. An error that stops the file
/// (unreadable, no text column) is the iterator's first and last item.
pub fn read_rows(
    path: &Path,
    kind: Columnar,
    columns: ColumnNames,
) -> Box<dyn Iterator<Item = Result<Row, String>>> {
    match open_batches(path, kind, columns) {
        Ok((batches, found)) => {
            let mut line = 0u64;
            Box::new(
                batches.flat_map(move |batch| -> Box<dyn Iterator<Item = _>> {
                    match batch {
                        Ok(batch) => {
                            let rows = batch_rows(&batch, &found, line);
                            line += batch.num_rows() as u64;
                            match rows {
                                Ok(rows) => Box::new(rows.into_iter().map(Ok)),
                                Err(e) => Box::new(std::iter::once(Err(e))),
                            }
                        }
                        Err(e) => Box::new(std::iter::once(Err(format!(
                            "cannot read row batch after row {line}: {e}"
                        )))),
                    }
                }),
            )
        }
        Err(e) => Box::new(std::iter::once(Err(e))),
    }
}

/// Positions of the needed columns in the file's schema.
#[derive(Debug, Clone)]
struct Found {
    text: String,
    id: Option<String>,
    labels: Option<String>,
}

fn find(schema: &Schema, name: &str) -> Option<String> {
    schema
        .fields()
        .iter()
        .find(|f| f.name().eq_ignore_ascii_case(name))
        .map(|f| f.name().clone())
}

fn resolve(schema: &Schema, columns: ColumnNames) -> Result<Found, String> {
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let text = find(schema, columns.text).ok_or_else(|| {
        format!(
            "no column {:?} (columns: {}); name the text column with --text-column",
            columns.text,
            names.join(", ")
        )
    })?;
    let id = match columns.id {
        Some(name) => Some(
            find(schema, name)
                .ok_or_else(|| format!("no id column {name:?} (columns: {})", names.join(", ")))?,
        ),
        None => find(schema, "id"),
    };
    let labels =
        match columns.labels {
            Some(name) => Some(find(schema, name).ok_or_else(|| {
                format!("no labels column {name:?} (columns: {})", names.join(", "))
            })?),
            None => find(schema, "labels").or_else(|| find(schema, "label")),
        };
    Ok(Found { text, id, labels })
}

type Batches = Box<dyn Iterator<Item = Result<RecordBatch, arrow::error::ArrowError>>>;

fn open_batches(
    path: &Path,
    kind: Columnar,
    columns: ColumnNames,
) -> Result<(Batches, Found), String> {
    let file = File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    match kind {
        Columnar::Parquet => {
            use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
            use parquet::arrow::ProjectionMask;
            let builder = ParquetRecordBatchReaderBuilder::try_new(file)
                .map_err(|e| format!("not a readable Parquet file: {e}"))?;
            let found = resolve(builder.schema(), columns)?;
            let wanted: Vec<usize> = builder
                .schema()
                .fields()
                .iter()
                .enumerate()
                .filter(|(_, f)| {
                    let n = f.name();
                    *n == found.text
                        || found.id.as_ref() == Some(n)
                        || found.labels.as_ref() == Some(n)
                })
                .map(|(i, _)| i)
                .collect();
            let mask = ProjectionMask::roots(builder.parquet_schema(), wanted);
            let reader = builder
                .with_projection(mask)
                .with_batch_size(BATCH_ROWS)
                .build()
                .map_err(|e| format!("not a readable Parquet file: {e}"))?;
            Ok((Box::new(reader), found))
        }
        Columnar::ArrowIpc => {
            let mut magic = [0u8; 6];
            let is_file =
                std::io::Read::read_exact(&mut &file, &mut magic).is_ok() && &magic == b"ARROW1";
            let file = File::open(path).map_err(|e| format!("cannot read: {e}"))?;
            if is_file {
                let reader = arrow::ipc::reader::FileReader::try_new(file, None)
                    .map_err(|e| format!("not a readable Arrow IPC file: {e}"))?;
                let found = resolve(&reader.schema(), columns)?;
                Ok((Box::new(reader), found))
            } else {
                let reader =
                    arrow::ipc::reader::StreamReader::try_new(std::io::BufReader::new(file), None)
                        .map_err(|e| format!("not a readable Arrow IPC stream: {e}"))?;
                let found = resolve(&reader.schema(), columns)?;
                Ok((Box::new(reader), found))
            }
        }
    }
}

/// A column as UTF-8 strings (numbers and other scalars are cast, so an
/// integer id column works).
fn strings(batch: &RecordBatch, name: &str) -> Result<ArrayRef, String> {
    let column = batch
        .column_by_name(name)
        .ok_or_else(|| format!("column {name:?} missing from a batch"))?;
    if column.data_type() == &DataType::Utf8 {
        return Ok(column.clone());
    }
    arrow::compute::cast(column, &DataType::Utf8).map_err(|e| {
        format!(
            "column {name:?} is {} and not text: {e}",
            column.data_type()
        )
    })
}

fn batch_rows(batch: &RecordBatch, found: &Found, before: u64) -> Result<Vec<Row>, String> {
    let text = strings(batch, &found.text)?;
    let text = text.as_string::<i32>();
    let id = match &found.id {
        Some(name) => Some(strings(batch, name)?),
        None => None,
    };
    let id = id.as_ref().map(|a| a.as_string::<i32>());
    let labels = match &found.labels {
        Some(name) => Some(label_lists(batch, name)?),
        None => None,
    };
    Ok((0..batch.num_rows())
        .map(|i| Row {
            line: before + i as u64 + 1,
            id: id
                .filter(|a| a.is_valid(i))
                .map(|a| a.value(i).to_string())
                .filter(|s| !s.is_empty()),
            text: text.is_valid(i).then(|| text.value(i).to_string()),
            labels: labels.as_ref().map(|l| l[i].clone()),
        })
        .collect())
}

/// The labels of each row: a list column's strings, or a string column
/// split at `;`. A null is no label.
fn label_lists(batch: &RecordBatch, name: &str) -> Result<Vec<Vec<String>>, String> {
    let column = batch
        .column_by_name(name)
        .ok_or_else(|| format!("column {name:?} missing from a batch"))?;
    let clean = |s: &str| -> Vec<String> {
        s.split(';')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect()
    };
    let from_list = |values: ArrayRef, offsets: Vec<(usize, usize)>| -> Result<_, String> {
        let values = arrow::compute::cast(&values, &DataType::Utf8)
            .map_err(|e| format!("labels column {name:?} must hold strings: {e}"))?;
        let values = values.as_string::<i32>();
        Ok(offsets
            .into_iter()
            .map(|(start, end)| {
                (start..end)
                    .filter(|&j| values.is_valid(j))
                    .map(|j| values.value(j).trim().to_string())
                    .filter(|l| !l.is_empty())
                    .collect()
            })
            .collect())
    };
    match column.data_type() {
        DataType::List(_) => {
            let (values, offsets) = list_ranges(column.as_list::<i32>());
            from_list(values, offsets)
        }
        DataType::LargeList(_) => {
            let (values, offsets) = list_ranges(column.as_list::<i64>());
            from_list(values, offsets)
        }
        _ => {
            let s = strings(batch, name)?;
            let s = s.as_string::<i32>();
            Ok((0..s.len())
                .map(|i| {
                    if s.is_valid(i) {
                        clean(s.value(i))
                    } else {
                        Vec::new()
                    }
                })
                .collect())
        }
    }
}

/// A list column's values and each row's range in them (empty for a null).
fn list_ranges<O: arrow::array::OffsetSizeTrait>(
    list: &arrow::array::GenericListArray<O>,
) -> (ArrayRef, Vec<(usize, usize)>) {
    let offsets = list.value_offsets();
    let ranges = (0..list.len())
        .map(|i| {
            if list.is_valid(i) {
                (offsets[i].as_usize(), offsets[i + 1].as_usize())
            } else {
                (0, 0)
            }
        })
        .collect();
    (list.values().clone(), ranges)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ListBuilder, StringBuilder, UInt32Array};
    use arrow::datatypes::Field;
    use std::sync::Arc;

    fn batch() -> RecordBatch {
        let mut labels = ListBuilder::new(StringBuilder::new());
        labels.values().append_value("trade");
        labels.append(true);
        labels.append(false);
        labels.values().append_value("governance");
        labels.values().append_value("trade");
        labels.append(true);
        let labels: ArrayRef = Arc::new(labels.finish());
        let text: ArrayRef = Arc::new(arrow::array::StringArray::from(vec![
            Some("port seminar"),
            None,
            Some("party school"),
        ]));
        let id: ArrayRef = Arc::new(UInt32Array::from(vec![7, 8, 9]));
        let schema = Schema::new(vec![
            Field::new("ID", DataType::UInt32, false),
            Field::new("Text", DataType::Utf8, true),
            Field::new("labels", labels.data_type().clone(), true),
        ]);
        RecordBatch::try_new(Arc::new(schema), vec![id, text, labels]).expect("batch")
    }

    #[test]
    fn parquet_rows_round_trip_with_lists_nulls_and_cast_ids() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("docs.parquet");
        let b = batch();
        let mut writer = parquet::arrow::ArrowWriter::try_new(
            File::create(&path).expect("create"),
            b.schema(),
            None,
        )
        .expect("writer");
        writer.write(&b).expect("write");
        writer.close().expect("close");
        assert_eq!(columnar_kind(&path), Some(Columnar::Parquet));
        let rows: Vec<Row> = read_rows(&path, Columnar::Parquet, ColumnNames::default())
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].id.as_deref(), Some("7"));
        assert_eq!(rows[0].text.as_deref(), Some("port seminar"));
        assert_eq!(rows[0].labels, Some(vec!["trade".to_string()]));
        assert_eq!(rows[1].text, None);
        assert_eq!(rows[1].labels, Some(vec![]));
        assert_eq!(rows[2].line, 3);
        assert_eq!(
            rows[2].labels,
            Some(vec!["governance".to_string(), "trade".to_string()])
        );
        let missing = ColumnNames {
            text: "body",
            ..ColumnNames::default()
        };
        let err = read_rows(&path, Columnar::Parquet, missing)
            .next()
            .expect("one item")
            .expect_err("no body column");
        assert!(
            err.contains("--text-column") && err.contains("Text"),
            "{err}"
        );
    }

    #[test]
    fn arrow_ipc_files_are_read_too() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("docs.arrow");
        let b = batch();
        let mut writer = arrow::ipc::writer::FileWriter::try_new(
            File::create(&path).expect("create"),
            &b.schema(),
        )
        .expect("writer");
        writer.write(&b).expect("write");
        writer.finish().expect("finish");
        let rows: Vec<Row> = read_rows(&path, Columnar::ArrowIpc, ColumnNames::default())
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2].text.as_deref(), Some("party school"));
    }
}
