//! Hostile input and faults (issue "Hostile input and faults"), through the
//! real binary under an address-space limit: each test generates its
//! hostile files, runs one row of the table in the README's "Bad input and
//! faults" section, and asserts the exit status, the records and the peak
//! memory (of docclass and its extraction processes together).

mod common;

use serde_json::Value;
use std::ffi::OsStr;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("docclass")
}

/// Address space docclass itself runs under in these tests, as a user's
/// `ulimit -v` would set it.
const ADDRESS_SPACE: u64 = 6 << 30;

/// What one run gave.
struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
    /// Largest resident set of docclass or any of its extraction processes.
    peak_mib: u64,
    elapsed: Duration,
}

impl Run {
    fn records(&self) -> Vec<Value> {
        String::from_utf8_lossy(&self.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    fn no_panic(&self) {
        assert!(
            !self.stderr.contains("panicked") && self.code != Some(101),
            "{:?} {}",
            self.code,
            self.stderr
        );
    }
}

/// Runs docclass with `args` in `dir`, stdout and stderr to files (no pipe
/// can fill), under [`ADDRESS_SPACE`], killed after `limit`.
fn run_in(dir: &Path, args: &[&OsStr], env: &[(&str, &str)], limit: Duration) -> Run {
    let out_path = dir.join(".stdout");
    let err_path = dir.join(".stderr");
    let mut cmd = Command::new(binary());
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out_path).expect("stdout file"))
        .stderr(fs::File::create(&err_path).expect("stderr file"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: ADDRESS_SPACE,
                rlim_max: ADDRESS_SPACE,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let started = Instant::now();
    // Reaped below with wait4, which also gives the peak memory that
    // `Child::wait` does not.
    #[allow(clippy::zombie_processes)]
    let child = cmd.spawn().expect("docclass starts");
    let pid = child.id() as libc::pid_t;
    let (status, usage) = loop {
        let mut status = 0;
        // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: waits for our own child; both pointers are valid.
        let done = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if done == pid {
            break (status, usage);
        }
        if started.elapsed() > limit {
            // SAFETY: signals our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("docclass {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    // The table of the README's "Bad input and faults" section comes from
    // these lines (`cargo test --release --test hostile -- --nocapture`).
    eprintln!(
        "docclass {}: exit {code:?}, peak {} MiB, {:.1} s",
        args.iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" "),
        usage.ru_maxrss / 1024,
        started.elapsed().as_secs_f64()
    );
    Run {
        code,
        stdout: fs::read(&out_path).expect("stdout"),
        stderr: fs::read_to_string(&err_path).unwrap_or_default(),
        peak_mib: usage.ru_maxrss as u64 / 1024,
        elapsed: started.elapsed(),
    }
}

fn run(dir: &Path, args: &[&str]) -> Run {
    let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    run_in(dir, &args, &[], Duration::from_secs(120))
}

fn error_of(record: &Value) -> &str {
    record["error"].as_str().unwrap_or("")
}

const PLAIN: &str = "Seminar on port management and logistics for officials of developing \
                     countries: container terminals, customs clearance, free trade zones.";

/// A one-page PDF whose page content is a FlateDecode stream of `inflated`
/// bytes of text operators: a few dozen KB on disk.
fn pdf_bomb(inflated: usize) -> Vec<u8> {
    let op = b"0 0 Td (x) Tj\n";
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = op.repeat(64 * 1024 / op.len());
    let mut written = 0;
    while written < inflated {
        encoder.write_all(&chunk).expect("deflate");
        written += chunk.len();
    }
    let stream = encoder.finish().expect("deflate");
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
          /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_vec(),
    ];
    let mut content = format!(
        "<< /Length {} /Filter /FlateDecode >>\nstream\n",
        stream.len()
    )
    .into_bytes();
    content.extend_from_slice(&stream);
    content.extend_from_slice(b"\nendstream");
    objects.push(content);
    objects.push(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec());
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(object);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// A DOCX whose `word/document.xml` is `paragraphs` paragraphs of `text`.
fn docx(text: &str, paragraphs: usize) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("[Content_Types].xml", options).expect("zip");
    zip.write_all(br#"<?xml version="1.0"?><Types/>"#)
        .expect("zip");
    zip.start_file("word/document.xml", options).expect("zip");
    zip.write_all(
        br#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>"#,
    )
    .expect("zip");
    let paragraph = format!("<w:p><w:r><w:t>{text}</w:t></w:r></w:p>");
    for _ in 0..paragraphs {
        zip.write_all(paragraph.as_bytes()).expect("zip");
    }
    zip.write_all(b"</w:body></w:document>").expect("zip");
    zip.finish().expect("zip").into_inner()
}

/// Rows 1 and 4: decompression bombs get an error record, the batch goes
/// on, memory stays under the extraction processes' limit, and `--out`
/// is written whole with no temporary file left.
#[test]
fn decompression_bombs_fail_alone_with_bounded_memory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    fs::write(d.join("bomb1.pdf"), pdf_bomb(64 << 20)).expect("write");
    fs::write(d.join("bomb2.pdf"), pdf_bomb(64 << 20)).expect("write");
    fs::write(d.join("plain.txt"), PLAIN).expect("write");
    // 10 MB of text in a DOCX of a few KB: within the file-size limit, over
    // 4 x --max-doc-bytes once inflated.
    fs::write(d.join("inflating.docx"), docx(&"port ".repeat(200), 10_000)).expect("write");
    let r = run(
        d,
        &[
            "classify",
            "bomb1.pdf",
            "bomb2.pdf",
            "inflating.docx",
            "plain.txt",
            "--max-doc-bytes",
            "2000000",
            "--out",
            "out.jsonl",
        ],
    );
    r.no_panic();
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let records: Vec<Value> = fs::read_to_string(d.join("out.jsonl"))
        .expect("out written")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(records.len(), 4);
    for bomb in &records[..2] {
        let e = error_of(bomb);
        assert!(e.contains("MiB of memory"), "{e}");
    }
    let e = error_of(&records[2]);
    assert!(e.contains("4 x --max-doc-bytes"), "{e}");
    assert!(records[3]["labels"].is_array() && error_of(&records[3]).is_empty());
    let worker_limit = docclass::corpus::extract::worker::MIN_WORKER_MEMORY >> 20;
    assert!(
        r.peak_mib < worker_limit + 200,
        "peak {} MiB, worker limit {worker_limit} MiB",
        r.peak_mib
    );
    assert!(common::temp_files(d).is_empty());
}

/// Row 4: a DOCX whose text is over --max-doc-bytes is refused with the
/// size, not accepted whole.
#[test]
fn a_docx_whose_text_is_over_the_size_limit_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    fs::write(d.join("big.docx"), docx(&"seminar ".repeat(100), 2_000)).expect("write");
    let r = run(d, &["classify", "big.docx", "--max-doc-bytes", "1000000"]);
    r.no_panic();
    let records = r.records();
    let e = error_of(&records[0]);
    assert!(
        e.contains("over the limit of 1000000 (--max-doc-bytes)"),
        "{e}"
    );
}

/// Row 2: extractions that overrun are killed at the time limit, so ten of
/// them cost ten time limits spread over the workers, not minutes each,
/// and their memory is freed.
#[test]
fn timed_out_extractions_are_stopped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let nested = format!("<html><body>{}x", "<div>".repeat(1_000_000));
    for i in 0..4 {
        fs::write(d.join(format!("nested{i}.html")), &nested).expect("write");
    }
    fs::write(d.join("plain.txt"), PLAIN).expect("write");
    let args: Vec<&OsStr> = ["classify", "."].iter().map(OsStr::new).collect();
    let r = run_in(
        d,
        &args,
        &[("DOCCLASS_EXTRACT_TIMEOUT", "1")],
        Duration::from_secs(60),
    );
    r.no_panic();
    let records = r.records();
    assert_eq!(records.len(), 5);
    for record in &records[..4] {
        assert_eq!(error_of(record), "extraction timed out after 1 s");
    }
    assert!(error_of(&records[4]).is_empty());
    // Four kills of a second each on at least one worker at a time, plus
    // start-up: far from four full parses.
    assert!(r.elapsed < Duration::from_secs(20), "{:?}", r.elapsed);
    assert!(r.peak_mib < 1200, "peak {} MiB", r.peak_mib);
}

/// Row 3: HTML of millions of elements is read within a bounded memory
/// (a worker process's limit), or refused with that reason.
#[test]
fn html_with_millions_of_elements_has_bounded_memory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mut html = b"<html><body>".to_vec();
    html.extend_from_slice(&b"<i>".repeat(10_000_000));
    fs::write(d.join("italic.html"), html).expect("write");
    fs::write(d.join("plain.txt"), PLAIN).expect("write");
    let r = run(d, &["classify", "italic.html", "plain.txt"]);
    r.no_panic();
    let records = r.records();
    assert_eq!(records.len(), 2);
    let e = error_of(&records[0]);
    assert!(e.is_empty() || e.contains("MiB of memory"), "{e}");
    assert!(error_of(&records[1]).is_empty());
    assert!(r.peak_mib < 1300, "peak {} MiB", r.peak_mib);
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).expect("path");
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

/// Row 5: a named pipe nobody writes to gets an error record; the other
/// inputs are classified and nothing hangs (classify, extract, tokenize).
#[test]
fn a_named_pipe_without_writer_does_not_hang_the_batch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    mkfifo(&d.join("fifo"));
    fs::write(d.join("plain.txt"), PLAIN).expect("write");
    let r = run(d, &["classify", "fifo", "plain.txt"]);
    r.no_panic();
    assert_eq!(r.code, Some(1));
    let records = r.records();
    assert_eq!(records.len(), 2);
    assert!(error_of(&records[0]).contains("not a regular file"));
    assert!(error_of(&records[1]).is_empty());
    let r = run(d, &["extract", "fifo", "plain.txt"]);
    assert_eq!(r.code, Some(1));
    assert!(String::from_utf8_lossy(&r.stdout).contains("port management"));
    assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
    let r = run(d, &["tokenize", "fifo"]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
    assert!(r.elapsed < Duration::from_secs(30));
}

/// Row 6: a model path that is not a model fails from its first bytes.
#[test]
fn a_device_or_data_file_as_model_fails_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    fs::write(d.join("plain.txt"), PLAIN).expect("write");
    for model in ["/dev/zero", "plain.txt"] {
        let r = run(d, &["classify", "--model", model, "plain.txt"]);
        assert_eq!(r.code, Some(2));
        assert!(
            r.stderr.contains("not a docclass model file"),
            "{}",
            r.stderr
        );
        assert!(r.peak_mib < 100, "{model}: peak {} MiB", r.peak_mib);
    }
}

/// Row 7: a full disk is exit 2 with a message; a reader that goes away
/// ends the command quietly. Never a panic.
#[test]
fn write_failures_are_errors_and_closed_pipes_end_quietly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = root.join("tests/fixtures/genres-heldout.jsonl");
    let data = data.to_str().expect("path");
    let commands: Vec<Vec<&str>> = vec![
        vec!["stats", "--data", data],
        vec!["inspect"],
        vec!["eval", "--data", data],
        vec!["cv", "--data", data, "--folds", "2"],
        vec!["classify", data],
        vec!["explain", data],
    ];
    for args in &commands {
        let full = Command::new(binary())
            .args(args)
            .stdout(
                fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .expect("/dev/full"),
            )
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&full.stderr);
        assert_eq!(full.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("No space left"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");

        let mut child = Command::new(binary())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("runs");
        let mut head = [0u8; 10];
        let mut stdout = child.stdout.take().expect("stdout");
        let _ = stdout.read(&mut head);
        drop(stdout);
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut stderr)
            .expect("read");
        let status = child.wait().expect("exits");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(
            matches!(status.code(), Some(0) | Some(1)),
            "{args:?}: {status} {stderr}"
        );
    }
}

/// Rows 8 and 9: an unclosed quote names its line instead of silently
/// swallowing the records after it; a very wide CSV works.
#[test]
fn csv_unclosed_quotes_and_wide_tables() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    fs::write(
        d.join("quote.csv"),
        format!("id,text\n1,{PLAIN}\n2,\"unterminated {PLAIN}\n3,{PLAIN}\n4,{PLAIN}\n"),
    )
    .expect("write");
    let r = run(d, &["classify", "quote.csv"]);
    assert_eq!(r.code, Some(1));
    let records = r.records();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1]["id"], "quote.csv:3");
    assert!(error_of(&records[1]).contains("line 3: a quoted field"));
    let mut wide = String::from("id,text");
    for i in 0..70_000 {
        wide.push_str(&format!(",c{i}"));
    }
    wide.push_str(&format!("\nw1,{PLAIN}{}\n", ",x".repeat(70_000)));
    fs::write(d.join("wide.csv"), wide).expect("write");
    let r = run(d, &["classify", "wide.csv", "--max-doc-bytes", "10000000"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.records()[0]["id"], "w1");
}

/// Rows 10 and 14: an output that is an input is refused; `--out` through
/// a symbolic link writes the link's target and keeps its mode.
#[test]
fn outputs_never_replace_inputs_and_respect_links_and_modes() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = fs::read_to_string(root.join("tests/fixtures/genres-heldout.jsonl")).expect("data");
    fs::write(d.join("x.jsonl"), &data).expect("write");
    std::os::unix::fs::symlink("x.jsonl", d.join("alias.jsonl")).expect("symlink");
    for args in [
        vec!["train", "--data", "x.jsonl", "--out", "x.jsonl"],
        vec!["classify", "x.jsonl", "--out", "alias.jsonl"],
        vec!["suggest", "x.jsonl", "--out", "./x.jsonl"],
        vec!["eval", "--data", "x.jsonl", "--html", "x.jsonl"],
    ] {
        let r = run(d, &args);
        assert_eq!(r.code, Some(2), "{args:?}");
        assert!(r.stderr.contains("also an input"), "{args:?}: {}", r.stderr);
        assert_eq!(fs::read_to_string(d.join("x.jsonl")).expect("kept"), data);
    }
    fs::write(d.join("private.jsonl"), "old").expect("write");
    fs::set_permissions(d.join("private.jsonl"), fs::Permissions::from_mode(0o600)).expect("chmod");
    std::os::unix::fs::symlink("private.jsonl", d.join("link.jsonl")).expect("symlink");
    let r = run(d, &["classify", "x.jsonl", "--out", "link.jsonl"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(fs::symlink_metadata(d.join("link.jsonl"))
        .expect("link")
        .file_type()
        .is_symlink());
    let written = fs::read_to_string(d.join("private.jsonl")).expect("target");
    assert_eq!(written.lines().count(), data.lines().count());
    let mode = fs::metadata(d.join("private.jsonl"))
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// Rows 11 and 12: labels that would break CSV output are refused at
/// train time; files beside label folders are counted in a warning.
#[test]
fn unsafe_label_names_and_loose_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    for (label, why) in [
        ("trade;intel", "';'"),
        ("id", "column"),
        ("Error", "column"),
        ("two\nlines", "line break"),
    ] {
        let mut lines = String::new();
        for (i, l) in [label, "governance", label, "governance"]
            .iter()
            .enumerate()
        {
            let record = serde_json::json!({"text": format!("{PLAIN} {i}"), "labels": [l]});
            lines.push_str(&format!("{record}\n"));
        }
        fs::write(d.join("labels.jsonl"), lines).expect("write");
        let r = run(d, &["train", "--data", "labels.jsonl", "--out", "m.bin"]);
        assert_eq!(r.code, Some(2), "{label:?}");
        assert!(r.stderr.contains(why), "{label:?}: {}", r.stderr);
        assert!(!d.join("m.bin").exists());
    }
    for label in ["trade", "governance"] {
        fs::create_dir_all(d.join("folder").join(label)).expect("mkdir");
        for i in 0..3 {
            fs::write(
                d.join("folder").join(label).join(format!("{i}.txt")),
                format!("{label} {PLAIN} {i}"),
            )
            .expect("write");
        }
    }
    fs::write(d.join("folder/loose1.txt"), PLAIN).expect("write");
    fs::write(d.join("folder/loose2.txt"), PLAIN).expect("write");
    let r = run(d, &["stats", "--data", "folder"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("2 file(s) at the top level were not read"),
        "{}",
        r.stderr
    );
}

/// Row 13: JSON Lines through a pipe and gzip-compressed input are read
/// as records, not as one text.
#[test]
fn jsonl_through_pipes_and_gzip_is_read_as_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mut lines = String::new();
    for i in 0..40 {
        lines.push_str(&format!(
            "{}\n",
            serde_json::json!({"id": format!("r{i}"), "text": PLAIN})
        ));
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(lines.as_bytes()).expect("gzip");
    fs::write(d.join("x.jsonl.gz"), gz.finish().expect("gzip")).expect("write");
    let r = run(d, &["classify", "x.jsonl.gz"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.records().len(), 40);
    let piped = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "{} classify <(gzip -dc x.jsonl.gz) && printf '%s' '{PLAIN}' | {} classify -",
            binary().display(),
            binary().display()
        ))
        .current_dir(d)
        .output()
        .expect("bash");
    assert!(
        piped.status.success(),
        "{}",
        String::from_utf8_lossy(&piped.stderr)
    );
    let out = String::from_utf8_lossy(&piped.stdout);
    assert_eq!(out.lines().count(), 41, "{out}");
    assert!(out
        .lines()
        .last()
        .expect("stdin record")
        .contains("\"id\":\"<stdin>\""));
}

/// Row 15: a DOCX or ODT cut short says it is broken, not that it is some
/// other ZIP.
#[test]
fn truncated_office_files_are_broken_documents() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats");
    let mut names = Vec::new();
    for (name, kind) in [("doc.docx", "DOCX"), ("doc.odt", "ODT")] {
        let bytes = fs::read(fixtures.join(name)).expect("fixture");
        for percent in [25, 50, 75, 99] {
            let cut = format!("cut{percent}-{name}");
            fs::write(d.join(&cut), &bytes[..bytes.len() * percent / 100]).expect("write");
            names.push((cut, kind));
        }
    }
    let mut args = vec!["classify"];
    args.extend(names.iter().map(|(n, _)| n.as_str()));
    let r = run(d, &args);
    r.no_panic();
    let records = r.records();
    assert_eq!(records.len(), names.len());
    for (record, (name, kind)) in records.iter().zip(&names) {
        let e = error_of(record);
        assert!(e.starts_with(&format!("broken {kind}:")), "{name}: {e}");
    }
}

/// Row 16: one enormous line in `explain` is not printed whole as its own
/// evidence sentence.
#[test]
fn explain_cuts_evidence_from_enormous_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let line = format!("{} ", PLAIN.trim_end_matches('.')).repeat(40_000);
    fs::write(d.join("line.txt"), &line).expect("write");
    for json in [false, true] {
        let mut args = vec!["explain", "line.txt"];
        if json {
            args.push("--json");
        }
        let r = run(d, &args);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert!(line.len() > 5_000_000);
        assert!(
            r.stdout.len() < 20_000,
            "{} bytes of explanation",
            r.stdout.len()
        );
    }
}

/// Row 17: `suggest --n 5` keeps five candidates, not the whole input.
#[test]
fn suggest_memory_does_not_grow_with_the_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let write = |name: &str, n: usize| {
        let mut f = std::io::BufWriter::new(fs::File::create(d.join(name)).expect("create"));
        for i in 0..n {
            writeln!(
                f,
                "{{\"id\":\"document-number-{i:012}\",\"text\":\"port {}\"}}",
                i % 97
            )
            .expect("write");
        }
    };
    write("small.jsonl", 20_000);
    write("large.jsonl", 400_000);
    let small = run(d, &["suggest", "small.jsonl", "--n", "5"]);
    let large = run(d, &["suggest", "large.jsonl", "--n", "5"]);
    assert_eq!(large.code, Some(0), "{}", large.stderr);
    assert_eq!(String::from_utf8_lossy(&large.stdout).lines().count(), 5);
    // Keeping all of them costs well over 100 bytes each: 40 MB here.
    assert!(
        large.peak_mib < small.peak_mib + 25,
        "20k docs {} MiB, 400k docs {} MiB",
        small.peak_mib,
        large.peak_mib
    );
}

/// Row 18: the small ones.
#[test]
fn small_hostile_records_get_clear_outcomes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    fs::write(
        d.join("small.jsonl"),
        format!(
            "{{\"id\":\"surrogate\",\"text\":\"{PLAIN} \\ud800\"}}\n\
             {{\"id\":\"null\",\"text\":null}}\n\
             {{\"id\":\"labels\",\"text\":\"{PLAIN}\",\"labels\":5}}\n"
        ),
    )
    .expect("write");
    let r = run(d, &["classify", "small.jsonl"]);
    r.no_panic();
    let records = r.records();
    assert_eq!(records.len(), 3);
    assert!(error_of(&records[0]).is_empty(), "{}", records[0]);
    assert!(
        error_of(&records[1]).contains("\"text\" is null"),
        "{}",
        records[1]
    );
    assert!(error_of(&records[2]).is_empty(), "{}", records[2]);
    // A damaged PDF's message says what is wrong, not where Rust panicked.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats");
    let pdf = fs::read(fixtures.join("doc.pdf")).expect("fixture");
    let mut variants = Vec::new();
    for (i, cut) in [0.3, 0.5, 0.7, 0.9].iter().enumerate() {
        let name = format!("cut{i}.pdf");
        fs::write(d.join(&name), &pdf[..(pdf.len() as f64 * cut) as usize]).expect("write");
        variants.push(name);
    }
    let mut args = vec!["classify"];
    args.extend(variants.iter().map(String::as_str));
    let r = run(d, &args);
    r.no_panic();
    for record in r.records() {
        assert!(!error_of(&record).contains("unwrap"), "{record}");
    }
}
