//! The held-out fixtures are independent of the training corpus, and the
//! training corpus has no near-duplicates: measured as TF-IDF cosine
//! similarity over docclass's own analysis (all terms kept).

use docclass::features::{DocFrequency, SparseMatrix, TfidfParams, TfidfVectorizer};
use docclass::text::AnalyzerParams;

#[path = "common/default_corpus.rs"]
mod default_corpus;

/// Every held-out fixture set.
const HELDOUT: &[&str] = &[
    "tests/fixtures/programs-heldout.jsonl",
    "tests/fixtures/genres-heldout.jsonl",
    "tests/fixtures/background-heldout.jsonl",
];

fn texts(path: &str) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .expect("corpus file")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("JSON line");
            (
                v["id"].as_str().expect("id").to_string(),
                v["text"].as_str().expect("text").to_string(),
            )
        })
        .collect()
}

fn dot(m: &SparseMatrix, a: usize, b: usize) -> f64 {
    let (ra, rb) = (m.outer_view(a).expect("row"), m.outer_view(b).expect("row"));
    ra.dot(&rb)
}

#[test]
fn heldout_is_independent_and_training_has_no_near_duplicates() {
    // The whole default corpus, every round of it, against every fixture.
    let train: Vec<(String, String)> = default_corpus::DATA
        .iter()
        .chain(default_corpus::BACKGROUND)
        .flat_map(|f| texts(f))
        .collect();
    let heldout: Vec<(String, String)> = HELDOUT.iter().flat_map(|f| texts(f)).collect();
    let analyzer = AnalyzerParams::default().check().expect("analyzer");
    let all: Vec<&str> = train
        .iter()
        .chain(&heldout)
        .map(|(_, t)| t.as_str())
        .collect();
    let params = TfidfParams {
        min_df: DocFrequency::Count(1),
        max_df: DocFrequency::Fraction(1.0),
        max_features: None,
        sublinear_tf: true,
    };
    let (_, m) =
        TfidfVectorizer::fit_transform_with(params, all.len(), |i, sink: &mut dyn FnMut(&str)| {
            analyzer.for_each_term(all[i], sink);
        })
        .expect("vectorize");
    let n = train.len();
    let mut problems = Vec::new();
    for (h, (held_id, _)) in heldout.iter().enumerate() {
        for (t, (train_id, _)) in train.iter().enumerate() {
            let sim = dot(&m, n + h, t);
            if sim > 0.8 {
                problems.push(format!(
                    "held-out {held_id} ~ training {train_id}: {sim:.3}"
                ));
            }
        }
    }
    for a in 0..n {
        for b in a + 1..n {
            let sim = dot(&m, a, b);
            if sim > 0.9 {
                problems.push(format!(
                    "training {} ~ training {}: {sim:.3}",
                    train[a].0, train[b].0
                ));
            }
        }
    }
    assert!(problems.is_empty(), "too similar:\n{}", problems.join("\n"));
}
