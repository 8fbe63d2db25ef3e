//! Unicode normalisation before segmentation.

use std::borrow::Cow;
use unicode_normalization::UnicodeNormalization;

/// NFKC then lowercase. NFKC folds the width and compatibility variants that
/// Chinese and Japanese documents mix freely (full-width Latin letters and
/// digits, circled numbers, ligatures) so that "ＢｅｉＤｏｕ" and "BeiDou" are
/// one term. ASCII text is already NFKC, so it only needs lowercasing.
pub fn normalize(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(text.to_ascii_lowercase())
        } else {
            Cow::Borrowed(text)
        }
    } else {
        Cow::Owned(
            text.nfkc()
                .map(fold_apostrophe)
                .flat_map(char::to_lowercase)
                .collect(),
        )
    }
}

/// Typographic apostrophes become ASCII ones so that "don’t" and "don't"
/// are the same word (and the same stop word).
fn fold_apostrophe(c: char) -> char {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{02BC}' => '\'',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_width() {
        assert_eq!(normalize("ＢｅｉＤｏｕ ２０２２"), "beidou 2022");
        assert_eq!(normalize("Port MANAGEMENT"), "port management");
        assert_eq!(normalize("ПОРТ"), "порт");
        assert_eq!(normalize("Don\u{2019}t"), "don't");
        assert!(matches!(normalize("already lower"), Cow::Borrowed(_)));
    }

    #[test]
    fn keeps_chinese_characters() {
        assert_eq!(normalize("港口管理"), "港口管理");
    }
}
