//! The command-line contract, through the real binary: output fields, one
//! record per input document, exit codes, atomic output, clear errors.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::fs;
use std::path::Path;

fn docclass() -> Command {
    Command::cargo_bin("docclass").expect("binary builds")
}

fn jsonl(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

#[test]
fn classify_examples_with_the_embedded_model() {
    let out = docclass()
        .args(["classify", "examples/"])
        .assert()
        .success();
    let records = jsonl(&out.get_output().stdout);
    assert_eq!(
        records.len(),
        fs::read_dir("examples").expect("examples").count()
    );
    for r in &records {
        assert!(r["id"].as_str().expect("id").starts_with("examples/"));
        let scores = r["scores"].as_object().expect("scores object");
        assert_eq!(
            scores.keys().collect::<Vec<_>>(),
            ["governance", "intelligence", "trade"]
        );
        assert!(scores
            .values()
            .all(|v| (0.0..=1.0).contains(&v.as_f64().expect("number"))));
        assert!(r["labels"].is_array());
    }
    let by_id = |suffix: &str| {
        records
            .iter()
            .find(|r| r["id"].as_str().is_some_and(|id| id.ends_with(suffix)))
            .expect("record present")
    };
    assert_eq!(
        by_id("seminar-cyberspace-management.txt")["labels"],
        serde_json::json!(["governance", "intelligence"])
    );
    assert_eq!(
        by_id("port-logistics-course.txt")["labels"],
        serde_json::json!(["trade"])
    );
}

#[test]
fn every_input_document_gets_exactly_one_record_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let jsonl_path = dir.path().join("mixed.jsonl");
    fs::write(
        &jsonl_path,
        concat!(
            "{\"id\": \"good\", \"text\": \"Seminar on port management and customs clearance\"}\n",
            "\n",
            "{broken json\n",
            "{\"id\": \"no-text\", \"title\": \"x\"}\n",
            "{\"id\": \"number\", \"text\": 42}\n",
            "{\"id\": \"empty\", \"text\": \"   \"}\n",
            "{\"text\": \"media management and guidance of public opinion\"}\n",
        ),
    )
    .expect("write");
    let folder = dir.path().join("folder");
    fs::create_dir(&folder).expect("mkdir");
    fs::write(
        folder.join("a.txt"),
        "Training on BeiDou navigation for surveyors",
    )
    .expect("write");
    fs::write(folder.join("b.png"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").expect("write");
    fs::write(
        folder.join("c-latin1.txt"),
        b"S\xe9minaire sur la gestion portuaire \xe0 Dakar pour les fonctionnaires",
    )
    .expect("write");
    fs::write(
        folder.join("d-gbk.txt"),
        encoding_rs::GBK
            .encode("关于举办发展中国家港口管理研修班的通知，请各单位认真组织报名。")
            .0,
    )
    .expect("write");
    fs::write(folder.join("e-empty.txt"), "").expect("write");

    let out = docclass()
        .arg("classify")
        .arg(&jsonl_path)
        .arg(&folder)
        .assert()
        .code(1);
    let records = jsonl(&out.get_output().stdout);
    let ids: Vec<&str> = records
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    let name = jsonl_path.display().to_string();
    assert_eq!(ids.len(), 11, "{ids:?}");
    assert_eq!(ids[0], "good");
    assert_eq!(ids[1], format!("{name}:3"));
    assert_eq!(ids[2], "no-text");
    assert_eq!(ids[3], "number");
    assert_eq!(ids[4], "empty");
    assert_eq!(ids[5], format!("{name}:7"));
    assert!(ids[6].ends_with("a.txt") && ids[10].ends_with("e-empty.txt"));

    assert!(records[0]["scores"].is_object());
    assert!(records[1]["error"]
        .as_str()
        .expect("error")
        .contains("line 3"));
    assert!(records[2]["error"]
        .as_str()
        .expect("error")
        .contains("missing \"text\""));
    assert!(records[3]["error"]
        .as_str()
        .expect("error")
        .contains("must be a string"));
    assert_eq!(records[4]["empty"], Value::Bool(true));
    assert_eq!(records[4]["labels"], serde_json::json!([]));
    assert!(records[7]["error"]
        .as_str()
        .expect("error")
        .contains("not a text document"));
    assert!(
        records[8]["labels"].is_array(),
        "Latin-1 file is decoded and classified"
    );
    assert_eq!(
        records[9]["labels"],
        serde_json::json!(["trade"]),
        "GBK file is decoded"
    );
    assert_eq!(records[10]["empty"], Value::Bool(true));
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(
        stderr.contains("4 of 11 documents could not be classified"),
        "{stderr}"
    );
}

#[test]
fn stdin_and_csv_input_and_csv_output() {
    let out = docclass()
        .args(["classify", "-", "--format", "csv"])
        .write_stdin("{\"id\": \"a\", \"text\": \"Course on e-commerce logistics and customs\"}\n{\"id\": \"b\", \"text\": \"\"}\n")
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("id,labels,governance,intelligence,trade,relevance,empty,error")
    );
    let row: Vec<&str> = lines.next().expect("row a").split(',').collect();
    assert_eq!(row[0], "a");
    assert_eq!(row[1], "trade");
    assert!(row[4].parse::<f64>().expect("score") > 0.4);
    assert!(row[5].parse::<f64>().expect("relevance") > 0.5);
    assert_eq!(lines.next(), Some("b,,,,,,true,"));

    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("docs.csv");
    fs::write(
        &csv,
        "id,text\nx,\"Workshop on media convergence,\nand public opinion guidance\"\ny,customs\n",
    )
    .expect("write");
    let out = docclass().arg("classify").arg(&csv).assert().success();
    let records = jsonl(&out.get_output().stdout);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["id"], "x");

    let bad = dir.path().join("bad.csv");
    fs::write(&bad, "body\nhello\n").expect("write");
    let out = docclass().arg("classify").arg(&bad).assert().code(1);
    let records = jsonl(&out.get_output().stdout);
    assert!(records[0]["error"]
        .as_str()
        .expect("error")
        .contains("no \"text\" column"));
}

#[test]
fn missing_inputs_and_models_stop_before_any_work() {
    docclass()
        .args(["classify", "examples/", "no/such/file.txt"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("no/such/file.txt"));
    docclass()
        .args(["classify", "--model", "no-such.model", "examples/"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such.model"));
    let dir = tempfile::tempdir().expect("tempdir");
    let bogus = dir.path().join("bogus.model");
    fs::write(&bogus, "not a model").expect("write");
    docclass()
        .arg("classify")
        .arg("--model")
        .arg(&bogus)
        .arg("examples/")
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("bogus.model")
                .and(predicate::str::contains("not a docclass model")),
        );
}

#[test]
fn out_is_written_atomically() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("labels.jsonl");
    docclass()
        .args(["classify", "examples/", "--out"])
        .arg(&out)
        .assert()
        .success();
    let written = fs::read_to_string(&out).expect("output");
    assert_eq!(written.lines().count(), 4);
    // A destination in a missing folder: error, nothing created.
    let missing = dir.path().join("nope").join("labels.jsonl");
    docclass()
        .args(["classify", "examples/", "--out"])
        .arg(&missing)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nope"));
    assert!(!missing.exists());
    // A full disk: error, the old file untouched would need a real full
    // file system; /dev/full shows the write error is reported.
    if Path::new("/dev/full").exists() {
        docclass()
            .args([
                "train",
                "--data",
                "training/programs.jsonl",
                "--out",
                "/dev/full",
            ])
            .assert()
            .code(2);
    }
    assert_eq!(
        fs::read_dir(dir.path()).expect("ls").count(),
        1,
        "no temporary files left"
    );
}

fn write_small_corpus(dir: &Path) -> std::path::PathBuf {
    let lines: Vec<String> = fs::read_to_string("training/programs.jsonl")
        .expect("corpus")
        .lines()
        .step_by(4)
        .map(String::from)
        .collect();
    let path = dir.join("small.jsonl");
    fs::write(&path, lines.join("\n")).expect("write");
    path
}

#[test]
fn train_then_eval_reports_the_contract_fields() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = write_small_corpus(dir.path());
    let model = dir.path().join("small.model");
    docclass()
        .args(["train", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&model)
        .assert()
        .success()
        .stderr(predicate::str::contains("multi-label"));
    let out = docclass()
        .args(["eval", "--json", "--model"])
        .arg(&model)
        .args(["--data", "tests/fixtures/programs-heldout.jsonl"])
        .assert()
        .success();
    let report: Value = serde_json::from_slice(&out.get_output().stdout).expect("one JSON object");
    assert_eq!(report["n"], 219);
    for key in ["accuracy", "micro_f1", "macro_f1"] {
        let v = report[key].as_f64().expect("number");
        assert!((0.0..=1.0).contains(&v), "{key}");
    }
    for label in ["governance", "intelligence", "trade"] {
        let m = &report["per_label"][label];
        for key in ["precision", "recall", "f1"] {
            assert!(m[key].is_f64(), "{label}.{key}");
        }
        assert!(m["support"].as_u64().expect("support") > 0);
    }
    // The readable table names every label.
    docclass()
        .args(["eval", "--model"])
        .arg(&model)
        .args(["--data", "tests/fixtures/programs-heldout.jsonl"])
        .assert()
        .success()
        .stdout(predicate::str::contains("macro F1").and(predicate::str::contains("intelligence")));
}

#[test]
fn single_label_folders_give_a_confusion_matrix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("data");
    let texts = [
        ("ports", "container terminal berth crane port logistics"),
        ("ports", "port authority dredging harbour shipping"),
        ("ports", "shipping lines port tariffs harbour pilots"),
        ("media", "newspaper editors broadcasting media regulation"),
        ("media", "television media convergence newsroom"),
        ("media", "online media platforms editors journalism"),
    ];
    for (i, (label, text)) in texts.iter().enumerate() {
        let d = root.join(label);
        fs::create_dir_all(&d).expect("mkdir");
        fs::write(d.join(format!("{i}.txt")), text).expect("write");
    }
    let model = dir.path().join("m.bin");
    docclass()
        .args(["train", "--min-df", "1", "--max-df", "1.0", "--data"])
        .arg(&root)
        .arg("--out")
        .arg(&model)
        .assert()
        .success()
        .stderr(predicate::str::contains("single-label"));
    let out = docclass()
        .args(["eval", "--json", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(&root)
        .assert()
        .success();
    let report: Value = serde_json::from_slice(&out.get_output().stdout).expect("JSON");
    assert_eq!(report["accuracy"], 1.0);
    assert_eq!(
        report["confusion_matrix"],
        serde_json::json!([[3, 0], [0, 3]])
    );
}

#[test]
fn training_data_problems_are_reported_with_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.bin");
    let bad = dir.path().join("bad.jsonl");
    fs::write(
        &bad,
        "{\"text\": \"a\", \"labels\": [\"x\"]}\n{\"text\": 1, \"labels\": [\"x\"]}\n",
    )
    .expect("write");
    docclass()
        .args(["train", "--data"])
        .arg(&bad)
        .arg("--out")
        .arg(&model)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.jsonl:2"));
    let one = dir.path().join("one-label.jsonl");
    fs::write(&one, "{\"text\": \"port\", \"labels\": [\"trade\"]}\n{\"text\": \"customs\", \"labels\": [\"trade\"]}\n").expect("write");
    docclass()
        .args(["train", "--data"])
        .arg(&one)
        .arg("--out")
        .arg(&model)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("at least two labels"));
    let empty = dir.path().join("empty.jsonl");
    fs::write(&empty, "\n\n").expect("write");
    docclass()
        .args(["train", "--data"])
        .arg(&empty)
        .arg("--out")
        .arg(&model)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no documents"));
    assert!(!model.exists());
}

#[test]
fn eval_reports_labels_the_model_does_not_know() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("d.jsonl");
    fs::write(
        &data,
        "{\"text\": \"port logistics course\", \"labels\": [\"trade\", \"culture\"]}\n{\"text\": \"media law seminar\", \"labels\": [\"governance\"]}\n",
    )
    .expect("write");
    let out = docclass()
        .args(["eval", "--json", "--data"])
        .arg(&data)
        .assert()
        .success();
    let report: Value = serde_json::from_slice(&out.get_output().stdout).expect("JSON");
    assert_eq!(report["unknown_labels"]["culture"], 1);
    assert_eq!(report["per_label"]["culture"]["recall"], 0.0);
}

#[test]
fn tokenize_shows_terms_and_language() {
    docclass()
        .args(["tokenize", "-"])
        .write_stdin("港口管理研修班 for port officials")
        .assert()
        .success()
        .stdout(predicate::str::contains("港口 口管 管理"))
        .stdout(predicate::str::contains("offici"))
        .stderr(predicate::str::contains("language: zh"));
    let out = docclass()
        .args(["tokenize", "--json", "--lang", "ru", "-"])
        .write_stdin("Семинар по управлению портами")
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).expect("JSON");
    assert_eq!(v["language"], "ru");
    assert_eq!(v["tokens"][0]["text"], "семинар");
}

#[test]
fn cv_compares_c_values_deterministically() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = write_small_corpus(dir.path());
    let run = || {
        let out = docclass()
            .args([
                "cv", "--json", "--folds", "3", "--c", "1,30", "--seed", "5", "--data",
            ])
            .arg(&data)
            .assert()
            .success();
        let v: Value = serde_json::from_slice(&out.get_output().stdout).expect("JSON");
        v
    };
    let first = run();
    assert_eq!(first, run());
    let results = first["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    for r in results {
        assert!(r["macro_f1"]["mean"].as_f64().expect("mean") > 0.5);
        assert!(r["macro_f1"]["std"].as_f64().expect("std") >= 0.0);
        assert!(r["per_label_f1"]["intelligence"]["mean"].is_f64());
    }
    assert!(first["best_c"].is_f64());
}

#[test]
fn cv_with_background_reports_background_labelled() {
    let out = docclass()
        .args([
            "cv",
            "--data",
            "tests/fixtures/genres-heldout.jsonl",
            "--background",
            "tests/fixtures/background-heldout.jsonl",
            "--multi-label",
            "--folds",
            "2",
            "--json",
        ])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).expect("JSON");
    let rate = v["results"][0]["background_labelled"]["mean"]
        .as_f64()
        .expect("background rate");
    assert!((0.0..=1.0).contains(&rate), "{rate}");
}
