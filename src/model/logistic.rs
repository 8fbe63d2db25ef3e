//! L2-regularised logistic regression trained directly on a sparse CSR
//! matrix with argmin's L-BFGS.
//!
//! Objective (the same as linfa-logistic's and scikit-learn's):
//! sum over documents of the weighted log-loss + alpha/2 ||W||^2, with
//! alpha = 1/C and intercepts not penalised. The optimiser sees it divided by
//! the number of documents so that tolerances do not depend on corpus size.
//!
//! Parameters are laid out feature-major (`w[j * k + c]` is the weight of
//! feature j for output c) followed by the k intercepts: a document's scores
//! then read contiguous memory, and so does the gradient of one feature.
//!
//! Every sum is taken in an order that does not depend on the number of
//! threads, so the same data gives the same bits with 1 or 32 threads.

use super::parvec::ParVec;
use crate::features::SparseMatrix;
use crate::{Error, Result};
use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// How outputs relate to each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// One label per document: softmax over classes.
    Multinomial,
    /// Any set of labels per document: an independent sigmoid per label.
    OneVsRest,
}

/// Rows per work unit of the parallel passes. Fixed, so that summation order
/// and therefore results do not depend on the thread count.
const ROW_CHUNK: usize = 512;

/// Features per work unit of the backward pass.
const FEATURE_CHUNK: usize = 256;

/// The optimisation problem over one design matrix.
pub(crate) struct Problem<'a> {
    x: &'a SparseMatrix,
    /// X transposed, in CSR: row j lists the documents containing feature j.
    /// The transpose, for the backward pass; shared when several problems
    /// are fitted on one matrix (one per label of a one-vs-rest model).
    xt: std::borrow::Cow<'a, SparseMatrix>,
    /// Targets, n x k, 0 or 1.
    y: Vec<f64>,
    /// Weight of each (document, output) cell in the loss.
    weight: Vec<f64>,
    k: usize,
    alpha: f64,
    objective: Objective,
    last: Mutex<Option<Evaluation>>,
}

#[derive(Clone)]
struct Evaluation {
    params: ParVec,
    cost: f64,
    gradient: ParVec,
}

impl<'a> Problem<'a> {
    pub(crate) fn new(
        x: &'a SparseMatrix,
        y: Vec<f64>,
        weight: Vec<f64>,
        k: usize,
        alpha: f64,
        objective: Objective,
    ) -> Self {
        let xt = std::borrow::Cow::Owned(x.transpose_view().to_csr());
        Self::with_transpose(x, xt, y, weight, k, alpha, objective)
    }

    /// [`Problem::new`] with the transpose of `x` given.
    pub(crate) fn with_transpose(
        x: &'a SparseMatrix,
        xt: std::borrow::Cow<'a, SparseMatrix>,
        y: Vec<f64>,
        weight: Vec<f64>,
        k: usize,
        alpha: f64,
        objective: Objective,
    ) -> Self {
        Problem {
            x,
            xt,
            y,
            weight,
            k,
            alpha,
            objective,
            last: Mutex::new(None),
        }
    }

    fn n_params(&self) -> usize {
        self.x.cols() * self.k + self.k
    }

    /// Unscaled objective and gradient: sum of weighted losses plus the
    /// penalty. Scaling for the optimiser happens in the argmin adapters.
    pub(crate) fn evaluate(&self, params: &[f64]) -> (f64, Vec<f64>) {
        let k = self.k;
        let d = self.x.cols();
        let n = self.x.rows();
        let (w, b) = params.split_at(d * k);

        // The CSR arrays are read directly: with word pairs most features
        // occur in a handful of documents, and a sparse view per row or
        // feature cost more than the few products it held.
        let (row_ptr, row_cols, row_vals) = (self.x.indptr(), self.x.indices(), self.x.data());
        let row_ptr = row_ptr.to_proper();
        let (col_ptr, col_rows, col_vals) = (self.xt.indptr(), self.xt.indices(), self.xt.data());
        let col_ptr = col_ptr.to_proper();

        // Forward pass: residuals dLoss/dz for every (document, output) cell.
        let mut residual = vec![0.0; n * k];
        let partial: Vec<(f64, Vec<f64>)> = residual
            .par_chunks_mut(ROW_CHUNK * k)
            .enumerate()
            .map(|(chunk, out)| {
                let mut loss = 0.0;
                let mut bias_grad = vec![0.0; k];
                let mut z = vec![0.0; k];
                for (r, res) in out.chunks_mut(k).enumerate() {
                    let i = chunk * ROW_CHUNK + r;
                    let span = row_ptr[i]..row_ptr[i + 1];
                    let terms = row_cols[span.clone()].iter().zip(&row_vals[span]);
                    if k == 1 {
                        // One output (each label of a one-vs-rest model):
                        // the same sums, in the same order, without slices.
                        let mut s = b[0];
                        for (&j, &v) in terms {
                            s += v * w[j];
                        }
                        z[0] = s;
                    } else {
                        z.copy_from_slice(b);
                        for (&j, &v) in terms {
                            let wj = &w[j * k..j * k + k];
                            for c in 0..k {
                                z[c] += v * wj[c];
                            }
                        }
                    }
                    let y = &self.y[i * k..i * k + k];
                    let sw = &self.weight[i * k..i * k + k];
                    loss += match self.objective {
                        Objective::Multinomial => softmax_residual(&z, y, sw[0], res),
                        Objective::OneVsRest => sigmoid_residual(&z, y, sw, res),
                    };
                    for c in 0..k {
                        bias_grad[c] += res[c];
                    }
                }
                (loss, bias_grad)
            })
            .collect();

        let mut cost = 0.0;
        let mut gradient = vec![0.0; params.len()];
        for (loss, bias) in &partial {
            cost += loss;
            for c in 0..k {
                gradient[d * k + c] += bias[c];
            }
        }

        // Backward pass: gradient of feature j from the documents holding
        // it, features in blocks (one task per feature cost more than the
        // work of a rare one).
        let (gw, _) = gradient.split_at_mut(d * k);
        gw.par_chunks_mut(FEATURE_CHUNK * k)
            .enumerate()
            .for_each(|(chunk, block)| {
                for (f, g) in block.chunks_mut(k).enumerate() {
                    let j = chunk * FEATURE_CHUNK + f;
                    let span = col_ptr[j]..col_ptr[j + 1];
                    let docs = col_rows[span.clone()].iter().zip(&col_vals[span]);
                    if k == 1 {
                        let mut s = 0.0;
                        for (&i, &v) in docs {
                            s += v * residual[i];
                        }
                        g[0] = s + self.alpha * w[j];
                    } else {
                        for (&i, &v) in docs {
                            let res = &residual[i * k..i * k + k];
                            for c in 0..k {
                                g[c] += v * res[c];
                            }
                        }
                        let wj = &w[j * k..j * k + k];
                        for c in 0..k {
                            g[c] += self.alpha * wj[c];
                        }
                    }
                }
            });
        let penalty: f64 = w
            .par_chunks(ROW_CHUNK * k)
            .map(|c| c.iter().map(|x| x * x).sum::<f64>())
            .collect::<Vec<_>>()
            .iter()
            .sum();
        cost += 0.5 * self.alpha * penalty;
        (cost, gradient)
    }

    /// argmin asks for the cost and the gradient at the same point in two
    /// calls; both come from one pass, so the last evaluation is kept.
    fn evaluate_cached(&self, params: &ParVec) -> Evaluation {
        if let Ok(guard) = self.last.lock() {
            if let Some(e) = guard.as_ref() {
                if e.params == *params {
                    return e.clone();
                }
            }
        }
        let (cost, mut gradient) = self.evaluate(params.as_slice());
        let scale = 1.0 / self.x.rows().max(1) as f64;
        gradient.par_iter_mut().for_each(|g| *g *= scale);
        let e = Evaluation {
            params: params.clone(),
            cost: cost * scale,
            gradient: ParVec::new(gradient),
        };
        if let Ok(mut guard) = self.last.lock() {
            *guard = Some(e.clone());
        }
        e
    }
}

/// Softmax cross-entropy of one document; writes weighted residuals
/// (p - y) and returns the weighted loss.
fn softmax_residual(z: &[f64], y: &[f64], weight: f64, res: &mut [f64]) -> f64 {
    let max = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for (r, &zc) in res.iter_mut().zip(z) {
        *r = (zc - max).exp();
        sum += *r;
    }
    let log_sum = sum.ln() + max;
    let mut loss = 0.0;
    for c in 0..z.len() {
        let p = res[c] / sum;
        loss += y[c] * (log_sum - z[c]);
        res[c] = weight * (p - y[c]);
    }
    weight * loss
}

/// Independent sigmoid log-losses of one document.
fn sigmoid_residual(z: &[f64], y: &[f64], weight: &[f64], res: &mut [f64]) -> f64 {
    let mut loss = 0.0;
    for c in 0..z.len() {
        // log(1 + e^z) - y z, computed without overflow.
        let softplus = if z[c] > 0.0 {
            z[c] + (-z[c]).exp().ln_1p()
        } else {
            z[c].exp().ln_1p()
        };
        loss += weight[c] * (softplus - y[c] * z[c]);
        res[c] = weight[c] * (sigmoid(z[c]) - y[c]);
    }
    loss
}

/// Log-odds of each of the `intercepts.len()` outputs for one sparse row,
/// with feature-major `weights` (`weights[j * k + c]`).
pub(crate) fn linear_scores(
    weights: &[f64],
    intercepts: &[f64],
    row: impl IntoIterator<Item = (usize, f64)>,
) -> Vec<f64> {
    let k = intercepts.len();
    let mut z = intercepts.to_vec();
    for (j, v) in row {
        let w = &weights[j * k..j * k + k];
        for c in 0..k {
            z[c] += v * w[c];
        }
    }
    z
}

pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

impl CostFunction for Problem<'_> {
    type Param = ParVec;
    type Output = f64;

    fn cost(&self, params: &Self::Param) -> std::result::Result<f64, argmin::core::Error> {
        Ok(self.evaluate_cached(params).cost)
    }
}

impl Gradient for Problem<'_> {
    type Param = ParVec;
    type Gradient = ParVec;

    fn gradient(&self, params: &Self::Param) -> std::result::Result<ParVec, argmin::core::Error> {
        Ok(self.evaluate_cached(params).gradient)
    }
}

/// What the optimiser reports besides the weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Convergence {
    pub iterations: Option<u64>,
    /// Unscaled objective at the solution.
    pub objective: f64,
    pub converged: bool,
}

/// L-BFGS history length. Each remembered pair costs several passes over
/// the whole parameter vector per iteration; on 20 Newsgroups, 5 pairs
/// converged in fewer iterations than 10 and each iteration was cheaper.
const HISTORY: usize = 5;

/// Minimises the problem from zero weights.
pub(crate) fn minimize(
    problem: Problem<'_>,
    max_iter: u64,
    tolerance: f64,
) -> Result<(Vec<f64>, Convergence)> {
    let n = problem.x.rows() as f64;
    let init = ParVec::new(vec![0.0; problem.n_params()]);
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), HISTORY)
        .with_tolerance_grad(tolerance)
        .and_then(|s| s.with_tolerance_cost(1e-12 * tolerance))
        .map_err(|e| Error::Training(format!("optimizer setup: {e}")))?;
    let result = Executor::new(problem, solver)
        .configure(|state| state.param(init).max_iters(max_iter))
        .run()
        .map_err(|e| Error::Training(format!("optimizer failed: {e}")))?;
    let state = result.state();
    let iterations = state.get_iter();
    let converged = iterations < max_iter;
    let params = state
        .get_best_param()
        .cloned()
        .ok_or_else(|| Error::Training("optimizer returned no solution".into()))?;
    let objective = state.get_best_cost() * n;
    if !objective.is_finite() || params.as_slice().iter().any(|p| !p.is_finite()) {
        return Err(Error::Training(
            "optimizer diverged (non-finite weights); try a smaller --c".into(),
        ));
    }
    Ok((
        params.into_vec(),
        Convergence {
            iterations: Some(iterations),
            objective,
            converged,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::tfidf_test_support::small_matrix;

    /// Central differences agree with the analytic gradient.
    fn check_gradient(objective: Objective, k: usize) {
        let x = small_matrix();
        let n = x.rows();
        let mut y = vec![0.0; n * k];
        for i in 0..n {
            y[i * k + i % k] = 1.0;
            if objective == Objective::OneVsRest && i % 2 == 0 {
                y[i * k + (i + 1) % k] = 1.0;
            }
        }
        if k == 1 {
            // Both classes, not every document positive.
            y = (0..n).map(|i| (i % 2) as f64).collect();
        }
        let weight: Vec<f64> = (0..n * k).map(|i| 1.0 + (i % 3) as f64 * 0.5).collect();
        let weight = if objective == Objective::Multinomial {
            (0..n * k).map(|i| weight[(i / k) * k]).collect()
        } else {
            weight
        };
        let p = Problem::new(&x, y, weight, k, 0.3, objective);
        let params: Vec<f64> = (0..p.n_params())
            .map(|i| ((i * 7) % 11) as f64 / 10.0 - 0.5)
            .collect();
        let (_, grad) = p.evaluate(&params);
        let h = 1e-6;
        for i in 0..params.len() {
            let mut plus = params.clone();
            plus[i] += h;
            let mut minus = params.clone();
            minus[i] -= h;
            let numeric = (p.evaluate(&plus).0 - p.evaluate(&minus).0) / (2.0 * h);
            assert!(
                (numeric - grad[i]).abs() < 1e-5 * (1.0 + numeric.abs()),
                "param {i}: numeric {numeric} analytic {}",
                grad[i]
            );
        }
    }

    #[test]
    fn multinomial_gradient_is_exact() {
        check_gradient(Objective::Multinomial, 3);
    }

    #[test]
    fn one_vs_rest_gradient_is_exact() {
        check_gradient(Objective::OneVsRest, 3);
    }

    /// One output takes its own path through the passes (each label of a
    /// one-vs-rest model is fitted as such a problem).
    #[test]
    fn single_output_gradient_is_exact() {
        check_gradient(Objective::OneVsRest, 1);
    }

    #[test]
    fn sigmoid_is_stable_at_extremes() {
        assert_eq!(sigmoid(1000.0), 1.0);
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert!((sigmoid(0.0) - 0.5).abs() < 1e-15);
    }
}
