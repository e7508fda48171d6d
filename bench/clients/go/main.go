// The official Go Gateway client (github.com/hyperledger/fabric-gateway
// v1.12.0) as a driver of medchain-bench client-compare (issue 13 §3).
//
// It replays a workload made by `medchain-bench client-workload` without
// knowing anything of medchain: the manifest names the gateway, the
// identity, the channel, the chaincode and its two functions; the workload
// files hold hex arguments, one a line. The phases, their flags and the JSON
// written to stdout are those of the Node driver (../node/bench.mjs) and of
// `medchain-bench client-run --driver ours`:
//
//  1. evaluate: --get-warmup calls, then --get-calls timed calls, one after
//     the other, cycling through the stored keys; each answer is checked
//     against the workload's expected answer;
//  2. submit: --store-warmup, then --store-calls timed submit+commit calls,
//     one after the other (a transaction committed invalid is a failure);
//  3. throughput: for each --concurrency level, --level-tx submissions (at
//     most --level-seconds seconds of new ones, 0 = no limit) with that many
//     in flight; committed transactions per second;
//
// with the CPU time (user + system, getrusage) of each phase and of the whole
// process, and the peak resident set (ru_maxrss).
package main

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

const clientName = "github.com/hyperledger/fabric-gateway v1.12.0"

// manifest is the workload's manifest.json.
type manifest struct {
	Format  string `json:"format"`
	Gateway struct {
		Endpoint   string `json:"endpoint"`
		TLSCA      string `json:"tls_ca"`
		ServerName string `json:"server_name"`
	} `json:"gateway"`
	MspID         string `json:"msp_id"`
	Cert          string `json:"cert"`
	Key           string `json:"key"`
	Channel       string `json:"channel"`
	Chaincode     string `json:"chaincode"`
	StoreFunction string `json:"store_function"`
	GetFunction   string `json:"get_function"`
	StoreFile     string `json:"store_file"`
	StoreCount    int    `json:"store_count"`
	GetFile       string `json:"get_file"`
	GetCount      int    `json:"get_count"`
	AnswerFile    string `json:"get_answer_file"`
}

const manifestFormat = "medchain-client-workload-v1"

// sequential is the result of a sequential phase.
type sequential struct {
	Warmup     int       `json:"warmup"`
	Ok         int       `json:"ok"`
	Failed     int       `json:"failed"`
	FirstError string    `json:"first_error"`
	Latencies  []float64 `json:"latencies_s"`
	CPU        float64   `json:"cpu_s"`
	Elapsed    float64   `json:"elapsed_s"`
}

// level is the result of one concurrency level.
type level struct {
	Concurrency int     `json:"concurrency"`
	Submitted   int     `json:"submitted"`
	Committed   int     `json:"committed"`
	Failed      int     `json:"failed"`
	FirstError  string  `json:"first_error"`
	Elapsed     float64 `json:"elapsed_s"`
	CPU         float64 `json:"cpu_s"`
}

// result is what the driver prints.
type result struct {
	Driver      string     `json:"driver"`
	Client      string     `json:"client"`
	Runtime     string     `json:"runtime"`
	StoreOffset int        `json:"store_offset"`
	StoreUsed   int        `json:"store_used"`
	Evaluate    sequential `json:"evaluate"`
	Submit      sequential `json:"submit"`
	Levels      []level    `json:"levels"`
	CPU         float64    `json:"cpu_s"`
	CPUTick     float64    `json:"cpu_resolution_s"`
	PeakRSSKiB  int64      `json:"peak_rss_kib"`
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "go driver: "+format+"\n", args...)
	os.Exit(1)
}

// cpuSeconds is the process's user + system CPU time.
func cpuSeconds() float64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		fail("getrusage: %v", err)
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(usage.Utime) + tv(usage.Stime)
}

// peakRSSKiB is the process's peak resident set in KiB (ru_maxrss is in KiB
// on Linux).
func peakRSSKiB() int64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		fail("getrusage: %v", err)
	}
	return int64(usage.Maxrss)
}

// readLines reads `count` hex lines from `path` starting at line `offset`
// (0-based), holding only those.
func readLines(path string, offset, count int) [][]byte {
	file, err := os.Open(path)
	if err != nil {
		fail("%v", err)
	}
	defer file.Close()
	scanner := bufio.NewScanner(file)
	scanner.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	out := make([][]byte, 0, count)
	for line := 0; len(out) < count && scanner.Scan(); line++ {
		if line < offset {
			continue
		}
		decoded, err := hex.DecodeString(strings.TrimSpace(scanner.Text()))
		if err != nil {
			fail("%s line %d is not hex: %v", path, line+1, err)
		}
		out = append(out, decoded)
	}
	if err := scanner.Err(); err != nil {
		fail("%s: %v", path, err)
	}
	if len(out) < count {
		fail("%s has %d lines from line %d, %d needed; make a larger workload", path, len(out), offset+1, count)
	}
	return out
}

func connect(m *manifest) (*client.Gateway, *grpc.ClientConn) {
	caPEM, err := os.ReadFile(m.Gateway.TLSCA)
	if err != nil {
		fail("%v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		fail("%s holds no certificate", m.Gateway.TLSCA)
	}
	conn, err := grpc.NewClient(m.Gateway.Endpoint,
		grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, m.Gateway.ServerName)))
	if err != nil {
		fail("%v", err)
	}
	certPEM, err := os.ReadFile(m.Cert)
	if err != nil {
		fail("%v", err)
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		fail("%s: %v", m.Cert, err)
	}
	id, err := identity.NewX509Identity(m.MspID, cert)
	if err != nil {
		fail("%v", err)
	}
	keyPEM, err := os.ReadFile(m.Key)
	if err != nil {
		fail("%v", err)
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		fail("%s: %v", m.Key, err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		fail("%v", err)
	}
	gateway, err := client.Connect(id, client.WithSign(sign), client.WithClientConnection(conn),
		client.WithEvaluateTimeout(30*time.Second), client.WithEndorseTimeout(30*time.Second),
		client.WithSubmitTimeout(30*time.Second), client.WithCommitStatusTimeout(60*time.Second))
	if err != nil {
		fail("%v", err)
	}
	return gateway, conn
}

// evaluate calls the get function on `key` and checks the answer.
func evaluate(contract *client.Contract, function string, key, want []byte) error {
	answer, err := contract.Evaluate(function, client.WithBytesArguments(key))
	if err != nil {
		return err
	}
	if !bytes.Equal(answer, want) {
		return fmt.Errorf("the answer for key %x is not the expected one", key)
	}
	return nil
}

// submit submits the store function with `argument` and waits for the
// commit.
func submit(contract *client.Contract, function string, argument []byte) error {
	_, err := contract.Submit(function, client.WithBytesArguments(argument))
	return err
}

// runSequential makes `warmup` untimed calls and then `calls` timed ones,
// one after the other; call(i) makes the i-th.
func runSequential(warmup, calls int, call func(i int) error) sequential {
	out := sequential{Warmup: warmup, Latencies: make([]float64, 0, calls)}
	for i := 0; i < warmup; i++ {
		if err := call(i); err != nil {
			fail("warm-up call %d failed: %v", i+1, err)
		}
	}
	cpu := cpuSeconds()
	start := time.Now()
	for i := warmup; i < warmup+calls; i++ {
		t := time.Now()
		err := call(i)
		elapsed := time.Since(t).Seconds()
		if err != nil {
			out.Failed++
			if out.FirstError == "" {
				out.FirstError = err.Error()
			}
			continue
		}
		out.Ok++
		out.Latencies = append(out.Latencies, elapsed)
	}
	out.Elapsed = time.Since(start).Seconds()
	out.CPU = cpuSeconds() - cpu
	return out
}

// runLevel submits `arguments` with `concurrency` in flight; no new one
// starts after `limit` (0: no limit).
func runLevel(contract *client.Contract, function string, arguments [][]byte, concurrency int, limit time.Duration) level {
	out := level{Concurrency: concurrency}
	var mu sync.Mutex
	next := 0
	cpu := cpuSeconds()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if next >= len(arguments) || (limit > 0 && time.Since(start) >= limit) {
					mu.Unlock()
					return
				}
				argument := arguments[next]
				next++
				mu.Unlock()
				err := submit(contract, function, argument)
				mu.Lock()
				out.Submitted++
				if err != nil {
					out.Failed++
					if out.FirstError == "" {
						out.FirstError = err.Error()
					}
				} else {
					out.Committed++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	out.Elapsed = time.Since(start).Seconds()
	out.CPU = cpuSeconds() - cpu
	return out
}

func parseLevels(text string) []int {
	var out []int
	for _, field := range strings.Split(text, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n < 1 {
			fail("--concurrency %q: give positive integers separated by commas", text)
		}
		out = append(out, n)
	}
	return out
}

func main() {
	workload := flag.String("workload", "", "the workload directory (medchain-bench client-workload)")
	storeOffset := flag.Int("store-offset", 0, "the first line of the store file this run uses")
	getWarmup := flag.Int("get-warmup", 50, "untimed evaluations first")
	getCalls := flag.Int("get-calls", 2000, "timed evaluations")
	storeWarmup := flag.Int("store-warmup", 20, "untimed submissions first")
	storeCalls := flag.Int("store-calls", 300, "timed submissions")
	concurrency := flag.String("concurrency", "1,4,16,64", "submissions in flight, one level each")
	levelTx := flag.Int("level-tx", 500, "submissions per level")
	levelSeconds := flag.Float64("level-seconds", 0, "no new submission of a level after this many seconds (0: no limit)")
	flag.Parse()
	if *workload == "" {
		fail("--workload DIR is required")
	}
	raw, err := os.ReadFile(filepath.Join(*workload, "manifest.json"))
	if err != nil {
		fail("%v", err)
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil || m.Format != manifestFormat {
		fail("%s/manifest.json is not a %s manifest (%v)", *workload, manifestFormat, err)
	}
	levels := parseLevels(*concurrency)
	needed := *storeWarmup + *storeCalls + len(levels)**levelTx
	arguments := readLines(filepath.Join(*workload, m.StoreFile), *storeOffset, needed)
	if m.GetCount < 1 {
		fail("the workload names no stored key to evaluate")
	}
	keys := readLines(filepath.Join(*workload, m.GetFile), 0, m.GetCount)
	answers := readLines(filepath.Join(*workload, m.AnswerFile), 0, m.GetCount)

	gateway, conn := connect(&m)
	defer conn.Close()
	defer gateway.Close()
	contract := gateway.GetNetwork(m.Channel).GetContract(m.Chaincode)

	out := result{Driver: "go", Client: clientName, Runtime: runtime.Version(), StoreOffset: *storeOffset, StoreUsed: needed}
	out.Evaluate = runSequential(*getWarmup, *getCalls, func(i int) error {
		return evaluate(contract, m.GetFunction, keys[i%len(keys)], answers[i%len(keys)])
	})
	out.Submit = runSequential(*storeWarmup, *storeCalls, func(i int) error {
		return submit(contract, m.StoreFunction, arguments[i])
	})
	rest := arguments[*storeWarmup+*storeCalls:]
	for i, c := range levels {
		out.Levels = append(out.Levels, runLevel(contract, m.StoreFunction, rest[i**levelTx:(i+1)**levelTx], c,
			time.Duration(*levelSeconds*float64(time.Second))))
	}
	out.CPU = cpuSeconds()
	out.CPUTick = 1e-6 // getrusage's timevals
	out.PeakRSSKiB = peakRSSKiB()
	encoded, err := json.Marshal(out)
	if err != nil {
		fail("%v", err)
	}
	fmt.Println(string(encoded))
}
