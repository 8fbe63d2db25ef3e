//! In-process speed of the pipeline's stages on the 20 Newsgroups train split
//! (11,314 documents): analysis alone, and analysis + TF-IDF fit_transform.
//! `benches/compare_sklearn.py` reads the fit_transform estimate and puts it
//! next to scikit-learn's TfidfVectorizer on the same documents.
//!
//! Run: cargo bench --bench pipeline
//! The data is read from ../shared/datasets/20news-bydate/train (or
//! $DOCCLASS_20NEWS/train); without it the benchmarks are skipped.

use criterion::{criterion_group, criterion_main, Criterion};
use docclass::corpus::{read_labelled, ReadOptions};
use docclass::features::{TfidfParams, TfidfVectorizer};
use docclass::text::AnalyzerParams;
use rayon::prelude::*;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

fn train_split() -> Option<Vec<String>> {
    let root = std::env::var_os("DOCCLASS_20NEWS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/datasets/20news-bydate"));
    let path = root.join("train");
    match read_labelled(&path, ReadOptions::default()) {
        Ok(data) => Some(data.documents.into_iter().map(|d| d.text).collect()),
        Err(e) => {
            eprintln!("skipping 20 Newsgroups benchmarks: {e}");
            None
        }
    }
}

fn pipeline(c: &mut Criterion) {
    let Some(docs) = train_split() else {
        return;
    };
    let analyzer = AnalyzerParams::default().check().expect("default analyzer");
    let mut group = c.benchmark_group("20news-train");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("tokenize", |b| {
        b.iter(|| {
            let terms: usize = docs
                .par_iter()
                .map(|d| {
                    let mut n = 0;
                    analyzer.for_each_term(d, |_| n += 1);
                    n
                })
                .sum();
            black_box(terms)
        })
    });
    group.bench_function("fit_transform", |b| {
        b.iter(|| {
            let (v, m) = TfidfVectorizer::fit_transform_with(
                TfidfParams::default(),
                docs.len(),
                |i, sink: &mut dyn FnMut(&str)| {
                    analyzer.for_each_term(&docs[i], sink);
                },
            )
            .expect("fit");
            black_box((v.n_features(), m.nnz()))
        })
    });
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
