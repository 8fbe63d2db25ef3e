//! The `docclass` command line: argument parsing and output formatting over
//! the library. Exit codes: 0 all good, 1 finished but some documents
//! failed, 2 nothing done (bad arguments, unreadable input or model), 128 +
//! the signal number when interrupted (130 for Ctrl-C).

/// `eprintln!` for notes, warnings and summaries: silent under `--quiet`
/// (errors are always printed).
macro_rules! note {
    ($($arg:tt)*) => {
        if !$crate::cli::progress::quiet() {
            eprintln!($($arg)*);
        }
    };
}

mod batch;
mod classify;
mod cv;
pub(crate) mod eval;
mod explain;
mod extract;
mod inspect;
pub(crate) mod output;
mod parquet_out;
pub(crate) mod progress;
pub(crate) mod report;
#[cfg(feature = "serve")]
mod serve;
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
/// Exit status after Ctrl-C (SIGINT), as a shell reports a process killed
/// by it; SIGTERM and SIGHUP give 143 and 129 the same way.
pub const EXIT_INTERRUPTED: i32 = 128 + signal_hook::consts::SIGINT;

#[derive(Parser)]
#[command(
    name = "docclass",
    version,
    about = "Learn to classify documents from labelled examples; ships trained to label \
             foreign-official training programs as governance, trade and/or intelligence.",
    after_help = "Exit status: 0 all good, 1 finished but some documents failed, 2 nothing done, \
                  130 interrupted (Ctrl-C)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// No progress, warnings or summaries on stderr; errors only.
    #[arg(long, short = 'q', global = true)]
    quiet: bool,
    /// Worker threads for reading, analysing and classifying (default: one
    /// per core; the output is the same for any number).
    #[arg(long, global = true, value_name = "N")]
    threads: Option<usize>,
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
    /// Start the local web app and HTTP API: classify folders in the browser,
    /// read why, correct labels, retrain, export.
    #[cfg(feature = "serve")]
    Serve(serve::ServeArgs),
    /// Print a shell completion script: `docclass completions bash > ~/.local/share/bash-completion/completions/docclass`.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Parses arguments, runs the command, prints errors, returns the exit code.
pub fn run() -> i32 {
    let mut args = std::env::args_os();
    if args
        .nth(1)
        .is_some_and(|a| a == crate::corpus::extract::worker::WORKER_ARG)
    {
        return crate::corpus::extract::worker::serve(&args.collect::<Vec<_>>());
    }
    // Untrusted PDF and Office files are read in child processes of this
    // same binary, where their memory and time can be bounded.
    if let Ok(command) = crate::corpus::extract::worker::WorkerCommand::current_exe() {
        crate::corpus::extract::worker::use_worker_process(command);
    }
    let cli = Cli::parse();
    progress::set_quiet(cli.quiet);
    if let Some(threads) = cli.threads {
        if threads == 0 {
            eprintln!("docclass: error: --threads must be at least 1");
            return EXIT_FAILED;
        }
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
        {
            eprintln!("docclass: error: cannot start {threads} threads: {e}");
            return EXIT_FAILED;
        }
    }
    if let Err(message) = extraction_timeout_from_env() {
        eprintln!("docclass: error: {message}");
        return EXIT_FAILED;
    }
    handle_interruptions();
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
        #[cfg(feature = "serve")]
        Command::Serve(args) => serve::run(args),
        Command::Completions { shell } => completions(shell),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return EXIT_OK;
            }
            eprintln!("docclass: error: {}", error_message(&e));
            if is_full_output(&e) {
                eprintln!(
                    "docclass: the output could not be written: free some space or write elsewhere"
                );
            }
            EXIT_FAILED
        }
    }
}

/// Writes the completion script for `shell` on stdout.
fn completions(shell: clap_complete::Shell) -> anyhow::Result<i32> {
    use clap::CommandFactory;
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "docclass", &mut script);
    let mut out = std::io::stdout().lock();
    std::io::Write::write_all(&mut out, &script)?;
    std::io::Write::flush(&mut out)?;
    Ok(EXIT_OK)
}

/// Environment variable with the seconds one document's extraction may take.
pub const EXTRACT_TIMEOUT_VARIABLE: &str = "DOCCLASS_EXTRACT_TIMEOUT";

/// Applies `DOCCLASS_EXTRACT_TIMEOUT` (seconds, fractions allowed) if set.
fn extraction_timeout_from_env() -> Result<(), String> {
    let Some(value) = std::env::var_os(EXTRACT_TIMEOUT_VARIABLE) else {
        return Ok(());
    };
    let seconds = value
        .to_str()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e9)
        .ok_or_else(|| {
            format!(
                "{EXTRACT_TIMEOUT_VARIABLE}={}: expected a number of seconds above 0",
                value.to_string_lossy()
            )
        })?;
    crate::corpus::extract::set_time_limit(std::time::Duration::from_secs_f64(seconds));
    Ok(())
}

/// On Ctrl-C (and SIGTERM, SIGHUP): remove the temporary files of `--out`
/// and of model writes, say so, and exit with 128 + the signal. Without
/// this the default action kills the process at once and leaves
/// `.NAME.tmp-PID` files beside the destination. The destination itself is
/// never touched: it keeps its old content, or stays absent.
fn handle_interruptions() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    // Registered on the thread that serves them, so that if either step
    // fails the default action stays in place (only the cleanup is lost);
    // the command starts once they are registered.
    let (ready, wait_ready) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("docclass-signals".into())
        .spawn(move || {
            let signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]);
            let _ = ready.send(());
            let Ok(mut signals) = signals else {
                return;
            };
            if let Some(signal) = signals.forever().next() {
                // Held until the process is gone: no commit can slip in.
                let _abandoned = crate::io::abandon_pending_writes();
                eprintln!("\ndocclass: interrupted");
                std::process::exit(128 + signal);
            }
        });
    if spawned.is_ok() {
        let _ = wait_ready.recv();
    }
}

/// The error and its causes, each said once: our I/O errors already quote
/// their source in their own message, and anyhow's `{:#}` would repeat it.
fn error_message(e: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if message.contains(&text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&text);
    }
    message
}

/// The disk (or `/dev/full`) took no more output.
fn is_full_output(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|io| {
            matches!(
                io.kind(),
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::WriteZero
            )
        })
    })
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

/// Refuses to write `out` when it is one of the inputs (the same file,
/// however spelled or linked): the atomic rename would replace the input
/// with the output, and the input would be lost.
pub(crate) fn refuse_output_over_inputs<'a>(
    out: &Path,
    inputs: impl IntoIterator<Item = &'a PathBuf>,
) -> anyhow::Result<()> {
    for input in inputs {
        if input.as_os_str() != "-" && crate::io::same_file(out, input) {
            anyhow::bail!(
                "{}: the output is also an input ({}): writing it would destroy that input; \
                 choose another output path",
                out.display(),
                input.display()
            );
        }
    }
    Ok(())
}

/// The model named by `--model`, or the embedded default model.
pub(crate) fn open_model(path: Option<&Path>) -> anyhow::Result<Classifier> {
    Ok(match path {
        Some(p) => load_model(p)?,
        None => default_model()?,
    })
}

/// Column names for Parquet and Arrow inputs.
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct ColumnArgs {
    /// Parquet/Arrow inputs: the column holding the text [default: text].
    #[arg(long, value_name = "NAME")]
    pub text_column: Option<String>,
    /// Parquet/Arrow inputs: the column holding document ids [default: id,
    /// if there is one].
    #[arg(long, value_name = "NAME")]
    pub id_column: Option<String>,
    /// Parquet/Arrow labelled data: the labels column, list<string> or a
    /// string of labels separated by ';' [default: labels or label].
    #[arg(long, value_name = "NAME")]
    pub labels_column: Option<String>,
}

impl ColumnArgs {
    /// The names, for the rest of the process (see `ColumnNames`).
    pub fn names(&self) -> crate::corpus::columnar::ColumnNames {
        let leak = |s: &Option<String>| s.clone().map(|s| &*s.leak());
        crate::corpus::columnar::ColumnNames {
            text: leak(&self.text_column).unwrap_or("text"),
            id: leak(&self.id_column),
            labels: leak(&self.labels_column),
        }
    }
}

/// Common `--model` argument.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct ModelArg {
    /// Model file from `docclass train`; the embedded default model if absent.
    #[arg(long, short = 'm', value_name = "MODEL")]
    pub model: Option<PathBuf>,
    /// Override a decision threshold for this run: LABEL=P (multi-label
    /// models) or relevance=P (models with a relevance gate). Repeat it or
    /// separate with commas: --threshold trade=0.6,intelligence=0.3.
    #[arg(long, value_name = "LABEL=P", value_delimiter = ',')]
    pub threshold: Vec<String>,
}

impl ModelArg {
    /// The model, with the `--threshold` overrides applied.
    pub fn open(&self) -> anyhow::Result<Classifier> {
        let mut model = open_model(self.model.as_deref())?;
        for spec in &self.threshold {
            let (label, value) = spec.rsplit_once('=').ok_or_else(|| {
                anyhow::anyhow!("--threshold {spec}: expected LABEL=P, e.g. trade=0.6")
            })?;
            let p: f64 = value.trim().parse().map_err(|_| {
                anyhow::anyhow!("--threshold {spec}: '{value}' is not a number between 0 and 1")
            })?;
            model
                .set_threshold(label.trim(), p)
                .map_err(|e| anyhow::anyhow!("--threshold {spec}: {e}"))?;
        }
        Ok(model)
    }

    /// How to name the model in reports and messages.
    pub fn name(&self) -> String {
        self.model.as_ref().map_or_else(
            || crate::model::DEFAULT_MODEL_NAME.to_string(),
            |p| p.display().to_string(),
        )
    }
}
