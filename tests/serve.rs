//! `docclass serve` through the real binary on loopback: the API contract
//! (records equal to the CLI's), limits, the token, cross-site refusal,
//! uploads that cannot escape the data folder, corrections that survive
//! `kill -9`, versions, and a bounded load test (32 clients; 5 s here,
//! `DOCCLASS_LOAD_SECONDS=20` for the figure in the README).

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("docclass")
}

/// A running server, killed when dropped.
struct Server {
    child: Child,
    addr: String,
    _dir: Option<tempfile::TempDir>,
    data_dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `docclass serve` on a free port with a fresh data folder.
    fn start(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("data");
        let mut s = Server::start_in(&data_dir, extra);
        s._dir = Some(dir);
        s
    }

    fn start_in(data_dir: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(binary())
            .arg("serve")
            .args(["--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("server ended before it served")
                .unwrap();
            if let Some(rest) = line.strip_prefix("docclass: serving on http://") {
                break rest.trim_end_matches('/').to_string();
            }
        };
        // Keep draining stderr so the server never blocks on it.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            addr,
            _dir: None,
            data_dir: data_dir.to_path_buf(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// (status, JSON body) of a request.
fn call(method: &str, url: &str, body: Option<&Value>, headers: &[(&str, &str)]) -> (u16, Value) {
    let a = agent();
    let mut response = match (method, body) {
        ("GET", _) => {
            let mut r = a.get(url);
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            r.call().unwrap()
        }
        (_, body) => {
            let mut r = a.post(url);
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            match body {
                Some(b) => r.send_json(b).unwrap(),
                None => r.send_empty().unwrap(),
            }
        }
    };
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_string()
        .unwrap();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// A request written by hand, for headers a client library would set
/// itself (Host, Origin). Returns (status, body).
fn raw(addr: &str, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = out.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

fn fixture_records(n: usize) -> Vec<Value> {
    let text = std::fs::read_to_string("tests/fixtures/programs-heldout.jsonl").unwrap();
    text.lines()
        .take(n)
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            json!({"id": v["id"], "text": v["text"]})
        })
        .collect()
}

/// What `docclass classify` (or `explain --json`) writes for these records.
fn cli_output(command: &[&str], records: &[Value]) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let lines: Vec<String> = records.iter().map(|r| r.to_string()).collect();
    std::fs::write(&input, lines.join("\n")).unwrap();
    let out = Command::new(binary())
        .args(command)
        .arg(&input)
        .arg("-q")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn classify_and_explain_give_the_cli_records_in_order() {
    let server = Server::start(&[]);
    let records = fixture_records(40);
    let (status, got) = call(
        "POST",
        &server.url("/api/classify"),
        Some(&json!({"records": records})),
        &[],
    );
    assert_eq!(status, 200, "{got}");
    assert_eq!(
        got["records"].as_array().unwrap(),
        &cli_output(&["classify"], &records)
    );

    let (status, got) = call(
        "POST",
        &server.url("/api/explain"),
        Some(&json!({"records": records[..5]})),
        &[],
    );
    assert_eq!(status, 200, "{got}");
    assert_eq!(
        got["records"].as_array().unwrap(),
        &cli_output(&["explain", "--json"], &records[..5])
    );

    // Texts without ids are named by position; an empty one is "empty".
    let (_, got) = call(
        "POST",
        &server.url("/api/classify"),
        Some(&json!({"texts": ["A course on container terminals for port officials.", "  "]})),
        &[],
    );
    let got = got["records"].as_array().unwrap();
    assert_eq!(got[0]["id"], "1");
    assert!(got[0]["scores"].is_object());
    assert_eq!(got[1], json!({"id": "2", "labels": [], "empty": true}));

    let (status, model) = call("GET", &server.url("/api/model"), None, &[]);
    assert_eq!(status, 200);
    assert_eq!(
        model["labels"],
        json!(["governance", "intelligence", "trade"])
    );
    assert_eq!(model["version"], 0);
    let (_, health) = call("GET", &server.url("/healthz"), None, &[]);
    assert_eq!(health["status"], "ok");
}

#[test]
fn the_openapi_document_describes_every_route() {
    let server = Server::start(&[]);
    let (status, spec) = call("GET", &server.url("/api/openapi.json"), None, &[]);
    assert_eq!(status, 200);
    assert_eq!(spec["openapi"], "3.1.0");
    let paths = spec["paths"].as_object().unwrap();
    let routes = include_str!("../src/serve/mod.rs")
        .lines()
        .filter_map(|l| l.trim().strip_prefix(".route(\""))
        .map(|l| l.split('"').next().unwrap().to_string())
        .filter(|p| p.starts_with("/api") || p == "/healthz" || p == "/report")
        .collect::<Vec<_>>();
    assert!(routes.len() >= 14, "{routes:?}");
    for route in routes {
        assert!(paths.contains_key(&route), "{route} is not in openapi.json");
    }
}

#[test]
fn bad_and_oversized_requests_get_json_4xx_and_the_server_goes_on() {
    let server = Server::start(&[
        "--max-request-bytes",
        "100000",
        "--max-upload-bytes",
        "50000",
        "--max-doc-bytes",
        "2000",
    ]);
    let url = server.url("/api/classify");
    let a = agent();
    let check = |status: u16, mut response: ureq::http::Response<ureq::Body>| {
        assert_eq!(response.status().as_u16(), status);
        let body: Value = response.body_mut().read_json().unwrap();
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{body}"
        );
    };
    check(
        413,
        a.post(&url)
            .header("Content-Type", "application/json")
            .send(vec![b' '; 3_000_000])
            .unwrap(),
    );
    check(
        400,
        a.post(&url)
            .header("Content-Type", "application/json")
            .send("{\"texts\": [")
            .unwrap(),
    );
    check(
        415,
        a.post(&url)
            .header("Content-Type", "text/plain")
            .send("{}")
            .unwrap(),
    );
    check(
        422,
        a.post(&url)
            .header("Content-Type", "application/json")
            .send("{\"records\": [{\"id\": 1}]}")
            .unwrap(),
    );
    check(
        422,
        a.post(&url)
            .header("Content-Type", "application/json")
            .send("{}")
            .unwrap(),
    );
    let deep = format!(
        "{{\"texts\": {}{}}}",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    let r = a
        .post(&url)
        .header("Content-Type", "application/json")
        .send(deep)
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    check(404, a.get(&server.url("/api/jobs/999")).call().unwrap());
    check(405, a.get(&url).call().unwrap());
    check(
        404,
        a.get(&server.url("/assets/../../etc/passwd"))
            .call()
            .unwrap(),
    );

    // A text over --max-doc-bytes is an error record, not a failed request.
    let (status, got) = call(
        "POST",
        &url,
        Some(&json!({"texts": ["x".repeat(3000), "a seminar"]})),
        &[],
    );
    assert_eq!(status, 200);
    assert!(got["records"][0]["error"]
        .as_str()
        .unwrap()
        .contains("--max-doc-bytes"));
    assert!(got["records"][1]["scores"].is_object());

    // Uploads: over the limit is 413 and leaves no file behind.
    let (_, job) = call("POST", &server.url("/api/jobs"), Some(&json!({})), &[]);
    let job = job["job"].as_str().unwrap().to_string();
    let upload = server.url(&format!("/api/jobs/{job}/files?name=big.txt"));
    check(413, a.post(&upload).send(vec![b'a'; 3_000_000]).unwrap());
    let leftovers: Vec<_> = std::fs::read_dir(server.data_dir.join("uploads").join(&job))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| !n.to_string_lossy().ends_with(".texts"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    check(
        400,
        a.post(&server.url(&format!("/api/jobs/{job}/files")))
            .send("x")
            .unwrap(),
    );
    let (status, _) = call("GET", &server.url("/healthz"), None, &[]);
    assert_eq!(status, 200);
}

#[test]
fn upload_names_never_reach_the_file_system() {
    let server = Server::start(&[]);
    let (status, job) = call("POST", &server.url("/api/jobs"), Some(&json!({})), &[]);
    assert_eq!(status, 201);
    let job = job["job"].as_str().unwrap().to_string();
    let outside = std::env::temp_dir().join(format!("docclass-escape-{}.txt", std::process::id()));
    let name = format!("../../../../../../..{}", outside.display());
    let url = server.url(&format!(
        "/api/jobs/{job}/files?name={}",
        name.replace('/', "%2F")
    ));
    let mut r = agent()
        .post(&url)
        .send("A training course on customs clearance for officials.")
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.body_mut().read_json().unwrap();
    assert_eq!(body["records"][0]["id"], name.as_str());
    assert!(!outside.exists());
    // A records file gives one record per row, numbered after the first.
    let rows =
        "{\"id\": \"r1\", \"text\": \"seminar on e-commerce for officials\"}\n{\"text\": \"\"}\n";
    let url = server.url(&format!("/api/jobs/{job}/files?name=dir%2Frows.jsonl"));
    let body: Value = agent()
        .post(&url)
        .send(rows)
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    assert_eq!(body["first"], 1);
    assert_eq!(body["records"][0]["id"], "r1");
    assert_eq!(body["records"][1]["id"], "dir/rows.jsonl:2");
    assert_eq!(body["records"][1]["empty"], true);
    let (_, all) = call("GET", &server.url(&format!("/api/jobs/{job}")), None, &[]);
    assert_eq!(all["documents"], 3);
}

#[test]
fn a_token_is_required_on_every_request_when_set() {
    let token = "s3cret-token-0123456789";
    let server = Server::start(&["--token", token]);
    let (status, body) = call("GET", &server.url("/healthz"), None, &[]);
    assert_eq!(status, 401, "{body}");
    let (status, _) = call("GET", &server.url("/"), None, &[]);
    assert_eq!(status, 401);
    let bearer = format!("Bearer {token}");
    let (status, _) = call(
        "GET",
        &server.url("/healthz"),
        None,
        &[("Authorization", &bearer)],
    );
    assert_eq!(status, 200);
    let (status, _) = call(
        "GET",
        &server.url("/healthz"),
        None,
        &[("Authorization", "Bearer wrong-token-0123456789")],
    );
    assert_eq!(status, 401);
    // The page's first load trades the token for a cookie.
    let (status, head) = raw(
        &server.addr,
        &format!("GET /?token={token} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    );
    assert_eq!(status, 303, "{head}");
    let cookie = format!("docclass_token={token}");
    let (status, _) = call(
        "GET",
        &server.url("/api/model"),
        None,
        &[("Cookie", &cookie)],
    );
    assert_eq!(status, 200);

    // Beyond loopback, a token is compulsory.
    let out = Command::new(binary())
        .args(["serve", "--addr", "0.0.0.0:0", "--data-dir"])
        .arg(tempfile::tempdir().unwrap().path())
        .env_remove("DOCCLASS_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--token"));
}

#[test]
fn cross_site_and_rebound_host_requests_are_refused() {
    let server = Server::start(&[]);
    let body = "{\"texts\": [\"x\"]}";
    let post = |extra: &str| {
        raw(
            &server.addr,
            &format!(
                "POST /api/classify HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                server.addr,
                body.len()
            ),
        )
    };
    assert_eq!(post("").0, 200);
    assert_eq!(
        post(&format!(
            "Origin: http://{}\r\nSec-Fetch-Site: same-origin\r\n",
            server.addr
        ))
        .0,
        200
    );
    let (status, text) = post("Origin: https://evil.example\r\n");
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("cross-site"));
    assert_eq!(post("Sec-Fetch-Site: cross-site\r\n").0, 403);
    // A job created from another site is refused too.
    let (status, _) = raw(
        &server.addr,
        &format!("POST /api/jobs HTTP/1.1\r\nHost: {}\r\nOrigin: http://evil.example\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", server.addr),
    );
    assert_eq!(status, 403);
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1.
    let (status, _) = raw(
        &server.addr,
        "GET /api/model HTTP/1.1\r\nHost: evil.example:8080\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 403);
}

/// Posts one correction of document 0 of a new job holding `text`.
fn correct(server: &Server, name: &str, text: &str, labels: &[&str]) -> Value {
    let (_, job) = call("POST", &server.url("/api/jobs"), Some(&json!({})), &[]);
    let job = job["job"].as_str().unwrap().to_string();
    let url = server.url(&format!("/api/jobs/{job}/files?name={name}"));
    let r = agent().post(&url).send(text).unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (status, saved) = call(
        "POST",
        &server.url(&format!("/api/jobs/{job}/docs/0/labels")),
        Some(&json!({"labels": labels})),
        &[],
    );
    assert_eq!(status, 200, "{saved}");
    saved
}

#[test]
fn corrections_survive_kill_and_retraining_keeps_every_version() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let labels = dir.path().join("labels.jsonl");
    // The analyst's labelled data: held-out fixtures of the project.
    let fixtures = std::fs::read_to_string("tests/fixtures/programs-heldout.jsonl").unwrap();
    let lines: Vec<&str> = fixtures.lines().take(60).collect();
    std::fs::write(&labels, lines.join("\n")).unwrap();
    let data_arg = labels.to_str().unwrap();
    let mut server = Server::start_in(&data_dir, &["--data", data_arg]);
    let saved = correct(&server, "notice.txt", "Each participant shall hand in a report on the cooperation of their unit with other foreign countries, naming the officials involved.", &["intelligence"]);
    assert_eq!(saved["corrections"], 1);
    // Killed without warning right after the answer: the line is there.
    let _ = server.child.kill();
    let _ = server.child.wait();
    let text = std::fs::read_to_string(&labels).unwrap();
    assert_eq!(text.lines().count(), 61);
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["id"], "notice.txt");
    assert_eq!(last["labels"], json!(["intelligence"]));
    assert!(
        !std::fs::read_dir(dir.path()).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with('.')),
        "a temporary file was left beside the labels file"
    );

    let server = Server::start_in(&data_dir, &["--data", data_arg]);
    let (_, model) = call("GET", &server.url("/api/model"), None, &[]);
    assert_eq!(model["data"]["corrections"], 1);
    assert_eq!(model["data"]["documents"], 61);
    let (status, _) = call("POST", &server.url("/api/retrain"), Some(&json!({})), &[]);
    assert_eq!(status, 202);
    let (status, _) = call("POST", &server.url("/api/retrain"), Some(&json!({})), &[]);
    assert!(status == 409 || status == 202, "{status}");
    let deadline = Instant::now() + Duration::from_secs(300);
    let state = loop {
        let (_, s) = call("GET", &server.url("/api/retrain"), None, &[]);
        if s["state"] != "running" {
            break s;
        }
        assert!(Instant::now() < deadline, "retrain did not finish: {s}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(state["state"], "done", "{state}");
    assert_eq!(state["version"], 1);
    assert_eq!(state["after"]["documents"], 61);
    assert!(state["before"]["macro_f1"].as_f64().is_some(), "{state}");
    // Not switched until asked.
    let (_, health) = call("GET", &server.url("/healthz"), None, &[]);
    assert_eq!(health["version"], 0);
    let (status, _) = call(
        "POST",
        &server.url("/api/versions/1/activate"),
        Some(&json!({})),
        &[],
    );
    assert_eq!(status, 200);
    let (_, health) = call("GET", &server.url("/healthz"), None, &[]);
    assert_eq!(health["version"], 1);
    let (_, versions) = call("GET", &server.url("/api/versions"), None, &[]);
    assert_eq!(versions["versions"].as_array().unwrap().len(), 2);
    assert!(data_dir.join("models/v1.docclass").exists());
    // The retrained model classifies like the same model loaded by the CLI.
    let records = fixture_records(10);
    let (_, got) = call(
        "POST",
        &server.url("/api/classify"),
        Some(&json!({"records": records})),
        &[],
    );
    let model_path = data_dir.join("models/v1.docclass");
    let cli = cli_output(
        &["classify", "--model", model_path.to_str().unwrap()],
        &records,
    );
    assert_eq!(got["records"].as_array().unwrap(), &cli);
    // Back to version 0, and the report renders for the active version.
    let (status, _) = call(
        "POST",
        &server.url("/api/versions/0/activate"),
        Some(&json!({})),
        &[],
    );
    assert_eq!(status, 200);
    let (status, report) = call("GET", &server.url("/report"), None, &[]);
    assert_eq!(status, 200);
    assert!(report.as_str().unwrap().contains("version 0"));
    let (status, _) = call(
        "POST",
        &server.url("/api/versions/7/activate"),
        Some(&json!({})),
        &[],
    );
    assert_eq!(status, 404);
}

#[test]
fn document_view_queue_and_export() {
    let server = Server::start(&[]);
    let (_, job) = call("POST", &server.url("/api/jobs"), Some(&json!({})), &[]);
    let job = job["job"].as_str().unwrap().to_string();
    let records = fixture_records(12);
    let lines: Vec<String> = records.iter().map(|r| r.to_string()).collect();
    let url = server.url(&format!("/api/jobs/{job}/files?name=batch.jsonl"));
    agent().post(&url).send(lines.join("\n")).unwrap();
    let (status, doc) = call(
        "GET",
        &server.url(&format!("/api/jobs/{job}/docs/3")),
        None,
        &[],
    );
    assert_eq!(status, 200);
    assert_eq!(doc["id"], records[3]["id"]);
    let joined: String = doc["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert_eq!(joined, records[3]["text"].as_str().unwrap());
    assert!(doc["segments"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| !s["terms"].as_array().unwrap().is_empty()));
    assert_eq!(
        doc["explanation"],
        cli_output(&["explain", "--json"], &records[3..4])[0]
    );

    let (_, queue) = call(
        "GET",
        &server.url(&format!("/api/jobs/{job}/queue?n=5")),
        None,
        &[],
    );
    let queue = queue["queue"].as_array().unwrap();
    assert_eq!(queue.len(), 5);
    let u: Vec<f64> = queue
        .iter()
        .map(|q| q["uncertainty"].as_f64().unwrap())
        .collect();
    assert!(u.windows(2).all(|w| w[0] >= w[1]), "{u:?}");

    let mut r = agent()
        .get(&server.url(&format!("/api/jobs/{job}/export?format=jsonl")))
        .call()
        .unwrap();
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let exported: Vec<Value> = r
        .body_mut()
        .read_to_string()
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(exported, cli_output(&["classify"], &records));
    let mut r = agent()
        .get(&server.url(&format!("/api/jobs/{job}/export?format=csv")))
        .call()
        .unwrap();
    let csv = r.body_mut().read_to_string().unwrap();
    assert!(csv.starts_with("id,labels,governance,intelligence,trade,relevance,empty,error\n"));
    assert_eq!(csv.lines().count(), 13);
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[test]
fn load_32_clients_get_the_cli_records_without_errors() {
    let seconds: u64 = std::env::var("DOCCLASS_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let server = Server::start(&[]);
    let records = fixture_records(64);
    let expected = cli_output(&["classify"], &records);
    let url = server.url("/api/classify");
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let clients: Vec<_> = (0..32)
        .map(|c| {
            let url = url.clone();
            let records = records.clone();
            let expected = expected.clone();
            std::thread::spawn(move || {
                let a = agent();
                let mut latencies = Vec::new();
                let mut errors = 0u32;
                let mut i = c;
                while Instant::now() < deadline {
                    // Each request: 4 documents, a different slice each time.
                    let at = (i * 4) % records.len();
                    let batch = &records[at..at + 4];
                    let started = Instant::now();
                    let ok = a
                        .post(&url)
                        .send_json(json!({"records": batch}))
                        .ok()
                        .filter(|r| r.status() == 200)
                        .and_then(|mut r| r.body_mut().read_json::<Value>().ok())
                        .is_some_and(|v| {
                            v["records"].as_array() == Some(&expected[at..at + 4].to_vec())
                        });
                    latencies.push(started.elapsed());
                    errors += u32::from(!ok);
                    i += 32;
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for c in clients {
        let (l, e) = c.join().unwrap();
        all.extend(l);
        errors += e;
    }
    all.sort();
    let n = all.len();
    eprintln!(
        "load: 32 clients, {seconds} s: {n} requests ({} documents), {:.0} requests/s, \
         {:.0} documents/s, p50 {:.1} ms, p99 {:.1} ms, {errors} errors",
        n * 4,
        n as f64 / seconds as f64,
        (n * 4) as f64 / seconds as f64,
        percentile(&all, 0.5).as_secs_f64() * 1e3,
        percentile(&all, 0.99).as_secs_f64() * 1e3,
    );
    assert_eq!(errors, 0);
    assert!(n >= 32, "{n} requests");
    let (status, _) = call("GET", &server.url("/healthz"), None, &[]);
    assert_eq!(status, 200);
}
