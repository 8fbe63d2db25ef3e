//! Word n-grams over the filtered token stream.

use super::{Token, TokenFilter, TokenKind};

/// Adds word n-grams of length 2..=n after the unigrams, built from tokens
/// that survived stop-word removal (as scikit-learn does), so "port of
/// Mombasa" yields the bigram "port mombasa". CJK grams break the sequence:
/// character bigrams already encode adjacency there.
pub struct NGramFilter {
    pub max_n: usize,
}

impl TokenFilter for NGramFilter {
    fn apply(&self, mut tokens: Vec<Token>) -> Vec<Token> {
        if self.max_n < 2 {
            return tokens;
        }
        let mut grams = Vec::new();
        let mut start = 0;
        while start < tokens.len() {
            let mut end = start;
            while end < tokens.len() && tokens[end].kind != TokenKind::CjkGram {
                end += 1;
            }
            let run = &tokens[start..end];
            for n in 2..=self.max_n {
                for window in run.windows(n) {
                    let text: Vec<&str> = window.iter().map(|t| t.text.as_str()).collect();
                    let mut gram = window[0].with_text(&text.join(" "));
                    gram.kind = TokenKind::WordGram;
                    grams.push(gram);
                }
            }
            start = end + 1;
        }
        tokens.extend(grams);
        tokens
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::language::Script;

    fn tok(text: &str, kind: TokenKind) -> Token {
        Token::new(text, kind, Script::Latin)
    }

    #[test]
    fn adds_bigrams_after_unigrams() {
        let f = NGramFilter { max_n: 2 };
        let out = f.apply(vec![
            tok("port", TokenKind::Word),
            tok("mombasa", TokenKind::Word),
            tok("2019", TokenKind::Number),
        ]);
        let texts: Vec<_> = out.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(
            texts,
            ["port", "mombasa", "2019", "port mombasa", "mombasa 2019"]
        );
    }

    #[test]
    fn cjk_grams_break_word_sequences() {
        let f = NGramFilter { max_n: 3 };
        let out = f.apply(vec![
            tok("beidou", TokenKind::Word),
            tok("系统", TokenKind::CjkGram),
            tok("gnss", TokenKind::Word),
            tok("receiver", TokenKind::Word),
        ]);
        let grams: Vec<_> = out
            .iter()
            .filter(|t| t.kind == TokenKind::WordGram)
            .map(|t| t.text.as_str())
            .collect();
        assert_eq!(grams, ["gnss receiver"]);
    }

    #[test]
    fn unigrams_only_when_n_is_one() {
        let f = NGramFilter { max_n: 1 };
        let out = f.apply(vec![tok("a", TokenKind::Word), tok("b", TokenKind::Word)]);
        assert_eq!(out.len(), 2);
    }
}
