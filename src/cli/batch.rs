//! Streaming over input documents in bounded, parallel batches, shared by
//! the commands that read what `classify` reads.

use crate::corpus::{documents, InputDocument};
use rayon::prelude::*;
use std::path::PathBuf;

/// Documents per batch: enough to keep every core busy, few enough that
/// memory stays flat however long the input is.
pub(crate) const BATCH: usize = 1024;

/// Reads every input document, runs `work` on each (in parallel within a
/// batch) with its id and its text or read error, and passes the results to
/// `sink` in input order.
pub(crate) fn for_each_document<T, W, S>(
    inputs: &[PathBuf],
    max_doc_bytes: usize,
    work: W,
    mut sink: S,
) -> anyhow::Result<()>
where
    T: Send,
    W: Fn(String, Result<String, String>) -> T + Sync,
    S: FnMut(T) -> anyhow::Result<()>,
{
    let mut docs = documents(inputs, max_doc_bytes);
    loop {
        let batch: Vec<InputDocument> = docs.by_ref().take(BATCH).collect();
        if batch.is_empty() {
            return Ok(());
        }
        let results: Vec<T> = batch
            .into_par_iter()
            .map(|doc| {
                let (id, text) = doc.into_text(max_doc_bytes);
                work(id, text)
            })
            .collect();
        for r in results {
            sink(r)?;
        }
    }
}
