//! Training, solvers, determinism and the model file, through the library.

use docclass::corpus::{read_labelled, LabelledDocument, ReadOptions};
use docclass::model::{
    load_model, save_model, Classifier, ClassifierParams, Solver, FORMAT_VERSION,
};

fn corpus(n: usize) -> Vec<LabelledDocument> {
    let data = read_labelled(
        std::path::Path::new("training/programs.jsonl"),
        ReadOptions::default(),
    )
    .expect("training corpus");
    data.documents.into_iter().step_by(3).take(n).collect()
}

/// Single-label view of the corpus: governance / trade / other.
fn single_label(docs: &[LabelledDocument]) -> Vec<LabelledDocument> {
    docs.iter()
        .map(|d| {
            let label = if d.labels.contains(&"governance".to_string()) {
                "governance"
            } else if d.labels.contains(&"trade".to_string()) {
                "trade"
            } else {
                "other"
            };
            LabelledDocument {
                labels: vec![label.into()],
                ..d.clone()
            }
        })
        .collect()
}

fn small_params() -> ClassifierParams {
    let mut p = ClassifierParams::default();
    p.tfidf.max_features = Some(400);
    p.c = 5.0;
    p.tolerance = 1e-7;
    p.max_iter = 5000;
    p
}

fn objective(model: &Classifier) -> f64 {
    model.summary().convergence.objective
}

#[test]
fn sparse_lbfgs_and_linfa_reach_the_same_optimum() {
    for docs in [corpus(150), single_label(&corpus(150))] {
        let mut params = small_params();
        params.multi_label = docs.iter().any(|d| d.labels.len() != 1);
        let sparse = Classifier::fit(params.clone(), &docs).expect("lbfgs");
        params.solver = Solver::Linfa;
        let dense = Classifier::fit(params, &docs).expect("linfa");
        let (a, b) = (objective(&sparse), objective(&dense));
        assert!(
            (a - b).abs() / a.abs().max(1e-12) < 1e-3,
            "objectives differ: lbfgs {a} vs linfa {b}"
        );
        for d in &docs {
            assert_eq!(
                sparse.predict_text(&d.text).labels,
                dense.predict_text(&d.text).labels,
                "prediction differs on {}",
                d.id
            );
        }
    }
}

#[test]
fn linfa_refuses_matrices_over_its_memory_budget() {
    let mut params = small_params();
    params.solver = Solver::Linfa;
    params.max_dense_bytes = 1024;
    let err = Classifier::fit(params, &corpus(60))
        .err()
        .expect("must refuse");
    assert!(err.to_string().contains("MiB budget"), "{err}");
}

#[test]
fn same_data_and_seed_give_the_same_bytes_on_any_thread_count() {
    let docs = corpus(200);
    let mut params = ClassifierParams {
        multi_label: true,
        thresholds: docclass::model::ThresholdMode::Tuned { folds: 3 },
        seed: 7,
        ..ClassifierParams::default()
    };
    params.c = 30.0;
    let bytes = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        pool.install(|| {
            let model = Classifier::fit(params.clone(), &docs).expect("fit");
            docclass::model::file::to_bytes(&model).expect("bytes")
        })
    };
    let one = bytes(1);
    assert_eq!(one, bytes(3), "1 thread vs 3 threads");
    assert_eq!(one, bytes(1), "run to run");
}

#[test]
fn saved_models_load_and_predict_identically() {
    let docs = corpus(120);
    let model = Classifier::fit(
        ClassifierParams {
            multi_label: true,
            ..ClassifierParams::default()
        },
        &docs,
    )
    .expect("fit");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("m.bin");
    save_model(&model, &path).expect("save");
    let loaded = load_model(&path).expect("load");
    assert_eq!(loaded.labels(), model.labels());
    for d in docs.iter().take(20) {
        assert_eq!(loaded.predict_text(&d.text), model.predict_text(&d.text));
    }
}

#[test]
fn damaged_model_files_are_clear_errors() {
    let docs = corpus(60);
    let model = Classifier::fit(
        ClassifierParams {
            multi_label: true,
            ..ClassifierParams::default()
        },
        &docs,
    )
    .expect("fit");
    let good = docclass::model::file::to_bytes(&model).expect("bytes");
    let dir = tempfile::tempdir().expect("tempdir");
    let check = |name: &str, bytes: &[u8], expect: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let err = load_model(&path)
            .err()
            .unwrap_or_else(|| panic!("{name} must not load"));
        let msg = err.to_string();
        assert!(msg.contains(name), "{name}: message names the file: {msg}");
        assert!(
            msg.contains(expect),
            "{name}: expected '{expect}' in: {msg}"
        );
    };
    check(
        "truncated.bin",
        &good[..good.len() / 2],
        "truncated or corrupted",
    );
    check(
        "text.bin",
        b"hello, I am not a model",
        "not a docclass model",
    );
    check("empty.bin", b"", "not a docclass model");
    let mut newer = good.clone();
    newer[16..20].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    check("newer.bin", &newer, "newer docclass");
    // A NaN weight with a valid checksum: validation, not the checksum, catches it.
    let mut nan = good[..good.len() - 4].to_vec();
    let at = nan.len() - 8 * 4;
    nan[at..at + 8].copy_from_slice(&f64::NAN.to_le_bytes());
    let crc = crc32fast::hash(&nan);
    nan.extend_from_slice(&crc.to_le_bytes());
    check("nan.bin", &nan, "non-finite");
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0xff;
    check("flipped.bin", &flipped, "checksum");
}

fn background(n: usize) -> Vec<LabelledDocument> {
    let data = docclass::corpus::read_background_paths(
        &[std::path::PathBuf::from("training/background/far.jsonl")],
        ReadOptions::default(),
    )
    .expect("background corpus");
    data.documents.into_iter().take(n).collect()
}

#[test]
fn gate_and_sentence_labels_survive_the_model_file() {
    let docs = corpus(200);
    let params = ClassifierParams {
        multi_label: true,
        sentence_labels: vec!["intelligence".into()],
        ..ClassifierParams::default()
    };
    let model = Classifier::fit_with_background(params, &docs, &background(60), &|_| {})
        .expect("train with background");
    assert!(model.gate().is_some());
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("gated.model");
    save_model(&model, &path).expect("save");
    let loaded = load_model(&path).expect("load");
    assert_eq!(loaded.gate(), model.gate());
    assert!(loaded.is_sentence_label(1) && !loaded.is_sentence_label(0));
    for d in docs.iter().take(40) {
        assert_eq!(loaded.predict_text(&d.text), model.predict_text(&d.text));
    }
    // Saving again gives the same bytes.
    let again = dir.path().join("again.model");
    save_model(&loaded, &again).expect("save again");
    assert_eq!(
        std::fs::read(&path).expect("read"),
        std::fs::read(&again).expect("read")
    );
}

#[test]
fn sentence_labels_must_name_a_label_of_a_multi_label_model() {
    let docs = corpus(60);
    let params = ClassifierParams {
        multi_label: true,
        sentence_labels: vec!["espionage".into()],
        ..ClassifierParams::default()
    };
    let err = Classifier::fit(params, &docs)
        .err()
        .expect("unknown label refused");
    assert!(err.to_string().contains("espionage"), "{err}");
}
