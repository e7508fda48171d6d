//! The user's password: from `--password-file`, from `MEDCHAIN_PASSWORD`
//! (both for automation), or asked on the terminal without echo. It is
//! held in zeroized memory and never printed or logged.

use std::io::IsTerminal;
use std::path::Path;

use zeroize::Zeroizing;

use super::error::CliError;

/// The environment variable holding the password for automation.
pub const PASSWORD_ENV: &str = "MEDCHAIN_PASSWORD";

/// The password of an existing wallet.
pub fn existing(file: Option<&Path>, wallet_dir: &Path) -> Result<Zeroizing<String>, CliError> {
    if let Some(password) = automated(file)? {
        return Ok(password);
    }
    prompt(&format!(
        "Password for the wallet in {}: ",
        wallet_dir.display()
    ))
}

/// The password of a new wallet; asked twice on the terminal.
pub fn new(file: Option<&Path>) -> Result<Zeroizing<String>, CliError> {
    if let Some(password) = automated(file)? {
        return Ok(password);
    }
    chosen(prompt)
}

/// A new password asked twice with `ask`; both answers must be the same.
fn chosen(
    mut ask: impl FnMut(&str) -> Result<Zeroizing<String>, CliError>,
) -> Result<Zeroizing<String>, CliError> {
    let first = ask("Choose a password (it protects your wallet and your cases): ")?;
    let second = ask("Repeat the password: ")?;
    if first != second {
        return Err(CliError::usage(
            "the two passwords differ; run `medchain init` again and type the same password twice",
        ));
    }
    Ok(first)
}

/// The password from the file or the environment, if either is given.
fn automated(file: Option<&Path>) -> Result<Option<Zeroizing<String>>, CliError> {
    if let Some(path) = file {
        return from_file(path).map(Some);
    }
    match std::env::var(PASSWORD_ENV) {
        Ok(value) => Ok(Some(non_empty(Zeroizing::new(value), PASSWORD_ENV)?)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(CliError::usage(format!(
            "{PASSWORD_ENV} is not valid UTF-8; set it to the password text"
        ))),
    }
}

/// The environment variable holding a CA enrollment secret for automation.
pub const CA_SECRET_ENV: &str = "MEDCHAIN_CA_SECRET";

/// The one-time enrollment secret for `init --ca`: from `file`, from
/// `MEDCHAIN_CA_SECRET`, or asked on the terminal without echo. Never a
/// command-line argument (other users could read it in the process list).
pub fn enrollment_secret(file: Option<&Path>) -> Result<Zeroizing<String>, CliError> {
    if let Some(path) = file {
        return first_line(path, "the secret file");
    }
    match std::env::var(CA_SECRET_ENV) {
        Ok(value) => non_empty(Zeroizing::new(value), CA_SECRET_ENV),
        Err(std::env::VarError::NotPresent) => ask(
            "Enrollment secret (from your organisation's administrator): ",
            &format!(
                "no enrollment secret was given and there is no terminal to ask for one; set {CA_SECRET_ENV} or pass --secret-file"
            ),
        ),
        Err(std::env::VarError::NotUnicode(_)) => Err(CliError::usage(format!(
            "{CA_SECRET_ENV} is not valid UTF-8; set it to the secret text"
        ))),
    }
}

/// The first line of a password file.
pub fn from_file(path: &Path) -> Result<Zeroizing<String>, CliError> {
    first_line(path, "the password file")
}

/// The first line of a file holding a password or secret.
fn first_line(path: &Path, what: &str) -> Result<Zeroizing<String>, CliError> {
    let content =
        Zeroizing::new(std::fs::read_to_string(path).map_err(|e| CliError::io(what, path, &e))?);
    let first = Zeroizing::new(
        content
            .lines()
            .next()
            .unwrap_or_default()
            .trim_end_matches('\r')
            .to_owned(),
    );
    non_empty(first, &format!("{what} {}", path.display()))
}

fn non_empty(password: Zeroizing<String>, origin: &str) -> Result<Zeroizing<String>, CliError> {
    if password.is_empty() {
        return Err(CliError::usage(format!(
            "{origin} holds an empty password or secret; put it on the first line"
        )));
    }
    Ok(password)
}

/// Asks for the password on the terminal without echo.
fn prompt(text: &str) -> Result<Zeroizing<String>, CliError> {
    ask(
        text,
        &format!(
            "no password was given and there is no terminal to ask for one; set {PASSWORD_ENV} or pass --password-file"
        ),
    )
}

/// Asks on the terminal without echo; `missing` is the sentence when there
/// is no terminal.
fn ask(text: &str, missing: &str) -> Result<Zeroizing<String>, CliError> {
    let no_terminal = || CliError::usage(missing);
    if !std::io::stdin().is_terminal() && !std::io::stderr().is_terminal() {
        return Err(no_terminal());
    }
    let password = Zeroizing::new(rpassword::prompt_password(text).map_err(|_| no_terminal())?);
    non_empty(password, "the prompt")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_password_file_gives_its_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "s3cret pässword\r\nignored\n").unwrap();
        assert_eq!(from_file(&path).unwrap().as_str(), "s3cret pässword");
    }

    #[test]
    fn an_enrollment_secret_file_gives_its_first_line_and_an_empty_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "one-time\nignored\n").unwrap();
        assert_eq!(enrollment_secret(Some(&path)).unwrap().as_str(), "one-time");
        std::fs::write(&path, "\n").unwrap();
        let e = enrollment_secret(Some(&path)).unwrap_err();
        assert_eq!(e.status().code(), 2);
        assert!(e.message().starts_with("the secret file"), "{e}");
    }

    #[test]
    fn a_new_password_must_be_typed_the_same_twice() {
        let answers = |a: &'static str, b: &'static str| {
            let mut answers = [a, b].into_iter();
            move |_: &str| Ok(Zeroizing::new(answers.next().unwrap().to_owned()))
        };
        let e = chosen(answers("s3cret", "s3cert")).unwrap_err();
        assert_eq!(e.status().code(), 2);
        assert_eq!(
            e.message(),
            "the two passwords differ; run `medchain init` again and type the same password twice"
        );
        assert_eq!(
            chosen(answers("s3cret", "s3cret")).unwrap().as_str(),
            "s3cret"
        );
    }

    #[test]
    fn empty_or_missing_password_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "\n").unwrap();
        let e = from_file(&path).unwrap_err();
        assert_eq!(e.status().code(), 2);
        assert!(e.message().contains("empty password or secret"), "{e}");
        let e = from_file(&dir.path().join("missing")).unwrap_err();
        assert_eq!(e.status().code(), 4);
    }
}
