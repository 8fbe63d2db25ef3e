//! explain, inspect and suggest: their output is checked, not just run.

use assert_cmd::Command;
use docclass::corpus::{read_labelled, LabelledDocument, ReadOptions};
use docclass::eval::{evaluate, folds::SplitMix64};
use docclass::model::{default_model, Classifier, ClassifierParams};
use serde_json::Value;

#[path = "common/default_corpus.rs"]
mod default_corpus;

fn docclass() -> Command {
    Command::cargo_bin("docclass").expect("binary")
}

#[test]
fn contributions_add_up_to_the_score() {
    let model = default_model().expect("model");
    let text =
        std::fs::read_to_string("examples/seminar-cyberspace-management.txt").expect("example");
    let x = model.explain(&text, usize::MAX);
    for l in &x.labels {
        let logit: f64 = l.intercept + l.up.iter().chain(&l.down).map(|c| c.weight).sum::<f64>();
        // With a relevance gate, a score is relevance x the label's own
        // probability, whose log-odds the contributions decompose.
        let score = x.relevance.unwrap_or(1.0) / (1.0 + (-logit).exp());
        assert!(
            (score - l.score).abs() < 1e-9,
            "{}: {score} vs {}",
            l.label,
            l.score
        );
        assert!(l.up.windows(2).all(|w| w[0].weight >= w[1].weight));
        assert!(l.down.windows(2).all(|w| w[0].weight <= w[1].weight));
    }
    let intelligence = x
        .labels
        .iter()
        .find(|l| l.label == "intelligence")
        .expect("label");
    assert!(intelligence.assigned);
    // The evidence for intelligence is the sentence that asks for the report.
    let evidence: Vec<&str> = x
        .evidence
        .iter()
        .filter(|e| e.label == "intelligence")
        .map(|e| e.sentence.as_str())
        .collect();
    assert!(evidence[0].contains("written report"), "{evidence:?}");
}

#[test]
fn explain_json_has_the_documented_fields() {
    let out = docclass()
        .args(["explain", "--json", "--top", "3", "examples/"])
        .assert()
        .success();
    let lines: Vec<Value> = String::from_utf8_lossy(&out.get_output().stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(lines.len(), 4);
    for v in &lines {
        assert!(v["id"].is_string());
        for label in ["governance", "intelligence", "trade"] {
            assert!(v["scores"][label].is_f64());
            let list = v["contributions"][label].as_array().expect("contributions");
            assert!(list.len() <= 6);
            assert!(list
                .iter()
                .all(|c| c["term"].is_string() && c["weight"].is_f64()));
        }
        assert!(v["evidence"].is_array());
    }
    let text = docclass()
        .args(["explain", "examples/port-logistics-course.txt"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&text.get_output().stdout).into_owned();
    assert!(text.contains("trade") && text.contains("ASSIGNED") && text.contains("evidence:"));
    assert!(
        !text.contains('\u{1b}'),
        "no colour codes when stdout is not a terminal"
    );
}

#[test]
fn inspect_shows_the_model_card() {
    let out = docclass().args(["inspect", "--json"]).assert().success();
    let card: Value = serde_json::from_slice(&out.get_output().stdout).expect("JSON");
    assert_eq!(
        card["labels"],
        serde_json::json!(["governance", "intelligence", "trade"])
    );
    let lines = |paths: &[&str]| -> usize {
        paths
            .iter()
            .map(|p| {
                std::fs::read_to_string(p)
                    .expect("training file")
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .count()
            })
            .sum()
    };
    assert_eq!(card["training"]["documents"], lines(default_corpus::DATA));
    assert_eq!(
        card["training"]["background_documents"],
        lines(default_corpus::BACKGROUND)
    );
    assert!(card["training"]["documents_per_language"]["zh"].as_u64() > Some(160));
    assert_eq!(card["sentence_labels"], serde_json::json!(["intelligence"]));
    assert!(card["relevance"]["positive"].is_array());
    assert_eq!(card["settings"]["c"], 30.0);
    let cv = &card["training"]["cross_validated_metrics"];
    assert!(cv["macro_f1"].as_f64().expect("stored metric") > 0.85);
    for label in ["governance", "intelligence", "trade"] {
        assert_eq!(
            card["top_terms"][label]["positive"]
                .as_array()
                .expect("terms")
                .len(),
            25
        );
        assert_eq!(
            card["top_terms"][label]["negative"]
                .as_array()
                .expect("terms")
                .len(),
            25
        );
    }
    docclass()
        .arg("inspect")
        .assert()
        .success()
        .stdout(predicates::str::contains("top terms for intelligence"))
        .stdout(predicates::str::contains("sha256"));
}

#[test]
fn suggest_ranks_by_uncertainty() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("pool.jsonl");
    let pool: Vec<String> = std::fs::read_to_string("tests/fixtures/programs-heldout.jsonl")
        .expect("fixtures")
        .lines()
        .take(60)
        .map(String::from)
        .collect();
    std::fs::write(&input, pool.join("\n")).expect("write");
    let out = docclass()
        .args(["suggest", "-n", "10"])
        .arg(&input)
        .assert()
        .success();
    let lines: Vec<Value> = String::from_utf8_lossy(&out.get_output().stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(lines.len(), 10);
    let u: Vec<f64> = lines
        .iter()
        .map(|l| l["uncertainty"].as_f64().expect("u"))
        .collect();
    assert!(u.windows(2).all(|w| w[0] >= w[1]), "sorted: {u:?}");
    assert!(lines
        .iter()
        .all(|l| l["id"].is_string() && l["scores"].is_object()));
}

fn macro_f1(model: &Classifier, test: &[LabelledDocument]) -> f64 {
    let truth: Vec<Vec<usize>> = test
        .iter()
        .map(|d| {
            d.labels
                .iter()
                .filter_map(|l| model.labels().iter().position(|x| x == l))
                .collect()
        })
        .collect();
    let predicted: Vec<Vec<usize>> = test
        .iter()
        .map(|d| model.predict_text(&d.text).labels)
        .collect();
    evaluate(model.labels(), &truth, &predicted, false).macro_f1
}

/// Starting from a small labelled seed, adding the 50 documents `suggest`
/// ranks first raises held-out macro F1 more than adding 50 random ones,
/// averaged over several seeds.
#[test]
fn uncertainty_sampling_beats_random_sampling() {
    let corpus = read_labelled(
        std::path::Path::new("training/programs.jsonl"),
        ReadOptions::default(),
    )
    .expect("corpus")
    .documents;
    let heldout = read_labelled(
        std::path::Path::new("tests/fixtures/programs-heldout.jsonl"),
        ReadOptions::default(),
    )
    .expect("fixtures")
    .documents;
    let params = ClassifierParams {
        multi_label: true,
        c: 30.0,
        ..ClassifierParams::default()
    };
    let (mut gain_suggested, mut gain_random) = (0.0, 0.0);
    let seeds = [1u64, 2, 3, 4, 5];
    for &seed in &seeds {
        let mut order: Vec<usize> = (0..corpus.len()).collect();
        SplitMix64::new(seed).shuffle(&mut order);
        let (seed_set, pool) = order.split_at(60);
        let train = |idx: &[usize]| {
            let docs: Vec<LabelledDocument> = idx.iter().map(|&i| corpus[i].clone()).collect();
            Classifier::fit(params.clone(), &docs).expect("fit")
        };
        let base = train(seed_set);
        let base_f1 = macro_f1(&base, &heldout);
        let mut ranked: Vec<(usize, f64)> = pool
            .iter()
            .map(|&i| {
                let s = base.score_text(&corpus[i].text).scores;
                (i, base.uncertainty(&s))
            })
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let suggested: Vec<usize> = seed_set
            .iter()
            .copied()
            .chain(ranked.iter().take(50).map(|r| r.0))
            .collect();
        let random: Vec<usize> = seed_set
            .iter()
            .chain(pool.iter().take(50))
            .copied()
            .collect();
        gain_suggested += macro_f1(&train(&suggested), &heldout) - base_f1;
        gain_random += macro_f1(&train(&random), &heldout) - base_f1;
    }
    let n = seeds.len() as f64;
    eprintln!(
        "mean gain: suggested {:.4}, random {:.4}",
        gain_suggested / n,
        gain_random / n
    );
    assert!(
        gain_suggested > gain_random,
        "suggested {:.4} <= random {:.4}",
        gain_suggested / n,
        gain_random / n
    );
}

#[test]
fn eval_html_report_is_self_contained() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.html");
    docclass()
        .args([
            "eval",
            "--data",
            "tests/fixtures/programs-heldout.jsonl",
            "--html",
        ])
        .arg(&report)
        .assert()
        .success();
    let html = std::fs::read_to_string(&report).expect("report written");
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    for needle in [
        "Per label",
        "Confusion counts per label",
        "Precision-recall curves",
        "Worst errors",
        "<svg",
        "intelligence",
        "<mark>",
        // The default model has a gate: each worst error shows its terms.
        "<b>relevance</b>",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
    assert_eq!(html.matches("<svg").count(), 3, "one PR curve per label");
    for external in ["src=\"http", "href=\"http", "<script", "<link"] {
        assert!(
            !html.contains(external),
            "external asset or script: {external}"
        );
    }
    // Single-label models get a confusion heatmap instead.
    let root = dir.path().join("data");
    for (label, text) in [
        ("a", "ports cranes ships"),
        ("a", "ports ships harbour"),
        ("b", "media law courts"),
        ("b", "courts media press"),
    ] {
        let d = root.join(label);
        std::fs::create_dir_all(&d).expect("mkdir");
        let n = std::fs::read_dir(&d).expect("ls").count();
        std::fs::write(d.join(format!("{n}.txt")), text).expect("write");
    }
    let model = dir.path().join("m.bin");
    docclass()
        .args(["train", "--min-df", "1", "--max-df", "1.0", "--data"])
        .arg(&root)
        .arg("--out")
        .arg(&model)
        .assert()
        .success();
    let single = dir.path().join("single.html");
    docclass()
        .args(["eval", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(&root)
        .arg("--html")
        .arg(&single)
        .assert()
        .success();
    let html = std::fs::read_to_string(&single).expect("report");
    assert!(html.contains("Confusion matrix") && html.contains("class=\"heat\""));
}
