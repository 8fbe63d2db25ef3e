//! Word documents (Office Open XML, `.docx`): the text of the main document
//! part `word/document.xml`, paragraph by paragraph, tables included.
//!
//! Read with `zip` and the streaming `quick-xml` parser rather than a DOCX
//! crate: the text is only in `<w:t>` elements, so a small state machine over
//! XML events does the job without a document model, in one pass and with
//! memory bounded by the part's size. Headers, footers, footnotes and
//! comments live in other parts and are not read: they rarely say what a
//! program is about.

use super::archive::{self, MAX_PART_BYTES};
use quick_xml::events::Event;
use quick_xml::Reader;

/// Extracts the text of a DOCX file: one line per paragraph (a table cell's
/// paragraphs included, in reading order); tabs, line breaks and
/// non-breaking hyphens inside runs become the characters they stand for.
pub fn extract_docx(bytes: &[u8]) -> Result<String, String> {
    extract_docx_capped(bytes, MAX_PART_BYTES)
}

/// [`extract_docx`] refusing an XML part that inflates to more than `part_limit`
/// bytes.
pub fn extract_docx_capped(bytes: &[u8], part_limit: u64) -> Result<String, String> {
    let mut zip = archive::open(bytes)?;
    let xml = archive::read_part(&mut zip, "word/document.xml", part_limit)?;
    document_text(&archive::xml_text(xml))
}

/// The text of a WordprocessingML document part.
fn document_text(xml: &str) -> Result<String, String> {
    let mut reader = Reader::from_str(xml);
    let mut out = String::new();
    // Inside <w:t> (or DrawingML <a:t> in text boxes): text to keep.
    let mut in_text = false;
    // Inside <w:r>: where <w:tab/> is a tab character, not a tab stop
    // definition (those live in paragraph properties).
    let mut run_depth = 0usize;
    // Inside <mc:Fallback>: a second rendering of content already read
    // from <mc:Choice>, which would duplicate text boxes.
    let mut fallback_depth = 0usize;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("broken DOCX: word/document.xml is not well-formed XML ({e})"))?;
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                "t" => in_text = true,
                "r" => run_depth += 1,
                "Fallback" => fallback_depth += 1,
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_text = false,
                "r" => run_depth = run_depth.saturating_sub(1),
                "Fallback" => fallback_depth = fallback_depth.saturating_sub(1),
                "p" if fallback_depth == 0 => out.push('\n'),
                _ => {}
            },
            Event::Empty(e) if fallback_depth == 0 => match e.local_name().as_ref() {
                "tab" if run_depth > 0 => out.push('\t'),
                "br" | "cr" if run_depth > 0 => out.push('\n'),
                "noBreakHyphen" if run_depth > 0 => out.push('-'),
                "p" => out.push('\n'),
                _ => {}
            },
            Event::Text(t) if in_text && fallback_depth == 0 => out.push_str(&t.xml10_content()),
            Event::CData(t) if in_text && fallback_depth == 0 => out.push_str(&t),
            Event::GeneralRef(r) if in_text && fallback_depth == 0 => {
                archive::push_reference(&mut out, &r)
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;

    #[test]
    fn paragraphs_runs_tabs_and_tables() {
        let xml = format!(
            r#"<?xml version="1.0"?><w:document {W}><w:body>
<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>
<w:r><w:t>Port</w:t></w:r><w:r><w:t xml:space="preserve"> seminar</w:t><w:tab/><w:t>Tianjin</w:t><w:br/><w:t>&amp; Dalian&#x2014;21 days</w:t></w:r></w:p>
<w:p/>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Week</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Topic</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
<w:p><w:r><w:instrText> PAGE </w:instrText><w:t>End</w:t></w:r></w:p>
</w:body></w:document>"#
        );
        let text = document_text(&xml).expect("valid");
        assert_eq!(
            text,
            "Port seminar\tTianjin\n& Dalian\u{2014}21 days\n\nWeek\nTopic\nEnd\n"
        );
    }

    #[test]
    fn malformed_xml_is_an_error() {
        let xml = format!(r#"<w:document {W}><w:body><w:p><w:t>x</w:p></w:document>"#);
        assert!(document_text(&xml).is_err());
    }
}
