//! The stateless part of the HTTP API: classify and explain texts sent in
//! the request, describe the model, report health. Every error, whether a
//! handler's or axum's own (bad JSON, body too large, wrong method), leaves
//! as `{"error": "..."}` with a 4xx or 5xx status.

use super::Shared;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rayon::prelude::*;
use serde::Deserialize;

/// An error answered as JSON.
#[derive(Debug)]
pub(crate) struct ApiError(pub StatusCode, pub String);

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError(StatusCode::BAD_REQUEST, message.into())
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError(StatusCode::NOT_FOUND, message.into())
    }
    pub fn internal(message: impl std::fmt::Display) -> Self {
        ApiError(StatusCode::INTERNAL_SERVER_ERROR, message.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({"error": self.1}))).into_response()
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// A JSON body already serialised (records are built as strings by the
/// library, exactly as the CLI writes them).
pub(crate) fn json_response(body: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// Runs CPU-bound work off the async threads; a panic in it is a 500, not
/// a dead server.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::internal(format!("internal error: {e}")))?
}

/// Rewrites error responses that are not JSON (axum's rejections are plain
/// text: "Failed to parse the request body as JSON: ...") into
/// `{"error": ...}`, keeping their status.
pub(crate) async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if status.as_u16() < 400 || is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let reason = status.canonical_reason().unwrap_or("error");
    let message = if text.is_empty() {
        reason.to_string()
    } else {
        text
    };
    let mut out = ApiError(status, message).into_response();
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

/// Most of an oversized request read (and thrown away) before it is
/// answered: a client that sends its whole body before reading the answer
/// would otherwise have its connection reset and never see the 413.
const DRAIN_BYTES: u64 = 1 << 30;

/// Reads and discards the rest of a body, up to [`DRAIN_BYTES`].
pub(crate) async fn drain(mut body: Body) {
    use http_body_util::BodyExt;
    let mut seen = 0u64;
    while let Some(Ok(frame)) = body.frame().await {
        if let Ok(data) = frame.into_data() {
            seen += data.len() as u64;
            if seen > DRAIN_BYTES {
                break;
            }
        }
    }
}

/// Answers 413 to a request whose declared length is over the JSON limit,
/// after draining it.
pub(crate) async fn refuse_oversized(
    State(app): State<Shared>,
    request: Request,
    next: Next,
) -> Response {
    let max = app.options.max_request_bytes as u64;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let is_upload = request.uri().path().ends_with("/files");
    match declared {
        Some(n) if n > max && !is_upload => {
            drain(request.into_body()).await;
            ApiError(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body is {n} bytes, over the limit of {max} (--max-request-bytes)"),
            )
            .into_response()
        }
        _ => next.run(request).await,
    }
}

pub(crate) async fn not_found(request: Request) -> ApiError {
    ApiError::not_found(format!(
        "no such page or endpoint: {} {} (the API is listed at /api/openapi.json)",
        request.method(),
        request.uri().path()
    ))
}

pub(crate) async fn healthz(State(app): State<Shared>) -> Response {
    let active = app.learn.active();
    Json(serde_json::json!({
        "status": "ok",
        "model": active.name,
        "version": active.version,
    }))
    .into_response()
}

pub(crate) async fn openapi() -> Response {
    json_response(include_str!("openapi.json").to_string())
}

#[derive(Deserialize)]
pub(crate) struct TopQuery {
    /// Terms per label and direction.
    top: Option<usize>,
}

/// Most terms per label a request may ask for.
const MAX_TOP: usize = 200;

pub(crate) async fn model(
    State(app): State<Shared>,
    Query(q): Query<TopQuery>,
) -> ApiResult<Response> {
    let top = top_of(&q)?;
    let active = app.learn.active();
    let mut card = active.model.card_json(&active.name, top);
    card["version"] = serde_json::json!(active.version);
    card["data"] = app.learn.data_summary();
    Ok(Json(card).into_response())
}

/// `{"records": [{"id"?, "text"}, ...]}` or `{"texts": [...]}`: exactly one
/// of the two, nothing else.
pub(crate) struct Batch(Vec<(String, String)>);

impl<'de> Deserialize<'de> for Batch {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        #[derive(Deserialize)]
        struct InputRecord {
            id: Option<serde_json::Value>,
            text: String,
        }
        let value = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        let usage = "send {\"records\": [{\"id\": ..., \"text\": ...}]} or {\"texts\": [...]}";
        if value.len() != 1 {
            return Err(D::Error::custom(usage));
        }
        let pairs = match value.into_iter().next() {
            Some((key, list)) if key == "records" => {
                let records: Vec<InputRecord> = serde_json::from_value(list)
                    .map_err(|e| D::Error::custom(format!("records: {e}")))?;
                records
                    .into_iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let id = match r.id {
                            None | Some(serde_json::Value::Null) => (i + 1).to_string(),
                            Some(serde_json::Value::String(s)) => s,
                            Some(v @ serde_json::Value::Number(_)) => v.to_string(),
                            Some(_) => {
                                return Err(D::Error::custom(format!(
                                    "records[{i}].id must be a string or a number"
                                )))
                            }
                        };
                        Ok((id, r.text))
                    })
                    .collect::<Result<Vec<_>, _>>()?
            }
            Some((key, list)) if key == "texts" => {
                let texts: Vec<String> = serde_json::from_value(list)
                    .map_err(|e| D::Error::custom(format!("texts: {e}")))?;
                texts
                    .into_iter()
                    .enumerate()
                    .map(|(i, t)| ((i + 1).to_string(), t))
                    .collect()
            }
            _ => return Err(D::Error::custom(usage)),
        };
        Ok(Batch(pairs))
    }
}

/// The `top` of a request, within bounds.
pub(crate) fn top_of(q: &TopQuery) -> ApiResult<usize> {
    match q.top {
        None => Ok(10),
        Some(t) if t <= MAX_TOP => Ok(t),
        Some(t) => Err(ApiError::bad_request(format!(
            "top={t}: at most {MAX_TOP} terms per label"
        ))),
    }
}

fn too_long(len: usize, max: usize) -> String {
    format!("text is {len} bytes, over the limit of {max} (--max-doc-bytes)")
}

pub(crate) async fn classify(
    State(app): State<Shared>,
    Json(batch): Json<Batch>,
) -> ApiResult<Response> {
    let pairs = batch.0;
    let model = app.learn.active().model.clone();
    let max = app.options.max_doc_bytes;
    let body = blocking(move || {
        let records: Vec<String> = pairs
            .par_iter()
            .map(|(id, text)| {
                if text.len() > max {
                    let message = too_long(text.len(), max);
                    serde_json::to_string(&crate::record::Record::failed(id, &message))
                        .unwrap_or_default()
                } else {
                    model.classify_json(id, text)
                }
            })
            .collect();
        Ok(format!("{{\"records\":[{}]}}", records.join(",")))
    })
    .await?;
    Ok(json_response(body))
}

pub(crate) async fn explain(
    State(app): State<Shared>,
    Query(q): Query<TopQuery>,
    Json(batch): Json<Batch>,
) -> ApiResult<Response> {
    let top = top_of(&q)?;
    let pairs = batch.0;
    let model = app.learn.active().model.clone();
    let max = app.options.max_doc_bytes;
    let records = blocking(move || {
        Ok(pairs
            .par_iter()
            .map(|(id, text)| {
                if text.len() > max {
                    serde_json::json!({"id": id, "error": too_long(text.len(), max)})
                } else if text.trim().is_empty() {
                    serde_json::json!({"id": id, "empty": true})
                } else {
                    model.explanation_json(id, &model.explain(text, top))
                }
            })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(Json(serde_json::json!({ "records": records })).into_response())
}

/// A response with a body for download under `filename`.
pub(crate) fn download(body: Vec<u8>, content_type: &'static str, filename: &str) -> Response {
    let disposition = format!("attachment; filename=\"{filename}\"");
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}
