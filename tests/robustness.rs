//! Bad input, faults and scale, through the real binary: every row of the
//! robustness table that `tests/cli.rs` does not already cover. Nothing is
//! lost (one record per input document, in order), nothing panics, and
//! every failure says which file (and line) and why, with the documented
//! exit status: 0 all good, 1 finished but some documents failed, 2 nothing
//! done, 130 interrupted.

mod common;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

fn docclass() -> Command {
    Command::cargo_bin("docclass").expect("binary builds")
}

fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("docclass")
}

fn jsonl(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

fn ids(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

fn error_of(record: &Value) -> &str {
    record["error"].as_str().unwrap_or("")
}

/// Texts of the training corpus, to build realistic inputs.
fn program_texts() -> Vec<String> {
    fs::read_to_string("training/programs.jsonl")
        .expect("corpus")
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("JSON");
            v["text"].as_str().expect("text").to_string()
        })
        .collect()
}

/// A small labelled JSON Lines corpus (every 4th training document).
fn small_corpus(dir: &Path) -> PathBuf {
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

// ---------------------------------------------------------------------
// Missing and unreadable paths
// ---------------------------------------------------------------------

/// Tests run as root, and root reads a file whatever its mode, so
/// `chmod 000` proves nothing. These fail for root too: a symbolic link
/// that points to itself (ELOOP: "Too many levels of symbolic links") and
/// a directory where a file is expected (EISDIR).
#[test]
fn missing_and_unreadable_paths_are_named_with_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let looped = dir.path().join("looped.jsonl");
    std::os::unix::fs::symlink(&looped, &looped).expect("symlink");
    let model_dir = dir.path().join("model-dir");
    fs::create_dir(&model_dir).expect("mkdir");
    let missing = dir.path().join("missing.jsonl");
    let out = dir.path().join("out.model");

    let cases: Vec<(Vec<&std::ffi::OsStr>, &Path, &str)> = vec![
        (
            vec!["classify".as_ref(), looped.as_os_str()],
            &looped,
            "symbolic links",
        ),
        (
            vec![
                "train".as_ref(),
                "--data".as_ref(),
                looped.as_os_str(),
                "--out".as_ref(),
                out.as_os_str(),
            ],
            &looped,
            "symbolic links",
        ),
        (
            vec![
                "train".as_ref(),
                "--data".as_ref(),
                missing.as_os_str(),
                "--out".as_ref(),
                out.as_os_str(),
            ],
            &missing,
            "No such file",
        ),
        (
            vec!["eval".as_ref(), "--data".as_ref(), missing.as_os_str()],
            &missing,
            "No such file",
        ),
        (
            vec!["eval".as_ref(), "--data".as_ref(), looped.as_os_str()],
            &looped,
            "symbolic links",
        ),
        (
            vec![
                "classify".as_ref(),
                "--model".as_ref(),
                model_dir.as_os_str(),
                "examples".as_ref(),
            ],
            &model_dir,
            "Is a directory",
        ),
        (
            vec![
                "eval".as_ref(),
                "--model".as_ref(),
                model_dir.as_os_str(),
                "--data".as_ref(),
                "tests/fixtures/programs-heldout.jsonl".as_ref(),
            ],
            &model_dir,
            "Is a directory",
        ),
        (
            vec!["tokenize".as_ref(), looped.as_os_str()],
            &looped,
            "symbolic links",
        ),
        (
            vec!["extract".as_ref(), missing.as_os_str()],
            &missing,
            "No such file",
        ),
    ];
    for (args, path, reason) in cases {
        let name = path.display().to_string();
        let assert = docclass().args(&args).assert().code(2).stdout("");
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(
            stderr.contains(&name) && stderr.contains(reason),
            "{args:?}: expected {name} and {reason:?} in: {stderr}"
        );
        // The reason is said once, not repeated by the error chain.
        assert_eq!(stderr.matches(reason).count(), 1, "{stderr}");
    }
    assert!(!out.exists());

    // Inside a folder, an unreadable entry is one error record and the
    // batch goes on.
    let folder = dir.path().join("folder");
    fs::create_dir(&folder).expect("mkdir");
    fs::write(folder.join("a.txt"), "Seminar on customs clearance").expect("write");
    let inner = folder.join("b-loop.txt");
    std::os::unix::fs::symlink(&inner, &inner).expect("symlink");
    fs::write(folder.join("c.txt"), "Course on port logistics").expect("write");
    let assert = docclass().arg("classify").arg(&folder).assert().code(1);
    let records = jsonl(&assert.get_output().stdout);
    assert_eq!(records.len(), 3);
    assert!(records[1]["id"]
        .as_str()
        .expect("id")
        .ends_with("b-loop.txt"));
    assert!(
        error_of(&records[1]).contains("cannot read"),
        "{}",
        records[1]
    );
    assert!(records[2]["scores"].is_object());
}

// ---------------------------------------------------------------------
// Empty documents, encodings, binary files
// ---------------------------------------------------------------------

#[test]
fn empty_and_whitespace_files_in_a_folder_are_marked_empty() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files: [(&str, &[u8]); 6] = [
        ("1-empty.txt", b""),
        ("2-spaces.txt", b"   \n\t  \r\n "),
        ("3-utf8-bom-only.txt", b"\xef\xbb\xbf"),
        ("4-utf16-spaces.txt", b"\xff\xfe \0\n\0\t\0"),
        (
            "5-nbsp-ideographic-space.txt",
            "\u{a0}\u{3000}\n".as_bytes(),
        ),
        (
            "6-html-blank.html",
            b"<html><body>\n  <p> </p></body></html>",
        ),
    ];
    for (name, bytes) in files {
        fs::write(dir.path().join(name), bytes).expect("write");
    }
    let assert = docclass()
        .arg("classify")
        .arg(dir.path())
        .assert()
        .success();
    let records = jsonl(&assert.get_output().stdout);
    assert_eq!(records.len(), files.len());
    for (record, (name, _)) in records.iter().zip(files) {
        assert!(record["id"].as_str().expect("id").ends_with(name));
        assert_eq!(record["empty"], Value::Bool(true), "{name}: {record}");
        assert_eq!(record["labels"], serde_json::json!([]), "{name}");
        assert!(record.get("scores").is_none() && record.get("error").is_none());
    }
    // The CSV output says so too.
    let assert = docclass()
        .args(["classify", "--format", "csv"])
        .arg(dir.path().join("2-spaces.txt"))
        .assert()
        .success();
    let text = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(
        text.lines().nth(1).expect("row").ends_with(",,,,true,"),
        "{text}"
    );
}

#[test]
fn legacy_encodings_and_invalid_utf8_are_decoded_and_classified() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("docs");
    fs::create_dir(&folder).expect("mkdir");
    let french = "Séminaire sur la gestion portuaire à Dakar : « douanes », coût 5 € par jour, \
                  logistique des conteneurs et dédouanement pour les fonctionnaires";
    let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(french);
    assert!(
        cp1252.contains(&0x80),
        "the euro sign is 0x80 in Windows-1252"
    );
    fs::write(folder.join("a-windows-1252.txt"), &cp1252).expect("write");
    let latin1 = b"Formation sur la logistique portuaire et la facilitation du commerce \xe0 \
                   Abidjan pour les agents des douanes, dur\xe9e trois semaines";
    fs::write(folder.join("b-latin1.txt"), latin1).expect("write");
    let chinese = "关于举办发展中国家港口管理研修班的通知，学员来自港口、海关和交通部门，课程包括集装箱码头运营。";
    fs::write(folder.join("c-gbk.txt"), encoding_rs::GBK.encode(chinese).0).expect("write");
    // UTF-8 damaged in two places: decoded as UTF-8 with replacement
    // characters, neither refused nor read as a legacy encoding.
    let mut broken = "Training course on customs clearance and port logistics "
        .as_bytes()
        .to_vec();
    broken.extend_from_slice(b"\xc3\x28 \xe2\x82 ");
    broken.extend_from_slice(
        "for officials of developing countries: 港口管理与贸易便利化研修班".as_bytes(),
    );
    fs::write(folder.join("d-invalid-utf8.txt"), &broken).expect("write");

    // The same texts as JSON Lines (raw legacy bytes inside the JSON
    // string) and CSV (a Latin-1 field).
    let jsonl_path = dir.path().join("legacy.jsonl");
    let mut lines = Vec::new();
    lines.extend_from_slice(b"{\"id\": \"j-1252\", \"text\": \"");
    lines.extend_from_slice(&cp1252);
    lines.extend_from_slice(b"\"}\n{\"id\": \"j-bad\", \"text\": \"");
    lines.extend_from_slice(&broken);
    lines.extend_from_slice(b"\"}\n");
    fs::write(&jsonl_path, &lines).expect("write");
    let csv_path = dir.path().join("legacy.csv");
    let mut csv = b"id,text\nc-latin1,\"".to_vec();
    csv.extend_from_slice(latin1);
    csv.extend_from_slice(b"\"\n");
    fs::write(&csv_path, &csv).expect("write");

    let assert = docclass()
        .arg("classify")
        .arg(&folder)
        .arg(&jsonl_path)
        .arg(&csv_path)
        .assert()
        .success();
    let records = jsonl(&assert.get_output().stdout);
    assert_eq!(records.len(), 7, "{records:?}");
    for r in &records {
        assert!(r.get("error").is_none(), "never refused: {r}");
        assert!(r["scores"].is_object(), "classified: {r}");
    }
    assert_eq!(records[2]["labels"], serde_json::json!(["trade"]), "GBK");
    assert_eq!(
        ids(&records)[4..],
        ["j-1252", "j-bad", "c-latin1"],
        "JSON Lines and CSV records in order"
    );

    // What the classifier read: the real characters.
    let assert = docclass()
        .args(["extract", "--json"])
        .arg(&folder)
        .assert()
        .success();
    let texts: Vec<String> = jsonl(&assert.get_output().stdout)
        .iter()
        .map(|r| r["text"].as_str().expect("text").to_string())
        .collect();
    assert_eq!(texts[0], french);
    assert!(texts[1].contains("à Abidjan") && texts[1].contains("durée"));
    assert_eq!(texts[2], chinese);
    assert!(texts[3].starts_with("Training course") && texts[3].ends_with("贸易便利化研修班"));
    assert_eq!(texts[3].matches('\u{fffd}').count(), 2, "{}", texts[3]);
}

#[test]
fn binary_files_in_a_folder_get_an_error_and_the_batch_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files: [(&str, &[u8]); 5] = [
        ("a.txt", b"Course on port logistics and customs"),
        ("b.bin", &[0u8, 1, 2, 3, 250, 251, 0, 0, 7, 8, 9, 0]),
        ("c.gz", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"),
        ("d.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"),
        ("e.txt", b"Seminar on media management for officials"),
    ];
    for (name, bytes) in files {
        fs::write(dir.path().join(name), bytes).expect("write");
    }
    let assert = docclass().arg("classify").arg(dir.path()).assert().code(1);
    let records = jsonl(&assert.get_output().stdout);
    assert_eq!(records.len(), 5);
    for record in &records[1..4] {
        assert!(error_of(record).contains("not a text document"), "{record}");
    }
    assert!(records[0]["scores"].is_object() && records[4]["scores"].is_object());
    assert!(String::from_utf8_lossy(&assert.get_output().stderr)
        .contains("3 of 5 documents could not be classified"));
}

// ---------------------------------------------------------------------
// Size limits
// ---------------------------------------------------------------------

#[test]
fn documents_over_max_doc_bytes_are_refused_clearly_and_the_rest_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let big_text = "Container terminal operations and customs clearance. ".repeat(4000);
    assert!(big_text.len() > 200_000);
    let folder = dir.path().join("folder");
    fs::create_dir(&folder).expect("mkdir");
    fs::write(folder.join("a-big.txt"), &big_text).expect("write");
    fs::write(folder.join("b-small.txt"), "Seminar on port logistics").expect("write");
    let jsonl_path = dir.path().join("big.jsonl");
    fs::write(
        &jsonl_path,
        format!(
            "{}\n{{\"id\": \"after\", \"text\": \"customs\"}}\n",
            serde_json::json!({"id": "huge", "text": big_text})
        ),
    )
    .expect("write");
    let csv_path = dir.path().join("big.csv");
    fs::write(
        &csv_path,
        format!(
            "id,text\nhuge-csv,\"{}\nsecond line\"\nafter-csv,customs\n",
            big_text
        ),
    )
    .expect("write");
    let assert = docclass()
        .args(["classify", "--max-doc-bytes", "4096"])
        .arg(&folder)
        .arg(&jsonl_path)
        .arg(&csv_path)
        .assert()
        .code(1);
    let records = jsonl(&assert.get_output().stdout);
    let jsonl_name = jsonl_path.display().to_string();
    let csv_name = csv_path.display().to_string();
    assert_eq!(
        ids(&records)[2..],
        [
            format!("{jsonl_name}:1"),
            "after".to_string(),
            format!("{csv_name}:2"),
            "after-csv".to_string()
        ]
    );
    for i in [0, 2, 4] {
        let e = error_of(&records[i]);
        assert!(
            e.contains("over the limit of 4096") && e.contains("--max-doc-bytes"),
            "{e}"
        );
    }
    assert!(error_of(&records[0]).contains(&format!("{} bytes", big_text.len())));
    for i in [1, 3, 5] {
        assert!(records[i]["scores"].is_object(), "{}", records[i]);
    }

    // Training data: stop at the record, naming file and line, or skip it.
    let train = dir.path().join("train.jsonl");
    let mut lines: Vec<String> = fs::read_to_string(small_corpus(dir.path()))
        .expect("read")
        .lines()
        .map(String::from)
        .collect();
    lines.insert(
        3,
        serde_json::json!({"text": big_text, "labels": ["trade"]}).to_string(),
    );
    fs::write(&train, lines.join("\n")).expect("write");
    let model = dir.path().join("m.model");
    docclass()
        .args(["train", "--max-doc-bytes", "20000", "--data"])
        .arg(&train)
        .arg("--out")
        .arg(&model)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("train.jsonl:4")
                .and(predicate::str::contains("over the limit of 20000")),
        );
    assert!(!model.exists());
    docclass()
        .args([
            "train",
            "--skip-invalid",
            "--max-doc-bytes",
            "20000",
            "--data",
        ])
        .arg(&train)
        .arg("--out")
        .arg(&model)
        .assert()
        .success()
        .stderr(
            predicate::str::contains("warning: skipped")
                .and(predicate::str::contains("train.jsonl:4")),
        );
    assert!(model.exists());
}

// ---------------------------------------------------------------------
// JSON Lines and CSV data errors
// ---------------------------------------------------------------------

#[test]
fn invalid_jsonl_training_records_stop_train_and_eval_unless_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good: Vec<String> = fs::read_to_string(small_corpus(dir.path()))
        .expect("read")
        .lines()
        .map(String::from)
        .collect();
    let n_good = good.len();
    let mut lines = good.clone();
    lines.insert(2, String::new()); // line 3: blank, skipped silently
    lines.insert(4, "{\"text\": \"port\", \"labels\": [\"trade\"".into()); // line 5
    lines.insert(6, "{\"labels\": [\"trade\"]}".into()); // line 7
    lines.insert(7, "{\"text\": [\"a\"], \"labels\": [\"trade\"]}".into()); // line 8
    lines.insert(9, "   ".into()); // line 10: blank
    let data = dir.path().join("data.jsonl");
    fs::write(&data, lines.join("\n")).expect("write");
    let model = dir.path().join("m.model");

    docclass()
        .args(["train", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&model)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("data.jsonl:5").and(predicate::str::contains("invalid JSON")),
        );
    assert!(!model.exists());
    let assert = docclass()
        .args(["train", "--skip-invalid", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&model)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert_eq!(stderr.matches("warning: skipped").count(), 3, "{stderr}");
    for (line, what) in [
        (5, "invalid JSON"),
        (7, "missing \"text\""),
        (8, "\"text\" must be a string"),
    ] {
        assert!(
            stderr.contains(&format!("data.jsonl:{line}: {what}")),
            "line {line}: {stderr}"
        );
    }
    assert!(
        stderr.contains(&format!("on {n_good} documents")),
        "{stderr}"
    );

    docclass()
        .args(["eval", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(&data)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("data.jsonl:5"));
    let assert = docclass()
        .args(["eval", "--json", "--skip-invalid", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(&data)
        .assert()
        .success();
    let report: Value = serde_json::from_slice(&assert.get_output().stdout).expect("JSON");
    assert_eq!(report["n"], n_good);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert_eq!(stderr.matches("warning: skipped").count(), 3, "{stderr}");

    // With every record invalid nothing is left to train on.
    let bad = dir.path().join("all-bad.jsonl");
    fs::write(&bad, "{oops\n\n{\"labels\": []}\n").expect("write");
    docclass()
        .args(["train", "--skip-invalid", "--data"])
        .arg(&bad)
        .arg("--out")
        .arg(&model)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no documents"));
}

#[test]
fn csv_problems_in_classify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("docs.csv");
    fs::write(
        &csv,
        concat!(
            "id,text,source\r\n",
            "multi,\"Workshop on port logistics,\r\nwith \"\"quoted\"\" words\nand a third line\",web\r\n",
            "short\r\n",
            "\r\n",
            "extra,Seminar on customs clearance,web,unexpected,fields\r\n",
            ",Course on media management\r\n",
        ),
    )
    .expect("write");
    let assert = docclass().arg("classify").arg(&csv).assert().code(1);
    let records = jsonl(&assert.get_output().stdout);
    let name = csv.display().to_string();
    assert_eq!(
        ids(&records),
        ["multi", "short", "extra", &format!("{name}:8")]
    );
    assert!(records[0]["scores"].is_object());
    let e = error_of(&records[1]);
    assert!(e.contains("line 5") && e.contains("ragged"), "{e}");
    assert!(records[2]["scores"].is_object(), "extra fields are ignored");
    assert!(records[3]["scores"].is_object());

    // What was read from the multi-line field, through a one-row CSV.
    let one = dir.path().join("one.csv");
    fs::write(&one, "text\n\"a,\r\nb \"\"c\"\"\"\n").expect("write");
    let assert = docclass()
        .args(["classify", "--format", "csv"])
        .arg(&one)
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&assert.get_output().stdout).contains("one.csv:2"));

    // No text column: one clear error record for the file.
    let no_text = dir.path().join("no-text.csv");
    fs::write(&no_text, "id,body\n1,hello\n").expect("write");
    let assert = docclass().arg("classify").arg(&no_text).assert().code(1);
    let records = jsonl(&assert.get_output().stdout);
    assert_eq!(records.len(), 1);
    assert!(error_of(&records[0]).contains("no \"text\" column"));
    // An empty CSV: the same.
    let empty = dir.path().join("empty.csv");
    fs::write(&empty, "").expect("write");
    let assert = docclass().arg("classify").arg(&empty).assert().code(1);
    assert!(error_of(&jsonl(&assert.get_output().stdout)[0]).contains("empty CSV"));
}

#[test]
fn csv_problems_in_train() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.model");
    let train = |csv: &Path, extra: &[&str]| {
        let mut cmd = docclass();
        cmd.args(["train", "--min-df", "1", "--max-df", "1.0"])
            .args(extra)
            .arg("--data")
            .arg(csv)
            .arg("--out")
            .arg(&model);
        cmd.assert()
    };
    let no_text = dir.path().join("no-text.csv");
    fs::write(&no_text, "body,labels\nport,trade\n").expect("write");
    train(&no_text, &[])
        .code(2)
        .stderr(predicate::str::contains(
            "no-text.csv:1: no \"text\" column",
        ));
    let no_labels = dir.path().join("no-labels.csv");
    fs::write(&no_labels, "text\nport\n").expect("write");
    train(&no_labels, &[])
        .code(2)
        .stderr(predicate::str::contains(
            "no-labels.csv:1: no \"labels\" column",
        ));
    assert!(!model.exists());

    // Quoted multi-line fields, a ragged row (line 6) and extra fields.
    let csv = dir.path().join("data.csv");
    fs::write(
        &csv,
        concat!(
            "text,labels\n",
            "\"Course on port logistics,\ncontainer terminals\nand customs\",trade\n",
            "Seminar on media management and public opinion,governance\n",
            "ragged row without labels\n",
            "Port dredging and harbour pilots,trade;logistics,extra\n",
            "\"Journalism, newsrooms\nand media law\",governance\n",
        ),
    )
    .expect("write");
    train(&csv, &[]).code(2).stderr(
        predicate::str::contains("data.csv:6: row has 1 fields")
            .and(predicate::str::contains("ragged")),
    );
    assert!(!model.exists());
    train(&csv, &["--skip-invalid"]).success().stderr(
        predicate::str::contains("warning: skipped")
            .and(predicate::str::contains("data.csv:6"))
            .and(predicate::str::contains("on 4 documents"))
            .and(predicate::str::contains("logistics=1")),
    );
    assert!(model.exists());
}

// ---------------------------------------------------------------------
// Training sets that cannot make a model
// ---------------------------------------------------------------------

#[test]
fn train_refuses_unusable_data_and_warns_about_single_examples() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.model");
    let train = |data: &Path| {
        let mut cmd = docclass();
        cmd.args(["train", "--min-df", "1", "--max-df", "1.0", "--data"])
            .arg(data)
            .arg("--out")
            .arg(&model);
        cmd.assert()
    };
    // No documents: a CSV with only its header, a folder of empty labels.
    let header_only = dir.path().join("header.csv");
    fs::write(&header_only, "text,labels\n").expect("write");
    train(&header_only)
        .code(2)
        .stderr(predicate::str::contains("no documents"));
    let folders = dir.path().join("folders");
    fs::create_dir_all(folders.join("trade")).expect("mkdir");
    fs::create_dir_all(folders.join("media")).expect("mkdir");
    train(&folders)
        .code(2)
        .stderr(predicate::str::contains("no documents"));
    // One label only, in the folder layout.
    for (i, text) in ["port logistics", "customs clearance", "harbour pilots"]
        .iter()
        .enumerate()
    {
        fs::write(folders.join("trade").join(format!("{i}.txt")), text).expect("write");
    }
    fs::remove_dir(folders.join("media")).expect("rmdir");
    train(&folders).code(2).stderr(predicate::str::contains(
        "every document has the label 'trade'",
    ));
    assert!(!model.exists());
    // A label with a single example: trained, with a warning on stderr.
    fs::create_dir_all(folders.join("media")).expect("mkdir");
    fs::write(folders.join("media").join("0.txt"), "newspaper editors").expect("write");
    train(&folders).success().stderr(predicate::str::contains(
        "warning: label 'media' has a single example",
    ));
    assert!(model.exists());

    // Evaluating that single-label model on data with a label it does not
    // know: reported, counted as missed, not a crash.
    let data = dir.path().join("eval.jsonl");
    fs::write(
        &data,
        "{\"text\": \"port logistics\", \"labels\": [\"trade\"]}\n{\"text\": \"football\", \"labels\": [\"sport\"]}\n",
    )
    .expect("write");
    let assert = docclass()
        .args(["eval", "--json", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(&data)
        .assert()
        .success()
        .stderr(
            predicate::str::contains("label 'sport'")
                .and(predicate::str::contains("not one the model knows")),
        );
    let report: Value = serde_json::from_slice(&assert.get_output().stdout).expect("JSON");
    assert_eq!(report["unknown_labels"]["sport"], 1);
    assert_eq!(report["n"], 2);
}

// ---------------------------------------------------------------------
// Damaged model files
// ---------------------------------------------------------------------

/// The shipped model's bytes with the header rewritten by `edit` and the
/// checksum recomputed, so that validation, not the checksum, must object.
fn with_header(model: &[u8], edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let header_len = u64::from_le_bytes(model[20..28].try_into().expect("8 bytes")) as usize;
    let mut header: Value = serde_json::from_slice(&model[28..28 + header_len]).expect("header");
    edit(&mut header);
    let json = serde_json::to_vec(&header).expect("JSON");
    let mut out = model[..20].to_vec();
    out.extend_from_slice(&(json.len() as u64).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(&model[28 + header_len..model.len() - 4]);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

#[test]
fn damaged_model_files_are_clear_errors_through_the_binary() {
    let good = fs::read("models/programs.model.bin").expect("shipped model");
    let n_features = {
        let len = u64::from_le_bytes(good[20..28].try_into().expect("8 bytes")) as usize;
        let h: Value = serde_json::from_slice(&good[28..28 + len]).expect("header");
        h["n_features"].as_u64().expect("n_features")
    };
    let resum = |mut body: Vec<u8>| {
        let crc = crc32fast::hash(&body);
        body.extend_from_slice(&crc.to_le_bytes());
        body
    };
    let mut nan = good[..good.len() - 4].to_vec();
    let at = nan.len() - 8 * 5;
    nan[at..at + 8].copy_from_slice(&f64::NAN.to_le_bytes());
    let mut infinite_idf = good[..good.len() - 4].to_vec();
    // The last idf value: before the weights, the intercepts and, for a
    // model with a relevance gate, the gate's weights.
    let gated = good
        .windows(b"relevance_intercept".len())
        .any(|w| w == b"relevance_intercept");
    let gate = if gated { n_features as usize } else { 0 };
    let at = infinite_idf.len() - 8 * (3 + 3 * n_features as usize + gate + 1);
    infinite_idf[at..at + 8].copy_from_slice(&f64::INFINITY.to_le_bytes());
    let mut newer = good.clone();
    newer[16..20].copy_from_slice(&99u32.to_le_bytes());

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated.model",
            good[..good.len() / 3].to_vec(),
            "truncated or corrupted",
        ),
        ("cut-short.model", good[..30].to_vec(), "truncated"),
        (
            "text.model",
            b"{\"labels\": [\"a\"]}\n".to_vec(),
            "not a docclass model",
        ),
        ("empty.model", Vec::new(), "not a docclass model"),
        ("nan.model", resum(nan), "non-finite"),
        (
            "infinite-idf.model",
            resum(infinite_idf),
            "idf has a non-finite value",
        ),
        ("newer.model", newer, "newer docclass (model format 99)"),
        (
            "fewer-features.model",
            with_header(&good, |h| h["n_features"] = (n_features - 1).into()),
            "inconsistent shapes",
        ),
        (
            "more-features.model",
            with_header(&good, |h| h["n_features"] = (n_features + 1).into()),
            "inconsistent shapes",
        ),
        (
            "huge-features.model",
            with_header(&good, |h| h["n_features"] = u64::MAX.into()),
            "inconsistent shapes",
        ),
        (
            "fewer-labels.model",
            with_header(&good, |h| {
                h["labels"] = serde_json::json!(["governance", "trade"]);
                h["thresholds"] = serde_json::json!([0.5, 0.5]);
            }),
            "inconsistent shapes",
        ),
        (
            "bad-thresholds.model",
            with_header(&good, |h| h["thresholds"] = serde_json::json!([0.5])),
            "thresholds",
        ),
        (
            "bad-header.model",
            with_header(&good, |h| h["objective"] = "magic".into()),
            "unreadable header",
        ),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, bytes, expect) in cases {
        let path = dir.path().join(name);
        fs::write(&path, bytes).expect("write");
        for command in [
            vec!["classify", "examples"],
            vec!["eval", "--data", "tests/fixtures/programs-heldout.jsonl"],
            vec!["tokenize", "examples/port-logistics-course.txt"],
        ] {
            let assert = docclass()
                .arg(command[0])
                .arg("--model")
                .arg(&path)
                .args(&command[1..])
                .assert()
                .code(2)
                .stdout("");
            let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
            assert!(
                stderr.contains(name) && stderr.contains(expect),
                "{name} via {}: expected {expect:?} in: {stderr}",
                command[0]
            );
            assert!(!stderr.contains("panicked"), "{stderr}");
        }
    }
}

// ---------------------------------------------------------------------
// --out failures and interruption
// ---------------------------------------------------------------------

/// A command whose files may grow to at most `bytes`, as on a nearly full
/// disk: writing past it fails with EFBIG. SIGXFSZ, which would otherwise
/// kill the process, is ignored (the disposition survives exec).
fn with_file_size_limit(cmd: &mut std::process::Command, bytes: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
}

#[test]
fn a_full_disk_leaves_the_old_output_and_no_temporary_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("labels.jsonl");
    fs::write(&out, "old labels\n").expect("write");
    let mut cmd = std::process::Command::new(binary());
    cmd.args(["classify", "examples", "--out"]).arg(&out);
    with_file_size_limit(&mut cmd, 200);
    let output = cmd.output().expect("run");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("labels.jsonl") && stderr.contains("File too large"),
        "{stderr}"
    );
    assert_eq!(fs::read_to_string(&out).expect("read"), "old labels\n");
    assert_eq!(common::temp_files(dir.path()), Vec::<String>::new());

    let model = dir.path().join("m.model");
    fs::write(&model, "old model").expect("write");
    let data = small_corpus(dir.path());
    let mut cmd = std::process::Command::new(binary());
    cmd.args(["train", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&model);
    with_file_size_limit(&mut cmd, 4096);
    let output = cmd.output().expect("run");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("m.model"));
    assert_eq!(fs::read_to_string(&model).expect("read"), "old model");
    assert_eq!(common::temp_files(dir.path()), Vec::<String>::new());

    // /dev/full for classify (train is in tests/cli.rs): the error is
    // reported, exit 2.
    if Path::new("/dev/full").exists() {
        docclass()
            .args(["classify", "examples", "--out", "/dev/full"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("/dev/full"));
    }
}

fn send_signal(child: &std::process::Child, signal: i32) {
    // SAFETY: plain kill(2) on our own child's pid.
    let r = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    assert_eq!(r, 0, "kill failed");
}

/// Waits until `pred` holds, panicking after `limit`.
fn wait_for(what: &str, limit: Duration, mut pred: impl FnMut() -> bool) {
    let start = Instant::now();
    while !pred() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn wait_with_timeout(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("process did not exit after SIGINT");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn stderr_of(child: &mut std::process::Child) -> String {
    let mut s = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut s);
    }
    s
}

#[test]
fn ctrl_c_during_classify_out_leaves_no_partial_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A large input: many batches, so classification is surely still
    // running when the first batch's records reach the temporary file.
    let texts = program_texts();
    let input = dir.path().join("large.jsonl");
    let mut w = std::io::BufWriter::new(fs::File::create(&input).expect("create"));
    for i in 0..40_000 {
        let text = &texts[i % texts.len()];
        writeln!(w, "{}", serde_json::json!({"id": i, "text": text})).expect("write");
    }
    w.flush().expect("flush");
    drop(w);
    let out = dir.path().join("labels.jsonl");
    let mut child = std::process::Command::new(binary())
        .args(["classify", "--out"])
        .arg(&out)
        .arg(&input)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let tmp = dir.path().join(format!(".labels.jsonl.tmp-{}", child.id()));
    wait_for(
        "output in the temporary file",
        Duration::from_secs(60),
        || fs::metadata(&tmp).is_ok_and(|m| m.len() > 0),
    );
    send_signal(&child, libc::SIGINT);
    let status = wait_with_timeout(&mut child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(130));
    assert!(stderr_of(&mut child).contains("interrupted"));
    assert!(!out.exists(), "no partial output");
    assert_eq!(common::temp_files(dir.path()), Vec::<String>::new());
}

#[test]
fn ctrl_c_while_classify_waits_on_stdin_keeps_the_old_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("labels.jsonl");
    fs::write(&out, "previous run\n").expect("write");
    let mut child = std::process::Command::new(binary())
        .args(["classify", "-", "--out"])
        .arg(&out)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(stdin, "{{\"text\": \"Seminar on port logistics\"}}").expect("write");
    stdin.flush().expect("flush");
    let tmp = dir.path().join(format!(".labels.jsonl.tmp-{}", child.id()));
    wait_for("the temporary file", Duration::from_secs(20), || {
        tmp.exists()
    });
    // stdin stays open: docclass is blocked reading the next document.
    send_signal(&child, libc::SIGINT);
    let status = wait_with_timeout(&mut child, Duration::from_secs(10));
    drop(stdin);
    assert_eq!(status.code(), Some(130));
    assert!(stderr_of(&mut child).contains("interrupted"));
    assert_eq!(fs::read_to_string(&out).expect("read"), "previous run\n");
    assert_eq!(common::temp_files(dir.path()), Vec::<String>::new());
}

#[test]
fn ctrl_c_during_train_keeps_the_old_model() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.model");
    fs::write(&model, "old model").expect("write");
    // Training data from a named pipe that the test keeps open: train is
    // reading it for sure when the signal arrives.
    let fifo = dir.path().join("data.jsonl");
    let c_path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("path");
    // SAFETY: mkfifo on a NUL-terminated path we own.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let mut child = std::process::Command::new(binary())
        .args(["train", "--data"])
        .arg(&fifo)
        .arg("--out")
        .arg(&model)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Opening the write end waits until train opens the read end.
    let mut writer = fs::OpenOptions::new()
        .write(true)
        .open(&fifo)
        .expect("open fifo");
    let corpus = fs::read_to_string(small_corpus(dir.path())).expect("read");
    writer.write_all(corpus.as_bytes()).expect("write");
    writer.flush().expect("flush");
    std::thread::sleep(Duration::from_millis(200));
    send_signal(&child, libc::SIGINT);
    let status = wait_with_timeout(&mut child, Duration::from_secs(10));
    drop(writer);
    assert_eq!(status.code(), Some(130));
    assert!(stderr_of(&mut child).contains("interrupted"));
    assert_eq!(fs::read_to_string(&model).expect("read"), "old model");
    assert_eq!(common::temp_files(dir.path()), Vec::<String>::new());
}

// ---------------------------------------------------------------------
// One record per input document, in order, at scale
// ---------------------------------------------------------------------

#[test]
fn thousands_of_mixed_inputs_give_one_record_each_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let texts = program_texts();
    let mut expected: Vec<(String, &str)> = Vec::new(); // (id, "ok" | "error" | "empty")

    // JSON Lines: good records, broken lines, blank lines, missing text.
    let jsonl_path = dir.path().join("mixed.jsonl");
    let name = jsonl_path.display().to_string();
    let mut lines = Vec::new();
    for i in 0..1300 {
        let line_no = i + 1;
        if i % 11 == 5 {
            lines.push(String::new());
        } else if i % 7 == 3 {
            lines.push(format!("{{\"id\": \"j{i}\", \"text\": \"unterminated"));
            expected.push((format!("{name}:{line_no}"), "error"));
        } else if i % 13 == 6 {
            lines.push(format!("{{\"id\": \"j{i}\", \"body\": \"no text\"}}"));
            expected.push((format!("j{i}"), "error"));
        } else if i % 17 == 8 {
            lines.push(format!("{{\"id\": \"j{i}\", \"text\": \" \\n \"}}"));
            expected.push((format!("j{i}"), "empty"));
        } else {
            let text = &texts[i % texts.len()];
            lines.push(serde_json::json!({"id": format!("j{i}"), "text": text}).to_string());
            expected.push((format!("j{i}"), "ok"));
        }
    }
    fs::write(&jsonl_path, lines.join("\n")).expect("write");

    // A folder: text, binary, empty and GBK files.
    let folder = dir.path().join("folder");
    fs::create_dir(&folder).expect("mkdir");
    let gbk = encoding_rs::GBK
        .encode("关于举办发展中国家港口管理研修班的通知，请各单位认真组织报名工作。")
        .0;
    for i in 0..500 {
        let (file, bytes, outcome): (String, Vec<u8>, &str) = match i % 5 {
            0 => (
                format!("{i:04}.bin"),
                vec![0, 1, 2, 3, 0, 0, 9, i as u8],
                "error",
            ),
            1 => (format!("{i:04}.txt"), Vec::new(), "empty"),
            2 => (format!("{i:04}-gbk.txt"), gbk.to_vec(), "ok"),
            _ => (
                format!("{i:04}.txt"),
                texts[i % texts.len()].as_bytes().to_vec(),
                "ok",
            ),
        };
        let path = folder.join(&file);
        fs::write(&path, bytes).expect("write");
        expected.push((path.display().to_string(), outcome));
    }

    // CSV: rows with ids, rows without, ragged rows.
    let csv_path = dir.path().join("mixed.csv");
    let csv_name = csv_path.display().to_string();
    let mut csv = String::from("id,text\n");
    let mut line_no = 2;
    for i in 0..400 {
        let text = texts[i % texts.len()].replace('"', "\"\"");
        if i % 9 == 4 {
            // Ragged: no text field.
            csv.push_str(&format!("c{i}\n"));
            expected.push((format!("c{i}"), "error"));
            line_no += 1;
            continue;
        }
        if i % 10 == 7 {
            csv.push_str(&format!(",\"{text}\"\n"));
            expected.push((format!("{csv_name}:{line_no}"), "ok"));
        } else {
            csv.push_str(&format!("c{i},\"{text}\"\n"));
            expected.push((format!("c{i}"), "ok"));
        }
        line_no += 1 + text.matches('\n').count();
    }
    fs::write(&csv_path, csv).expect("write");
    assert!(expected.len() >= 2000, "{} documents", expected.len());

    let out = dir.path().join("labels.jsonl");
    docclass()
        .arg("classify")
        .arg(&jsonl_path)
        .arg(&folder)
        .arg(&csv_path)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1);
    let records = jsonl(&fs::read(&out).expect("output"));
    assert_eq!(records.len(), expected.len());
    for (record, (id, outcome)) in records.iter().zip(&expected) {
        assert_eq!(record["id"].as_str(), Some(id.as_str()));
        let got = if record.get("error").is_some() {
            "error"
        } else if record["empty"] == Value::Bool(true) {
            "empty"
        } else {
            assert!(record["scores"].is_object(), "{record}");
            "ok"
        };
        assert_eq!(got, *outcome, "{record}");
    }
}

// ---------------------------------------------------------------------
// Determinism across thread counts and runs
// ---------------------------------------------------------------------

#[test]
fn outputs_are_identical_on_one_thread_all_threads_and_between_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let classify = |threads: Option<&str>| {
        let mut cmd = docclass();
        cmd.args([
            "classify",
            "tests/fixtures/programs-heldout.jsonl",
            "examples",
            "--format",
            "csv",
        ]);
        match threads {
            Some(n) => cmd.env("RAYON_NUM_THREADS", n),
            None => cmd.env_remove("RAYON_NUM_THREADS"),
        };
        cmd.assert().success().get_output().stdout.clone()
    };
    let one = classify(Some("1"));
    assert!(one.len() > 10_000);
    assert_eq!(one, classify(None), "classify: 1 thread vs all");
    assert_eq!(one, classify(Some("3")), "classify: 1 thread vs 3");
    assert_eq!(one, classify(None), "classify: run to run");

    let data = small_corpus(dir.path());
    let train = |threads: Option<&str>, name: &str| {
        let model = dir.path().join(name);
        let mut cmd = docclass();
        cmd.args(["train", "--tune-thresholds", "3", "--c", "30", "--data"])
            .arg(&data)
            .arg("--out")
            .arg(&model);
        match threads {
            Some(n) => cmd.env("RAYON_NUM_THREADS", n),
            None => cmd.env_remove("RAYON_NUM_THREADS"),
        };
        cmd.assert().success();
        fs::read(&model).expect("model")
    };
    let one = train(Some("1"), "one.model");
    assert_eq!(one, train(None, "all.model"), "train: 1 thread vs all");
    assert_eq!(one, train(None, "again.model"), "train: run to run");
}
