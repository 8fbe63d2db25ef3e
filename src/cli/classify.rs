use super::batch::for_each_document;
use super::output::{encode, Format, Record, RecordWriter};
use super::parquet_out::{ParquetWriter, Row};
use super::{progress, ModelArg, EXIT_OK, EXIT_SOME_FAILED};
use crate::corpus::columnar::Columnar;
use crate::corpus::{check_inputs, DEFAULT_MAX_DOC_BYTES};
use crate::io::AtomicFile;
use crate::model::Classifier;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct ClassifyArgs {
    #[command(flatten)]
    model: ModelArg,
    /// Documents (text in any encoding, HTML, PDF, DOCX, ODT), folders
    /// (recursive), .jsonl files (records with "text" and optional "id"), .csv
    /// files (a "text" column), or - for JSON Lines on stdin.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Write here (atomically) instead of stdout (`-` is stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    out: Option<PathBuf>,
    /// Output format [default: parquet for --out *.parquet, else jsonl].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Largest document accepted, in bytes; larger ones get an error record.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_DOC_BYTES)]
    max_doc_bytes: usize,
    /// Read every input that is not a folder as this, whatever its name or
    /// content says (by default: .jsonl/.csv/.tsv by name, stdin and pipes
    /// sniffed, other files one document each).
    #[arg(long, value_enum, value_name = "FORMAT")]
    input_format: Option<crate::corpus::input::InputFormat>,
    #[command(flatten)]
    columns: super::ColumnArgs,
}

/// A document's outcome, before formatting.
pub(crate) enum Outcome {
    Classified(crate::model::Prediction),
    Empty,
    Failed(String),
}

pub fn run(args: ClassifyArgs) -> anyhow::Result<i32> {
    let model = args.model.open()?;
    check_inputs(&args.inputs)?;
    if let Some(out) = args.out.as_ref().filter(|o| o.as_os_str() != "-") {
        super::refuse_output_over_inputs(out, args.inputs.iter().chain(&args.model.model))?;
    }
    let counter = progress::counter("classified");
    let to_file = args.out.as_ref().filter(|o| o.as_os_str() != "-");
    let format = args.format.unwrap_or_else(|| match to_file {
        Some(p) if crate::corpus::columnar::columnar_kind(p) == Some(Columnar::Parquet) => {
            Format::Parquet
        }
        _ => Format::Jsonl,
    });
    let gated = model.gate().is_some();
    let summary = match (to_file, format) {
        (None, Format::Parquet) => {
            anyhow::bail!("--format parquet writes a binary file: give it with --out FILE.parquet")
        }
        (Some(path), Format::Parquet) => {
            let file = AtomicFile::create(path)?;
            let mut writer = ParquetWriter::create(file, model.labels(), gated)?;
            let summary = classify_stream(&model, &args, format, &mut writer, &counter)?;
            writer.finish()?;
            summary
        }
        (Some(path), _) => {
            let file = AtomicFile::create(path)?;
            let mut writer = RecordWriter::new(file, format, model.labels(), gated);
            let summary = classify_stream(&model, &args, format, &mut writer, &counter)?;
            writer.into_inner().commit()?;
            summary
        }
        (None, _) => {
            let stdout = std::io::stdout();
            let out = std::io::BufWriter::new(stdout.lock());
            let mut writer = RecordWriter::new(out, format, model.labels(), gated);
            let summary = classify_stream(&model, &args, format, &mut writer, &counter)?;
            writer.into_inner().flush()?;
            summary
        }
    };
    counter.finish_and_clear();
    note!("docclass: {}", summary.line(model.labels()));
    if summary.failed > 0 {
        note!(
            "docclass: {} of {} documents could not be classified (see their \"error\" field)",
            summary.failed,
            summary.documents
        );
        return Ok(EXIT_SOME_FAILED);
    }
    Ok(EXIT_OK)
}

/// Classifies every input document in bounded, pipelined batches (see
/// [`for_each_document`]), writing one record per document in input order.
/// Records are encoded in parallel. Returns how many failed.
fn classify_stream(
    model: &Classifier,
    args: &ClassifyArgs,
    format: Format,
    writer: &mut dyn Sink,
    counter: &indicatif::ProgressBar,
) -> anyhow::Result<Summary> {
    let mut summary = Summary::new(model.labels().len());
    for_each_document(
        &args.inputs,
        (args.max_doc_bytes, args.input_format, args.columns.names()),
        |id, text| {
            let outcome = match text {
                Err(message) => Outcome::Failed(message),
                Ok(text) if text.trim().is_empty() => Outcome::Empty,
                Ok(text) => Outcome::Classified(model.predict_text(&text)),
            };
            let record = to_record(model, &id, &outcome);
            let kind = match &outcome {
                Outcome::Failed(_) => Kind::Failed,
                Outcome::Empty => Kind::Empty,
                Outcome::Classified(p) => Kind::Labels(p.labels.clone()),
            };
            let encoded = if format == Format::Parquet {
                Encoded::Row(Row {
                    id: id.clone(),
                    labels: record
                        .labels
                        .as_ref()
                        .map(|l| l.iter().map(|s| s.to_string()).collect()),
                    scores: match &outcome {
                        Outcome::Classified(p) => Some(p.scores.clone()),
                        _ => None,
                    },
                    relevance: record.relevance,
                    empty: record.empty,
                    error: record.error.map(str::to_string),
                })
            } else {
                Encoded::Bytes(encode(
                    format,
                    model.labels(),
                    model.gate().is_some(),
                    &record,
                ))
            };
            (kind, encoded)
        },
        |(kind, encoded)| {
            summary.add(&kind);
            writer.write(encoded)?;
            counter.inc(1);
            Ok(())
        },
    )?;
    Ok(summary)
}

/// A record ready for the writer: text (JSON Lines, CSV) encoded in
/// parallel, or a row for the Parquet writer.
enum Encoded {
    Bytes(Vec<u8>),
    Row(Row),
}

/// Where records go, in input order.
trait Sink {
    fn write(&mut self, record: Encoded) -> anyhow::Result<()>;
}

impl<W: Write> Sink for RecordWriter<W> {
    fn write(&mut self, record: Encoded) -> anyhow::Result<()> {
        match record {
            Encoded::Bytes(bytes) => self.write_encoded(&bytes)?,
            Encoded::Row(_) => anyhow::bail!("a Parquet row given to a text writer"),
        }
        Ok(())
    }
}

impl Sink for ParquetWriter {
    fn write(&mut self, record: Encoded) -> anyhow::Result<()> {
        match record {
            Encoded::Row(row) => self.push(row),
            Encoded::Bytes(_) => anyhow::bail!("a text record given to the Parquet writer"),
        }
    }
}

/// What a document's record says, for the summary.
enum Kind {
    Failed,
    Empty,
    Labels(Vec<usize>),
}

/// Counts for the line `classify` prints on stderr at the end.
pub(crate) struct Summary {
    pub documents: u64,
    pub per_label: Vec<u64>,
    pub unlabelled: u64,
    pub empty: u64,
    pub failed: u64,
}

impl Summary {
    fn new(labels: usize) -> Self {
        Summary {
            documents: 0,
            per_label: vec![0; labels],
            unlabelled: 0,
            empty: 0,
            failed: 0,
        }
    }

    fn add(&mut self, kind: &Kind) {
        self.documents += 1;
        match kind {
            Kind::Failed => self.failed += 1,
            Kind::Empty => self.empty += 1,
            Kind::Labels(labels) if labels.is_empty() => self.unlabelled += 1,
            Kind::Labels(labels) => {
                for &c in labels {
                    self.per_label[c] += 1;
                }
            }
        }
    }

    /// "120 documents: governance 31, trade 58, intelligence 4, no label 25; 1 empty, 1 failed".
    pub fn line(&self, labels: &[String]) -> String {
        use super::progress::thousands;
        let mut parts: Vec<String> = labels
            .iter()
            .zip(&self.per_label)
            .map(|(l, &n)| format!("{l} {}", thousands(n)))
            .collect();
        parts.push(format!("no label {}", thousands(self.unlabelled)));
        format!(
            "{} document{}: {}; {} empty, {} failed",
            thousands(self.documents),
            if self.documents == 1 { "" } else { "s" },
            parts.join(", "),
            thousands(self.empty),
            thousands(self.failed)
        )
    }
}

pub(crate) fn to_record<'a>(
    model: &'a Classifier,
    id: &'a str,
    outcome: &'a Outcome,
) -> Record<'a> {
    match outcome {
        Outcome::Classified(p) => Record::classified(model, id, p),
        Outcome::Empty => Record::empty(id),
        Outcome::Failed(message) => Record::failed(id, message),
    }
}
