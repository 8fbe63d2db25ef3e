//! Helpers shared by the integration tests (each test file is its own
//! crate; `mod common;` brings these in).

use std::fs;
use std::path::Path;

/// Files in `dir` whose name marks them as temporary output
/// (`io::write_atomic` writes `.NAME.tmp-PID` beside its destination).
pub fn temp_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .expect("ls")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect()
}
