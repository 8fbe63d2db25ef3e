//! Reuters-21578 (multi-label English) and Fudan (single-label Chinese) with
//! the settings the README recommends for such data. Heavy (a minute or two
//! each), so ignored by default:
//!
//!     cargo test --release --test benchmarks -- --ignored
//!
//! Reads `$DOCCLASS_REUTERS` and `$DOCCLASS_FUDAN` (default: the folders in
//! ../shared/datasets/); asked to run without the data, a test fails saying
//! where to get it. The bars are the levels measured when the settings were
//! chosen (README "Benchmarks"), not the goals, which are named in
//! each test.

use docclass::corpus::{read_labelled, ReadOptions};
use docclass::eval::{evaluate, label_indices, Report};
use docclass::model::{ClassWeight, Classifier, ClassifierParams, ThresholdMode};
use std::path::PathBuf;

fn dataset(variable: &str, folder: &str) -> PathBuf {
    let root = std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/datasets").join(folder));
    assert!(
        root.join("train.jsonl").is_file() && root.join("test.jsonl").is_file(),
        "no {folder} data at {}: set {variable} to a folder holding train.jsonl and test.jsonl \
         (JSON Lines of {{\"id\", \"text\", \"labels\"}}; README \"Benchmarks\" says where the \
         sets come from)",
        root.display()
    );
    root
}

fn run(root: &std::path::Path, params: ClassifierParams) -> Report {
    let train = read_labelled(&root.join("train.jsonl"), ReadOptions::default()).expect("train");
    let test = read_labelled(&root.join("test.jsonl"), ReadOptions::default()).expect("test");
    let model = Classifier::fit(params, &train.documents).expect("training");
    let mut names = model.labels().to_vec();
    let truth: Vec<Vec<usize>> = test
        .documents
        .iter()
        .map(|d| label_indices(&mut names, &d.labels))
        .collect();
    let texts: Vec<&str> = test.documents.iter().map(|d| d.text.as_str()).collect();
    let predicted: Vec<Vec<usize>> = model
        .predict(&texts)
        .into_iter()
        .map(|p| p.labels)
        .collect();
    evaluate(&names, &truth, &predicted, !model.is_multi_label())
}

/// Issue goals: micro F1 >= 0.89 (not reached: 0.884), macro F1 >= 0.60.
#[test]
#[ignore = "needs Reuters-21578; run with --ignored"]
fn reuters_tuned_balanced_one_vs_rest() {
    let root = dataset("DOCCLASS_REUTERS", "reuters21578-modapte");
    let params = ClassifierParams {
        multi_label: true,
        class_weight: ClassWeight::Balanced,
        thresholds: ThresholdMode::Tuned { folds: 5 },
        ..ClassifierParams::default()
    };
    let report = run(&root, params);
    eprintln!(
        "Reuters: micro F1 {:.4}, macro F1 {:.4}, subset accuracy {:.4}",
        report.micro_f1, report.macro_f1, report.accuracy
    );
    assert!(report.micro_f1 >= 0.88, "micro F1 {:.4}", report.micro_f1);
    assert!(report.macro_f1 >= 0.60, "macro F1 {:.4}", report.macro_f1);
}

/// Issue goals: accuracy >= 0.93 (not reached: 0.919), macro F1 >= 0.75.
#[test]
#[ignore = "needs the Fudan corpus; run with --ignored"]
fn fudan_balanced_multinomial() {
    let root = dataset("DOCCLASS_FUDAN", "fudan-tc20");
    let params = ClassifierParams {
        c: 100.0,
        class_weight: ClassWeight::Balanced,
        ..ClassifierParams::default()
    };
    let report = run(&root, params);
    eprintln!(
        "Fudan: accuracy {:.4}, macro F1 {:.4}",
        report.accuracy, report.macro_f1
    );
    assert!(report.accuracy >= 0.915, "accuracy {:.4}", report.accuracy);
    assert!(report.macro_f1 >= 0.78, "macro F1 {:.4}", report.macro_f1);
}
