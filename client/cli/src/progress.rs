//! Spinners on stderr while waiting for a commit or for responses — only
//! when stderr is a terminal and `--json` is off.

use std::future::Future;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::output::Output;

/// A spinner, or nothing when stderr is not a terminal or `--json` is on.
pub struct Spinner(Option<ProgressBar>);

impl Spinner {
    /// Starts a spinner showing `message`.
    pub fn start(out: &Output, message: &str) -> Self {
        if out.is_json() || !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        bar.set_message(message.to_owned());
        bar.enable_steady_tick(Duration::from_millis(100));
        Self(Some(bar))
    }

    /// Stops showing the spinner (before output goes to the terminal).
    pub fn clear(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }

    /// Changes the message.
    pub fn set_message(&self, message: &str) {
        if let Some(bar) = &self.0 {
            bar.set_message(message.to_owned());
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// Awaits `future` with a spinner showing `message`.
pub async fn during<F: Future>(out: &Output, message: &str, future: F) -> F::Output {
    let _spinner = Spinner::start(out, message);
    future.await
}

/// Byte progress bars for attachments, one per file in turn — only when
/// stderr is a terminal and `--json` is off.
pub struct TransferBars {
    /// `(label, total bytes)` of each file, by position.
    files: Vec<(String, u64)>,
    current: Option<(usize, ProgressBar)>,
    shown: bool,
}

impl TransferBars {
    /// Bars for `files` (`(label, total bytes)` each), e.g. "encrypting and
    /// storing scan.dcm".
    pub fn new(out: &Output, files: Vec<(String, u64)>) -> Self {
        Self {
            files,
            current: None,
            shown: !out.is_json() && std::io::stderr().is_terminal(),
        }
    }

    /// Shows that file `index` has `done` bytes done.
    pub fn update(&mut self, index: usize, done: u64) {
        if !self.shown {
            return;
        }
        if self.current.as_ref().is_none_or(|(i, _)| *i != index) {
            if let Some((_, bar)) = self.current.take() {
                bar.finish();
            }
            let (label, total) = self.files.get(index).cloned().unwrap_or_default();
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(label);
            self.current = Some((index, bar));
        }
        if let Some((_, bar)) = &self.current {
            bar.set_position(done);
        }
    }
}

impl Drop for TransferBars {
    fn drop(&mut self) {
        if let Some((_, bar)) = self.current.take() {
            bar.finish_and_clear();
        }
    }
}
