//! Progress bars on stderr, only when a person is watching: piped or
//! redirected runs (CI, scripts, `2> log`) get clean logs.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by `--quiet`: no progress, no summaries, no warnings; errors only.
static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

fn visible() -> bool {
    !quiet() && std::io::stderr().is_terminal()
}

/// A rate as a person reads it: "4,528/s", "3.2/s".
fn rate(state: &ProgressState, w: &mut dyn std::fmt::Write) {
    let per_sec = state.per_sec();
    let _ = if per_sec >= 100.0 {
        write!(w, "{}/s", thousands(per_sec.round() as u64))
    } else {
        write!(w, "{per_sec:.1}/s")
    };
}

/// "1 document", "2 documents".
fn documents(state: &ProgressState, w: &mut dyn std::fmt::Write) {
    let n = state.pos();
    let _ = write!(
        w,
        "{} document{}",
        thousands(n),
        if n == 1 { "" } else { "s" }
    );
}

/// 1234567 as "1,234,567".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A bar over a known number of steps.
pub fn bar(len: u64, message: &str) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(Some(len), target());
    if let Ok(style) = ProgressStyle::with_template(
        "{msg:>12} [{elapsed_precise}] {bar:40} {pos}/{len} ({rate}, eta {eta})",
    ) {
        pb.set_style(style.with_key("rate", rate));
    }
    pb.set_message(message.to_string());
    pb
}

/// A counter for work of unknown size (streamed input). Not drawn when the
/// records themselves go to the terminal: they are the progress, and a
/// spinner redrawn between them would garble both.
pub fn counter(message: &str) -> ProgressBar {
    let target = if std::io::stdout().is_terminal() {
        ProgressDrawTarget::hidden()
    } else {
        target()
    };
    let pb = ProgressBar::with_draw_target(None, target);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {msg} {documents} [{elapsed_precise}, {rate}]")
    {
        pb.set_style(
            style
                .with_key("rate", rate)
                .with_key("documents", documents),
        );
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

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_grouped() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(4528), "4,528");
        assert_eq!(super::thousands(1_234_567), "1,234,567");
    }
}
