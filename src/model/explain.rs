//! Why a document got its scores: for a linear model over TF-IDF features,
//! each term's contribution to a label's score (before the sigmoid or
//! softmax) is its TF-IDF value times the label's weight for it, so a score
//! decomposes exactly into term contributions plus the intercept.

use super::Classifier;
use crate::text::Language;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    /// The term as the model knows it: a stem, a CJK bigram, a word pair.
    pub term: String,
    /// TF-IDF value x weight: how far this term moved the label's log-odds.
    pub weight: f64,
    /// The words of the document that became this term, as written there
    /// ("Party", "parties" for `parti`), at most three, first seen first.
    /// Empty for terms made of several words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<String>,
}

impl Contribution {
    /// How to show the term to a reader: its words if it has any.
    pub fn display(&self) -> String {
        if self.words.is_empty() {
            self.term.clone()
        } else {
            self.words.join("/")
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelExplanation {
    pub label: String,
    pub score: f64,
    pub threshold: f64,
    pub assigned: bool,
    pub intercept: f64,
    /// Sum of the contributions not listed in `up` and `down`, so that
    /// `intercept + up + down + other_terms` is the label's linear score
    /// (its log-odds in a multi-label model) exactly.
    pub other_terms: f64,
    /// `intercept` plus every term's contribution.
    pub linear_score: f64,
    /// For a sentence label: the sentence its score comes from (the
    /// contributions are that sentence's terms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentence: Option<String>,
    /// Strongest positive contributions, largest first.
    pub up: Vec<Contribution>,
    /// Strongest negative contributions, most negative first.
    pub down: Vec<Contribution>,
}

/// The relevance gate's score of a document, decomposed like a label's:
/// `intercept + up + down + other_terms` is its log-odds, and documents
/// under `threshold` get no label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelevanceExplanation {
    pub threshold: f64,
    pub intercept: f64,
    pub other_terms: f64,
    pub linear_score: f64,
    /// Terms that most raised relevance, largest first.
    pub up: Vec<Contribution>,
    /// Terms that most lowered it, most negative first.
    pub down: Vec<Contribution>,
}

/// A row's contributions to one linear score.
struct TermContributions {
    up: Vec<Contribution>,
    down: Vec<Contribution>,
    /// Sum of every contribution.
    all: f64,
    /// Sum of those not in `up` or `down`.
    other: f64,
}

/// A sentence of the document where a label's strongest terms occur.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub label: String,
    pub sentence: String,
    /// The label's top terms found in the sentence.
    pub terms: Vec<String>,
    /// Sum of the contributions of the sentence's terms to the label.
    pub weight: f64,
}

/// The longest prefix of `text` of at most `bytes` bytes that ends on a
/// character boundary.
fn prefix(text: &str, bytes: usize) -> &str {
    let mut end = bytes.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    pub language: Language,
    /// The relevance gate's probability that the document is in the model's
    /// domain; each label's score is this times the label's own probability.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relevance: Option<f64>,
    /// What moved the relevance gate, for models that have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relevance_terms: Option<RelevanceExplanation>,
    pub labels: Vec<LabelExplanation>,
    pub evidence: Vec<Evidence>,
}

/// Longest evidence sentence shown, in characters. A "sentence" is what lies
/// between sentence ends, and a text without any (one 200 MB line) would
/// otherwise be printed whole as its own evidence; the excerpt is centred
/// on the first term that made it evidence.
pub const MAX_EVIDENCE_CHARS: usize = 600;

/// Sentences with evidence listed per label.
const EVIDENCE_PER_LABEL: usize = 2;

impl Classifier {
    /// Scores of `text` with the `top` strongest contributions in each
    /// direction per label, and the sentences where the strongest positive
    /// terms of each assigned label (or of the best-scoring label when none
    /// is assigned) occur.
    pub fn explain(&self, text: &str, top: usize) -> Explanation {
        let analysed = self.analyze_text(text);
        let scored = self.score_analysed(&analysed);
        let scores = &scored.scores;
        let assigned = self.decide(scores, scored.relevance);
        let language = analysed.language;
        let k = self.labels().len();
        let labels: Vec<LabelExplanation> = (0..k)
            .map(|c| {
                let sentence = scored.sentence[c];
                let row = match sentence {
                    Some(s) => &analysed.sentence_rows[s],
                    None => &analysed.row,
                };
                let terms = self.term_contributions(row, |j| self.weight(j, c), top);
                LabelExplanation {
                    label: self.labels()[c].clone(),
                    score: scores[c],
                    threshold: self.thresholds()[c],
                    assigned: assigned.contains(&c),
                    intercept: self.intercepts()[c],
                    other_terms: terms.other,
                    linear_score: self.intercepts()[c] + terms.all,
                    sentence: sentence.map(|s| {
                        let terms: Vec<String> = terms.up.iter().map(|x| x.term.clone()).collect();
                        self.excerpt(&analysed.sentences[s], &terms)
                    }),
                    up: terms.up,
                    down: terms.down,
                }
            })
            .collect();
        // A document without a label is most often one the gate turned away,
        // and the reader then needs the gate's reasons, not the labels'.
        let mut relevance_terms = self.gate().map(|gate| {
            let terms = self.term_contributions(&analysed.row, |j| gate.weights[j], top);
            RelevanceExplanation {
                threshold: self.params().relevance_threshold,
                intercept: gate.intercept,
                other_terms: terms.other,
                linear_score: gate.intercept + terms.all,
                up: terms.up,
                down: terms.down,
            }
        });

        let mut labels = labels;
        self.add_surface_words(text, language, &mut labels, relevance_terms.as_mut());
        let focus: Vec<usize> = if assigned.is_empty() {
            (0..k)
                .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
                .into_iter()
                .collect()
        } else {
            assigned
        };
        let sentences = split_sentences(text);
        let mut evidence = Vec::new();
        for &c in &focus {
            if let Some(sentence) = &labels[c].sentence {
                // A sentence label's evidence is the sentence that scored.
                let mut terms: Vec<String> = labels[c]
                    .up
                    .iter()
                    .map(|x| x.term.clone())
                    .take(8)
                    .collect();
                terms.dedup();
                evidence.push(Evidence {
                    label: labels[c].label.clone(),
                    sentence: sentence.clone(),
                    terms,
                    weight: labels[c].up.iter().map(|x| x.weight).sum(),
                });
                continue;
            }
            let strong: Vec<&str> = labels[c].up.iter().map(|x| x.term.as_str()).collect();
            let mut found: Vec<Evidence> = sentences
                .iter()
                .filter_map(|sentence| {
                    let terms = self.analyzer().terms(sentence);
                    let mut hits: Vec<String> = strong
                        .iter()
                        .filter(|t| terms.iter().any(|x| x == *t))
                        .map(|t| t.to_string())
                        .collect();
                    hits.dedup();
                    if hits.is_empty() {
                        return None;
                    }
                    let weight = hits
                        .iter()
                        .filter_map(|h| labels[c].up.iter().find(|x| &x.term == h))
                        .map(|x| x.weight)
                        .sum();
                    Some(Evidence {
                        label: labels[c].label.clone(),
                        sentence: self.excerpt(sentence, &hits),
                        terms: hits,
                        weight,
                    })
                })
                .collect();
            found.sort_by(|a, b| b.weight.total_cmp(&a.weight));
            found.truncate(EVIDENCE_PER_LABEL);
            evidence.extend(found);
        }
        Explanation {
            language,
            relevance: scored.relevance,
            relevance_terms,
            labels,
            evidence,
        }
    }

    /// The `top` strongest contributions each way of `row`'s terms to the
    /// linear score whose weights are `weight`.
    fn term_contributions(
        &self,
        row: &[(u32, f64)],
        weight: impl Fn(usize) -> f64,
        top: usize,
    ) -> TermContributions {
        let vocabulary = self.vectorizer().vocabulary();
        let mut contributions: Vec<Contribution> = row
            .iter()
            .map(|&(j, v)| Contribution {
                term: vocabulary[j as usize].clone(),
                weight: v * weight(j as usize),
                words: Vec::new(),
            })
            .filter(|x| x.weight != 0.0)
            .collect();
        contributions.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.term.cmp(&b.term)));
        let up: Vec<Contribution> = contributions
            .iter()
            .filter(|x| x.weight > 0.0)
            .take(top)
            .cloned()
            .collect();
        let down: Vec<Contribution> = contributions
            .iter()
            .rev()
            .filter(|x| x.weight < 0.0)
            .take(top)
            .cloned()
            .collect();
        let all: f64 = contributions.iter().map(|x| x.weight).sum();
        let shown: f64 = up.iter().chain(&down).map(|x| x.weight).sum();
        TermContributions {
            up,
            down,
            all,
            other: all - shown,
        }
    }

    /// Byte ranges of the words of `text` whose terms are among `terms`,
    /// for highlighting evidence in a terminal or a report.
    /// `sentence`, or if it is over [`MAX_EVIDENCE_CHARS`] an excerpt of
    /// that length around the first of `terms` in it, with "…" where it
    /// was cut.
    pub fn excerpt(&self, sentence: &str, terms: &[String]) -> String {
        if sentence.len() <= MAX_EVIDENCE_CHARS {
            return sentence.to_string();
        }
        let chars = sentence.chars().count();
        if chars <= MAX_EVIDENCE_CHARS {
            return sentence.to_string();
        }
        // Terms are only looked for in a bounded prefix: finding them costs
        // an analysis of what is searched.
        let searched = prefix(sentence, 64 * MAX_EVIDENCE_CHARS);
        let first = self
            .term_spans(searched, terms)
            .first()
            .map_or(0, |&(start, _)| start);
        let before = MAX_EVIDENCE_CHARS / 3;
        let start_char = sentence[..first].chars().count().saturating_sub(before);
        let mut out = String::new();
        if start_char > 0 {
            out.push('…');
        }
        out.extend(sentence.chars().skip(start_char).take(MAX_EVIDENCE_CHARS));
        if start_char + MAX_EVIDENCE_CHARS < chars {
            out.push('…');
        }
        out
    }

    /// Fills each contribution's `words` with the document's spellings of
    /// its term (the words it was stemmed from; for Chinese, the two
    /// characters as written). Only the first 256 KB are searched.
    fn add_surface_words(
        &self,
        text: &str,
        language: Language,
        labels: &mut [LabelExplanation],
        relevance: Option<&mut RelevanceExplanation>,
    ) {
        let mut lists: Vec<&mut Vec<Contribution>> = Vec::new();
        for l in labels.iter_mut() {
            lists.push(&mut l.up);
            lists.push(&mut l.down);
        }
        if let Some(r) = relevance {
            lists.push(&mut r.up);
            lists.push(&mut r.down);
        }
        let mut wanted: HashMap<String, Vec<String>> = lists
            .iter()
            .flat_map(|list| list.iter())
            .map(|x| (x.term.clone(), Vec::new()))
            .collect();
        if wanted.is_empty() {
            return;
        }
        let searched = prefix(text, 256 * 1024);
        self.analyzer()
            .for_each_term_span(searched, language, |span, term| {
                if let Some(words) = wanted.get_mut(term) {
                    let written = &searched[span];
                    if words.len() < 3 && !words.iter().any(|w| w == written) {
                        words.push(written.to_string());
                    }
                }
            });
        for list in lists {
            for x in list.iter_mut() {
                if let Some(words) = wanted.get(&x.term) {
                    x.words = words.clone();
                }
            }
        }
    }

    /// Byte ranges of `text` whose terms are among `terms`: words, and the
    /// characters of Chinese bigrams, each word analysed in the language of
    /// the whole text (a lone "Party" would otherwise be taken for French
    /// and stemmed apart). Sorted, and overlapping or touching ranges merged
    /// (港口 and 口管 of 港口管 make one range), so callers can cut the text
    /// at them in order.
    pub fn term_spans(&self, text: &str, terms: &[String]) -> Vec<(usize, usize)> {
        let language = self.analyzer().detect_language(text);
        let mut spans: Vec<(usize, usize)> = Vec::new();
        self.analyzer()
            .for_each_term_span(text, language, |span, term| {
                if terms.iter().any(|x| x == term) {
                    spans.push((span.start, span.end));
                }
            });
        spans.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
        for (start, end) in spans {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        merged
    }
}

/// Lines shorter than this end their sentence at the line break: they are
/// titles, list items or schedule lines. Longer lines are taken as prose
/// wrapped by an editor, and the sentence continues on the next line.
const SHORT_LINE: usize = 60;

/// Sentences of a document, with line breaks inside a sentence turned into
/// spaces: split after . ! ? and their CJK forms, at blank lines, and at the
/// end of short lines.
pub fn split_sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut line_len = 0usize;
    let mut chars = text.chars().peekable();
    let flush = |current: &mut String, out: &mut Vec<String>| {
        let s = current.split_whitespace().collect::<Vec<_>>().join(" ");
        if s.chars().any(char::is_alphanumeric) {
            out.push(s);
        }
        current.clear();
    };
    while let Some(c) = chars.next() {
        if c == '\n' {
            let blank_next = chars.peek().is_some_and(|n| *n == '\n' || *n == '\r');
            if blank_next || line_len < SHORT_LINE {
                flush(&mut current, &mut out);
            } else {
                current.push(' ');
            }
            line_len = 0;
            continue;
        }
        current.push(c);
        line_len += 1;
        let end_here = match c {
            '。' | '！' | '？' | '；' => true,
            '.' | '!' | '?' => chars.peek().is_none_or(|next| next.is_whitespace()),
            _ => false,
        };
        if end_here {
            flush(&mut current, &mut out);
        }
    }
    flush(&mut current, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the HTML report: the bigrams of 港口管理 overlap, and cutting
    /// a sentence at overlapping ranges sliced backwards.
    #[test]
    fn term_spans_are_sorted_and_do_not_overlap() {
        let model = crate::model::default_model().expect("model");
        let text = "港口管理研修班 port management, 港口 and ports";
        let terms: Vec<String> = ["港口", "口管", "管理", "port"].map(String::from).to_vec();
        let spans = model.term_spans(text, &terms);
        let shown: Vec<&str> = spans.iter().map(|&(a, b)| &text[a..b]).collect();
        assert_eq!(shown, ["港口管理", "port", "港口", "ports"]);
        assert!(spans.windows(2).all(|w| w[0].1 < w[1].0));
    }

    #[test]
    fn splits_sentences_in_english_and_chinese() {
        assert_eq!(
            split_sentences("Ports are busy. Customs 3.5 rules!\nDay 2: visit\n港口管理。北斗应用"),
            [
                "Ports are busy.",
                "Customs 3.5 rules!",
                "Day 2: visit",
                "港口管理。",
                "北斗应用"
            ]
        );
        let wrapped = "Each participant shall prepare a written report describing the projects\ncarried out with other countries. Next.";
        assert_eq!(
            split_sentences(wrapped),
            [
                "Each participant shall prepare a written report describing the projects carried out with other countries.",
                "Next."
            ]
        );
    }
}
