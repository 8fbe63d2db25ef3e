//! Parquet and Arrow through the binary: read by every command that reads
//! documents or labelled data, written by `classify --format parquet`, with
//! the same records as JSON Lines.

use arrow::array::{Array, ArrayRef, AsArray, ListBuilder, StringBuilder, UInt32Array};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use assert_cmd::Command;
use serde_json::Value;
use std::fs::{self, File};
use std::path::Path;
use std::sync::Arc;

fn docclass() -> Command {
    Command::cargo_bin("docclass").expect("binary builds")
}

/// The held-out genre fixtures as a Parquet file with an integer id, a
/// `body` text column (one null), and list<string> labels.
fn write_input(path: &Path) -> Vec<Value> {
    let rows: Vec<Value> = fs::read_to_string("tests/fixtures/genres-heldout.jsonl")
        .expect("fixtures")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    let mut labels = ListBuilder::new(StringBuilder::new());
    let mut body = StringBuilder::new();
    for (i, r) in rows.iter().enumerate() {
        for l in r["labels"].as_array().expect("labels") {
            labels.values().append_value(l.as_str().expect("label"));
        }
        labels.append(true);
        if i == 5 {
            body.append_null();
        } else {
            body.append_value(r["text"].as_str().expect("text"));
        }
    }
    let labels: ArrayRef = Arc::new(labels.finish());
    let id: ArrayRef = Arc::new(UInt32Array::from_iter_values(0..rows.len() as u32));
    let schema = Schema::new(vec![
        Field::new("doc_id", DataType::UInt32, false),
        Field::new("body", DataType::Utf8, true),
        Field::new("labels", labels.data_type().clone(), true),
    ]);
    let batch = RecordBatch::try_new(Arc::new(schema), vec![id, Arc::new(body.finish()), labels])
        .expect("batch");
    let properties = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_size(16)
        .build();
    let mut writer = parquet::arrow::ArrowWriter::try_new(
        File::create(path).expect("create"),
        batch.schema(),
        Some(properties),
    )
    .expect("writer");
    writer.write(&batch).expect("write");
    writer.close().expect("close");
    rows
}

fn records(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect()
}

#[test]
fn parquet_in_jsonl_and_parquet_out_agree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("docs.parquet");
    let rows = write_input(&input);
    let columns = ["--text-column", "body", "--id-column", "doc_id"];
    let out = docclass()
        .arg("classify")
        .arg(&input)
        .args(columns)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let json = records(&out);
    assert_eq!(json.len(), rows.len());
    assert_eq!(json[0]["id"], "0");
    assert_eq!(json[5]["error"], "row 6: the text is null");
    // Without --text-column the file is one clear error.
    let out = docclass().arg("classify").arg(&input).assert().code(1);
    let one = records(&out.get_output().stdout);
    assert_eq!(one.len(), 1);
    assert!(one[0]["error"]
        .as_str()
        .expect("error")
        .contains("--text-column"));

    let written = dir.path().join("labels.parquet");
    docclass()
        .arg("classify")
        .arg(&input)
        .args(columns)
        .arg("--out")
        .arg(&written)
        .assert()
        .code(1);
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        File::open(&written).expect("open"),
    )
    .expect("parquet")
    .build()
    .expect("reader");
    let mut n = 0;
    for batch in reader {
        let batch = batch.expect("batch");
        let names: Vec<&str> = batch
            .schema_ref()
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        assert_eq!(
            names,
            [
                "id",
                "labels",
                "governance",
                "intelligence",
                "trade",
                "relevance",
                "empty",
                "error"
            ]
        );
        let ids = batch.column(0).as_string::<i32>();
        let labels = batch.column(1).as_list::<i32>();
        let trade = batch
            .column(4)
            .as_primitive::<arrow::datatypes::Float64Type>();
        for i in 0..batch.num_rows() {
            let record = &json[n];
            assert_eq!(ids.value(i), record["id"].as_str().expect("id"));
            if record["error"].is_string() {
                assert!(labels.is_null(i) && trade.is_null(i));
            } else {
                let got: Vec<String> = labels
                    .value(i)
                    .as_string::<i32>()
                    .iter()
                    .map(|s| s.expect("label").to_string())
                    .collect();
                let want: Vec<String> = record["labels"]
                    .as_array()
                    .expect("labels")
                    .iter()
                    .map(|s| s.as_str().expect("label").to_string())
                    .collect();
                assert_eq!(got, want);
                assert_eq!(
                    trade.value(i),
                    record["scores"]["trade"].as_f64().expect("score")
                );
            }
            n += 1;
        }
    }
    assert_eq!(n, rows.len());
    docclass()
        .args(["classify", "--format", "parquet"])
        .arg(&input)
        .assert()
        .code(2);
    // A Parquet file under another name, read as Parquet when told so.
    let renamed = dir.path().join("docs.bin");
    fs::copy(&input, &renamed).expect("copy");
    let out = docclass()
        .args(["classify", "--input-format", "parquet"])
        .args(columns)
        .arg(&renamed)
        .assert()
        .code(1);
    assert_eq!(records(&out.get_output().stdout), json);
}

#[test]
fn parquet_labelled_data_trains_and_evaluates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("docs.parquet");
    write_input(&input);
    let model = dir.path().join("m.bin");
    // The null text stops training naming its row, unless skipped.
    let out = docclass()
        .args(["train", "--multi-label", "--text-column", "body", "--data"])
        .arg(&input)
        .arg("--out")
        .arg(&model)
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains(":6"));
    docclass()
        .args([
            "train",
            "--multi-label",
            "--skip-invalid",
            "--text-column",
            "body",
            "--data",
        ])
        .arg(&input)
        .arg("--out")
        .arg(&model)
        .assert()
        .success();
    let out = docclass()
        .args([
            "eval",
            "--json",
            "--skip-invalid",
            "--text-column",
            "body",
            "--model",
        ])
        .arg(&model)
        .arg("--data")
        .arg(&input)
        .assert()
        .success();
    let report: Value = serde_json::from_slice(&out.get_output().stdout).expect("JSON");
    assert_eq!(report["n"], 79);
}
