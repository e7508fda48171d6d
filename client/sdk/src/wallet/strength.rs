//! How strong a new password must be. One password protects a user's wallet
//! and every case it takes part in, and every record of a case is an
//! offline test of it (one Argon2id evaluation per guess), so a new wallet
//! refuses a password that a guesser would find early. The estimate is
//! zxcvbn's (dictionaries, names, keyboard patterns, dates, repeats, l33t),
//! with the user's own name as a dictionary word.

use zxcvbn::{Score, zxcvbn};

/// The least zxcvbn score a new password needs: 4, "very unguessable:
/// strong protection from an offline slow-hash scenario" (an estimated
/// 10^10 guesses or more). Score 3 (10^8) falls to a GPU farm in seconds
/// even at the default Argon2id floor (docs/security.md).
pub const MIN_SCORE: Score = Score::Four;

/// Checks a new password; `context` holds words an attacker would try
/// first (the user's name, the wallet's name). The error is one sentence:
/// what is wrong, and what to do.
pub fn check_new_password(password: &str, context: &[&str]) -> Result<(), String> {
    let estimate = zxcvbn(password, context);
    if estimate.score() >= MIN_SCORE {
        return Ok(());
    }
    let why = estimate
        .feedback()
        .and_then(|f| f.warning())
        .map(|w| format!(" ({})", w.to_string().trim_end_matches('.').to_lowercase()))
        .unwrap_or_default();
    Err(format!(
        "the password is too easy to guess{why}: about 10^{:.0} guesses would find it, and every record of your cases lets anyone try guesses offline; choose a longer one, e.g. four or five unrelated words",
        estimate.guesses_log10()
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn weak_passwords_are_refused_with_a_sentence() {
        for weak in [
            "password",
            "123456",
            "qwertyuiop",
            "alice2024",
            "Password1!",
            "letmein123",
            "aaaaaaaaaaaa",
        ] {
            let error = check_new_password(weak, &["alice"]).unwrap_err();
            assert!(
                error.starts_with("the password is too easy to guess"),
                "{weak}: {error}"
            );
            assert!(error.contains("choose a longer one"), "{error}");
            if weak != "password" {
                assert!(
                    !error.contains(weak),
                    "the sentence must not echo the password"
                );
            }
        }
    }

    #[test]
    fn the_users_own_name_counts_against_it() {
        let phrase = "vivid otter maple quartz";
        assert!(check_new_password(phrase, &[]).is_ok());
        assert!(check_new_password(phrase, &["vivid otter maple quartz"]).is_err());
    }

    #[test]
    fn strong_passwords_pass() {
        for strong in [
            "correct horse battery staple",
            "vivid-otter-maple-quartz-91",
            "κωδικός πρόσβασης ασφαλής τώρα",
        ] {
            check_new_password(strong, &["alice"]).unwrap();
        }
    }
}
