//! OpenDocument text (`.odt`, LibreOffice's native format): the text of
//! `content.xml`'s body, paragraph by paragraph, tables included. Same
//! approach as [`super::docx`]: `zip` plus a streaming `quick-xml` pass.

use super::archive::{self, MAX_PART_BYTES};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// Longest run of spaces a `<text:s text:c="N"/>` may produce: real
/// documents use a handful, and a forged count must not allocate gigabytes.
const MAX_SPACES: usize = 1000;

/// Extracts the text of an ODT file: one line per paragraph or heading (a
/// table cell's paragraphs included); `text:s`, `text:tab` and
/// `text:line-break` become spaces, a tab and a line break. Annotations
/// (review comments) and deleted text kept for change tracking are skipped.
pub fn extract_odt(bytes: &[u8]) -> Result<String, String> {
    extract_odt_capped(bytes, MAX_PART_BYTES)
}

/// [`extract_odt`] refusing an XML part that inflates to more than `part_limit`
/// bytes.
pub fn extract_odt_capped(bytes: &[u8], part_limit: u64) -> Result<String, String> {
    let mut zip = archive::open(bytes)?;
    let xml = archive::read_part(&mut zip, "content.xml", part_limit)?;
    content_text(&archive::xml_text(xml))
}

fn content_text(xml: &str) -> Result<String, String> {
    let mut reader = Reader::from_str(xml);
    let mut out = String::new();
    let mut in_body = false;
    // Open <text:p>/<text:h>: only their content is text; white space
    // between them is the XML file's indentation.
    let mut paragraph_depth = 0usize;
    let mut skip_depth = 0usize;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("broken ODT: content.xml is not well-formed XML ({e})"))?;
        match event {
            Event::Start(e) => {
                let name = e.local_name();
                match name.as_ref() {
                    "body" => in_body = true,
                    _ if skip_depth > 0 || is_skipped(name.as_ref()) => skip_depth += 1,
                    "p" | "h" => paragraph_depth += 1,
                    _ => {}
                }
            }
            Event::End(e) => {
                let name = e.local_name();
                match name.as_ref() {
                    "body" => in_body = false,
                    _ if skip_depth > 0 => skip_depth -= 1,
                    "p" | "h" => {
                        paragraph_depth = paragraph_depth.saturating_sub(1);
                        if in_body {
                            out.push('\n');
                        }
                    }
                    _ => {}
                }
            }
            Event::Empty(e) if in_body && skip_depth == 0 => match e.local_name().as_ref() {
                "s" => push_spaces(&mut out, &e),
                "tab" => out.push('\t'),
                "line-break" => out.push('\n'),
                "p" | "h" => out.push('\n'),
                _ => {}
            },
            Event::Text(t) if in_body && skip_depth == 0 && paragraph_depth > 0 => {
                push_collapsed(&mut out, &t.xml10_content())
            }
            Event::CData(t) if in_body && skip_depth == 0 && paragraph_depth > 0 => {
                push_collapsed(&mut out, &t)
            }
            Event::GeneralRef(r) if in_body && skip_depth == 0 && paragraph_depth > 0 => {
                archive::push_reference(&mut out, &r)
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

/// Elements whose content is not part of the document's visible text.
fn is_skipped(local_name: &str) -> bool {
    matches!(
        local_name,
        "annotation" | "tracked-changes" | "note-citation"
    )
}

/// `<text:s text:c="3"/>`: that many spaces (one without a count).
fn push_spaces(out: &mut String, e: &BytesStart<'_>) {
    let count = e
        .try_get_attribute("text:c")
        .ok()
        .flatten()
        .and_then(|a| a.value.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .min(MAX_SPACES);
    out.extend(std::iter::repeat_n(' ', count));
}

/// ODF collapses white space inside paragraphs as HTML does: a run of
/// spaces, tabs and newlines in the XML is one space; the explicit
/// elements above stand for the rest.
fn push_collapsed(out: &mut String, text: &str) {
    let mut last_space = out.ends_with(' ');
    for c in text.chars() {
        if matches!(c, ' ' | '\t' | '\r' | '\n') {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
        } else {
            out.push(c);
            last_space = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_spaces_tabs_tables_and_skipped_parts() {
        let xml = r#"<?xml version="1.0"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0">
<office:automatic-styles><style:style/></office:automatic-styles>
<office:body><office:text>
<text:tracked-changes><text:changed-region><text:p>deleted words</text:p></text:changed-region></text:tracked-changes>
<text:h>Railway
   course</text:h>
<text:p>A<text:s text:c="3"/>B<text:tab/>C<text:line-break/>D &amp; E<office:annotation><text:p>a comment</text:p></office:annotation></text:p>
<table:table><table:table-row><table:table-cell><text:p>Topic</text:p></table:table-cell><table:table-cell><text:p>Hours</text:p></table:table-cell></table:table-row></table:table>
<text:p/>
</office:text></office:body></office:document-content>"#;
        let text = content_text(xml).expect("valid");
        assert_eq!(text, "Railway course\nA   B\tC\nD & E\nTopic\nHours\n\n");
    }
}
