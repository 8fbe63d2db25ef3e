//! Streaming over input documents in bounded, parallel batches, shared by
//! every command that reads what `classify` reads (classify, explain,
//! suggest).
//!
//! A reader thread lists and parses the next batch while the batch in hand
//! is processed in parallel; results reach the caller in input order.
//! Memory: two batches of text (see [`BATCH_BYTES`]; the channel holds none,
//! the reader hands its batch over when it is taken) plus, per worker
//! thread, the document being read and analysed.

use crate::corpus::input::documents_as;
use crate::corpus::InputDocument;
use anyhow::Context;
use rayon::prelude::*;
use std::path::PathBuf;

/// Documents per batch: large enough to keep every core busy, small enough
/// that memory stays flat however long the input is.
pub(crate) const BATCH: usize = 1024;

/// Most text bytes of one batch. JSON Lines and CSV documents arrive with
/// their text, so without this a batch of 1024 large records could hold
/// 1024 x `--max-doc-bytes`. A batch ends at whichever limit comes first.
pub(crate) const BATCH_BYTES: usize = 32 * 1024 * 1024;

/// The next batch: up to [`BATCH`] documents or [`BATCH_BYTES`] of text.
pub(crate) fn next_batch<T>(
    items: &mut impl Iterator<Item = T>,
    text_len: impl Fn(&T) -> usize,
) -> Vec<T> {
    let mut batch = Vec::with_capacity(BATCH);
    let mut bytes = 0usize;
    for item in items.by_ref() {
        bytes = bytes.saturating_add(text_len(&item));
        batch.push(item);
        if batch.len() >= BATCH || bytes >= BATCH_BYTES {
            break;
        }
    }
    batch
}

fn text_len(doc: &InputDocument) -> usize {
    match doc {
        InputDocument::Text { text, .. } => text.len(),
        InputDocument::File { .. } | InputDocument::Failed { .. } => 0,
    }
}

/// Reads every input document, runs `work` on each (in parallel within a
/// batch) with its id and its text or read error, and passes the results to
/// `sink` in input order.
pub(crate) fn for_each_document<T, W, S>(
    inputs: &[PathBuf],
    (max_doc_bytes, format, columns): (
        usize,
        Option<crate::corpus::input::InputFormat>,
        crate::corpus::columnar::ColumnNames,
    ),
    work: W,
    mut sink: S,
) -> anyhow::Result<()>
where
    T: Send,
    W: Fn(String, Result<String, String>) -> T + Sync,
    S: FnMut(T) -> anyhow::Result<()>,
{
    let (sender, batches) = std::sync::mpsc::sync_channel::<Vec<InputDocument>>(0);
    let inputs = inputs.to_vec();
    // Not scoped: if the sink fails, the command returns at once even if the
    // reader is blocked on stdin; the reader stops at its next send.
    let reader = std::thread::Builder::new()
        .name("docclass-reader".into())
        .spawn(move || {
            let mut docs = documents_as(&inputs, max_doc_bytes, format, columns);
            loop {
                let batch = next_batch(&mut docs, text_len);
                if batch.is_empty() || sender.send(batch).is_err() {
                    break;
                }
            }
        })
        .context("cannot start the input reader thread")?;
    for batch in batches {
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
    // The channel also closes if the reader died: that must not pass for
    // the end of the input.
    if reader.join().is_err() {
        anyhow::bail!("reading the input failed unexpectedly; the output is incomplete");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_end_at_a_count_or_a_size_whichever_comes_first() {
        let mut small = std::iter::repeat_n(100usize, 3000);
        assert_eq!(next_batch(&mut small, |&n| n).len(), BATCH);
        assert_eq!(next_batch(&mut small, |&n| n).len(), BATCH);
        assert_eq!(next_batch(&mut small, |&n| n).len(), 3000 - 2 * BATCH);
        assert!(next_batch(&mut small, |&n| n).is_empty());
        // Large records: the byte budget ends the batch; one record over
        // it is still a batch of its own, never dropped.
        let mut large = [BATCH_BYTES / 4; 6].into_iter().chain([BATCH_BYTES * 2, 1]);
        assert_eq!(next_batch(&mut large, |&n| n).len(), 4);
        assert_eq!(next_batch(&mut large, |&n| n).len(), 3);
        assert_eq!(next_batch(&mut large, |&n| n), [1]);
    }
}
