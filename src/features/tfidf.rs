use super::SparseMatrix;
use crate::{Error, Result};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// Maps keyed by strings use hashbrown's default hasher (foldhash): with
/// FxHash, string keys clustered in hashbrown's tag bits and lookups spent
/// most of their time comparing keys (measured: analysis ran 2x slower).
type StrMap<K, V> = hashbrown::HashMap<K, V>;

/// Terms as hash keys are stored inline up to 24 bytes, so comparing a
/// probed key does not chase a pointer to the heap.
type Term = compact_str::CompactString;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A document-frequency bound, as an absolute count or a fraction of the
/// training documents (scikit-learn's int / float convention).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocFrequency {
    Count(usize),
    Fraction(f64),
}

impl DocFrequency {
    fn resolve(self, n_docs: usize) -> f64 {
        match self {
            DocFrequency::Count(c) => c as f64,
            DocFrequency::Fraction(f) => f * n_docs as f64,
        }
    }
}

impl fmt::Display for DocFrequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DocFrequency::Count(c) => write!(f, "{c}"),
            DocFrequency::Fraction(x) => write!(f, "{x:?}"),
        }
    }
}

impl FromStr for DocFrequency {
    type Err = String;

    /// "2" is a count, "0.5" or "1.0" a fraction.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Ok(count) = s.parse::<usize>() {
            return Ok(DocFrequency::Count(count));
        }
        match s.parse::<f64>() {
            Ok(f) if (0.0..=1.0).contains(&f) => Ok(DocFrequency::Fraction(f)),
            _ => Err(format!(
                "'{s}' is neither a document count nor a fraction between 0 and 1"
            )),
        }
    }
}

/// Vectorizer settings, stored in the model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TfidfParams {
    /// Terms in fewer documents are dropped: a term seen once cannot
    /// generalise, and dropping it halves the vocabulary on real corpora.
    pub min_df: DocFrequency,
    /// Terms in more documents are dropped: they are too common to separate
    /// classes.
    pub max_df: DocFrequency,
    /// Keep at most this many terms, those in the most documents.
    pub max_features: Option<usize>,
    /// 1 + ln(tf) instead of raw counts, so a term repeated twenty times in a
    /// long curriculum does not drown the rest of the document.
    pub sublinear_tf: bool,
}

impl Default for TfidfParams {
    fn default() -> Self {
        TfidfParams {
            min_df: DocFrequency::Count(2),
            max_df: DocFrequency::Fraction(0.5),
            max_features: None,
            sublinear_tf: true,
        }
    }
}

impl TfidfParams {
    pub fn check(&self) -> Result<()> {
        for (name, bound) in [("min_df", self.min_df), ("max_df", self.max_df)] {
            if let DocFrequency::Fraction(f) = bound {
                if !(0.0..=1.0).contains(&f) {
                    return Err(Error::InvalidParams(format!(
                        "{name} as a fraction must be between 0 and 1, got {f}"
                    )));
                }
            }
        }
        if self.max_features == Some(0) {
            return Err(Error::InvalidParams(
                "max_features must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// A fitted vocabulary with its idf weights.
#[derive(Debug, Clone, PartialEq)]
pub struct TfidfVectorizer {
    params: TfidfParams,
    vocabulary: Vec<String>,
    index: StrMap<Term, u32>,
    idf: Vec<f64>,
}

/// Documents are counted in fixed-size chunks: each chunk interns its terms
/// once, which keeps memory proportional to distinct terms per chunk rather
/// than to every token of the corpus. The size does not change any result.
const CHUNK: usize = 1024;

/// Term counts of one chunk of documents, with chunk-local term ids.
struct ChunkCounts {
    terms: Vec<String>,
    docs: Vec<Vec<(u32, u32)>>,
}

/// Produces document `i`'s terms by calling the given sink with each one.
/// Terms are borrowed, so analysis need not allocate a string per token.
pub trait TermSource: Fn(usize, &mut dyn FnMut(&str)) + Sync {}
impl<F: Fn(usize, &mut dyn FnMut(&str)) + Sync> TermSource for F {}

fn count_chunk<F: TermSource>(range: std::ops::Range<usize>, terms_of: &F) -> ChunkCounts {
    let mut ids: StrMap<Term, u32> = StrMap::default();
    let mut terms: Vec<String> = Vec::new();
    let mut docs = Vec::with_capacity(range.len());
    let mut counts: FxHashMap<u32, u32> = FxHashMap::default();
    for doc in range {
        counts.clear();
        terms_of(doc, &mut |term: &str| {
            let id = match ids.get(term) {
                Some(&id) => id,
                None => {
                    let id = terms.len() as u32;
                    terms.push(term.to_owned());
                    ids.insert(Term::new(term), id);
                    id
                }
            };
            *counts.entry(id).or_insert(0) += 1;
        });
        let mut row: Vec<(u32, u32)> = counts.iter().map(|(&k, &v)| (k, v)).collect();
        row.sort_unstable();
        docs.push(row);
    }
    ChunkCounts { terms, docs }
}

impl TfidfVectorizer {
    /// Fits on pre-analysed documents and returns their TF-IDF rows, like
    /// scikit-learn's `fit_transform` with a callable analyzer.
    pub fn fit_transform(
        params: TfidfParams,
        docs: &[Vec<String>],
    ) -> Result<(Self, SparseMatrix)> {
        Self::fit_transform_with(params, docs.len(), |i, sink: &mut dyn FnMut(&str)| {
            docs[i].iter().for_each(|t| sink(t))
        })
    }

    /// Fits on `n_docs` documents whose terms `terms_of` produces on
    /// demand, in parallel; analysis happens inside this call, so the whole
    /// corpus's tokens are never held at once.
    pub fn fit_transform_with<F: TermSource>(
        params: TfidfParams,
        n_docs: usize,
        terms_of: F,
    ) -> Result<(Self, SparseMatrix)> {
        params.check()?;
        if n_docs == 0 {
            return Err(Error::Training(
                "no documents to fit the vocabulary on".into(),
            ));
        }
        let chunks: Vec<ChunkCounts> = (0..n_docs.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| count_chunk(c * CHUNK..((c + 1) * CHUNK).min(n_docs), &terms_of))
            .collect();

        let mut df: StrMap<&str, u32> = StrMap::default();
        for chunk in &chunks {
            let mut local = vec![0u32; chunk.terms.len()];
            for doc in &chunk.docs {
                for &(id, _) in doc {
                    local[id as usize] += 1;
                }
            }
            for (term, n) in chunk.terms.iter().zip(local) {
                *df.entry(term.as_str()).or_insert(0) += n;
            }
        }

        let min_df = params.min_df.resolve(n_docs);
        let max_df = params.max_df.resolve(n_docs);
        if max_df < min_df {
            return Err(Error::InvalidParams(format!(
                "max_df ({}) keeps fewer documents than min_df ({}) on {n_docs} documents",
                params.max_df, params.min_df
            )));
        }
        let mut kept: Vec<(&str, u32)> = df
            .into_iter()
            .filter(|&(_, d)| (d as f64) >= min_df && (d as f64) <= max_df)
            .collect();
        if let Some(limit) = params.max_features {
            kept.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            kept.truncate(limit);
        }
        kept.sort_unstable_by(|a, b| a.0.cmp(b.0));
        if kept.is_empty() {
            // Advice only where a setting can still move: with every term
            // allowed, the documents themselves have no words.
            let mut advice = Vec::new();
            if min_df > 1.0 {
                advice.push("lower --min-df");
            }
            if max_df < n_docs as f64 {
                advice.push("raise --max-df");
            }
            let advice = if advice.is_empty() {
                "the documents have no terms at all (empty, or only stop words, numbers or \
                 punctuation): check the text field"
                    .to_string()
            } else {
                advice.join(" or ")
            };
            return Err(Error::Training(format!(
                "no term occurs in at least {} and at most {} of the {n_docs} documents; {advice}",
                params.min_df, params.max_df
            )));
        }

        let n = n_docs as f64;
        let vocabulary: Vec<String> = kept.iter().map(|(t, _)| t.to_string()).collect();
        let idf: Vec<f64> = kept
            .iter()
            .map(|&(_, d)| ((1.0 + n) / (1.0 + d as f64)).ln() + 1.0)
            .collect();
        let index: StrMap<Term, u32> = vocabulary
            .iter()
            .enumerate()
            .map(|(i, t)| (Term::new(t), i as u32))
            .collect();
        let vectorizer = TfidfVectorizer {
            params,
            vocabulary,
            index,
            idf,
        };

        let rows: Vec<Vec<(u32, f64)>> = chunks
            .par_iter()
            .flat_map_iter(|chunk| {
                let global: Vec<Option<u32>> = chunk
                    .terms
                    .iter()
                    .map(|t| vectorizer.index.get(t.as_str()).copied())
                    .collect();
                chunk
                    .docs
                    .iter()
                    .map(|doc| {
                        let mut counts: Vec<(u32, u32)> = doc
                            .iter()
                            .filter_map(|&(id, c)| global[id as usize].map(|g| (g, c)))
                            .collect();
                        counts.sort_unstable();
                        vectorizer.weigh(counts)
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let matrix = assemble(rows, vectorizer.vocabulary.len());
        Ok((vectorizer, matrix))
    }

    /// Rebuilds a fitted vectorizer from its parts (model loading).
    pub fn from_parts(params: TfidfParams, vocabulary: Vec<String>, idf: Vec<f64>) -> Result<Self> {
        params.check()?;
        if vocabulary.len() != idf.len() {
            return Err(Error::InvalidParams(format!(
                "vocabulary has {} terms but idf has {} values",
                vocabulary.len(),
                idf.len()
            )));
        }
        let index: StrMap<Term, u32> = vocabulary
            .iter()
            .enumerate()
            .map(|(i, t)| (Term::new(t), i as u32))
            .collect();
        if index.len() != vocabulary.len() {
            return Err(Error::InvalidParams(
                "vocabulary has duplicate terms".into(),
            ));
        }
        Ok(TfidfVectorizer {
            params,
            vocabulary,
            index,
            idf,
        })
    }

    pub fn params(&self) -> &TfidfParams {
        &self.params
    }

    pub fn vocabulary(&self) -> &[String] {
        &self.vocabulary
    }

    pub fn idf(&self) -> &[f64] {
        &self.idf
    }

    pub fn n_features(&self) -> usize {
        self.vocabulary.len()
    }

    pub fn term_index(&self, term: &str) -> Option<usize> {
        self.index.get(term).map(|&i| i as usize)
    }

    /// The TF-IDF row of one analysed document, as sorted (column, value)
    /// pairs; terms outside the vocabulary are ignored.
    pub fn transform_one(&self, terms: &[String]) -> Vec<(u32, f64)> {
        self.row_with(|sink| terms.iter().for_each(|t| sink(t)))
    }

    /// The TF-IDF row of the terms `visit` passes to its sink.
    pub fn row_with(&self, visit: impl FnOnce(&mut dyn FnMut(&str))) -> Vec<(u32, f64)> {
        let mut counter = ColumnCounter::default();
        visit(&mut |term: &str| {
            if let Some(&col) = self.index.get(term) {
                counter.push(col);
            }
        });
        self.row_from_counter(counter)
    }

    /// The TF-IDF row of a document whose vocabulary columns were counted
    /// by the caller.
    pub fn row_from_counter(&self, counter: ColumnCounter) -> Vec<(u32, f64)> {
        self.weigh(counter.finish())
    }

    /// Rows for many analysed documents, in parallel, in input order.
    pub fn transform(&self, docs: &[Vec<String>]) -> SparseMatrix {
        self.transform_with(docs.len(), |i, sink: &mut dyn FnMut(&str)| {
            docs[i].iter().for_each(|t| sink(t))
        })
    }

    /// Like [`Self::transform`], with document `i`'s terms from `terms_of`.
    pub fn transform_with<F: TermSource>(&self, n_docs: usize, terms_of: F) -> SparseMatrix {
        let rows: Vec<Vec<(u32, f64)>> = (0..n_docs)
            .into_par_iter()
            .map(|i| self.row_with(|sink| terms_of(i, sink)))
            .collect();
        assemble(rows, self.vocabulary.len())
    }

    /// Term counts (sorted by column) to unit-norm TF-IDF values.
    fn weigh(&self, counts: Vec<(u32, u32)>) -> Vec<(u32, f64)> {
        let mut row: Vec<(u32, f64)> = counts
            .into_iter()
            .map(|(col, count)| {
                let tf = if self.params.sublinear_tf {
                    1.0 + (count as f64).ln()
                } else {
                    count as f64
                };
                (col, tf * self.idf[col as usize])
            })
            .collect();
        let norm = row.iter().map(|(_, v)| v * v).sum::<f64>().sqrt();
        if norm > 0.0 {
            for (_, v) in &mut row {
                *v /= norm;
            }
        }
        row
    }
}

/// Counts a document's vocabulary columns in bounded memory: occurrences
/// are buffered and folded into sorted (column, count) pairs every
/// `PENDING_TERMS` terms, so a huge document costs memory in proportion to
/// its distinct terms, not its length.
#[derive(Debug, Default)]
pub struct ColumnCounter {
    pending: Vec<u32>,
    counts: Vec<(u32, u32)>,
}

impl ColumnCounter {
    pub fn push(&mut self, col: u32) {
        self.pending.push(col);
        if self.pending.len() >= PENDING_TERMS {
            fold_counts(&mut self.counts, &mut self.pending);
        }
    }

    /// Sorted (column, count) pairs.
    pub fn finish(mut self) -> Vec<(u32, u32)> {
        fold_counts(&mut self.counts, &mut self.pending);
        self.counts
    }
}

/// Sorted rows to a CSR matrix.
pub(crate) fn assemble(rows: Vec<Vec<(u32, f64)>>, n_cols: usize) -> SparseMatrix {
    let nnz: usize = rows.iter().map(Vec::len).sum();
    let mut indptr = Vec::with_capacity(rows.len() + 1);
    let mut indices = Vec::with_capacity(nnz);
    let mut data = Vec::with_capacity(nnz);
    indptr.push(0);
    let n_rows = rows.len();
    for row in rows {
        for (col, value) in row {
            indices.push(col as usize);
            data.push(value);
        }
        indptr.push(indices.len());
    }
    // Columns come sorted and in range from `weigh`, so the structure is valid
    // by construction; `new_unchecked` would skip a linear check we can afford.
    match SparseMatrix::try_new((n_rows, n_cols), indptr, indices, data) {
        Ok(m) => m,
        Err((_, _, _, e)) => unreachable!("rows are built sorted and in range: {e}"),
    }
}

/// Term occurrences buffered before they are counted. A document's
/// occurrences (4 bytes each, about half the size of its text) are folded
/// into per-term counts whenever this many are pending, so that a huge
/// document does not hold them all at once; ordinary documents fold once.
const PENDING_TERMS: usize = 1 << 20;

/// Adds the occurrences in `cols` to `counts` (sorted by column, one entry
/// per column) and empties `cols`.
fn fold_counts(counts: &mut Vec<(u32, u32)>, cols: &mut Vec<u32>) {
    cols.sort_unstable();
    let mut fresh: Vec<(u32, u32)> = Vec::new();
    for &col in cols.iter() {
        match fresh.last_mut() {
            Some((last, n)) if *last == col => *n = n.saturating_add(1),
            _ => fresh.push((col, 1)),
        }
    }
    cols.clear();
    if counts.is_empty() {
        *counts = fresh;
        return;
    }
    let mut merged = Vec::with_capacity(counts.len() + fresh.len());
    let (mut a, mut b) = (counts.iter().peekable(), fresh.iter().peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(&&(ca, na)), Some(&&(cb, nb))) => match ca.cmp(&cb) {
                std::cmp::Ordering::Less => a.next().map(|_| (ca, na)),
                std::cmp::Ordering::Greater => b.next().map(|_| (cb, nb)),
                std::cmp::Ordering::Equal => {
                    a.next();
                    b.next().map(|_| (ca, na.saturating_add(nb)))
                }
            },
            (Some(_), None) => a.next().copied(),
            (None, Some(_)) => b.next().copied(),
            (None, None) => None,
        };
        match next {
            Some(entry) => merged.push(entry),
            None => break,
        }
    }
    *counts = merged;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_folded_in_pieces_equal_counts_folded_at_once() {
        let cols: Vec<u32> = (0..10_000u32).map(|i| (i * 7919) % 37).collect();
        let (mut once, mut all) = (Vec::new(), cols.clone());
        fold_counts(&mut once, &mut all);
        let mut pieces = Vec::new();
        for chunk in cols.chunks(333) {
            fold_counts(&mut pieces, &mut chunk.to_vec());
        }
        assert_eq!(once, pieces);
        assert_eq!(
            once.iter().map(|&(_, n)| n as usize).sum::<usize>(),
            cols.len()
        );
        assert!(once.windows(2).all(|w| w[0].0 < w[1].0));
    }

    fn docs(texts: &[&str]) -> Vec<Vec<String>> {
        texts
            .iter()
            .map(|t| t.split_whitespace().map(String::from).collect())
            .collect()
    }

    fn loose() -> TfidfParams {
        TfidfParams {
            min_df: DocFrequency::Count(1),
            max_df: DocFrequency::Fraction(1.0),
            max_features: None,
            sublinear_tf: false,
        }
    }

    #[test]
    fn vocabulary_is_sorted_and_idf_is_smooth() {
        let d = docs(&["b a", "a c", "a"]);
        let (v, m) = TfidfVectorizer::fit_transform(loose(), &d).expect("fit");
        assert_eq!(v.vocabulary(), ["a", "b", "c"]);
        let idf_a = (4.0f64 / 4.0).ln() + 1.0;
        let idf_b = (4.0f64 / 2.0).ln() + 1.0;
        assert!((v.idf()[0] - idf_a).abs() < 1e-12);
        assert!((v.idf()[1] - idf_b).abs() < 1e-12);
        assert_eq!(m.shape(), (3, 3));
        // Third document holds only "a": its row is [1, 0, 0].
        assert_eq!(m.outer_view(2).map(|r| r.nnz()), Some(1));
    }

    #[test]
    fn df_bounds_prune_terms() {
        let d = docs(&["a b", "a c", "a d", "b"]);
        let params = TfidfParams {
            min_df: DocFrequency::Count(2),
            max_df: DocFrequency::Fraction(0.6),
            ..loose()
        };
        let (v, _) = TfidfVectorizer::fit_transform(params, &d).expect("fit");
        // a is in 3/4 > 0.6 of documents; c and d in only one.
        assert_eq!(v.vocabulary(), ["b"]);
    }

    #[test]
    fn max_features_keeps_most_frequent_terms() {
        let d = docs(&["a b c", "a b", "a"]);
        let params = TfidfParams {
            max_features: Some(2),
            ..loose()
        };
        let (v, _) = TfidfVectorizer::fit_transform(params, &d).expect("fit");
        assert_eq!(v.vocabulary(), ["a", "b"]);
    }

    #[test]
    fn transform_matches_fit_transform() {
        let d = docs(&["port port customs", "media customs", "port media law"]);
        let params = TfidfParams {
            sublinear_tf: true,
            ..loose()
        };
        let (v, m) = TfidfVectorizer::fit_transform(params, &d).expect("fit");
        let again = v.transform(&d);
        assert_eq!(m, again);
    }

    #[test]
    fn empty_vocabulary_is_an_error_not_a_panic() {
        let d = docs(&["a", "b"]);
        let params = TfidfParams {
            min_df: DocFrequency::Count(2),
            ..loose()
        };
        assert!(TfidfVectorizer::fit_transform(params, &d).is_err());
        assert!(TfidfVectorizer::fit_transform(loose(), &[]).is_err());
    }

    #[test]
    fn parses_doc_frequency() {
        assert_eq!("2".parse(), Ok(DocFrequency::Count(2)));
        assert_eq!("0.5".parse(), Ok(DocFrequency::Fraction(0.5)));
        assert_eq!("1.0".parse(), Ok(DocFrequency::Fraction(1.0)));
        assert!("1.5".parse::<DocFrequency>().is_err());
    }
}
