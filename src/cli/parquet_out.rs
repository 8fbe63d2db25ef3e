//! `classify --format parquet`: one row per document, for Spark, DuckDB or
//! pandas (`pd.read_parquet`): `id`, `labels` (list<string>), one float
//! column per label score (6 decimals, as in JSON), `relevance` (gated
//! models), `empty`, `error`. Rows are buffered into record batches of
//! [`BATCH_ROWS`] and written as row groups of [`ROW_GROUP_ROWS`], so
//! memory stays bounded however many documents pass.

use crate::io::AtomicFile;
use crate::record::round6;
use arrow::array::{ArrayRef, BooleanBuilder, Float64Builder, ListBuilder, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use std::sync::Arc;

const BATCH_ROWS: usize = 8192;
const ROW_GROUP_ROWS: usize = 128 * 1024;

/// One document's record, owned, as the Parquet writer takes it.
pub struct Row {
    pub id: String,
    pub labels: Option<Vec<String>>,
    pub scores: Option<Vec<f64>>,
    pub relevance: Option<f64>,
    pub empty: bool,
    pub error: Option<String>,
}

pub struct ParquetWriter {
    writer: ArrowWriter<AtomicFile>,
    schema: Arc<Schema>,
    labels: usize,
    relevance: bool,
    rows: Vec<Row>,
}

impl ParquetWriter {
    pub fn create(file: AtomicFile, labels: &[String], relevance: bool) -> anyhow::Result<Self> {
        let mut fields = vec![
            Field::new("id", DataType::Utf8, false),
            Field::new(
                "labels",
                DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
                true,
            ),
        ];
        fields.extend(
            labels
                .iter()
                .map(|l| Field::new(l, DataType::Float64, true)),
        );
        if relevance {
            fields.push(Field::new("relevance", DataType::Float64, true));
        }
        fields.push(Field::new("empty", DataType::Boolean, false));
        fields.push(Field::new("error", DataType::Utf8, true));
        let schema = Arc::new(Schema::new(fields));
        let properties = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_size(ROW_GROUP_ROWS)
            .build();
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(properties))?;
        Ok(ParquetWriter {
            writer,
            schema,
            labels: labels.len(),
            relevance,
            rows: Vec::with_capacity(BATCH_ROWS),
        })
    }

    pub fn push(&mut self, row: Row) -> anyhow::Result<()> {
        self.rows.push(row);
        if self.rows.len() >= BATCH_ROWS {
            self.flush_rows()?;
        }
        Ok(())
    }

    fn flush_rows(&mut self) -> anyhow::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.rows);
        let mut id = StringBuilder::new();
        let mut labels = ListBuilder::new(StringBuilder::new());
        let mut scores: Vec<Float64Builder> =
            (0..self.labels).map(|_| Float64Builder::new()).collect();
        let mut relevance = Float64Builder::new();
        let mut empty = BooleanBuilder::new();
        let mut error = StringBuilder::new();
        for row in &rows {
            id.append_value(&row.id);
            match &row.labels {
                Some(list) => {
                    for l in list {
                        labels.values().append_value(l);
                    }
                    labels.append(true);
                }
                None => labels.append(false),
            }
            for (c, column) in scores.iter_mut().enumerate() {
                column.append_option(row.scores.as_ref().map(|s| round6(s[c])));
            }
            relevance.append_option(row.relevance.map(round6));
            empty.append_value(row.empty);
            error.append_option(row.error.as_deref());
        }
        let mut columns: Vec<ArrayRef> = vec![Arc::new(id.finish()), Arc::new(labels.finish())];
        columns.extend(scores.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
        if self.relevance {
            columns.push(Arc::new(relevance.finish()));
        }
        columns.push(Arc::new(empty.finish()));
        columns.push(Arc::new(error.finish()));
        let batch = RecordBatch::try_new(self.schema.clone(), columns)?;
        self.writer.write(&batch)?;
        Ok(())
    }

    /// Writes what is buffered and the footer, then commits the file.
    pub fn finish(mut self) -> anyhow::Result<()> {
        self.flush_rows()?;
        let file = self.writer.into_inner()?;
        file.commit()?;
        Ok(())
    }
}
