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

/// F1 of a label's counts (0 without true positives).
fn f1_of((tp, fp, fn_): (usize, usize, usize)) -> f64 {
    if tp == 0 {
        0.0
    } else {
        2.0 * tp as f64 / (2 * tp + fp + fn_) as f64
    }
}

/// The middle of the grid thresholds whose F1 is within noise of the best.
///
/// Out-of-fold F1 is often flat around its maximum, and the exact argmax of
/// a flat curve jumps with any change to the data (a dozen new documents
/// moved one label's threshold from 0.21 to 0.44 with the same F1), and
/// with it how the model treats borderline documents. So every threshold
/// whose F1 is within `TOLERANCE_SE` standard errors of the best counts as
/// best, and the median of them is taken (nearest 0.5 between two middles).
fn best_threshold(at: impl Fn(f64) -> (usize, usize, usize)) -> f64 {
    let curve: Vec<(f64, f64, usize)> = grid()
        .map(|t| {
            let c = at(t);
            (t, f1_of(c), c.0 + c.2)
        })
        .collect();
    let Some(&(_, best, positives)) = curve.iter().max_by(|a, b| a.1.total_cmp(&b.1)) else {
        return 0.5;
    };
    if best <= 0.0 {
        return 0.5;
    }
    let se = (best * (1.0 - best) / positives.max(1) as f64).sqrt();
    let plateau: Vec<f64> = curve
        .iter()
        .filter(|p| p.1 >= best - TOLERANCE_SE * se - 1e-12)
        .map(|p| p.0)
        .collect();
    let m = plateau.len();
    if m % 2 == 1 {
        plateau[m / 2]
    } else {
        let (a, b) = (plateau[m / 2 - 1], plateau[m / 2]);
        if (a - 0.5).abs() <= (b - 0.5).abs() {
            a
        } else {
            b
        }
    }
}

/// How far below the best F1, in standard errors of that F1, a threshold
/// still counts as equally good.
const TOLERANCE_SE: f64 = 0.5;

/// For each label, the threshold with the best F1 of out-of-fold
/// predictions (the middle of the near-best plateau, [`best_threshold`]). Every head (labels, sentence
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

#[cfg(test)]
mod tests {
    use super::best_threshold;

    /// 100 positives; F1 flat at 0.90 between 0.20 and 0.60, lower outside.
    fn flat(t: f64) -> (usize, usize, usize) {
        if (0.2..=0.6).contains(&t) {
            (90, 10, 10)
        } else {
            (60, 40, 40)
        }
    }

    #[test]
    fn a_flat_optimum_gives_its_middle_not_an_edge() {
        let t = best_threshold(flat);
        assert!((t - 0.4).abs() < 1e-9, "{t}");
    }

    #[test]
    fn a_sharp_optimum_is_kept() {
        let sharp = |t: f64| {
            if (t - 0.3).abs() < 1e-9 {
                (95, 5, 5)
            } else {
                (50, 50, 50)
            }
        };
        assert!((best_threshold(sharp) - 0.3).abs() < 1e-9);
        assert_eq!(best_threshold(|_| (0, 5, 5)), 0.5);
    }
}
