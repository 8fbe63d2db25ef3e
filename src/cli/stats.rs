use super::train::DataOptions;
use super::EXIT_OK;
use crate::corpus::read_labelled_paths;
use crate::text::AnalyzerParams;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct StatsArgs {
    /// Labelled data, in any layout `train` reads. Repeat to combine.
    #[arg(long, required = true, value_name = "PATH", num_args = 1..)]
    data: Vec<PathBuf>,
    #[command(flatten)]
    input: DataOptions,
    /// One JSON object instead of Markdown tables: {"documents",
    /// "labels", "by_language": {LANG: {"documents", "labels": {LABEL: n},
    /// "no_label", "several_labels"}}, "by_label_set": {"a + b": n}}.
    #[arg(long)]
    json: bool,
}

/// Counts of labelled documents by language (as docclass detects it) and
/// label, and by label combination, as Markdown tables.
pub fn run(args: StatsArgs) -> anyhow::Result<i32> {
    // Written through a handle, not print!: a full disk or a closed pipe
    // is an error to report (or a quiet end), not a panic.
    let mut out = std::io::stdout().lock();
    let data = read_labelled_paths(&args.data, args.input.read_options())?;
    for w in &data.warnings {
        note!("docclass: warning: {w}");
    }
    let analyzer = AnalyzerParams::default().check()?;
    let languages: Vec<String> = data
        .documents
        .par_iter()
        .map(|d| analyzer.detect_language(&d.text).code().to_string())
        .collect();
    let mut labels: Vec<String> = data
        .documents
        .iter()
        .flat_map(|d| d.labels.iter().cloned())
        .collect();
    labels.sort();
    labels.dedup();

    let mut by_language: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let columns = labels.len() + 3;
    for (doc, lang) in data.documents.iter().zip(&languages) {
        let row = by_language.entry(lang).or_insert_with(|| vec![0; columns]);
        row[0] += 1;
        for (i, l) in labels.iter().enumerate() {
            if doc.labels.contains(l) {
                row[1 + i] += 1;
            }
        }
        match doc.labels.len() {
            0 => row[labels.len() + 1] += 1,
            1 => {}
            _ => row[labels.len() + 2] += 1,
        }
    }
    let mut combos: BTreeMap<String, usize> = BTreeMap::new();
    for doc in &data.documents {
        let mut set = doc.labels.clone();
        set.sort();
        let key = if set.is_empty() {
            "(no label)".to_string()
        } else {
            set.join(" + ")
        };
        *combos.entry(key).or_insert(0) += 1;
    }
    if args.json {
        let languages: serde_json::Map<String, serde_json::Value> = by_language
            .iter()
            .map(|(lang, row)| {
                let per_label: serde_json::Map<String, serde_json::Value> = labels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| (l.clone(), row[1 + i].into()))
                    .collect();
                let value = serde_json::json!({
                    "documents": row[0],
                    "labels": per_label,
                    "no_label": row[labels.len() + 1],
                    "several_labels": row[labels.len() + 2],
                });
                (lang.to_string(), value)
            })
            .collect();
        let json = serde_json::json!({
            "documents": data.documents.len(),
            "labels": labels,
            "by_language": languages,
            "by_label_set": combos,
        });
        writeln!(out, "{json}")?;
        out.flush()?;
        return Ok(EXIT_OK);
    }
    let mut header = vec!["language".to_string(), "documents".to_string()];
    header.extend(labels.iter().cloned());
    header.push("no label".into());
    header.push("several labels".into());
    writeln!(out, "| {} |", header.join(" | "))?;
    writeln!(out, "|{}", "---|".repeat(header.len()))?;
    let mut total = vec![0; columns];
    for (lang, row) in &by_language {
        for (t, v) in total.iter_mut().zip(row) {
            *t += v;
        }
        let cells: Vec<String> = row.iter().map(usize::to_string).collect();
        writeln!(out, "| {lang} | {} |", cells.join(" | "))?;
    }
    let cells: Vec<String> = total.iter().map(usize::to_string).collect();
    writeln!(out, "| **all** | {} |", cells.join(" | "))?;

    writeln!(out)?;
    writeln!(out, "| labels | documents |")?;
    writeln!(out, "|---|---|")?;
    for (combo, n) in &combos {
        writeln!(out, "| {combo} | {n} |")?;
    }
    Ok(EXIT_OK)
}
