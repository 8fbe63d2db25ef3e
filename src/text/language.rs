//! Languages docclass knows how to stem and filter, document-level language
//! detection, and the per-token routing that lets one document mix scripts.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A language with at least one language-specific treatment (stop words,
/// stemming or CJK handling). Anything else is [`Language::Other`]: its words
/// are still tokens, just not stemmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    En,
    Zh,
    Ja,
    Ko,
    Ru,
    Uk,
    Es,
    Fr,
    Pt,
    De,
    It,
    Nl,
    Ar,
    Tr,
    Other,
}

impl Language {
    pub const ALL: [Language; 15] = [
        Language::En,
        Language::Zh,
        Language::Ja,
        Language::Ko,
        Language::Ru,
        Language::Uk,
        Language::Es,
        Language::Fr,
        Language::Pt,
        Language::De,
        Language::It,
        Language::Nl,
        Language::Ar,
        Language::Tr,
        Language::Other,
    ];

    /// Position in [`Language::ALL`], for per-language lookup tables.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Zh => "zh",
            Language::Ja => "ja",
            Language::Ko => "ko",
            Language::Ru => "ru",
            Language::Uk => "uk",
            Language::Es => "es",
            Language::Fr => "fr",
            Language::Pt => "pt",
            Language::De => "de",
            Language::It => "it",
            Language::Nl => "nl",
            Language::Ar => "ar",
            Language::Tr => "tr",
            Language::Other => "other",
        }
    }

    /// The script this language's words are written in, used to decide
    /// whether a token of a mixed document belongs to the document language.
    pub fn script(self) -> Script {
        match self {
            Language::Zh | Language::Ja | Language::Ko => Script::Cjk,
            Language::Ru | Language::Uk => Script::Cyrillic,
            Language::Ar => Script::Arabic,
            Language::Other => Script::Other,
            _ => Script::Latin,
        }
    }

    fn to_whatlang(self) -> Option<whatlang::Lang> {
        use whatlang::Lang as W;
        Some(match self {
            Language::En => W::Eng,
            Language::Es => W::Spa,
            Language::Fr => W::Fra,
            Language::Pt => W::Por,
            Language::De => W::Deu,
            Language::It => W::Ita,
            Language::Nl => W::Nld,
            _ => return None,
        })
    }

    fn from_whatlang(lang: whatlang::Lang) -> Language {
        use whatlang::Lang as W;
        match lang {
            W::Eng => Language::En,
            W::Cmn => Language::Zh,
            W::Jpn => Language::Ja,
            W::Kor => Language::Ko,
            W::Rus => Language::Ru,
            W::Ukr => Language::Uk,
            W::Spa => Language::Es,
            W::Fra => Language::Fr,
            W::Por => Language::Pt,
            W::Deu => Language::De,
            W::Ita => Language::It,
            W::Nld => Language::Nl,
            W::Ara => Language::Ar,
            W::Tur => Language::Tr,
            _ => Language::Other,
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Language {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Language::ALL
            .into_iter()
            .find(|l| l.code() == lower)
            .ok_or_else(|| {
                let codes: Vec<&str> = Language::ALL.iter().map(|l| l.code()).collect();
                format!(
                    "unknown language '{s}'; expected auto or one of {}",
                    codes.join(", ")
                )
            })
    }
}

/// How the analyzer picks a document's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LanguageSetting {
    /// Detect each document's language from its text.
    Auto,
    /// Treat every document as this language.
    Fixed(Language),
}

impl fmt::Display for LanguageSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LanguageSetting::Auto => f.write_str("auto"),
            LanguageSetting::Fixed(l) => l.fmt(f),
        }
    }
}

impl FromStr for LanguageSetting {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().eq_ignore_ascii_case("auto") {
            Ok(LanguageSetting::Auto)
        } else {
            s.parse().map(LanguageSetting::Fixed)
        }
    }
}

/// Writing systems that change how a token is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Script {
    Latin,
    Cyrillic,
    Arabic,
    /// Han ideographs, kana and hangul: written without spaces between words.
    Cjk,
    Other,
}

/// Script of one character, or `None` for characters that carry no script
/// (digits, marks, punctuation).
pub fn char_script(c: char) -> Option<Script> {
    let cp = c as u32;
    if c.is_ascii_alphabetic() {
        return Some(Script::Latin);
    }
    if cp < 0x80 {
        return None;
    }
    if is_cjk(c) {
        return Some(Script::Cjk);
    }
    match cp {
        0x00C0..=0x024F | 0x1E00..=0x1EFF => Some(Script::Latin),
        0x0400..=0x052F => Some(Script::Cyrillic),
        0x0600..=0x06FF | 0x0750..=0x077F => Some(Script::Arabic),
        _ if c.is_alphabetic() => Some(Script::Other),
        _ => None,
    }
}

/// True for characters of scripts written without spaces (Han, kana, hangul).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // hiragana, katakana
        | 0x31F0..=0x31FF    // katakana phonetic extensions
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xAC00..=0xD7AF    // hangul syllables
        | 0x1100..=0x11FF    // hangul jamo
        | 0x3130..=0x318F    // hangul compatibility jamo
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0xFF66..=0xFF9F    // half-width katakana
        | 0x20000..=0x2FA1F  // CJK extensions B-F and supplement
        | 0x30000..=0x3134F) // CJK extension G
}

/// Script of a token: the script of its first character that has one.
pub fn token_script(token: &str) -> Script {
    token.chars().find_map(char_script).unwrap_or(Script::Other)
}

/// Language a token is treated as, given its document's language. A token in
/// the document's own script takes the document language; a token in another
/// script takes that script's most likely language, so that English words in
/// a Chinese brief are still stemmed as English.
pub fn route(script: Script, document: Language) -> Option<Language> {
    if script == document.script() && document != Language::Other {
        return Some(document);
    }
    match script {
        Script::Latin => Some(Language::En),
        Script::Cyrillic => Some(Language::Ru),
        Script::Arabic => Some(Language::Ar),
        Script::Cjk => Some(Language::Zh),
        Script::Other => None,
    }
}

/// Detects a document's language among the languages docclass treats
/// specially, from the beginning of the document: a few hundred characters
/// decide the language as well as the whole text and cost far less.
///
/// The dominant script decides most cases outright (Han and kana, hangul,
/// Arabic). Latin-script text is decided by counting each language's stop
/// words, which are the most frequent words of running text: one hash lookup
/// per word, several times cheaper than trigram statistics and as reliable
/// on anything longer than a title. Text that gives no clear vote, and
/// Cyrillic text (Russian or Ukrainian), goes to whatlang's trigram model.
pub struct LanguageDetector {
    detector: whatlang::Detector,
    /// The language of short Latin-script texts that give no evidence of
    /// their own (see [`SHORT_TEXT_LETTERS`]).
    latin_fallback: Language,
    /// Word -> bit set of the Latin-script languages whose stop list has it.
    latin_votes: hashbrown::HashMap<&'static str, u16>,
}

/// A Latin-script text with fewer letters than this and no stop word to
/// vote on is too short to detect: "Communist party" or "Police
/// cooperation" look French to a trigram model. It gets the fallback
/// language instead (a classifier sets its training data's dominant
/// Latin-script language), so it is stemmed like the documents the model
/// learnt from.
pub const SHORT_TEXT_LETTERS: usize = 120;

/// Bytes of text read by detection.
const DETECTION_WINDOW: usize = 400;

/// Languages voted on by stop words, one bit each.
const LATIN_VOTERS: [Language; 7] = [
    Language::En,
    Language::Es,
    Language::Fr,
    Language::Pt,
    Language::De,
    Language::It,
    Language::Nl,
];

impl Default for LanguageDetector {
    fn default() -> Self {
        use whatlang::Lang as W;
        let allow = vec![
            W::Eng,
            W::Rus,
            W::Ukr,
            W::Spa,
            W::Fra,
            W::Por,
            W::Deu,
            W::Ita,
            W::Nld,
            W::Tur,
        ];
        let mut latin_votes = hashbrown::HashMap::default();
        for (bit, language) in LATIN_VOTERS.iter().enumerate() {
            for word in super::stopwords::list(*language).split_whitespace() {
                *latin_votes.entry(word).or_insert(0u16) |= 1 << bit;
            }
        }
        LanguageDetector {
            detector: whatlang::Detector::with_allowlist(allow),
            latin_fallback: Language::En,
            latin_votes,
        }
    }
}

impl LanguageDetector {
    /// Sets the language of short Latin-script texts without evidence.
    pub fn set_latin_fallback(&mut self, language: Language) {
        self.latin_fallback = language;
    }

    /// The language of normalised (lowercased) text; English when the text
    /// gives no evidence (numbers only, empty), since unlabelled Latin text
    /// is most often English.
    pub fn detect(&self, text: &str) -> Language {
        let mut end = text.len().min(DETECTION_WINDOW);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let window = &text[..end];
        let (mut latin, mut cyrillic, mut arabic, mut han, mut kana, mut hangul, mut other) =
            (0usize, 0usize, 0usize, 0usize, 0usize, 0usize, 0usize);
        for c in window.chars() {
            match char_script(c) {
                Some(Script::Latin) => latin += 1,
                Some(Script::Cyrillic) => cyrillic += 1,
                Some(Script::Arabic) => arabic += 1,
                Some(Script::Cjk) => match c as u32 {
                    0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F => kana += 1,
                    0xAC00..=0xD7AF | 0x1100..=0x11FF | 0x3130..=0x318F => hangul += 1,
                    _ => han += 1,
                },
                Some(Script::Other) => other += 1,
                None => {}
            }
        }
        // A CJK character carries about as much text as a short word.
        let cjk = (han + kana + hangul) * 3;
        let best = latin.max(cyrillic).max(arabic).max(cjk).max(other);
        if best == 0 {
            return Language::En;
        }
        if best == cjk {
            return if hangul > han + kana {
                Language::Ko
            } else if kana * 5 >= han + kana {
                Language::Ja
            } else {
                Language::Zh
            };
        }
        if best == latin {
            if let Some(language) = self.vote_latin(window) {
                return language;
            }
            if latin < SHORT_TEXT_LETTERS {
                return self.latin_fallback;
            }
        } else if best == arabic {
            return Language::Ar;
        } else if best == other {
            return Language::Other;
        }
        match self
            .detector
            .detect_lang(window)
            .map(Language::from_whatlang)
        {
            Some(language) => language,
            None if best == cyrillic => Language::Ru,
            None => Language::En,
        }
    }

    /// The Latin-script language with clearly the most votes in the window:
    /// one per stop word, plus up to two for letters only one of these
    /// languages uses (ã õ Portuguese, ñ ¿ ¡ Spanish, è œ î French, ß ä ö
    /// German, ò ì Italian). Other ties between languages that have votes are
    /// settled by whatlang among those languages only.
    fn vote_latin(&self, window: &str) -> Option<Language> {
        let mut votes = [0u32; LATIN_VOTERS.len()];
        super::segment_each(window, |word, _| {
            if let Some(&bits) = self.latin_votes.get(word) {
                for (i, v) in votes.iter_mut().enumerate() {
                    *v += u32::from((bits >> i) & 1);
                }
            }
        });
        let mut markers = [0u32; LATIN_VOTERS.len()];
        for c in window.chars() {
            let voter = match c {
                'ã' | 'õ' => 3,
                'ñ' | '¿' | '¡' => 1,
                'è' | 'ë' | 'î' | 'ï' | 'û' | 'œ' => 2,
                'ß' | 'ä' | 'ö' => 4,
                'ò' | 'ì' => 5,
                _ => continue,
            };
            markers[voter] = (markers[voter] + 1).min(2);
        }
        for (v, m) in votes.iter_mut().zip(markers) {
            *v += m;
        }
        let top = votes.iter().copied().max().unwrap_or(0);
        let leaders: Vec<Language> = LATIN_VOTERS
            .iter()
            .zip(votes)
            .filter(|&(_, v)| v == top)
            .map(|(l, _)| *l)
            .collect();
        match leaders.as_slice() {
            [only] if top >= 2 => Some(*only),
            // One shared stop word ("in", "a") is no evidence against the
            // most common language of Latin-script documents.
            _ if top == 1 && leaders.contains(&Language::En) => Some(Language::En),
            _ if top >= 1 => {
                let allow: Vec<whatlang::Lang> =
                    leaders.iter().filter_map(|l| l.to_whatlang()).collect();
                whatlang::Detector::with_allowlist(allow)
                    .detect_lang(window)
                    .map(Language::from_whatlang)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_common_languages() {
        let d = LanguageDetector::default();
        assert_eq!(
            d.detect("the seminar on port management was held in dalian for officials."),
            Language::En
        );
        assert_eq!(
            d.detect("关于举办2019年发展中国家港口管理研修班的通知"),
            Language::Zh
        );
        assert_eq!(
            d.detect("семинар по вопросам государственного управления для должностных лиц"),
            Language::Ru
        );
        assert_eq!(
            d.detect("seminario sobre gestión portuaria para funcionarios de américa latina"),
            Language::Es
        );
        assert_eq!(d.detect("ひらがなとカタカナの文章です"), Language::Ja);
        assert_eq!(d.detect("한국어 문장입니다"), Language::Ko);
        assert_eq!(
            d.detect("le séminaire de gestion portuaire pour les fonctionnaires a eu lieu à dakar"),
            Language::Fr
        );
        assert_eq!(
            d.detect(
                "o seminário sobre gestão portuária para os funcionários de angola foi realizado"
            ),
            Language::Pt
        );
        assert_eq!(d.detect("2019 2020"), Language::En);
        assert_eq!(
            d.detect("festival culturel sino-algérien du nouvel an chinois à alger, 2016"),
            Language::Fr
        );
        assert_eq!(
            d.detect(
                "seminário sobre gestão portuária e logística para funcionários de moçambique"
            ),
            Language::Pt
        );
        assert_eq!(d.detect(""), Language::En);
    }

    #[test]
    fn routes_foreign_script_tokens_to_their_own_language() {
        assert_eq!(route(Script::Latin, Language::Zh), Some(Language::En));
        assert_eq!(route(Script::Latin, Language::Es), Some(Language::Es));
        assert_eq!(route(Script::Cyrillic, Language::En), Some(Language::Ru));
        assert_eq!(route(Script::Cjk, Language::Zh), Some(Language::Zh));
        assert_eq!(route(Script::Other, Language::En), None);
    }

    #[test]
    fn index_matches_position_in_all() {
        for (i, l) in Language::ALL.iter().enumerate() {
            assert_eq!(l.index(), i);
        }
    }

    #[test]
    fn parses_language_settings() {
        assert_eq!("auto".parse::<LanguageSetting>(), Ok(LanguageSetting::Auto));
        assert_eq!(
            "ZH".parse::<LanguageSetting>(),
            Ok(LanguageSetting::Fixed(Language::Zh))
        );
        assert!("klingon".parse::<LanguageSetting>().is_err());
    }
}
