package contract

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"google.golang.org/protobuf/encoding/protowire"
	"math/big"
	"strings"
	"testing"

	pb "medchain/chaincode/go/medchainpb"

	"google.golang.org/protobuf/proto"
)

func encode(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := marshal.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func regInput(t *testing.T, p *participant, role pb.Role) []byte {
	return encode(t, &pb.InputParameter{Record: &pb.InputParameter_Reg{Reg: &pb.Registration{Role: role, CertificatePem: p.pem, MspId: p.mspID}}})
}

// thePolicy: Org1 makes doctors, Org2 pharmacists, insurers and
// lawyers/experts; the KDF floor lowered to the tests' parameters (64 KiB,
// t = 1), as a test network does.
func thePolicy() *pb.ConsortiumPolicy {
	return &pb.ConsortiumPolicy{Issuers: []*pb.RoleIssuer{
		{MspId: "Org1MSP", Roles: []pb.Role{pb.Role_ROLE_DOCTOR}},
		{MspId: "Org2MSP", Roles: []pb.Role{pb.Role_ROLE_PHARMACIST, pb.Role_ROLE_INSURER, pb.Role_ROLE_LAWYER_EXPERT}},
	}, KdfFloor: &pb.KdfFloor{MKib: 64, T: 1}}
}

// initializedLedger is a ledger whose chaincode ran Init with thePolicy.
func initializedLedger(t *testing.T) *ledger {
	t.Helper()
	l := newLedger()
	admin := newParticipant(t, "Org1MSP", "")
	policy := encode(t, thePolicy())
	r := l.initialize(t, admin, []byte("Init"), []byte(hex.EncodeToString(policy)))
	if r.err != nil || !bytes.Equal(r.payload, policy) || !bytes.Equal(l.state["medchain.policy"], policy) {
		t.Fatalf("Init: %v", r.err)
	}
	return l
}

// withRole is a participant of msp whose certificate says medchain.role=role.
func withRole(t *testing.T, msp, role string) *participant {
	return newParticipant(t, msp, `{"attrs":{"hf.EnrollmentID":"x","medchain.role":"`+role+`"}}`)
}

func store_(l *ledger, t *testing.T, p *participant, input []byte) result {
	t.Helper()
	return l.invoke(t, p, []byte("Store"), input)
}

func mustStore(t *testing.T, l *ledger, p *participant, input []byte) []byte {
	t.Helper()
	r := store_(l, t, p, input)
	if r.err != nil {
		t.Fatalf("Store refused: %v", r.err)
	}
	return r.payload
}

func expectRefusal(t *testing.T, r result, code Code, message string) {
	t.Helper()
	if r.err == nil {
		t.Fatalf("accepted, want %s: %s", code.Name, message)
	}
	if r.err.Code != code || r.err.Error() != message {
		t.Fatalf("refusal\n got  %d %q\n want %d %q", r.err.Code.Status, r.err.Error(), code.Status, message)
	}
	if len(r.stub.writes) != 0 {
		t.Fatalf("a refused call must write nothing, wrote %d keys", len(r.stub.writes))
	}
}

// scenario is a registered doctor and pharmacist, a patient and a family
// member, with the case opening the patient consented to.
type scenario struct {
	l                                   *ledger
	doctor, pharmacist, patient, family *participant
	opening                             *pb.CaseOpening
}

func newScenario(t *testing.T) *scenario {
	s := &scenario{l: initializedLedger(t),
		doctor:     withRole(t, "Org1MSP", "doctor"),
		pharmacist: withRole(t, "Org2MSP", "pharmacist"),
		patient:    newParticipant(t, "Org1MSP", ""),
		family:     newParticipant(t, "Org1MSP", ""),
	}
	mustStore(t, s.l, s.doctor, regInput(t, s.doctor, pb.Role_ROLE_DOCTOR))
	mustStore(t, s.l, s.pharmacist, regInput(t, s.pharmacist, pb.Role_ROLE_PHARMACIST))
	s.opening = &pb.CaseOpening{
		PatientKey:         s.patient.public,
		FamilyKeys:         [][]byte{s.family.public},
		Pharmacists:        []uint64{s.pharmacist.ind()},
		Doctor:             s.doctor.ind(),
		DoctorEphemeralKey: compressed(s.doctor.public),
		Kdf:                &pb.KdfParams{MKib: 64, T: 1, P: 1},
	}
	sign(t, s.patient, s.opening)
	return s
}

func compressed(uncompressed []byte) []byte {
	out := []byte{0x02 | uncompressed[64]&1}
	return append(out, uncompressed[1:33]...)
}

func sign(t *testing.T, patient *participant, o *pb.CaseOpening) {
	t.Helper()
	nonce := bytes.Repeat([]byte{7}, 16)
	message := append([]byte(selectionDomain), encode(t, selectionOf(o, nonce))...)
	digest := sha256.Sum256(message)
	o.Consent = &pb.PatientConsent{Nonce: nonce, Signature: signLowS(t, patient, digest[:])}
}

// signLowS is p's DER ECDSA signature of digest with low S, as every
// Fabric SDK signs (Go's crypto/ecdsa leaves S as it comes).
func signLowS(t *testing.T, p *participant, digest []byte) []byte {
	t.Helper()
	der, err := ecdsa.SignASN1(rand.Reader, p.key, digest)
	if err != nil {
		t.Fatal(err)
	}
	r, sv, ok := parseDERSignature(der)
	if !ok {
		t.Fatalf("crypto/ecdsa made a signature that does not parse: %x", der)
	}
	if sv.Cmp(halfOrder) > 0 {
		return derSignature(t, r, new(big.Int).Sub(elliptic.P256().Params().N, sv))
	}
	return der
}

// flipS is the other valid encoding of a signature: S replaced by n − S.
func flipS(t *testing.T, der []byte) []byte {
	t.Helper()
	r, sv, ok := parseDERSignature(der)
	if !ok {
		t.Fatalf("not a signature: %x", der)
	}
	return derSignature(t, r, new(big.Int).Sub(elliptic.P256().Params().N, sv))
}

func derSignature(t *testing.T, r, s *big.Int) []byte {
	t.Helper()
	der, err := asn1.Marshal(struct{ R, S *big.Int }{r, s})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// testTag is a valid, non-degenerate tag of k coefficients (α_1 = 1, the
// rest 0), as the Rust tests' test_tag.
func testTag(k int) []byte {
	tag := make([]byte, 66*k)
	tag[2*66-1] = 1
	return tag
}

// signTag is signer's low-S signature over case κ0's tag (protocol v2).
func signTag(t *testing.T, signer *participant, kappa0, tag []byte) []byte {
	t.Helper()
	digest := sha256.Sum256(tagSignatureMessage(kappa0, tag))
	return signLowS(t, signer, digest[:])
}

// ciphertextBytes is the smallest padded ciphertext: a 256-byte bucket,
// nonce and GCM tag.
const ciphertextBytes = 256 + 28

// caseRecord is a record of case κ0 carrying the k-coefficient test tag
// signed by doctor and a 284-byte ciphertext.
func caseRecord(t *testing.T, kappa0 []byte, doctor *participant, participants []uint64, k int) *pb.CaseRecord {
	tag := testTag(k)
	return &pb.CaseRecord{CaseKey: kappa0, Participants: participants, Tag: tag,
		Ciphertext: make([]byte, ciphertextBytes), TagSignature: signTag(t, doctor, kappa0, tag)}
}

// wrap is the Store argument of record r as recordType (txd, txm or txa).
func wrap(t *testing.T, recordType string, r *pb.CaseRecord) []byte {
	t.Helper()
	switch recordType {
	case "txd":
		return encode(t, &pb.InputParameter{Record: &pb.InputParameter_Txd{Txd: r}})
	case "txm":
		return encode(t, &pb.InputParameter{Record: &pb.InputParameter_Txm{Txm: r}})
	case "txa":
		return encode(t, &pb.InputParameter{Record: &pb.InputParameter_Txa{Txa: r}})
	}
	t.Fatalf("no record type %q", recordType)
	return nil
}

func txtcInput(t *testing.T, o *pb.CaseOpening) []byte {
	return encode(t, &pb.InputParameter{Record: &pb.InputParameter_Txtc{Txtc: o}})
}

func txtrInput(t *testing.T, kappa0 []byte, p *participant) []byte {
	return encode(t, &pb.InputParameter{Record: &pb.InputParameter_Txtr{Txtr: &pb.CaseResponse{
		CaseKey: kappa0, Responder: p.ind(), EphemeralKey: compressed(p.public), SealedSecret: make([]byte, 60)}}})
}

// txdInput is a txd of case κ0 by doctor with the k-coefficient test tag.
func txdInput(t *testing.T, kappa0 []byte, doctor *participant, participants []uint64, k int) []byte {
	return wrap(t, "txd", caseRecord(t, kappa0, doctor, participants, k))
}

func TestTheWholeCaseIsStoredIndexedAndReadBackInIndexOrder(t *testing.T) {
	s := newScenario(t)
	input := txtcInput(t, s.opening)
	kappa0 := mustStore(t, s.l, s.doctor, input)
	if want := sha256.Sum256(input); !bytes.Equal(kappa0, want[:]) {
		t.Fatalf("Store returned %x, want κ0 = SHA-256(argument)", kappa0)
	}
	r := s.l.invoke(t, s.doctor, []byte("Get"), []byte(hex.EncodeToString(kappa0)))
	if r.err != nil || !bytes.Equal(r.payload, input) {
		t.Fatalf("Get by hex: %v", r.err)
	}
	var event pb.StoreEvent
	if err := proto.Unmarshal(r.stub.payload, &event); err == nil && r.stub.event != "" {
		t.Fatal("a query sets no event")
	}
	var kappas [][]byte
	for _, p := range []*participant{s.patient, s.family, s.pharmacist} {
		res := store_(s.l, t, p, txtrInput(t, kappa0, p))
		if res.err != nil {
			t.Fatalf("txtr: %v", res.err)
		}
		if res.stub.event != "txtr" {
			t.Fatalf("event %q", res.stub.event)
		}
		if err := proto.Unmarshal(res.stub.payload, &event); err != nil || len(event.Receivers) != 1 || event.Receivers[0] != s.doctor.ind() {
			t.Fatalf("txtr event receivers %v", event.Receivers)
		}
		kappas = append(kappas, res.payload)
	}
	others := []uint64{s.patient.ind(), s.family.ind(), s.pharmacist.ind()}
	res := store_(s.l, t, s.doctor, txdInput(t, kappa0, s.doctor, others, 4))
	if res.err != nil {
		t.Fatalf("txd: %v", res.err)
	}
	if err := proto.Unmarshal(res.stub.payload, &event); err != nil {
		t.Fatal(err)
	}
	if want := []uint64{s.patient.ind(), s.family.ind(), s.pharmacist.ind()}; !equal(event.Receivers, want) || event.Type != "txd" || !bytes.Equal(event.CaseKey, kappa0) {
		t.Fatalf("txd event %v", &event)
	}
	kappas = append([][]byte{kappa0}, append(kappas, res.payload)...)

	got := s.l.invoke(t, s.patient, []byte("GetCase"), kappa0)
	if got.err != nil {
		t.Fatal(got.err)
	}
	var records pb.CaseRecords
	if err := proto.Unmarshal(got.payload, &records); err != nil {
		t.Fatal(err)
	}
	if len(records.Records) != len(kappas) {
		t.Fatalf("%d records, want %d", len(records.Records), len(kappas))
	}
	for i, rec := range records.Records {
		if !bytes.Equal(rec.Key, kappas[i]) || rec.TxId == "" {
			t.Fatalf("record %d is %x (%s), want %x in index order", i, rec.Key, rec.Type, kappas[i])
		}
	}
	if records.Records[0].Type != "txtc" || records.Records[4].Type != "txd" {
		t.Fatalf("types %s … %s", records.Records[0].Type, records.Records[4].Type)
	}
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestARegistrationIsKeyedByIndexAndAnnouncedToTheRegistrant(t *testing.T) {
	l := initializedLedger(t)
	p := withRole(t, "Org2MSP", "insurer")
	res := store_(l, t, p, regInput(t, p, pb.Role_ROLE_INSURER))
	if res.err != nil {
		t.Fatal(res.err)
	}
	ind := p.ind()
	if binary.BigEndian.Uint64(res.payload) != ind || len(res.payload) != 8 {
		t.Fatalf("Store returned %x, want be64(ind)", res.payload)
	}
	key := "\x00medchain.reg\x00" + hex.EncodeToString(res.payload) + "\x00"
	if _, ok := res.stub.writes[key]; !ok || len(res.stub.writes) != 1 {
		t.Fatalf("writes %q", res.stub.writes)
	}
	// The event payload is exactly what prost encodes: key (1), no case
	// key, type (3), packed receivers (4).
	want := append([]byte{0x0a, 8}, res.payload...)
	want = append(want, 0x1a, 3, 'r', 'e', 'g', 0x22, 8)
	want = append(want, res.payload[7], res.payload[6], res.payload[5], res.payload[4], res.payload[3], res.payload[2], res.payload[1], res.payload[0])
	if res.stub.event != "reg" || !bytes.Equal(res.stub.payload, want) {
		t.Fatalf("event %s %x, want %x", res.stub.event, res.stub.payload, want)
	}
	expectRefusal(t, store_(l, t, p, regInput(t, p, pb.Role_ROLE_INSURER)), AlreadyStored,
		"already_stored: participant "+hex.EncodeToString(res.payload)+" is already registered")
	got := l.invoke(t, p, []byte("GetParticipant"), []byte(hex.EncodeToString(res.payload)))
	if got.err != nil || !bytes.Equal(got.payload, regInput(t, p, pb.Role_ROLE_INSURER)) {
		t.Fatalf("GetParticipant: %v", got.err)
	}
}

func TestBadCallsAreRefusedWithTheRustContractsSentences(t *testing.T) {
	l := newLedger()
	p := newParticipant(t, "Org1MSP", "")
	expectRefusal(t, l.invoke(t, p), BadCall, "bad_call: no function name was given")
	expectRefusal(t, l.invoke(t, p, []byte{0xff}, nil), BadCall, "bad_call: the function name is not UTF-8")
	expectRefusal(t, l.invoke(t, p, []byte("Get")), BadCall, "bad_call: Get takes exactly one argument, got 0")
	expectRefusal(t, l.invoke(t, p, []byte("Get"), nil, nil), BadCall, "bad_call: Get takes exactly one argument, got 2")
	expectRefusal(t, l.invoke(t, p, []byte("Put\"\n\x01é"), nil), BadCall,
		`bad_call: unknown function "Put\"\n\u{1}é"; use Store, Get, GetCase, GetParticipant or GetPolicy`)
	expectRefusal(t, l.invoke(t, p, []byte("Get"), []byte("zz")), Invalid,
		"invalid: argument: the record key κ must be 32 bytes or 64 hex digits, got 2 bytes")
	expectRefusal(t, l.invoke(t, p, []byte("GetParticipant"), []byte(strings.Repeat("g", 16))), Invalid,
		"invalid: argument: the participant index must be 8 bytes or 16 hex digits, got 16 bytes")
	expectRefusal(t, l.invoke(t, p, []byte("GetCase"), make([]byte, 32)), NotFound,
		"not_found: no case is stored under key "+strings.Repeat("00", 32))
	expectRefusal(t, l.invoke(t, p, []byte("GetParticipant"), make([]byte, 8)), NotFound,
		"not_found: participant 0000000000000000 is not registered")
}

func TestOnlyTheCanonicalEncodingIsStored(t *testing.T) {
	l := newLedger()
	p := newParticipant(t, "Org1MSP", "")
	canonical := regInput(t, p, pb.Role_ROLE_DOCTOR)
	nonCanonical := func(fault string) string {
		return "invalid: input parameter: it is not in canonical protobuf encoding: " + fault + "; encode it with a standard protobuf encoder"
	}
	undecodable := "invalid: input parameter: it is not a medchain.v1.InputParameter (it does not decode as protobuf)"
	// An unknown field (number 15, varint) after the record (12 is txet now).
	expectRefusal(t, store_(l, t, p, append(bytes.Clone(canonical), 0x78, 0x01)), Invalid,
		nonCanonical("field 15 is not part of the canonical encoding: it is unknown, or holds its default value (0, false or empty), which is left out"))
	// An unknown field inside the registration.
	inner := []byte{0x08, 0x01, 0x28, 0x05}
	expectRefusal(t, store_(l, t, p, append([]byte{0x0a, byte(len(inner))}, inner...)), Invalid,
		nonCanonical("field 1.5 is not part of the canonical encoding: it is unknown, or holds its default value (0, false or empty), which is left out"))
	// The declared field 1 (reg) as a varint: prost refuses to decode it.
	expectRefusal(t, store_(l, t, p, []byte{0x08, 0x01}), Invalid, undecodable)
	// Truncated.
	expectRefusal(t, store_(l, t, p, canonical[:len(canonical)-1]), Invalid, undecodable)
	// The record twice (merged on decoding, so re-encoding differs).
	expectRefusal(t, store_(l, t, p, append(bytes.Clone(canonical), canonical...)), Invalid,
		nonCanonical("field 1 appears 2 times; a field that is not repeated appears once"))
	// A default-valued field written explicitly (role = 0).
	expectRefusal(t, store_(l, t, p, []byte{0x0a, 0x02, 0x08, 0x00}), Invalid,
		nonCanonical("field 1.1 is not part of the canonical encoding: it is unknown, or holds its default value (0, false or empty), which is left out"))
	// The registration's fields out of order (msp_id, then role).
	reg := &pb.Registration{Role: pb.Role_ROLE_DOCTOR, CertificatePem: p.pem, MspId: p.mspID}
	regBytes := encode(t, reg)
	roleField, rest := regBytes[:2], regBytes[2:]
	reordered := append(bytes.Clone(rest), roleField...)
	expectRefusal(t, store_(l, t, p, append(protowireBytes(1, len(reordered)), reordered...)), Invalid,
		nonCanonical("field 1.1 comes after field 1.3; write fields in field-number order"))
	// A non-minimal varint (role = 1 as 0x81 0x00).
	longRole := append([]byte{0x08, 0x81, 0x00}, rest...)
	expectRefusal(t, store_(l, t, p, append(protowireBytes(1, len(longRole)), longRole...)), Invalid,
		nonCanonical("field 1.1 is not a minimal varint"))
	expectRefusal(t, store_(l, t, p, nil), Invalid,
		"invalid: input parameter: no record is set; set exactly one of reg, txtc, txtr, txd, txm, txa, txgo, txgr, txgt, txeo, txer, txet")
	expectRefusal(t, store_(l, t, p, make([]byte, maxInputBytes+1)), Invalid,
		"invalid: input parameter: it is 1056797 bytes, more than the limit of 1056796")
}

func TestRegistrationRules(t *testing.T) {
	l := initializedLedger(t)
	p := withRole(t, "Org1MSP", "doctor")
	other := withRole(t, "Org1MSP", "doctor")
	expectRefusal(t, store_(l, t, p, regInput(t, p, pb.Role_ROLE_UNSPECIFIED)), Invalid,
		"invalid: reg: the role must be doctor, pharmacist, insurer or lawyer-expert (patients and family members do not register)")
	expectRefusal(t, store_(l, t, p, regInput(t, p, pb.Role(9))), Invalid,
		"invalid: reg: the role must be doctor, pharmacist, insurer or lawyer-expert (patients and family members do not register)")
	expectRefusal(t, store_(l, t, p, regInput(t, other, pb.Role_ROLE_DOCTOR)), Unauthorized,
		"unauthorized: reg: the certificate is not the submitter's own; register with your own Fabric certificate")
	big := encode(t, &pb.InputParameter{Record: &pb.InputParameter_Reg{Reg: &pb.Registration{Role: pb.Role_ROLE_DOCTOR, CertificatePem: strings.Repeat("x", 16*1024+1)}}})
	expectRefusal(t, store_(l, t, p, big), Invalid, "invalid: reg: the certificate is larger than 16384 bytes")
}

func TestCaseOpeningRules(t *testing.T) {
	s := newScenario(t)
	// Not registered as a doctor.
	expectRefusal(t, store_(s.l, t, s.pharmacist, txtcInput(t, s.opening)), Unauthorized,
		"unauthorized: txtc: the submitter is registered as pharmacist, not as doctor")
	expectRefusal(t, store_(s.l, t, s.patient, txtcInput(t, s.opening)), Unauthorized,
		"unauthorized: txtc: the submitter is not registered as a doctor; register first")
	changed := proto.Clone(s.opening).(*pb.CaseOpening)
	changed.Doctor++
	expectRefusal(t, store_(s.l, t, s.doctor, txtcInput(t, changed)), Unauthorized,
		"unauthorized: txtc: the case names doctor "+hex16(s.doctor.ind()+1)+" but the submitter is "+hex16(s.doctor.ind())+"; a doctor opens cases only for itself")
	changed = proto.Clone(s.opening).(*pb.CaseOpening)
	changed.Kdf.MKib = 7
	expectRefusal(t, store_(s.l, t, s.doctor, txtcInput(t, changed)), Invalid,
		"invalid: txtc: kdf.m_kib must be between 8 (8 per lane) and 1048576, got 7")
	changed = proto.Clone(s.opening).(*pb.CaseOpening)
	changed.DoctorEphemeralKey = changed.DoctorEphemeralKey[:32]
	expectRefusal(t, store_(s.l, t, s.doctor, txtcInput(t, changed)), Invalid,
		"invalid: txtc: doctor ephemeral key: expected a 33-byte SEC1 compressed P-256 key, got 32 bytes")
	changed = proto.Clone(s.opening).(*pb.CaseOpening)
	changed.FamilyKeys = [][]byte{s.patient.public}
	expectRefusal(t, store_(s.l, t, s.doctor, txtcInput(t, changed)), Invalid,
		"invalid: txtc: participant "+hex16(s.patient.ind())+" is listed twice; list each participant once")
	changed = proto.Clone(s.opening).(*pb.CaseOpening)
	changed.Insurers = []uint64{s.pharmacist.ind() + 1}
	expectRefusal(t, store_(s.l, t, s.doctor, txtcInput(t, changed)), Invalid,
		"invalid: txtc: insurer "+hex16(s.pharmacist.ind()+1)+" is not registered; ask them to register first")
	changed = proto.Clone(s.opening).(*pb.CaseOpening)
	changed.Insurers, changed.Pharmacists = changed.Pharmacists, nil
	expectRefusal(t, store_(s.l, t, s.doctor, txtcInput(t, changed)), Invalid,
		"invalid: txtc: participant "+hex16(s.pharmacist.ind())+" is listed as insurer but is registered as pharmacist")
	// The consent covers another selection.
	changed = proto.Clone(s.opening).(*pb.CaseOpening)
	changed.FamilyKeys = nil
	expectRefusal(t, store_(s.l, t, s.doctor, txtcInput(t, changed)), Unauthorized,
		"unauthorized: txtc: "+errConsentInvalid.Error())
	changed = proto.Clone(s.opening).(*pb.CaseOpening)
	changed.Consent.Signature = append([]byte{}, 0x30, 0x00)
	expectRefusal(t, store_(s.l, t, s.doctor, txtcInput(t, changed)), Unauthorized,
		"unauthorized: txtc: the consent signature is not a DER ECDSA P-256 signature")
	// The same signature with high S (its other valid encoding): refused,
	// so one selection has exactly one consent encoding.
	changed = proto.Clone(s.opening).(*pb.CaseOpening)
	changed.Consent.Signature = flipS(t, changed.Consent.Signature)
	expectRefusal(t, store_(s.l, t, s.doctor, txtcInput(t, changed)), Unauthorized,
		"unauthorized: txtc: the consent signature has a high S; the patient's client must sign with low S (S ≤ n/2), as every Fabric SDK does")
	changed = proto.Clone(s.opening).(*pb.CaseOpening)
	changed.Consent.Signature = make([]byte, 73)
	expectRefusal(t, store_(s.l, t, s.doctor, txtcInput(t, changed)), Unauthorized,
		"unauthorized: txtc: the consent signature is not a DER ECDSA P-256 signature")
	changed = proto.Clone(s.opening).(*pb.CaseOpening)
	changed.Consent = nil
	expectRefusal(t, store_(s.l, t, s.doctor, txtcInput(t, changed)), Unauthorized,
		"unauthorized: txtc: the case carries no patient consent; open it from a selection the patient signed")
	kappa0 := mustStore(t, s.l, s.doctor, txtcInput(t, s.opening))
	// The same selection again, with another ephemeral key (another κ0).
	again := proto.Clone(s.opening).(*pb.CaseOpening)
	again.DoctorEphemeralKey = compressed(s.patient.public)
	expectRefusal(t, store_(s.l, t, s.doctor, txtcInput(t, again)), AlreadyStored,
		"already_stored: this patient selection already opened a case; ask the patient for a new selection")
	// Records before every response.
	expectRefusal(t, store_(s.l, t, s.doctor, txdInput(t, kappa0, s.doctor, nil, 4)), OutOfOrder,
		"out_of_order: the case key is not established yet: participant "+hex16(s.patient.ind())+" has not answered case "+hex.EncodeToString(kappa0)+"; wait for every response")
	expectRefusal(t, store_(s.l, t, s.pharmacist, txdInput(t, kappa0, s.doctor, nil, 4)), Unauthorized,
		"unauthorized: txd: only the case's doctor may store a txd record")
	// Responses.
	expectRefusal(t, store_(s.l, t, s.doctor, txtrInput(t, kappa0, s.doctor)), Unauthorized,
		"unauthorized: txtr: the doctor does not answer its own case; it derives its secret locally")
	stranger := newParticipant(t, "Org1MSP", "")
	expectRefusal(t, store_(s.l, t, stranger, txtrInput(t, kappa0, stranger)), Unauthorized,
		"unauthorized: txtr: the submitter is not a participant of case "+hex.EncodeToString(kappa0))
	expectRefusal(t, store_(s.l, t, stranger, txtrInput(t, kappa0, s.patient)), Unauthorized,
		"unauthorized: txtr: the response names participant "+hex16(s.patient.ind())+" but the submitter is "+hex16(stranger.ind())+"; answer only for yourself")
	mustStore(t, s.l, s.patient, txtrInput(t, kappa0, s.patient))
	expectRefusal(t, store_(s.l, t, s.patient, txtrInput(t, kappa0, s.patient)), AlreadyStored,
		"already_stored: participant "+hex16(s.patient.ind())+" has already answered case "+hex.EncodeToString(kappa0))

	mustStore(t, s.l, s.family, txtrInput(t, kappa0, s.family))
	mustStore(t, s.l, s.pharmacist, txtrInput(t, kappa0, s.pharmacist))
	others := []uint64{s.patient.ind(), s.family.ind(), s.pharmacist.ind()}
	expectRefusal(t, store_(s.l, t, s.doctor, txdInput(t, kappa0, s.doctor, others[:2], 4)), Invalid,
		"invalid: txd: participants must list the case's other 3 participants in canonical order (patient, family, doctor, pharmacists, insurers, lawyers/experts)")
	expectRefusal(t, store_(s.l, t, s.doctor, txdInput(t, kappa0, s.doctor, others, 3)), Invalid,
		"invalid: txd: the tag must hold one 66-byte coefficient per participant (4 × 66 = 264 bytes), got 198 bytes")
	first := txdInput(t, kappa0, s.doctor, others, 4)
	mustStore(t, s.l, s.doctor, first)
	expectRefusal(t, store_(s.l, t, s.doctor, first), AlreadyStored,
		"already_stored: a record with key "+hex.EncodeToString(sha256sum(first))+" exists; records are write-once")
	otherTag := caseRecord(t, kappa0, s.doctor, others, 4)
	otherTag.Tag[0] = 1
	otherTag.TagSignature = signTag(t, s.doctor, kappa0, otherTag.Tag)
	expectRefusal(t, store_(s.l, t, s.doctor, wrap(t, "txd", otherTag)), Invalid,
		"invalid: txd: the tag differs from the one the doctor fixed for this case; every record of a case carries the doctor's tag and signature")
	otherTag.Tag[0] = 2
	expectRefusal(t, store_(s.l, t, s.doctor, wrap(t, "txd", otherTag)), Invalid,
		"invalid: txd: tag coefficient 0 is not below 2^521 − 1")
}

func hex16(v uint64) string { return hex.EncodeToString(binary.BigEndian.AppendUint64(nil, v)) }

func sha256sum(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

func TestTheFabricCAAttributesAreReadAsTheRustShimDoes(t *testing.T) {
	for _, c := range []struct{ json, want string }{
		{`{"attrs":{"medchain.role":"doctor","hf.EnrollmentID":"d"}}`, "doctor"},
		{`{"attrs":null}`, ""},
		{`{}`, ""},
	} {
		p := newParticipant(t, "Org1MSP", c.json)
		id, err := parseSerializedIdentity(p.serialized())
		if err != nil || id.attributes["medchain.role"] != c.want {
			t.Fatalf("%s: %v %v", c.json, id, err)
		}
	}
	for _, c := range []struct{ json, want string }{
		{`[]`, "the certificate's attribute extension is malformed: not a JSON object"},
		{`{"attrs":[]}`, `the certificate's attribute extension is malformed: "attrs" is not a JSON object`},
		{`{"attrs":{"a":1}}`, `the certificate's attribute extension is malformed: attribute "a" is not a string`},
	} {
		p := newParticipant(t, "Org1MSP", c.json)
		if _, err := parseSerializedIdentity(p.serialized()); err == nil || err.Error() != c.want {
			t.Fatalf("%s: %v", c.json, err)
		}
	}
}

func TestALedgerFailureIsALedgerRefusal(t *testing.T) {
	stub := &fakeStub{l: newLedger(), args: [][]byte{[]byte("Get"), make([]byte, 32)}, reads: map[string]bool{},
		writes: map[string][]byte{}, failGet: errFake}
	_, err := MedicalRecords{}.Call(stub)
	response := Response(nil, err)
	if response.Status != 500 || response.Message != "ledger: the peer is gone" || len(response.Payload) != 0 {
		t.Fatalf("%v", response)
	}
}

var errFake = errorString("the peer is gone")

type errorString string

func (e errorString) Error() string { return string(e) }

func TestEveryCodeHasTheProtocolsStatus(t *testing.T) {
	want := map[string]int32{"bad_call": 400, "invalid": 400, "unauthorized": 403, "already_stored": 409,
		"out_of_order": 409, "not_found": 404, "corrupt": 500, "ledger": 500}
	if len(AllCodes) != len(want) {
		t.Fatalf("%d codes", len(AllCodes))
	}
	for _, c := range AllCodes {
		if want[c.Name] != c.Status {
			t.Fatalf("%s has status %d", c.Name, c.Status)
		}
		r := Response(nil, refuse(c, "x"))
		if r.Status != c.Status || r.Message != c.Name+": x" {
			t.Fatalf("%v", r)
		}
	}
}

func TestTheRolePolicyIsFixedByInitOnlyAndGatesEveryRegistration(t *testing.T) {
	l := newLedger()
	doctor := withRole(t, "Org1MSP", "doctor")
	expectRefusal(t, store_(l, t, doctor, regInput(t, doctor, pb.Role_ROLE_DOCTOR)), Unauthorized,
		"unauthorized: reg: the consortium has not initialized the chaincode's role policy; an administrator must run Init first")
	expectRefusal(t, l.invoke(t, doctor, []byte("GetPolicy")), NotFound,
		"not_found: the consortium has not initialized the chaincode's role policy")
	policy := []byte(hex.EncodeToString(encode(t, thePolicy())))
	expectRefusal(t, l.invoke(t, doctor, []byte("Init"), policy), BadCall,
		"bad_call: Init runs only as the chaincode's initialization (invoke it with --isInit on a definition approved with --init-required)")
	expectRefusal(t, l.initialize(t, doctor, []byte("Store"), policy), BadCall,
		`bad_call: the chaincode's initialization must call Init with the role policy, not "Store"`)
	expectRefusal(t, l.initialize(t, doctor, []byte("Init")), BadCall,
		"bad_call: Init takes exactly one argument (the hex-encoded role policy), got 0")
	expectRefusal(t, l.invoke(t, doctor, []byte("GetPolicy"), nil), BadCall, "bad_call: GetPolicy takes no argument, got 1")

	l = initializedLedger(t)
	got := l.invoke(t, doctor, []byte("GetPolicy"))
	if got.err != nil || !bytes.Equal(got.payload, encode(t, thePolicy())) {
		t.Fatalf("GetPolicy: %v", got.err)
	}
	wrongMSP := encode(t, &pb.InputParameter{Record: &pb.InputParameter_Reg{Reg: &pb.Registration{
		Role: pb.Role_ROLE_DOCTOR, CertificatePem: doctor.pem, MspId: "Org2MSP"}}})
	expectRefusal(t, store_(l, t, doctor, wrongMSP), Unauthorized,
		`unauthorized: reg: the registration names organization "Org2MSP" but the submitter belongs to "Org1MSP"; register under your own MSP id`)
	plain := newParticipant(t, "Org1MSP", "")
	expectRefusal(t, store_(l, t, plain, regInput(t, plain, pb.Role_ROLE_DOCTOR)), Unauthorized,
		"unauthorized: reg: the submitter's certificate has no medchain.role attribute; enroll with your organization's Fabric CA as a registered doctor")
	expectRefusal(t, store_(l, t, doctor, regInput(t, doctor, pb.Role_ROLE_INSURER)), Unauthorized,
		"unauthorized: reg: the submitter's certificate says medchain.role=doctor, not insurer; register with the role your CA certified")
	org2Doctor := withRole(t, "Org2MSP", "doctor")
	expectRefusal(t, store_(l, t, org2Doctor, regInput(t, org2Doctor, pb.Role_ROLE_DOCTOR)), Unauthorized,
		"unauthorized: reg: the consortium's policy does not let Org2MSP issue the doctor role (it may issue pharmacist, insurer, lawyer-expert); register with an organization allowed to make doctors")
	org3 := withRole(t, "Org3MSP", "doctor")
	expectRefusal(t, store_(l, t, org3, regInput(t, org3, pb.Role_ROLE_DOCTOR)), Unauthorized,
		"unauthorized: reg: the consortium's policy does not let Org3MSP issue the doctor role (it may issue no role); register with an organization allowed to make doctors")
	mustStore(t, l, doctor, regInput(t, doctor, pb.Role_ROLE_DOCTOR))
}

func TestOnlyACanonicalSortedPolicyInitializes(t *testing.T) {
	admin := newParticipant(t, "Org1MSP", "")
	issuer := func(msp string, roles ...pb.Role) *pb.RoleIssuer { return &pb.RoleIssuer{MspId: msp, Roles: roles} }
	d, p := pb.Role_ROLE_DOCTOR, pb.Role_ROLE_PHARMACIST
	for _, c := range []struct {
		raw  []byte
		want string
	}{
		{[]byte("zz"), "invalid: policy: the Init argument must be the hex encoding of a medchain.v1.ConsortiumPolicy"},
		{[]byte{0x0a, 0x05}, "invalid: policy: it is not a medchain.v1.ConsortiumPolicy (it does not decode as protobuf)"},
		{[]byte{0x08, 0x01}, "invalid: policy: it is not a medchain.v1.ConsortiumPolicy (it does not decode as protobuf)"},
		{append(encode(t, &pb.ConsortiumPolicy{Issuers: []*pb.RoleIssuer{issuer("A", d)}}), 0x18, 0x01), "invalid: policy: it is not in canonical protobuf encoding; encode it with a standard protobuf encoder"},
		{nil, "invalid: policy: it names no organization; list at least one MSP id and the roles it may issue"},
		{encode(t, &pb.ConsortiumPolicy{Issuers: []*pb.RoleIssuer{issuer("B", d), issuer("A", d)}}), `invalid: policy: the organizations must be sorted by MSP id and listed once ("B" comes before "A")`},
		{encode(t, &pb.ConsortiumPolicy{Issuers: []*pb.RoleIssuer{issuer("A", d), issuer("A", p)}}), `invalid: policy: the organizations must be sorted by MSP id and listed once ("A" comes before "A")`},
		{encode(t, &pb.ConsortiumPolicy{Issuers: []*pb.RoleIssuer{issuer("", d), issuer("A", p)}}), "invalid: policy: an organization has an empty MSP id"},
		{encode(t, &pb.ConsortiumPolicy{Issuers: []*pb.RoleIssuer{issuer("A")}}), "invalid: policy: A may issue no role; give it at least one or leave it out"},
		{encode(t, &pb.ConsortiumPolicy{Issuers: []*pb.RoleIssuer{issuer("A", d, 0)}}), "invalid: policy: A lists role number 0, which is no registered role (1 to 4)"},
		{encode(t, &pb.ConsortiumPolicy{Issuers: []*pb.RoleIssuer{issuer("A", 5)}}), "invalid: policy: A lists role number 5, which is no registered role (1 to 4)"},
		{encode(t, &pb.ConsortiumPolicy{Issuers: []*pb.RoleIssuer{issuer("A", p, d)}}), "invalid: policy: the roles of A must be sorted and listed once"},
		{encode(t, &pb.ConsortiumPolicy{Issuers: []*pb.RoleIssuer{issuer("A", d, d)}}), "invalid: policy: the roles of A must be sorted and listed once"},
		{encode(t, &pb.ConsortiumPolicy{Issuers: []*pb.RoleIssuer{issuer("A", d)}, KdfFloor: &pb.KdfFloor{MKib: 7, T: 2}}), "invalid: policy: kdf_floor.m_kib must be between 8 and 1048576 KiB, got 7"},
		{encode(t, &pb.ConsortiumPolicy{Issuers: []*pb.RoleIssuer{issuer("A", d)}, KdfFloor: &pb.KdfFloor{MKib: 1024*1024 + 1, T: 2}}), "invalid: policy: kdf_floor.m_kib must be between 8 and 1048576 KiB, got 1048577"},
		{encode(t, &pb.ConsortiumPolicy{Issuers: []*pb.RoleIssuer{issuer("A", d)}, KdfFloor: &pb.KdfFloor{MKib: 8, T: 0}}), "invalid: policy: kdf_floor.t must be between 1 and 16, got 0"},
		{encode(t, &pb.ConsortiumPolicy{Issuers: []*pb.RoleIssuer{issuer("A", d)}, KdfFloor: &pb.KdfFloor{MKib: 8, T: 17}}), "invalid: policy: kdf_floor.t must be between 1 and 16, got 17"},
	} {
		argument := c.raw
		if string(c.raw) != "zz" {
			argument = []byte(hex.EncodeToString(c.raw))
		}
		expectRefusal(t, newLedger().initialize(t, admin, []byte("Init"), argument), Invalid, c.want)
	}
	expectRefusal(t, newLedger().initialize(t, admin, []byte("Init"), make([]byte, 2*16*1024+1)), Invalid,
		"invalid: policy: it is larger than 16384 bytes")
}

// The consortium's KDF floor (protocol v2, attack 2), as the Rust
// contract's the_consortiums_kdf_floor_holds_for_every_case: the default
// floor (no kdf_floor) refuses weak cases, a lowered floor lets cases down
// to it in, and refusals write nothing.
func TestTheConsortiumsKdfFloorHoldsForEveryCase(t *testing.T) {
	for _, c := range []struct {
		floor        *pb.KdfFloor
		mKiB, passes uint32
		want         string
	}{
		{nil, 19455, 2, "invalid: txtc: kdf.m_kib = 19455 KiB is below the consortium's floor of 19456 KiB; open the case with at least that much memory"},
		{nil, 65536, 1, "invalid: txtc: kdf.t = 1 is below the consortium's floor of 2 passes; open the case with at least that many"},
		{&pb.KdfFloor{MKib: 64, T: 1}, 63, 1, "invalid: txtc: kdf.m_kib = 63 KiB is below the consortium's floor of 64 KiB; open the case with at least that much memory"},
		{nil, 19456, 2, ""},
		{&pb.KdfFloor{MKib: 64, T: 1}, 64, 1, ""},
	} {
		s := newScenario(t)
		policy := thePolicy()
		policy.KdfFloor = c.floor
		s.l.state["medchain.policy"] = encode(t, policy)
		s.opening.Kdf = &pb.KdfParams{MKib: c.mKiB, T: c.passes, P: 1}
		sign(t, s.patient, s.opening)
		if c.want == "" {
			mustStore(t, s.l, s.doctor, txtcInput(t, s.opening))
			continue
		}
		expectRefusal(t, store_(s.l, t, s.doctor, txtcInput(t, s.opening)), Invalid, c.want)
	}
}

// protowireBytes is the tag and length of a length-delimited field.
func protowireBytes(number, length int) []byte {
	out := protowire.AppendTag(nil, protowire.Number(number), protowire.BytesType)
	return protowire.AppendVarint(out, uint64(length))
}
