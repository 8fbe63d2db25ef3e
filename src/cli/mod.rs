//! The `docclass` command line: argument parsing and output formatting over
//! the library. Exit codes: 0 all good, 1 finished but some documents
//! failed, 2 nothing done (bad arguments, unreadable input or model).

mod batch;
mod classify;
mod cv;
mod eval;
mod explain;
mod extract;
mod inspect;
mod output;
mod progress;
mod report;
mod stats;
mod suggest;
mod tokenize;
mod train;

use crate::model::{default_model, load_model, Classifier};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};

pub const EXIT_OK: i32 = 0;
pub const EXIT_SOME_FAILED: i32 = 1;
pub const EXIT_FAILED: i32 = 2;

#[derive(Parser)]
#[command(
    name = "docclass",
    version,
    about = "Learn to classify documents from labelled examples; ships trained to label \
             foreign-official training programs as governance, trade and/or intelligence.",
    after_help = "Exit status: 0 all good, 1 finished but some documents failed, 2 nothing done."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model from labelled documents.
    Train(train::TrainArgs),
    /// Label documents: one JSON object (or CSV row) per document, in input order.
    Classify(classify::ClassifyArgs),
    /// Measure a model on labelled documents.
    Eval(eval::EvalArgs),
    /// Cross-validate model settings on labelled documents.
    Cv(cv::CvArgs),
    /// Show why documents got their scores: term contributions and evidence.
    Explain(explain::ExplainArgs),
    /// Show a model card: labels, settings, training data, metrics, top terms.
    Inspect(inspect::InspectArgs),
    /// Rank unlabelled documents by how much labelling them would teach the model.
    Suggest(suggest::SuggestArgs),
    /// Count labelled documents by language and label (Markdown tables).
    Stats(stats::StatsArgs),
    /// Show the terms the model sees in a document.
    Tokenize(tokenize::TokenizeArgs),
    /// Show the text docclass reads from documents (PDF, Word, HTML, text).
    Extract(extract::ExtractArgs),
}

/// Parses arguments, runs the command, prints errors, returns the exit code.
pub fn run() -> i32 {
    let cli = Cli::parse();
    // Reader crashes on malformed files are reported as those files'
    // errors; the panic hook's own message would be noise.
    crate::corpus::extract::silence_worker_panics();
    let result = match cli.command {
        Command::Train(args) => train::run(args),
        Command::Classify(args) => classify::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Cv(args) => cv::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Suggest(args) => suggest::run(args),
        Command::Stats(args) => stats::run(args),
        Command::Tokenize(args) => tokenize::run(args),
        Command::Extract(args) => extract::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return EXIT_OK;
            }
            eprintln!("docclass: error: {e:#}");
            EXIT_FAILED
        }
    }
}

/// A reader of our output went away (`docclass classify ... | head`):
/// not an error worth reporting.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || cause.downcast_ref::<crate::Error>().is_some_and(|de| {
                matches!(de, crate::Error::Io { cause, .. } if cause.kind() == std::io::ErrorKind::BrokenPipe)
            })
    })
}

/// The model named by `--model`, or the embedded default model.
pub(crate) fn open_model(path: Option<&Path>) -> anyhow::Result<Classifier> {
    Ok(match path {
        Some(p) => load_model(p)?,
        None => default_model()?,
    })
}

/// Common `--model` argument.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct ModelArg {
    /// Model file from `docclass train`; the embedded default model if absent.
    #[arg(long, short = 'm', value_name = "MODEL")]
    pub model: Option<PathBuf>,
}

impl ModelArg {
    /// How to name the model in reports and messages.
    pub fn name(&self) -> String {
        self.model.as_ref().map_or_else(
            || crate::model::DEFAULT_MODEL_NAME.to_string(),
            |p| p.display().to_string(),
        )
    }
}
