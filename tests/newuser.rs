//! What a new user trips over (issue "What a new user trips over"): input
//! sniffing and forcing, thresholds at run time, summaries and quiet runs,
//! explanations whose arithmetic can be checked, confusion counts, the
//! smaller output fixes. Each test fails on the behaviour it replaced.

use assert_cmd::Command;
use serde_json::Value;
use std::fs;
use std::path::Path;

fn docclass() -> Command {
    Command::cargo_bin("docclass").expect("binary builds")
}

fn records(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn stdout_of(cmd: &mut Command) -> Vec<u8> {
    cmd.assert().success().get_output().stdout.clone()
}

const PORT: &str = "Seminar on port management and logistics for officials of developing \
                    countries: container terminals, customs clearance and free trade zones.";
const PARTY: &str = "Seminar for senior officials of friendly political parties on party \
                     building, the governance experience of the Communist Party of China \
                     and cadre training.";

fn jsonl(texts: &[(&str, &str)]) -> String {
    texts
        .iter()
        .map(|(id, t)| format!("{}\n", serde_json::json!({"id": id, "text": t})))
        .collect()
}

#[test]
fn stdin_and_forced_input_formats() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // Plain text on stdin is one document, not "line 1: invalid JSON".
    let out = stdout_of(docclass().args(["classify", "-"]).write_stdin(PORT));
    let got = records(&out);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["id"], "<stdin>");
    assert!(got[0]["error"].is_null(), "{}", got[0]);
    // explain reads it the same way.
    let out = stdout_of(
        docclass()
            .args(["explain", "--json", "-"])
            .write_stdin(PORT),
    );
    assert_eq!(records(&out).len(), 1);
    // --input-format forces the layout whatever the name says.
    fs::write(d.join("records.txt"), jsonl(&[("a", PORT), ("b", PARTY)])).expect("write");
    let out = stdout_of(
        docclass()
            .args(["classify", "--input-format", "jsonl"])
            .arg(d.join("records.txt")),
    );
    let ids: Vec<Value> = records(&out).iter().map(|r| r["id"].clone()).collect();
    assert_eq!(ids, ["a", "b"]);
    fs::write(d.join("one.jsonl"), jsonl(&[("a", PORT), ("b", PARTY)])).expect("write");
    let out = stdout_of(
        docclass()
            .args(["classify", "--input-format", "text"])
            .arg(d.join("one.jsonl")),
    );
    assert_eq!(records(&out).len(), 1);
    let out = stdout_of(
        docclass()
            .args(["classify", "--input-format", "csv", "-"])
            .write_stdin(format!("id,text\nx,\"{PORT}\"\n")),
    );
    assert_eq!(records(&out)[0]["id"], "x");
}

#[test]
fn record_files_inside_folders_give_their_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    fs::write(d.join("a.jsonl"), jsonl(&[("j1", PORT), ("j2", PARTY)])).expect("write");
    fs::write(d.join("b.csv"), format!("id,text\nc1,\"{PORT}\"\n")).expect("write");
    fs::write(d.join("c.txt"), PARTY).expect("write");
    let out = stdout_of(docclass().arg("classify").arg(d));
    let ids: Vec<String> = records(&out)
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(ids[..3], ["j1", "j2", "c1"]);
    assert!(ids[3].ends_with("c.txt"), "{ids:?}");
}

/// Short texts without a stop word are stemmed in the model's dominant
/// Latin-script language, not as whatever a trigram model guesses.
#[test]
fn short_texts_get_the_models_language() {
    for text in ["Communist party", "Police cooperation", "party"] {
        let out = stdout_of(
            docclass()
                .args(["explain", "--json", "-"])
                .write_stdin(text),
        );
        assert_eq!(records(&out)[0]["language"], "en", "{text}");
        let out = stdout_of(docclass().args(["tokenize", "-"]).write_stdin(text));
        let terms = String::from_utf8_lossy(&out);
        assert!(
            terms.contains("parti") || terms.contains("polic"),
            "{text}: {terms}"
        );
    }
}

/// The numbers `explain` shows add up, for every label; words are shown as
/// written.
#[test]
fn explanations_add_up_and_show_the_documents_words() {
    for top in ["3", "100000"] {
        let out = stdout_of(
            docclass()
                .args(["explain", "--json", "--top", top, "-"])
                .write_stdin(PARTY),
        );
        let x = &records(&out)[0];
        let labels = x["scores"].as_object().expect("scores");
        assert_eq!(labels.len(), 3);
        for label in labels.keys() {
            let listed = x["contributions"][label].as_array().expect("terms");
            let shown: f64 = listed
                .iter()
                .map(|c| c["weight"].as_f64().expect("weight"))
                .sum();
            let sums = &x["sums"][label];
            let linear = sums["linear_score"].as_f64().expect("linear");
            let total = sums["intercept"].as_f64().expect("intercept")
                + shown
                + sums["other_terms"].as_f64().expect("other");
            // Every number is rounded to 6 decimals.
            let tolerance = 1e-6 * (listed.len() + 3) as f64;
            assert!(
                (total - linear).abs() <= tolerance,
                "{label}: {total} vs {linear}"
            );
            if top == "100000" {
                assert_eq!(sums["other_terms"].as_f64(), Some(0.0), "{label}");
            }
            // For a multi-label model the score is relevance x sigmoid.
            let score = x["scores"][label].as_f64().expect("score");
            let relevance = x["relevance"].as_f64().unwrap_or(1.0);
            let expected = relevance / (1.0 + (-linear).exp());
            assert!(
                (score - expected).abs() < 1e-4,
                "{label}: {score} vs {expected}"
            );
        }
        // The relevance gate decomposes the same way, and its log-odds is
        // the relevance the record reports.
        let gate = &x["relevance_terms"];
        let listed = gate["contributions"].as_array().expect("gate terms");
        let shown: f64 = listed
            .iter()
            .map(|c| c["weight"].as_f64().expect("weight"))
            .sum();
        let linear = gate["linear_score"].as_f64().expect("linear");
        let total = gate["intercept"].as_f64().expect("intercept")
            + shown
            + gate["other_terms"].as_f64().expect("other");
        assert!((total - linear).abs() <= 1e-6 * (listed.len() + 3) as f64);
        let relevance = x["relevance"].as_f64().expect("relevance");
        assert!((relevance - 1.0 / (1.0 + (-linear).exp())).abs() < 1e-4);
        let words: Vec<String> = x["contributions"]["governance"]
            .as_array()
            .expect("terms")
            .iter()
            .flat_map(|c| c["words"].as_array().cloned().unwrap_or_default())
            .map(|w| w.as_str().expect("word").to_string())
            .collect();
        assert!(
            words.iter().any(|w| w == "Party" || w == "parties"),
            "{words:?}"
        );
    }
    let out = stdout_of(docclass().args(["explain", "-"]).write_stdin(PARTY));
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("sum:  intercept"), "{text}");
    assert!(text.contains("Party"), "{text}");
    assert!(text.contains("gate threshold"), "{text}");
}

#[test]
fn multi_label_eval_counts_each_labels_errors() {
    let out = stdout_of(docclass().args([
        "eval",
        "--json",
        "--data",
        "tests/fixtures/genres-heldout.jsonl",
    ]));
    let report: Value = serde_json::from_slice(&out).expect("JSON");
    let n = report["n"].as_u64().expect("n");
    for (label, m) in report["per_label"].as_object().expect("per label") {
        let c = |k: &str| m[k].as_u64().unwrap_or_else(|| panic!("{label}: no {k}"));
        assert_eq!(c("tp") + c("fp") + c("fn") + c("tn"), n, "{label}");
        assert_eq!(c("tp") + c("fn"), c("support"));
    }
    let out = stdout_of(docclass().args(["eval", "--data", "tests/fixtures/genres-heldout.jsonl"]));
    assert!(String::from_utf8_lossy(&out).contains("tp       fp       fn       tn"));
}

#[test]
fn a_single_label_model_on_multi_label_data_is_warned_about() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mut single = String::new();
    for (i, l) in fs::read_to_string("training/programs.jsonl")
        .expect("corpus")
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["labels"].as_array().is_some_and(|a| a.len() == 1))
        .take(120)
        .enumerate()
    {
        single.push_str(&format!(
            "{}\n",
            serde_json::json!({"id": i, "text": l["text"], "labels": l["labels"]})
        ));
    }
    fs::write(d.join("single.jsonl"), single).expect("write");
    docclass()
        .args(["train", "--data"])
        .arg(d.join("single.jsonl"))
        .arg("-o")
        .arg(d.join("single.model"))
        .assert()
        .success();
    let out = docclass()
        .args(["eval", "--model"])
        .arg(d.join("single.model"))
        .args(["--data", "tests/fixtures/genres-heldout.jsonl"])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(
        stderr.contains("have several labels, but this model gives one label"),
        "{stderr}"
    );
}

#[test]
fn thresholds_can_be_changed_for_one_run() {
    let texts = jsonl(&[("port", PORT), ("party", PARTY)]);
    let run = |extra: &[&str]| {
        let out = stdout_of(
            docclass()
                .arg("classify")
                .args(extra)
                .arg("-")
                .write_stdin(texts.clone()),
        );
        records(&out)
    };
    let default = run(&[]);
    assert!(default[0]["labels"]
        .as_array()
        .expect("labels")
        .contains(&"trade".into()));
    let strict = run(&["--threshold", "trade=0.999999"]);
    assert!(!strict[0]["labels"]
        .as_array()
        .expect("labels")
        .contains(&"trade".into()));
    let ungated = run(&["--threshold", "relevance=0.99999,governance=0.99999"]);
    assert!(ungated
        .iter()
        .all(|r| r["labels"].as_array().expect("labels").is_empty()));
    // Scores do not move; only the decisions do.
    assert_eq!(default[0]["scores"], strict[0]["scores"]);
    for bad in ["nolabel=0.5", "trade=2", "trade", "trade=x"] {
        let out = docclass()
            .args(["classify", "--threshold", bad, "-"])
            .write_stdin(PORT)
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr);
        assert!(stderr.contains("--threshold"), "{bad}: {stderr}");
    }
}

#[test]
fn classify_summarises_on_stderr_unless_quiet() {
    let texts = format!(
        "{}{{\"id\":\"e\",\"text\":\"  \"}}\nnot json\n",
        jsonl(&[("port", PORT), ("party", PARTY)])
    );
    let out = docclass()
        .args(["classify", "-"])
        .write_stdin(texts.clone())
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(
        stderr.contains("4 documents: governance 1,") && stderr.contains("1 empty, 1 failed"),
        "{stderr}"
    );
    let out = docclass()
        .args(["-q", "classify", "-"])
        .write_stdin(texts)
        .assert()
        .code(1);
    assert!(out.get_output().stderr.is_empty());
}

#[test]
fn thread_count_does_not_change_results() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.jsonl");
    fs::copy("tests/fixtures/genres-heldout.jsonl", &input).expect("copy");
    let one = stdout_of(docclass().args(["--threads", "1", "classify"]).arg(&input));
    let all = stdout_of(docclass().arg("classify").arg(&input));
    assert_eq!(one, all);
    docclass()
        .args(["--threads", "0", "inspect"])
        .assert()
        .code(2);
}

#[test]
fn completions_stats_json_and_out_everywhere() {
    for shell in ["bash", "zsh", "fish"] {
        let out = stdout_of(docclass().args(["completions", shell]));
        let script = String::from_utf8_lossy(&out);
        assert!(
            script.contains("docclass") && script.contains("classify"),
            "{shell}"
        );
    }
    let out = stdout_of(docclass().args([
        "stats",
        "--json",
        "--data",
        "tests/fixtures/genres-heldout.jsonl",
    ]));
    let stats: Value = serde_json::from_slice(&out).expect("JSON");
    assert_eq!(stats["documents"], 80);
    let per_language: u64 = stats["by_language"]
        .as_object()
        .expect("languages")
        .values()
        .map(|v| v["documents"].as_u64().expect("n"))
        .sum();
    assert_eq!(per_language, 80);

    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let out = stdout_of(
        docclass()
            .args(["explain", "-", "-o"])
            .arg(d.join("why.txt"))
            .write_stdin(PORT),
    );
    assert!(out.is_empty());
    assert!(fs::read_to_string(d.join("why.txt"))
        .expect("written")
        .contains("trade"));
    docclass()
        .args([
            "eval",
            "--data",
            "tests/fixtures/genres-heldout.jsonl",
            "--json",
            "-o",
        ])
        .arg(d.join("eval.json"))
        .assert()
        .success();
    let report: Value =
        serde_json::from_str(&fs::read_to_string(d.join("eval.json")).expect("written"))
            .expect("JSON");
    assert!(report["macro_f1"].is_number());
    // `-o -` is standard output.
    let out = stdout_of(
        docclass()
            .args(["classify", "-o", "-", "-"])
            .write_stdin(PORT),
    );
    assert_eq!(records(&out).len(), 1);
    assert!(!Path::new("-").exists());
}

#[test]
fn suggest_writes_a_file_ready_for_an_annotator() {
    let input = "tests/fixtures/genres-heldout.jsonl";
    let out = stdout_of(docclass().args(["suggest", "-n", "3", input]));
    for s in records(&out) {
        assert!(s.get("labels").is_none(), "a guess named labels: {s}");
        assert!(s["predicted"].is_array());
        assert!(s["text"].as_str().is_some_and(|t| !t.is_empty()));
    }
    let out = stdout_of(docclass().args(["suggest", "-n", "3", "--no-text", input]));
    assert!(records(&out).iter().all(|s| s.get("text").is_none()));
}

#[test]
fn smaller_output_fixes() {
    // CSV `empty` is true or false, so pandas reads booleans.
    let out = stdout_of(
        docclass()
            .args(["classify", "--format", "csv", "-"])
            .write_stdin(format!(
                "{}{{\"id\":\"e\",\"text\":\"\"}}\n",
                jsonl(&[("p", PORT)])
            )),
    );
    let csv = String::from_utf8_lossy(&out);
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0].ends_with(",empty,error"));
    assert!(rows[1].ends_with(",false,"), "{}", rows[1]);
    assert!(rows[2].ends_with(",true,"), "{}", rows[2]);
    // inspect speaks words, not Rust.
    let out = stdout_of(docclass().arg("inspect"));
    let card = String::from_utf8_lossy(&out);
    assert!(
        !card.contains("Tuned {") && !card.contains("Uniform"),
        "{card}"
    );
    assert!(card.contains("tuned per label"), "{card}");
}

#[test]
fn training_warnings_and_advice_say_what_to_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mut lines = String::new();
    for (i, text) in fs::read_to_string("tests/fixtures/genres-heldout.jsonl")
        .expect("data")
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .take(40)
        .enumerate()
    {
        let label = if i % 2 == 0 { "Trade" } else { "trade" };
        let other = if i % 3 == 0 { "governance" } else { "x" };
        lines.push_str(&format!(
            "{}\n",
            serde_json::json!({"text": text["text"], "labels": [label, other]})
        ));
    }
    fs::write(d.join("case.jsonl"), lines).expect("write");
    let out = docclass()
        .args(["train", "--data"])
        .arg(d.join("case.jsonl"))
        .arg("-o")
        .arg(d.join("m.bin"))
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(
        stderr.contains("'Trade' and 'trade' differ only in case"),
        "{stderr}"
    );

    // With every term allowed, "lower --min-df" is no advice.
    let mut empty = String::new();
    for i in 0..6 {
        let label = if i % 2 == 0 { "a" } else { "b" };
        empty.push_str(&format!(
            "{}\n",
            serde_json::json!({"text": "the of and", "labels": [label]})
        ));
    }
    fs::write(d.join("stop.jsonl"), empty).expect("write");
    let out = docclass()
        .args(["train", "--min-df", "1", "--max-df", "1.0", "--data"])
        .arg(d.join("stop.jsonl"))
        .arg("-o")
        .arg(d.join("m2.bin"))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(!stderr.contains("lower --min-df"), "{stderr}");
    assert!(stderr.contains("no terms at all"), "{stderr}");
}

/// The records the README shows for its first command are the ones the
/// embedded model prints, digit for digit (retraining the default model
/// means updating them).
#[test]
fn readme_example_records_are_what_classify_prints() {
    let readme = fs::read_to_string("README.md").expect("README.md");
    let shown: Vec<&str> = readme
        .lines()
        .filter(|l| l.starts_with("{\"id\":\"examples/"))
        .collect();
    assert!(!shown.is_empty(), "no example records in README.md");
    let out = stdout_of(docclass().args(["classify", "examples/"]));
    let printed = String::from_utf8_lossy(&out);
    for line in shown {
        assert!(
            printed.lines().any(|p| p == line),
            "README shows {line}\nbut classify examples/ prints:\n{printed}"
        );
    }
}
