//! k-fold cross-validation: train on k-1 folds, measure on the held-out
//! fold, k times. The whole pipeline (vocabulary, idf, weights, thresholds)
//! is refitted inside each fold, so no statistic of a test fold leaks into
//! its model.

use super::folds::stratified_folds;
use super::metrics::{evaluate, label_indices, Report};
use crate::corpus::LabelledDocument;
use crate::model::{Classifier, ClassifierParams};
use crate::{Error, Result};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// Mean and standard deviation over folds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stat {
    pub mean: f64,
    pub std: f64,
}

impl Stat {
    fn of(values: &[f64]) -> Stat {
        let n = values.len().max(1) as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        Stat {
            mean,
            std: var.sqrt(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CvReport {
    pub c: f64,
    pub folds: usize,
    pub documents: usize,
    pub accuracy: Stat,
    pub micro_f1: Stat,
    pub macro_f1: Stat,
    pub per_label_f1: BTreeMap<String, Stat>,
    /// Share of held-out background documents given a label (with
    /// background data only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub background_labelled: Option<Stat>,
}

/// Cross-validates `params` on `docs` with `k` stratified folds (iterative
/// stratification for multi-label data). Deterministic for a seed; folds
/// train in parallel.
pub fn cross_validate(
    params: &ClassifierParams,
    docs: &[LabelledDocument],
    k: usize,
    seed: u64,
) -> Result<CvReport> {
    cross_validate_with_background(params, docs, &[], k, seed)
}

/// [`cross_validate`] for a model with a relevance gate: background
/// documents are dealt round the folds in order, each fold's model is
/// trained with the others' background, and the report adds how many
/// held-out background documents got a label.
pub fn cross_validate_with_background(
    params: &ClassifierParams,
    docs: &[LabelledDocument],
    background: &[LabelledDocument],
    k: usize,
    seed: u64,
) -> Result<CvReport> {
    if k < 2 {
        return Err(Error::InvalidParams(format!(
            "cross-validation needs at least 2 folds, got {k}"
        )));
    }
    if docs.len() < k {
        return Err(Error::Training(format!(
            "{} documents cannot be split into {k} folds",
            docs.len()
        )));
    }
    let mut labels = crate::model::label_set(docs);
    let sets: Vec<Vec<usize>> = docs
        .iter()
        .map(|d| label_indices(&mut labels, &d.labels))
        .collect();
    let multi = params.multi_label || sets.iter().any(|s| s.len() != 1);
    let mut params = params.clone();
    params.multi_label = multi;
    let fold_of = stratified_folds(&sets, labels.len(), k, seed);

    let results: Vec<(Report, Option<f64>)> = (0..k)
        .into_par_iter()
        .map(|fold| {
            let train: Vec<LabelledDocument> = docs
                .iter()
                .zip(&fold_of)
                .filter(|(_, &f)| f != fold)
                .map(|(d, _)| d.clone())
                .collect();
            let test: Vec<usize> = (0..docs.len()).filter(|&i| fold_of[i] == fold).collect();
            let train_background: Vec<LabelledDocument> = background
                .iter()
                .enumerate()
                .filter(|(j, _)| j % k != fold)
                .map(|(_, d)| d.clone())
                .collect();
            let model =
                Classifier::fit_with_background(params.clone(), &train, &train_background, &|_| {})
                    .map_err(|e| match e {
                        // The whole data may be fine: what failed is the
                        // part of it left for training once a fold is out.
                        Error::Training(why) => Error::Training(format!(
                            "fold {} of {k} ({} training documents): {why}; the data is too \
                             small or uneven for {k} folds: use fewer --folds or label more \
                             documents of the rare labels",
                            fold + 1,
                            train.len()
                        )),
                        other => other,
                    })?;
            let held_background: Vec<&LabelledDocument> = background
                .iter()
                .enumerate()
                .filter(|(j, _)| j % k == fold)
                .map(|(_, d)| d)
                .collect();
            let background_rate = (!held_background.is_empty()).then(|| {
                let labelled = held_background
                    .iter()
                    .filter(|d| !model.predict_text(&d.text).labels.is_empty())
                    .count();
                labelled as f64 / held_background.len() as f64
            });
            // The fold's model may lack a rare label; map truth into the
            // model's label order, appending labels it does not know.
            let mut names = model.labels().to_vec();
            let truth: Vec<Vec<usize>> = test
                .iter()
                .map(|&i| label_indices(&mut names, &docs[i].labels))
                .collect();
            let predicted: Vec<Vec<usize>> = test
                .iter()
                .map(|&i| model.predict_text(&docs[i].text).labels)
                .collect();
            let mut report = evaluate(&names, &truth, &predicted, !multi);
            report.per_label.sort_by(|a, b| a.0.cmp(&b.0));
            Ok((report, background_rate))
        })
        .collect::<Result<_>>()?;
    let rates: Vec<f64> = results.iter().filter_map(|r| r.1).collect();
    let reports: Vec<Report> = results.into_iter().map(|r| r.0).collect();

    let pick = |f: &dyn Fn(&Report) -> f64| Stat::of(&reports.iter().map(f).collect::<Vec<_>>());
    let mut per_label_f1 = BTreeMap::new();
    for label in &labels {
        let values: Vec<f64> = reports
            .iter()
            .map(|r| {
                r.per_label
                    .iter()
                    .find(|(l, _)| l == label)
                    .map_or(0.0, |(_, m)| m.f1)
            })
            .collect();
        per_label_f1.insert(label.clone(), Stat::of(&values));
    }
    Ok(CvReport {
        c: params.c,
        folds: k,
        documents: docs.len(),
        accuracy: pick(&|r| r.accuracy),
        micro_f1: pick(&|r| r.micro_f1),
        macro_f1: pick(&|r| r.macro_f1),
        per_label_f1,
        background_labelled: (!rates.is_empty()).then(|| Stat::of(&rates)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_is_population_mean_and_std() {
        let s = Stat::of(&[1.0, 3.0]);
        assert_eq!(s.mean, 2.0);
        assert_eq!(s.std, 1.0);
    }
}
