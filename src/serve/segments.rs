//! A document's text cut into pieces for the page to highlight: each piece
//! says for which labels it is one of the strongest terms, and in which
//! labels' evidence sentences it lies. The page only inserts the pieces as
//! text, so nothing in a document can become markup.

use crate::model::{Classifier, Explanation};
use serde::Serialize;

#[derive(Debug, Serialize, PartialEq)]
pub(crate) struct Segment {
    pub text: String,
    pub terms: Vec<String>,
    pub evidence: Vec<String>,
}

/// Highlights for the labels the document was given (or, when it has none,
/// its best-scoring label), over `text`, the part of the document shown.
pub(crate) fn segments(model: &Classifier, text: &str, x: &Explanation) -> Vec<Segment> {
    let mut shown: Vec<&str> = x
        .labels
        .iter()
        .filter(|l| l.assigned)
        .map(|l| l.label.as_str())
        .collect();
    if shown.is_empty() {
        if let Some(best) = x.labels.iter().max_by(|a, b| a.score.total_cmp(&b.score)) {
            shown.push(&best.label);
        }
    }
    // (start, end, label index in `shown`, is evidence)
    let mut spans: Vec<(usize, usize, usize, bool)> = Vec::new();
    for (k, label) in shown.iter().enumerate() {
        let Some(l) = x.labels.iter().find(|l| l.label == *label) else {
            continue;
        };
        let terms: Vec<String> =
            l.up.iter()
                .filter(|c| c.weight > 0.0)
                .map(|c| c.term.clone())
                .collect();
        for (s, e) in model.term_spans(text, &terms) {
            spans.push((s, e, k, false));
        }
        for ev in x.evidence.iter().filter(|e| e.label == *label) {
            if let Some((s, e)) = find_loose(text, &ev.sentence) {
                spans.push((s, e, k, true));
            }
        }
    }
    let mut cuts: Vec<usize> = spans.iter().flat_map(|&(s, e, _, _)| [s, e]).collect();
    cuts.push(0);
    cuts.push(text.len());
    cuts.sort_unstable();
    cuts.dedup();
    // Sweep: spans sorted by start; the active ones are those that started
    // at or before a cut and end after it.
    spans.sort_unstable();
    let mut out: Vec<Segment> = Vec::with_capacity(cuts.len());
    let mut next = 0;
    let mut active: Vec<(usize, usize, bool)> = Vec::new();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        while next < spans.len() && spans[next].0 <= a {
            let (_, e, k, ev) = spans[next];
            active.push((e, k, ev));
            next += 1;
        }
        active.retain(|&(e, _, _)| e > a);
        let mut terms: Vec<String> = Vec::new();
        let mut evidence: Vec<String> = Vec::new();
        for &(_, k, ev) in &active {
            let list = if ev { &mut evidence } else { &mut terms };
            if !list.iter().any(|l| l == shown[k]) {
                list.push(shown[k].to_string());
            }
        }
        let piece = &text[a..b];
        match out.last_mut() {
            // Neighbours with the same marks are one piece.
            Some(last) if last.terms == terms && last.evidence == evidence => {
                last.text.push_str(piece)
            }
            _ => out.push(Segment {
                text: piece.to_string(),
                terms,
                evidence,
            }),
        }
    }
    out
}

/// Where `needle` occurs in `haystack` if every run of white space in
/// either may stand for any other (evidence sentences have their line
/// breaks turned into spaces). Byte range in `haystack`.
pub(crate) fn find_loose(haystack: &str, needle: &str) -> Option<(usize, usize)> {
    let words: Vec<&str> = needle.split_whitespace().collect();
    let first = *words.first()?;
    for (start, _) in haystack.match_indices(first) {
        let mut at = start + first.len();
        let mut ok = true;
        for word in &words[1..] {
            let rest = &haystack[at..];
            let trimmed = rest.trim_start();
            // Words were separated by white space in the needle.
            if trimmed.len() == rest.len() || !trimmed.starts_with(word) {
                ok = false;
                break;
            }
            at += rest.len() - trimmed.len() + word.len();
        }
        if ok {
            return Some((start, at));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_match_across_line_breaks() {
        let text = "Intro.\nEach participant shall\n  report on prior exchanges. End";
        let (s, e) = find_loose(text, "Each participant shall report on prior exchanges.").unwrap();
        assert_eq!(
            &text[s..e],
            "Each participant shall\n  report on prior exchanges."
        );
        assert_eq!(find_loose(text, "participant report"), None);
        assert_eq!(find_loose(text, "   "), None);
    }

    #[test]
    fn segments_cover_the_text_and_mark_evidence() {
        let model = crate::model::default_model().unwrap();
        let text = "Welcome to the seminar on port logistics.\n\nBefore arrival, each participant \
                    must submit a written report on the exchanges his or her ministry has had \
                    with other foreign governments, with names and positions of the officials \
                    met. <b>not markup</b>";
        let x = model.explain(text, 10);
        let segments = segments(&model, text, &x);
        let joined: String = segments.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(joined, text);
        assert!(segments.iter().any(|s| !s.terms.is_empty()), "{segments:?}");
        if x.labels
            .iter()
            .any(|l| l.assigned && l.label == "intelligence")
        {
            assert!(
                segments
                    .iter()
                    .any(|s| s.evidence.iter().any(|l| l == "intelligence")),
                "{segments:?}"
            );
        }
    }
}
