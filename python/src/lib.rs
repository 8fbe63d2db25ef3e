//! `docclass._docclass`: the PyO3 layer over the Rust library. It converts
//! Python values at the edge and nothing else: models, records,
//! explanations and training are the library's (`docclass::model`,
//! `docclass::record`), so the package gives the CLI's results to the last
//! digit. Batch calls release the GIL and use every core. The pure-Python
//! package (`python/docclass/`) wraps this module in documented functions.

use docclass::corpus::LabelledDocument;
use docclass::features::DocFrequency;
use docclass::model::{
    default_model, load_model, save_model, ClassWeight, Classifier, ClassifierParams,
    ThresholdMode, DEFAULT_MODEL_NAME,
};
use docclass::text::LanguageSetting;
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::Arc;

/// The library's errors as Python exceptions: file problems are `OSError`,
/// everything else (bad data, bad settings, a damaged model) `ValueError`,
/// with the library's message.
fn to_py(e: docclass::Error) -> PyErr {
    match e {
        docclass::Error::Io { .. } => PyOSError::new_err(e.to_string()),
        other => PyValueError::new_err(other.to_string()),
    }
}

/// A trained model: the whole pipeline, shared between Python threads.
#[pyclass(name = "Model", module = "docclass._docclass", frozen)]
struct PyModel {
    inner: Arc<Classifier>,
    name: String,
}

#[pymethods]
impl PyModel {
    #[staticmethod]
    fn default() -> PyResult<Self> {
        Ok(PyModel {
            inner: Arc::new(default_model().map_err(to_py)?),
            name: DEFAULT_MODEL_NAME.to_string(),
        })
    }

    #[staticmethod]
    fn load(path: PathBuf) -> PyResult<Self> {
        Ok(PyModel {
            inner: Arc::new(load_model(&path).map_err(to_py)?),
            name: path.display().to_string(),
        })
    }

    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| save_model(&self.inner, &path)).map_err(to_py)
    }

    #[getter]
    fn labels(&self) -> Vec<String> {
        self.inner.labels().to_vec()
    }

    #[getter]
    fn thresholds(&self) -> Vec<f64> {
        self.inner.thresholds().to_vec()
    }

    #[getter]
    fn multi_label(&self) -> bool {
        self.inner.is_multi_label()
    }

    #[getter]
    fn relevance_threshold(&self) -> Option<f64> {
        self.inner
            .gate()
            .map(|_| self.inner.params().relevance_threshold)
    }

    #[getter]
    fn name(&self) -> String {
        self.name.clone()
    }

    /// A copy with decision thresholds changed: `{label: p}`, `relevance`
    /// for the gate (what `--threshold` does in the CLI).
    fn with_thresholds(&self, thresholds: Vec<(String, f64)>) -> PyResult<Self> {
        // A model is copied through its file format, which holds all of it.
        let bytes = docclass::model::file::to_bytes(&self.inner).map_err(to_py)?;
        let mut model = docclass::model::file::from_bytes(&bytes, std::path::Path::new(&self.name))
            .map_err(to_py)?;
        for (label, p) in thresholds {
            model.set_threshold(&label, p).map_err(to_py)?;
        }
        Ok(PyModel {
            inner: Arc::new(model),
            name: self.name.clone(),
        })
    }

    /// The model card as JSON text (`docclass inspect --json`).
    fn card_json(&self, top: usize) -> String {
        self.inner.card_json(&self.name, top).to_string()
    }

    /// One JSON record per text, exactly as `docclass classify` writes it.
    fn classify_json(
        &self,
        py: Python<'_>,
        texts: Vec<String>,
        ids: Vec<String>,
    ) -> PyResult<Vec<String>> {
        if texts.len() != ids.len() {
            return Err(PyValueError::new_err(format!(
                "{} texts but {} ids",
                texts.len(),
                ids.len()
            )));
        }
        let model = &self.inner;
        Ok(py.detach(|| {
            texts
                .par_iter()
                .zip(ids.par_iter())
                .map(|(text, id)| model.classify_json(id, text))
                .collect()
        }))
    }

    /// Scores (relevance x probability for gated models), one row per text.
    fn predict_proba(&self, py: Python<'_>, texts: Vec<String>) -> Vec<Vec<f64>> {
        let model = &self.inner;
        py.detach(|| {
            texts
                .par_iter()
                .map(|t| model.predict_text(t).scores)
                .collect()
        })
    }

    /// Assigned label indices, one list per text.
    fn predict_indices(&self, py: Python<'_>, texts: Vec<String>) -> Vec<Vec<usize>> {
        let model = &self.inner;
        py.detach(|| {
            texts
                .par_iter()
                .map(|t| model.predict_text(t).labels)
                .collect()
        })
    }

    /// The library's explanation as JSON text.
    fn explain_json(&self, py: Python<'_>, text: String, top: usize) -> PyResult<String> {
        let model = &self.inner;
        let explanation = py.detach(|| model.explain(&text, top));
        serde_json::to_string(&explanation).map_err(|e| PyValueError::new_err(e.to_string()))
    }

    fn __repr__(&self) -> String {
        format!(
            "docclass.Model({:?}, labels={:?}, multi_label={})",
            self.name,
            self.inner.labels(),
            self.inner.is_multi_label()
        )
    }
}

/// Training settings from keyword arguments named as the CLI's options
/// (`c`, `multi_label`, `ngrams`, `min_df`, ...). An unknown name is an
/// error, not silently ignored.
fn params_from(options: Option<&Bound<'_, PyDict>>) -> PyResult<ClassifierParams> {
    let mut p = ClassifierParams::default();
    let Some(options) = options else {
        return Ok(p);
    };
    let frequency = |v: &Bound<'_, PyAny>, name: &str| -> PyResult<DocFrequency> {
        let text = match v.extract::<i64>() {
            Ok(n) if !v.is_instance_of::<pyo3::types::PyFloat>() => n.to_string(),
            _ => {
                let f: f64 = v.extract()?;
                // A float always reads as a fraction, even 1.0.
                if f.fract() == 0.0 {
                    format!("{f:.1}")
                } else {
                    f.to_string()
                }
            }
        };
        text.parse()
            .map_err(|e| PyValueError::new_err(format!("{name}: {e}")))
    };
    for (key, value) in options.iter() {
        let key: String = key.extract()?;
        match key.as_str() {
            "c" => p.c = value.extract()?,
            "multi_label" => p.multi_label = value.extract()?,
            "ngrams" => p.analyzer.ngrams = value.extract()?,
            "min_df" => p.tfidf.min_df = frequency(&value, "min_df")?,
            "max_df" => p.tfidf.max_df = frequency(&value, "max_df")?,
            "max_features" => p.tfidf.max_features = value.extract()?,
            "lang" => {
                let lang: String = value.extract()?;
                p.analyzer.language = lang
                    .parse::<LanguageSetting>()
                    .map_err(|e| PyValueError::new_err(format!("lang: {e}")))?;
            }
            "seed" => p.seed = value.extract()?,
            "balanced" => {
                p.class_weight = if value.extract()? {
                    ClassWeight::Balanced
                } else {
                    ClassWeight::Uniform
                }
            }
            "tune_thresholds" => {
                p.thresholds = match value.extract::<Option<usize>>()? {
                    Some(0) | None => p.thresholds,
                    Some(folds) => ThresholdMode::Tuned { folds },
                }
            }
            "threshold" => p.thresholds = ThresholdMode::Fixed(value.extract()?),
            "stop_words" => p.analyzer.stop_words = value.extract()?,
            "stemming" => p.analyzer.stemming = value.extract()?,
            "numbers" => p.analyzer.numbers = value.extract()?,
            "fold_chinese" => p.analyzer.fold_chinese = value.extract()?,
            "sublinear_tf" => p.tfidf.sublinear_tf = value.extract()?,
            "max_iter" => p.max_iter = value.extract()?,
            "sentence_labels" => p.sentence_labels = value.extract()?,
            "relevance_threshold" => p.relevance_threshold = value.extract()?,
            "label_stop_words" => p.label_stop_words = value.extract()?,
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown training option {other:?}; options: c, multi_label, ngrams, min_df, \
                     max_df, max_features, lang, seed, balanced, tune_thresholds, threshold, \
                     stop_words, stemming, numbers, fold_chinese, sublinear_tf, max_iter, \
                     sentence_labels, relevance_threshold, label_stop_words"
                )))
            }
        }
    }
    p.check().map_err(to_py)?;
    Ok(p)
}

fn documents(texts: Vec<String>, labels: Vec<Vec<String>>) -> PyResult<Vec<LabelledDocument>> {
    if texts.len() != labels.len() {
        return Err(PyValueError::new_err(format!(
            "{} texts but {} label lists",
            texts.len(),
            labels.len()
        )));
    }
    Ok(texts
        .into_iter()
        .zip(labels)
        .enumerate()
        .map(|(i, (text, labels))| LabelledDocument {
            id: i.to_string(),
            text,
            labels,
        })
        .collect())
}

/// Trains a model; see `docclass.train`.
#[pyfunction]
#[pyo3(signature = (texts, labels, background=None, options=None))]
fn train(
    py: Python<'_>,
    texts: Vec<String>,
    labels: Vec<Vec<String>>,
    background: Option<Vec<String>>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyModel> {
    let params = params_from(options)?;
    let docs = documents(texts, labels)?;
    let background = documents(
        background.clone().unwrap_or_default(),
        vec![Vec::new(); background.map_or(0, |b| b.len())],
    )?;
    let model = py
        .detach(|| Classifier::fit_with_background(params, &docs, &background, &|_| {}))
        .map_err(to_py)?;
    Ok(PyModel {
        inner: Arc::new(model),
        name: "<trained in Python>".to_string(),
    })
}

/// Cross-validates settings; see `docclass.cv`. Returns the report as JSON.
#[pyfunction]
#[pyo3(signature = (texts, labels, folds=5, options=None))]
fn cv(
    py: Python<'_>,
    texts: Vec<String>,
    labels: Vec<Vec<String>>,
    folds: usize,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<String> {
    let params = params_from(options)?;
    let seed = params.seed;
    let docs = documents(texts, labels)?;
    let report = py
        .detach(|| docclass::eval::cross_validate(&params, &docs, folds, seed))
        .map_err(to_py)?;
    serde_json::to_string(&report).map_err(|e| PyValueError::new_err(e.to_string()))
}

#[pymodule]
fn _docclass(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyModel>()?;
    m.add_function(wrap_pyfunction!(train, m)?)?;
    m.add_function(wrap_pyfunction!(cv, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
