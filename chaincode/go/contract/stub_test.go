package contract

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// ledger is an in-memory world state with key histories, shared by the
// transactions of a test; each tx sees committed state and commits its
// writes when it succeeds (as Fabric does for a valid transaction).
type ledger struct {
	state   map[string][]byte
	history map[string][][]byte // oldest first
	txs     int
	// pagedQueries counts the paged range queries of every transaction.
	pagedQueries int
}

func newLedger() *ledger {
	return &ledger{state: map[string][]byte{}, history: map[string][][]byte{}}
}

// fakeStub is one transaction on a ledger.
type fakeStub struct {
	l       *ledger
	args    [][]byte
	creator []byte
	txID    string
	ts      *timestamppb.Timestamp
	reads   map[string]bool
	writes  map[string][]byte
	event   string
	payload []byte
	failGet error
}

func (s *fakeStub) GetArgs() [][]byte                               { return s.args }
func (s *fakeStub) GetTxID() string                                 { return s.txID }
func (s *fakeStub) GetCreator() ([]byte, error)                     { return s.creator, nil }
func (s *fakeStub) GetTxTimestamp() (*timestamppb.Timestamp, error) { return s.ts, nil }
func (s *fakeStub) SetEvent(name string, payload []byte) error {
	s.event, s.payload = name, payload
	return nil
}
func (s *fakeStub) PutState(key string, value []byte) error { s.writes[key] = value; return nil }
func (s *fakeStub) GetState(key string) ([]byte, error) {
	if s.failGet != nil {
		return nil, s.failGet
	}
	s.reads[key] = true
	return s.l.state[key], nil
}

type kvIterator struct {
	kvs []*queryresult.KV
}

func (i *kvIterator) HasNext() bool { return len(i.kvs) > 0 }
func (i *kvIterator) Close() error  { return nil }
func (i *kvIterator) Next() (*queryresult.KV, error) {
	kv := i.kvs[0]
	i.kvs = i.kvs[1:]
	return kv, nil
}

// GetStateByPartialCompositeKeyWithPagination pages as Fabric's peer and
// the mock peer do: a page starts at its bookmark (never before the
// range's start) and names the next key, or "" when the range is
// exhausted.
func (s *fakeStub) GetStateByPartialCompositeKeyWithPagination(objectType string, keys []string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	prefix, err := compositeKey(objectType, keys...)
	if err != nil {
		return nil, nil, err
	}
	s.l.pagedQueries++
	var found []string
	for k := range s.l.state {
		if strings.HasPrefix(k, prefix) && k >= bookmark {
			found = append(found, k)
		}
	}
	sort.Strings(found)
	it := &kvIterator{}
	next := ""
	for n, k := range found {
		if n == int(pageSize) {
			next = k
			break
		}
		it.kvs = append(it.kvs, &queryresult.KV{Key: k, Value: s.l.state[k]})
	}
	return it, &peer.QueryResponseMetadata{FetchedRecordsCount: int32(len(it.kvs)), Bookmark: next}, nil
}

// participant is a test identity: a P-256 key and a certificate carrying
// the Fabric CA attribute extension when attrs is set.
type participant struct {
	key    *ecdsa.PrivateKey
	pem    string
	mspID  string
	public []byte
}

func newParticipant(t *testing.T, mspID, attrsJSON string) *participant {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "participant"},
		NotBefore:    time.Unix(0, 0),
		NotAfter:     time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	if attrsJSON != "" {
		template.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 2, 3, 4, 5, 6, 7, 8, 1}, Value: []byte(attrsJSON)}}
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	public, err := key.PublicKey.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	return &participant{key: key, mspID: mspID, public: public.Bytes(),
		pem: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
}

func (p *participant) serialized() []byte {
	b, _ := proto.Marshal(&msp.SerializedIdentity{Mspid: p.mspID, IdBytes: []byte(p.pem)})
	return b
}

func (p *participant) ind() uint64 {
	key, _ := identityKey(p.public)
	return participantIndex(key)
}

// result of one transaction.
type result struct {
	payload []byte
	err     *Error
	stub    *fakeStub
}

// invoke runs a transaction as p and commits its writes when it succeeds.
func (l *ledger) invoke(t *testing.T, p *participant, args ...[]byte) result {
	t.Helper()
	return l.run(t, false, p, args...)
}

// initialize runs the chaincode's initialization (an INIT message) as p.
func (l *ledger) initialize(t *testing.T, p *participant, args ...[]byte) result {
	t.Helper()
	return l.run(t, true, p, args...)
}

func (l *ledger) run(t *testing.T, init bool, p *participant, args ...[]byte) result {
	t.Helper()
	l.txs++
	stub := &fakeStub{l: l, args: args, creator: p.serialized(), txID: "tx" + strings.Repeat("0", 3) + string(rune('a'+l.txs%26)) + big.NewInt(int64(l.txs)).String(),
		ts: timestamppb.New(time.Unix(1_700_000_000+int64(l.txs), 0)), reads: map[string]bool{}, writes: map[string][]byte{}}
	call := MedicalRecords{}.Call
	if init {
		call = MedicalRecords{}.Initialize
	}
	payload, err := call(stub)
	if err != nil {
		var refusal *Error
		if !errors.As(err, &refusal) {
			t.Fatalf("not a refusal: %v", err)
		}
		return result{err: refusal, stub: stub}
	}
	keys := make([]string, 0, len(stub.writes))
	for k := range stub.writes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		l.state[k] = stub.writes[k]
		l.history[k] = append(l.history[k], stub.writes[k])
	}
	return result{payload: payload, stub: stub}
}
