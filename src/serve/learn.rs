//! Learning from the analyst: corrections appended to the labels file,
//! model versions trained from it, and the evaluation report.
//!
//! The data folder holds `versions.json` (the versions and which one is
//! active) and `models/vN.docclass`. Version 0 is the model the server was
//! first started with; every retrain adds a version and none is ever
//! overwritten, so switching back is always possible. Both the labels file
//! and `versions.json` are replaced atomically (written beside, synced,
//! renamed), so a killed server leaves the old or the new file, never half
//! of one.

use super::api::{blocking, ApiError, ApiResult};
use super::lock;
use super::{ServeOptions, Shared};
use crate::corpus::{LabelledDocument, ReadOptions};
use crate::eval::CvReport;
use crate::model::{Classifier, DEFAULT_MODEL_NAME};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

/// The model answering requests now.
pub(crate) struct Active {
    pub version: u32,
    pub name: String,
    pub model: Arc<Classifier>,
}

/// Cross-validation figures shown before and after a retrain.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CvSummary {
    pub documents: usize,
    pub folds: usize,
    pub macro_f1: f64,
    pub micro_f1: f64,
    pub accuracy: f64,
}

impl CvSummary {
    fn of(r: &CvReport) -> Self {
        CvSummary {
            documents: r.documents,
            folds: r.folds,
            macro_f1: crate::record::round6(r.macro_f1.mean),
            micro_f1: crate::record::round6(r.micro_f1.mean),
            accuracy: crate::record::round6(r.accuracy.mean),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Version {
    pub version: u32,
    pub created: String,
    /// The model file, relative to the data folder (none for version 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Where version 0 came from: a model path or the default model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Labelled records in the data when this version was made.
    pub documents: usize,
    /// Corrections made in the app by then.
    pub corrections: usize,
    pub cv: Option<CvSummary>,
    pub note: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Book {
    active: u32,
    corrections: usize,
    versions: Vec<Version>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct RetrainState {
    state: &'static str,
    stage: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    before: Option<CvSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    after: Option<CvSummary>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

pub(crate) struct Learning {
    dir: PathBuf,
    /// Where corrections are appended.
    labels_file: PathBuf,
    /// Read for retraining and the report (the labels file among them).
    sources: Vec<PathBuf>,
    background: Vec<PathBuf>,
    max_doc_bytes: usize,
    active: RwLock<Arc<Active>>,
    book: Mutex<Book>,
    /// Labelled records now in `sources`.
    documents: Mutex<usize>,
    retrain: Mutex<RetrainState>,
}

/// Folds of the cross-validation shown before and after a retrain.
const FOLDS: usize = 5;
/// Longest label name accepted in a correction.
const MAX_LABEL_CHARS: usize = 100;

impl Learning {
    pub fn open(options: &ServeOptions) -> anyhow::Result<Learning> {
        let dir = options.data_dir.clone();
        let is_jsonl = |p: &PathBuf| {
            p.extension().is_some_and(|e| e == "jsonl" || e == "ndjson") && !p.is_dir()
        };
        let labels_file = match options.data.as_slice() {
            [one] if is_jsonl(one) => one.clone(),
            _ => dir.join("labels.jsonl"),
        };
        for p in &options.data {
            if !p.exists() && *p != labels_file {
                anyhow::bail!("--data {}: no such file or folder", p.display());
            }
        }
        if !labels_file.exists() {
            super::note(&format!(
                "docclass: {} does not exist yet: the first correction creates it",
                labels_file.display()
            ));
        }
        let mut sources: Vec<PathBuf> = options.data.clone();
        if !sources.contains(&labels_file) {
            sources.push(labels_file.clone());
        }
        let documents = read_sources(&sources, options.max_doc_bytes)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .len();
        let book_path = dir.join("versions.json");
        let book = if book_path.exists() {
            if options.model.is_some() {
                anyhow::bail!(
                    "{} already holds model versions: start without --model to go on with them, \
                     or give another --data-dir",
                    dir.display()
                );
            }
            let text = std::fs::read_to_string(&book_path)?;
            serde_json::from_str::<Book>(&text)
                .map_err(|e| anyhow::anyhow!("{} is damaged: {e}", book_path.display()))?
        } else {
            let source = options.model.as_ref().map_or_else(
                || DEFAULT_MODEL_NAME.to_string(),
                |p| {
                    std::fs::canonicalize(p)
                        .unwrap_or_else(|_| p.clone())
                        .display()
                        .to_string()
                },
            );
            Book {
                active: 0,
                corrections: 0,
                versions: vec![Version {
                    version: 0,
                    created: super::now_rfc3339(),
                    file: None,
                    source: Some(source),
                    documents,
                    corrections: 0,
                    cv: None,
                    note: "the model the server was first started with".into(),
                }],
            }
        };
        let active = load_version(&dir, &book, book.active)?;
        save_book(&dir, &book)?;
        Ok(Learning {
            labels_file,
            sources,
            background: options.background.clone(),
            max_doc_bytes: options.max_doc_bytes,
            active: RwLock::new(Arc::new(active)),
            book: Mutex::new(book),
            documents: Mutex::new(documents),
            retrain: Mutex::new(RetrainState {
                state: "idle",
                ..Default::default()
            }),
            dir,
        })
    }

    pub fn active(&self) -> Arc<Active> {
        self.active
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn save_book(&self, book: &Book) -> crate::Result<()> {
        save_book(&self.dir, book)
    }

    /// Every labelled record of the sources, in order (duplicates kept).
    fn read_data(&self) -> crate::Result<Vec<LabelledDocument>> {
        read_sources(&self.sources, self.max_doc_bytes)
    }

    pub fn data_summary(&self) -> serde_json::Value {
        serde_json::json!({
            "path": self.labels_file.display().to_string(),
            "sources": self.sources.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "background": self.background.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "documents": *lock(&self.documents),
            "corrections": lock(&self.book).corrections,
        })
    }

    /// Appends one labelled record by rewriting the labels file beside
    /// itself and renaming it over the old one.
    fn append(&self, line: &[u8]) -> ApiResult<usize> {
        let mut book = lock(&self.book);
        let old = std::fs::File::open(&self.labels_file).ok();
        // Only the last byte is needed to know whether a line end is missing.
        let ends_with_newline = old.as_ref().is_none_or(|f| {
            use std::os::unix::fs::FileExt;
            let len = f.metadata().map_or(0, |m| m.len());
            let mut last = [b'\n'];
            len == 0 || f.read_exact_at(&mut last, len - 1).is_err() || last[0] == b'\n'
        });
        crate::io::write_atomic(&self.labels_file, |w| {
            if let Some(mut old) = old {
                std::io::copy(&mut old, w)?;
                if !ends_with_newline {
                    w.write_all(b"\n")?;
                }
            }
            w.write_all(line)?;
            w.write_all(b"\n")
        })
        .map_err(|e| ApiError::internal(format!("correction not saved: {e}")))?;
        book.corrections += 1;
        *lock(&self.documents) += 1;
        self.save_book(&book).map_err(ApiError::internal)?;
        Ok(book.corrections)
    }
}

/// Model version `n` of the book, loaded.
fn load_version(dir: &std::path::Path, book: &Book, n: u32) -> anyhow::Result<Active> {
    let v = book
        .versions
        .iter()
        .find(|v| v.version == n)
        .ok_or_else(|| anyhow::anyhow!("there is no model version {n}"))?;
    let (name, model) = match (&v.file, &v.source) {
        (Some(file), _) => {
            let path = dir.join(file);
            (path.display().to_string(), crate::model::load_model(&path)?)
        }
        (None, Some(s)) if s == DEFAULT_MODEL_NAME => (s.clone(), crate::model::default_model()?),
        (None, Some(s)) => (
            s.clone(),
            crate::model::load_model(std::path::Path::new(s))?,
        ),
        (None, None) => anyhow::bail!("version {n} names no model file"),
    };
    Ok(Active {
        version: n,
        name,
        model: Arc::new(model),
    })
}

fn save_book(dir: &std::path::Path, book: &Book) -> crate::Result<()> {
    let json = serde_json::to_vec_pretty(book).unwrap_or_default();
    crate::io::write_atomic(&dir.join("versions.json"), |w| w.write_all(&json))
}

/// Every labelled record of those of `sources` that exist, in order.
fn read_sources(sources: &[PathBuf], max_doc_bytes: usize) -> crate::Result<Vec<LabelledDocument>> {
    let existing: Vec<PathBuf> = sources.iter().filter(|p| p.exists()).cloned().collect();
    let options = ReadOptions {
        skip_invalid: false,
        max_doc_bytes,
        ..Default::default()
    };
    Ok(crate::corpus::read_labelled_paths(&existing, options)?.documents)
}

/// Keeps the last record of each id: a correction replaces the record of
/// the same document made before it.
fn last_per_id(docs: &[LabelledDocument]) -> Vec<LabelledDocument> {
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, d) in docs.iter().enumerate() {
        last.insert(d.id.as_str(), i);
    }
    docs.iter()
        .enumerate()
        .filter(|(i, d)| last.get(d.id.as_str()) == Some(i))
        .map(|(_, d)| d.clone())
        .collect()
}

#[derive(Deserialize)]
pub(crate) struct Correction {
    labels: Vec<String>,
}

fn check_labels(labels: &[String]) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for l in labels {
        if l.is_empty() || l.chars().count() > MAX_LABEL_CHARS {
            return Err(ApiError::bad_request(format!(
                "label {l:?} is not usable: give 1 to {MAX_LABEL_CHARS} characters"
            )));
        }
        if !out.iter().any(|o| o == l) {
            out.push(l.to_string());
        }
    }
    crate::model::check_label_names(&out).map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok(out)
}

pub(crate) async fn correct(
    State(app): State<Shared>,
    Path((job, n)): Path<(String, String)>,
    Json(c): Json<Correction>,
) -> ApiResult<Response> {
    let labels = check_labels(&c.labels)?;
    let app2 = app.clone();
    let (total, path) = blocking(move || {
        let (job, n, id, text) = super::jobs::document_text(&app2, &job, &n)?;
        let line = serde_json::to_vec(&serde_json::json!({
            "id": id,
            "text": text,
            "labels": labels,
        }))
        .map_err(ApiError::internal)?;
        let total = app2.learn.append(&line)?;
        job.set_corrected(n, labels);
        Ok((total, app2.learn.labels_file.display().to_string()))
    })
    .await?;
    Ok(
        Json(serde_json::json!({"saved": true, "corrections": total, "file": path}))
            .into_response(),
    )
}

pub(crate) async fn retrain(
    State(app): State<Shared>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    // No options yet: an empty body or a JSON object.
    if !body.iter().all(u8::is_ascii_whitespace)
        && !matches!(
            serde_json::from_slice::<serde_json::Value>(&body),
            Ok(serde_json::Value::Object(_))
        )
    {
        return Err(ApiError::bad_request(
            "send no body or a JSON object ({}) to retrain",
        ));
    }
    {
        let mut state = lock(&app.learn.retrain);
        if state.state == "running" {
            return Err(ApiError(
                StatusCode::CONFLICT,
                format!("a retrain is already running ({})", state.stage),
            ));
        }
        *state = RetrainState {
            state: "running",
            stage: "starting".into(),
            ..Default::default()
        };
    }
    let app2 = app.clone();
    let spawned = std::thread::Builder::new()
        .name("docclass-retrain".into())
        .spawn(move || {
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_retrain(&app2)));
            let mut state = lock(&app2.learn.retrain);
            match outcome {
                Ok(Ok(())) => {
                    state.state = "done";
                    state.stage = "done".into();
                }
                Ok(Err(e)) => {
                    state.state = "failed";
                    state.error = Some(e);
                }
                Err(_) => {
                    state.state = "failed";
                    state.error = Some("internal error while training".into());
                }
            }
        });
    if let Err(e) = spawned {
        let mut state = lock(&app.learn.retrain);
        state.state = "failed";
        state.error = Some(format!("cannot start training: {e}"));
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({"state": "running"})),
    )
        .into_response())
}

fn stage(app: &Shared, text: impl Into<String>) {
    lock(&app.learn.retrain).stage = text.into();
}

fn run_retrain(app: &Shared) -> Result<(), String> {
    let learn = &app.learn;
    let active = learn.active();
    stage(app, "reading the labelled data");
    let all = learn.read_data().map_err(|e| e.to_string())?;
    let after_docs = last_per_id(&all);
    if after_docs.len() < 2 {
        return Err(format!(
            "{} labelled documents: correct some documents first (or start the server with \
             --data LABELS)",
            after_docs.len()
        ));
    }
    let (known, stored_cv) = {
        let book = lock(&learn.book);
        let v = book.versions.iter().find(|v| v.version == active.version);
        (
            v.map_or(0, |v| v.documents).min(all.len()),
            v.and_then(|v| v.cv.clone()),
        )
    };
    let before_docs = last_per_id(&all[..known]);
    let background = if learn.background.is_empty() {
        Vec::new()
    } else {
        let options = ReadOptions {
            max_doc_bytes: learn.max_doc_bytes,
            ..Default::default()
        };
        crate::corpus::read_background_paths(&learn.background, options)
            .map_err(|e| e.to_string())?
            .documents
    };
    let mut notes = Vec::new();
    if active.model.gate().is_some() && background.is_empty() {
        notes.push(
            "the current model has a relevance gate, but the server has no background \
             documents (--background): the new version has no gate and labels every document"
                .to_string(),
        );
    }
    let mut params = active.model.params().clone();
    // A sentence-scoped label needs examples; the analyst's data may lack
    // one the current model had.
    let present = crate::model::label_set(&after_docs);
    params.sentence_labels.retain(|l| {
        let keep = present.contains(l);
        if !keep {
            notes.push(format!(
                "no labelled document has '{l}': the new version does not score it by sentence"
            ));
        }
        keep
    });
    let cv = |docs: &[LabelledDocument]| -> Result<CvSummary, String> {
        let k = FOLDS.min(docs.len());
        crate::eval::cross_validate_with_background(&params, docs, &background, k, params.seed)
            .map(|r| CvSummary::of(&r))
            .map_err(|e| e.to_string())
    };
    let before = match stored_cv {
        Some(cv) => Some(cv),
        None if before_docs.len() >= 2 => {
            stage(
                app,
                format!(
                    "cross-validating the current settings on the {} documents of version {}",
                    before_docs.len(),
                    active.version
                ),
            );
            cv(&before_docs)
                .map_err(|e| notes.push(format!("no cross-validation before: {e}")))
                .ok()
        }
        None => {
            notes.push(format!(
                "version {} has no labelled data here to cross-validate on",
                active.version
            ));
            None
        }
    };
    lock(&learn.retrain).before = before.clone();
    stage(
        app,
        format!(
            "cross-validating on the {} documents with corrections",
            after_docs.len()
        ),
    );
    let after = cv(&after_docs)
        .map_err(|e| notes.push(format!("no cross-validation after: {e}")))
        .ok();
    lock(&learn.retrain).after = after.clone();
    stage(app, format!("training on {} documents", after_docs.len()));
    let model = Classifier::fit_with_background(params, &after_docs, &background, &|s| {
        stage(app, format!("training: {s}"))
    })
    .map_err(|e| e.to_string())?;
    let mut book = lock(&learn.book);
    let corrections = book.corrections;
    let n = book.versions.iter().map(|v| v.version).max().unwrap_or(0) + 1;
    let file = format!("models/v{n}.docclass");
    let path = learn.dir.join(&file);
    std::fs::create_dir_all(learn.dir.join("models")).map_err(|e| e.to_string())?;
    crate::model::save_model(&model, &path).map_err(|e| e.to_string())?;
    book.versions.push(Version {
        version: n,
        created: super::now_rfc3339(),
        file: Some(file),
        source: None,
        documents: all.len(),
        corrections,
        cv: after,
        note: format!(
            "retrained from version {} on {} documents",
            active.version,
            after_docs.len()
        ),
    });
    learn.save_book(&book).map_err(|e| e.to_string())?;
    let mut state = lock(&learn.retrain);
    state.version = Some(n);
    state.notes = notes;
    Ok(())
}

pub(crate) async fn retrain_status(State(app): State<Shared>) -> Response {
    Json(lock(&app.learn.retrain).clone()).into_response()
}

pub(crate) async fn versions(State(app): State<Shared>) -> Response {
    let book = lock(&app.learn.book);
    Json(serde_json::json!({
        "active": book.active,
        "versions": book.versions,
    }))
    .into_response()
}

pub(crate) async fn activate(
    State(app): State<Shared>,
    Path(n): Path<String>,
) -> ApiResult<Response> {
    let n: u32 = n
        .parse()
        .map_err(|_| ApiError::not_found(format!("no model version {n}")))?;
    let app2 = app.clone();
    blocking(move || {
        let learn = &app2.learn;
        let mut book = lock(&learn.book);
        if !book.versions.iter().any(|v| v.version == n) {
            return Err(ApiError::not_found(format!("no model version {n}")));
        }
        let active = load_version(&learn.dir, &book, n)
            .map_err(|e| ApiError::internal(format!("cannot load version {n}: {e}")))?;
        book.active = n;
        learn.save_book(&book).map_err(ApiError::internal)?;
        *learn.active.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(active);
        Ok(())
    })
    .await?;
    Ok(Json(serde_json::json!({"active": n})).into_response())
}

/// The report is a document of its own: inline styles only, no scripts.
const REPORT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
                          frame-ancestors 'self'";

pub(crate) async fn report(State(app): State<Shared>) -> ApiResult<Response> {
    let app2 = app.clone();
    let html = blocking(move || {
        let learn = &app2.learn;
        let active = learn.active();
        let docs = last_per_id(
            &learn
                .read_data()
                .map_err(|e| ApiError::internal(e.to_string()))?,
        );
        if docs.is_empty() {
            return Ok(format!(
                "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>docclass report</title>\
                 </head><body style=\"font-family:system-ui,sans-serif;margin:2rem\">\
                 <h1>No labelled data yet</h1><p>Correct some documents (they are saved to {}) \
                 or start the server with <code>--data LABELS.jsonl</code>; the report measures \
                 model version {} on them.</p></body></html>",
                crate::cli::report::escape(&learn.labels_file.display().to_string()),
                active.version
            ));
        }
        let sources: Vec<String> = learn
            .sources
            .iter()
            .filter(|p| p.exists())
            .map(|p| p.display().to_string())
            .collect();
        Ok(crate::cli::report::render_for(
            &active.model,
            &format!("{} (version {})", active.name, active.version),
            &sources.join(", "),
            &docs,
        ))
    })
    .await?;
    let mut response = html.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(REPORT_CSP),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str, label: &str) -> LabelledDocument {
        LabelledDocument {
            id: id.into(),
            text: "t".into(),
            labels: vec![label.into()],
        }
    }

    #[test]
    fn later_records_replace_earlier_ones_of_the_same_id() {
        let docs = [doc("a", "x"), doc("b", "y"), doc("a", "z")];
        let kept = last_per_id(&docs);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].id, "b");
        assert_eq!(kept[1].labels, vec!["z"]);
    }

    #[test]
    fn corrections_refuse_unusable_labels() {
        assert!(check_labels(&["trade".into(), "trade".into()]).is_ok_and(|l| l.len() == 1));
        assert!(check_labels(&[" trade".into()]).is_err());
        assert!(check_labels(&["a;b".into()]).is_err());
        assert!(check_labels(&["".into()]).is_err());
        assert!(check_labels(&["relevance".into()]).is_err());
        assert!(check_labels(&[]).is_ok());
    }
}
