//! The shipped default model: reproducible from its data and code, and
//! accurate on held-out documents written separately from the training
//! corpus.

use assert_cmd::Command;
use docclass::eval::evaluate;
use docclass::model::{default_model, Classifier};

#[path = "common/default_corpus.rs"]
mod default_corpus;

fn documented_command() -> String {
    let mut parts = vec!["docclass".to_string()];
    parts.extend(default_corpus::train_args().iter().map(|s| s.to_string()));
    parts.push("--out".into());
    parts.push("models/programs.model.bin".into());
    parts.join(" ")
}

#[test]
fn shipped_model_is_exactly_what_the_documented_command_trains() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("retrained.model.bin");
    Command::cargo_bin("docclass")
        .expect("binary")
        .args(default_corpus::train_args())
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let retrained = std::fs::read(&out).expect("retrained model");
    let shipped = std::fs::read("models/programs.model.bin").expect("shipped model");
    assert!(
        retrained == shipped,
        "models/programs.model.bin differs from a fresh `{}`: retrain and commit it",
        documented_command()
    );
    // And the binary embeds the shipped file.
    assert_eq!(docclass::model::DEFAULT_MODEL_BYTES, shipped.as_slice());
}

#[test]
fn docs_show_the_command_the_test_runs() {
    let command = documented_command();
    for doc in ["README.md", "models/README.md"] {
        let text = std::fs::read_to_string(doc).expect("doc exists");
        assert!(text.contains(&command), "{doc} must show `{command}`");
    }
}

/// The model card's numbers are the shipped model's.
#[test]
fn model_readme_states_the_vocabulary_size() {
    let model = docclass::model::default_model().expect("default model");
    let n = model.vectorizer().vocabulary().len();
    let digits = n.to_string();
    let grouped: String = digits
        .chars()
        .enumerate()
        .flat_map(|(i, c)| {
            let comma = i > 0 && (digits.len() - i).is_multiple_of(3);
            comma.then_some(',').into_iter().chain(std::iter::once(c))
        })
        .collect();
    let card = std::fs::read_to_string("models/README.md").expect("model card");
    assert!(
        card.contains(&format!("({grouped} terms)")),
        "models/README.md must state the vocabulary: {grouped} terms"
    );
}

struct Heldout {
    text: String,
    labels: Vec<String>,
    lang: String,
}

fn heldout() -> Vec<Heldout> {
    std::fs::read_to_string("tests/fixtures/programs-heldout.jsonl")
        .expect("held-out fixtures")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("JSON");
            Heldout {
                text: v["text"].as_str().expect("text").into(),
                labels: v["labels"]
                    .as_array()
                    .expect("labels")
                    .iter()
                    .map(|x| x.as_str().expect("label").into())
                    .collect(),
                lang: v["lang"].as_str().expect("lang").into(),
            }
        })
        .collect()
}

fn report(model: &Classifier, docs: &[&Heldout]) -> docclass::eval::Report {
    let truth: Vec<Vec<usize>> = docs
        .iter()
        .map(|d| {
            d.labels
                .iter()
                .map(|l| {
                    model
                        .labels()
                        .iter()
                        .position(|x| x == l)
                        .expect("known label")
                })
                .collect()
        })
        .collect();
    let predicted: Vec<Vec<usize>> = docs
        .iter()
        .map(|d| model.predict_text(&d.text).labels)
        .collect();
    evaluate(model.labels(), &truth, &predicted, false)
}

#[test]
fn default_model_is_accurate_on_heldout_documents() {
    let model = default_model().expect("embedded model loads");
    assert_eq!(model.labels(), ["governance", "intelligence", "trade"]);
    let docs = heldout();
    assert!(docs.len() >= 200);
    let all: Vec<&Heldout> = docs.iter().collect();
    let r = report(&model, &all);
    assert!(r.macro_f1 >= 0.90, "macro F1 {:.4} < 0.90", r.macro_f1);
    for (label, m) in &r.per_label {
        assert!(m.f1 >= 0.85, "{label} F1 {:.4} < 0.85", m.f1);
    }
    let chinese: Vec<&Heldout> = docs.iter().filter(|d| d.lang == "zh").collect();
    assert!(chinese.len() >= 50);
    let zh = report(&model, &chinese);
    assert!(
        zh.macro_f1 >= 0.85,
        "Chinese macro F1 {:.4} < 0.85",
        zh.macro_f1
    );
}

#[test]
fn training_readme_counts_are_the_stats_command_output() {
    let out = Command::cargo_bin("docclass")
        .expect("binary")
        .args(["stats", "--data", "training/programs.jsonl"])
        .assert()
        .success();
    let table = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let readme = std::fs::read_to_string("training/README.md").expect("training README");
    assert!(
        readme.contains(table.trim()),
        "training/README.md counts are stale: paste the output of `docclass stats --data training/programs.jsonl`"
    );
}
