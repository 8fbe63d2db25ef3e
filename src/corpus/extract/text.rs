//! Plain text in any encoding: the existing decoder ([`crate::corpus::decode`])
//! with its byte-order marks, strict UTF-8, statistical detection of legacy
//! encodings and rejection of binary files (images, executables, archives).

use crate::corpus::decode::{decode, decode_owned};

/// Decodes a plain-text document.
pub fn extract_text(bytes: &[u8]) -> Result<String, String> {
    decode(bytes).map_err(|e| e.0)
}

/// Decodes a plain-text document it owns: UTF-8 is not copied.
pub fn extract_text_owned(bytes: Vec<u8>) -> Result<String, String> {
    decode_owned(bytes).map_err(|e| e.0)
}
