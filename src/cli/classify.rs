use super::batch::for_each_document;
use super::output::{encode, Format, Record, RecordWriter};
use super::{progress, ModelArg, EXIT_OK, EXIT_SOME_FAILED};
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
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: Format,
    /// Largest document accepted, in bytes; larger ones get an error record.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_DOC_BYTES)]
    max_doc_bytes: usize,
    /// Read every input that is not a folder as this, whatever its name or
    /// content says (by default: .jsonl/.csv/.tsv by name, stdin and pipes
    /// sniffed, other files one document each).
    #[arg(long, value_enum, value_name = "FORMAT")]
    input_format: Option<crate::corpus::input::InputFormat>,
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
    let summary = match &args.out {
        Some(path) if path.as_os_str() != "-" => {
            let file = AtomicFile::create(path)?;
            let mut writer =
                RecordWriter::new(file, args.format, model.labels(), model.gate().is_some());
            let summary = classify_stream(&model, &args, &mut writer, &counter)?;
            writer.into_inner().commit()?;
            summary
        }
        _ => {
            let stdout = std::io::stdout();
            let out = std::io::BufWriter::new(stdout.lock());
            let mut writer =
                RecordWriter::new(out, args.format, model.labels(), model.gate().is_some());
            let summary = classify_stream(&model, &args, &mut writer, &counter)?;
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
fn classify_stream<W: Write>(
    model: &Classifier,
    args: &ClassifyArgs,
    writer: &mut RecordWriter<W>,
    counter: &indicatif::ProgressBar,
) -> anyhow::Result<Summary> {
    let format = args.format;
    let mut summary = Summary::new(model.labels().len());
    for_each_document(
        &args.inputs,
        (args.max_doc_bytes, args.input_format),
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
            (
                kind,
                encode(format, model.labels(), model.gate().is_some(), &record),
            )
        },
        |(kind, bytes)| {
            summary.add(&kind);
            writer.write_encoded(&bytes)?;
            counter.inc(1);
            Ok(())
        },
    )?;
    Ok(summary)
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
