//! Character n-grams for scripts written without spaces.

use super::{TokenFilter, TokenKind, TokenRef};

/// Turns each CJK run into overlapping character bigrams (a one-character run
/// becomes a unigram). Bigrams need no dictionary and capture most Chinese
/// words, which are two characters long: 港口管理 gives 港口 口管 管理; the
/// spurious middle bigram is rare across documents and weighs little.
pub struct CjkBigramFilter;

/// Calls `emit` with the overlapping character bigrams of a run (or the run
/// itself when it is one character).
pub fn bigrams<'t>(run: &'t str, mut emit: impl FnMut(&'t str)) {
    let mut bounds = run
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(run.len()));
    let (Some(mut start), Some(mut middle)) = (bounds.next(), bounds.next()) else {
        return;
    };
    if middle == run.len() {
        emit(&run[start..middle]);
        return;
    }
    for end in bounds {
        emit(&run[start..end]);
        (start, middle) = (middle, end);
    }
}

impl TokenFilter for CjkBigramFilter {
    type State = ();

    fn feed(&self, _: &mut (), token: TokenRef<'_>, next: &mut impl FnMut(TokenRef<'_>)) {
        if token.kind != TokenKind::CjkRun {
            return next(token);
        }
        bigrams(token.text, |gram| {
            next(token.with_text(gram, TokenKind::CjkGram))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{apply_filter, language::Script, Language};

    fn grams(run: &str) -> Vec<String> {
        let t = TokenRef {
            text: run,
            kind: TokenKind::CjkRun,
            script: Script::Cjk,
            language: Some(Language::Zh),
        };
        apply_filter(&CjkBigramFilter, &[t])
            .into_iter()
            .map(|t| {
                assert_eq!(t.kind, TokenKind::CjkGram);
                t.text
            })
            .collect()
    }

    #[test]
    fn emits_overlapping_bigrams() {
        assert_eq!(grams("港口管理"), ["港口", "口管", "管理"]);
        assert_eq!(grams("北斗"), ["北斗"]);
    }

    #[test]
    fn keeps_single_characters_as_unigrams() {
        assert_eq!(grams("港"), ["港"]);
    }
}
