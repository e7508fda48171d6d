// Package contract is the Go reference implementation of the medchain
// medical records contract: the same functions, validation rules, error
// codes and messages, state keys, events and response bytes as the Rust
// contract (chaincode/contract), so that peers running either endorse the
// same transactions identically (docs/chaincode.md, docs/protocol.md).
package contract

import (
	"unicode/utf8"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Function names (argument 0 of every call).
const (
	FunctionStore          = "Store"
	FunctionGet            = "Get"
	FunctionGetCase        = "GetCase"
	FunctionGetParticipant = "GetParticipant"
)

// Stub is the part of shim.ChaincodeStubInterface the contract uses.
type Stub interface {
	GetArgs() [][]byte
	GetTxID() string
	GetCreator() ([]byte, error)
	GetTxTimestamp() (*timestamppb.Timestamp, error)
	GetState(key string) ([]byte, error)
	PutState(key string, value []byte) error
	GetStateByPartialCompositeKeyWithPagination(objectType string, keys []string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error)
	SetEvent(name string, payload []byte) error
}

// MedicalRecords is the contract (stateless: all state is on the ledger).
type MedicalRecords struct{}

// Call runs one invocation (a TRANSACTION message): its payload, or a
// refusal (*Error).
func (MedicalRecords) Call(stub Stub) ([]byte, error) {
	function, rest, err := splitCall(stub)
	if err != nil {
		return nil, err
	}
	switch function {
	case FunctionGetPolicy:
		if len(rest) != 0 {
			return nil, refuse(BadCall, "GetPolicy takes no argument, got %d", len(rest))
		}
		return getPolicy(stub)
	case FunctionInit:
		return nil, refuse(BadCall, "Init runs only as the chaincode's initialization (invoke it with --isInit on a definition approved with --init-required)")
	}
	known := function == FunctionStore || function == FunctionGet || function == FunctionGetCase || function == FunctionGetParticipant
	if !known {
		return nil, refuse(BadCall, "unknown function %s; use Store, Get, GetCase, GetParticipant or GetPolicy", rustQuote(function))
	}
	if function == FunctionGetCase {
		if len(rest) == 1 || len(rest) == 2 {
			return getCase(stub, rest[0], rest[1:])
		}
		return nil, refuse(BadCall, "GetCase takes the case key κ0 and an optional bookmark, got %d arguments", len(rest))
	}
	if len(rest) != 1 {
		return nil, refuse(BadCall, "%s takes exactly one argument, got %d", function, len(rest))
	}
	argument := rest[0]
	switch function {
	case FunctionStore:
		return store(stub, argument)
	case FunctionGet:
		return get(stub, argument)
	default:
		return getParticipant(stub, argument)
	}
}

// Initialize runs the chaincode's initialization (an INIT message): Init
// with the consortium's role policy.
func (MedicalRecords) Initialize(stub Stub) ([]byte, error) {
	function, rest, err := splitCall(stub)
	if err != nil {
		return nil, err
	}
	if function != FunctionInit {
		return nil, refuse(BadCall, "the chaincode's initialization must call Init with the role policy, not %s", rustQuote(function))
	}
	if len(rest) != 1 {
		return nil, refuse(BadCall, "Init takes exactly one argument (the hex-encoded role policy), got %d", len(rest))
	}
	return initPolicy(stub, rest[0])
}

// splitCall is the function name (UTF-8) and the arguments after it.
func splitCall(stub Stub) (string, [][]byte, error) {
	args := stub.GetArgs()
	if len(args) == 0 {
		return "", nil, refuse(BadCall, "no function name was given")
	}
	if !utf8.Valid(args[0]) {
		return "", nil, refuse(BadCall, "the function name is not UTF-8")
	}
	return string(args[0]), args[1:], nil
}

// Response turns a result of Call into the chaincode response: the
// payload with status 200, or the refusal's status and wire form with an
// empty payload.
func Response(payload []byte, err error) *peer.Response {
	if err == nil {
		return shim.Success(payload)
	}
	refusal, ok := err.(*Error)
	if !ok {
		refusal = ledgerError(err)
	}
	return &peer.Response{Status: refusal.Code.Status, Message: refusal.Error()}
}

// Chaincode adapts the contract to the Go shim.
type Chaincode struct{ Contract MedicalRecords }

// Init answers the chaincode's INIT message (the definition is approved
// with --init-required): Init with the role policy.
func (c Chaincode) Init(stub shim.ChaincodeStubInterface) *peer.Response {
	return Response(c.Contract.Initialize(stub))
}

// Invoke runs one transaction.
func (c Chaincode) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	return Response(c.Contract.Call(stub))
}
