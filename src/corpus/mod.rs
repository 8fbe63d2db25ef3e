//! Documents in: labelled training data and documents to classify, with
//! decoding of legacy encodings.

pub mod decode;
pub mod input;
mod labelled;
pub mod records;

pub use input::{check_inputs, documents, InputDocument};
pub use labelled::{
    read_labelled, read_labelled_paths, LabelledData, LabelledDocument, ReadOptions,
    DEFAULT_MAX_DOC_BYTES,
};
