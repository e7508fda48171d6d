package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

func TestTimingFollowsTheRustLogFilter(t *testing.T) {
	for filter, want := range map[string]bool{
		"":                                 false,
		"info":                             false,
		"info,fabric_shim::timing=debug":   true,
		"fabric_shim::timing=trace":        true,
		"debug":                            true,
		"info,fabric_shim::timing=info":    false,
		"info,medchain_contract=debug":     false,
		"warn, fabric_shim::timing=debug ": true,
	} {
		if got := timingEnabled(filter); got != want {
			t.Errorf("timingEnabled(%q) = %v, want %v", filter, got, want)
		}
	}
}

type answer struct{ status int32 }

// txStub answers only what the timing line needs.
type txStub struct {
	shim.ChaincodeStubInterface
	tx, channel string
}

func (s txStub) GetTxID() string      { return s.tx }
func (s txStub) GetChannelID() string { return s.channel }

func (a answer) Init(shim.ChaincodeStubInterface) *peer.Response {
	return &peer.Response{Status: a.status}
}

func (a answer) Invoke(shim.ChaincodeStubInterface) *peer.Response {
	return &peer.Response{Status: a.status}
}

// The line is the one medchain-bench parses from the Rust server
// (bench/src/chaincode_log.rs).
func TestATimedTransactionWritesTheRustTimingLine(t *testing.T) {
	var out bytes.Buffer
	clock := []time.Time{time.Date(2026, 1, 1, 10, 0, 0, 121000000, time.UTC), time.Date(2026, 1, 1, 10, 0, 0, 123456000, time.UTC)}
	next := func() time.Time { c := clock[0]; clock = clock[1:]; return c }
	stub := txStub{tx: "ab12", channel: "medchain"}
	timed{cc: answer{status: 403}, out: &out, now: next}.Invoke(stub)
	want := "2026-01-01T10:00:00.123456Z DEBUG fabric_shim::timing: transaction executed peer=- tx_id=ab12 channel=medchain micros=2456 ok=false\n"
	if out.String() != want {
		t.Fatalf("got %q\nwant %q", out.String(), want)
	}
}
