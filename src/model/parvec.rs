//! The optimiser's parameter vector: a plain `Vec<f64>` whose arithmetic runs
//! on all cores.
//!
//! argmin's L-BFGS does a few dozen whole-vector operations per iteration
//! (the two-loop recursion over its history). With 20 classes and 50,000
//! terms a vector holds a million values, and on the 20 Newsgroups corpus
//! those single-threaded ndarray operations took longer than the gradients
//! themselves. Implementing argmin-math's traits for this type spreads them
//! over the cores. Reductions (dot products, norms) add fixed-size chunk
//! partials in chunk order, so results do not depend on the thread count.
//!
//! argmin also clones parameter and gradient vectors freely (into its state,
//! its line search, its best-so-far record): a dozen 8 MB copies per
//! iteration, which profiling showed cost more than the arithmetic. The
//! values are never mutated after creation, so they are shared behind an
//! `Arc` and a clone is a reference-count increment.

use argmin_math::{
    ArgminAdd, ArgminDot, ArgminL1Norm, ArgminL2Norm, ArgminMinMax, ArgminMul, ArgminScaledAdd,
    ArgminSignum, ArgminSub, ArgminZeroLike,
};
use rayon::prelude::*;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
pub struct ParVec(Arc<Vec<f64>>);

/// Elements per parallel work unit; also the reduction granularity.
const CHUNK: usize = 1 << 14;

impl ParVec {
    pub fn new(values: Vec<f64>) -> Self {
        ParVec(Arc::new(values))
    }

    pub fn as_slice(&self) -> &[f64] {
        &self.0
    }

    /// The values, copied only if still shared.
    pub fn into_vec(self) -> Vec<f64> {
        Arc::try_unwrap(self.0).unwrap_or_else(|shared| (*shared).clone())
    }

    // Results are collected straight into their allocation: zero-filling a
    // fresh vector first would add a pass over memory to every operation.
    fn map(&self, f: impl Fn(f64) -> f64 + Sync + Send) -> ParVec {
        ParVec::new(
            self.0
                .par_iter()
                .with_min_len(CHUNK)
                .map(|&a| f(a))
                .collect(),
        )
    }

    fn zip_map(&self, other: &ParVec, f: impl Fn(f64, f64) -> f64 + Sync + Send) -> ParVec {
        ParVec::new(
            self.0
                .par_iter()
                .zip(other.0.par_iter())
                .with_min_len(CHUNK)
                .map(|(&a, &b)| f(a, b))
                .collect(),
        )
    }

    fn reduce(&self, other: &ParVec, f: impl Fn(f64, f64) -> f64 + Sync) -> f64 {
        let partials: Vec<f64> = self
            .0
            .par_chunks(CHUNK)
            .zip(other.0.par_chunks(CHUNK))
            .map(|(a, b)| a.iter().zip(b).map(|(&a, &b)| f(a, b)).sum::<f64>())
            .collect();
        partials.iter().sum()
    }
}

impl ArgminAdd<ParVec, ParVec> for ParVec {
    fn add(&self, other: &ParVec) -> ParVec {
        self.zip_map(other, |a, b| a + b)
    }
}

impl ArgminAdd<f64, ParVec> for ParVec {
    fn add(&self, other: &f64) -> ParVec {
        let o = *other;
        self.map(|a| a + o)
    }
}

impl ArgminSub<ParVec, ParVec> for ParVec {
    fn sub(&self, other: &ParVec) -> ParVec {
        self.zip_map(other, |a, b| a - b)
    }
}

impl ArgminSub<f64, ParVec> for ParVec {
    fn sub(&self, other: &f64) -> ParVec {
        let o = *other;
        self.map(|a| a - o)
    }
}

impl ArgminMul<f64, ParVec> for ParVec {
    fn mul(&self, other: &f64) -> ParVec {
        let o = *other;
        self.map(|a| a * o)
    }
}

impl ArgminMul<ParVec, ParVec> for ParVec {
    fn mul(&self, other: &ParVec) -> ParVec {
        self.zip_map(other, |a, b| a * b)
    }
}

impl ArgminDot<ParVec, f64> for ParVec {
    fn dot(&self, other: &ParVec) -> f64 {
        self.reduce(other, |a, b| a * b)
    }
}

impl ArgminScaledAdd<ParVec, f64, ParVec> for ParVec {
    fn scaled_add(&self, factor: &f64, vec: &ParVec) -> ParVec {
        let f = *factor;
        self.zip_map(vec, |a, b| a + f * b)
    }
}

impl ArgminL1Norm<f64> for ParVec {
    fn l1_norm(&self) -> f64 {
        self.reduce(self, |a, _| a.abs())
    }
}

impl ArgminL2Norm<f64> for ParVec {
    fn l2_norm(&self) -> f64 {
        self.reduce(self, |a, b| a * b).sqrt()
    }
}

impl ArgminSignum for ParVec {
    fn signum(self) -> ParVec {
        ParVec::map(&self, f64::signum)
    }
}

impl ArgminZeroLike for ParVec {
    fn zero_like(&self) -> ParVec {
        ParVec::new(vec![0.0; self.0.len()])
    }
}

impl ArgminMinMax for ParVec {
    fn min(x: &Self, y: &Self) -> Self {
        x.zip_map(y, f64::min)
    }

    fn max(x: &Self, y: &Self) -> Self {
        x.zip_map(y, f64::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_matches_sequential_definitions() {
        let n = 3 * CHUNK + 17;
        let a = ParVec::new((0..n).map(|i| (i % 13) as f64 - 6.0).collect());
        let b = ParVec::new((0..n).map(|i| (i % 7) as f64 * 0.5).collect());
        let dot: f64 = a.0.iter().zip(b.0.iter()).map(|(x, y)| x * y).sum();
        assert!((ArgminDot::dot(&a, &b) - dot).abs() < 1e-9 * dot.abs().max(1.0));
        let sum = ArgminAdd::<ParVec, ParVec>::add(&a, &b);
        assert_eq!(sum.0[n - 1], a.0[n - 1] + b.0[n - 1]);
        let scaled = a.scaled_add(&2.0, &b);
        assert_eq!(scaled.0[5], a.0[5] + 2.0 * b.0[5]);
        let l2: f64 = a.0.iter().map(|x| x * x).sum::<f64>().sqrt();
        assert!((a.l2_norm() - l2).abs() < 1e-9 * l2);
        assert_eq!(a.zero_like().0.len(), n);
    }
}
