//! Batches ("jobs") of uploaded files. An upload is streamed to a file in
//! the job's folder under a name the server makes up (the name the browser
//! sends is only used for the documents' ids and to choose the reader), read
//! by the same readers as `docclass classify`, classified, and deleted; each
//! document's text is kept in one text file per upload so that the document
//! view can explain it later, while memory holds only its scores.

use super::api::{blocking, download, json_response, ApiError, ApiResult};
use super::learn::Active;
use super::lock;
use super::Shared;
use crate::cli::output::{encode, Format, RecordWriter};
use crate::model::Prediction;
use crate::record::Record;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use http_body_util::BodyExt;
use rayon::prelude::*;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fs;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::AsyncWriteExt;

/// Jobs kept; creating one more forgets the oldest (and deletes its files).
const MAX_JOBS: usize = 64;
/// Characters of a document shown (and highlighted) in the document view.
const SHOWN_CHARS: usize = 200_000;
/// Documents classified together (in parallel) while reading an upload.
const CHUNK: usize = 256;

pub(crate) struct Jobs {
    dir: PathBuf,
    next: AtomicU64,
    map: Mutex<BTreeMap<u64, Arc<Job>>>,
}

pub(crate) struct Job {
    dir: PathBuf,
    /// The model version that classifies this job's documents, kept for
    /// the job's life so that its records stay consistent.
    model: Arc<Active>,
    state: Mutex<JobState>,
}

#[derive(Default)]
struct JobState {
    uploads: u64,
    docs: Vec<Doc>,
    corrected: BTreeMap<usize, Vec<String>>,
}

struct Doc {
    id: String,
    outcome: Outcome,
    text: Option<TextRef>,
}

enum Outcome {
    Classified(Prediction),
    Empty,
    Failed(String),
}

/// Where a document's text is: byte range in its upload's text file.
#[derive(Clone, Copy)]
struct TextRef {
    upload: u64,
    at: u64,
    len: u64,
}

impl Jobs {
    /// Uploads of a previous run belong to jobs that no longer exist.
    pub fn open(data_dir: &std::path::Path) -> anyhow::Result<Jobs> {
        let dir = data_dir.join("uploads");
        if dir.exists() {
            fs::remove_dir_all(&dir)
                .map_err(|e| anyhow::anyhow!("cannot clear {}: {e}", dir.display()))?;
        }
        fs::create_dir_all(&dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        Ok(Jobs {
            dir,
            next: AtomicU64::new(1),
            map: Mutex::new(BTreeMap::new()),
        })
    }

    fn get(&self, id: &str) -> ApiResult<Arc<Job>> {
        id.parse::<u64>()
            .ok()
            .and_then(|n| lock(&self.map).get(&n).cloned())
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "no job {id} (jobs are kept while the server runs; create one with POST /api/jobs)"
                ))
            })
    }
}

impl Job {
    fn text_path(&self, upload: u64) -> PathBuf {
        self.dir.join(format!("{upload}.texts"))
    }

    fn read_text(&self, r: TextRef) -> std::io::Result<String> {
        let file = fs::File::open(self.text_path(r.upload))?;
        let mut buf = vec![0u8; r.len as usize];
        file.read_exact_at(&mut buf, r.at)?;
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }

    /// The CLI's record of a document of this job.
    fn record<'a>(&'a self, doc: &'a Doc) -> Record<'a> {
        match &doc.outcome {
            Outcome::Classified(p) => Record::classified(&self.model.model, &doc.id, p),
            Outcome::Empty => Record::empty(&doc.id),
            Outcome::Failed(m) => Record::failed(&doc.id, m),
        }
    }

    fn record_json(&self, doc: &Doc) -> String {
        serde_json::to_string(&self.record(doc)).unwrap_or_default()
    }

    fn record_bytes(&self, doc: &Doc, format: Format) -> Vec<u8> {
        let model = &self.model.model;
        encode(
            format,
            model.labels(),
            model.gate().is_some(),
            &self.record(doc),
        )
    }
}

pub(crate) async fn create(State(app): State<Shared>) -> ApiResult<Response> {
    let id = app.jobs.next.fetch_add(1, Ordering::Relaxed);
    let dir = app.jobs.dir.join(id.to_string());
    fs::create_dir_all(&dir).map_err(ApiError::internal)?;
    let job = Arc::new(Job {
        dir,
        model: app.learn.active(),
        state: Mutex::new(JobState::default()),
    });
    let mut map = lock(&app.jobs.map);
    map.insert(id, job);
    while map.len() > MAX_JOBS {
        if let Some((_, old)) = map.pop_first() {
            let _ = fs::remove_dir_all(&old.dir);
        }
    }
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({"job": id.to_string(), "version": app.learn.active().version})),
    )
        .into_response())
}

pub(crate) async fn show(State(app): State<Shared>, Path(id): Path<String>) -> ApiResult<Response> {
    let job = app.jobs.get(&id)?;
    let body = blocking(move || {
        let state = lock(&job.state);
        let records: Vec<String> = state.docs.iter().map(|d| job.record_json(d)).collect();
        let corrected: serde_json::Map<String, serde_json::Value> = state
            .corrected
            .iter()
            .map(|(n, l)| (n.to_string(), serde_json::json!(l)))
            .collect();
        Ok(format!(
            "{{\"job\":{},\"version\":{},\"documents\":{},\"records\":[{}],\"corrected\":{}}}",
            serde_json::json!(id),
            job.model.version,
            state.docs.len(),
            records.join(","),
            serde_json::Value::Object(corrected)
        ))
    })
    .await?;
    Ok(json_response(body))
}

#[derive(Deserialize)]
pub(crate) struct UploadQuery {
    name: Option<String>,
}

/// The extension to store an upload under, from the name it was sent
/// with: letters and digits only, so that nothing from the request can
/// make a path; `.gz` keeps the extension before it (`x.jsonl.gz`).
fn stored_extension(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let parts: Vec<&str> = base.split('.').skip(1).collect();
    let ok =
        |e: &str| !e.is_empty() && e.len() <= 10 && e.chars().all(|c| c.is_ascii_alphanumeric());
    let mut tail: Vec<&str> = parts
        .iter()
        .rev()
        .take_while(|e| ok(e))
        .take(2)
        .copied()
        .collect();
    tail.reverse();
    if tail.len() == 2 && !tail[1].eq_ignore_ascii_case("gz") {
        tail.remove(0);
    }
    tail.iter()
        .map(|e| format!(".{}", e.to_ascii_lowercase()))
        .collect()
}

pub(crate) async fn upload(
    State(app): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<UploadQuery>,
    body: Body,
) -> ApiResult<Response> {
    let job = app.jobs.get(&id)?;
    let name = q.name.unwrap_or_default();
    if name.trim().is_empty() || name.len() > 4096 {
        return Err(ApiError::bad_request(
            "give the file's name (1 to 4096 bytes) as ?name=...; it becomes the documents' ids",
        ));
    }
    let upload = {
        let mut state = lock(&job.state);
        state.uploads += 1;
        state.uploads
    };
    let path = job.dir.join(format!("{upload}{}", stored_extension(&name)));
    let limit = app.options.max_upload_bytes;
    if let Err(e) = receive(body, &path, limit).await {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(e);
    }
    let max_doc_bytes = app.options.max_doc_bytes;
    let job2 = job.clone();
    let path2 = path.clone();
    let docs = blocking(move || read_upload(&job2, upload, &path2, &name, max_doc_bytes)).await;
    let _ = tokio::fs::remove_file(&path).await;
    let docs = docs?;
    let body = blocking(move || {
        let mut state = lock(&job.state);
        let first = state.docs.len();
        let records: Vec<String> = docs.iter().map(|d| job.record_json(d)).collect();
        state.docs.extend(docs);
        Ok(format!(
            "{{\"first\":{first},\"records\":[{}]}}",
            records.join(",")
        ))
    })
    .await?;
    Ok(json_response(body))
}

/// Streams the request body to `path`, refusing it past `limit` bytes.
async fn receive(mut body: Body, path: &std::path::Path, limit: u64) -> ApiResult<()> {
    let mut file = tokio::fs::File::create(path)
        .await
        .map_err(ApiError::internal)?;
    let mut received = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ApiError::bad_request(format!("upload broken off: {e}")))?;
        if let Ok(chunk) = frame.into_data() {
            received += chunk.len() as u64;
            if received > limit {
                super::api::drain(body).await;
                return Err(ApiError(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("file is over the upload limit of {limit} bytes (--max-upload-bytes)"),
                ));
            }
            file.write_all(&chunk).await.map_err(ApiError::internal)?;
        }
    }
    file.flush().await.map_err(ApiError::internal)?;
    Ok(())
}

/// Reads an uploaded file as `classify` would read it, classifies its
/// documents and writes their texts to the upload's text file.
fn read_upload(
    job: &Job,
    upload: u64,
    path: &std::path::Path,
    name: &str,
    max_doc_bytes: usize,
) -> ApiResult<Vec<Doc>> {
    let model = &job.model.model;
    let prefix = path.display().to_string();
    // Ids name the upload as the browser named it, not where it is stored.
    let rename = |id: String| match id.strip_prefix(&prefix) {
        Some(rest) => format!("{name}{rest}"),
        None => id,
    };
    let texts_file = fs::File::create(job.text_path(upload)).map_err(ApiError::internal)?;
    let mut texts = BufWriter::new(texts_file);
    let mut at = 0u64;
    let mut docs = Vec::new();
    let mut chunk = Vec::with_capacity(CHUNK);
    let inputs = crate::corpus::input::documents_as(
        &[path.to_path_buf()],
        max_doc_bytes,
        None,
        crate::corpus::columnar::ColumnNames::default(),
    );
    let mut flush = |chunk: &mut Vec<crate::corpus::InputDocument>| -> ApiResult<()> {
        let done: Vec<(String, Outcome, Option<String>)> = std::mem::take(chunk)
            .into_par_iter()
            .map(|d| {
                let (id, text) = d.into_text(max_doc_bytes);
                match text {
                    Err(e) => (rename(id), Outcome::Failed(e), None),
                    Ok(t) if t.trim().is_empty() => (rename(id), Outcome::Empty, Some(t)),
                    Ok(t) => (
                        rename(id),
                        Outcome::Classified(model.predict_text(&t)),
                        Some(t),
                    ),
                }
            })
            .collect();
        for (id, outcome, text) in done {
            let text = match text {
                Some(t) => {
                    texts.write_all(t.as_bytes()).map_err(ApiError::internal)?;
                    let r = TextRef {
                        upload,
                        at,
                        len: t.len() as u64,
                    };
                    at += t.len() as u64;
                    Some(r)
                }
                None => None,
            };
            docs.push(Doc { id, outcome, text });
        }
        Ok(())
    };
    for d in inputs {
        chunk.push(d);
        if chunk.len() == CHUNK {
            flush(&mut chunk)?;
        }
    }
    flush(&mut chunk)?;
    texts.flush().map_err(ApiError::internal)?;
    Ok(docs)
}

fn doc_number(n: &str, len: usize) -> ApiResult<usize> {
    n.parse::<usize>().ok().filter(|&n| n < len).ok_or_else(|| {
        ApiError::not_found(format!(
            "no document {n} in this job (it has {len}, numbered from 0)"
        ))
    })
}

/// The text and id of document `n`, for the corrections of [`super::learn`].
pub(crate) fn document_text(
    app: &Shared,
    job: &str,
    n: &str,
) -> ApiResult<(Arc<Job>, usize, String, String)> {
    let job = app.jobs.get(job)?;
    let (n, id, text) = {
        let state = lock(&job.state);
        let n = doc_number(n, state.docs.len())?;
        let doc = &state.docs[n];
        (n, doc.id.clone(), doc.text)
    };
    let text = match text {
        Some(r) => job.read_text(r).map_err(ApiError::internal)?,
        None => {
            return Err(ApiError(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("document {id} could not be read, so it has no text to label"),
            ))
        }
    };
    Ok((job, n, id, text))
}

impl Job {
    pub(crate) fn set_corrected(&self, n: usize, labels: Vec<String>) {
        lock(&self.state).corrected.insert(n, labels);
    }
}

pub(crate) async fn document(
    State(app): State<Shared>,
    Path((job_id, n)): Path<(String, String)>,
) -> ApiResult<Response> {
    let job = app.jobs.get(&job_id)?;
    let value = blocking(move || {
        let (n, id, text_ref, record, corrected) = {
            let state = lock(&job.state);
            let n = doc_number(&n, state.docs.len())?;
            let doc = &state.docs[n];
            let record = serde_json::to_value(job.record(doc)).unwrap_or_default();
            (
                n,
                doc.id.clone(),
                doc.text,
                record,
                state.corrected.get(&n).cloned(),
            )
        };
        let text = match text_ref {
            Some(r) => job.read_text(r).map_err(ApiError::internal)?,
            None => String::new(),
        };
        let model = &job.model.model;
        let shown_end = text
            .char_indices()
            .nth(SHOWN_CHARS)
            .map_or(text.len(), |(i, _)| i);
        let shown = &text[..shown_end];
        let (explanation, segments) = if text.trim().is_empty() {
            (
                serde_json::Value::Null,
                vec![super::segments::Segment {
                    text: shown.to_string(),
                    terms: vec![],
                    evidence: vec![],
                }],
            )
        } else {
            let x = model.explain(&text, 10);
            let segments = super::segments::segments(model, shown, &x);
            (model.explanation_json(&id, &x), segments)
        };
        Ok(serde_json::json!({
            "doc": n,
            "id": id,
            "record": record,
            "text": shown,
            "truncated": shown_end < text.len(),
            "explanation": explanation,
            "segments": segments,
            "corrected": corrected,
        }))
    })
    .await?;
    Ok(Json(value).into_response())
}

#[derive(Deserialize)]
pub(crate) struct QueueQuery {
    n: Option<usize>,
}

pub(crate) async fn queue(
    State(app): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<QueueQuery>,
) -> ApiResult<Response> {
    let job = app.jobs.get(&id)?;
    let n = q.n.unwrap_or(20);
    if !(1..=1000).contains(&n) {
        return Err(ApiError::bad_request(format!(
            "n={n}: ask for 1 to 1000 documents"
        )));
    }
    let value = blocking(move || {
        let state = lock(&job.state);
        let model = &job.model.model;
        let mut ranked: Vec<(f64, usize, &Prediction)> = state
            .docs
            .iter()
            .enumerate()
            .filter(|(i, _)| !state.corrected.contains_key(i))
            .filter_map(|(i, d)| match &d.outcome {
                Outcome::Classified(p) => Some((model.uncertainty(&p.scores), i, p)),
                _ => None,
            })
            .collect();
        // Most uncertain first; document order breaks ties.
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let queue: Vec<serde_json::Value> = ranked
            .iter()
            .take(n)
            .map(|&(u, i, p)| {
                let predicted: Vec<&str> = p
                    .labels
                    .iter()
                    .map(|&c| model.labels()[c].as_str())
                    .collect();
                serde_json::json!({
                    "doc": i,
                    "id": state.docs[i].id,
                    "uncertainty": crate::record::round6(u),
                    "predicted": predicted,
                    "scores": crate::record::Scores(model.labels(), &p.scores),
                    "relevance": p.relevance.map(crate::record::round6),
                })
            })
            .collect();
        Ok(serde_json::json!({ "queue": queue }))
    })
    .await?;
    Ok(Json(value).into_response())
}

#[derive(Deserialize)]
pub(crate) struct ExportQuery {
    format: Option<String>,
}

pub(crate) async fn export(
    State(app): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<ExportQuery>,
) -> ApiResult<Response> {
    let job = app.jobs.get(&id)?;
    let (format, content_type, ext) = match q.format.as_deref().unwrap_or("csv") {
        "csv" => (Format::Csv, "text/csv; charset=utf-8", "csv"),
        "jsonl" => (Format::Jsonl, "application/x-ndjson", "jsonl"),
        other => {
            return Err(ApiError::bad_request(format!(
                "unknown export format '{other}': use csv or jsonl"
            )))
        }
    };
    let filename = format!("docclass-job-{id}.{ext}");
    let bytes = blocking(move || {
        let state = lock(&job.state);
        let model = &job.model.model;
        let mut w = RecordWriter::new(Vec::new(), format, model.labels(), model.gate().is_some());
        for d in &state.docs {
            w.write_encoded(&job.record_bytes(d, format))
                .map_err(ApiError::internal)?;
        }
        Ok(w.into_inner())
    })
    .await?;
    Ok(download(bytes, content_type, &filename))
}

#[cfg(test)]
mod tests {
    use super::stored_extension;

    #[test]
    fn stored_names_keep_only_a_safe_extension() {
        assert_eq!(stored_extension("a/b/report.PDF"), ".pdf");
        assert_eq!(stored_extension("x.jsonl.gz"), ".jsonl.gz");
        assert_eq!(stored_extension("x.tar.pdf"), ".pdf");
        assert_eq!(stored_extension("../../etc/passwd"), "");
        assert_eq!(stored_extension("evil.../..\\x"), "");
        assert_eq!(stored_extension("a.ph p"), "");
        assert_eq!(stored_extension("noext"), "");
    }
}
