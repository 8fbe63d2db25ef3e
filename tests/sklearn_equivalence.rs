//! The vectorizer reproduces scikit-learn's TfidfVectorizer: same vocabulary,
//! same idf, same matrix values to 1e-6, on documents tokenized by docclass.
//! The expected values were produced by scikit-learn itself; see
//! tests/fixtures/sklearn/make_tfidf_fixture.py.

use docclass::features::{DocFrequency, TfidfParams, TfidfVectorizer};
use serde_json::Value;

fn bound(v: &Value) -> DocFrequency {
    match v.as_u64() {
        Some(count) if !v.to_string().contains('.') => DocFrequency::Count(count as usize),
        _ => DocFrequency::Fraction(v.as_f64().expect("numeric bound")),
    }
}

#[test]
fn matches_scikit_learn_tfidf_vectorizer() {
    let raw = std::fs::read_to_string("tests/fixtures/sklearn/tfidf-fixture.json")
        .expect("fixture present");
    let fixture: Value = serde_json::from_str(&raw).expect("fixture is JSON");
    let docs: Vec<Vec<String>> = fixture["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .map(|d| {
            d.as_array()
                .expect("token list")
                .iter()
                .map(|t| t.as_str().expect("token").to_string())
                .collect()
        })
        .collect();
    let cases = fixture["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 3);
    for case in cases {
        let s = &case["settings"];
        let params = TfidfParams {
            min_df: bound(&s["min_df"]),
            max_df: bound(&s["max_df"]),
            max_features: None,
            sublinear_tf: s["sublinear_tf"].as_bool().expect("bool"),
        };
        let (vectorizer, matrix) =
            TfidfVectorizer::fit_transform(params.clone(), &docs).expect("fit");
        let vocabulary: Vec<&str> = case["vocabulary"]
            .as_array()
            .expect("vocabulary")
            .iter()
            .map(|t| t.as_str().expect("term"))
            .collect();
        assert_eq!(vectorizer.vocabulary(), vocabulary.as_slice(), "{params:?}");
        for (ours, theirs) in vectorizer
            .idf()
            .iter()
            .zip(case["idf"].as_array().expect("idf"))
        {
            assert!((ours - theirs.as_f64().expect("f64")).abs() < 1e-9);
        }
        let rows = case["rows"].as_array().expect("rows");
        assert_eq!(matrix.rows(), rows.len());
        for (i, row) in rows.iter().enumerate() {
            let expected: Vec<(usize, f64)> = row
                .as_array()
                .expect("row")
                .iter()
                .map(|pair| {
                    (
                        pair[0].as_u64().expect("col") as usize,
                        pair[1].as_f64().expect("value"),
                    )
                })
                .collect();
            let ours: Vec<(usize, f64)> = matrix
                .outer_view(i)
                .expect("row exists")
                .iter()
                .map(|(c, &v)| (c, v))
                .collect();
            assert_eq!(ours.len(), expected.len(), "row {i} nnz with {params:?}");
            for ((c1, v1), (c2, v2)) in ours.iter().zip(&expected) {
                assert_eq!(c1, c2, "row {i} columns");
                assert!((v1 - v2).abs() < 1e-6, "row {i} col {c1}: {v1} vs {v2}");
            }
        }
    }
}
