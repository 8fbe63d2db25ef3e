use super::batch::for_each_document;
use super::output::{encode, Format, Record, RecordWriter, Scores};
use super::{open_model, progress, ModelArg, EXIT_OK, EXIT_SOME_FAILED};
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
    /// Write here (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: Format,
    /// Largest document accepted, in bytes; larger ones get an error record.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_DOC_BYTES)]
    max_doc_bytes: usize,
}

/// A document's outcome, before formatting.
pub(crate) enum Outcome {
    Classified(crate::model::Prediction),
    Empty,
    Failed(String),
}

pub fn run(args: ClassifyArgs) -> anyhow::Result<i32> {
    let model = open_model(args.model.model.as_deref())?;
    check_inputs(&args.inputs)?;
    if let Some(out) = &args.out {
        super::refuse_output_over_inputs(out, args.inputs.iter().chain(&args.model.model))?;
    }
    let counter = progress::counter("classified");
    let failed = match &args.out {
        Some(path) => {
            let file = AtomicFile::create(path)?;
            let mut writer =
                RecordWriter::new(file, args.format, model.labels(), model.gate().is_some());
            let failed = classify_stream(&model, &args, &mut writer, &counter)?;
            writer.into_inner().commit()?;
            failed
        }
        None => {
            let stdout = std::io::stdout();
            let out = std::io::BufWriter::new(stdout.lock());
            let mut writer =
                RecordWriter::new(out, args.format, model.labels(), model.gate().is_some());
            let failed = classify_stream(&model, &args, &mut writer, &counter)?;
            writer.into_inner().flush()?;
            failed
        }
    };
    counter.finish_and_clear();
    if failed > 0 {
        eprintln!(
            "docclass: {failed} of {} documents could not be classified (see their \"error\" field)",
            counter.position()
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
) -> anyhow::Result<u64> {
    let format = args.format;
    let mut failed = 0u64;
    for_each_document(
        &args.inputs,
        args.max_doc_bytes,
        |id, text| {
            let outcome = match text {
                Err(message) => Outcome::Failed(message),
                Ok(text) if text.trim().is_empty() => Outcome::Empty,
                Ok(text) => Outcome::Classified(model.predict_text(&text)),
            };
            let record = to_record(model, &id, &outcome);
            (
                matches!(outcome, Outcome::Failed(_)),
                encode(format, model.labels(), model.gate().is_some(), &record),
            )
        },
        |(is_failure, bytes)| {
            failed += u64::from(is_failure);
            writer.write_encoded(&bytes)?;
            counter.inc(1);
            Ok(())
        },
    )?;
    Ok(failed)
}

pub(crate) fn to_record<'a>(
    model: &'a Classifier,
    id: &'a str,
    outcome: &'a Outcome,
) -> Record<'a> {
    match outcome {
        Outcome::Classified(p) => Record {
            id,
            labels: Some(
                p.labels
                    .iter()
                    .map(|&c| model.labels()[c].as_str())
                    .collect(),
            ),
            scores: Some(Scores(model.labels(), &p.scores)),
            relevance: p.relevance,
            empty: false,
            error: None,
        },
        Outcome::Empty => Record {
            id,
            labels: Some(Vec::new()),
            scores: None,
            relevance: None,
            empty: true,
            error: None,
        },
        Outcome::Failed(message) => Record {
            id,
            labels: None,
            scores: None,
            relevance: None,
            empty: false,
            error: Some(message),
        },
    }
}
