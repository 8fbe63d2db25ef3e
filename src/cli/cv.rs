use super::train::{read_training_data, DataOptions, ModelOptions};
use super::{progress, EXIT_OK};
use crate::eval::{cross_validate_with_background, CvReport};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct CvArgs {
    /// Labelled data, in any layout `train` reads. Repeat to combine.
    #[arg(long, required = true, value_name = "PATH", num_args = 1..)]
    data: Vec<PathBuf>,
    /// Background (out-of-domain) documents, as for `train --background`:
    /// each fold's model gets a relevance gate, and the report adds how many
    /// held-out background documents got a label.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    background: Vec<PathBuf>,
    /// Number of folds.
    #[arg(long, value_name = "K", default_value_t = 5)]
    folds: usize,
    /// One JSON object on stdout instead of tables.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    options: ModelOptions,
    #[command(flatten)]
    input: DataOptions,
}

pub fn run(args: CvArgs) -> anyhow::Result<i32> {
    // Written through a handle, not print!: a full disk or a closed pipe
    // is an error to report (or a quiet end), not a panic.
    let mut out = std::io::stdout().lock();
    let (data, background) = read_training_data(
        &args.data,
        &args.background,
        args.input.read_options(),
        &|w: &str| note!("docclass: warning: {w}"),
    )?;
    let pb = progress::bar(args.options.c.len() as u64, "cross-validating");
    let mut reports: Vec<CvReport> = Vec::new();
    for &c in &args.options.c {
        let params = args.options.params(c);
        params.check()?;
        reports.push(cross_validate_with_background(
            &params,
            &data.documents,
            &background.documents,
            args.folds,
            args.options.seed,
        )?);
        pb.inc(1);
    }
    pb.finish_and_clear();
    let best = reports
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.macro_f1.mean.total_cmp(&b.1.macro_f1.mean))
        .map_or(0, |(i, _)| i);
    if args.json {
        let json = serde_json::json!({
            "folds": args.folds,
            "seed": args.options.seed,
            "documents": data.documents.len(),
            "results": reports,
            "best_c": reports.get(best).map(|r| r.c),
        });
        writeln!(out, "{json}")?;
        return Ok(EXIT_OK);
    }
    let labels: Vec<&String> = reports
        .first()
        .map(|r| r.per_label_f1.keys().collect())
        .unwrap_or_default();
    writeln!(
        out,
        "{}-fold cross-validation on {} documents (seed {}), mean ± std over folds",
        args.folds,
        data.documents.len(),
        args.options.seed
    )?;
    write!(
        out,
        "{:>10}  {:>15}  {:>15}  {:>15}",
        "C", "accuracy", "micro F1", "macro F1"
    )?;
    for l in &labels {
        write!(out, "  {:>15}", format!("F1 {l}"))?;
    }
    writeln!(out)?;
    for (i, r) in reports.iter().enumerate() {
        let cell = |s: crate::eval::Stat| format!("{:.4} ± {:.4}", s.mean, s.std);
        write!(
            out,
            "{:>10}  {:>15}  {:>15}  {:>15}",
            r.c,
            cell(r.accuracy),
            cell(r.micro_f1),
            cell(r.macro_f1)
        )?;
        for l in &labels {
            write!(
                out,
                "  {:>15}",
                r.per_label_f1.get(*l).map(|s| cell(*s)).unwrap_or_default()
            )?;
        }
        if let Some(b) = r.background_labelled {
            write!(out, "  background labelled {:.4} ± {:.4}", b.mean, b.std)?;
        }
        if reports.len() > 1 && i == best {
            write!(out, "  <- best macro F1")?;
        }
        writeln!(out)?;
    }
    Ok(EXIT_OK)
}
