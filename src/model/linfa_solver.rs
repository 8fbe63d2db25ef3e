//! The same logistic regression trained with linfa-logistic on a dense
//! matrix. linfa only accepts dense ndarray input, which costs
//! n_documents x n_features x 8 bytes; it is offered for small corpora and as
//! an independent check of the sparse solver.

use super::logistic::{Convergence, Objective};
use crate::features::SparseMatrix;
use crate::{Error, Result};
use linfa::prelude::*;
use linfa_logistic::{LogisticRegression, MultiLogisticRegression};
use ndarray::Array1;

/// Default ceiling for the dense matrix linfa needs.
pub const DEFAULT_MAX_DENSE_BYTES: u64 = 512 * 1024 * 1024;

pub(crate) struct LinfaFit<'a> {
    pub x: &'a SparseMatrix,
    /// Targets, n x k, 0 or 1.
    pub y: &'a [f64],
    pub k: usize,
    pub alpha: f64,
    pub objective: Objective,
    pub max_iter: u64,
    /// Gradient tolerance on the per-document (scaled) objective, as for
    /// the sparse solver.
    pub tolerance: f64,
    pub max_dense_bytes: u64,
}

impl LinfaFit<'_> {
    /// Returns parameters in the sparse solver's layout (feature-major
    /// weights, then intercepts).
    pub fn run(&self) -> Result<(Vec<f64>, Convergence)> {
        let (n, d) = (self.x.rows(), self.x.cols());
        let bytes = (n as u64).saturating_mul(d as u64).saturating_mul(8);
        if bytes > self.max_dense_bytes {
            return Err(Error::Training(format!(
                "--solver linfa needs a dense {n} x {d} matrix ({} MiB), over the {} MiB budget; \
                 use --solver lbfgs (sparse), lower --max-features, or raise --max-dense-mb",
                bytes / (1024 * 1024),
                self.max_dense_bytes / (1024 * 1024)
            )));
        }
        let dense = self.x.to_dense();
        let k = self.k;
        // linfa's tolerance applies to the summed objective.
        let tolerance = self.tolerance * n as f64;
        let mut params = vec![0.0; d * k + k];
        match self.objective {
            Objective::Multinomial => {
                let targets: Array1<usize> = (0..n)
                    .map(|i| (0..k).find(|&c| self.y[i * k + c] > 0.5).unwrap_or(0))
                    .collect();
                let model = MultiLogisticRegression::default()
                    .alpha(self.alpha)
                    .max_iterations(self.max_iter)
                    .gradient_tolerance(tolerance)
                    .fit(&Dataset::new(dense, targets))
                    .map_err(|e| Error::Training(format!("linfa: {e}")))?;
                if model.classes().len() != k {
                    return Err(Error::Training(
                        "linfa: every class needs at least one training document".into(),
                    ));
                }
                for (c, &class) in model.classes().iter().enumerate() {
                    for j in 0..d {
                        params[j * k + class] = model.params()[[j, c]];
                    }
                    params[d * k + class] = model.intercept()[c];
                }
            }
            Objective::OneVsRest => {
                for c in 0..k {
                    let targets: Array1<bool> = (0..n).map(|i| self.y[i * k + c] > 0.5).collect();
                    let model = LogisticRegression::default()
                        .alpha(self.alpha)
                        .max_iterations(self.max_iter)
                        .gradient_tolerance(tolerance)
                        .fit(&Dataset::new(dense.clone(), targets))
                        .map_err(|e| Error::Training(format!("linfa, label {c}: {e}")))?;
                    // linfa's positive class is the larger target value: true.
                    let sign = if model.labels().pos.class { 1.0 } else { -1.0 };
                    for j in 0..d {
                        params[j * k + c] = sign * model.params()[j];
                    }
                    params[d * k + c] = sign * model.intercept();
                }
            }
        }
        let objective = objective_value(self.x, self.y, k, self.alpha, self.objective, &params);
        Ok((
            params,
            Convergence {
                // linfa's fitted models do not report their iteration count.
                iterations: None,
                objective,
                converged: true,
            },
        ))
    }
}

/// Unscaled objective of given parameters, with unit document weights.
pub(crate) fn objective_value(
    x: &SparseMatrix,
    y: &[f64],
    k: usize,
    alpha: f64,
    objective: Objective,
    params: &[f64],
) -> f64 {
    let problem =
        super::logistic::Problem::new(x, y.to_vec(), vec![1.0; y.len()], k, alpha, objective);
    problem.evaluate(params).0
}
