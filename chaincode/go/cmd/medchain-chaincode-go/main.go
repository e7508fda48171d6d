// Command medchain-chaincode-go serves the Go reference implementation of
// the medchain contract as a chaincode-as-a-service (shim.ChaincodeServer
// of fabric-chaincode-go/v2), configured exactly like the Rust server
// medchain-chaincode:
//
//	CHAINCODE_SERVER_ADDRESS                 host:port to listen on (required)
//	CHAINCODE_ID (or CORE_CHAINCODE_ID_NAME) the package id (required)
//	CHAINCODE_TLS_CERT, CHAINCODE_TLS_KEY    PEM files: serve TLS (both or neither)
//	CHAINCODE_CLIENT_CA_CERT                 PEM file: require peer client
//	                                         certificates from this CA (mutual TLS)
//	RUST_LOG                                 with fabric_shim::timing=debug: one
//	                                         timing line per transaction on stdout,
//	                                         as the Rust server writes (timing.go)
//
// A missing or invalid variable stops it at start with exit status 2 and
// one line naming the variable.
package main

import (
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"medchain/chaincode/go/contract"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

func main() {
	log.SetFlags(log.LstdFlags | log.LUTC)
	server, err := configure(os.LookupEnv, os.ReadFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "medchain-chaincode-go: %v\n", err)
		os.Exit(2)
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		s := <-signals
		log.Printf("%v received, shutting down", s)
		os.Exit(0)
	}()
	log.Printf("serving chaincode %s on %s (TLS %t, client auth %t)", server.CCID, server.Address,
		!server.TLSProps.Disabled, len(server.TLSProps.ClientCACerts) > 0)
	if err := server.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "medchain-chaincode-go: %v\n", err)
		os.Exit(1)
	}
}

// configError names the variable at fault, what is wrong and the fix.
type configError struct{ variable, problem, fix string }

func (e *configError) Error() string { return e.variable + " " + e.problem + "; " + e.fix }

const (
	fixAddress = "set it to the host:port the chaincode server listens on, e.g. 0.0.0.0:9999"
	fixID      = "set CHAINCODE_ID to the chaincode package ID the peer knows (label:hash)"
	fixPair    = "set both CHAINCODE_TLS_CERT and CHAINCODE_TLS_KEY (TLS) or neither (plain TCP)"
)

// configure reads the server's configuration through lookup and readFile.
func configure(lookup func(string) (string, bool), readFile func(string) ([]byte, error)) (*shim.ChaincodeServer, error) {
	text := func(name string) string {
		v, _ := lookup(name)
		return v
	}
	address := text("CHAINCODE_SERVER_ADDRESS")
	if address == "" {
		return nil, &configError{"CHAINCODE_SERVER_ADDRESS", "is not set", fixAddress}
	}
	id, core := text("CHAINCODE_ID"), text("CORE_CHAINCODE_ID_NAME")
	switch {
	case id != "" && core != "" && id != core:
		return nil, &configError{"CHAINCODE_ID", fmt.Sprintf("(%q) and CORE_CHAINCODE_ID_NAME (%q) differ", id, core),
			"set only one of them, to the chaincode package ID (label:hash)"}
	case id == "" && core == "":
		return nil, &configError{"CHAINCODE_ID", "is not set (nor is CORE_CHAINCODE_ID_NAME)", fixID}
	case id == "":
		id = core
	}
	for _, r := range id {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' {
			return nil, &configError{"CHAINCODE_ID", fmt.Sprintf("(%q) contains whitespace", id), fixID}
		}
	}
	var cc shim.Chaincode = contract.Chaincode{}
	if timingEnabled(text("RUST_LOG")) {
		cc = timed{cc: cc, out: os.Stdout, now: time.Now}
	}
	server := &shim.ChaincodeServer{CCID: id, Address: address, CC: cc}
	cert, key, ca := text("CHAINCODE_TLS_CERT"), text("CHAINCODE_TLS_KEY"), text("CHAINCODE_CLIENT_CA_CERT")
	read := func(variable, path, fix string) ([]byte, error) {
		b, err := readFile(path)
		if err != nil {
			return nil, &configError{variable, fmt.Sprintf("(%q) cannot be read: %v", path, err), fix}
		}
		return b, nil
	}
	var err error
	switch {
	case cert == "" && key == "":
		if ca != "" {
			return nil, &configError{"CHAINCODE_CLIENT_CA_CERT",
				"is set but TLS is off (CHAINCODE_TLS_CERT and CHAINCODE_TLS_KEY are unset)",
				"set CHAINCODE_TLS_CERT and CHAINCODE_TLS_KEY too, or unset CHAINCODE_CLIENT_CA_CERT"}
		}
		server.TLSProps.Disabled = true
		return server, nil
	case key == "":
		return nil, &configError{"CHAINCODE_TLS_KEY", "is not set but CHAINCODE_TLS_CERT is", fixPair}
	case cert == "":
		return nil, &configError{"CHAINCODE_TLS_CERT", "is not set but CHAINCODE_TLS_KEY is", fixPair}
	}
	if server.TLSProps.Cert, err = read("CHAINCODE_TLS_CERT", cert, "set it to the path of the server's PEM certificate"); err != nil {
		return nil, err
	}
	if server.TLSProps.Key, err = read("CHAINCODE_TLS_KEY", key, "set it to the path of the PEM private key of CHAINCODE_TLS_CERT"); err != nil {
		return nil, err
	}
	if ca != "" {
		fixCA := "set it to the path of the PEM certificate of the CA that issues the peers' client certificates"
		if server.TLSProps.ClientCACerts, err = read("CHAINCODE_CLIENT_CA_CERT", ca, fixCA); err != nil {
			return nil, err
		}
	}
	return server, nil
}
