//! Per-label decision thresholds tuned on out-of-fold predictions.

use super::heads::{Scored, TrainData};
use super::ClassifierParams;
use crate::eval::stratified_folds;
use crate::Result;

/// Candidate thresholds: a coarse grid, because a threshold fitted to the
/// exact out-of-fold scores of a few hundred documents overfits them, and
/// finer steps below 0.05, where a rare label's probabilities lie (a label
/// with ten examples among thousands of documents rarely scores above 0.1
/// even on its own documents).
fn grid() -> impl Iterator<Item = f64> {
    [0.005, 0.01, 0.02, 0.03, 0.04]
        .into_iter()
        .chain((5..=95).map(|i| i as f64 / 100.0))
}

/// Labels with fewer training documents than this get one threshold
/// shared by all of them, tuned on their pooled out-of-fold predictions:
/// the F1 of one label with three examples swings from 0 to 1 with a
/// single document, so its own best threshold is noise, while their pooled
/// counts are a real estimate.
pub const POOLED_BELOW: usize = 10;

/// tp, fp, fn of label `c` at threshold `t`.
fn counts(
    data: &TrainData<'_>,
    scores: &[Scored],
    relevant: &dyn Fn(&Scored) -> bool,
    c: usize,
    t: f64,
) -> (usize, usize, usize) {
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    for (set, scored) in data.label_sets.iter().zip(scores) {
        let truth = set.contains(&c);
        let predicted = scored.scores[c] >= t && relevant(scored);
        match (truth, predicted) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fn_ += 1,
            _ => {}
        }
    }
    (tp, fp, fn_)
}

/// The grid threshold with the best F1 for the counts `at` gives; ties go
/// to the threshold nearest 0.5.
fn best_threshold(at: impl Fn(f64) -> (usize, usize, usize)) -> f64 {
    let mut best: (f64, f64) = (f64::NEG_INFINITY, 0.5);
    for t in grid() {
        let (tp, fp, fn_) = at(t);
        let f1 = if tp == 0 {
            0.0
        } else {
            2.0 * tp as f64 / (2 * tp + fp + fn_) as f64
        };
        let closer = (t - 0.5).abs() < (best.1 - 0.5).abs();
        if f1 > best.0 + 1e-12 || ((f1 - best.0).abs() <= 1e-12 && closer) {
            best = (f1, t);
        }
    }
    best.1
}

/// For each label, the threshold maximising F1 of out-of-fold predictions;
/// ties go to the threshold nearest 0.5. Every head (labels, sentence
/// labels, relevance gate) is refitted in each fold, so the scores are those
/// the final model would give new documents. Also returns the out-of-fold
/// scores, from which honest metrics are stored in the model.
pub(crate) fn tune(
    params: &ClassifierParams,
    data: &TrainData<'_>,
    folds: usize,
) -> Result<(Vec<f64>, Vec<Scored>)> {
    let n = data.label_sets.len();
    let k = data.k;
    // Background documents are spread over the folds like a label of their own.
    let strata: Vec<Vec<usize>> = (0..n)
        .map(|i| {
            if data.background[i] {
                vec![k]
            } else {
                data.label_sets[i].clone()
            }
        })
        .collect();
    let fold_of = stratified_folds(&strata, k + 1, folds.min(n.max(2)), params.seed);
    let mut scores: Vec<Scored> = vec![
        Scored {
            relevance: None,
            scores: vec![0.0; k],
            sentence: vec![None; k],
        };
        n
    ];
    for fold in 0..folds {
        let train: Vec<usize> = (0..n).filter(|&i| fold_of[i] != fold).collect();
        let test: Vec<usize> = (0..n).filter(|&i| fold_of[i] == fold).collect();
        if train.is_empty() || test.is_empty() {
            continue;
        }
        let heads = data.fit(params, &train)?;
        for &i in &test {
            scores[i] = data.score(&heads, i);
        }
    }
    let relevant = |s: &Scored| s.relevance.is_none_or(|r| r >= params.relevance_threshold);
    let positives: Vec<usize> = (0..k)
        .map(|c| data.label_sets.iter().filter(|s| s.contains(&c)).count())
        .collect();
    let rare: Vec<usize> = (0..k).filter(|&c| positives[c] < POOLED_BELOW).collect();
    let pooled = best_threshold(|t| {
        rare.iter().fold((0, 0, 0), |acc, &c| {
            let (tp, fp, fn_) = counts(data, &scores, &relevant, c, t);
            (acc.0 + tp, acc.1 + fp, acc.2 + fn_)
        })
    });
    let thresholds = (0..k)
        .map(|c| {
            if positives[c] < POOLED_BELOW {
                pooled
            } else {
                best_threshold(|t| counts(data, &scores, &relevant, c, t))
            }
        })
        .collect();
    Ok((thresholds, scores))
}
