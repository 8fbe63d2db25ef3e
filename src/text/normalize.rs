//! Unicode normalisation before segmentation.

use std::borrow::Cow;
use unicode_normalization::UnicodeNormalization;

/// NFKC then lowercase. NFKC folds the width and compatibility variants that
/// Chinese and Japanese documents mix freely (full-width Latin letters and
/// digits, circled numbers, ligatures) so that "ＢｅｉＤｏｕ" and "BeiDou" are
/// one term. ASCII text is already NFKC, so it only needs lowercasing.
pub fn normalize(text: &str) -> Cow<'_, str> {
    normalize_with(text, false)
}

/// [`normalize`], and with `fold_chinese` traditional Chinese characters
/// become simplified ones (經濟 -> 经济), so that a page from Taiwan, Hong
/// Kong or an overseas mirror shares its terms with mainland documents. The
/// folding is character by character (with the few context rules of the
/// `fast2s` table, built from OpenCC's Apache-2.0 data), so it never moves a
/// character boundary: CJK runs and their bigrams are cut exactly as before.
pub fn normalize_with(text: &str, fold_chinese: bool) -> Cow<'_, str> {
    let folded = normalize_cased(text);
    if fold_chinese && folded.chars().any(is_han) {
        Cow::Owned(fast2s::convert(&folded))
    } else {
        folded
    }
}

/// CJK unified ideographs (basic block and extension A), the only
/// characters the traditional-to-simplified table maps.
fn is_han(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
}

fn normalize_cased(text: &str) -> Cow<'_, str> {
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
    fn folds_traditional_to_simplified_only_when_asked() {
        assert_eq!(normalize_with("經濟特區研習班", true), "经济特区研习班");
        assert_eq!(normalize_with("經濟特區", false), "經濟特區");
        assert_eq!(normalize_with("港口管理 Port", true), "港口管理 port");
        assert_eq!(
            normalize_with("臺灣 發展中國家 學員", true),
            "台湾 发展中国家 学员"
        );
    }

    #[test]
    fn keeps_chinese_characters() {
        assert_eq!(normalize("港口管理"), "港口管理");
    }
}
