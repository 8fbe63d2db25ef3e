//! What a model fits on top of TF-IDF rows, and how it scores a document.
//!
//! Three kinds of head share one feature space:
//! - document labels: a logistic regression on the whole document's row;
//! - sentence labels: a logistic regression on sentence rows, and a document
//!   scores as its strongest sentence. A label such as `intelligence` means
//!   one explicit requirement ("each participant reports on cooperation with
//!   other countries"); a document-level model learns instead the generic
//!   words that such documents also contain. The sentence model is learnt
//!   from document labels by multiple-instance learning (MI-SVM style): in a
//!   positive document the best-scoring sentence is the positive instance,
//!   every sentence of a negative document is a negative instance, and the
//!   choice of instance and the model are refitted in turn;
//! - the relevance gate: a logistic regression separating the labelled
//!   corpus from background (out-of-domain) documents. A label's reported
//!   score is relevance x the label's own probability, so that a football
//!   fixture list scores low whatever words it shares with a trade course.

use super::logistic::linear_scores;
use super::{fit_linear, sigmoid, ClassWeight, ClassifierParams, Convergence, Objective, Solver};
use crate::features::{select_rows, SparseMatrix};
use crate::Result;
use std::ops::Range;

/// Rounds of instance selection and refitting; the selection is stable
/// after two or three on the program corpus.
const MIL_ROUNDS: usize = 5;

/// The relevance gate's weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    pub weights: Vec<f64>,
    pub intercept: f64,
}

impl Gate {
    pub fn log_odds(&self, row: &[(u32, f64)]) -> f64 {
        self.intercept
            + row
                .iter()
                .map(|&(j, v)| v * self.weights[j as usize])
                .sum::<f64>()
    }

    pub fn probability(&self, row: &[(u32, f64)]) -> f64 {
        sigmoid(self.log_odds(row))
    }
}

/// Sentence rows of every training document.
pub(crate) struct SentenceData {
    pub x: SparseMatrix,
    /// Rows of `x` that belong to each document.
    pub spans: Vec<Range<usize>>,
}

/// A training set as the heads see it.
pub(crate) struct TrainData<'a> {
    /// Document rows, as the gate sees them.
    pub x: &'a SparseMatrix,
    /// Document rows as the label heads see them: `x` without the columns
    /// of label stop words (the same matrix when there are none).
    pub x_labels: &'a SparseMatrix,
    /// Label indices per document; empty for background documents.
    pub label_sets: &'a [Vec<usize>],
    pub background: &'a [bool],
    pub sentences: Option<&'a SentenceData>,
    /// Per label: scored by its strongest sentence.
    pub sentence_scoped: &'a [bool],
    pub k: usize,
    pub objective: Objective,
}

/// Fitted weights: `weights[j * k + c]` (a sentence model for sentence
/// labels), intercepts, and the gate when there was background data.
pub(crate) struct Heads {
    pub weights: Vec<f64>,
    pub intercepts: Vec<f64>,
    pub gate: Option<Gate>,
    pub convergence: Convergence,
}

/// A document's result before decisions.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// Probability that the document belongs to the labelled domain; `None`
    /// for a model trained without background documents.
    pub relevance: Option<f64>,
    /// Per label: relevance x the label's probability.
    pub scores: Vec<f64>,
    /// Per label: the index of the sentence a sentence label's score comes
    /// from (`None` for document labels or a document without sentences).
    pub sentence: Vec<Option<usize>>,
}

fn row_of(x: &SparseMatrix, i: usize) -> Vec<(u32, f64)> {
    x.outer_view(i)
        .map(|r| r.iter().map(|(j, &v)| (j as u32, v)).collect())
        .unwrap_or_default()
}

/// The settings used for the gate and the sentence models: classes are
/// weighed equally (a few hundred positive sentences among tens of
/// thousands), and the sparse solver, which supports weights, fits them.
fn balanced(params: &ClassifierParams) -> ClassifierParams {
    ClassifierParams {
        class_weight: ClassWeight::Balanced,
        solver: Solver::Lbfgs,
        ..params.clone()
    }
}

/// Scores one document from its row and its sentence rows. Shared by
/// training (out-of-fold scores, threshold tuning) and prediction, so the
/// two cannot disagree.
pub(crate) fn score(
    weights: &[f64],
    intercepts: &[f64],
    gate: Option<&Gate>,
    objective: Objective,
    sentence_scoped: &[bool],
    row: &[(u32, f64)],
    sentence_rows: &[Vec<(u32, f64)>],
) -> Scored {
    let k = intercepts.len();
    let z = linear_scores(
        weights,
        intercepts,
        row.iter().map(|&(j, v)| (j as usize, v)),
    );
    let mut probs: Vec<f64> = match objective {
        Objective::OneVsRest => z.iter().map(|&v| sigmoid(v)).collect(),
        Objective::Multinomial => {
            let max = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let exp: Vec<f64> = z.iter().map(|v| (v - max).exp()).collect();
            let sum: f64 = exp.iter().sum();
            exp.into_iter().map(|e| e / sum).collect()
        }
    };
    let mut sentence = vec![None; k];
    if sentence_scoped.iter().any(|&s| s) {
        let mut best: Vec<Option<(usize, f64)>> = vec![None; k];
        for (s, srow) in sentence_rows.iter().enumerate() {
            // Only the sentence labels' log-odds, summed in the order
            // `linear_scores` uses, so training and prediction agree bit for bit.
            for c in (0..k).filter(|&c| sentence_scoped[c]) {
                let zc = srow.iter().fold(intercepts[c], |z, &(j, v)| {
                    z + v * weights[j as usize * k + c]
                });
                if best[c].is_none_or(|(_, b)| zc > b) {
                    best[c] = Some((s, zc));
                }
            }
        }
        for c in (0..k).filter(|&c| sentence_scoped[c]) {
            match best[c] {
                Some((s, zc)) => {
                    probs[c] = sigmoid(zc);
                    sentence[c] = Some(s);
                }
                // No sentence: the intercept alone.
                None => probs[c] = sigmoid(intercepts[c]),
            }
        }
    }
    let relevance = gate.map(|g| g.probability(row));
    if let Some(r) = relevance {
        for p in &mut probs {
            *p *= r;
        }
    }
    Scored {
        relevance,
        scores: probs,
        sentence,
    }
}

impl TrainData<'_> {
    fn sentence_rows(&self, i: usize) -> Vec<Vec<(u32, f64)>> {
        match self.sentences {
            Some(s) if self.sentence_scoped.iter().any(|&b| b) => {
                s.spans[i].clone().map(|r| row_of(&s.x, r)).collect()
            }
            _ => Vec::new(),
        }
    }

    /// Scores document `i` with fitted heads.
    pub fn score(&self, heads: &Heads, i: usize) -> Scored {
        score(
            &heads.weights,
            &heads.intercepts,
            heads.gate.as_ref(),
            self.objective,
            self.sentence_scoped,
            &row_of(self.x, i),
            &self.sentence_rows(i),
        )
    }

    /// Fits every head on the documents `rows`.
    pub fn fit(&self, params: &ClassifierParams, rows: &[usize]) -> Result<Heads> {
        let k = self.k;
        // Labels are fitted on the labelled domain only: their probabilities
        // are conditional on relevance, which the gate estimates. (Fitting
        // background as negatives too penalised real program pages twice for
        // the words they share with near-domain news.)
        let label_rows: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&i| !self.background[i])
            .collect();
        let x_labels = select_rows(self.x_labels, &label_rows);
        let sets: Vec<Vec<usize>> = label_rows
            .iter()
            .map(|&i| self.label_sets[i].clone())
            .collect();
        let (mut weights, mut intercepts, convergence) =
            fit_linear(params, &x_labels, &sets, k, self.objective)?;

        let has_background = rows.iter().any(|&i| self.background[i]);
        let has_domain = rows.iter().any(|&i| !self.background[i]);
        let gate = if has_background && has_domain {
            let x_rows = select_rows(self.x, rows);
            let sets: Vec<Vec<usize>> = rows
                .iter()
                .map(|&i| if self.background[i] { vec![] } else { vec![0] })
                .collect();
            let (w, b, _) = fit_linear(&balanced(params), &x_rows, &sets, 1, Objective::OneVsRest)?;
            Some(Gate {
                weights: w,
                intercept: b[0],
            })
        } else {
            None
        };

        if let Some(sentences) = self.sentences {
            for c in (0..k).filter(|&c| self.sentence_scoped[c]) {
                if let Some((w, b)) =
                    self.fit_sentence_label(params, sentences, rows, c, &weights, &intercepts)?
                {
                    for (j, v) in w.into_iter().enumerate() {
                        weights[j * k + c] = v;
                    }
                    intercepts[c] = b;
                }
            }
        }
        Ok(Heads {
            weights,
            intercepts,
            gate,
            convergence,
        })
    }

    /// Multiple-instance learning of label `c` on sentences, starting from
    /// the document-level weights' choice of sentence. `None` when the label
    /// has no positive document with a sentence, or no negative sentence.
    fn fit_sentence_label(
        &self,
        params: &ClassifierParams,
        sentences: &SentenceData,
        rows: &[usize],
        c: usize,
        doc_weights: &[f64],
        doc_intercepts: &[f64],
    ) -> Result<Option<(Vec<f64>, f64)>> {
        let k = self.k;
        let d = self.x.cols();
        let mut bags: Vec<Range<usize>> = Vec::new();
        let mut negatives: Vec<usize> = Vec::new();
        for &i in rows {
            // The gate deals with background; the label is conditional on
            // relevance, as for document labels.
            if self.background[i] {
                continue;
            }
            let span = sentences.spans[i].clone();
            if self.label_sets[i].contains(&c) {
                if !span.is_empty() {
                    bags.push(span);
                }
            } else {
                negatives.extend(span);
            }
        }
        if bags.is_empty() || negatives.is_empty() {
            return Ok(None);
        }
        let pick = |w: &dyn Fn(usize) -> f64, b: f64| -> Vec<usize> {
            bags.iter()
                .map(|span| {
                    let mut best = (span.start, f64::NEG_INFINITY);
                    for s in span.clone() {
                        let z = b + row_of(&sentences.x, s)
                            .iter()
                            .map(|&(j, v)| v * w(j as usize))
                            .sum::<f64>();
                        if z > best.1 {
                            best = (s, z);
                        }
                    }
                    best.0
                })
                .collect()
        };
        let mut chosen = pick(&|j| doc_weights[j * k + c], doc_intercepts[c]);
        let p = balanced(params);
        let mut fitted = (vec![0.0; d], 0.0);
        for _ in 0..MIL_ROUNDS {
            let mut idx = chosen.clone();
            idx.extend_from_slice(&negatives);
            let xs = select_rows(&sentences.x, &idx);
            let sets: Vec<Vec<usize>> = (0..idx.len())
                .map(|n| if n < chosen.len() { vec![0] } else { vec![] })
                .collect();
            let (w, b, _) = fit_linear(&p, &xs, &sets, 1, Objective::OneVsRest)?;
            let again = pick(&|j| w[j], b[0]);
            fitted = (w, b[0]);
            if again == chosen {
                break;
            }
            chosen = again;
        }
        Ok(Some(fitted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::assemble_rows;

    /// Four features: 0 and 1 are generic (in every sentence of every
    /// document), 2 marks the requirement sentence, 3 is noise.
    #[test]
    fn multiple_instance_learning_finds_the_sentence_that_matters() {
        let generic = vec![(0u32, 0.7), (1, 0.7)];
        let requirement = vec![(1u32, 0.6), (2, 0.8)];
        let noise = vec![(0u32, 0.6), (3, 0.8)];
        // Documents 0-5 positive (a generic sentence + the requirement),
        // 6-11 negative (generic + noise).
        let mut sentence_rows = Vec::new();
        let mut spans = Vec::new();
        for i in 0..12 {
            let start = sentence_rows.len();
            sentence_rows.push(generic.clone());
            sentence_rows.push(if i < 6 {
                requirement.clone()
            } else {
                noise.clone()
            });
            spans.push(start..sentence_rows.len());
        }
        let doc_rows: Vec<Vec<(u32, f64)>> = (0..12)
            .map(|i| {
                if i < 6 {
                    vec![(0, 0.5), (1, 0.7), (2, 0.5)]
                } else {
                    vec![(0, 0.7), (1, 0.5), (3, 0.5)]
                }
            })
            .collect();
        let x = assemble_rows(doc_rows, 4);
        let sentences = SentenceData {
            x: assemble_rows(sentence_rows, 4),
            spans,
        };
        let label_sets: Vec<Vec<usize>> = (0..12)
            .map(|i| if i < 6 { vec![0] } else { vec![] })
            .collect();
        let background = vec![false; 12];
        let data = TrainData {
            x: &x,
            x_labels: &x,
            label_sets: &label_sets,
            background: &background,
            sentences: Some(&sentences),
            sentence_scoped: &[true],
            k: 1,
            objective: Objective::OneVsRest,
        };
        let params = ClassifierParams {
            multi_label: true,
            ..ClassifierParams::default()
        };
        let heads = data
            .fit(&params, &(0..12).collect::<Vec<_>>())
            .expect("fit");
        assert!(
            heads.weights[2] > 1.0,
            "requirement weight {}",
            heads.weights[2]
        );
        assert!(heads.weights[2] > 3.0 * heads.weights[1].abs());
        let s = data.score(&heads, 0);
        assert_eq!(s.sentence, vec![Some(1)]);
        assert!(s.scores[0] > 0.5);
        assert!(data.score(&heads, 7).scores[0] < 0.5);
        // A generic sentence alone is not enough.
        let lone = score(
            &heads.weights,
            &heads.intercepts,
            None,
            Objective::OneVsRest,
            &[true],
            &generic,
            std::slice::from_ref(&generic),
        );
        assert!(lone.scores[0] < 0.5, "{:?}", lone.scores);
    }
}
