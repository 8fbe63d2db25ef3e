//! Measuring a classifier: metrics and cross-validation folds.

pub mod folds;
pub mod metrics;

pub use folds::stratified_folds;
pub use metrics::{evaluate, LabelMetrics, Report};
