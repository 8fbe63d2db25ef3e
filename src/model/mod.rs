//! The classifier: analysis, vectorizer and logistic regression in one value
//! that can be trained, saved, loaded and applied.

mod card;
pub mod explain;
pub mod file;
pub mod heads;
mod linfa_solver;
pub mod logistic;
mod parvec;
mod thresholds;

pub use explain::{Contribution, Evidence, Explanation, LabelExplanation, RelevanceExplanation};
pub use file::{
    default_model, load_model, save_model, DEFAULT_MODEL_BYTES, DEFAULT_MODEL_NAME, FORMAT_VERSION,
};
pub use heads::{Gate, Scored};
pub use linfa_solver::DEFAULT_MAX_DENSE_BYTES;
pub use logistic::{sigmoid, Convergence, Objective};

use crate::corpus::LabelledDocument;
use crate::eval::{evaluate, label_indices, Report};
use crate::features::{ColumnCounter, SparseMatrix, TfidfParams, TfidfVectorizer};
use crate::text::{Analyzer, AnalyzerParams, Language};
use crate::{Error, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Which optimiser fits the weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Solver {
    /// Sparse L-BFGS (argmin): fast and memory-light at any size.
    Lbfgs,
    /// linfa-logistic on a dense matrix: small corpora only.
    Linfa,
}

impl FromStr for Solver {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "lbfgs" => Ok(Solver::Lbfgs),
            "linfa" => Ok(Solver::Linfa),
            other => Err(format!("unknown solver '{other}'; expected lbfgs or linfa")),
        }
    }
}

impl fmt::Display for Solver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Solver::Lbfgs => "lbfgs",
            Solver::Linfa => "linfa",
        })
    }
}

/// Document weights in the loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClassWeight {
    /// Every document counts once.
    Uniform,
    /// Weights inversely proportional to class frequency (scikit-learn's
    /// "balanced"), so that a rare label is not sacrificed to a common one.
    Balanced,
}

impl std::fmt::Display for ClassWeight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ClassWeight::Uniform => "uniform",
            ClassWeight::Balanced => "balanced",
        })
    }
}

/// How multi-label decision thresholds are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdMode {
    /// The same probability threshold for every label.
    Fixed(f64),
    /// Per label, the threshold that maximises F1 on out-of-fold predictions
    /// of an internal k-fold cross-validation.
    Tuned { folds: usize },
}

impl std::fmt::Display for ThresholdMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ThresholdMode::Fixed(p) => write!(f, "{p} for every label"),
            ThresholdMode::Tuned { folds } => {
                write!(f, "tuned per label ({folds}-fold out-of-fold F1)")
            }
        }
    }
}

/// Everything that determines a trained model, besides the data. Stored in
/// the model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifierParams {
    pub analyzer: AnalyzerParams,
    pub tfidf: TfidfParams,
    /// Inverse regularisation strength (alpha = 1/C).
    pub c: f64,
    /// Force one-vs-rest multi-label training even if every document has
    /// exactly one label.
    pub multi_label: bool,
    pub class_weight: ClassWeight,
    pub solver: Solver,
    pub max_iter: u64,
    /// Stop when the norm of the per-document gradient falls below this.
    pub tolerance: f64,
    pub thresholds: ThresholdMode,
    /// Seeds the fold assignment of threshold tuning; training itself starts
    /// from zero weights and is deterministic.
    pub seed: u64,
    pub max_dense_bytes: u64,
    /// Labels scored by a document's strongest sentence, learnt from
    /// document labels by multiple-instance learning (see [`heads`]).
    #[serde(default)]
    pub sentence_labels: Vec<String>,
    /// Documents whose relevance (the gate's probability that they belong
    /// to the labelled domain) is below this get no label. Only used by
    /// models trained with background documents.
    #[serde(default = "half")]
    pub relevance_threshold: f64,
    /// Words whose terms the label heads do not use (the gate does): words
    /// every document of the domain contains, which a small corpus would
    /// otherwise tie to whichever label happens to use them more.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub label_stop_words: Vec<String>,
}

fn half() -> f64 {
    0.5
}

impl Default for ClassifierParams {
    fn default() -> Self {
        ClassifierParams {
            analyzer: AnalyzerParams::default(),
            tfidf: TfidfParams::default(),
            c: 10.0,
            multi_label: false,
            class_weight: ClassWeight::Uniform,
            solver: Solver::Lbfgs,
            max_iter: 1000,
            tolerance: 1e-4,
            thresholds: ThresholdMode::Fixed(0.5),
            seed: 0,
            max_dense_bytes: DEFAULT_MAX_DENSE_BYTES,
            sentence_labels: Vec::new(),
            relevance_threshold: 0.5,
            label_stop_words: Vec::new(),
        }
    }
}

impl ClassifierParams {
    /// Validates the settings and builds the analyzer they describe.
    pub fn check(&self) -> Result<Analyzer> {
        if !(self.c.is_finite() && self.c > 0.0) {
            return Err(Error::InvalidParams(format!(
                "C must be positive, got {}",
                self.c
            )));
        }
        if !(self.tolerance.is_finite() && self.tolerance > 0.0) {
            return Err(Error::InvalidParams(format!(
                "tolerance must be positive, got {}",
                self.tolerance
            )));
        }
        if self.max_iter == 0 {
            return Err(Error::InvalidParams("max_iter must be at least 1".into()));
        }
        match self.thresholds {
            ThresholdMode::Fixed(t) if !(t > 0.0 && t < 1.0) => {
                return Err(Error::InvalidParams(format!(
                    "threshold must be strictly between 0 and 1, got {t}"
                )))
            }
            ThresholdMode::Tuned { folds } if folds < 2 => {
                return Err(Error::InvalidParams(format!(
                    "threshold tuning needs at least 2 folds, got {folds}"
                )))
            }
            _ => {}
        }
        if !(self.relevance_threshold > 0.0 && self.relevance_threshold < 1.0) {
            return Err(Error::InvalidParams(format!(
                "relevance threshold must be strictly between 0 and 1, got {}",
                self.relevance_threshold
            )));
        }
        self.tfidf.check()?;
        self.analyzer.clone().check()
    }
}

/// Facts about the training run, stored in the model file. Nothing here
/// depends on when or where training ran, so identical inputs give
/// identical files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    pub docclass_version: String,
    /// SHA-256 over every document's text and labels, in order.
    pub data_sha256: String,
    pub documents: usize,
    pub documents_per_label: BTreeMap<String, usize>,
    /// By detected (or fixed) language.
    pub documents_per_language: BTreeMap<String, usize>,
    pub unlabelled_documents: usize,
    /// Out-of-domain documents the relevance gate was trained against.
    #[serde(default)]
    pub background_documents: usize,
    pub convergence: Convergence,
    pub warnings: Vec<String>,
    /// Metrics of the model on its own training documents: optimistic,
    /// useful to spot a model that cannot even fit its data.
    pub training_metrics: Option<Report>,
    /// Metrics of out-of-fold predictions from threshold tuning (when
    /// thresholds were tuned): an honest estimate of accuracy on new data.
    pub cross_validated_metrics: Option<Report>,
}

/// A trained classifier.
pub struct Classifier {
    params: ClassifierParams,
    analyzer: Analyzer,
    vectorizer: TfidfVectorizer,
    labels: Vec<String>,
    objective: Objective,
    /// Feature-major: `weights[j * k + c]`.
    weights: Vec<f64>,
    intercepts: Vec<f64>,
    thresholds: Vec<f64>,
    gate: Option<Gate>,
    /// Per label: scored by the strongest sentence.
    sentence_scoped: Vec<bool>,
    summary: TrainingSummary,
}

/// A text as the model reads it.
#[derive(Debug, Clone)]
pub struct AnalysedText {
    pub language: Language,
    pub row: Vec<(u32, f64)>,
    /// Filled only for models with sentence labels.
    pub sentences: Vec<String>,
    pub sentence_rows: Vec<Vec<(u32, f64)>>,
}

/// A vocabulary term and its weight for one label.
pub type WeightedTerm = (String, f64);

/// One document's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Indices into [`Classifier::labels`] of the assigned labels.
    pub labels: Vec<usize>,
    /// Probability of each label, in [`Classifier::labels`] order: for a
    /// model with a relevance gate, relevance x the label's probability.
    pub scores: Vec<f64>,
    /// The gate's probability that the document is in the model's domain
    /// (`None` for models trained without background documents).
    pub relevance: Option<f64>,
}

/// Labels in a stable order: sorted, so that the same data in any order
/// gives the same model.
pub fn label_set(docs: &[LabelledDocument]) -> Vec<String> {
    let mut labels: Vec<String> = docs.iter().flat_map(|d| d.labels.iter().cloned()).collect();
    labels.sort();
    labels.dedup();
    labels
}

/// SHA-256 identifying the training data.
pub fn data_hash(docs: &[LabelledDocument]) -> String {
    data_hash_with_background(docs, &[])
}

/// SHA-256 of labelled and background documents (the same as
/// [`data_hash`] when there is no background).
pub fn data_hash_with_background(
    docs: &[LabelledDocument],
    background: &[LabelledDocument],
) -> String {
    let mut hasher = Sha256::new();
    if !background.is_empty() {
        hasher.update(b"background\x1d");
        for doc in background {
            hasher.update(doc.text.as_bytes());
            hasher.update([0x1eu8]);
        }
        hasher.update(b"\x1d");
    }
    for doc in docs {
        hasher.update(doc.text.as_bytes());
        hasher.update([0u8]);
        for label in &doc.labels {
            hasher.update(label.as_bytes());
            hasher.update([0x1fu8]);
        }
        hasher.update([0x1eu8]);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Design-matrix targets and loss weights for a set of documents.
pub(crate) struct Targets {
    pub y: Vec<f64>,
    pub weight: Vec<f64>,
}

pub(crate) fn build_targets(
    label_sets: &[Vec<usize>],
    k: usize,
    objective: Objective,
    class_weight: ClassWeight,
) -> Targets {
    let n = label_sets.len();
    let mut y = vec![0.0; n * k];
    for (i, set) in label_sets.iter().enumerate() {
        for &c in set {
            y[i * k + c] = 1.0;
        }
    }
    let mut weight = vec![1.0; n * k];
    if class_weight == ClassWeight::Balanced {
        let mut positives = vec![0usize; k];
        for set in label_sets {
            for &c in set {
                positives[c] += 1;
            }
        }
        for (i, set) in label_sets.iter().enumerate() {
            for c in 0..k {
                weight[i * k + c] = match objective {
                    // n / (k * count of the document's class), the same in every cell.
                    Objective::Multinomial => {
                        let class = set.first().copied().unwrap_or(0);
                        n as f64 / (k as f64 * positives[class].max(1) as f64)
                    }
                    // Per label: positives and negatives weigh half each.
                    Objective::OneVsRest => {
                        let pos = positives[c].max(1) as f64;
                        let neg = (n - positives[c]).max(1) as f64;
                        if y[i * k + c] > 0.5 {
                            n as f64 / (2.0 * pos)
                        } else {
                            n as f64 / (2.0 * neg)
                        }
                    }
                };
            }
        }
    }
    Targets { y, weight }
}

/// One-vs-rest as what it is, one binary problem per label, fitted one
/// after the other (each step of each fit uses every core). The joint
/// problem is the sum of these, but solving it at once keeps the optimiser's
/// vectors (about a dozen of vocabulary x labels) alive together: Reuters
/// with bigrams and 90 topics took 1.4 GiB; per label they are vocabulary
/// sized. Each label also stops when it has converged, so rare labels cost
/// few iterations. Returns the parameters laid out as the joint problem's.
fn fit_one_vs_rest(
    params: &ClassifierParams,
    x: &SparseMatrix,
    targets: &Targets,
    k: usize,
    alpha: f64,
) -> Result<(Vec<f64>, Convergence)> {
    let n = x.rows();
    let d = x.cols();
    let xt = x.transpose_view().to_csr();
    // Labels are independent problems: fitted side by side (each one's
    // vector arithmetic is parallel too, but a binary problem's vectors are
    // short, and waiting on the other threads after every operation cost
    // more than the operations on corpora with many labels). Each label's
    // weights go into their column as soon as it is fitted, so that the
    // labels' vectors are not all held until the last one is done (90
    // labels x 92,543 word-pair terms: 66 MB twice over). A panic in one
    // fit reaches the caller through rayon, so a poisoned lock holds
    // nothing worth refusing.
    let joint = std::sync::Mutex::new((vec![0.0; d * k + k], vec![None; k]));
    (0..k).into_par_iter().try_for_each(|c| -> Result<()> {
        let column = |v: &[f64]| -> Vec<f64> { (0..n).map(|i| v[i * k + c]).collect() };
        let problem = logistic::Problem::with_transpose(
            x,
            std::borrow::Cow::Borrowed(&xt),
            column(&targets.y),
            column(&targets.weight),
            1,
            alpha,
            Objective::OneVsRest,
        );
        let (weights, label) = logistic::minimize(problem, params.max_iter, params.tolerance)?;
        let mut guard = joint
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (all, done) = &mut *guard;
        for j in 0..d {
            all[j * k + c] = weights[j];
        }
        all[d * k + c] = weights[d];
        done[c] = Some(label);
        Ok(())
    })?;
    let (all, done) = joint
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut convergence = Convergence {
        iterations: Some(0),
        objective: 0.0,
        converged: true,
    };
    // In label order, so that the summed objective is the same bits on any
    // number of threads.
    for label in done.into_iter().flatten() {
        convergence.iterations = convergence.iterations.max(label.iterations);
        convergence.objective += label.objective;
        convergence.converged &= label.converged;
    }
    Ok((all, convergence))
}

/// Fits weights and intercepts on a design matrix.
pub(crate) fn fit_linear(
    params: &ClassifierParams,
    x: &SparseMatrix,
    label_sets: &[Vec<usize>],
    k: usize,
    objective: Objective,
) -> Result<(Vec<f64>, Vec<f64>, Convergence)> {
    let targets = build_targets(label_sets, k, objective, params.class_weight);
    let alpha = 1.0 / params.c;
    let d = x.cols();
    let (mut all, convergence) = match params.solver {
        Solver::Lbfgs if objective == Objective::OneVsRest && k > 1 => {
            fit_one_vs_rest(params, x, &targets, k, alpha)?
        }
        Solver::Lbfgs => {
            let problem = logistic::Problem::new(x, targets.y, targets.weight, k, alpha, objective);
            logistic::minimize(problem, params.max_iter, params.tolerance)?
        }
        Solver::Linfa => {
            if params.class_weight != ClassWeight::Uniform {
                return Err(Error::InvalidParams(
                    "--solver linfa does not support class weights; use --solver lbfgs".into(),
                ));
            }
            linfa_solver::LinfaFit {
                x,
                y: &targets.y,
                k,
                alpha,
                objective,
                max_iter: params.max_iter,
                tolerance: params.tolerance,
                max_dense_bytes: params.max_dense_bytes,
            }
            .run()?
        }
    };
    let intercepts = all.split_off(d * k);
    Ok((all, intercepts, convergence))
}

/// Column names of `classify --format csv` besides the labels' own.
pub const RESERVED_LABEL_NAMES: &[&str] = &["id", "labels", "relevance", "empty", "error"];

/// Per vocabulary column: whether it is a term of one of `words`, each word
/// analysed in every language (a lone word's language cannot be detected,
/// and "officials" is "offici" in English but "officials" in French).
fn label_stop_columns(
    analyzer: &Analyzer,
    vectorizer: &TfidfVectorizer,
    words: &[String],
) -> Vec<bool> {
    let mut excluded = vec![false; vectorizer.n_features()];
    for word in words {
        for language in Language::ALL {
            analyzer.for_each_term_as(word, Some(language), |term| {
                if let Some(col) = vectorizer.term_index(term) {
                    excluded[col] = true;
                }
            });
        }
    }
    excluded
}

/// Refuses label names that would break the outputs every user reads:
/// `;` joins labels in CSV cells and in `labels` columns of training CSVs,
/// line breaks and other control characters split records, and a label
/// named like one of the CSV's own columns gives pandas `id.1`.
pub fn check_label_names(labels: &[String]) -> Result<()> {
    for label in labels {
        let problem = if label.contains(';') {
            Some("contains ';', which separates labels in CSV")
        } else if label.chars().any(char::is_control) {
            Some("contains a line break or another control character")
        } else if label.trim() != label {
            Some("starts or ends with white space")
        } else if RESERVED_LABEL_NAMES
            .iter()
            .any(|r| r.eq_ignore_ascii_case(label))
        {
            Some("is the name of a column docclass writes in CSV output")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(Error::Training(format!(
                "label {label:?} {problem}: rename it in the training data (reserved names: {})",
                RESERVED_LABEL_NAMES.join(", ")
            )));
        }
    }
    Ok(())
}

impl Classifier {
    /// Trains on labelled documents. Documents without labels are allowed in
    /// multi-label data (they are negatives for every label).
    pub fn fit(params: ClassifierParams, docs: &[LabelledDocument]) -> Result<Classifier> {
        Self::fit_with_progress(params, docs, &|_| {})
    }

    /// Like [`Classifier::fit`], reporting each stage by name.
    pub fn fit_with_progress(
        params: ClassifierParams,
        docs: &[LabelledDocument],
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<Classifier> {
        Self::fit_with_background(params, docs, &[], progress)
    }

    /// Trains on labelled documents and, when `background` is not empty, a
    /// relevance gate that tells them from out-of-domain documents
    /// (`background`'s labels are ignored). The labels themselves are fitted
    /// on `docs` only, so their probabilities are conditional on relevance.
    pub fn fit_with_background(
        params: ClassifierParams,
        docs: &[LabelledDocument],
        background: &[LabelledDocument],
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<Classifier> {
        let analyzer = params.check()?;
        if docs.is_empty() {
            return Err(Error::Training("no documents".into()));
        }
        let labels = label_set(docs);
        check_label_names(&labels)?;
        let multi = params.multi_label || docs.iter().any(|d| d.labels.len() != 1);
        let objective = if multi {
            Objective::OneVsRest
        } else {
            Objective::Multinomial
        };
        let mut warnings = Vec::new();
        match (objective, labels.len()) {
            (_, 0) => {
                return Err(Error::Training(
                    "no document has a label; label some documents first".into(),
                ))
            }
            (Objective::Multinomial, 1) => {
                return Err(Error::Training(format!(
                    "every document has the label '{}'; a classifier needs at least two labels \
                     (or use --multi-label with some unlabelled documents)",
                    labels[0]
                )))
            }
            _ => {}
        }
        let mut sentence_scoped = vec![false; labels.len()];
        for name in &params.sentence_labels {
            match labels.iter().position(|l| l == name) {
                Some(c) => sentence_scoped[c] = true,
                None => {
                    return Err(Error::InvalidParams(format!(
                        "--sentence-labels names '{name}', which no training document has \
                         (labels: {})",
                        labels.join(", ")
                    )))
                }
            }
        }
        if objective == Objective::Multinomial && sentence_scoped.contains(&true) {
            return Err(Error::InvalidParams(
                "sentence labels need a multi-label model: add --multi-label".into(),
            ));
        }
        // `labels` already holds every label, so nothing is appended.
        let mut names = labels.clone();
        let mut label_sets: Vec<Vec<usize>> = docs
            .iter()
            .map(|d| label_indices(&mut names, &d.labels))
            .collect();
        let mut per_label: BTreeMap<String, usize> = BTreeMap::new();
        for set in &label_sets {
            for &c in set {
                *per_label.entry(labels[c].clone()).or_insert(0) += 1;
            }
        }
        for (label, &count) in &per_label {
            if count == 1 {
                warnings.push(format!(
                    "label '{label}' has a single example; its predictions will be unreliable"
                ));
            }
            if objective == Objective::OneVsRest && count == docs.len() {
                warnings.push(format!(
                    "label '{label}' is on every document; the model will always predict it"
                ));
            }
        }
        // "Trade" and "trade" are two labels to the model, and almost
        // always one to the person who labelled the data.
        for (i, a) in labels.iter().enumerate() {
            for b in &labels[i + 1..] {
                if a.to_lowercase() == b.to_lowercase() {
                    warnings.push(format!(
                        "labels '{a}' and '{b}' differ only in case: they are trained as two \
                         labels; spell them the same if they are one"
                    ));
                }
            }
        }
        label_sets.extend(background.iter().map(|_| Vec::new()));
        let is_background: Vec<bool> = (0..docs.len() + background.len())
            .map(|i| i >= docs.len())
            .collect();
        let text_of = |i: usize| -> &str {
            if i < docs.len() {
                &docs[i].text
            } else {
                &background[i - docs.len()].text
            }
        };
        let n_all = docs.len() + background.len();

        progress("analysing and vectorizing");
        let languages: Vec<AtomicUsize> = (0..n_all).map(|_| AtomicUsize::new(0)).collect();
        let (vectorizer, x) = TfidfVectorizer::fit_transform_with(
            params.tfidf.clone(),
            n_all,
            |i, sink: &mut dyn FnMut(&str)| {
                let language = analyzer.for_each_term(text_of(i), sink);
                languages[i].store(language.index(), Ordering::Relaxed);
            },
        )?;
        let language_of = |i: usize| Language::ALL[languages[i].load(Ordering::Relaxed)];
        let mut per_language = BTreeMap::new();
        for i in 0..docs.len() {
            *per_language
                .entry(language_of(i).code().to_string())
                .or_insert(0) += 1;
        }
        let sentences = if sentence_scoped.contains(&true) {
            progress("analysing sentences");
            let per_doc: Vec<Vec<Vec<(u32, f64)>>> = (0..n_all)
                .into_par_iter()
                .map(|i| {
                    explain::split_sentences(text_of(i))
                        .iter()
                        .map(|sentence| {
                            vectorizer.row_with(|sink| {
                                analyzer.for_each_term_as(sentence, Some(language_of(i)), sink);
                            })
                        })
                        .collect()
                })
                .collect();
            let mut spans = Vec::with_capacity(n_all);
            let mut rows = Vec::new();
            for doc in per_doc {
                let start = rows.len();
                rows.extend(doc);
                spans.push(start..rows.len());
            }
            Some(heads::SentenceData {
                x: crate::features::assemble_rows(rows, vectorizer.n_features()),
                spans,
            })
        } else {
            None
        };

        // Label stop words: their columns are taken out of what the label
        // heads (document and sentence) learn from, so their weights stay 0.
        let excluded = label_stop_columns(&analyzer, &vectorizer, &params.label_stop_words);
        let masked = excluded.contains(&true);
        let x_labels = masked.then(|| crate::features::drop_columns(&x, &excluded));
        let sentences = sentences.map(|s| heads::SentenceData {
            x: if masked {
                crate::features::drop_columns(&s.x, &excluded)
            } else {
                s.x
            },
            spans: s.spans,
        });

        progress("fitting logistic regression");
        let k = labels.len();
        let data = heads::TrainData {
            x: &x,
            x_labels: x_labels.as_ref().unwrap_or(&x),
            label_sets: &label_sets,
            background: &is_background,
            sentences: sentences.as_ref(),
            sentence_scoped: &sentence_scoped,
            k,
            objective,
        };
        let all: Vec<usize> = (0..n_all).collect();
        let fitted = data.fit(&params, &all)?;
        if !fitted.convergence.converged {
            warnings.push(format!(
                "the optimizer stopped at --max-iter {} before converging",
                params.max_iter
            ));
        }

        let mut out_of_fold = None;
        let thresholds = match (objective, params.thresholds) {
            (Objective::Multinomial, _) => vec![0.5; k],
            (Objective::OneVsRest, ThresholdMode::Fixed(t)) => vec![t; k],
            (Objective::OneVsRest, ThresholdMode::Tuned { folds }) => {
                progress("tuning thresholds");
                let (thresholds, scores) = thresholds::tune(&params, &data, folds)?;
                out_of_fold = Some(scores);
                thresholds
            }
        };
        let in_sample: Vec<Scored> = (0..n_all)
            .into_par_iter()
            .map(|i| data.score(&fitted, i))
            .collect();

        let summary = TrainingSummary {
            docclass_version: env!("CARGO_PKG_VERSION").to_string(),
            data_sha256: data_hash_with_background(docs, background),
            documents: docs.len(),
            documents_per_label: per_label,
            documents_per_language: per_language,
            unlabelled_documents: label_sets[..docs.len()]
                .iter()
                .filter(|s| s.is_empty())
                .count(),
            background_documents: background.len(),
            convergence: fitted.convergence,
            warnings,
            training_metrics: None,
            cross_validated_metrics: None,
        };
        let mut model = Classifier {
            params,
            analyzer,
            vectorizer,
            labels,
            objective,
            weights: fitted.weights,
            intercepts: fitted.intercepts,
            thresholds,
            gate: fitted.gate,
            sentence_scoped,
            summary,
        };
        model.adopt_latin_fallback();
        let single = objective == Objective::Multinomial;
        let decided: Vec<Vec<usize>> = in_sample
            .iter()
            .map(|s| model.decide(&s.scores, s.relevance))
            .collect();
        model.summary.training_metrics =
            Some(evaluate(&model.labels, &label_sets, &decided, single));
        if let Some(scores) = out_of_fold {
            let predicted: Vec<Vec<usize>> = scores
                .iter()
                .map(|s| model.decide(&s.scores, s.relevance))
                .collect();
            model.summary.cross_validated_metrics =
                Some(evaluate(&model.labels, &label_sets, &predicted, single));
        }
        Ok(model)
    }

    pub fn params(&self) -> &ClassifierParams {
        &self.params
    }

    /// Makes short Latin-script texts without a language of their own be
    /// analysed in the training data's most common Latin-script language,
    /// the one the model's stems come from.
    pub(crate) fn adopt_latin_fallback(&mut self) {
        let dominant = self
            .summary
            .documents_per_language
            .iter()
            .filter_map(|(code, &n)| Some((code.parse::<crate::text::Language>().ok()?, n)))
            .filter(|(l, _)| l.script() == crate::text::Script::Latin)
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.code().cmp(a.0.code())))
            .map(|(l, _)| l);
        if let Some(language) = dominant {
            self.analyzer.set_latin_fallback(language);
        }
    }
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }
    pub fn vectorizer(&self) -> &TfidfVectorizer {
        &self.vectorizer
    }
    pub fn labels(&self) -> &[String] {
        &self.labels
    }
    pub fn objective(&self) -> Objective {
        self.objective
    }
    pub fn thresholds(&self) -> &[f64] {
        &self.thresholds
    }

    /// Changes a decision threshold for this use of the model (the file is
    /// not touched): a label's probability threshold (multi-label models),
    /// or with `label` = `relevance` the relevance threshold of a gated
    /// model. A higher threshold trades recall for precision.
    pub fn set_threshold(&mut self, label: &str, threshold: f64) -> Result<()> {
        if !(threshold > 0.0 && threshold < 1.0) {
            return Err(Error::InvalidParams(format!(
                "threshold for '{label}' must be between 0 and 1 (exclusive), got {threshold}"
            )));
        }
        if label == "relevance" {
            if self.gate.is_none() {
                return Err(Error::InvalidParams(
                    "this model has no relevance gate (train with --background to get one)".into(),
                ));
            }
            self.params.relevance_threshold = threshold;
            return Ok(());
        }
        let Some(c) = self.labels.iter().position(|l| l == label) else {
            return Err(Error::InvalidParams(format!(
                "no label '{label}' in this model (labels: {}{})",
                self.labels.join(", "),
                if self.gate.is_some() {
                    ", relevance"
                } else {
                    ""
                }
            )));
        };
        if !self.is_multi_label() {
            return Err(Error::InvalidParams(format!(
                "'{label}': a single-label model picks the most probable label; thresholds \
                 apply to multi-label models (and to relevance)"
            )));
        }
        self.thresholds[c] = threshold;
        Ok(())
    }
    pub fn summary(&self) -> &TrainingSummary {
        &self.summary
    }
    pub fn is_multi_label(&self) -> bool {
        self.objective == Objective::OneVsRest
    }
    /// Weight of feature `j` for label `c`.
    pub fn weight(&self, j: usize, c: usize) -> f64 {
        self.weights[j * self.labels.len() + c]
    }
    pub fn intercepts(&self) -> &[f64] {
        &self.intercepts
    }
    /// The relevance gate, for models trained with background documents.
    pub fn gate(&self) -> Option<&Gate> {
        self.gate.as_ref()
    }
    /// Whether label `c` is scored by the document's strongest sentence.
    pub fn is_sentence_label(&self, c: usize) -> bool {
        self.sentence_scoped.get(c).copied().unwrap_or(false)
    }
    fn has_sentence_labels(&self) -> bool {
        self.sentence_scoped.contains(&true)
    }

    /// TF-IDF row of one text, as sorted (column, value) pairs.
    pub fn transform_one(&self, text: &str) -> Vec<(u32, f64)> {
        self.analyze_row(text).1
    }

    /// The document's language and its TF-IDF row, from one analysis pass.
    pub fn analyze_row(&self, text: &str) -> (Language, Vec<(u32, f64)>) {
        self.analyze_row_as(text, None)
    }

    /// [`Classifier::analyze_row`] in a given language (for a sentence of a
    /// document whose language is known), or detecting it.
    pub fn analyze_row_as(
        &self,
        text: &str,
        language: Option<Language>,
    ) -> (Language, Vec<(u32, f64)>) {
        let mut columns = ColumnCounter::default();
        let language = self.analyzer.for_each_term_as(text, language, |term| {
            if let Some(col) = self.vectorizer.term_index(term) {
                columns.push(col as u32);
            }
        });
        (language, self.vectorizer.row_from_counter(columns))
    }

    /// TF-IDF matrix of many texts, analysed in parallel.
    pub fn transform(&self, texts: &[&str]) -> SparseMatrix {
        self.vectorizer
            .transform_with(texts.len(), |i, sink: &mut dyn FnMut(&str)| {
                self.analyzer.for_each_term(texts[i], sink);
            })
    }

    /// Everything scoring needs from a text: its language, TF-IDF row and,
    /// for a model with sentence labels, its sentences and their rows.
    pub fn analyze_text(&self, text: &str) -> AnalysedText {
        let (language, row) = self.analyze_row(text);
        let (sentences, sentence_rows) = if self.has_sentence_labels() {
            let sentences = explain::split_sentences(text);
            let rows = sentences
                .iter()
                .map(|s| self.analyze_row_as(s, Some(language)).1)
                .collect();
            (sentences, rows)
        } else {
            (Vec::new(), Vec::new())
        };
        AnalysedText {
            language,
            row,
            sentences,
            sentence_rows,
        }
    }

    /// Scores of an analysed text.
    pub fn score_analysed(&self, analysed: &AnalysedText) -> Scored {
        heads::score(
            &self.weights,
            &self.intercepts,
            self.gate.as_ref(),
            self.objective,
            &self.sentence_scoped,
            &analysed.row,
            &analysed.sentence_rows,
        )
    }

    /// Scores of one text.
    pub fn score_text(&self, text: &str) -> Scored {
        self.score_analysed(&self.analyze_text(text))
    }

    /// Label probabilities of texts, in input order.
    pub fn predict_proba(&self, texts: &[&str]) -> Vec<Vec<f64>> {
        texts
            .par_iter()
            .map(|t| self.score_text(t).scores)
            .collect()
    }

    /// Labels chosen from probabilities: none for a document whose
    /// relevance is under the model's relevance threshold; otherwise the
    /// most probable class for single-label models, every label over its
    /// threshold for multi-label models.
    pub fn decide(&self, scores: &[f64], relevance: Option<f64>) -> Vec<usize> {
        if relevance.is_some_and(|r| r < self.params.relevance_threshold) {
            return Vec::new();
        }
        match self.objective {
            Objective::Multinomial => {
                let best =
                    scores
                        .iter()
                        .enumerate()
                        .fold(
                            (0, f64::NEG_INFINITY),
                            |acc, (i, &s)| if s > acc.1 { (i, s) } else { acc },
                        );
                vec![best.0]
            }
            Objective::OneVsRest => scores
                .iter()
                .zip(&self.thresholds)
                .enumerate()
                .filter(|(_, (s, t))| s >= t)
                .map(|(i, _)| i)
                .collect(),
        }
    }

    /// How unsure the model is about a document, from 0 (sure) to 1 (on a
    /// decision boundary): for multi-label models, the label whose score is
    /// closest to its threshold, relative to the room on that side; for
    /// single-label models, one minus the margin between the two most
    /// probable classes. Ranking unlabelled documents by it picks those whose
    /// labels would teach the model most (uncertainty sampling).
    pub fn uncertainty(&self, scores: &[f64]) -> f64 {
        match self.objective {
            Objective::OneVsRest => scores
                .iter()
                .zip(&self.thresholds)
                .map(|(&s, &t)| {
                    let room = if s >= t { 1.0 - t } else { t };
                    1.0 - ((s - t).abs() / room.max(1e-12)).min(1.0)
                })
                .fold(0.0, f64::max),
            Objective::Multinomial => {
                let mut sorted = scores.to_vec();
                sorted.sort_by(|a, b| b.total_cmp(a));
                let margin =
                    sorted.first().copied().unwrap_or(1.0) - sorted.get(1).copied().unwrap_or(0.0);
                1.0 - margin
            }
        }
    }

    /// The `n` terms with the largest and the smallest weights for label `c`.
    pub fn top_terms(&self, c: usize, n: usize) -> (Vec<WeightedTerm>, Vec<WeightedTerm>) {
        self.strongest_terms(|j| self.weight(j, c), n)
    }

    /// The `n` terms that most raise and most lower relevance.
    pub fn top_relevance_terms(&self, n: usize) -> (Vec<WeightedTerm>, Vec<WeightedTerm>) {
        match &self.gate {
            Some(gate) => self.strongest_terms(|j| gate.weights[j], n),
            None => (Vec::new(), Vec::new()),
        }
    }

    /// The `n` terms with the largest and the smallest `weight`, ties in
    /// vocabulary order.
    fn strongest_terms(
        &self,
        weight: impl Fn(usize) -> f64,
        n: usize,
    ) -> (Vec<WeightedTerm>, Vec<WeightedTerm>) {
        let mut terms: Vec<(usize, f64)> = (0..self.vectorizer.n_features())
            .map(|j| (j, weight(j)))
            .collect();
        terms.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let name = |&(j, w): &(usize, f64)| (self.vectorizer.vocabulary()[j].clone(), w);
        let positive = terms
            .iter()
            .filter(|t| t.1 > 0.0)
            .take(n)
            .map(name)
            .collect();
        let negative = terms
            .iter()
            .rev()
            .filter(|t| t.1 < 0.0)
            .take(n)
            .map(name)
            .collect();
        (positive, negative)
    }

    pub fn predict_text(&self, text: &str) -> Prediction {
        let scored = self.score_text(text);
        Prediction {
            labels: self.decide(&scored.scores, scored.relevance),
            scores: scored.scores,
            relevance: scored.relevance,
        }
    }

    pub fn predict(&self, texts: &[&str]) -> Vec<Prediction> {
        texts.par_iter().map(|t| self.predict_text(t)).collect()
    }
}
