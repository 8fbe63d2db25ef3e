//! Document formats end to end: every fixture under tests/fixtures/formats/
//! (made by tests/fixtures/make_format_fixtures.py) is read into the right
//! text, classified like its plain-text twin, or rejected with an error,
//! never a panic or a hang.

use assert_cmd::Command;
use docclass::corpus::extract::{extract, extract_with_limit, silence_worker_panics};
use docclass::corpus::{read_labelled, DocumentFormat, ReadOptions};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats")
}

fn twins() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/format-twins")
}

fn read(name: &str) -> Vec<u8> {
    fs::read(fixtures().join(name)).expect("fixture exists")
}

fn text_of(name: &str) -> String {
    match extract(&read(name)) {
        Ok(e) => e.text,
        Err(e) => panic!("{name}: {e}"),
    }
}

/// White space runs as one space: line breaks in a PDF or a tab in a Word
/// run are layout, not content.
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// (fixture name, its twin's text) for every fixture that has a twin.
fn twin_pairs() -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = fs::read_dir(twins())
        .expect("twins folder")
        .map(|e| {
            let path = e.expect("entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".txt"))
                .expect("NAME.txt")
                .to_string();
            (name, fs::read_to_string(&path).expect("UTF-8 twin"))
        })
        .collect();
    pairs.sort();
    assert!(pairs.len() >= 15, "twins missing: {pairs:?}");
    pairs
}

fn expected_format(name: &str) -> DocumentFormat {
    match name.rsplit('.').next() {
        Some("txt") => DocumentFormat::Text,
        Some("html") => DocumentFormat::Html,
        Some("pdf") => DocumentFormat::Pdf,
        Some("docx") => DocumentFormat::Docx,
        Some("odt") => DocumentFormat::Odt,
        other => panic!("no format for {other:?}"),
    }
}

#[test]
fn every_fixture_contains_its_twins_sentences() {
    for (name, twin) in twin_pairs() {
        let extracted = extract(&read(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(extracted.format, expected_format(&name), "{name}");
        let text = collapse(&extracted.text);
        for line in twin.lines().filter(|l| !l.trim().is_empty()) {
            assert!(
                text.contains(&collapse(line)),
                "{name}: missing {line:?} in\n{}",
                extracted.text
            );
        }
    }
}

#[test]
fn each_fixture_classifies_like_its_plain_text_twin() {
    let model = docclass::model::default_model().expect("embedded model");
    let mut labelled = 0;
    let mut label_sets = std::collections::BTreeSet::new();
    for (name, twin) in twin_pairs() {
        let text = text_of(&name);
        let got = model.predict_text(&text);
        let want = model.predict_text(&twin);
        assert_eq!(
            got.labels, want.labels,
            "{name}: scores {:?} vs twin {:?}",
            got.scores, want.scores
        );
        labelled += usize::from(!want.labels.is_empty());
        label_sets.insert(want.labels);
    }
    // The comparison only means something if the briefs get labels, and
    // different ones.
    assert!(labelled >= 10, "only {labelled} fixtures got a label");
    assert!(label_sets.len() >= 3, "label sets: {label_sets:?}");
}

#[test]
fn legacy_encodings_decode() {
    assert!(text_of("gbk.txt").contains("贸易便利化研修班"));
    assert!(text_of("big5.txt").contains("發展中國家港口管理與貿易便利化研修班"));
    assert!(text_of("cp1251.txt").contains("Семинар по управлению морскими портами"));
    assert!(text_of("koi8r.txt").contains("Семинар по государственному управлению"));
    let french = text_of("cp1252.txt");
    assert!(
        french.contains("Séminaire sur la gestion portuaire"),
        "{french}"
    );
    assert!(french.contains("mise en œuvre"), "{french}");
    assert!(french.contains("d’Afrique"), "{french}");
    for name in ["utf8-bom.txt", "utf16le-bom.txt"] {
        let text = text_of(name);
        assert!(text.starts_with("2023年"), "{name}: BOM left in {text:?}");
    }
    assert!(text_of("utf16be-bom.txt").starts_with("Seminar on Port Management"));
}

#[test]
fn html_keeps_visible_text_only() {
    let text = text_of("page.html");
    assert_eq!(
        text.lines().next(),
        Some("Training Course on Customs Modernisation for African Officials"),
        "title first"
    );
    for dropped in [
        "HOME",
        "trackVisitor",
        "font-family",
        "Please enable JavaScript",
        "Ministry portal banner",
        "Copyright footer text",
        "Related links sidebar",
        "Skip-link menu",
        "Template placeholder",
        "analytics",
    ] {
        assert!(!text.contains(dropped), "{dropped:?} leaked into\n{text}");
    }
    // Entities: named, decimal and hexadecimal.
    assert!(text.contains("Customs Modernisation & Risk Management Course"));
    assert!(text.contains("Côte d’Ivoire"));
    assert!(text.contains("single window — followed"));
    assert!(text.contains("train 30 customs officers"));
    // The article's own <header> (its heading) is content, and table cells
    // are separated.
    assert!(text.contains("\nCustoms Modernisation & Risk Management Course\n"));
    assert!(text.contains("Risk management\t5"));

    let zh = text_of("page-gbk.html");
    assert_eq!(zh.lines().next(), Some("发展中国家网络空间管理研修班"));
    assert!(zh.contains("国家互联网信息办公室将于北京举办为期21天的研修班"));
    for dropped in ["页面访问统计脚本", "首页", "新闻中心", "版权所有"] {
        assert!(!zh.contains(dropped), "{dropped:?} leaked into\n{zh}");
    }
}

#[test]
fn pdf_pages_come_in_order() {
    let text = text_of("doc.pdf");
    let page1 = text.find("East Africa.").expect("page 1");
    let page2 = text.find("Participants will study").expect("page 2");
    assert!(page1 < page2, "{text}");
    assert!(
        text.contains("East Africa.\n\nParticipants"),
        "pages separated by a blank line: {text}"
    );
    let zh = text_of("doc-zh.pdf");
    assert!(zh.contains("学员为来自东南亚和非洲国家港口"), "{zh}");
    assert!(zh.find("官员。").expect("page 1") < zh.find("课程内容").expect("page 2"));
}

#[test]
fn word_and_opendocument_tables_and_white_space() {
    let docx = text_of("doc.docx");
    for cell in [
        "Week",
        "Community policing and surveillance platforms",
        "Yunnan Police College",
    ] {
        assert!(docx.contains(&format!("\n{cell}\n")), "{cell} in\n{docx}");
    }
    assert!(docx.contains("submit\tin advance"), "tab run: {docx}");
    assert!(docx.contains("describing\ntheir"), "line break run: {docx}");
    assert!(
        docx.trim_end()
            .ends_with("internal structure of their service."),
        "{docx}"
    );

    let odt = text_of("doc.odt");
    for cell in [
        "Party building and cadre management",
        "Guiding public opinion",
        "24",
    ] {
        assert!(odt.contains(&format!("\n{cell}\n")), "{cell} in\n{odt}");
    }
    assert!(odt.contains("include the  leadership"), "text:s: {odt}");
    assert!(odt.contains("of the\truling"), "text:tab: {odt}");
    assert!(odt.contains("over\ngrassroots"), "text:line-break: {odt}");
}

#[test]
fn bad_files_are_errors_with_useful_messages() {
    silence_worker_panics();
    let cases = [
        ("broken.pdf", "PDF"),
        ("encrypted.pdf", "encrypted with a password"),
        (
            "scan.pdf",
            "PDF has no text layer (scanned image?): run OCR first",
        ),
        (
            "legacy.doc",
            "legacy Word/Office binary format is not supported: convert it to .docx or PDF",
        ),
        ("image.png", "not a text document (PNG image)"),
        ("archive.zip", "not a text document (ZIP archive)"),
    ];
    for (name, message) in cases {
        let err = extract_with_limit(read(name), Duration::from_secs(20))
            .expect_err(&format!("{name} must be rejected"));
        assert!(err.contains(message), "{name}: {err}");
    }
}

/// A PDF whose compressed page content is destroyed reads as pages without
/// text; that must be reported as damage, not sent to OCR as a "scan".
#[test]
fn pdf_with_undecodable_content_is_broken_not_scanned() {
    let mut bytes = read("doc.pdf");
    let mut at = 0;
    while let Some(start) = find(&bytes[at..], b"stream\n").map(|i| at + i) {
        let data = start + b"stream\n".len();
        let end = find(&bytes[data..], b"endstream").map_or(bytes.len(), |i| data + i);
        if bytes[..start].ends_with(b"end") {
            at = data;
            continue;
        }
        // Keep the ASCII85 framing valid; the Flate data inside is garbage.
        for b in &mut bytes[data + 2..end.saturating_sub(3)] {
            *b = b'A';
        }
        at = end;
    }
    let err = extract(&bytes).expect_err("damaged");
    assert_eq!(
        err,
        "broken PDF: the content of page 1 cannot be decompressed"
    );
}

/// `pdf-extract` panics when a page's font is a dangling reference; that
/// must come back as the file's error, from the library and from the CLI
/// (where the panic message must not reach stderr).
#[test]
fn a_pdf_that_crashes_the_reader_is_an_error() {
    let original = read("doc.pdf");
    let at = find(&original, b"/F1 2 0 R").expect("font reference");
    let mut bytes = original.clone();
    // Object 0 never exists; same length, so the cross-reference table holds.
    bytes[at..at + 9].copy_from_slice(b"/F1 0 0 R");
    let err = extract(&bytes).expect_err("dangling font");
    assert!(
        err.starts_with("broken PDF: the reader failed on it"),
        "{err}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("crash.pdf");
    fs::write(&path, &bytes).expect("write");
    let out = docclass()
        .args(["classify"])
        .arg(&path)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        stdout.contains("broken PDF: the reader failed on it"),
        "{stdout}"
    );
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Truncated and corrupted copies of every fixture: each is an `Ok` or an
/// `Err`, within the time limit; a reader panic must come back as an error.
#[test]
fn damaged_files_never_panic_or_hang() {
    silence_worker_panics();
    let mut names: Vec<PathBuf> = fs::read_dir(fixtures())
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .collect();
    names.sort();
    let started = Instant::now();
    for path in names {
        let bytes = fs::read(&path).expect("read");
        let len = bytes.len();
        let mut variants: Vec<Vec<u8>> = [1, 8, 64, len / 3, len / 2, len.saturating_sub(1)]
            .into_iter()
            .filter(|&cut| cut > 0 && cut < len)
            .map(|cut| bytes[..cut].to_vec())
            .collect();
        // Flip bytes through the middle of the file (inside the compressed
        // streams of PDFs and ZIPs).
        let mut flipped = bytes.clone();
        for i in (len / 4..len * 3 / 4).step_by(97) {
            flipped[i] ^= 0x5a;
        }
        variants.push(flipped);
        for variant in variants {
            let size = variant.len();
            // Either outcome is fine; the call returning is the test.
            let result = extract_with_limit(variant, Duration::from_secs(20));
            if let Err(e) = &result {
                assert!(!e.is_empty(), "{}: empty error", path.display());
                assert!(
                    !e.contains("timed out"),
                    "{} ({size} bytes): {e}",
                    path.display()
                );
            }
        }
    }
    assert!(started.elapsed() < Duration::from_secs(120));
}

#[test]
fn label_folders_read_documents_of_any_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (label, name) in [
        ("trade", "doc.pdf"),
        ("trade", "doc.docx"),
        ("customs", "page.html"),
        ("customs", "gbk.txt"),
    ] {
        let folder = dir.path().join(label);
        fs::create_dir_all(&folder).expect("mkdir");
        fs::copy(fixtures().join(name), folder.join(name)).expect("copy");
    }
    let data = read_labelled(dir.path(), ReadOptions::default()).expect("read");
    assert_eq!(data.documents.len(), 4);
    let text_of_doc = |suffix: &str| {
        data.documents
            .iter()
            .find(|d| d.id.ends_with(suffix))
            .map(|d| d.text.clone())
            .expect("document")
    };
    assert!(text_of_doc("doc.pdf").contains("Participants will study"));
    assert!(text_of_doc("doc.docx").contains("Community policing"));
    assert!(!text_of_doc("page.html").contains("trackVisitor"));
    assert!(text_of_doc("gbk.txt").contains("研修班"));

    // A file that is not a document stops training, naming the file...
    fs::copy(
        fixtures().join("scan.pdf"),
        dir.path().join("trade/scan.pdf"),
    )
    .expect("copy");
    let err = read_labelled(dir.path(), ReadOptions::default()).expect_err("scan");
    assert!(err.to_string().contains("scan.pdf"), "{err}");
    assert!(err.to_string().contains("no text layer"), "{err}");
    // ...or is skipped with a warning when asked.
    let options = ReadOptions {
        skip_invalid: true,
        ..ReadOptions::default()
    };
    let data = read_labelled(dir.path(), options).expect("skip");
    assert_eq!(data.documents.len(), 4);
    assert_eq!(data.warnings.len(), 1);
}

fn docclass() -> Command {
    let mut cmd = Command::cargo_bin("docclass").expect("binary");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

#[test]
fn cli_extract_prints_text_and_json() {
    let out = docclass()
        .args(["extract", "tests/fixtures/formats/page.html"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert_eq!(stdout, text_of("page.html"));

    let out = docclass()
        .args([
            "extract",
            "--json",
            "tests/fixtures/formats/doc.pdf",
            "tests/fixtures/formats/legacy.doc",
            "tests/fixtures/formats/gbk.txt",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "one file failed");
    let records: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["id"], "tests/fixtures/formats/doc.pdf");
    assert_eq!(records[0]["format"], "pdf");
    assert!(records[0]["text"]
        .as_str()
        .expect("text")
        .contains("Participants will study"));
    assert!(records[1]["error"]
        .as_str()
        .expect("error")
        .contains("legacy Word/Office"));
    assert!(records[1].get("text").is_none());
    assert_eq!(records[2]["format"], "text");

    docclass()
        .args(["extract", "tests/fixtures/formats/no-such-file.pdf"])
        .assert()
        .code(2);
}

#[test]
fn cli_classify_reads_a_folder_of_mixed_formats() {
    let out = docclass()
        .args(["classify", "tests/fixtures/formats/"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "bad files make exit code 1");
    let records: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let files = fs::read_dir(fixtures()).expect("fixtures").count();
    assert_eq!(records.len(), files, "one record per file");
    let mut failed: Vec<String> = records
        .iter()
        .filter(|r| r.get("error").is_some())
        .map(|r| {
            let id = r["id"].as_str().expect("id");
            id.rsplit('/').next().expect("name").to_string()
        })
        .collect();
    failed.sort();
    assert_eq!(
        failed,
        [
            "archive.zip",
            "broken.pdf",
            "encrypted.pdf",
            "image.png",
            "legacy.doc",
            "scan.pdf"
        ]
    );
    let model = docclass::model::default_model().expect("model");
    for record in records.iter().filter(|r| r.get("labels").is_some()) {
        let id = record["id"].as_str().expect("id");
        let name = id.rsplit('/').next().expect("name");
        let twin = fs::read_to_string(twins().join(format!("{name}.txt"))).expect("twin");
        let want: Vec<&str> = model
            .predict_text(&twin)
            .labels
            .iter()
            .map(|&c| model.labels()[c].as_str())
            .collect();
        assert_eq!(record["labels"], serde_json::json!(want), "{id}");
    }
    // Reader panics are errors, not noise on stderr.
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
