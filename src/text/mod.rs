//! Text analysis: from a document's raw text to the terms the vectorizer counts.
//!
//! Like tantivy's analyzers, analysis is a segmenter followed by a chain of
//! small filters over a token stream, each testable on its own:
//!
//! normalize (NFKC, lowercase) -> [`segment`] (words, numbers, CJK runs)
//! -> language routing -> [`StopWordFilter`] -> [`StemFilter`]
//! -> [`CjkBigramFilter`] -> [`NGramFilter`].

pub mod cjk;
pub mod language;
pub mod ngrams;
pub mod normalize;
pub mod segment;
pub mod stem;
pub mod stopwords;

pub use cjk::{bigrams, CjkBigramFilter};
pub use language::{Language, LanguageDetector, LanguageSetting, Script};
pub use ngrams::NGramFilter;
pub use normalize::normalize;
pub use segment::{segment, segment_each};
pub use stem::StemFilter;
pub use stopwords::StopWordFilter;

use crate::{Error, Result};
use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    Word,
    Number,
    /// A maximal run of CJK characters, before it is cut into n-grams.
    CjkRun,
    /// A character unigram or bigram from a CJK run.
    CjkGram,
    /// A word n-gram (n >= 2).
    WordGram,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    pub kind: TokenKind,
    pub script: Script,
    /// Language the token is treated as; `None` when no language-specific
    /// treatment applies.
    pub language: Option<Language>,
}

impl Token {
    pub fn new(text: &str, kind: TokenKind, script: Script) -> Self {
        Token {
            text: text.to_owned(),
            kind,
            script,
            language: None,
        }
    }

    /// A token of the same kind, script and language with other text.
    pub fn with_text(&self, text: &str) -> Self {
        Token {
            text: text.to_owned(),
            kind: self.kind,
            script: self.script,
            language: self.language,
        }
    }
}

/// One step of the analysis chain.
pub trait TokenFilter: Send + Sync {
    fn apply(&self, tokens: Vec<Token>) -> Vec<Token>;
}

/// Settings of the analysis chain; stored in every model file so that
/// classification analyses text exactly as training did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalyzerParams {
    pub language: LanguageSetting,
    pub stop_words: bool,
    pub stemming: bool,
    /// Longest word n-gram; 1 means unigrams only.
    pub ngrams: usize,
    /// Fold traditional Chinese characters to simplified ones before
    /// segmentation. Model files written before this setting existed did
    /// not fold, hence the serde default.
    #[serde(default)]
    pub fold_chinese: bool,
    /// Keep numbers ("2023", "3.5") as terms. Years and counts are what a
    /// small corpus learns by accident (a fixture list got `trade` from
    /// "2023"), so the program model drops them; scikit-learn's default
    /// token pattern keeps them, and so does the default here.
    #[serde(default = "keep_numbers")]
    pub numbers: bool,
}

fn keep_numbers() -> bool {
    true
}

impl Default for AnalyzerParams {
    /// Unigrams with stop words and stemming, language detected per document.
    /// Bigrams were measured (see README, "Choosing the defaults") and cost
    /// more time and memory than they gained on both corpora.
    fn default() -> Self {
        AnalyzerParams {
            language: LanguageSetting::Auto,
            stop_words: true,
            stemming: true,
            ngrams: 1,
            fold_chinese: true,
            numbers: true,
        }
    }
}

/// Largest supported word n-gram length: beyond 3 the feature space grows
/// much faster than the evidence.
pub const MAX_NGRAMS: usize = 5;

impl AnalyzerParams {
    pub fn check(self) -> Result<Analyzer> {
        if self.ngrams == 0 || self.ngrams > MAX_NGRAMS {
            return Err(Error::InvalidParams(format!(
                "ngrams must be between 1 and {MAX_NGRAMS}, got {}",
                self.ngrams
            )));
        }
        Ok(Analyzer::new(self))
    }
}

/// A document after analysis.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub language: Language,
    pub tokens: Vec<Token>,
}

/// The checked, ready-to-run analysis chain. Cheap to share across threads.
pub struct Analyzer {
    params: AnalyzerParams,
    detector: LanguageDetector,
    stop_words: Option<StopWordFilter>,
    stemmer: Option<StemFilter>,
    ngrams: NGramFilter,
}

impl Analyzer {
    fn new(params: AnalyzerParams) -> Self {
        Analyzer {
            detector: LanguageDetector::default(),
            stop_words: params.stop_words.then(StopWordFilter::default),
            stemmer: params.stemming.then(StemFilter::default),
            ngrams: NGramFilter {
                max_n: params.ngrams,
            },
            params,
        }
    }

    pub fn params(&self) -> &AnalyzerParams {
        &self.params
    }

    /// Sets the language given to short Latin-script texts that show no
    /// language of their own (English by default); see
    /// [`language::SHORT_TEXT_LETTERS`].
    pub fn set_latin_fallback(&mut self, language: Language) {
        self.detector.set_latin_fallback(language);
    }

    /// The document's language under this analyzer's setting.
    pub fn language_of(&self, normalized: &str) -> Language {
        match self.params.language {
            LanguageSetting::Auto => self.detector.detect(normalized),
            LanguageSetting::Fixed(l) => l,
        }
    }

    /// Language of a document, reading only as much of it as detection uses.
    pub fn detect_language(&self, text: &str) -> Language {
        let mut end = text.len().min(4096);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        self.language_of(&self.normalize(&text[..end]))
    }

    /// The normalisation step of this analyzer.
    pub fn normalize<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        normalize::normalize_with(text, self.params.fold_chinese)
    }

    /// Runs the full chain and keeps the tokens, for display and explanation.
    pub fn analyze(&self, text: &str) -> Analysis {
        let normalized = self.normalize(text);
        let language = self.language_of(&normalized);
        self.analyze_normalized(&normalized, language)
    }

    fn analyze_normalized(&self, normalized: &str, language: Language) -> Analysis {
        let mut tokens = segment(normalized);
        if !self.params.numbers {
            tokens.retain(|t| t.kind != TokenKind::Number);
        }
        for token in &mut tokens {
            token.language = language::route(token.script, language);
        }
        let filters: [Option<&dyn TokenFilter>; 4] = [
            self.stop_words.as_ref().map(|f| f as &dyn TokenFilter),
            self.stemmer.as_ref().map(|f| f as &dyn TokenFilter),
            Some(&CjkBigramFilter),
            Some(&self.ngrams),
        ];
        for filter in filters.into_iter().flatten() {
            tokens = filter.apply(tokens);
        }
        Analysis { language, tokens }
    }

    /// The terms the vectorizer counts, in document order.
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut terms = Vec::new();
        self.for_each_term(text, |t| terms.push(t.to_owned()));
        terms
    }

    /// Calls `emit` with each term of `text`, in order, and returns the
    /// document's language. Produces exactly the terms of [`Analyzer::analyze`]
    /// (a property test checks it) but fuses the chain into one pass over
    /// borrowed slices with cached stems: this is the path training and
    /// classification take, several times faster than building tokens.
    pub fn for_each_term(&self, text: &str, emit: impl FnMut(&str)) -> Language {
        self.for_each_term_as(text, None, emit)
    }

    /// [`Analyzer::for_each_term`] with the language given instead of
    /// detected: a sentence is analysed as part of its document, so that a
    /// short one is not stemmed as another language.
    pub fn for_each_term_as(
        &self,
        text: &str,
        language: Option<Language>,
        mut emit: impl FnMut(&str),
    ) -> Language {
        let variant =
            usize::from(self.stop_words.is_some()) * 2 + usize::from(self.stemmer.is_some());
        STEMS.with(|cache| {
            let mut cache = cache.borrow_mut();
            self.for_each_piece_as(text, language, |piece| match piece {
                Piece::Term(term) => emit(term),
                Piece::Word(word, lang) => {
                    match cache.lookup(variant, lang, word, || self.word_term(word, lang)) {
                        WordTerm::Stop => {}
                        WordTerm::Keep => emit(word),
                        WordTerm::Stem(stem) => emit(&stem),
                    }
                }
            })
        })
    }

    /// Like [`Analyzer::for_each_term`], but words that still need stop-word
    /// removal and stemming are handed out raw as [`Piece::Word`], for a
    /// caller that caches more than the stem (the classifier caches each
    /// word's vocabulary column); [`Analyzer::resolve_word`] finishes them.
    pub fn for_each_piece(&self, text: &str, emit: impl FnMut(Piece<'_>)) -> Language {
        self.for_each_piece_as(text, None, emit)
    }

    /// [`Analyzer::for_each_piece`], in a given language when there is one.
    pub fn for_each_piece_as(
        &self,
        text: &str,
        language: Option<Language>,
        mut emit: impl FnMut(Piece<'_>),
    ) -> Language {
        let normalized = self.normalize(text);
        let language = language.unwrap_or_else(|| self.language_of(&normalized));
        if self.params.ngrams > 1 {
            for token in self.analyze_normalized(&normalized, language).tokens {
                emit(Piece::Term(&token.text));
            }
            return language;
        }
        let filtered = self.stop_words.is_some() || self.stemmer.is_some();
        segment_each(&normalized, |piece, kind| match kind {
            TokenKind::Word => match language::route(language::token_script(piece), language) {
                Some(lang) if filtered => emit(Piece::Word(piece, lang)),
                _ => emit(Piece::Term(piece)),
            },
            TokenKind::CjkRun => {
                let mut term = |t: &str| emit(Piece::Term(t));
                match &self.stop_words {
                    Some(stops) => stops.split_run(piece, |part| bigrams(part, &mut term)),
                    None => bigrams(piece, &mut term),
                }
            }
            TokenKind::Number if !self.params.numbers => {}
            _ => emit(Piece::Term(piece)),
        });
        language
    }

    /// The term a raw word of [`Piece::Word`] becomes: `None` for a stop
    /// word, otherwise its stem (or the word itself).
    pub fn resolve_word<'w>(
        &self,
        word: &'w str,
        language: Language,
    ) -> Option<std::borrow::Cow<'w, str>> {
        match self.word_term(word, language) {
            WordTerm::Stop => None,
            WordTerm::Keep => Some(std::borrow::Cow::Borrowed(word)),
            WordTerm::Stem(stem) => Some(std::borrow::Cow::Owned(stem.into())),
        }
    }
}

/// A piece of analysed text: a finished term, or a word (with the language
/// it is treated as) still to go through stop words and stemming.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    Term(&'a str),
    Word(&'a str, Language),
}

impl Analyzer {
    /// What the stop-word and stemming filters make of one word.
    fn word_term(&self, word: &str, language: Language) -> WordTerm {
        if let Some(stops) = &self.stop_words {
            if stops.is_stop_word(word, language) {
                return WordTerm::Stop;
            }
        }
        match self.stemmer.as_ref().and_then(|s| s.stemmer(language)) {
            Some(stemmer) => match stemmer.stem(word) {
                // Nothing left (an Arabic diacritic on its own): no term,
                // as in the token path (`StemFilter`).
                std::borrow::Cow::Owned(stem) if stem.is_empty() => WordTerm::Stop,
                std::borrow::Cow::Owned(stem) if stem != word => WordTerm::Stem(stem.into()),
                _ => WordTerm::Keep,
            },
            None => WordTerm::Keep,
        }
    }
}

/// A word after stop-word removal and stemming.
#[derive(Clone)]
enum WordTerm {
    Stop,
    Keep,
    Stem(CompactString),
}

/// Words already filtered and stemmed on this thread, per analyzer variant
/// (stop words on/off x stemming on/off) and language. Real text repeats a
/// few thousand words most of the time; one hash lookup replaces a stop-word
/// lookup and a Snowball stemmer run.
///
/// Keys and stems are `CompactString`s, stored inline up to 24 bytes: with
/// heap `String`s, comparing a probed key meant a cache miss on its buffer,
/// and profiling showed those comparisons as the largest cost of analysis.
/// hashbrown's default hasher is used because FxHash clustered these keys.
struct WordCache {
    maps: Vec<hashbrown::HashMap<CompactString, WordTerm>>,
}

/// Entries per map before it is emptied, bounding memory on corpora with
/// huge vocabularies.
const WORD_CACHE_LIMIT: usize = 200_000;

impl WordCache {
    fn lookup(
        &mut self,
        variant: usize,
        language: Language,
        word: &str,
        compute: impl FnOnce() -> WordTerm,
    ) -> WordTerm {
        let map = &mut self.maps[variant * Language::ALL.len() + language.index()];
        if let Some(term) = map.get(word) {
            // A copy of at most 24 inline bytes for almost every stem.
            return term.clone();
        }
        if map.len() >= WORD_CACHE_LIMIT {
            map.clear();
        }
        let term = compute();
        map.insert(CompactString::new(word), term.clone());
        term
    }
}

thread_local! {
    static STEMS: RefCell<WordCache> = RefCell::new(WordCache {
        maps: (0..4 * Language::ALL.len())
            .map(|_| hashbrown::HashMap::default())
            .collect(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyzer() -> Analyzer {
        AnalyzerParams::default()
            .check()
            .expect("default params are valid")
    }

    #[test]
    fn english_pipeline_end_to_end() {
        let terms = analyzer().terms("The Seminar on Port Management for Officials, 2019.");
        assert_eq!(terms, ["seminar", "port", "manag", "offici", "2019"]);
    }

    #[test]
    fn chinese_pipeline_emits_bigrams() {
        let a = analyzer();
        let analysis = a.analyze("港口管理研修班");
        assert_eq!(analysis.language, Language::Zh);
        let terms: Vec<_> = analysis.tokens.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(terms, ["港口", "口管", "管理", "理研", "研修", "修班"]);
    }

    #[test]
    fn mixed_chinese_english_stems_english_words() {
        let terms = analyzer().terms("北斗系统 training for port officials");
        assert!(terms.contains(&"北斗".to_string()));
        assert!(terms.contains(&"train".to_string()));
        assert!(terms.contains(&"offici".to_string()));
    }

    #[test]
    fn switches_off_cleanly() {
        let a = AnalyzerParams {
            language: LanguageSetting::Fixed(Language::En),
            stop_words: false,
            stemming: false,
            ngrams: 2,
            ..AnalyzerParams::default()
        }
        .check()
        .expect("valid");
        assert_eq!(a.terms("the ports"), ["the", "ports", "the ports"]);
    }

    /// The input the `analyzer` fuzz target crashed on (its artifact
    /// `crash-f7e0e96e...`): decoded as Windows-1256 it starts with U+0652
    /// (Arabic sukun) on its own, a word the Arabic stemmer reduces to
    /// nothing. It used to give an empty term, and n-grams glued to it.
    #[test]
    fn words_stemmed_to_nothing_give_no_term() {
        let bytes = b"\xfa\xff\xff\xff\xff\xff\xff\x162minar o nCyFestiv:l rerspaculc";
        let text = crate::corpus::decode::decode(bytes).expect("text");
        assert!(text.starts_with('\u{652}'), "{text:?}");
        for ngrams in [1, 3] {
            let a = AnalyzerParams {
                ngrams,
                ..AnalyzerParams::default()
            }
            .check()
            .expect("valid");
            let terms = a.terms(&text);
            let tokens: Vec<String> = a
                .analyze(&text)
                .tokens
                .into_iter()
                .map(|t| t.text)
                .collect();
            assert_eq!(terms, tokens);
            assert!(!terms.is_empty());
            assert!(
                terms.iter().all(|t| !t.is_empty() && !t.starts_with(' ')),
                "{terms:?}"
            );
        }
    }

    #[test]
    fn rejects_bad_ngram_setting() {
        let p = AnalyzerParams {
            ngrams: 0,
            ..AnalyzerParams::default()
        };
        assert!(p.check().is_err());
    }
}
