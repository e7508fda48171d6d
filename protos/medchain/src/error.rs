//! The contract's error codes and their wire form.
//!
//! A refused call ends in a chaincode response whose `status` is the code's
//! class ([`ErrorCode::status`]) and whose `message` is
//!
//! ```text
//! <code>: <sentence>
//! ```
//!
//! `<code>` is one of the lowercase names of [`ErrorCode::as_str`] (`bad_call`,
//! `invalid`, `unauthorized`, `already_stored`, `out_of_order`, `not_found`,
//! `corrupt`, `ledger`), followed by exactly one colon and one space, then a
//! non-empty sentence for people (its wording is not part of the protocol).
//! Every implementation of the contract emits this form and every client
//! reads it with [`ContractFailure::parse`]; no client looks for words
//! inside the sentence. `docs/protocol.md` is the specification.

use std::fmt;
use std::str::FromStr;

/// Why the contract refused a call: the stable, machine-readable part of
/// its response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The function name or the argument count is wrong (status 400).
    BadCall,
    /// The argument is malformed or violates a bound (status 400).
    Invalid,
    /// The creator may not store this record (status 403).
    Unauthorized,
    /// The key is already stored: storing is write-once (status 409).
    AlreadyStored,
    /// A workflow step came before a step it depends on (status 409).
    OutOfOrder,
    /// What the call refers to does not exist (status 404).
    NotFound,
    /// A stored value that should be valid does not decode (status 500).
    Corrupt,
    /// The peer refused a ledger read or write (status 500).
    Ledger,
}

impl ErrorCode {
    /// Every code, in the order of the specification's table.
    pub const ALL: [ErrorCode; 8] = [
        ErrorCode::BadCall,
        ErrorCode::Invalid,
        ErrorCode::Unauthorized,
        ErrorCode::AlreadyStored,
        ErrorCode::OutOfOrder,
        ErrorCode::NotFound,
        ErrorCode::Corrupt,
        ErrorCode::Ledger,
    ];

    /// The code's name on the wire (the part of the message before `": "`).
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadCall => "bad_call",
            ErrorCode::Invalid => "invalid",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::AlreadyStored => "already_stored",
            ErrorCode::OutOfOrder => "out_of_order",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Corrupt => "corrupt",
            ErrorCode::Ledger => "ledger",
        }
    }

    /// The chaincode response status of a refusal with this code: 400 for
    /// a bad call or invalid input, 403 unauthorized, 404 not found, 409
    /// already stored or out of order, 500 corrupt state or a ledger
    /// failure. Every status is an error status for Fabric (400 to 599).
    pub const fn status(self) -> i32 {
        match self {
            ErrorCode::BadCall | ErrorCode::Invalid => 400,
            ErrorCode::Unauthorized => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::AlreadyStored | ErrorCode::OutOfOrder => 409,
            ErrorCode::Corrupt | ErrorCode::Ledger => 500,
        }
    }

    /// The response message of a refusal with this code: `<code>: <sentence>`.
    pub fn message(self, sentence: &str) -> String {
        format!("{}: {sentence}", self.as_str())
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the contract's error codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a medchain contract error code")]
pub struct UnknownErrorCode(pub String);

impl FromStr for ErrorCode {
    type Err = UnknownErrorCode;

    /// Reads a code's wire name exactly (lowercase, as [`ErrorCode::as_str`]).
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        ErrorCode::ALL
            .into_iter()
            .find(|code| code.as_str() == name)
            .ok_or_else(|| UnknownErrorCode(name.to_owned()))
    }
}

/// A refusal read back from a chaincode response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractFailure {
    /// What kind of refusal it is.
    pub code: ErrorCode,
    /// The sentence after `"<code>: "` (for people; never parse it).
    pub message: String,
}

impl ContractFailure {
    /// Reads a chaincode response's `status` and `message` as a refusal of
    /// the contract, or `None` when they are not exactly the documented
    /// form: the message must be `<code>: <sentence>` with a known code and
    /// a non-empty sentence, and the status must be the code's
    /// ([`ErrorCode::status`]).
    pub fn parse(status: i32, message: &str) -> Option<ContractFailure> {
        let (name, sentence) = message.split_once(": ")?;
        let code: ErrorCode = name.parse().ok()?;
        if code.status() != status || sentence.is_empty() {
            return None;
        }
        Some(ContractFailure {
            code,
            message: sentence.to_owned(),
        })
    }

    /// The response status of this refusal.
    pub fn status(&self) -> i32 {
        self.code.status()
    }
}

impl fmt::Display for ContractFailure {
    /// The wire form, `<code>: <sentence>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_wire_name() {
        for code in ErrorCode::ALL {
            assert_eq!(code.as_str().parse::<ErrorCode>(), Ok(code));
            assert_eq!(code.to_string(), code.as_str());
            assert!((400..=599).contains(&code.status()), "{code}");
        }
    }

    #[test]
    fn the_statuses_are_the_documented_classes() {
        let statuses: Vec<(&str, i32)> = ErrorCode::ALL
            .into_iter()
            .map(|c| (c.as_str(), c.status()))
            .collect();
        assert_eq!(
            statuses,
            [
                ("bad_call", 400),
                ("invalid", 400),
                ("unauthorized", 403),
                ("already_stored", 409),
                ("out_of_order", 409),
                ("not_found", 404),
                ("corrupt", 500),
                ("ledger", 500),
            ]
        );
    }

    #[test]
    fn a_refusal_parses_back_into_its_code_and_sentence() {
        for code in ErrorCode::ALL {
            let wire = code.message("there is no case 00");
            let failure = ContractFailure::parse(code.status(), &wire);
            assert_eq!(
                failure,
                Some(ContractFailure {
                    code,
                    message: "there is no case 00".into()
                })
            );
            assert_eq!(failure.map(|f| f.to_string()), Some(wire));
        }
    }

    #[test]
    fn only_the_first_separator_ends_the_code() {
        let failure = ContractFailure::parse(400, "invalid: reg: the role is unknown");
        assert_eq!(
            failure.map(|f| (f.code, f.message)),
            Some((ErrorCode::Invalid, "reg: the role is unknown".into()))
        );
    }

    #[test]
    fn a_sentence_mentioning_another_code_keeps_its_own() {
        let failure = ContractFailure::parse(400, "invalid: the argument says not_found: 7");
        assert_eq!(failure.map(|f| f.code), Some(ErrorCode::Invalid));
    }

    #[test]
    fn an_unknown_code_is_refused() {
        assert_eq!(
            "missing".parse::<ErrorCode>(),
            Err(UnknownErrorCode("missing".into()))
        );
        assert_eq!(ContractFailure::parse(404, "missing: no case"), None);
        // The codes are exact: no other case, spelling or padding.
        assert_eq!(ContractFailure::parse(404, "NOT_FOUND: no case"), None);
        assert_eq!(ContractFailure::parse(404, "not found: no case"), None);
        assert_eq!(ContractFailure::parse(404, " not_found: no case"), None);
    }

    #[test]
    fn a_status_that_disagrees_with_the_code_is_refused() {
        assert_eq!(ContractFailure::parse(500, "not_found: no case"), None);
        assert_eq!(ContractFailure::parse(200, "not_found: no case"), None);
        assert_eq!(ContractFailure::parse(409, "invalid: bad"), None);
    }

    #[test]
    fn a_message_without_the_separator_is_refused() {
        assert_eq!(ContractFailure::parse(404, "not_found"), None);
        assert_eq!(ContractFailure::parse(404, "not_found:no case"), None);
        assert_eq!(ContractFailure::parse(404, "not_found no case"), None);
        assert_eq!(ContractFailure::parse(404, "not_found: "), None);
        assert_eq!(ContractFailure::parse(404, ""), None);
    }
}
