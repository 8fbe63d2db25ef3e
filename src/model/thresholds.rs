//! Per-label decision thresholds tuned on out-of-fold predictions.

use super::{fit_linear, ClassifierParams, Objective};
use crate::eval::stratified_folds;
use crate::features::{select_rows, SparseMatrix};
use crate::Result;

/// Candidate thresholds: a coarse grid, because a threshold fitted to the
/// exact out-of-fold scores of a few hundred documents overfits them.
fn grid() -> impl Iterator<Item = f64> {
    (5..=95).map(|i| i as f64 / 100.0)
}

/// For each label, the threshold maximising F1 of out-of-fold predictions;
/// ties go to the threshold nearest 0.5. Also returns the out-of-fold
/// probabilities, from which honest metrics are stored in the model.
pub(crate) fn tune(
    params: &ClassifierParams,
    x: &SparseMatrix,
    label_sets: &[Vec<usize>],
    k: usize,
    folds: usize,
) -> Result<(Vec<f64>, Vec<Vec<f64>>)> {
    let n = label_sets.len();
    let fold_of = stratified_folds(label_sets, k, folds.min(n.max(2)), params.seed);
    let mut scores = vec![vec![0.0; k]; n];
    for fold in 0..folds {
        let train: Vec<usize> = (0..n).filter(|&i| fold_of[i] != fold).collect();
        let test: Vec<usize> = (0..n).filter(|&i| fold_of[i] == fold).collect();
        if train.is_empty() || test.is_empty() {
            continue;
        }
        let x_train = select_rows(x, &train);
        let sets: Vec<Vec<usize>> = train.iter().map(|&i| label_sets[i].clone()).collect();
        let (w, b, _) = fit_linear(params, &x_train, &sets, k, Objective::OneVsRest)?;
        for &i in &test {
            let mut z = b.clone();
            if let Some(row) = x.outer_view(i) {
                for (j, &v) in row.iter() {
                    for c in 0..k {
                        z[c] += v * w[j * k + c];
                    }
                }
            }
            scores[i] = z.into_iter().map(super::sigmoid).collect();
        }
    }
    let thresholds = (0..k)
        .map(|c| {
            let mut best: (f64, f64) = (f64::NEG_INFINITY, 0.5);
            for t in grid() {
                let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
                for i in 0..n {
                    let truth = label_sets[i].contains(&c);
                    let predicted = scores[i][c] >= t;
                    match (truth, predicted) {
                        (true, true) => tp += 1,
                        (false, true) => fp += 1,
                        (true, false) => fn_ += 1,
                        _ => {}
                    }
                }
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
        })
        .collect();
    Ok((thresholds, scores))
}
