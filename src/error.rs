//! Library errors. Every variant that concerns a file names it, so that the
//! CLI can print a message the user can act on without a backtrace.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The I/O error is part of the message rather than a `source`, so that
    /// error chains (`anyhow`'s `{:#}`) do not print it twice.
    #[error("{path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },

    /// A record in a data file could not be used. `line` is 1-based; 0 means
    /// the problem concerns the whole file.
    #[error("{}: {message}", location(path, *line))]
    Data {
        path: PathBuf,
        line: u64,
        message: String,
    },

    /// A model file is unreadable, inconsistent or from an unsupported version.
    #[error("model {path}: {message}")]
    Model { path: PathBuf, message: String },

    /// Hyperparameters that cannot work, reported before any work is done.
    #[error("invalid setting: {0}")]
    InvalidParams(String),

    /// Training cannot proceed with the data it was given.
    #[error("cannot train: {0}")]
    Training(String),
}

fn location(path: &std::path::Path, line: u64) -> String {
    if line == 0 {
        path.display().to_string()
    } else {
        format!("{}:{line}", path.display())
    }
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, cause: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            cause,
        }
    }

    pub fn data(path: impl Into<PathBuf>, line: u64, message: impl Into<String>) -> Self {
        Error::Data {
            path: path.into(),
            line,
            message: message.into(),
        }
    }

    pub fn model(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Model {
            path: path.into(),
            message: message.into(),
        }
    }
}
