use super::output::{encode, Format, Record, RecordWriter, Scores};
use super::{open_model, progress, ModelArg, EXIT_OK, EXIT_SOME_FAILED};
use crate::corpus::{check_inputs, documents, InputDocument, DEFAULT_MAX_DOC_BYTES};
use crate::io::AtomicFile;
use crate::model::Classifier;
use anyhow::Context;
use rayon::prelude::*;
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

/// Documents classified per batch: large enough to keep every core busy,
/// small enough that memory stays flat however long the input is.
pub(crate) const BATCH: usize = 1024;

/// Most text bytes of one batch. JSON Lines and CSV documents arrive with
/// their text, so without this a batch of 1024 large records could hold
/// 1024 x `--max-doc-bytes`. A batch ends at whichever limit comes first.
pub(crate) const BATCH_BYTES: usize = 32 * 1024 * 1024;

/// The next batch: up to [`BATCH`] documents or [`BATCH_BYTES`] of text.
pub(crate) fn next_batch<T>(
    items: &mut impl Iterator<Item = T>,
    text_len: impl Fn(&T) -> usize,
) -> Vec<T> {
    let mut batch = Vec::with_capacity(BATCH);
    let mut bytes = 0usize;
    for item in items.by_ref() {
        bytes = bytes.saturating_add(text_len(&item));
        batch.push(item);
        if batch.len() >= BATCH || bytes >= BATCH_BYTES {
            break;
        }
    }
    batch
}

fn text_len(doc: &InputDocument) -> usize {
    match doc {
        InputDocument::Text { text, .. } => text.len(),
        InputDocument::File { .. } | InputDocument::Failed { .. } => 0,
    }
}

/// A document's outcome, before formatting.
pub(crate) enum Outcome {
    Classified(crate::model::Prediction),
    Empty,
    Failed(String),
}

pub(crate) fn classify_one(
    model: &Classifier,
    doc: InputDocument,
    max_doc_bytes: usize,
) -> (String, Outcome) {
    let (id, text) = doc.into_text(max_doc_bytes);
    let outcome = match text {
        Err(message) => Outcome::Failed(message),
        Ok(text) if text.trim().is_empty() => Outcome::Empty,
        Ok(text) => Outcome::Classified(model.predict_text(&text)),
    };
    (id, outcome)
}

pub fn run(args: ClassifyArgs) -> anyhow::Result<i32> {
    let model = open_model(args.model.model.as_deref())?;
    check_inputs(&args.inputs)?;
    let counter = progress::counter("classified");
    let failed = match &args.out {
        Some(path) => {
            let file = AtomicFile::create(path)?;
            let mut writer = RecordWriter::new(file, args.format, model.labels());
            let failed = classify_stream(&model, &args, &mut writer, &counter)?;
            writer.into_inner().commit()?;
            failed
        }
        None => {
            let stdout = std::io::stdout();
            let out = std::io::BufWriter::new(stdout.lock());
            let mut writer = RecordWriter::new(out, args.format, model.labels());
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

/// Classifies every input document in bounded batches, writing one record
/// per document in input order. Returns how many failed.
///
/// A reader thread lists and parses the next batch while the batch in hand
/// is classified and encoded in parallel; this thread writes the encoded
/// records in order. Memory: two batches of text (see [`BATCH_BYTES`]; the
/// channel holds none, the reader hands its batch over when it is taken)
/// plus, per worker thread, the document being read and analysed.
fn classify_stream<W: Write>(
    model: &Classifier,
    args: &ClassifyArgs,
    writer: &mut RecordWriter<W>,
    counter: &indicatif::ProgressBar,
) -> anyhow::Result<u64> {
    let (sender, batches) = std::sync::mpsc::sync_channel::<Vec<InputDocument>>(0);
    let inputs = args.inputs.clone();
    let max_doc_bytes = args.max_doc_bytes;
    // Not scoped: if writing fails, the command returns at once even if the
    // reader is blocked on stdin; the reader stops at its next send.
    let reader = std::thread::Builder::new()
        .name("docclass-reader".into())
        .spawn(move || {
            let mut docs = documents(&inputs, max_doc_bytes);
            loop {
                let batch = next_batch(&mut docs, text_len);
                if batch.is_empty() || sender.send(batch).is_err() {
                    break;
                }
            }
        })
        .context("cannot start the input reader thread")?;
    let format = args.format;
    let mut failed = 0u64;
    for batch in batches {
        let results: Vec<(bool, Vec<u8>)> = batch
            .into_par_iter()
            .map(|doc| {
                let (id, outcome) = classify_one(model, doc, max_doc_bytes);
                let record = to_record(model, &id, &outcome);
                (
                    matches!(outcome, Outcome::Failed(_)),
                    encode(format, model.labels(), &record),
                )
            })
            .collect();
        for (is_failure, bytes) in &results {
            failed += u64::from(*is_failure);
            writer.write_encoded(bytes)?;
        }
        counter.inc(results.len() as u64);
    }
    // The channel also closes if the reader died: that must not pass for
    // the end of the input.
    if reader.join().is_err() {
        anyhow::bail!("reading the input failed unexpectedly; the output is incomplete");
    }
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
            empty: false,
            error: None,
        },
        Outcome::Empty => Record {
            id,
            labels: Some(Vec::new()),
            scores: None,
            empty: true,
            error: None,
        },
        Outcome::Failed(message) => Record {
            id,
            labels: None,
            scores: None,
            empty: false,
            error: Some(message),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_end_at_a_count_or_a_size_whichever_comes_first() {
        let mut small = std::iter::repeat_n(100usize, 3000);
        assert_eq!(next_batch(&mut small, |&n| n).len(), BATCH);
        assert_eq!(next_batch(&mut small, |&n| n).len(), BATCH);
        assert_eq!(next_batch(&mut small, |&n| n).len(), 3000 - 2 * BATCH);
        assert!(next_batch(&mut small, |&n| n).is_empty());
        // Large records: the byte budget ends the batch; one record over
        // it is still a batch of its own, never dropped.
        let mut large = [BATCH_BYTES / 4; 6].into_iter().chain([BATCH_BYTES * 2, 1]);
        assert_eq!(next_batch(&mut large, |&n| n).len(), 4);
        assert_eq!(next_batch(&mut large, |&n| n).len(), 3);
        assert_eq!(next_batch(&mut large, |&n| n), [1]);
    }
}
