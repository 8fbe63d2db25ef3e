//! Stemming with the Snowball stemmers of rust-stemmers, per token language.

use super::language::Language;
use super::{Token, TokenFilter, TokenKind};
use rust_stemmers::{Algorithm, Stemmer};

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
    stemmers: Vec<(Language, Stemmer)>,
}

impl Default for StemFilter {
    fn default() -> Self {
        let stemmers = Language::ALL
            .into_iter()
            .filter_map(|l| algorithm(l).map(|a| (l, Stemmer::create(a))))
            .collect();
        StemFilter { stemmers }
    }
}

impl StemFilter {
    pub fn stemmer(&self, language: Language) -> Option<&Stemmer> {
        self.stemmers
            .iter()
            .find(|(l, _)| *l == language)
            .map(|(_, s)| s)
    }
}

impl TokenFilter for StemFilter {
    fn apply(&self, mut tokens: Vec<Token>) -> Vec<Token> {
        for token in &mut tokens {
            if token.kind != TokenKind::Word {
                continue;
            }
            let Some(stemmer) = token.language.and_then(|l| self.stemmer(l)) else {
                continue;
            };
            if let std::borrow::Cow::Owned(stem) = stemmer.stem(&token.text) {
                token.text = stem;
            }
        }
        // A word made only of what the stemmer strips (an Arabic diacritic
        // on its own) leaves nothing: an empty term would be counted,
        // stored in the vocabulary and glued into n-grams.
        tokens.retain(|t| !(t.kind == TokenKind::Word && t.text.is_empty()));
        tokens
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::language::Script;

    fn word(text: &str, language: Option<Language>) -> Token {
        let mut t = Token::new(text, TokenKind::Word, Script::Latin);
        t.language = language;
        t
    }

    /// Found by the `analyzer` fuzz target: U+0652 (Arabic sukun) alone is a
    /// word to the segmenter, and the Arabic stemmer strips all of it.
    #[test]
    fn words_stemmed_to_nothing_are_dropped() {
        let f = StemFilter::default();
        let out = f.apply(vec![
            word("\u{652}", Some(Language::Ar)),
            word("ports", Some(Language::En)),
        ]);
        let texts: Vec<&str> = out.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["port"]);
    }

    #[test]
    fn stems_by_token_language() {
        let f = StemFilter::default();
        let out = f.apply(vec![
            word("ports", Some(Language::En)),
            word("management", Some(Language::En)),
            word("портов", Some(Language::Ru)),
            word("ports", None),
        ]);
        let texts: Vec<_> = out.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["port", "manag", "порт", "ports"]);
    }

    #[test]
    fn leaves_numbers_alone() {
        let f = StemFilter::default();
        let mut n = Token::new("2019s", TokenKind::Number, Script::Latin);
        n.language = Some(Language::En);
        assert_eq!(f.apply(vec![n])[0].text, "2019s");
    }
}
