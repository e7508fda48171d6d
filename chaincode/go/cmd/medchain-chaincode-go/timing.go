package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// timingTarget is the Rust shim's opt-in tracing target for one line per
// transaction; RUST_LOG enabling it at debug (as the network's
// MEDCHAIN_CHAINCODE_LOG does for both servers) turns the same lines on
// here, so medchain-bench reads both implementations' chaincode time alike.
const timingTarget = "fabric_shim::timing"

// timingEnabled reports whether a RUST_LOG filter enables timingTarget at
// debug or trace ("fabric_shim::timing=debug", or a global "debug").
func timingEnabled(filter string) bool {
	for _, directive := range strings.Split(filter, ",") {
		directive = strings.TrimSpace(directive)
		target, level, found := strings.Cut(directive, "=")
		if !found {
			target, level = "", target
		}
		if target != "" && target != timingTarget && target != "fabric_shim" {
			continue
		}
		if level == "debug" || level == "trace" {
			return true
		}
	}
	return false
}

// timed wraps a chaincode: every Invoke writes, when it finishes,
// `<RFC 3339 UTC, microseconds>Z DEBUG fabric_shim::timing: transaction
// executed peer=- tx_id=… channel=… micros=… ok=…` to out (the Rust
// shim's line: from the peer's TRANSACTION to the reply, state round trips
// included; the Go shim does not expose the peer's address).
type timed struct {
	cc  shim.Chaincode
	out io.Writer
	now func() time.Time
}

func (t timed) Init(stub shim.ChaincodeStubInterface) *peer.Response {
	return t.record(stub, t.cc.Init)
}

func (t timed) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	return t.record(stub, t.cc.Invoke)
}

func (t timed) record(stub shim.ChaincodeStubInterface, call func(shim.ChaincodeStubInterface) *peer.Response) *peer.Response {
	start := t.now()
	response := call(stub)
	end := t.now()
	ok := response != nil && response.GetStatus() < 400
	fmt.Fprintf(t.out, "%s DEBUG %s: transaction executed peer=- tx_id=%s channel=%s micros=%d ok=%t\n",
		end.UTC().Format("2006-01-02T15:04:05.000000Z"), timingTarget, stub.GetTxID(), stub.GetChannelID(),
		end.Sub(start).Microseconds(), ok)
	return response
}
