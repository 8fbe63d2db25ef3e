//! From analysed documents to a sparse TF-IDF matrix.
//!
//! Definitions follow scikit-learn's `TfidfVectorizer` so that results can be
//! compared term by term: smooth idf = ln((1 + n) / (1 + df)) + 1, optional
//! sublinear tf = 1 + ln(tf), rows scaled to unit L2 norm, vocabulary in
//! lexicographic order.

mod tfidf;

pub(crate) use tfidf::assemble as assemble_rows;
pub use tfidf::{ColumnCounter, DocFrequency, TermSource, TfidfParams, TfidfVectorizer};

/// Sparse matrix type of the whole pipeline: compressed sparse rows, one row
/// per document, one column per vocabulary term.
pub type SparseMatrix = sprs::CsMat<f64>;

/// The given rows of a CSR matrix, in the given order.
pub fn select_rows(x: &SparseMatrix, rows: &[usize]) -> SparseMatrix {
    let selected: Vec<Vec<(u32, f64)>> = rows
        .iter()
        .map(|&i| {
            x.outer_view(i)
                .map(|r| r.iter().map(|(j, &v)| (j as u32, v)).collect())
                .unwrap_or_default()
        })
        .collect();
    tfidf::assemble(selected, x.cols())
}

/// `x` with the entries of the columns marked in `dropped` removed (the
/// columns stay, empty), rows otherwise unchanged.
pub fn drop_columns(x: &SparseMatrix, dropped: &[bool]) -> SparseMatrix {
    let rows: Vec<Vec<(u32, f64)>> = (0..x.rows())
        .map(|i| {
            x.outer_view(i)
                .map(|r| {
                    r.iter()
                        .filter(|&(j, _)| !dropped.get(j).copied().unwrap_or(false))
                        .map(|(j, &v)| (j as u32, v))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect();
    tfidf::assemble(rows, x.cols())
}

#[cfg(test)]
pub(crate) mod tfidf_test_support {
    use super::*;

    /// A small, irregular TF-IDF matrix for solver tests.
    pub fn small_matrix() -> SparseMatrix {
        let docs: Vec<Vec<String>> = [
            "port customs port logistics",
            "media law party media",
            "customs standards trade",
            "party governance media internet",
            "port trade logistics standards",
            "internet governance law",
            "logistics port customs trade",
            "law party governance",
            "media internet trade",
        ]
        .iter()
        .map(|t| t.split_whitespace().map(String::from).collect())
        .collect();
        let params = TfidfParams {
            min_df: DocFrequency::Count(1),
            max_df: DocFrequency::Fraction(1.0),
            max_features: None,
            sublinear_tf: true,
        };
        match TfidfVectorizer::fit_transform(params, &docs) {
            Ok((_, m)) => m,
            Err(e) => panic!("fixture corpus must vectorize: {e}"),
        }
    }
}
