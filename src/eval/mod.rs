//! Measuring a classifier: metrics and cross-validation folds.

pub mod cv;
pub mod folds;
pub mod metrics;

pub use cv::{cross_validate, cross_validate_with_background, CvReport, Stat};
pub use folds::stratified_folds;
pub use metrics::{evaluate, label_indices, LabelMetrics, Report};
