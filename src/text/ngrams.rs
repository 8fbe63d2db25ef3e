//! Word n-grams over the filtered token stream.

use super::{TokenFilter, TokenKind, TokenRef};

/// Adds the word n-grams of length 2..=n that end at each token, right after
/// it, built from tokens that survived stop-word removal (as scikit-learn
/// does), so "port of Mombasa" yields the bigram "port mombasa". CJK grams
/// break the sequence: character bigrams already encode adjacency there.
pub struct NGramFilter {
    pub max_n: usize,
}

/// The last `max_n - 1` tokens of the current sequence, joined by spaces in
/// one buffer (`ends[i]` is where the i-th of them ends), so that each
/// n-gram is a suffix slice of `text` plus the new token: no allocation per
/// gram once the buffer has grown.
#[derive(Default)]
pub struct NGramWindow {
    text: String,
    starts: Vec<usize>,
}

impl NGramWindow {
    fn clear(&mut self) {
        self.text.clear();
        self.starts.clear();
    }
}

impl TokenFilter for NGramFilter {
    type State = NGramWindow;

    fn feed(
        &self,
        window: &mut NGramWindow,
        token: TokenRef<'_>,
        next: &mut impl FnMut(TokenRef<'_>),
    ) {
        next(token);
        if self.max_n < 2 {
            return;
        }
        if token.kind == TokenKind::CjkGram {
            window.clear();
            return;
        }
        // Each earlier token of the window starts one longer gram.
        let joined = window.text.len();
        window.text.push(' ');
        window.text.push_str(token.text);
        for &start in window.starts.iter().rev() {
            next(token.with_text(&window.text[start..], TokenKind::WordGram));
        }
        window.text.truncate(joined);
        // Slide: keep the last max_n - 1 tokens.
        window
            .starts
            .push(window.text.len() + usize::from(!window.text.is_empty()));
        if !window.text.is_empty() {
            window.text.push(' ');
        }
        window.text.push_str(token.text);
        if window.starts.len() > self.max_n - 1 {
            let cut = window.starts[1];
            window.text.drain(..cut);
            window.starts.remove(0);
            for s in &mut window.starts {
                *s -= cut;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{apply_filter, language::Script};

    fn tok(text: &str, kind: TokenKind) -> TokenRef<'_> {
        TokenRef {
            text,
            kind,
            script: Script::Latin,
            language: None,
        }
    }

    fn texts(f: &NGramFilter, tokens: &[TokenRef<'_>]) -> Vec<String> {
        apply_filter(f, tokens)
            .into_iter()
            .map(|t| t.text)
            .collect()
    }

    #[test]
    fn adds_each_gram_after_the_token_that_ends_it() {
        let f = NGramFilter { max_n: 2 };
        let out = texts(
            &f,
            &[
                tok("port", TokenKind::Word),
                tok("mombasa", TokenKind::Word),
                tok("2019", TokenKind::Number),
            ],
        );
        assert_eq!(
            out,
            ["port", "mombasa", "port mombasa", "2019", "mombasa 2019"]
        );
    }

    #[test]
    fn trigrams_slide_over_the_sequence() {
        let f = NGramFilter { max_n: 3 };
        let words: Vec<_> = ["a", "bb", "c", "dd"]
            .iter()
            .map(|w| tok(w, TokenKind::Word))
            .collect();
        let grams: Vec<_> = apply_filter(&f, &words)
            .into_iter()
            .filter(|t| t.kind == TokenKind::WordGram)
            .map(|t| t.text)
            .collect();
        assert_eq!(grams, ["a bb", "bb c", "a bb c", "c dd", "bb c dd"]);
    }

    #[test]
    fn cjk_grams_break_word_sequences() {
        let f = NGramFilter { max_n: 3 };
        let out = apply_filter(
            &f,
            &[
                tok("beidou", TokenKind::Word),
                tok("系统", TokenKind::CjkGram),
                tok("gnss", TokenKind::Word),
                tok("receiver", TokenKind::Word),
            ],
        );
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
        let out = apply_filter(&f, &[tok("a", TokenKind::Word), tok("b", TokenKind::Word)]);
        assert_eq!(out.len(), 2);
    }
}
