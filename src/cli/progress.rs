//! Progress bars on stderr, only when a person is watching: piped or
//! redirected runs (CI, scripts, `2> log`) get clean logs.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

fn visible() -> bool {
    std::io::stderr().is_terminal()
}

/// A bar over a known number of steps.
pub fn bar(len: u64, message: &str) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(Some(len), target());
    if let Ok(style) = ProgressStyle::with_template(
        "{msg:>12} [{elapsed_precise}] {bar:40} {pos}/{len} ({per_sec}, eta {eta})",
    ) {
        pb.set_style(style);
    }
    pb.set_message(message.to_string());
    pb
}

/// A counter for work of unknown size (streamed input).
pub fn counter(message: &str) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(None, target());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} {msg} {pos} documents [{elapsed_precise}, {per_sec}]",
    ) {
        pb.set_style(style);
    }
    pb.set_message(message.to_string());
    pb
}

/// A spinner naming the current stage of a long computation.
pub fn stages() -> ProgressBar {
    let pb = ProgressBar::with_draw_target(None, target());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{elapsed_precise}]") {
        pb.set_style(style);
    }
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

fn target() -> ProgressDrawTarget {
    if visible() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}
