use super::progress;
use super::EXIT_OK;
use crate::corpus::{
    read_background_paths, read_labelled_paths, LabelledData, ReadOptions, DEFAULT_MAX_DOC_BYTES,
};
use crate::features::DocFrequency;
use crate::model::{save_model, ClassWeight, Classifier, ClassifierParams, Solver, ThresholdMode};
use crate::text::LanguageSetting;
use anyhow::Context;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// Labelled data: a folder with one sub-folder per label, a .jsonl file of
    /// {"id"?, "text", "labels": [..]} records, or a .csv with text and labels
    /// columns (labels separated by ';'). Repeat to combine sources.
    #[arg(long, required = true, value_name = "PATH", num_args = 1..)]
    data: Vec<PathBuf>,
    /// Background documents: text from outside the labelled domain (a .jsonl
    /// or .csv with a text field, or a folder of files). The model learns a
    /// relevance gate from them and gives no label to documents like them.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    background: Vec<PathBuf>,
    /// Where to write the model (atomically).
    #[arg(long, short = 'o', value_name = "MODEL")]
    out: PathBuf,
    #[command(flatten)]
    options: ModelOptions,
    #[command(flatten)]
    input: DataOptions,
}

/// How labelled data is read.
#[derive(clap::Args, Debug, Clone)]
pub struct DataOptions {
    /// Skip invalid records (with a warning) instead of stopping at the first.
    #[arg(long)]
    pub skip_invalid: bool,
    /// Largest document accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_DOC_BYTES)]
    pub max_doc_bytes: usize,
    #[command(flatten)]
    pub columns: super::ColumnArgs,
}

impl DataOptions {
    pub fn read_options(&self) -> ReadOptions {
        ReadOptions {
            skip_invalid: self.skip_invalid,
            max_doc_bytes: self.max_doc_bytes,
            columns: self.columns.names(),
        }
    }
}

/// Model settings shared by `train` and `cv`.
#[derive(clap::Args, Debug, Clone)]
pub struct ModelOptions {
    /// Train independent per-label models (documents may carry any set of
    /// labels). Implied when any document has other than exactly one label.
    #[arg(long)]
    multi_label: bool,
    /// Inverse regularisation strength: larger fits the training data more
    /// closely. `cv` accepts a comma-separated list to compare.
    #[arg(
        long = "c",
        value_name = "FLOAT",
        default_value = "10",
        value_delimiter = ','
    )]
    pub c: Vec<f64>,
    /// Longest word n-gram (1 = single words).
    #[arg(long, value_name = "N", default_value_t = 1)]
    ngrams: usize,
    /// Drop terms in fewer documents than this (count, or fraction if it has a point).
    #[arg(long, value_name = "N", default_value = "2")]
    min_df: DocFrequency,
    /// Drop terms in more documents than this (fraction, or count if a whole number).
    #[arg(long, value_name = "F", default_value = "0.5")]
    max_df: DocFrequency,
    /// Keep only the N terms found in the most documents.
    #[arg(long, value_name = "N")]
    max_features: Option<usize>,
    /// Document language: auto (detect per document) or a code such as en, zh, ru.
    #[arg(long, value_name = "LANG", default_value = "auto")]
    lang: LanguageSetting,
    /// lbfgs (sparse, any size) or linfa (dense, small corpora).
    #[arg(long, value_name = "SOLVER", default_value = "lbfgs")]
    solver: Solver,
    /// Seed for the folds of threshold tuning (and of `cv`). Same data +
    /// settings + seed = same model bytes.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Weigh documents inversely to their class frequency.
    #[arg(long)]
    balanced: bool,
    /// Multi-label: tune each label's decision threshold by K-fold cross-validation.
    #[arg(long, value_name = "K", num_args = 0..=1, default_missing_value = "5")]
    tune_thresholds: Option<usize>,
    /// Multi-label: the decision threshold for every label (when not tuned).
    #[arg(long, value_name = "P", default_value_t = 0.5)]
    threshold: f64,
    /// Keep stop words.
    #[arg(long)]
    no_stop_words: bool,
    /// Do not stem words.
    #[arg(long)]
    no_stemming: bool,
    /// Use raw term counts instead of 1 + ln(count).
    #[arg(long)]
    linear_tf: bool,
    /// Most optimizer iterations.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    max_iter: u64,
    /// Memory budget for the dense matrix of --solver linfa, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 512)]
    max_dense_mb: u64,
    /// Multi-label: labels scored by a document's strongest sentence (learnt
    /// from document labels), for labels that rest on one explicit sentence.
    #[arg(long, value_name = "LABEL,...", value_delimiter = ',')]
    sentence_labels: Vec<String>,
    /// Words the label heads must not use (one per line; `#` starts a
    /// comment): words every document of the domain contains, such as
    /// "seminar" or 研修 for program descriptions. The relevance gate still
    /// uses them. Each is analysed in every language, so "officials" also
    /// drops the stem "offici".
    #[arg(long, value_name = "FILE", value_parser = read_word_list)]
    label_stop_words: Option<WordList>,
    /// With --background: documents less relevant than this get no label.
    #[arg(long, value_name = "P", default_value_t = 0.5)]
    relevance_threshold: f64,
    /// Drop numbers (years, counts) from the terms.
    #[arg(long)]
    no_numbers: bool,
    /// Keep traditional Chinese characters apart from simplified ones.
    #[arg(long)]
    no_fold_chinese: bool,
}

impl ModelOptions {
    /// Classifier settings with the given C.
    pub(crate) fn params(&self, c: f64) -> ClassifierParams {
        let mut p = ClassifierParams::default();
        p.analyzer.language = self.lang;
        p.analyzer.ngrams = self.ngrams;
        p.analyzer.stop_words = !self.no_stop_words;
        p.analyzer.stemming = !self.no_stemming;
        p.analyzer.numbers = !self.no_numbers;
        p.analyzer.fold_chinese = !self.no_fold_chinese;
        p.sentence_labels = self.sentence_labels.clone();
        p.label_stop_words = self
            .label_stop_words
            .clone()
            .map(|w| w.0)
            .unwrap_or_default();
        p.relevance_threshold = self.relevance_threshold;
        p.tfidf.min_df = self.min_df;
        p.tfidf.max_df = self.max_df;
        p.tfidf.max_features = self.max_features;
        p.tfidf.sublinear_tf = !self.linear_tf;
        p.c = c;
        p.multi_label = self.multi_label;
        p.class_weight = if self.balanced {
            ClassWeight::Balanced
        } else {
            ClassWeight::Uniform
        };
        p.solver = self.solver;
        p.max_iter = self.max_iter;
        p.thresholds = match self.tune_thresholds {
            Some(folds) => ThresholdMode::Tuned { folds },
            None => ThresholdMode::Fixed(self.threshold),
        };
        p.seed = self.seed;
        p.max_dense_bytes = self.max_dense_mb.saturating_mul(1024 * 1024);
        p
    }
}

/// Largest word list file read: far more than any list of words.
const WORD_LIST_MAX_BYTES: u64 = 4 << 20;

/// The words of a word list file.
#[derive(Debug, Clone)]
pub struct WordList(Vec<String>);

/// A word list file: one word or phrase per line, blank lines and `#`
/// comments ignored.
fn read_word_list(path: &str) -> Result<WordList, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let mut bytes = Vec::new();
    file.take(WORD_LIST_MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {path}: {e}"))?;
    if bytes.len() as u64 > WORD_LIST_MAX_BYTES {
        return Err(format!(
            "{path} is over {} MiB: a word list holds words, one per line",
            WORD_LIST_MAX_BYTES >> 20
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "{path}: not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    let words: Vec<String> = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    if words.is_empty() {
        return Err(format!("{path}: no words in the file (one per line)"));
    }
    Ok(WordList(words))
}

/// The labelled data and the background documents of `train`, `cv` and
/// `eval`; each reader warning goes to `warn` as soon as its source is read.
pub(crate) fn read_training_data(
    data: &[PathBuf],
    background: &[PathBuf],
    options: ReadOptions,
    warn: &dyn Fn(&str),
) -> anyhow::Result<(LabelledData, LabelledData)> {
    let data = read_labelled_paths(data, options)?;
    data.warnings.iter().for_each(|w| warn(w));
    let background = read_background_paths(background, options)?;
    background.warnings.iter().for_each(|w| warn(w));
    Ok((data, background))
}

pub fn run(args: TrainArgs) -> anyhow::Result<i32> {
    let start = Instant::now();
    let c = match args.options.c.as_slice() {
        [c] => *c,
        _ => anyhow::bail!(
            "train takes a single --c value; compare several with `docclass cv --c 1,10,100`"
        ),
    };
    let params = args.options.params(c);
    params.check()?;
    super::refuse_output_over_inputs(&args.out, args.data.iter().chain(&args.background))?;
    let options = args.input.read_options();
    let stage = progress::stages();
    stage.set_message("reading documents");
    let (data, background) =
        read_training_data(&args.data, &args.background, options, &|w: &str| {
            stage.suspend(|| note!("docclass: warning: {w}"))
        })?;
    let report = |s: &str| stage.set_message(s.to_string());
    let model =
        Classifier::fit_with_background(params, &data.documents, &background.documents, &report)
            .context("training failed")?;
    stage.set_message("writing model");
    save_model(&model, &args.out)?;
    stage.finish_and_clear();

    let summary = model.summary();
    for w in &summary.warnings {
        note!("docclass: warning: {w}");
    }
    let per_label: Vec<String> = summary
        .documents_per_label
        .iter()
        .map(|(l, n)| format!("{l}={n}"))
        .collect();
    note!(
        "trained {} model on {} documents ({}), {} terms, {} in {:.1}s -> {}",
        if model.is_multi_label() {
            "multi-label"
        } else {
            "single-label"
        },
        summary.documents,
        if summary.background_documents > 0 {
            format!(
                "{}; {} background",
                per_label.join(", "),
                summary.background_documents
            )
        } else {
            per_label.join(", ")
        },
        model.vectorizer().n_features(),
        match summary.convergence.iterations {
            Some(i) => format!("{i} iterations"),
            None => "linfa solver".to_string(),
        },
        start.elapsed().as_secs_f64(),
        args.out.display()
    );
    if model.is_multi_label() {
        let t: Vec<String> = model
            .labels()
            .iter()
            .zip(model.thresholds())
            .map(|(l, t)| format!("{l}={t:.2}"))
            .collect();
        note!("thresholds: {}", t.join(", "));
    }
    Ok(EXIT_OK)
}
