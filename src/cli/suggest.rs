use super::batch::for_each_document;
use super::output::{round6, Scores};
use super::{open_model, ModelArg, EXIT_OK};
use crate::corpus::{check_inputs, DEFAULT_MAX_DOC_BYTES};
use serde::Serialize;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct SuggestArgs {
    #[command(flatten)]
    model: ModelArg,
    /// Unlabelled documents, as for `classify`.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// How many documents to suggest.
    #[arg(long, short = 'n', value_name = "N", default_value_t = 50)]
    n: usize,
    /// Write here (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    out: Option<PathBuf>,
    /// Largest document accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_DOC_BYTES)]
    max_doc_bytes: usize,
}

/// A candidate, ordered so that the greater is the better suggestion: more
/// uncertain, then earlier in the input.
struct Ranked {
    uncertainty: f64,
    order: u64,
    id: String,
    scores: Vec<f64>,
    relevance: Option<f64>,
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.uncertainty
            .total_cmp(&other.uncertainty)
            .then_with(|| other.order.cmp(&self.order))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

#[derive(Serialize)]
struct Suggestion<'a> {
    id: &'a str,
    uncertainty: f64,
    labels: Vec<&'a str>,
    scores: Scores<'a>,
}

/// Ranks unlabelled documents by how much labelling them would teach the
/// model, most uncertain first, as JSON Lines ready for an annotator (who
/// adds "labels" and appends them to the training data).
pub fn run(args: SuggestArgs) -> anyhow::Result<i32> {
    let model = open_model(args.model.model.as_deref())?;
    check_inputs(&args.inputs)?;
    if let Some(out) = &args.out {
        super::refuse_output_over_inputs(out, args.inputs.iter().chain(&args.model.model))?;
    }
    // Only the N best so far are kept (a min-heap whose top is the first
    // to drop), so memory is proportional to N, not to the input.
    let mut best: BinaryHeap<Reverse<Ranked>> = BinaryHeap::with_capacity(args.n + 1);
    let mut seen = 0u64;
    let mut skipped = 0u64;
    for_each_document(
        &args.inputs,
        args.max_doc_bytes,
        |id, text| match text {
            Ok(t) if !t.trim().is_empty() => {
                let scored = model.score_text(&t);
                let u = model.uncertainty(&scored.scores);
                Some((id, scored.scores, u, scored.relevance))
            }
            _ => None,
        },
        |item| {
            match item {
                Some((id, scores, uncertainty, relevance)) => {
                    best.push(Reverse(Ranked {
                        uncertainty,
                        order: seen,
                        id,
                        scores,
                        relevance,
                    }));
                    if best.len() > args.n {
                        best.pop();
                    }
                }
                None => skipped += 1,
            }
            seen += 1;
            Ok(())
        },
    )?;
    // Most uncertain first; input order breaks ties, so output is stable.
    let ranked: Vec<Ranked> = best.into_sorted_vec().into_iter().map(|r| r.0).collect();
    let mut buffer = Vec::new();
    for Ranked {
        id,
        scores,
        uncertainty: u,
        relevance,
        ..
    } in &ranked
    {
        let labels = model
            .decide(scores, *relevance)
            .into_iter()
            .map(|c| model.labels()[c].as_str())
            .collect();
        let s = Suggestion {
            id,
            uncertainty: round6(*u),
            labels,
            scores: Scores(model.labels(), scores),
        };
        serde_json::to_writer(&mut buffer, &s)?;
        buffer.push(b'\n');
    }
    match &args.out {
        Some(path) => crate::io::write_atomic(path, |w| w.write_all(&buffer))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&buffer)?;
            out.flush()?;
        }
    }
    if skipped > 0 {
        eprintln!("docclass: {skipped} empty or unreadable documents were not ranked");
    }
    Ok(EXIT_OK)
}
