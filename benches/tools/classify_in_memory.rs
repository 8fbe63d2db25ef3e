//! The in-memory path that `benches/scale.sh` compares streaming `classify`
//! with: every document of a JSON Lines file read into memory first, then
//! classified in one parallel pass with the embedded model and formatted as
//! JSON records into memory. No batches, no streaming, no output file.
//!
//!     cargo build --release --example classify_in_memory
//!     target/release/examples/classify_in_memory FILE.jsonl

use rayon::prelude::*;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: classify_in_memory FILE.jsonl"))?;
    let start = Instant::now();
    let model = docclass::model::default_model()?;
    let bytes = std::fs::read(&path)?;
    let docs: Vec<(String, String)> = std::str::from_utf8(&bytes)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let r = docclass::corpus::records::parse_json_record(l).map_err(anyhow::Error::msg)?;
            Ok((r.id.unwrap_or_default(), r.text))
        })
        .collect::<anyhow::Result<_>>()?;
    let loaded = start.elapsed().as_secs_f64();
    let classify_start = Instant::now();
    let records: Vec<String> = docs
        .par_iter()
        .map(|(id, text)| {
            let p = model.predict_text(text);
            let labels: Vec<&str> = p
                .labels
                .iter()
                .map(|&c| model.labels()[c].as_str())
                .collect();
            let scores: serde_json::Map<String, serde_json::Value> = model
                .labels()
                .iter()
                .zip(&p.scores)
                .map(|(l, s)| (l.clone(), ((s * 1e6).round() / 1e6).into()))
                .collect();
            serde_json::json!({"id": id, "labels": labels, "scores": scores}).to_string()
        })
        .collect();
    let classified = classify_start.elapsed().as_secs_f64();
    let mb = bytes.len() as f64 / 1e6;
    eprintln!(
        "{} documents, {mb:.1} MB: loaded in {loaded:.2} s, classified in {classified:.2} s \
         ({:.1} MB/s classifying, {:.1} MB/s overall); {} output bytes",
        docs.len(),
        mb / classified,
        mb / (loaded + classified),
        records.iter().map(String::len).sum::<usize>()
    );
    Ok(())
}
