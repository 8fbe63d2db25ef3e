//! Machine output: JSON Lines and CSV records, one per document. The JSON
//! field names are a contract other tools rely on: `id`, `labels`, `scores`
//! (label -> probability), and `error` or `empty` when they apply.

use std::io::Write;

pub use crate::record::{round6, Record, Scores};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
    /// Parquet, to a file given with --out (also chosen by --out x.parquet).
    Parquet,
}

/// Writes records in the chosen format.
pub struct RecordWriter<W: Write> {
    out: W,
    format: Format,
    labels: Vec<String>,
    relevance: bool,
    wrote_header: bool,
}

impl<W: Write> RecordWriter<W> {
    /// `relevance`: the model has a relevance gate, so CSV gets a
    /// `relevance` column after the label scores.
    pub fn new(out: W, format: Format, labels: &[String], relevance: bool) -> Self {
        RecordWriter {
            out,
            format,
            labels: labels.to_vec(),
            relevance,
            wrote_header: false,
        }
    }

    /// Writes a record already encoded by [`encode`] (records are encoded
    /// in parallel, then written in order).
    pub fn write_encoded(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.write_header()?;
        self.out.write_all(bytes)
    }

    /// CSV columns: id, labels (joined by ';'), one column per label score,
    /// empty, error. Ready for a spreadsheet or `pandas.read_csv`.
    fn write_header(&mut self) -> std::io::Result<()> {
        if self.format == Format::Csv && !self.wrote_header {
            let mut header = vec!["id".to_string(), "labels".to_string()];
            header.extend(self.labels.iter().cloned());
            if self.relevance {
                header.push("relevance".into());
            }
            header.push("empty".into());
            header.push("error".into());
            write_csv_row(&mut self.out, header.iter().map(String::as_str))?;
            self.wrote_header = true;
        }
        Ok(())
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

/// One record in the chosen format, line end included (no CSV header).
pub fn encode(format: Format, labels: &[String], relevance: bool, record: &Record<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + 24 * labels.len());
    // Writing into a Vec cannot fail.
    let _ = encode_into(&mut out, format, labels, relevance, record);
    out
}

fn encode_into(
    out: &mut impl Write,
    format: Format,
    labels: &[String],
    relevance: bool,
    record: &Record<'_>,
) -> std::io::Result<()> {
    match format {
        // Parquet rows are written by `parquet_out`, not encoded as text.
        Format::Jsonl | Format::Parquet => {
            serde_json::to_writer(&mut *out, record)?;
            out.write_all(b"\n")
        }
        Format::Csv => {
            let assigned = record
                .labels
                .as_ref()
                .map(|l| l.join(";"))
                .unwrap_or_default();
            let mut row: Vec<String> = vec![record.id.to_string(), assigned];
            match &record.scores {
                Some(Scores(_, values)) => {
                    row.extend(values.iter().map(|v| round6(*v).to_string()))
                }
                None => row.extend(labels.iter().map(|_| String::new())),
            }
            if relevance {
                row.push(
                    record
                        .relevance
                        .map_or(String::new(), |r| round6(r).to_string()),
                );
            }
            // Always true or false, so pandas reads a boolean column.
            row.push(if record.empty { "true" } else { "false" }.into());
            row.push(record.error.unwrap_or("").to_string());
            write_csv_row(out, row.iter().map(String::as_str))
        }
    }
}

fn write_csv_row<'a>(
    out: &mut impl Write,
    fields: impl Iterator<Item = &'a str>,
) -> std::io::Result<()> {
    let mut first = true;
    for field in fields {
        if !first {
            out.write_all(b",")?;
        }
        first = false;
        if field.contains([',', '"', '\n', '\r']) {
            out.write_all(b"\"")?;
            out.write_all(field.replace('"', "\"\"").as_bytes())?;
            out.write_all(b"\"")?;
        } else {
            out.write_all(field.as_bytes())?;
        }
    }
    out.write_all(b"\n")
}

/// Where a command's machine output goes: stdout, or (`--out FILE`) a file
/// written atomically that appears only when [`Output::finish`] succeeds.
/// `--out -` is stdout, as in most Unix tools.
pub enum Output {
    Stdout(std::io::BufWriter<std::io::StdoutLock<'static>>),
    File(crate::io::AtomicFile),
}

impl Output {
    pub fn open(path: Option<&std::path::Path>) -> crate::Result<Self> {
        Ok(match path {
            Some(p) if p.as_os_str() != "-" => Output::File(crate::io::AtomicFile::create(p)?),
            _ => Output::Stdout(std::io::BufWriter::new(std::io::stdout().lock())),
        })
    }

    /// Flushes stdout, or commits the file.
    pub fn finish(self) -> anyhow::Result<()> {
        match self {
            Output::Stdout(mut w) => w.flush()?,
            Output::File(f) => f.commit()?,
        }
        Ok(())
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Output::Stdout(w) => w.write(buf),
            Output::File(f) => f.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush(),
            Output::File(f) => f.flush(),
        }
    }
}
