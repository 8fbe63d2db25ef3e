//! ZIP containers shared by DOCX and ODT: which kind of document a ZIP
//! holds, and bounded reading of its XML parts.

use encoding_rs::{UTF_16BE, UTF_16LE};
use std::io::{Cursor, Read};
use zip::result::ZipError;
use zip::ZipArchive;

/// Largest uncompressed XML part read when no limit is given (batch reads
/// use 4 x `--max-doc-bytes`, see `Limits`). A part is text and compresses
/// about tenfold, so this is far above any real document allowed by the
/// file size limit, while a "ZIP bomb" that expands to gigabytes is refused
/// instead of exhausting memory.
pub(super) const MAX_PART_BYTES: u64 = 256 * 1024 * 1024;

/// The media type an OpenDocument text stores in its `mimetype` entry;
/// templates (`-template`) and master documents (`-master`) extend it.
const ODT_MIMETYPE: &str = "application/vnd.oasis.opendocument.text";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OfficeKind {
    Docx,
    Odt,
}

pub(super) fn open(bytes: &[u8]) -> Result<ZipArchive<Cursor<&[u8]>>, String> {
    ZipArchive::new(Cursor::new(bytes)).map_err(|e| format!("broken ZIP archive: {e}"))
}

/// Which word-processing document a ZIP archive holds, if any. Other
/// archives (spreadsheets, presentations, plain ZIPs) are not documents.
pub(super) fn office_kind(bytes: &[u8]) -> Result<OfficeKind, String> {
    let not_document = || "not a text document (ZIP archive)".to_string();
    let mut zip = match ZipArchive::new(Cursor::new(bytes)) {
        Ok(zip) => zip,
        // The directory is at the end of a ZIP, so a download cut short
        // loses it; the first entry still says what the file was meant to
        // be, and the user is told the file is damaged, not that it is
        // some other kind of file.
        Err(e) => {
            return Err(match first_entry_kind(bytes) {
                Some(OfficeKind::Docx) => format!("broken DOCX: {}", damage(&e)),
                Some(OfficeKind::Odt) => format!("broken ODT: {}", damage(&e)),
                None => format!("broken ZIP archive: {}", damage(&e)),
            })
        }
    };
    if zip.index_for_name("word/document.xml").is_some() {
        return Ok(OfficeKind::Docx);
    }
    if zip.index_for_name("mimetype").is_some() {
        let mimetype = read_part(&mut zip, "mimetype", 1024)?;
        if String::from_utf8_lossy(&mimetype)
            .trim()
            .starts_with(ODT_MIMETYPE)
        {
            return Ok(OfficeKind::Odt);
        }
    }
    Err(not_document())
}

/// What a ZIP that cannot be opened says about itself.
fn damage(e: &ZipError) -> String {
    format!("the archive is truncated or damaged ({e})")
}

/// The kind of office document a ZIP starts like, from its first local
/// entry: Word writes `[Content_Types].xml` (or a `word/` part) first, and
/// OpenDocument requires an uncompressed `mimetype` entry first.
fn first_entry_kind(bytes: &[u8]) -> Option<OfficeKind> {
    let field = |at: usize| -> Option<usize> {
        let b = bytes.get(at..at + 2)?;
        Some(u16::from_le_bytes([b[0], b[1]]) as usize)
    };
    if !bytes.starts_with(b"PK\x03\x04") {
        return None;
    }
    let (name_len, extra_len) = (field(26)?, field(28)?);
    let name = bytes.get(30..30 + name_len)?;
    if name == b"[Content_Types].xml" || name.starts_with(b"word/") || name == b"_rels/.rels" {
        return Some(OfficeKind::Docx);
    }
    if name == b"mimetype" {
        let start = 30 + name_len + extra_len;
        let content = bytes.get(start..(start + ODT_MIMETYPE.len()).min(bytes.len()))?;
        if content == ODT_MIMETYPE.as_bytes() {
            return Some(OfficeKind::Odt);
        }
    }
    None
}

/// Reads one entry, refusing more than `limit` uncompressed bytes.
pub(super) fn read_part(
    zip: &mut ZipArchive<Cursor<&[u8]>>,
    name: &str,
    limit: u64,
) -> Result<Vec<u8>, String> {
    let entry = zip.by_name(name).map_err(|e| match e {
        ZipError::FileNotFound => format!("broken document: no {name} in the archive"),
        ZipError::UnsupportedArchive(why) if why.contains("assword") => {
            "document is encrypted with a password: docclass cannot read it".to_string()
        }
        other => format!("broken document: cannot read {name} ({other})"),
    })?;
    let mut data = Vec::new();
    entry
        .take(limit + 1)
        .read_to_end(&mut data)
        .map_err(|e| format!("broken document: cannot decompress {name} ({e})"))?;
    if data.len() as u64 > limit {
        return Err(format!(
            "{name} inflates to more than {limit} bytes (4 x --max-doc-bytes): refusing it \
             (a ZIP bomb?)"
        ));
    }
    Ok(data)
}

/// XML bytes to a string. Office documents are UTF-8 in practice; the XML
/// specification also allows UTF-16 with a byte order mark.
pub(super) fn xml_text(bytes: Vec<u8>) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
        return String::from_utf8_lossy(rest).into_owned();
    }
    if bytes.starts_with(b"\xff\xfe") {
        return UTF_16LE.decode_with_bom_removal(&bytes).0.into_owned();
    }
    if bytes.starts_with(b"\xfe\xff") {
        return UTF_16BE.decode_with_bom_removal(&bytes).0.into_owned();
    }
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// Appends an XML character or entity reference (`&#233;`, `&amp;`) as
/// text. Office XML never declares other entities; unknown ones are kept
/// verbatim rather than dropped.
pub(super) fn push_reference(out: &mut String, reference: &quick_xml::events::BytesRef<'_>) {
    if let Ok(Some(c)) = reference.resolve_char_ref() {
        out.push(c);
        return;
    }
    let name: &str = reference;
    match quick_xml::escape::resolve_predefined_entity(name) {
        Some(s) => out.push_str(s),
        None => {
            out.push('&');
            out.push_str(name);
            out.push(';');
        }
    }
}
