//! Documents in: labelled training data and documents to classify, with
//! decoding of legacy encodings and text extraction from PDF, Word,
//! OpenDocument and HTML files.

pub mod columnar;
pub mod csv_records;
pub mod decode;
pub mod extract;
pub mod input;
mod labelled;
pub mod records;

pub use extract::{extract, DocumentFormat, Extracted, EXTRACT_TIME_LIMIT};
pub use input::{check_inputs, documents, read_document, read_document_file, InputDocument};
pub use labelled::{
    read_background_paths, read_labelled, read_labelled_csv, read_labelled_paths, LabelledData,
    LabelledDocument, ReadOptions, DEFAULT_MAX_DOC_BYTES,
};
