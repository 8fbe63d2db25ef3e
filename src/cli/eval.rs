use super::{progress, ModelArg, EXIT_OK};
use crate::corpus::{LabelledDocument, ReadOptions, DEFAULT_MAX_DOC_BYTES};
use crate::eval::{evaluate, label_indices, Report};
use crate::model::Classifier;
use rayon::prelude::*;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    #[command(flatten)]
    model: ModelArg,
    /// Labelled data, in any layout `train` reads. Repeat to combine.
    #[arg(long, required = true, value_name = "PATH", num_args = 1..)]
    data: Vec<PathBuf>,
    /// Background (out-of-domain) documents, read as `train --background`
    /// reads them: the report says how many of them got a label, which
    /// should be none.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    background: Vec<PathBuf>,
    /// One JSON object on stdout instead of tables.
    #[arg(long)]
    json: bool,
    /// Write the report (tables or JSON) here, atomically, instead of
    /// stdout (`-` is stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    out: Option<PathBuf>,
    /// Also write a self-contained HTML report (metrics, confusion, PR
    /// curves, worst errors with explanations) to this file.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Skip invalid records (with a warning) instead of stopping at the first.
    #[arg(long)]
    skip_invalid: bool,
    /// Largest document accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_DOC_BYTES)]
    max_doc_bytes: usize,
    #[command(flatten)]
    columns: super::ColumnArgs,
}

/// Predictions and truth for labelled documents, with labels the model does
/// not know appended after its own (they can only be missed).
pub(crate) struct Scored {
    pub labels: Vec<String>,
    pub truth: Vec<Vec<usize>>,
    pub predicted: Vec<Vec<usize>>,
    pub scores: Vec<Vec<f64>>,
    pub unknown: BTreeMap<String, usize>,
}

pub(crate) fn score_documents(model: &Classifier, docs: &[LabelledDocument]) -> Scored {
    let mut labels = model.labels().to_vec();
    let mut unknown = BTreeMap::new();
    let mut truth = Vec::with_capacity(docs.len());
    for doc in docs {
        let set = label_indices(&mut labels, &doc.labels);
        for &idx in &set {
            if idx >= model.labels().len() {
                *unknown.entry(labels[idx].clone()).or_insert(0) += 1;
            }
        }
        truth.push(set);
    }
    let pb = progress::bar(docs.len() as u64, "evaluating");
    let predictions: Vec<crate::model::Prediction> = docs
        .par_iter()
        .map(|d| {
            let p = model.predict_text(&d.text);
            pb.inc(1);
            p
        })
        .collect();
    pb.finish_and_clear();
    let predicted = predictions.iter().map(|p| p.labels.clone()).collect();
    let scores = predictions.into_iter().map(|p| p.scores).collect();
    Scored {
        labels,
        truth,
        predicted,
        scores,
        unknown,
    }
}

pub fn run(args: EvalArgs) -> anyhow::Result<i32> {
    let model = args.model.open()?;
    for written in args
        .html
        .iter()
        .chain(args.out.iter().filter(|o| o.as_os_str() != "-"))
    {
        super::refuse_output_over_inputs(
            written,
            args.data
                .iter()
                .chain(&args.background)
                .chain(&args.model.model),
        )?;
    }
    // Written through a handle, not print!: a full disk or a closed pipe
    // is an error to report (or a quiet end), not a panic.
    let mut out = super::output::Output::open(args.out.as_deref())?;
    let options = ReadOptions {
        skip_invalid: args.skip_invalid,
        max_doc_bytes: args.max_doc_bytes,
        columns: args.columns.names(),
    };
    let (data, background) =
        super::train::read_training_data(&args.data, &args.background, options, &|w: &str| {
            note!("docclass: warning: {w}")
        })?;
    if data.documents.is_empty() {
        anyhow::bail!("no labelled documents to evaluate on");
    }
    let several = data.documents.iter().filter(|d| d.labels.len() > 1).count();
    if !model.is_multi_label() && several > 0 {
        note!(
            "docclass: warning: {several} documents have several labels, but this model gives \
             one label per document: each of them counts as missed for all but one label \
             (train with --multi-label for such data)"
        );
    }
    let background = (!args.background.is_empty()).then(|| {
        let mut summary = BackgroundSummary {
            documents: background.documents.len(),
            labelled: 0,
            per_label: model.labels().iter().map(|l| (l.clone(), 0)).collect(),
        };
        let predictions: Vec<Vec<usize>> = background
            .documents
            .par_iter()
            .map(|d| model.predict_text(&d.text).labels)
            .collect();
        for labels in predictions {
            summary.labelled += usize::from(!labels.is_empty());
            for c in labels {
                if let Some(n) = summary.per_label.get_mut(&model.labels()[c]) {
                    *n += 1;
                }
            }
        }
        summary
    });
    let scored = score_documents(&model, &data.documents);
    for (label, n) in &scored.unknown {
        note!(
            "docclass: warning: label '{label}' ({n} documents) is not one the model knows; \
             it counts as missed"
        );
    }
    let report = evaluate(
        &scored.labels,
        &scored.truth,
        &scored.predicted,
        !model.is_multi_label(),
    );
    if let Some(path) = &args.html {
        let model_name = args.model.name();
        let data_name: Vec<String> = args.data.iter().map(|p| p.display().to_string()).collect();
        let html = super::report::render(&super::report::ReportInput {
            model: &model,
            model_name: &model_name,
            data_name: &data_name.join(", "),
            report: &report,
            labels: &scored.labels,
            docs: &data.documents,
            truth: &scored.truth,
            predicted: &scored.predicted,
            scores: &scored.scores,
        });
        crate::io::write_atomic(path, |w| w.write_all(html.as_bytes()))?;
        note!("docclass: wrote {}", path.display());
    }
    if args.json {
        let json = JsonReport {
            report: &report,
            multi_label: model.is_multi_label(),
            unknown: &scored.unknown,
            background: background.as_ref(),
        };
        writeln!(out, "{}", serde_json::to_string(&json)?)?;
    } else {
        write!(
            out,
            "{}",
            render_table(&report, model.is_multi_label(), model.labels().len())
        )?;
        if let Some(b) = &background {
            let per_label: Vec<String> = b
                .per_label
                .iter()
                .map(|(l, n)| format!("{l} {n}"))
                .collect();
            writeln!(
                out,
                "\nbackground documents given a label: {} of {} ({:.1}%; {})",
                b.labelled,
                b.documents,
                100.0 * b.labelled as f64 / b.documents.max(1) as f64,
                per_label.join(", ")
            )?;
        }
    }
    out.finish()?;
    Ok(EXIT_OK)
}

struct JsonReport<'a> {
    report: &'a Report,
    multi_label: bool,
    unknown: &'a BTreeMap<String, usize>,
    background: Option<&'a BackgroundSummary>,
}

/// How background documents fared: ideally none is labelled.
#[derive(Serialize)]
struct BackgroundSummary {
    documents: usize,
    /// Background documents that got at least one label.
    labelled: usize,
    per_label: BTreeMap<String, usize>,
}

impl Serialize for JsonReport<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.report;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("n", &r.n)?;
        map.serialize_entry("accuracy", &r.accuracy)?;
        map.serialize_entry("micro_f1", &r.micro_f1)?;
        map.serialize_entry("macro_f1", &r.macro_f1)?;
        map.serialize_entry("per_label", &PerLabel(&r.per_label))?;
        map.serialize_entry("multi_label", &self.multi_label)?;
        if let Some(c) = &r.confusion {
            let labels: Vec<&str> = r.per_label.iter().map(|(l, _)| l.as_str()).collect();
            map.serialize_entry("labels", &labels)?;
            map.serialize_entry("confusion_matrix", c)?;
        }
        if !self.unknown.is_empty() {
            map.serialize_entry("unknown_labels", self.unknown)?;
        }
        if let Some(b) = self.background {
            map.serialize_entry("background", b)?;
        }
        map.end()
    }
}

struct PerLabel<'a>(&'a [(String, crate::eval::LabelMetrics)]);

impl Serialize for PerLabel<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (label, m) in self.0 {
            map.serialize_entry(label, m)?;
        }
        map.end()
    }
}

/// The human-readable report: per-label table, averages, confusion matrix.
pub(crate) fn render_table(report: &Report, multi_label: bool, known: usize) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let width = report
        .per_label
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(5)
        .max(9);
    // Multi-label models have no confusion matrix (a document can be in
    // several cells); each label's own counts take its place.
    let counts_header = if multi_label {
        "       tp       fp       fn       tn"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "{:<width$}  precision  recall     f1  support{counts_header}",
        "label"
    );
    for (i, (label, m)) in report.per_label.iter().enumerate() {
        let note = if i >= known { "  (not in model)" } else { "" };
        let counts = if multi_label {
            format!("  {:>7}  {:>7}  {:>7}  {:>7}", m.tp, m.fp, m.fn_, m.tn)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{label:<width$}  {:>9.4}  {:>6.4}  {:>5.4}  {:>7}{counts}{note}",
            m.precision, m.recall, m.f1, m.support
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{:<width$}  {:>24.4}", "micro F1", report.micro_f1);
    let _ = writeln!(out, "{:<width$}  {:>24.4}", "macro F1", report.macro_f1);
    let acc = if multi_label {
        "subset accuracy"
    } else {
        "accuracy"
    };
    let _ = writeln!(
        out,
        "{acc:<width$}  {:>24.4}  (n = {})",
        report.accuracy, report.n
    );
    if let Some(confusion) = &report.confusion {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "confusion matrix (rows: true label, columns: predicted, by row number)"
        );
        let cell = confusion
            .iter()
            .flatten()
            .max()
            .map_or(1, |m| m.to_string().len())
            .max(2);
        let _ = write!(out, "{:>4}  {:<width$} ", "", "");
        for j in 0..confusion.len() {
            let _ = write!(out, " {:>cell$}", j + 1);
        }
        let _ = writeln!(out);
        for (i, row) in confusion.iter().enumerate() {
            let _ = write!(out, "{:>4}  {:<width$} ", i + 1, report.per_label[i].0);
            for v in row {
                let _ = write!(out, " {v:>cell$}");
            }
            let _ = writeln!(out);
        }
    }
    out
}
