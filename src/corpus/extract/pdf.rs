//! PDF: the text layer, page by page in page order.
//!
//! Read with `pdf-extract` (on top of `lopdf`), the maintained pure-Rust
//! choice that maps glyphs to Unicode through the fonts' ToUnicode tables
//! and encodings, which Chinese PDFs with embedded subset fonts need;
//! `lopdf`'s own `extract_text` only knows simple single-byte encodings.
//! A PDF made of scanned page images has no text layer at all; that is
//! reported, as OCR is outside docclass. Both crates are known to panic on
//! some malformed files; the caller ([`super::extract`]) catches that.

use pdf_extract::{output_doc_page, Document, Object, PlainTextOutput};

/// Message for a PDF without any text: almost always a scan.
pub const NO_TEXT_LAYER: &str = "PDF has no text layer (scanned image?): run OCR first";

/// Extracts the text of every page, in page order, pages separated by a
/// blank line (see [`tidy_page`] for the lines within a page).
pub fn extract_pdf(bytes: &[u8]) -> Result<String, String> {
    let (doc, pages) = page_texts(bytes)?;
    let mut text = String::new();
    for page in pages.iter().map(|p| tidy_page(p)) {
        if page.is_empty() {
            continue;
        }
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(&page);
    }
    if text.is_empty() {
        // `pdf-extract` reads a page whose content cannot be decompressed
        // as an empty page; that is damage, not a scan.
        if let Some(number) = undecodable_page(&doc) {
            return Err(format!(
                "broken PDF: the content of page {number} cannot be decompressed"
            ));
        }
        return Err(NO_TEXT_LAYER.to_string());
    }
    text.push('\n');
    Ok(text)
}

/// One page's text as lines. A PDF has no paragraphs, only positioned text
/// lines, and `pdf-extract` separates them with blank lines; those are
/// dropped. A line break between two Chinese or Japanese characters at the
/// end of a full line is only where the line ran out of room, not a word
/// boundary (these scripts do not separate words), so such lines are
/// joined: otherwise "非洲" broken over two lines would lose the character
/// pair the tokenizer indexes. A shorter line (a heading, a paragraph's
/// last line) keeps its line break.
pub fn tidy_page(page: &str) -> String {
    let lines: Vec<&str> = page
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect();
    let full_width = lines.iter().map(|l| display_width(l)).max().unwrap_or(0);
    let mut out = String::new();
    let mut previous: Option<&str> = None;
    for line in lines {
        let Some(prev) = previous else {
            out.push_str(line);
            previous = Some(line);
            continue;
        };
        let next = line.trim_start();
        let joins = prev.chars().next_back().is_some_and(is_unspaced_script)
            && next.chars().next().is_some_and(is_unspaced_script)
            && display_width(prev) * 10 >= full_width * 9;
        if joins {
            out.push_str(next);
        } else {
            out.push('\n');
            out.push_str(line);
        }
        previous = Some(line);
    }
    out
}

/// Width of a line in columns: Chinese and Japanese characters take two.
fn display_width(line: &str) -> usize {
    line.chars()
        .map(|c| if is_unspaced_script(c) { 2 } else { 1 })
        .sum()
}

/// Characters of scripts written without spaces between words (Chinese,
/// Japanese), with their punctuation. Korean separates words with spaces
/// and is not included.
fn is_unspaced_script(c: char) -> bool {
    matches!(c,
        '\u{3000}'..='\u{30FF}'       // CJK punctuation, hiragana, katakana
        | '\u{3400}'..='\u{4DBF}'     // CJK extension A
        | '\u{4E00}'..='\u{9FFF}'     // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}'     // CJK compatibility ideographs
        | '\u{FF00}'..='\u{FFEF}'     // full-width forms: ，。：
        | '\u{20000}'..='\u{3134F}'   // CJK extensions B to G
    )
}

fn page_texts(bytes: &[u8]) -> Result<(Document, Vec<String>), String> {
    let mut doc =
        Document::load_mem(bytes).map_err(|e| format!("broken or unsupported PDF: {e}"))?;
    if doc.is_encrypted() {
        // Many PDFs are "encrypted" only to restrict printing or copying,
        // with an empty user password; those open without asking anyone.
        doc.decrypt("").map_err(|_| {
            "PDF is encrypted with a password: docclass cannot read it \
             (remove the password first, e.g. qpdf --decrypt --password=PASSWORD IN OUT)"
                .to_string()
        })?;
    }
    // `get_pages` is keyed by page number, so iteration is in page order.
    let numbers: Vec<u32> = doc.get_pages().keys().copied().collect();
    if numbers.is_empty() {
        // Not even a page: the page tree is damaged (or the file is not
        // really a PDF); "no text layer" would send the user to OCR.
        return Err("broken PDF: no pages found".to_string());
    }
    let mut pages = Vec::with_capacity(numbers.len());
    for number in numbers {
        let mut text = String::new();
        {
            let mut output = PlainTextOutput::new(&mut text);
            output_doc_page(&doc, &mut output, number)
                .map_err(|e| format!("broken PDF: cannot read page {number}: {e}"))?;
        }
        pages.push(text);
    }
    Ok((doc, pages))
}

/// The first page with a content stream that fails to decompress.
/// Streams in filters lopdf does not implement are not counted as damage.
fn undecodable_page(doc: &Document) -> Option<u32> {
    doc.get_pages().into_iter().find_map(|(number, page_id)| {
        doc.get_page_contents(page_id)
            .into_iter()
            .filter_map(|id| doc.get_object(id).and_then(Object::as_stream).ok())
            .any(|stream| match stream.decompressed_content() {
                // lopdf returns what it could inflate, so a damaged
                // compressed stream comes back empty rather than failing.
                Ok(data) => data.is_empty() && !stream.content.is_empty(),
                Err(e) => !matches!(e, pdf_extract::Error::Unimplemented(_)),
            })
            .then_some(number)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidies_lines_and_joins_chinese_line_breaks() {
        assert_eq!(
            tidy_page("\n\nPort seminar  \n\n研修班\n学员来自东南亚和非\n\n洲国家。\n课程内容"),
            "Port seminar\n研修班\n学员来自东南亚和非洲国家。\n课程内容"
        );
        assert_eq!(tidy_page(" \n\n"), "");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let err = extract_pdf(b"%PDF-1.4\n1 0 obj << /Type /Catalog").expect_err("broken");
        assert!(err.contains("PDF"), "{err}");
    }
}
