//! `docclass serve`: the local web app and HTTP API, a thin layer over the
//! library like the CLI. One process: the page and its assets are compiled
//! into the binary, uploads and model versions live in one data folder, and
//! every CPU-heavy step runs on blocking threads so that a slow request
//! never stalls the others.
//!
//! - [`api`]: the stateless JSON API (`/api/classify`, `/api/explain`,
//!   `/api/model`, `/healthz`) and the JSON error type.
//! - [`jobs`]: batches of uploaded files, their records, the document view,
//!   the "label next" queue and exports.
//! - [`learn`]: corrections, model versions, retraining and the report.
//! - [`guard`]: token, host and cross-site checks applied to every request.

mod api;
mod assets;
mod guard;
mod jobs;
mod learn;
mod segments;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Everything `docclass serve` is started with.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub addr: SocketAddr,
    /// Required on every request when set (and to bind beyond loopback).
    pub token: Option<String>,
    /// Uploads, model versions and the labels file when `data` is not one
    /// JSON Lines file.
    pub data_dir: PathBuf,
    /// Labelled data: retraining starts from it and the report measures on
    /// it. When it is one `.jsonl` file, corrections are appended to it.
    pub data: Vec<PathBuf>,
    /// Out-of-domain documents for the relevance gate of retrained models.
    pub background: Vec<PathBuf>,
    /// The first model version; the embedded default model if absent.
    pub model: Option<PathBuf>,
    /// Largest JSON request body.
    pub max_request_bytes: usize,
    /// Largest uploaded file.
    pub max_upload_bytes: u64,
    pub max_doc_bytes: usize,
    /// Serve the page from this folder instead of the embedded copy (for
    /// working on the page without rebuilding).
    pub assets_dir: Option<PathBuf>,
}

/// What every handler shares.
pub(crate) struct App {
    pub options: ServeOptions,
    pub jobs: jobs::Jobs,
    pub learn: learn::Learning,
}

pub(crate) type Shared = Arc<App>;

/// Binds, prints the address on stderr (`docclass: serving on URL`), and
/// serves until Ctrl-C or SIGTERM.
pub fn serve(options: ServeOptions) -> anyhow::Result<()> {
    if !options.addr.ip().is_loopback() && options.token.is_none() {
        anyhow::bail!(
            "{} is reachable from other machines: give --token (or set DOCCLASS_TOKEN) so that \
             only people with the token can use it, or bind to 127.0.0.1",
            options.addr
        );
    }
    if options.token.as_deref().is_some_and(|t| t.len() < 16) {
        anyhow::bail!("--token must be at least 16 characters (try: openssl rand -hex 16)");
    }
    std::fs::create_dir_all(&options.data_dir).map_err(|e| {
        anyhow::anyhow!(
            "cannot create the data folder {}: {e}",
            options.data_dir.display()
        )
    })?;
    let learn = learn::Learning::open(&options)?;
    let jobs = jobs::Jobs::open(&options.data_dir)?;
    let app = Arc::new(App {
        options,
        jobs,
        learn,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(app.options.addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", app.options.addr))?;
        let local = listener.local_addr()?;
        note(&format!(
            "docclass: model {} (version {}); data folder {}",
            app.learn.active().name,
            app.learn.active().version,
            app.options.data_dir.display()
        ));
        // Always printed, even with --quiet: it is how scripts find the port.
        eprintln!("docclass: serving on http://{local}/");
        axum::serve(listener, router(app))
            .with_graceful_shutdown(shutdown_signal())
            .await?;
        anyhow::Ok(())
    })
}

fn router(app: Shared) -> Router {
    let max_request = app.options.max_request_bytes;
    Router::new()
        .route("/", get(assets::index))
        .route("/assets/{file}", get(assets::file))
        .route("/healthz", get(api::healthz))
        .route("/api/openapi.json", get(api::openapi))
        .route("/api/model", get(api::model))
        .route("/api/classify", post(api::classify))
        .route("/api/explain", post(api::explain))
        .route("/api/jobs", post(jobs::create))
        .route("/api/jobs/{job}", get(jobs::show))
        .route(
            "/api/jobs/{job}/files",
            // Streamed to disk with its own limit, not buffered.
            post(jobs::upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/api/jobs/{job}/docs/{n}", get(jobs::document))
        .route("/api/jobs/{job}/docs/{n}/labels", post(learn::correct))
        .route("/api/jobs/{job}/queue", get(jobs::queue))
        .route("/api/jobs/{job}/export", get(jobs::export))
        .route(
            "/api/retrain",
            get(learn::retrain_status).post(learn::retrain),
        )
        .route("/api/versions", get(learn::versions))
        .route("/api/versions/{n}/activate", post(learn::activate))
        .route("/report", get(learn::report))
        .fallback(api::not_found)
        .layer(DefaultBodyLimit::max(max_request))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            api::refuse_oversized,
        ))
        .layer(axum::middleware::from_fn(api::json_errors))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            guard::check,
        ))
        .with_state(app)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    note("docclass: stopping");
}

/// Locks a mutex, carrying on after a panic in another request: the data
/// behind these locks (a job's records, the version book) is updated in
/// single steps, so a panicking holder cannot leave it half-written.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A line on stderr, unless `--quiet`.
pub(crate) fn note(line: &str) {
    if !crate::cli::progress::quiet() {
        eprintln!("{line}");
    }
}

/// Now as an RFC 3339 UTC timestamp (second precision).
pub(crate) fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_are_rfc3339() {
        let t = super::now_rfc3339();
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.starts_with("20") && t.ends_with('Z'), "{t}");
    }
}
