//! Memoisation of the per-word steps of the chain.

use super::language::Language;
use super::{TokenFilter, TokenKind, TokenRef};
use compact_str::CompactString;
use std::cell::RefCell;

/// Wraps the steps that turn one word into at most one word (stop words,
/// stemming) and remembers, per thread and language, what they made of each
/// word. Real text repeats a few thousand words most of the time: one hash
/// lookup replaces a stop-word lookup and a Snowball run. Other tokens (CJK
/// runs, numbers) go through the wrapped steps every time.
///
/// `slot` tells apart wrapped chains of different settings (stop words
/// on or off, stemming on or off), which make different terms of one word.
pub struct WordMemo<F> {
    inner: F,
    slot: usize,
}

/// How many different wrapped chains can be memoised side by side.
pub const MEMO_SLOTS: usize = 4;

/// Entries per map before it is emptied, bounding memory on corpora with
/// huge vocabularies.
const MEMO_LIMIT: usize = 200_000;

impl<F> WordMemo<F> {
    /// `slot` must be below [`MEMO_SLOTS`] and the same only for wrapped
    /// chains that make the same terms.
    pub fn new(inner: F, slot: usize) -> Self {
        assert!(slot < MEMO_SLOTS, "memo slot {slot} out of range");
        WordMemo { inner, slot }
    }
}

/// What the wrapped steps made of a word.
#[derive(Clone)]
enum Outcome {
    Dropped,
    Same,
    Other(CompactString),
}

thread_local! {
    /// Keys and results are `CompactString`s, inline up to 24 bytes: with
    /// heap `String`s, comparing a probed key meant a cache miss on its
    /// buffer, and profiling showed those comparisons as the largest cost of
    /// analysis. hashbrown's default hasher, because FxHash clustered these
    /// keys.
    static MEMO: RefCell<Vec<hashbrown::HashMap<CompactString, Outcome>>> = RefCell::new(
        (0..MEMO_SLOTS * Language::ALL.len())
            .map(|_| hashbrown::HashMap::default())
            .collect(),
    );
}

impl<F: TokenFilter<State = ()>> TokenFilter for WordMemo<F> {
    type State = ();

    fn feed(&self, _: &mut (), token: TokenRef<'_>, next: &mut impl FnMut(TokenRef<'_>)) {
        let language = match token.language {
            Some(l) if token.kind == TokenKind::Word => l,
            _ => return self.inner.feed(&mut (), token, next),
        };
        let index = self.slot * Language::ALL.len() + language.index();
        let known = MEMO.with(|memo| memo.borrow()[index].get(token.text).cloned());
        let outcome = match known {
            Some(outcome) => outcome,
            None => {
                let mut outcome = Outcome::Dropped;
                self.inner.feed(&mut (), token, &mut |t| {
                    debug_assert!(
                        matches!(outcome, Outcome::Dropped),
                        "a memoised step made two tokens of one word"
                    );
                    outcome = if t.text == token.text {
                        Outcome::Same
                    } else {
                        Outcome::Other(CompactString::new(t.text))
                    };
                });
                MEMO.with(|memo| {
                    let map = &mut memo.borrow_mut()[index];
                    if map.len() >= MEMO_LIMIT {
                        map.clear();
                    }
                    map.insert(CompactString::new(token.text), outcome.clone());
                });
                outcome
            }
        };
        match outcome {
            Outcome::Dropped => {}
            Outcome::Same => next(token),
            Outcome::Other(term) => next(token.with_text(&term, TokenKind::Word)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{apply_filter, language::Script, StemFilter, StopWordFilter};

    fn word(text: &str) -> TokenRef<'_> {
        TokenRef {
            text,
            kind: TokenKind::Word,
            script: Script::Latin,
            language: Some(Language::En),
        }
    }

    #[test]
    fn remembers_what_the_wrapped_steps_make_of_a_word() {
        let steps = || (Some(StopWordFilter::default()), Some(StemFilter::default()));
        let memo = WordMemo::new(steps(), 3);
        let words = [word("the"), word("ports"), word("port"), word("ports")];
        let plain: Vec<String> = apply_filter(&steps(), &words)
            .into_iter()
            .map(|t| t.text)
            .collect();
        // Twice: the second pass is served from the memo.
        for _ in 0..2 {
            let memoised: Vec<String> = apply_filter(&memo, &words)
                .into_iter()
                .map(|t| t.text)
                .collect();
            assert_eq!(memoised, plain);
        }
        assert_eq!(plain, ["port", "port", "port"]);
    }

    #[test]
    fn slots_keep_different_settings_apart() {
        let stemmed = WordMemo::new((None::<StopWordFilter>, Some(StemFilter::default())), 1);
        let plain = WordMemo::new((None::<StopWordFilter>, None::<StemFilter>), 0);
        assert_eq!(apply_filter(&stemmed, &[word("ports")])[0].text, "port");
        assert_eq!(apply_filter(&plain, &[word("ports")])[0].text, "ports");
    }
}
