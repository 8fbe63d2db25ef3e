//! docclass: learn to classify documents from labelled examples.
//!
//! The pipeline is the classic one that works well on a few hundred to a few
//! hundred thousand documents, built so that every stage can be inspected:
//!
//! 1. [`text`]: Unicode normalisation, word segmentation (character bigrams
//!    for Chinese, Japanese and Korean), stop words, stemming, word n-grams.
//! 2. [`features`]: a TF-IDF vectorizer producing a sparse CSR matrix.
//! 3. [`model`]: L2-regularised logistic regression (multinomial for
//!    single-label data, one-vs-rest for multi-label data) and the versioned
//!    model file that holds the whole pipeline.
//! 4. [`corpus`]: readers for labelled training data and for documents to
//!    classify.
//! 5. [`eval`]: metrics used by `eval` and cross-validation.
//!
//! The `docclass` binary is a thin layer over this library ([`cli`]), and
//! so is `docclass serve`, the web app and HTTP API (`serve`).

pub mod cli;
pub mod corpus;
pub mod error;
pub mod eval;
pub mod features;
pub mod io;
pub mod model;
pub mod record;
#[cfg(feature = "serve")]
pub mod serve;
pub mod text;

pub use error::{Error, Result};
