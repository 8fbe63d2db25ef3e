//! Classification metrics, with scikit-learn's conventions: a ratio with a
//! zero denominator counts as 0; macro averages weigh every label equally;
//! micro averages pool all label decisions.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelMetrics {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
    /// The label's confusion counts: documents given it rightly (true
    /// positives), wrongly (false positives), missing it (false negatives)
    /// and rightly without it (true negatives). Absent from model files
    /// written before they were recorded.
    #[serde(default)]
    pub tp: usize,
    #[serde(default)]
    pub fp: usize,
    #[serde(default, rename = "fn")]
    pub fn_: usize,
    #[serde(default)]
    pub tn: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub n: usize,
    /// Single-label: share of documents whose label is right. Multi-label:
    /// subset accuracy, the share whose whole label set is right.
    pub accuracy: f64,
    pub micro_f1: f64,
    pub macro_f1: f64,
    /// In label order.
    pub per_label: Vec<(String, LabelMetrics)>,
    /// `confusion[true][predicted]`, single-label only.
    pub confusion: Option<Vec<Vec<usize>>>,
}

/// Positions of `labels` in `names`, appending the names not there yet, so
/// true labels a model does not know get indices past its own (they can
/// only be missed). A label listed twice counts once.
pub fn label_indices(names: &mut Vec<String>, labels: &[String]) -> Vec<usize> {
    let mut set = Vec::with_capacity(labels.len());
    for label in labels {
        let idx = match names.iter().position(|x| x == label) {
            Some(i) => i,
            None => {
                names.push(label.clone());
                names.len() - 1
            }
        };
        if !set.contains(&idx) {
            set.push(idx);
        }
    }
    set
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn f1(precision: f64, recall: f64) -> f64 {
    if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    }
}

/// Compares predicted label sets with true ones. `labels` names the label
/// indices used in both.
pub fn evaluate(
    labels: &[String],
    truth: &[Vec<usize>],
    predicted: &[Vec<usize>],
    single_label: bool,
) -> Report {
    let k = labels.len();
    let n = truth.len().min(predicted.len());
    let mut tp = vec![0usize; k];
    let mut fp = vec![0usize; k];
    let mut fn_ = vec![0usize; k];
    let mut exact = 0;
    let mut confusion = vec![vec![0usize; k]; k];
    for (t, p) in truth.iter().zip(predicted) {
        let mut t_sorted = t.clone();
        t_sorted.sort_unstable();
        let mut p_sorted = p.clone();
        p_sorted.sort_unstable();
        if t_sorted == p_sorted {
            exact += 1;
        }
        for c in 0..k {
            match (t.contains(&c), p.contains(&c)) {
                (true, true) => tp[c] += 1,
                (false, true) => fp[c] += 1,
                (true, false) => fn_[c] += 1,
                (false, false) => {}
            }
        }
        if single_label {
            if let (Some(&tc), Some(&pc)) = (t.first(), p.first()) {
                if tc < k && pc < k {
                    confusion[tc][pc] += 1;
                }
            }
        }
    }
    let per_label: Vec<(String, LabelMetrics)> = (0..k)
        .map(|c| {
            let precision = ratio(tp[c], tp[c] + fp[c]);
            let recall = ratio(tp[c], tp[c] + fn_[c]);
            (
                labels[c].clone(),
                LabelMetrics {
                    precision,
                    recall,
                    f1: f1(precision, recall),
                    support: tp[c] + fn_[c],
                    tp: tp[c],
                    fp: fp[c],
                    fn_: fn_[c],
                    tn: n.saturating_sub(tp[c] + fp[c] + fn_[c]),
                },
            )
        })
        .collect();
    let (stp, sfp, sfn) = (
        tp.iter().sum(),
        fp.iter().sum::<usize>(),
        fn_.iter().sum::<usize>(),
    );
    let micro_p = ratio(stp, stp + sfp);
    let micro_r = ratio(stp, stp + sfn);
    let macro_f1 = if k == 0 {
        0.0
    } else {
        per_label.iter().map(|(_, m)| m.f1).sum::<f64>() / k as f64
    };
    Report {
        n,
        accuracy: ratio(exact, n),
        micro_f1: f1(micro_p, micro_r),
        macro_f1,
        per_label,
        confusion: single_label.then_some(confusion),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(k: usize) -> Vec<String> {
        (0..k).map(|i| format!("l{i}")).collect()
    }

    #[test]
    fn single_label_matches_hand_computation() {
        // truth: 0 0 1 1 2 ; predicted: 0 1 1 1 0
        let t = vec![vec![0], vec![0], vec![1], vec![1], vec![2]];
        let p = vec![vec![0], vec![1], vec![1], vec![1], vec![0]];
        let r = evaluate(&names(3), &t, &p, true);
        assert!((r.accuracy - 0.6).abs() < 1e-12);
        let m0 = &r.per_label[0].1;
        assert!((m0.precision - 0.5).abs() < 1e-12 && (m0.recall - 0.5).abs() < 1e-12);
        let m1 = &r.per_label[1].1;
        assert!((m1.precision - 2.0 / 3.0).abs() < 1e-12 && (m1.recall - 1.0).abs() < 1e-12);
        assert_eq!(r.per_label[2].1.f1, 0.0);
        // Micro F1 equals accuracy for single-label data.
        assert!((r.micro_f1 - 0.6).abs() < 1e-12);
        let macro_f1 = (0.5 + 0.8 + 0.0) / 3.0;
        assert!((r.macro_f1 - macro_f1).abs() < 1e-12);
        let c = r.confusion.expect("single-label has a confusion matrix");
        assert_eq!(c[0], vec![1, 1, 0]);
        assert_eq!(c[2], vec![1, 0, 0]);
    }

    #[test]
    fn multi_label_uses_subset_accuracy() {
        let t = vec![vec![0, 1], vec![], vec![1]];
        let p = vec![vec![0], vec![], vec![1]];
        let r = evaluate(&names(2), &t, &p, false);
        assert!((r.accuracy - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(r.per_label[1].1.support, 2);
        assert!((r.per_label[1].1.recall - 0.5).abs() < 1e-12);
        assert!(r.confusion.is_none());
    }
}
