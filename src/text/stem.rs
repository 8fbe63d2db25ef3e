//! Stemming with the Snowball stemmers of rust-stemmers, per token language.

use super::language::Language;
use super::{TokenFilter, TokenKind, TokenRef};
use rust_stemmers::{Algorithm, Stemmer};
use std::borrow::Cow;

fn algorithm(language: Language) -> Option<Algorithm> {
    Some(match language {
        Language::En => Algorithm::English,
        Language::Ru => Algorithm::Russian,
        Language::Es => Algorithm::Spanish,
        Language::Fr => Algorithm::French,
        Language::Pt => Algorithm::Portuguese,
        Language::De => Algorithm::German,
        Language::It => Algorithm::Italian,
        Language::Nl => Algorithm::Dutch,
        Language::Ar => Algorithm::Arabic,
        Language::Tr => Algorithm::Turkish,
        _ => return None,
    })
}

/// Reduces words to their stems, so "ports", "port" and "ported" share
/// evidence: with a few hundred training documents, most inflected forms are
/// seen once or never.
pub struct StemFilter {
    /// Indexed by [`Language::index`].
    stemmers: Vec<Option<Stemmer>>,
}

impl Default for StemFilter {
    fn default() -> Self {
        let stemmers = Language::ALL
            .into_iter()
            .map(|l| algorithm(l).map(Stemmer::create))
            .collect();
        StemFilter { stemmers }
    }
}

impl StemFilter {
    pub fn stemmer(&self, language: Language) -> Option<&Stemmer> {
        self.stemmers.get(language.index())?.as_ref()
    }
}

impl TokenFilter for StemFilter {
    type State = ();

    fn feed(&self, _: &mut (), token: TokenRef<'_>, next: &mut impl FnMut(TokenRef<'_>)) {
        let stemmer = match token.language {
            Some(l) if token.kind == TokenKind::Word => self.stemmer(l),
            _ => None,
        };
        let Some(stemmer) = stemmer else {
            return next(token);
        };
        match stemmer.stem(token.text) {
            // Nothing left (an Arabic diacritic on its own): an empty term
            // would be counted, stored in the vocabulary and glued into
            // n-grams.
            Cow::Owned(stem) if stem.is_empty() => {}
            Cow::Owned(stem) => next(token.with_text(&stem, TokenKind::Word)),
            Cow::Borrowed(_) => next(token),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{apply_filter, language::Script};

    fn word(text: &str, language: Option<Language>) -> TokenRef<'_> {
        TokenRef {
            text,
            kind: TokenKind::Word,
            script: Script::Latin,
            language,
        }
    }

    /// Found by the `analyzer` fuzz target: U+0652 (Arabic sukun) alone is a
    /// word to the segmenter, and the Arabic stemmer strips all of it.
    #[test]
    fn words_stemmed_to_nothing_are_dropped() {
        let f = StemFilter::default();
        let out = apply_filter(
            &f,
            &[
                word("\u{652}", Some(Language::Ar)),
                word("ports", Some(Language::En)),
            ],
        );
        let texts: Vec<&str> = out.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["port"]);
    }

    #[test]
    fn stems_by_token_language() {
        let f = StemFilter::default();
        let out = apply_filter(
            &f,
            &[
                word("ports", Some(Language::En)),
                word("management", Some(Language::En)),
                word("портов", Some(Language::Ru)),
                word("ports", None),
            ],
        );
        let texts: Vec<_> = out.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["port", "manag", "порт", "ports"]);
    }

    #[test]
    fn leaves_numbers_alone() {
        let f = StemFilter::default();
        let n = TokenRef {
            kind: TokenKind::Number,
            ..word("2019s", Some(Language::En))
        };
        assert_eq!(apply_filter(&f, &[n])[0].text, "2019s");
    }
}
