//! The model card: what a model is, in one JSON value.

use super::Classifier;

/// Weighted terms as `[{"term", "weight"}]`.
fn terms_json(terms: Vec<(String, f64)>) -> Vec<serde_json::Value> {
    terms
        .into_iter()
        .map(|(t, w)| serde_json::json!({"term": t, "weight": w}))
        .collect()
}

impl Classifier {
    /// The model card as JSON (what `docclass inspect --json` prints):
    /// labels, thresholds, settings, training data and metrics, and the
    /// `top` strongest terms for and against each label and the gate.
    /// `name` says which model it is (a path, or the default model's name).
    pub fn card_json(&self, name: &str, top: usize) -> serde_json::Value {
        let model = self;
        let terms: serde_json::Map<String, serde_json::Value> = model
            .labels()
            .iter()
            .enumerate()
            .map(|(c, label)| {
                let (pos, neg) = model.top_terms(c, top);
                (
                    label.clone(),
                    serde_json::json!({"positive": terms_json(pos), "negative": terms_json(neg)}),
                )
            })
            .collect();
        serde_json::json!({
            "model": name,
            "format_version": super::FORMAT_VERSION,
            "labels": model.labels(),
            "multi_label": model.is_multi_label(),
            "thresholds": model.thresholds(),
            "vocabulary_size": model.vectorizer().n_features(),
            "settings": model.params(),
            "training": model.summary(),
            "top_terms": terms,
            "sentence_labels": &model.params().sentence_labels,
            "relevance": model.gate().map(|_| {
                let (pos, neg) = model.top_relevance_terms(top);
                serde_json::json!({
                    "threshold": model.params().relevance_threshold,
                    "background_documents": model.summary().background_documents,
                    "positive": terms_json(pos),
                    "negative": terms_json(neg),
                })
            }),
        })
    }
}
