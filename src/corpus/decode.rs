//! Bytes to text: the files analysts collect come in many encodings, and a
//! document must never be dropped because it is not UTF-8.

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE};

/// Why bytes are not a text document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotText(pub String);

/// Signatures of common binary formats, checked before any decoding. PDF,
/// ZIP and OLE2 files are recognised earlier by [`crate::corpus::extract`],
/// which reads PDF, DOCX and ODT; they stay here for callers of `decode`
/// alone, to whom they are not text.
const BINARY_MAGIC: &[(&[u8], &str)] = &[
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"\x7fELF", "ELF executable"),
    (b"MZ", "Windows executable"),
    (b"\x1f\x8b", "gzip archive"),
    (b"BZh", "bzip2 archive"),
    (b"\xfd7zXZ\x00", "xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "7z archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"%PDF-", "PDF document"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "legacy Office document",
    ),
];

/// Decodes a document's bytes: BOM first (UTF-8, UTF-16), then strict UTF-8,
/// then statistical detection among legacy encodings (GBK/GB18030, Big5,
/// Shift_JIS, EUC-KR, Windows-1251, KOI8-R, Windows-1252, ...).
pub fn decode(bytes: &[u8]) -> Result<String, NotText> {
    if let Some(result) = decode_special(bytes) {
        return result;
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_owned());
    }
    Ok(decode_legacy(bytes))
}

/// [`decode`] taking ownership: UTF-8 bytes (the common case) become the
/// text without a copy, which halves the peak memory of a large document.
pub fn decode_owned(bytes: Vec<u8>) -> Result<String, NotText> {
    if let Some(result) = decode_special(&bytes) {
        return result;
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => Ok(decode_legacy(e.as_bytes())),
    }
}

/// Byte-order marks, binary content and UTF-16 without a BOM: the cases
/// decided before trying UTF-8. `None` means "not one of them".
fn decode_special(bytes: &[u8]) -> Option<Result<String, NotText>> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return Some(Ok(text.into_owned()));
    }
    for (magic, kind) in BINARY_MAGIC {
        // "MZ" is two letters a text may start with; require a NUL too.
        if bytes.starts_with(magic) && (*kind != "Windows executable" || bytes.contains(&0)) {
            return Some(Err(NotText(format!("not a text document ({kind})"))));
        }
    }
    if let Some(encoding) = utf16_without_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(bytes);
        return Some(Ok(text.into_owned()));
    }
    let probe = &bytes[..bytes.len().min(8192)];
    if probe.contains(&0) || control_ratio(probe) > 0.10 {
        return Some(Err(NotText("not a text document (binary content)".into())));
    }
    None
}

/// Bytes that are not valid UTF-8: damaged UTF-8 stays UTF-8, anything
/// else is decoded from the legacy encoding detected.
fn decode_legacy(bytes: &[u8]) -> String {
    if mostly_utf8(bytes) {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Allow);
    detector.feed(bytes, true);
    let encoding = detector.guess(None, chardetng::Utf8Detection::Allow);
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    text.into_owned()
}

/// UTF-8 text with a few damaged bytes (a truncated download, a bad
/// copy-paste) is still UTF-8: decoding it as a legacy encoding would turn
/// every non-ASCII character into mojibake. Legacy-encoded text rarely forms
/// valid multi-byte UTF-8 sequences by accident (GBK about one pair in
/// seven, single-byte encodings almost never), so at least four valid
/// multi-byte characters per invalid sequence means UTF-8.
fn mostly_utf8(bytes: &[u8]) -> bool {
    let (mut valid, mut invalid) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        valid += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        invalid += usize::from(!chunk.invalid().is_empty());
    }
    valid >= 4 * invalid.max(1)
}

/// UTF-16 text saved without a BOM has a NUL in every other byte of its
/// ASCII characters.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    if bytes.len() < 4 || !bytes.len().is_multiple_of(2) {
        return None;
    }
    let probe = &bytes[..bytes.len().min(4096)];
    let pairs = probe.len() / 2;
    let even_nul = probe.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd_nul = probe.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    if odd_nul * 10 >= pairs * 6 && even_nul == 0 {
        Some(UTF_16LE)
    } else if even_nul * 10 >= pairs * 6 && odd_nul == 0 {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// Share of bytes that are control characters other than white space.
fn control_ratio(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let controls = bytes
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c | 0x1b))
        .count();
    controls as f64 / bytes.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_utf8_and_boms() {
        assert_eq!(decode("港口 port".as_bytes()).as_deref(), Ok("港口 port"));
        assert_eq!(decode(b"\xef\xbb\xbfport").as_deref(), Ok("port"));
        let le: Vec<u8> = [0xFFu8, 0xFE]
            .into_iter()
            .chain("港口".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        assert_eq!(decode(&le).as_deref(), Ok("港口"));
    }

    #[test]
    fn detects_legacy_encodings() {
        let (gbk, _, _) = encoding_rs::GBK
            .encode("关于举办发展中国家港口管理研修班的通知，请各单位认真组织报名工作。");
        let text = decode(&gbk).expect("GBK is text");
        assert!(text.contains("港口管理"), "{text}");
        let (cp1251, _, _) = encoding_rs::WINDOWS_1251
            .encode("Семинар по управлению портами для должностных лиц развивающихся стран");
        assert!(decode(&cp1251).expect("cp1251 is text").contains("портами"));
        let latin1 = b"S\xe9minaire sur la gestion portuaire \xe0 Dakar, caf\xe9 et d\xe9bats";
        assert!(decode(latin1)
            .expect("latin1 is text")
            .contains("Séminaire"));
    }

    /// Realistic briefs of 60+ characters: chardetng needs that much text
    /// to tell related legacy encodings apart.
    #[test]
    fn detects_each_supported_legacy_encoding() {
        let cases: [(&'static encoding_rs::Encoding, &str); 6] = [
            (
                encoding_rs::GB18030,
                "商务部主办发展中国家港口管理与贸易便利化研修班，学员为来自东南亚和非洲国家港口、海关及交通部门的官员，课程包括集装箱码头运营。",
            ),
            (
                encoding_rs::BIG5,
                "商務部主辦發展中國家港口管理與貿易便利化研修班，學員為來自東南亞和非洲國家港口、海關及交通部門的官員，課程包括集裝箱碼頭運營。",
            ),
            (
                encoding_rs::WINDOWS_1251,
                "Министерство коммерции проводит трёхнедельный семинар в Тяньцзине для сотрудников портовых и таможенных служб развивающихся стран.",
            ),
            (
                encoding_rs::KOI8_R,
                "Учебный курс по таможенному администрированию и управлению рисками для должностных лиц стран Центральной Азии, двадцать один день.",
            ),
            (
                encoding_rs::WINDOWS_1252,
                "Le ministère du Commerce organise un séminaire de trois semaines destiné aux fonctionnaires des douanes d’Afrique : mise en œuvre du guichet unique.",
            ),
            (
                encoding_rs::UTF_8,
                "Seminar on port management for officials of developing countries, Tianjin, 21 days — 25 participants.",
            ),
        ];
        for (encoding, sentence) in cases {
            let (bytes, _, unmappable) = encoding.encode(sentence);
            assert!(
                !unmappable,
                "{} cannot encode the test text",
                encoding.name()
            );
            let text = decode(&bytes).unwrap_or_else(|e| panic!("{}: {}", encoding.name(), e.0));
            assert_eq!(text, sentence, "decoding {}", encoding.name());
        }
    }

    #[test]
    fn decodes_utf16_big_endian_with_bom() {
        let be: Vec<u8> = [0xFEu8, 0xFF]
            .into_iter()
            .chain("港口管理 port".encode_utf16().flat_map(|u| u.to_be_bytes()))
            .collect();
        assert_eq!(decode(&be).as_deref(), Ok("港口管理 port"));
    }

    #[test]
    fn owned_and_borrowed_decoding_agree() {
        let (gbk, _, _) =
            encoding_rs::GBK.encode("港口管理研修班的通知，学员来自港口、海关和交通部门");
        let cases: [&[u8]; 6] = [
            "港口 port".as_bytes(),
            b"\xef\xbb\xbfport",
            &gbk,
            b"caf\xe9 cr\xe8me",
            b"\x89PNG\r\n\x1a\n\0",
            b"p\0o\0r\0t\0",
        ];
        for bytes in cases {
            assert_eq!(decode_owned(bytes.to_vec()), decode(bytes), "{bytes:?}");
        }
    }

    #[test]
    fn damaged_utf8_stays_utf8() {
        let mut bytes = "港口管理研修班的通知，学员来自港口、海关和交通部门 "
            .as_bytes()
            .to_vec();
        bytes.extend_from_slice(b"\xe6\xb8 customs \xff ");
        bytes.extend_from_slice("课程包括集装箱码头运营".as_bytes());
        let text = decode(&bytes).expect("text");
        assert!(
            text.starts_with("港口管理") && text.ends_with("码头运营"),
            "{text}"
        );
        assert_eq!(text.matches('\u{fffd}').count(), 2);
        // Legacy text with an accidental valid pair is still legacy text.
        let (gbk, _, _) = encoding_rs::GBK.encode("关于举办发展中国家港口管理研修班的通知");
        assert!(!mostly_utf8(&gbk));
        assert!(!mostly_utf8(b"caf\xe9 cr\xc3\xa8me \x93quoted\x94"));
    }

    #[test]
    fn rejects_binary() {
        assert!(decode(b"\x89PNG\r\n\x1a\n\0\0\0").is_err());
        assert!(decode(b"\x7fELF\x02\x01\x01\0\0\0").is_err());
        assert!(decode(&[0u8, 1, 2, 3, 4, 5, 0, 0, 9, 200]).is_err());
        assert!(decode(b"MZ is a fine way to start a sentence").is_ok());
    }
}
