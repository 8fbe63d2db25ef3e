//! Text analysis: from a document's raw text to the terms the vectorizer counts.
//!
//! Like tantivy's analyzers, analysis is a segmenter followed by a chain of
//! small filters over a token stream, each testable on its own:
//!
//! normalize (NFKC, lowercase, traditional -> simplified) -> [`segment`]
//! (words, numbers, CJK runs) -> language routing -> [`NumberFilter`]
//! -> [`StopWordFilter`] -> [`StemFilter`] -> [`CjkBigramFilter`]
//! -> [`NGramFilter`], with the two per-word steps wrapped in a
//! [`WordMemo`].
//!
//! There is one chain. Tokens flow through it one at a time as borrowed
//! [`TokenRef`]s, so the path training and classification take allocates
//! nothing per token; [`Analyzer::analyze`] runs the same chain and keeps
//! owned [`Token`]s for display.

pub mod cjk;
pub mod language;
pub mod memo;
pub mod ngrams;
pub mod normalize;
pub mod segment;
pub mod stem;
pub mod stopwords;

pub use cjk::{bigrams, CjkBigramFilter};
pub use language::{Language, LanguageDetector, LanguageSetting, Script};
pub use memo::WordMemo;
pub use ngrams::NGramFilter;
pub use normalize::normalize;
pub use segment::{segment, segment_each};
pub use stem::StemFilter;
pub use stopwords::StopWordFilter;

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

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

/// A token kept after analysis, for display ([`Analyzer::analyze`]).
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
    /// A view of this token, to feed it to a filter.
    pub fn as_ref(&self) -> TokenRef<'_> {
        TokenRef {
            text: &self.text,
            kind: self.kind,
            script: self.script,
            language: self.language,
        }
    }
}

impl From<TokenRef<'_>> for Token {
    fn from(t: TokenRef<'_>) -> Self {
        Token {
            text: t.text.to_owned(),
            kind: t.kind,
            script: t.script,
            language: t.language,
        }
    }
}

/// A token in flight through the chain. Its text is borrowed from the
/// normalised document or from the filter that produced it, and lives only
/// for the call that hands it on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenRef<'a> {
    pub text: &'a str,
    pub kind: TokenKind,
    pub script: Script,
    pub language: Option<Language>,
}

impl<'a> TokenRef<'a> {
    /// A token of the segmenter, routed to a language from its script and
    /// the document's language.
    pub fn segmented(text: &'a str, kind: TokenKind, document: Language) -> Self {
        let script = language::token_script(text);
        TokenRef {
            text,
            kind,
            script,
            language: language::route(script, document),
        }
    }

    /// The same token with other text (and possibly another kind).
    pub fn with_text<'b>(&self, text: &'b str, kind: TokenKind) -> TokenRef<'b> {
        TokenRef {
            text,
            kind,
            script: self.script,
            language: self.language,
        }
    }
}

/// One step of the analysis chain: takes each token of a document in turn
/// and hands on what becomes of it (nothing, the token itself, or several
/// tokens) to `next`. `State` is what the step remembers between tokens of
/// one document (the window of the n-gram filter); stateless steps use `()`.
pub trait TokenFilter: Send + Sync {
    type State: Default;

    fn feed(
        &self,
        state: &mut Self::State,
        token: TokenRef<'_>,
        next: &mut impl FnMut(TokenRef<'_>),
    );
}

/// Runs `filter` over `tokens` and collects what comes out: for testing a
/// filter on its own.
pub fn apply_filter<F: TokenFilter>(filter: &F, tokens: &[TokenRef<'_>]) -> Vec<Token> {
    let mut state = F::State::default();
    let mut out = Vec::new();
    for &t in tokens {
        filter.feed(&mut state, t, &mut |t| out.push(Token::from(t)));
    }
    out
}

/// Drops numbers ("2023", "3.5") when the analyzer does not keep them.
pub struct NumberFilter;

impl TokenFilter for NumberFilter {
    type State = ();

    fn feed(&self, _: &mut (), token: TokenRef<'_>, next: &mut impl FnMut(TokenRef<'_>)) {
        if token.kind != TokenKind::Number {
            next(token);
        }
    }
}

/// Two stateless steps, one after the other.
impl<A, B> TokenFilter for (A, B)
where
    A: TokenFilter<State = ()>,
    B: TokenFilter<State = ()>,
{
    type State = ();

    fn feed(&self, _: &mut (), token: TokenRef<'_>, next: &mut impl FnMut(TokenRef<'_>)) {
        self.0
            .feed(&mut (), token, &mut |t| self.1.feed(&mut (), t, next));
    }
}

/// Applies an optional filter, or passes tokens through when it is off.
impl<F: TokenFilter> TokenFilter for Option<F> {
    type State = F::State;

    fn feed(&self, state: &mut F::State, token: TokenRef<'_>, next: &mut impl FnMut(TokenRef<'_>)) {
        match self {
            Some(f) => f.feed(state, token, next),
            None => next(token),
        }
    }
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
    numbers: Option<NumberFilter>,
    /// Stop words, then stemming, remembered per word; `None` when both
    /// are off (a memo of nothing would only cost a lookup per word).
    words: Option<WordMemo<(Option<StopWordFilter>, Option<StemFilter>)>>,
    ngrams: NGramFilter,
}

impl Analyzer {
    fn new(params: AnalyzerParams) -> Self {
        Analyzer {
            detector: LanguageDetector::default(),
            numbers: (!params.numbers).then_some(NumberFilter),
            words: (params.stop_words || params.stemming).then(|| {
                WordMemo::new(
                    (
                        params.stop_words.then(StopWordFilter::default),
                        params.stemming.then(StemFilter::default),
                    ),
                    usize::from(params.stop_words) * 2 + usize::from(params.stemming),
                )
            }),
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

    /// Runs the chain and keeps the tokens, for display and explanation.
    pub fn analyze(&self, text: &str) -> Analysis {
        let mut tokens = Vec::new();
        let language = self.for_each_token(text, None, |t| tokens.push(Token::from(t)));
        Analysis { language, tokens }
    }

    /// The terms the vectorizer counts, in document order.
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut terms = Vec::new();
        self.for_each_term(text, |t| terms.push(t.to_owned()));
        terms
    }

    /// Calls `emit` with each term of `text`, in order, and returns the
    /// document's language.
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
        self.for_each_token(text, language, |t| emit(t.text))
    }

    /// The chain itself: normalises `text`, detects its language (unless
    /// given), segments it and passes every token through each filter in
    /// turn, calling `emit` with what comes out of the last one.
    pub fn for_each_token(
        &self,
        text: &str,
        language: Option<Language>,
        emit: impl FnMut(TokenRef<'_>),
    ) -> Language {
        let normalized = self.normalize(text);
        let language = language.unwrap_or_else(|| self.language_of(&normalized));
        self.for_each_token_normalized(&normalized, language, emit);
        language
    }

    /// [`Analyzer::for_each_token`] on text already normalised by
    /// [`Analyzer::normalize`] (normalising is idempotent), in a known
    /// language. Tokens that are slices of their input (words left as they
    /// are, CJK runs and grams) borrow from `normalized`, so a caller can
    /// tell where in it they come from.
    pub fn for_each_token_normalized(
        &self,
        normalized: &str,
        language: Language,
        mut emit: impl FnMut(TokenRef<'_>),
    ) {
        let mut ngram_window = Default::default();
        let mut to_ngrams = |t: TokenRef<'_>| self.ngrams.feed(&mut ngram_window, t, &mut emit);
        let mut to_bigrams = |t: TokenRef<'_>| CjkBigramFilter.feed(&mut (), t, &mut to_ngrams);
        let mut to_words = |t: TokenRef<'_>| self.words.feed(&mut (), t, &mut to_bigrams);
        let mut to_numbers = |t: TokenRef<'_>| self.numbers.feed(&mut (), t, &mut to_words);
        segment_each(normalized, |piece, kind| {
            to_numbers(TokenRef::segmented(piece, kind, language))
        });
    }

    /// Calls `emit(span, term)` for each term of `text` with the byte range
    /// of `text` it comes from, for showing a term where it is written:
    /// the word it was stemmed from, or for Chinese the two characters of a
    /// bigram as the document writes them (traditional ones too). Each word
    /// and CJK run is analysed alone, in `language`. Where normalisation
    /// changed the number of characters of a run (rare compatibility forms),
    /// its terms get the whole run.
    pub fn for_each_term_span(
        &self,
        text: &str,
        language: Language,
        mut emit: impl FnMut(std::ops::Range<usize>, &str),
    ) {
        let base = text.as_ptr() as usize;
        segment_each(text, |piece, kind| {
            let start = piece.as_ptr() as usize - base;
            let whole = start..start + piece.len();
            let normalized = self.normalize(piece);
            if kind != TokenKind::CjkRun {
                self.for_each_token_normalized(&normalized, language, |t| {
                    emit(whole.clone(), t.text)
                });
                return;
            }
            // Byte offset in `piece` of each character, by character index.
            let chars: Vec<usize> = piece
                .char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(piece.len()))
                .collect();
            let normalized_chars: Vec<usize> = normalized.char_indices().map(|(i, _)| i).collect();
            let same_length = normalized_chars.len() + 1 == chars.len();
            let (from, to) = (
                normalized.as_ptr() as usize,
                normalized.as_ptr() as usize + normalized.len(),
            );
            self.for_each_token_normalized(&normalized, language, |t| {
                let at = t.text.as_ptr() as usize;
                if !same_length || at < from || at + t.text.len() > to {
                    return emit(whole.clone(), t.text);
                }
                let Ok(first) = normalized_chars.binary_search(&(at - from)) else {
                    return emit(whole.clone(), t.text);
                };
                let last = first + t.text.chars().count();
                emit(start + chars[first]..start + chars[last], t.text)
            });
        });
    }
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
    fn term_spans_point_at_the_written_words_and_characters() {
        let a = analyzer();
        let text = "Ports of 香港的經濟特區";
        let mut got = Vec::new();
        a.for_each_term_span(text, Language::Zh, |span, term| {
            got.push((&text[span], term.to_string()))
        });
        let got: Vec<(&str, &str)> = got.iter().map(|(w, t)| (*w, t.as_str())).collect();
        // "of" is a stop word; 的 splits the run; traditional characters are
        // shown as written, their terms folded.
        assert_eq!(
            got,
            [
                ("Ports", "port"),
                ("香港", "香港"),
                ("經濟", "经济"),
                ("濟特", "济特"),
                ("特區", "特区"),
            ]
        );
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
