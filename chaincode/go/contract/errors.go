package contract

import "fmt"

// Code is one of the protocol's error codes (protos/medchain/src/error.rs,
// docs/protocol.md "Refusals"): its wire name and its response status.
type Code struct {
	Name   string
	Status int32
}

// The error codes, in the order of the specification's table.
var (
	BadCall       = Code{"bad_call", 400}
	Invalid       = Code{"invalid", 400}
	Unauthorized  = Code{"unauthorized", 403}
	AlreadyStored = Code{"already_stored", 409}
	OutOfOrder    = Code{"out_of_order", 409}
	NotFound      = Code{"not_found", 404}
	Corrupt       = Code{"corrupt", 500}
	Ledger        = Code{"ledger", 500}
)

// AllCodes lists every code once.
var AllCodes = []Code{BadCall, Invalid, Unauthorized, AlreadyStored, OutOfOrder, NotFound, Corrupt, Ledger}

// Error is a refusal of the contract. Error() is the wire form
// `<code>: <sentence>` that the client sees as the response message.
type Error struct {
	Code     Code
	Sentence string
}

func (e *Error) Error() string { return e.Code.Name + ": " + e.Sentence }

func refuse(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Sentence: fmt.Sprintf(format, args...)}
}

// invalid is `invalid: <record>: <message>`.
func invalid(record, format string, args ...any) *Error {
	return &Error{Code: Invalid, Sentence: record + ": " + fmt.Sprintf(format, args...)}
}

// unauthorized is `unauthorized: <record>: <message>`.
func unauthorized(record, format string, args ...any) *Error {
	return &Error{Code: Unauthorized, Sentence: record + ": " + fmt.Sprintf(format, args...)}
}

// ledgerError wraps a failed stub call (the peer refused a read or write).
func ledgerError(err error) *Error {
	return &Error{Code: Ledger, Sentence: err.Error()}
}
