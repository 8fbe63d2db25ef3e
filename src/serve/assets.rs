//! The page: three files compiled into the binary, so that `docclass serve`
//! works offline with nothing to install or build. A strict
//! Content-Security-Policy allows nothing but this origin, so a document's
//! text can never pull in a script or an image from elsewhere.

use super::api::ApiError;
use super::Shared;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

const INDEX: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/app.css");

const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
                   script-src 'self'; connect-src 'self'; frame-src 'self'; \
                   frame-ancestors 'self'; base-uri 'none'; form-action 'self'";

fn asset(app: &Shared, name: &str, embedded: &'static str, content_type: &'static str) -> Response {
    // Development: the page's files from disk, without rebuilding.
    let body = match &app.options.assets_dir {
        Some(dir) => std::fs::read_to_string(dir.join(name)).unwrap_or_default(),
        None => embedded.to_string(),
    };
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

pub(crate) async fn index(State(app): State<Shared>) -> Response {
    asset(&app, "index.html", INDEX, "text/html; charset=utf-8")
}

pub(crate) async fn file(State(app): State<Shared>, Path(name): Path<String>) -> Response {
    match name.as_str() {
        "app.js" => asset(&app, "app.js", SCRIPT, "text/javascript; charset=utf-8"),
        "app.css" => asset(&app, "app.css", STYLE, "text/css; charset=utf-8"),
        _ => ApiError::not_found(format!("no asset named {name}")).into_response(),
    }
}
