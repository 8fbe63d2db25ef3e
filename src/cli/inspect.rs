use super::{ModelArg, EXIT_OK};
use crate::eval::Report;
use crate::model::Classifier;
use std::fmt::Write as _;
use std::io::Write as _;

#[derive(clap::Args, Debug)]
pub struct InspectArgs {
    #[command(flatten)]
    model: ModelArg,
    /// Terms to list per label in each direction.
    #[arg(long, value_name = "N", default_value_t = 25)]
    top: usize,
    /// One JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: InspectArgs) -> anyhow::Result<i32> {
    // Written through a handle, not print!: a full disk or a closed pipe
    // is an error to report (or a quiet end), not a panic.
    let mut out = std::io::stdout().lock();
    let model = args.model.open()?;
    let name = args.model.name();
    if args.json {
        writeln!(
            out,
            "{}",
            serde_json::to_string(&model.card_json(&name, args.top))?
        )?;
    } else {
        write!(out, "{}", card_text(&model, &name, args.top))?;
    }
    Ok(EXIT_OK)
}

/// Weighted terms as `term +1.23, term -0.45`.
fn terms_text(terms: &[(String, f64)]) -> String {
    terms
        .iter()
        .map(|(t, w)| format!("{t} {w:+.2}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn metrics_lines(out: &mut String, title: &str, r: &Report) {
    let _ = writeln!(
        out,
        "  {title}: macro F1 {:.4}, micro F1 {:.4}, accuracy {:.4} (n = {})",
        r.macro_f1, r.micro_f1, r.accuracy, r.n
    );
    for (label, m) in &r.per_label {
        let _ = writeln!(
            out,
            "    {label:<16} P {:.3}  R {:.3}  F1 {:.3}  support {}",
            m.precision, m.recall, m.f1, m.support
        );
    }
}

fn card_text(model: &Classifier, name: &str, top: usize) -> String {
    let mut out = String::new();
    let s = model.summary();
    let p = model.params();
    let _ = writeln!(out, "model            {name}");
    let _ = writeln!(
        out,
        "kind             {} ({} labels), format {}, docclass {}",
        if model.is_multi_label() {
            "multi-label, one-vs-rest"
        } else {
            "single-label, multinomial"
        },
        model.labels().len(),
        crate::model::FORMAT_VERSION,
        s.docclass_version
    );
    let thresholds: Vec<String> = model
        .labels()
        .iter()
        .zip(model.thresholds())
        .map(|(l, t)| format!("{l} {t:.2}"))
        .collect();
    let _ = writeln!(out, "labels           {}", thresholds.join(", "));
    let _ = writeln!(
        out,
        "vocabulary       {} terms",
        model.vectorizer().n_features()
    );
    if !p.sentence_labels.is_empty() {
        let _ = writeln!(
            out,
            "sentence labels  {} (scored by the strongest sentence)",
            p.sentence_labels.join(", ")
        );
    }
    if !p.label_stop_words.is_empty() {
        let shown: Vec<&str> = p
            .label_stop_words
            .iter()
            .take(8)
            .map(String::as_str)
            .collect();
        let _ = writeln!(
            out,
            "label stop words {} words the labels do not use (the relevance gate does): {}{}",
            p.label_stop_words.len(),
            shown.join(", "),
            if p.label_stop_words.len() > shown.len() {
                ", ..."
            } else {
                ""
            }
        );
    }
    if model.gate().is_some() {
        let _ = writeln!(
            out,
            "relevance gate   trained against {} background documents; no label below relevance {:.2}",
            s.background_documents, p.relevance_threshold
        );
    }
    let _ = writeln!(
        out,
        "analysis         language {}, stop words {}, stemming {}, ngrams 1..{}",
        p.analyzer.language,
        if p.analyzer.stop_words { "on" } else { "off" },
        if p.analyzer.stemming { "on" } else { "off" },
        p.analyzer.ngrams
    );
    let _ = writeln!(
        out,
        "tf-idf           min_df {}, max_df {}, max_features {}, sublinear tf {}",
        p.tfidf.min_df,
        p.tfidf.max_df,
        p.tfidf.max_features.map_or("all".into(), |m| m.to_string()),
        p.tfidf.sublinear_tf
    );
    let _ = writeln!(
        out,
        "classifier       C {}, solver {}, class weights {}, thresholds {}, seed {}",
        p.c, p.solver, p.class_weight, p.thresholds, p.seed
    );
    let _ = writeln!(out, "training data    sha256 {}", s.data_sha256);
    let per_label: Vec<String> = s
        .documents_per_label
        .iter()
        .map(|(l, n)| format!("{l} {n}"))
        .collect();
    let per_lang: Vec<String> = s
        .documents_per_language
        .iter()
        .map(|(l, n)| format!("{l} {n}"))
        .collect();
    let _ = writeln!(
        out,
        "                 {} documents ({} unlabelled); by label: {}; by language: {}",
        s.documents,
        s.unlabelled_documents,
        per_label.join(", "),
        per_lang.join(", ")
    );
    let _ = writeln!(
        out,
        "optimizer        {}, objective {:.4}{}",
        s.convergence
            .iterations
            .map_or("linfa".into(), |i| format!("{i} iterations")),
        s.convergence.objective,
        if s.convergence.converged {
            ""
        } else {
            " (not converged)"
        }
    );
    for w in &s.warnings {
        let _ = writeln!(out, "warning          {w}");
    }
    let _ = writeln!(out, "metrics stored at training time:");
    if let Some(r) = &s.cross_validated_metrics {
        metrics_lines(&mut out, "cross-validated (out-of-fold, honest)", r);
    }
    if let Some(r) = &s.training_metrics {
        metrics_lines(&mut out, "on the training data (optimistic)", r);
    }
    for (c, label) in model.labels().iter().enumerate() {
        let (pos, neg) = model.top_terms(c, top);
        let scope = if model.is_sentence_label(c) {
            " (weights of the sentence model)"
        } else {
            ""
        };
        let _ = writeln!(out, "\ntop terms for {label}{scope}:");
        let _ = writeln!(out, "  + {}", terms_text(&pos));
        let _ = writeln!(out, "  - {}", terms_text(&neg));
    }
    if model.gate().is_some() {
        let (pos, neg) = model.top_relevance_terms(top);
        let _ = writeln!(out, "\ntop terms for relevance (in domain vs background):");
        let _ = writeln!(out, "  + {}", terms_text(&pos));
        let _ = writeln!(out, "  - {}", terms_text(&neg));
    }
    out
}
