//! The model file: one versioned, checksummed file holding everything needed
//! to classify.
//!
//! Layout (little-endian):
//!
//! | bytes       | content                                              |
//! |-------------|------------------------------------------------------|
//! | 16          | magic `DOCCLASS-MODEL\n\0`                           |
//! | 4           | format version (u32)                                 |
//! | 8 + h       | header length (u64) and header (JSON, see [`Header`]) |
//! | per term    | term length (u32) and UTF-8 bytes, vocabulary order  |
//! | 8 x d       | idf (f64)                                            |
//! | 8 x d x k   | weights (f64), feature-major                         |
//! | 8 x k       | intercepts (f64)                                     |
//! | 4           | CRC-32 of everything before it                       |
//!
//! The header is JSON so that `head -c 4000 model` is readable and old files
//! stay inspectable; the arrays are binary so that a 20 Newsgroups model
//! loads in milliseconds. Nothing run-dependent (time, host, path) is stored:
//! identical data and settings give identical bytes.

use super::{Classifier, ClassifierParams, Objective, TrainingSummary};
use crate::features::TfidfVectorizer;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const MAGIC: &[u8; 16] = b"DOCCLASS-MODEL\n\0";
/// Bumped whenever the layout or the meaning of a field changes.
pub const FORMAT_VERSION: u32 = 2;

/// Oldest format this docclass reads: format 1 is format 2 without a
/// relevance gate or sentence labels.
pub const OLDEST_FORMAT_VERSION: u32 = 1;

/// The default model, trained on the corpus in `training/` (see
/// `models/README.md`), compiled into the binary.
pub static DEFAULT_MODEL_BYTES: &[u8] = include_bytes!("../../models/programs.model.bin");

/// Name used in messages about the embedded model.
pub const DEFAULT_MODEL_NAME: &str = "<embedded default model>";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    pub labels: Vec<String>,
    pub objective: Objective,
    pub thresholds: Vec<f64>,
    pub n_features: usize,
    pub params: ClassifierParams,
    pub training: TrainingSummary,
    /// Intercept of the relevance gate; its `n_features` weights follow the
    /// label intercepts. Absent for a model trained without background.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevance_intercept: Option<f64>,
}

/// Serialises a classifier to bytes.
pub fn to_bytes(model: &Classifier) -> Result<Vec<u8>> {
    let d = model.vectorizer.n_features();
    let k = model.labels.len();
    let mut out = Vec::with_capacity(4096 + d * (16 + 8 * k));
    // Writing to memory cannot fail.
    write_model(model, &mut out)
        .map_err(|e| Error::Training(format!("cannot encode model: {e}")))?;
    Ok(out)
}

/// Streams a classifier in the file layout to `w`, the CRC computed on the
/// way. A model is not built in memory first: with word pairs and many
/// labels its weights are tens of MB, and a copy of them was the largest
/// allocation of a whole training run (Reuters with `--ngrams 2`: the peak
/// went from 253 MiB after fitting to 388 MiB while saving).
fn write_model(model: &Classifier, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    struct Crc<'a> {
        inner: &'a mut dyn std::io::Write,
        hasher: crc32fast::Hasher,
    }
    impl Crc<'_> {
        fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
            self.hasher.update(bytes);
            self.inner.write_all(bytes)
        }
    }
    let header = Header {
        labels: model.labels.clone(),
        objective: model.objective,
        thresholds: model.thresholds.clone(),
        n_features: model.vectorizer.n_features(),
        params: model.params.clone(),
        training: model.summary.clone(),
        relevance_intercept: model.gate.as_ref().map(|g| g.intercept),
    };
    let json = serde_json::to_vec(&header).map_err(std::io::Error::other)?;
    let mut out = Crc {
        inner: w,
        hasher: crc32fast::Hasher::new(),
    };
    out.put(MAGIC)?;
    out.put(&FORMAT_VERSION.to_le_bytes())?;
    out.put(&(json.len() as u64).to_le_bytes())?;
    out.put(&json)?;
    for term in model.vectorizer.vocabulary() {
        out.put(&(term.len() as u32).to_le_bytes())?;
        out.put(term.as_bytes())?;
    }
    let gate: &[f64] = model.gate.as_ref().map_or(&[], |g| &g.weights);
    // Values go out in blocks so that the CRC and the writer see few calls.
    let mut block = Vec::with_capacity(8 * 4096);
    for values in [
        model.vectorizer.idf(),
        &model.weights,
        &model.intercepts,
        gate,
    ] {
        for chunk in values.chunks(4096) {
            block.clear();
            for v in chunk {
                block.extend_from_slice(&v.to_le_bytes());
            }
            out.put(&block)?;
        }
    }
    let crc = out.hasher.finalize();
    out.inner.write_all(&crc.to_le_bytes())
}

/// Writes a model atomically.
pub fn save_model(model: &Classifier, path: &Path) -> Result<()> {
    crate::io::write_atomic(path, |w| write_model(model, w))
}

/// Largest model file read. The default model is a few MB and a model of a
/// million-term vocabulary with ten labels under 200 MB; anything near this
/// is not a model, and `/dev/zero` or a mistyped multi-gigabyte data file
/// must not be read whole to find that out.
pub const MAX_MODEL_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// Reads and validates a model file. The magic bytes are checked before
/// anything else is read, so a path that is not a model (a data file, a
/// device, a named pipe) fails at once without being read whole.
pub fn load_model(path: &Path) -> Result<Classifier> {
    use std::io::Read;
    let mut file = crate::corpus::input::open_for_reading(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::new();
    (&mut file)
        .take(MAGIC.len() as u64)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.as_slice() != MAGIC.as_slice() {
        return from_bytes(&bytes, path);
    }
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > MAX_MODEL_BYTES {
        return Err(Error::model(
            path,
            format!("file is {size} bytes, over the {MAX_MODEL_BYTES} a model can be"),
        ));
    }
    bytes.reserve(size.saturating_sub(MAGIC.len() as u64) as usize);
    file.take(MAX_MODEL_BYTES + 1 - MAGIC.len() as u64)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > MAX_MODEL_BYTES {
        return Err(Error::model(
            path,
            format!("file is over the {MAX_MODEL_BYTES} bytes a model can be"),
        ));
    }
    from_bytes(&bytes, path)
}

/// The embedded default model.
pub fn default_model() -> Result<Classifier> {
    from_bytes(DEFAULT_MODEL_BYTES, Path::new(DEFAULT_MODEL_NAME))
}

/// Bounds-checked reader over the file's bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    path: &'a Path,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        match end {
            Some(end) => {
                let slice = &self.bytes[self.pos..end];
                self.pos = end;
                Ok(slice)
            }
            None => Err(Error::model(
                self.path,
                format!("file is truncated (while reading {what})"),
            )),
        }
    }

    fn u32(&mut self, what: &str) -> Result<u32> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self, what: &str) -> Result<u64> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    fn f64s(&mut self, count: usize, what: &str) -> Result<Vec<f64>> {
        let n = count
            .checked_mul(8)
            .ok_or_else(|| Error::model(self.path, format!("{what}: size overflows")))?;
        let b = self.take(n, what)?;
        let values: Vec<f64> = b
            .chunks_exact(8)
            .map(|c| {
                let mut a = [0u8; 8];
                a.copy_from_slice(c);
                f64::from_le_bytes(a)
            })
            .collect();
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(Error::model(
                self.path,
                format!("{what} has a non-finite value at position {i}"),
            ));
        }
        Ok(values)
    }
}

/// Parses and validates model bytes; `path` is only used in messages.
pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Classifier> {
    let bad = |msg: String| Error::model(path, msg);
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(bad(
            "not a docclass model file (train one with `docclass train --out FILE`)".into(),
        ));
    }
    let mut r = Reader {
        bytes,
        pos: MAGIC.len(),
        path,
    };
    let version = r.u32("format version")?;
    if version > FORMAT_VERSION {
        return Err(bad(format!(
            "written by a newer docclass (model format {version}); this docclass reads format \
             {FORMAT_VERSION}: upgrade docclass or retrain the model"
        )));
    }
    if version < OLDEST_FORMAT_VERSION {
        return Err(bad(format!(
            "model format {version} is no longer supported; retrain the model"
        )));
    }
    if bytes.len() < MAGIC.len() + 4 + 8 + 4 {
        return Err(bad("file is truncated".into()));
    }
    let (body, crc_bytes) = bytes.split_at(bytes.len() - 4);
    let stored = u32::from_le_bytes([crc_bytes[0], crc_bytes[1], crc_bytes[2], crc_bytes[3]]);
    if crc32fast::hash(body) != stored {
        return Err(bad(
            "checksum mismatch: the file is truncated or corrupted".into()
        ));
    }
    r.bytes = body;
    let header_len = r.u64("header length")?;
    let header_len =
        usize::try_from(header_len).map_err(|_| bad("header length overflows".into()))?;
    let header: Header = serde_json::from_slice(r.take(header_len, "header")?)
        .map_err(|e| bad(format!("unreadable header: {e}")))?;

    let k = header.labels.len();
    let d = header.n_features;
    if k == 0 {
        return Err(bad("model has no labels".into()));
    }
    if header.objective == Objective::Multinomial && k < 2 {
        return Err(bad("a single-label model needs at least two labels".into()));
    }
    let mut seen = std::collections::BTreeSet::new();
    for label in &header.labels {
        if label.trim().is_empty() || !seen.insert(label.as_str()) {
            return Err(bad(format!("invalid or duplicate label name {label:?}")));
        }
    }
    if header.thresholds.len() != k
        || header
            .thresholds
            .iter()
            .any(|t| !(t.is_finite() && *t > 0.0 && *t < 1.0))
    {
        return Err(bad(format!(
            "expected {k} thresholds strictly between 0 and 1, found {:?}",
            header.thresholds
        )));
    }
    // The arrays after the vocabulary have sizes fixed by the header; the
    // vocabulary fills exactly the bytes between the header and them. With
    // the checksum already verified, any mismatch here means the header's
    // shapes (n_features, labels) disagree with the data written after it.
    let shapes = |detail: String| {
        bad(format!(
            "inconsistent shapes: the header declares {d} features (n_features) and {k} labels, \
             but {detail}"
        ))
    };
    let gated = header.relevance_intercept.is_some();
    let gate_numbers = if gated { d } else { 0 };
    let numbers = d
        .checked_mul(k)
        .and_then(|dk| dk.checked_add(d))
        .and_then(|n| n.checked_add(gate_numbers))
        .and_then(|n| n.checked_add(k))
        .and_then(|n| n.checked_mul(8))
        .ok_or_else(|| shapes("those sizes overflow".into()))?;
    let after_header = r.bytes.len() - r.pos;
    // Each term takes at least its 4-byte length.
    let least = d.checked_mul(4).and_then(|v| v.checked_add(numbers));
    if least.is_none_or(|least| least > after_header) {
        return Err(shapes(format!(
            "only {after_header} bytes follow the header, too few for them"
        )));
    }
    let vocabulary_end = r.bytes.len() - numbers;
    let mut terms = Reader {
        bytes: &r.bytes[..vocabulary_end],
        pos: r.pos,
        path,
    };
    let mut vocabulary = Vec::with_capacity(d);
    for i in 0..d {
        let term = (|| {
            let len = terms.u32("vocabulary").ok()? as usize;
            terms.take(len, "vocabulary").ok()
        })()
        .ok_or_else(|| shapes(format!("the vocabulary ends after {i} terms")))?;
        let term = std::str::from_utf8(term)
            .map_err(|_| bad(format!("vocabulary term {i} is not UTF-8")))?;
        vocabulary.push(term.to_owned());
    }
    if terms.pos != vocabulary_end {
        return Err(shapes(format!(
            "{} bytes are left between the vocabulary and the weights",
            vocabulary_end - terms.pos
        )));
    }
    r.pos = vocabulary_end;
    let idf = r.f64s(d, "idf")?;
    if idf.iter().any(|&v| v < 1.0) {
        return Err(bad("idf values must be at least 1".into()));
    }
    let weights = r.f64s(d * k, "weights")?;
    let intercepts = r.f64s(k, "intercepts")?;
    let gate = match header.relevance_intercept {
        Some(intercept) if intercept.is_finite() => Some(super::Gate {
            weights: r.f64s(d, "relevance weights")?,
            intercept,
        }),
        Some(_) => return Err(bad("the relevance intercept is not finite".into())),
        None => None,
    };
    let mut sentence_scoped = vec![false; k];
    for name in &header.params.sentence_labels {
        match header.labels.iter().position(|l| l == name) {
            Some(c) => sentence_scoped[c] = true,
            None => {
                return Err(bad(format!(
                    "sentence label {name:?} is not one of the model's labels"
                )))
            }
        }
    }
    debug_assert_eq!(r.pos, r.bytes.len());
    let analyzer = header
        .params
        .check()
        .map_err(|e| bad(format!("invalid settings: {e}")))?;
    let vectorizer = TfidfVectorizer::from_parts(header.params.tfidf.clone(), vocabulary, idf)
        .map_err(|e| bad(e.to_string()))?;
    let mut model = Classifier {
        params: header.params,
        analyzer,
        vectorizer,
        labels: header.labels,
        objective: header.objective,
        weights,
        intercepts,
        thresholds: header.thresholds,
        gate,
        sentence_scoped,
        summary: header.training,
    };
    model.adopt_latin_fallback();
    Ok(model)
}
