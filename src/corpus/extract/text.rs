//! Plain text in any encoding: the existing decoder ([`crate::corpus::decode`])
//! with its byte-order marks, strict UTF-8, statistical detection of legacy
//! encodings and rejection of binary files (images, executables, archives).

use crate::corpus::decode::decode;

/// Decodes a plain-text document.
pub fn extract_text(bytes: &[u8]) -> Result<String, String> {
    decode(bytes).map_err(|e| e.0)
}
