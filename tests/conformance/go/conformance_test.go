// The official Go Gateway client (fabric-gateway v1.12.0) against the
// medchain chaincode on the real network of MEDCHAIN_PROFILE (issue 13,
// part 2): registrations submitted and committed, queries evaluated, a
// refusal whose code and message reach the client intact in the error
// details, and chaincode events read with a start block and a checkpoint.
package conformance

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	pb "medchain/chaincode/go/medchainpb"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

type endpoint struct {
	Endpoint   string `json:"endpoint"`
	TLSCA      string `json:"tls_ca"`
	ServerName string `json:"server_name"`
}

type roleIdentity struct {
	Org           string `json:"org"`
	MspID         string `json:"msp_id"`
	Cert          string `json:"cert"`
	Key           string `json:"key"`
	RoleAttribute string `json:"role_attribute"`
}

type profile struct {
	Channel   string `json:"channel"`
	Chaincode string `json:"chaincode"`
	Orgs      map[string]struct {
		Gateway endpoint `json:"gateway"`
	} `json:"orgs"`
	Roles map[string]roleIdentity `json:"roles"`
}

func readProfile(t *testing.T) *profile {
	t.Helper()
	path := os.Getenv("MEDCHAIN_PROFILE")
	if path == "" {
		t.Fatal("MEDCHAIN_PROFILE is not set; point it at the profile.json of a running network (network/up.sh)")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var p profile
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &p
}

// session is one role connected to its org's gateway.
type session struct {
	gateway  *client.Gateway
	network  *client.Network
	contract *client.Contract
	certPEM  []byte
	ind      uint64
	mspID    string
}

func connect(t *testing.T, p *profile, role string) *session {
	t.Helper()
	id, ok := p.Roles[role]
	if !ok {
		t.Fatalf("the profile has no role %q", role)
	}
	gw := p.Orgs[id.Org].Gateway
	caPEM, err := os.ReadFile(gw.TLSCA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatalf("%s holds no certificate", gw.TLSCA)
	}
	conn, err := grpc.NewClient(gw.Endpoint, grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, gw.ServerName)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	certPEM, err := os.ReadFile(id.Cert)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	x509ID, err := identity.NewX509Identity(id.MspID, cert)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := os.ReadFile(id.Key)
	if err != nil {
		t.Fatal(err)
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		t.Fatal(err)
	}
	g, err := client.Connect(x509ID, client.WithSign(sign), client.WithClientConnection(conn),
		client.WithEvaluateTimeout(30*time.Second), client.WithEndorseTimeout(30*time.Second),
		client.WithSubmitTimeout(30*time.Second), client.WithCommitStatusTimeout(60*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	network := g.GetNetwork(p.Channel)
	public, err := cert.PublicKey.(*ecdsa.PublicKey).ECDH()
	if err != nil {
		t.Fatal(err)
	}
	point := public.Bytes()
	return &session{gateway: g, network: network, contract: network.GetContract(p.Chaincode), certPEM: certPEM,
		ind: binary.BigEndian.Uint64(point[len(point)-8:]), mspID: id.MspID}
}

var roles = map[string]pb.Role{"doctor": pb.Role_ROLE_DOCTOR, "pharmacist": pb.Role_ROLE_PHARMACIST,
	"insurer": pb.Role_ROLE_INSURER, "lawyer-expert": pb.Role_ROLE_LAWYER_EXPERT}

func registration(t *testing.T, p *profile, s *session, role string) []byte {
	t.Helper()
	reg := &pb.Registration{Role: roles[p.Roles[role].RoleAttribute], CertificatePem: string(s.certPEM), MspId: s.mspID}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(&pb.InputParameter{Record: &pb.InputParameter_Reg{Reg: reg}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// register submits role's registration and waits for its commit.
func register(t *testing.T, p *profile, s *session, role string) (input []byte, txID string, block uint64) {
	t.Helper()
	input = registration(t, p, s, role)
	result, commit, err := s.contract.SubmitAsync("Store", client.WithBytesArguments(input))
	if err != nil {
		t.Fatalf("registering %s: %v", role, err)
	}
	if want := binary.BigEndian.AppendUint64(nil, s.ind); !bytes.Equal(result, want) {
		t.Fatalf("Store returned %x, want the index %x", result, want)
	}
	st, err := commit.Status()
	if err != nil || !st.Successful {
		t.Fatalf("commit of %s's registration: %v %+v", role, err, st)
	}
	return input, commit.TransactionID(), st.BlockNumber
}

// details are the messages of the gateway's per-endpoint error details.
func details(t *testing.T, err error) []string {
	t.Helper()
	var out []string
	for _, d := range status.Convert(err).Details() {
		detail, ok := d.(interface{ GetMessage() string })
		if !ok {
			t.Fatalf("a detail of type %T", d)
		}
		out = append(out, detail.GetMessage())
	}
	return out
}

func nextEvent(t *testing.T, events <-chan *client.ChaincodeEvent) *client.ChaincodeEvent {
	t.Helper()
	select {
	case event, ok := <-events:
		if !ok {
			t.Fatal("the event stream closed")
		}
		return event
	case <-time.After(60 * time.Second):
		t.Fatal("no chaincode event within 60 s")
	}
	return nil
}

func checkRegEvent(t *testing.T, event *client.ChaincodeEvent, chaincode, txID string, ind uint64) {
	t.Helper()
	var payload pb.StoreEvent
	if err := proto.Unmarshal(event.Payload, &payload); err != nil {
		t.Fatal(err)
	}
	key := binary.BigEndian.AppendUint64(nil, ind)
	if event.EventName != "reg" || event.ChaincodeName != chaincode || event.TransactionID != txID ||
		!bytes.Equal(payload.Key, key) || payload.Type != "reg" || len(payload.CaseKey) != 0 ||
		len(payload.Receivers) != 1 || payload.Receivers[0] != ind {
		t.Fatalf("event %+v (payload %v), want reg of %016x in tx %s", event, &payload, ind, txID)
	}
}

func TestTheOfficialGoClientSubmitsEvaluatesReadsRefusalsAndEvents(t *testing.T) {
	p := readProfile(t)
	lawyer := connect(t, p, "lawyer")
	doctor := connect(t, p, "doctor")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// A registration, submitted and committed; its event read from its block.
	input, txID, block := register(t, p, lawyer, "lawyer")
	events, err := lawyer.network.ChaincodeEvents(ctx, p.Chaincode, client.WithStartBlock(block))
	if err != nil {
		t.Fatal(err)
	}
	first := nextEvent(t, events)
	checkRegEvent(t, first, p.Chaincode, txID, lawyer.ind)
	if first.BlockNumber != block {
		t.Fatalf("event in block %d, the commit status said %d", first.BlockNumber, block)
	}

	// Evaluate: the registration reads back byte for byte, from both orgs' gateways.
	for _, s := range []*session{lawyer, doctor} {
		got, err := s.contract.Evaluate("GetParticipant", client.WithBytesArguments(binary.BigEndian.AppendUint64(nil, lawyer.ind)))
		if err != nil || !bytes.Equal(got, input) {
			t.Fatalf("GetParticipant: %v", err)
		}
	}
	// A refused evaluation: not_found, status 404, in the gRPC message and details.
	missing := strings.Repeat("00", 32)
	_, err = lawyer.contract.Evaluate("Get", client.WithArguments(missing))
	want := "chaincode response 404, not_found: no record is stored under key " + missing
	if err == nil || !strings.Contains(status.Convert(err).Message(), want) {
		t.Fatalf("Get of a missing key: %v, want %q", err, want)
	}

	// A refused submission: the same registration again. Every endorser's
	// detail carries our status, code and sentence intact.
	_, err = lawyer.contract.Submit("Store", client.WithBytesArguments(input))
	var endorse *client.EndorseError
	if !errors.As(err, &endorse) {
		t.Fatalf("a second registration: %v, want an EndorseError", err)
	}
	want = fmt.Sprintf("chaincode response 409, already_stored: participant %016x is already registered", lawyer.ind)
	got := details(t, err)
	if len(got) == 0 {
		t.Fatalf("no error details in %v", err)
	}
	for _, message := range got {
		if message != want {
			t.Fatalf("detail %q, want %q", message, want)
		}
	}

	// Checkpoints: after checkpointing the lawyer's event, a stream from the
	// same start block resumes after it and delivers the doctor's next one.
	checkpoint := new(client.InMemoryCheckpointer)
	checkpoint.CheckpointChaincodeEvent(first)
	_, doctorTx, _ := register(t, p, doctor, "doctor")
	resumed, err := lawyer.network.ChaincodeEvents(ctx, p.Chaincode, client.WithStartBlock(0), client.WithCheckpoint(checkpoint))
	if err != nil {
		t.Fatal(err)
	}
	checkRegEvent(t, nextEvent(t, resumed), p.Chaincode, doctorTx, doctor.ind)
	fmt.Println("official Go client (fabric-gateway v1.12.0): submit, evaluate, refusal details and checkpointed events conform")
}
