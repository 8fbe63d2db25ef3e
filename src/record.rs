//! Classification records: what `classify` writes for each document, and
//! what the Python package returns, built in one place so that both give
//! the same fields and the same digits. The JSON field names are a contract
//! other tools rely on: `id`, `labels`, `scores` (label -> probability),
//! `relevance`, and `error` or `empty` when they apply.

use crate::model::{Classifier, Contribution, Explanation, Prediction};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// Probabilities are written with 6 decimals: enough to sort and threshold,
/// short enough to keep batch output readable.
pub fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Label -> probability, in the model's label order.
pub struct Scores<'a>(pub &'a [String], pub &'a [f64]);

impl Serialize for Scores<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (label, score) in self.0.iter().zip(self.1) {
            map.serialize_entry(label, &round6(*score))?;
        }
        map.end()
    }
}

fn serialize_round6<S: serde::Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_f64(round6(*v)),
        None => s.serialize_none(),
    }
}

/// One classification result.
#[derive(Serialize)]
pub struct Record<'a> {
    pub id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scores: Option<Scores<'a>>,
    /// The relevance gate's probability that the document is in the
    /// model's domain (models trained with background documents only).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_round6"
    )]
    pub relevance: Option<f64>,
    /// Set when the document has no text (after decoding): it has no labels
    /// and no scores, but it is accounted for.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub empty: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
}

impl<'a> Record<'a> {
    /// A classified document.
    pub fn classified(model: &'a Classifier, id: &'a str, prediction: &'a Prediction) -> Self {
        Record {
            id,
            labels: Some(
                prediction
                    .labels
                    .iter()
                    .map(|&c| model.labels()[c].as_str())
                    .collect(),
            ),
            scores: Some(Scores(model.labels(), &prediction.scores)),
            relevance: prediction.relevance,
            empty: false,
            error: None,
        }
    }

    /// A document without text: no labels, no scores, but accounted for.
    pub fn empty(id: &'a str) -> Self {
        Record {
            id,
            labels: Some(Vec::new()),
            scores: None,
            relevance: None,
            empty: true,
            error: None,
        }
    }

    /// A document that could not be read or classified.
    pub fn failed(id: &'a str, message: &'a str) -> Self {
        Record {
            id,
            labels: None,
            scores: None,
            relevance: None,
            empty: false,
            error: Some(message),
        }
    }
}

impl Classifier {
    /// The record of one document's text, as one JSON object (no line
    /// end): exactly what `docclass classify` writes for it.
    pub fn classify_json(&self, id: &str, text: &str) -> String {
        let json = if text.trim().is_empty() {
            serde_json::to_string(&Record::empty(id))
        } else {
            let prediction = self.predict_text(text);
            serde_json::to_string(&Record::classified(self, id, &prediction))
        };
        // Serialising strings and finite numbers cannot fail.
        json.unwrap_or_default()
    }

    /// One document's explanation as one JSON value: exactly what
    /// `docclass explain --json` writes for it (the web app's API too).
    pub fn explanation_json(&self, id: &str, x: &Explanation) -> serde_json::Value {
        let model = self;

        let scores: serde_json::Map<String, serde_json::Value> = x
            .labels
            .iter()
            .map(|l| (l.label.clone(), serde_json::json!(round6(l.score))))
            .collect();
        let contribution_list = |up: &[Contribution], down: &[Contribution]| {
            let list: Vec<serde_json::Value> = up
                .iter()
                .chain(down)
                .map(|c| {
                    let mut v = serde_json::json!({"term": c.term, "weight": round6(c.weight)});
                    if !c.words.is_empty() {
                        v["words"] = serde_json::json!(c.words);
                    }
                    v
                })
                .collect();
            serde_json::Value::Array(list)
        };
        let contributions: serde_json::Map<String, serde_json::Value> = x
            .labels
            .iter()
            .map(|l| (l.label.clone(), contribution_list(&l.up, &l.down)))
            .collect();
        // intercept + the contributions listed + other_terms =
        // linear_score (the log-odds of a multi-label model's label).
        let sums: serde_json::Map<String, serde_json::Value> = x
            .labels
            .iter()
            .map(|l| {
                let round = round6;
                let v = serde_json::json!({
                    "intercept": round(l.intercept),
                    "other_terms": round(l.other_terms),
                    "linear_score": round(l.linear_score),
                });
                (l.label.clone(), v)
            })
            .collect();
        let labels: Vec<&str> = x
            .labels
            .iter()
            .filter(|l| l.assigned)
            .map(|l| l.label.as_str())
            .collect();
        let sentences: serde_json::Map<String, serde_json::Value> = x
            .labels
            .iter()
            .filter_map(|l| {
                l.sentence
                    .as_ref()
                    .map(|s| (l.label.clone(), serde_json::json!(s)))
            })
            .collect();
        let mut value = serde_json::json!({
            "id": id,
            "language": x.language.code(),
            "labels": labels,
            "scores": scores,
            "relevance": x.relevance.map(round6),
            "sentences": sentences,
            "thresholds": model.labels().iter().zip(model.thresholds()).map(|(l, t)| (l.clone(), serde_json::json!(t))).collect::<serde_json::Map<_, _>>(),
            "contributions": contributions,
            "sums": sums,
            "evidence": x.evidence,
        });
        if let Some(r) = &x.relevance_terms {
            value["relevance_terms"] = serde_json::json!({
                "threshold": r.threshold,
                "contributions": contribution_list(&r.up, &r.down),
                "intercept": round6(r.intercept),
                "other_terms": round6(r.other_terms),
                "linear_score": round6(r.linear_score),
            });
        }
        value
    }
}
