use super::batch::for_each_document;
use super::{ModelArg, EXIT_OK, EXIT_SOME_FAILED};
use crate::corpus::{check_inputs, DEFAULT_MAX_DOC_BYTES};
use crate::model::{Classifier, Contribution, Explanation};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    #[command(flatten)]
    model: ModelArg,
    /// Documents, as for `classify`.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Terms to show per label in each direction.
    #[arg(long, value_name = "N", default_value_t = 10)]
    top: usize,
    /// One JSON object per document instead of text.
    #[arg(long)]
    json: bool,
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
    /// Write here (atomically) instead of stdout (`-` is stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    out: Option<PathBuf>,
}

enum Outcome {
    Explained(Box<Explanation>),
    Empty,
    Failed(String),
}

pub fn run(args: ExplainArgs) -> anyhow::Result<i32> {
    let model = args.model.open()?;
    check_inputs(&args.inputs)?;
    let stdout = std::io::stdout();
    // https://no-color.org: any non-empty NO_COLOR turns highlighting off.
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let to_stdout = args.out.as_ref().is_none_or(|o| o.as_os_str() == "-");
    let color = !args.json && !no_color && to_stdout && stdout.is_terminal();
    if let Some(out) = args.out.as_ref().filter(|_| !to_stdout) {
        super::refuse_output_over_inputs(out, args.inputs.iter().chain(&args.model.model))?;
    }
    let mut out = super::output::Output::open(args.out.as_deref())?;
    let mut failed = 0u64;
    for_each_document(
        &args.inputs,
        (args.max_doc_bytes, args.input_format, args.columns.names()),
        |id, text| {
            let outcome = match text {
                Err(e) => Outcome::Failed(e),
                Ok(t) if t.trim().is_empty() => Outcome::Empty,
                Ok(t) => Outcome::Explained(Box::new(model.explain(&t, args.top))),
            };
            (id, outcome)
        },
        |(id, outcome)| {
            if matches!(outcome, Outcome::Failed(_)) {
                failed += 1;
            }
            if args.json {
                write_json(&mut out, &model, &id, &outcome)
            } else {
                write_text(&mut out, &model, &id, &outcome, color)
            }
        },
    )?;
    out.finish()?;
    Ok(if failed > 0 {
        EXIT_SOME_FAILED
    } else {
        EXIT_OK
    })
}

fn write_json(
    out: &mut impl Write,
    model: &Classifier,
    id: &str,
    outcome: &Outcome,
) -> anyhow::Result<()> {
    let value = match outcome {
        Outcome::Failed(e) => serde_json::json!({"id": id, "error": e}),
        Outcome::Empty => serde_json::json!({"id": id, "empty": true}),
        Outcome::Explained(x) => model.explanation_json(id, x),
    };
    writeln!(out, "{value}")?;
    Ok(())
}

const BOLD_RED: &str = "\x1b[1;31m";
const BOLD_GREEN: &str = "\x1b[1;32m";
const RESET: &str = "\x1b[0m";

fn write_text(
    out: &mut impl Write,
    model: &Classifier,
    id: &str,
    outcome: &Outcome,
    color: bool,
) -> anyhow::Result<()> {
    writeln!(out, "== {id}")?;
    let x = match outcome {
        Outcome::Failed(e) => {
            writeln!(out, "   error: {e}\n")?;
            return Ok(());
        }
        Outcome::Empty => {
            writeln!(out, "   empty document\n")?;
            return Ok(());
        }
        Outcome::Explained(x) => x,
    };
    if let Some(r) = x.relevance {
        writeln!(
            out,
            "{:<14} {r:.3}  (each score is relevance x the label's own probability)",
            "relevance"
        )?;
    }
    if let Some(r) = &x.relevance_terms {
        let mark = if x.relevance.is_some_and(|v| v >= r.threshold) {
            "on topic"
        } else {
            "off topic: no label given"
        };
        writeln!(out, "   gate threshold {:.2}, {mark}", r.threshold)?;
        write_terms(out, &r.up, &r.down, color)?;
        write_sum(
            out,
            r.intercept,
            &r.up,
            &r.down,
            r.other_terms,
            r.linear_score,
            " (log-odds)",
        )?;
    }
    for l in &x.labels {
        let mark = if l.assigned { "ASSIGNED" } else { "-" };
        writeln!(
            out,
            "{:<14} {:.3}  (threshold {:.2})  {mark}",
            l.label, l.score, l.threshold
        )?;
        if let Some(sentence) = &l.sentence {
            writeln!(out, "   scored on the sentence: {sentence}")?;
        }
        write_terms(out, &l.up, &l.down, color)?;
        let kind = if model.is_multi_label() {
            " (log-odds)"
        } else {
            " (linear score; softmax over labels)"
        };
        write_sum(
            out,
            l.intercept,
            &l.up,
            &l.down,
            l.other_terms,
            l.linear_score,
            kind,
        )?;
    }
    if !x.evidence.is_empty() {
        writeln!(out, "evidence:")?;
        for e in &x.evidence {
            let sentence = if color {
                highlight(&e.sentence, &model.term_spans(&e.sentence, &e.terms))
            } else {
                e.sentence.clone()
            };
            writeln!(out, "   [{}] {sentence}", e.label)?;
        }
    }
    writeln!(out)?;
    Ok(())
}

fn write_terms(
    out: &mut impl Write,
    up: &[Contribution],
    down: &[Contribution],
    color: bool,
) -> anyhow::Result<()> {
    let fmt = |c: &Contribution| format!("{} {:+.3}", c.display(), c.weight);
    if !up.is_empty() {
        let (on, off) = if color { (BOLD_GREEN, RESET) } else { ("", "") };
        let terms: Vec<String> = up.iter().map(fmt).collect();
        writeln!(out, "   up:   {on}{}{off}", terms.join(", "))?;
    }
    if !down.is_empty() {
        let (on, off) = if color { (BOLD_RED, RESET) } else { ("", "") };
        let terms: Vec<String> = down.iter().map(fmt).collect();
        writeln!(out, "   down: {on}{}{off}", terms.join(", "))?;
    }
    Ok(())
}

fn write_sum(
    out: &mut impl Write,
    intercept: f64,
    up: &[Contribution],
    down: &[Contribution],
    other_terms: f64,
    linear_score: f64,
    kind: &str,
) -> anyhow::Result<()> {
    let shown: f64 = up.iter().chain(down).map(|c| c.weight).sum();
    writeln!(
        out,
        "   sum:  intercept {intercept:+.3} + terms shown {shown:+.3} + other terms {other_terms:+.3} = {linear_score:+.3}{kind}"
    )?;
    Ok(())
}

/// The sentence with the given byte ranges in bold.
fn highlight(sentence: &str, spans: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(sentence.len() + spans.len() * 8);
    let mut at = 0;
    for &(start, end) in spans {
        out.push_str(&sentence[at..start]);
        out.push_str("\x1b[1;4m");
        out.push_str(&sentence[start..end]);
        out.push_str(RESET);
        at = end;
    }
    out.push_str(&sentence[at..]);
    out
}
