//! What a command prints on stdout: human text, or with `--json` one JSON
//! object (one per line for streaming commands). Errors and progress go to
//! stderr.

use std::io::Write;

use serde_json::{Value, json};

use super::error::CliError;

/// Where and how a command's results are printed.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    json: bool,
}

impl Output {
    /// Human text, or JSON when `json`.
    pub fn new(json: bool) -> Self {
        Self { json }
    }

    /// Whether `--json` was given.
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Prints a command's result: `human` as text, or `json` as one
    /// pretty-printed object.
    pub fn result(&self, human: &str, json: &Value) {
        if self.json {
            write_stdout(&serde_json::to_string_pretty(json).unwrap_or_default());
        } else {
            write_stdout(human.trim_end_matches('\n'));
        }
    }

    /// Prints one line of a stream (`watch`, `demo`): text, or one compact
    /// JSON object per line.
    pub fn line(&self, human: &str, json: &Value) {
        if self.json {
            write_stdout(&serde_json::to_string(json).unwrap_or_default());
        } else {
            write_stdout(human);
        }
    }

    /// Human text only (nothing in `--json` mode), e.g. a QR code.
    pub fn text(&self, human: &str) {
        if !self.json {
            write_stdout(human.trim_end_matches('\n'));
        }
    }

    /// A note for the user on stderr (not in `--json` mode).
    pub fn note(&self, message: &str) {
        if !self.json {
            let _ = writeln!(std::io::stderr().lock(), "{message}");
        }
    }

    /// Reports a failed command: the one sentence on stderr and, with
    /// `--json`, an error object on stdout.
    pub fn error(&self, error: &CliError) {
        let _ = writeln!(std::io::stderr().lock(), "error: {}", error.message());
        if self.json {
            write_stdout(
                &json!({
                    "error": {
                        "message": error.message(),
                        "kind": error.status().name(),
                        "exit_code": error.status().code(),
                    }
                })
                .to_string(),
            );
        }
    }
}

/// Writes a line to stdout; a closed stdout (e.g. `| head`) is not an error
/// worth a panic.
fn write_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
    let _ = stdout.flush();
}

/// The first 4 bytes of a key as 8 hex digits, for timelines (`1a2b3c4d…`).
pub fn short_hex(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(4)];
    format!("{}…", hex::encode(shown))
}

/// A record's bytes as JSON: `{"text": …}` when they are UTF-8, else
/// `{"hex": …}`; `{"undecryptable": true}` for a record that did not open.
pub fn content_json(bytes: Option<&[u8]>) -> Value {
    match bytes.map(std::str::from_utf8) {
        Some(Ok(text)) => json!({ "text": text }),
        Some(Err(_)) => json!({ "hex": hex::encode(bytes.unwrap_or_default()) }),
        None => json!({ "undecryptable": true }),
    }
}

/// A record's bytes for a terminal: the text, or a note for binary data or
/// a record that did not open.
pub fn content_text(bytes: Option<&[u8]>) -> String {
    match bytes {
        Some(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => text.to_owned(),
            Err(_) => format!(
                "<{} bytes of binary data; use `medchain read --record … --out FILE` to save them>",
                bytes.len()
            ),
        },
        None => {
            "<does not decrypt with the case key: written with another key or damaged>".to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_hex_shows_four_bytes() {
        assert_eq!(short_hex(&[0xab; 32]), "abababab…");
        assert_eq!(short_hex(&[1]), "01…");
    }

    #[test]
    fn binary_content_is_hex_in_json() {
        assert_eq!(content_json(Some(b"hi")), json!({"text": "hi"}));
        assert_eq!(content_json(Some(&[0xff, 0x00])), json!({"hex": "ff00"}));
        assert_eq!(content_json(None), json!({"undecryptable": true}));
        assert!(content_text(Some(&[0xff])).contains("1 bytes of binary data"));
        assert!(content_text(None).contains("does not decrypt"));
    }
}
