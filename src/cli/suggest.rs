use super::batch::for_each_document;
use super::output::{round6, Scores};
use super::{ModelArg, EXIT_OK};
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
    /// Leave the documents' text out of the suggestions (by default each
    /// carries it, so the file is ready for an annotator).
    #[arg(long)]
    no_text: bool,
    /// Largest document accepted, in bytes.
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

/// A candidate, ordered so that the greater is the better suggestion: more
/// uncertain, then earlier in the input.
struct Ranked {
    uncertainty: f64,
    order: u64,
    id: String,
    scores: Vec<f64>,
    relevance: Option<f64>,
    text: Option<String>,
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

/// One line of `suggest`'s output. The model's guess is `predicted`, never
/// `labels`: an annotator adds `labels` with the truth, and a guess under
/// that name could be appended to training data as if it were true.
#[derive(Serialize)]
struct Suggestion<'a> {
    id: &'a str,
    uncertainty: f64,
    predicted: Vec<&'a str>,
    scores: Scores<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    relevance: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
}

/// Ranks unlabelled documents by how much labelling them would teach the
/// model, most uncertain first, as JSON Lines ready for an annotator (who
/// adds "labels" and appends them to the training data).
pub fn run(args: SuggestArgs) -> anyhow::Result<i32> {
    let model = args.model.open()?;
    check_inputs(&args.inputs)?;
    if let Some(out) = args.out.as_ref().filter(|o| o.as_os_str() != "-") {
        super::refuse_output_over_inputs(out, args.inputs.iter().chain(&args.model.model))?;
    }
    // Only the N best so far are kept (a min-heap whose top is the first
    // to drop), so memory is proportional to N, not to the input.
    let mut best: BinaryHeap<Reverse<Ranked>> = BinaryHeap::with_capacity(args.n + 1);
    let mut seen = 0u64;
    let mut skipped = 0u64;
    for_each_document(
        &args.inputs,
        (args.max_doc_bytes, args.input_format, args.columns.names()),
        |id, text| match text {
            Ok(t) if !t.trim().is_empty() => {
                let scored = model.score_text(&t);
                let u = model.uncertainty(&scored.scores);
                Some((id, scored.scores, u, scored.relevance, t))
            }
            _ => None,
        },
        |item| {
            match item {
                Some((id, scores, uncertainty, relevance, text)) => {
                    best.push(Reverse(Ranked {
                        uncertainty,
                        order: seen,
                        id,
                        scores,
                        relevance,
                        text: (!args.no_text).then_some(text),
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
        text,
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
            predicted: labels,
            scores: Scores(model.labels(), scores),
            relevance: relevance.map(round6),
            text: text.as_deref(),
        };
        serde_json::to_writer(&mut buffer, &s)?;
        buffer.push(b'\n');
    }
    match &args.out {
        Some(path) if path.as_os_str() != "-" => {
            crate::io::write_atomic(path, |w| w.write_all(&buffer))?
        }
        _ => {
            let mut out = std::io::stdout().lock();
            out.write_all(&buffer)?;
            out.flush()?;
        }
    }
    if skipped > 0 {
        note!("docclass: {skipped} empty or unreadable documents were not ranked");
    }
    Ok(EXIT_OK)
}
