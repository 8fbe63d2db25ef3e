//! Checks made before any handler runs.
//!
//! - **Token**: with `--token`, every request must carry it, as
//!   `Authorization: Bearer TOKEN` (API clients) or the `docclass_token`
//!   cookie that `GET /?token=TOKEN` sets (the browser page). Compared in
//!   constant time.
//! - **Host**: without a token the server only answers requests addressed
//!   to a loopback name, so a web page cannot reach it through a DNS name
//!   that it rebinds to 127.0.0.1.
//! - **Cross-site**: a request that changes or costs something (anything
//!   but GET and HEAD) is refused when the browser says it comes from
//!   another site (`Sec-Fetch-Site`) or names another origin (`Origin`).
//!   Clients that are not browsers send neither header and are let
//!   through; they cannot act with a victim's cookie.

use super::api::ApiError;
use super::Shared;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

const COOKIE: &str = "docclass_token";

pub(crate) async fn check(State(app): State<Shared>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    match &app.options.token {
        Some(token) => {
            if !carries_token(headers, token) {
                // The page's first load: exchange the token in the address
                // for a cookie, and drop it from the address bar.
                if request.method() == Method::GET && request.uri().path() == "/" {
                    if let Some(given) = query_token(request.uri().query()) {
                        if constant_time_eq(given.as_bytes(), token.as_bytes()) {
                            return with_cookie(token);
                        }
                    }
                }
                return ApiError(
                    StatusCode::UNAUTHORIZED,
                    "this server needs its token: send 'Authorization: Bearer TOKEN', or open \
                     /?token=TOKEN in the browser once"
                        .into(),
                )
                .into_response();
            }
        }
        None => {
            if !loopback_host(headers) {
                return ApiError(
                    StatusCode::FORBIDDEN,
                    "this server answers only requests addressed to localhost, 127.0.0.1 or [::1] \
                     (start it with --token to serve other names)"
                        .into(),
                )
                .into_response();
            }
        }
    }
    let safe = matches!(*request.method(), Method::GET | Method::HEAD);
    if !safe && cross_site(headers) {
        return ApiError(
            StatusCode::FORBIDDEN,
            "cross-site request refused: use the page served by docclass, or a client that \
             is not a browser"
                .into(),
        )
        .into_response();
    }
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    // The page is never framed by another site, and its JSON is never
    // sniffed as something else.
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

fn carries_token(headers: &HeaderMap, token: &str) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| constant_time_eq(t.trim().as_bytes(), token.as_bytes()));
    bearer
        || headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .any(|(k, v)| k == COOKIE && constant_time_eq(v.as_bytes(), token.as_bytes()))
}

fn query_token(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "token")
        .map(|(_, v)| percent_decode(v))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn with_cookie(token: &str) -> Response {
    let mut response = Redirect::to("/").into_response();
    let cookie = format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// The Host header's name (without port) is a loopback name. A request
/// without one (HTTP/1.0 by hand) is let through: browsers always send it.
fn loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return headers.get(header::HOST).is_none();
    };
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(n, _)| n)
    };
    let name = name.to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site != "same-origin" && site != "none" {
            return true;
        }
    }
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (None, _) => false,
        // Sent by browsers for sandboxed frames and some redirects.
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => {
            let authority = origin.split_once("://").map_or(origin, |(_, a)| a);
            !authority.eq_ignore_ascii_case(host)
        }
        (Some(_), None) => true,
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn loopback_names_only() {
        assert!(loopback_host(&headers(&[("host", "127.0.0.1:8080")])));
        assert!(loopback_host(&headers(&[("host", "localhost")])));
        assert!(loopback_host(&headers(&[("host", "[::1]:80")])));
        assert!(!loopback_host(&headers(&[("host", "evil.example:8080")])));
        assert!(!loopback_host(&headers(&[("host", "127.0.0.1.nip.io")])));
    }

    #[test]
    fn cross_site_by_origin_or_fetch_metadata() {
        assert!(!cross_site(&headers(&[("host", "127.0.0.1:8080")])));
        assert!(!cross_site(&headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080")
        ])));
        assert!(cross_site(&headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://evil.example")
        ])));
        assert!(cross_site(&headers(&[
            ("host", "127.0.0.1:8080"),
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(cross_site(&headers(&[("host", "h"), ("origin", "null")])));
    }

    #[test]
    fn tokens_from_header_cookie_and_query() {
        let t = "0123456789abcdef";
        assert!(carries_token(
            &headers(&[("authorization", "Bearer 0123456789abcdef")]),
            t
        ));
        assert!(carries_token(
            &headers(&[("cookie", "a=b; docclass_token=0123456789abcdef")]),
            t
        ));
        assert!(!carries_token(
            &headers(&[("authorization", "Bearer 0123456789abcdeX")]),
            t
        ));
        assert_eq!(query_token(Some("x=1&token=a%2Bb")).as_deref(), Some("a+b"));
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
