//! CSV records with bounded memory, for `classify` and labelled data.
//!
//! The `csv` crate reads a whole record into memory before the caller sees
//! it, so one 2 GB quoted field would take 2 GB. This reader drives the same
//! parser (`csv_core`: RFC 4180 quoting, quoted multi-line fields, `\n`,
//! `\r\n` or `\r` line ends, a UTF-8 BOM skipped, blank lines skipped) but
//! stops keeping a record's bytes once it is over the limit: the record is
//! still read to its end, so the next one is found, and reported as too
//! long. Fields that are not UTF-8 (a spreadsheet saved as Windows-1252 or
//! GBK) are decoded like text files instead of failing the row.

use super::decode::decode;
use csv_core::{ReadRecordResult, Reader, ReaderBuilder};
use std::io::BufRead;

/// Most fields kept for one record. Empty fields cost no field bytes, so
/// without this a line of commas would grow the list of field ends without
/// bound; no real table comes near it.
pub const MAX_FIELDS: usize = 1 << 20;

/// One item of a CSV input.
#[derive(Debug)]
pub enum CsvRead {
    /// A record and the line it starts on (1-based; the header is line 1).
    Record { line: u64, fields: Vec<String> },
    /// A record with more than `limit` bytes of field content or more than
    /// [`MAX_FIELDS`] fields: skipped without being held in memory. `bytes`
    /// is its size as stored.
    TooLong { line: u64, bytes: u64 },
    /// A record with more than [`MAX_FIELDS`] fields, skipped.
    TooWide { line: u64 },
    /// A quoted field opened in the record starting on `line` is never
    /// closed: everything to the end of the input was read into it, so
    /// the records it swallowed are lost. Nothing follows.
    Unterminated { line: u64 },
    /// The input could not be read; nothing follows.
    Io(std::io::Error),
}

/// The records of a CSV (or, with `b'\t'`, TSV) input, header row included,
/// never keeping more than `limit` bytes of one record's fields.
pub fn read_csv_records<R: BufRead>(input: R, delimiter: u8, limit: usize) -> CsvRecords<R> {
    CsvRecords {
        input,
        core: ReaderBuilder::new().delimiter(delimiter).build(),
        limit,
        fields: vec![0; limit.clamp(1, 8 * 1024)],
        ends: vec![0; 64],
        newlines_skipped: 0,
        done: false,
    }
}

pub struct CsvRecords<R> {
    input: R,
    core: Reader,
    limit: usize,
    /// Unquoted bytes of the current record, reused from record to record.
    fields: Vec<u8>,
    /// End offset of each field in `fields`.
    ends: Vec<usize>,
    /// Line ends consumed between records, which the parser did not see.
    newlines_skipped: u64,
    done: bool,
}

impl<R: BufRead> Iterator for CsvRecords<R> {
    type Item = CsvRead;

    fn next(&mut self) -> Option<CsvRead> {
        use ReadRecordResult::*;
        if self.done {
            return None;
        }
        // Line ends between records (the `\n` of a `\r\n`, blank lines)
        // are consumed here, not by the parser, so that the line counted
        // is the one the record starts on.
        loop {
            match self.input.fill_buf() {
                Ok([b'\n', ..]) => {
                    self.input.consume(1);
                    self.newlines_skipped += 1;
                }
                Ok([b'\r', ..]) => self.input.consume(1),
                Ok(_) => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.done = true;
                    return Some(CsvRead::Io(e));
                }
            }
        }
        let line = self.core.line() + self.newlines_skipped;
        let (mut out, mut n_ends) = (0usize, 0usize);
        let mut stored = 0u64;
        let mut over = false;
        let mut wide = false;
        // Quote characters of this record: an odd count when the input
        // ends means a quoted field was never closed (quotes inside quoted
        // fields are doubled, so a closed record has an even count).
        let mut quotes = 0u64;
        let mut newlines = 0u64;
        let mut at_end;
        loop {
            let input = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.done = true;
                    return Some(CsvRead::Io(e));
                }
            };
            at_end = input.is_empty();
            let (result, n_in, n_out, n_end) =
                self.core
                    .read_record(input, &mut self.fields[out..], &mut self.ends[n_ends..]);
            for &b in &input[..n_in] {
                quotes += u64::from(b == b'"');
                newlines += u64::from(b == b'\n');
            }
            self.input.consume(n_in);
            stored += n_in as u64;
            out += n_out;
            n_ends += n_end;
            match result {
                InputEmpty => {}
                OutputFull => {
                    // Field bytes are never more than the input bytes, so
                    // a buffer of `limit` bytes holds any record within it.
                    if over || self.fields.len() >= self.limit {
                        over = true;
                        out = 0;
                    } else {
                        let len = self.fields.len().saturating_mul(2).min(self.limit);
                        self.fields.resize(len, 0);
                    }
                }
                OutputEndsFull => {
                    if over || self.ends.len() >= MAX_FIELDS {
                        over = true;
                        wide |= self.ends.len() >= MAX_FIELDS;
                        n_ends = 0;
                    } else {
                        let len = (self.ends.len() * 2).min(MAX_FIELDS);
                        self.ends.resize(len, 0);
                    }
                }
                // Only when it swallowed lines: a stray quote in the last
                // line's unquoted field (`5"`) loses nothing.
                Record if at_end && quotes % 2 == 1 && newlines > 0 => {
                    self.done = true;
                    return Some(CsvRead::Unterminated { line });
                }
                Record if wide => return Some(CsvRead::TooWide { line }),
                Record if over => {
                    return Some(CsvRead::TooLong {
                        line,
                        bytes: stored,
                    })
                }
                Record => {
                    let mut start = 0;
                    let fields = self.ends[..n_ends]
                        .iter()
                        .map(|&end| {
                            let end = end.clamp(start, out);
                            let text = field_text(&self.fields[start..end]);
                            start = end;
                            text
                        })
                        .collect();
                    return Some(CsvRead::Record { line, fields });
                }
                End => {
                    self.done = true;
                    return None;
                }
            }
        }
    }
}

/// Message for [`CsvRead::TooWide`] (without the line number).
pub fn too_wide_message() -> String {
    format!("record has more than {MAX_FIELDS} fields, the most docclass reads in one row")
}

/// Message for [`CsvRead::Unterminated`] (without the line number).
pub fn unterminated_message() -> String {
    "a quoted field opened in this record is never closed (a missing or stray \"?): \
     the rest of the file was read into it and its records are lost; fix the quote"
        .to_string()
}

/// A field's text: UTF-8 as is, anything else decoded like a text file
/// (legacy encodings detected), bytes that are not text at all replaced
/// rather than dropping the row.
fn field_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => decode(bytes).unwrap_or_else(|_| String::from_utf8_lossy(bytes).into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(input: &[u8], limit: usize) -> Vec<CsvRead> {
        read_csv_records(std::io::Cursor::new(input.to_vec()), b',', limit).collect()
    }

    fn record(item: &CsvRead) -> (u64, Vec<&str>) {
        match item {
            CsvRead::Record { line, fields } => {
                (*line, fields.iter().map(String::as_str).collect())
            }
            other => panic!("expected a record, got {other:?}"),
        }
    }

    #[test]
    fn parses_quotes_multiline_fields_crlf_bom_and_blank_lines() {
        let items = read(
            b"\xef\xbb\xbfid,text\r\n1,\"a, \"\"quoted\"\"\nsecond line\"\r\n\r\n2,plain\n3",
            1000,
        );
        assert_eq!(items.len(), 4);
        assert_eq!(record(&items[0]), (1, vec!["id", "text"]));
        assert_eq!(
            record(&items[1]),
            (2, vec!["1", "a, \"quoted\"\nsecond line"])
        );
        assert_eq!(record(&items[2]), (5, vec!["2", "plain"]));
        assert_eq!(record(&items[3]), (6, vec!["3"]));
    }

    #[test]
    fn skips_records_over_the_limit_and_goes_on() {
        let big = format!("text\n\"{}\nmore\"\nafter\n", "x".repeat(5000));
        let items = read(big.as_bytes(), 100);
        assert_eq!(items.len(), 3);
        assert!(matches!(items[1], CsvRead::TooLong { line: 2, bytes } if bytes > 5000));
        assert_eq!(record(&items[2]), (4, vec!["after"]));
    }

    #[test]
    fn refuses_records_with_too_many_fields_and_says_so() {
        let commas = format!("a\n{}\nb\n", ",".repeat(MAX_FIELDS + 10));
        let items = read(commas.as_bytes(), 10 * MAX_FIELDS);
        assert!(
            matches!(items[1], CsvRead::TooWide { line: 2 }),
            "{:?}",
            items[1]
        );
        assert_eq!(record(&items[2]), (3, vec!["b"]));
        // 70,000 columns are a wide table, not an error.
        let wide = format!("a\n{}x\nb\n", ",".repeat(70_000));
        let items = read(wide.as_bytes(), 1 << 20);
        assert_eq!(record(&items[1]).1.len(), 70_001);
    }

    #[test]
    fn an_unclosed_quote_is_reported_at_the_record_that_opened_it() {
        let items = read(b"id,text\n1,ok\n2,\"unterminated\n3,lost\n4,lost\n", 1000);
        assert_eq!(items.len(), 3, "{items:?}");
        assert_eq!(record(&items[1]), (2, vec!["1", "ok"]));
        assert!(
            matches!(items[2], CsvRead::Unterminated { line: 3 }),
            "{:?}",
            items[2]
        );
        // Doubled quotes inside a closed field are fine.
        let items = read(b"text\n\"say \"\"hi\"\"\"\n", 1000);
        assert_eq!(record(&items[1]).1, ["say \"hi\""]);
    }

    #[test]
    fn decodes_legacy_encoded_fields() {
        let items = read(
            b"text\nS\xe9minaire sur la gestion portuaire \xe0 Dakar\n",
            1000,
        );
        assert_eq!(
            record(&items[1]).1,
            ["Séminaire sur la gestion portuaire à Dakar"]
        );
    }
}
