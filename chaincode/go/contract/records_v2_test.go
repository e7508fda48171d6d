package contract

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"

	pb "medchain/chaincode/go/medchainpb"

	"google.golang.org/protobuf/proto"
)

// answered opens the scenario's case and has every participant answer it;
// it returns κ0 and each writer's canonical list of the other participants.
func (s *scenario) answered(t *testing.T) ([]byte, func(*participant) []uint64) {
	t.Helper()
	kappa0 := mustStore(t, s.l, s.doctor, txtcInput(t, s.opening))
	for _, p := range []*participant{s.patient, s.family, s.pharmacist} {
		mustStore(t, s.l, p, txtrInput(t, kappa0, p))
	}
	others := func(p *participant) []uint64 {
		all := []uint64{s.patient.ind(), s.family.ind(), s.doctor.ind(), s.pharmacist.ind()}
		var out []uint64
		for _, ind := range all {
			if ind != p.ind() {
				out = append(out, ind)
			}
		}
		return out
	}
	return kappa0, others
}

// Protocol v2, attack 1 (tag substitution): only the doctor fixes a case's
// tag, the tag carries the doctor's signature over κ0 and the tag, and a
// constant ("degenerate") polynomial is refused. Each refusal leaves no
// record and no fixed tag behind: the doctor's honest tag is accepted
// afterwards. (Rust: only_the_doctor_fixes_a_signed_non_degenerate_tag.)
func TestOnlyTheDoctorFixesASignedNonDegenerateTag(t *testing.T) {
	s := newScenario(t)
	kappa0, others := s.answered(t)
	const k = 4
	// A listed pharmacist stores the first record, with a tag it made and
	// signed itself: refused, the doctor has not fixed the tag.
	own := caseRecord(t, kappa0, s.pharmacist, others(s.pharmacist), k)
	own.Tag[3*66-1] = 5
	own.TagSignature = signTag(t, s.pharmacist, kappa0, own.Tag)
	expectRefusal(t, store_(s.l, t, s.pharmacist, wrap(t, "txm", own)), OutOfOrder,
		"out_of_order: the doctor has not fixed the tag of case "+hex.EncodeToString(kappa0)+" yet; wait for the doctor's first txd record")
	// The paper's attack: a constant polynomial α_0 = K′ gives every
	// participant the public key K′. Refused whoever signs it.
	constant := caseRecord(t, kappa0, s.doctor, others(s.doctor), k)
	constant.Tag = make([]byte, 66*k)
	constant.Tag[65] = 42
	constant.TagSignature = signTag(t, s.doctor, kappa0, constant.Tag)
	expectRefusal(t, store_(s.l, t, s.doctor, wrap(t, "txd", constant)), Invalid,
		"invalid: txd: the tag is degenerate: every coefficient but α_0 is zero, so it would give everyone the same public key")
	// An all-zero tag is degenerate too (and is what protocol v1 tests sent).
	constant.Tag = make([]byte, 66*k)
	expectRefusal(t, store_(s.l, t, s.doctor, wrap(t, "txd", constant)), Invalid,
		"invalid: txd: the tag is degenerate: every coefficient but α_0 is zero, so it would give everyone the same public key")
	// The doctor's record must carry the doctor's own signature over this
	// case's tag: none, someone else's, another case's, a high-S one, one
	// that is not DER.
	doctorRecord := func(change func(*pb.CaseRecord)) []byte {
		r := caseRecord(t, kappa0, s.doctor, others(s.doctor), k)
		change(r)
		return wrap(t, "txd", r)
	}
	expectRefusal(t, store_(s.l, t, s.doctor, doctorRecord(func(r *pb.CaseRecord) { r.TagSignature = nil })), Invalid,
		"invalid: txd: the record carries no tag signature (a protocol v1 record); use a medchain v2 client, which carries the doctor's signed tag")
	byPharmacist := signTag(t, s.pharmacist, kappa0, testTag(k))
	otherCase := signTag(t, s.doctor, bytes.Repeat([]byte{9}, 32), testTag(k))
	otherTag := testTag(k)
	otherTag[100] = 1
	overOtherTag := signTag(t, s.doctor, kappa0, otherTag)
	for _, signature := range [][]byte{byPharmacist, otherCase, overOtherTag} {
		expectRefusal(t, store_(s.l, t, s.doctor, doctorRecord(func(r *pb.CaseRecord) { r.TagSignature = signature })), Invalid,
			"invalid: txd: the tag signature is not the case's doctor's (it does not verify with the signer's key); carry the tag and signature of the doctor's record")
	}
	highS := flipS(t, signTag(t, s.doctor, kappa0, testTag(k)))
	expectRefusal(t, store_(s.l, t, s.doctor, doctorRecord(func(r *pb.CaseRecord) { r.TagSignature = highS })), Invalid,
		"invalid: txd: the tag signature is not the case's doctor's (its S is high; sign with low S (S ≤ n/2)); carry the tag and signature of the doctor's record")
	for _, malformed := range [][]byte{{0x30, 1, 2}, make([]byte, 73), append(signTag(t, s.doctor, kappa0, testTag(k)), 0)} {
		expectRefusal(t, store_(s.l, t, s.doctor, doctorRecord(func(r *pb.CaseRecord) { r.TagSignature = malformed })), Invalid,
			"invalid: txd: the tag signature is not the case's doctor's (it is not a DER ECDSA P-256 signature); carry the tag and signature of the doctor's record")
	}
	// Nothing above was written: the case holds its opening and responses
	// only, and no tag is fixed.
	got := s.l.invoke(t, s.patient, []byte("GetCase"), kappa0)
	if got.err != nil {
		t.Fatal(got.err)
	}
	var records pb.CaseRecords
	if err := proto.Unmarshal(got.payload, &records); err != nil {
		t.Fatal(err)
	}
	for _, r := range records.Records {
		if r.Type != "txtc" && r.Type != "txtr" {
			t.Fatalf("a refused record was stored: %s %x", r.Type, r.Key)
		}
	}
	tagState, err := tagKey(kappa0)
	if err != nil {
		t.Fatal(err)
	}
	if s.l.state[tagState] != nil {
		t.Fatal("a refused record fixed the tag")
	}
	// The doctor's honest record fixes the tag (SHA-256 of it), and the
	// pharmacist then stores a record carrying the same tag and the
	// doctor's signature; a later record does not write the tag again.
	res := store_(s.l, t, s.doctor, doctorRecord(func(*pb.CaseRecord) {}))
	if res.err != nil {
		t.Fatal(res.err)
	}
	if want := sha256.Sum256(testTag(k)); !bytes.Equal(res.stub.writes[tagState], want[:]) {
		t.Fatalf("the doctor's first txd fixed %x, want SHA-256(tag) %x", res.stub.writes[tagState], want)
	}
	res = store_(s.l, t, s.pharmacist, wrap(t, "txm", caseRecord(t, kappa0, s.doctor, others(s.pharmacist), k)))
	if res.err != nil {
		t.Fatal(res.err)
	}
	if _, rewritten := res.stub.writes[tagState]; rewritten {
		t.Fatal("a later record wrote the fixed tag again")
	}
	// A later record re-signed by someone else is refused even with the
	// fixed tag.
	resigned := caseRecord(t, kappa0, s.doctor, others(s.pharmacist), k)
	resigned.TagSignature = signTag(t, s.pharmacist, kappa0, resigned.Tag)
	expectRefusal(t, store_(s.l, t, s.pharmacist, wrap(t, "txm", resigned)), Invalid,
		"invalid: txm: the tag signature is not the case's doctor's (it does not verify with the signer's key); carry the tag and signature of the doctor's record")
	// Another tag, even one the doctor signed, differs from the fixed one.
	other := caseRecord(t, kappa0, s.doctor, others(s.pharmacist), k)
	other.Tag, other.TagSignature = otherTag, overOtherTag
	expectRefusal(t, store_(s.l, t, s.pharmacist, wrap(t, "txm", other)), Invalid,
		"invalid: txm: the tag differs from the one the doctor fixed for this case; every record of a case carries the doctor's tag and signature")
}

// Only padded lengths: a 256·2^i bucket ≤ 1 MiB plus nonce and GCM tag.
// (Rust: the padded-length loop of record_rules.)
func TestRecordRulesOnlyPaddedCiphertexts(t *testing.T) {
	s := newScenario(t)
	kappa0, others := s.answered(t)
	txd := func(n int) []byte {
		r := caseRecord(t, kappa0, s.doctor, others(s.doctor), 4)
		r.Ciphertext = make([]byte, n)
		return wrap(t, "txd", r)
	}
	for _, n := range []int{0, 27, 28, 40, 283, 285, 512 + 27, 300 + 28, 1024*1024 + 29} {
		expectRefusal(t, store_(s.l, t, s.doctor, txd(n)), Invalid,
			"invalid: txd: the ciphertext must be a padded record (a 256·2^i-byte bucket from 256 B to 1048576 B, plus a 12-byte nonce and a 16-byte GCM tag), got "+strconv.Itoa(n)+" bytes; pad the plaintext as protocol v2 specifies")
	}
	// The ciphertext length is checked before the tag.
	short := caseRecord(t, kappa0, s.doctor, others(s.doctor), 3)
	short.Ciphertext = make([]byte, 40)
	expectRefusal(t, store_(s.l, t, s.doctor, wrap(t, "txd", short)), Invalid,
		"invalid: txd: the ciphertext must be a padded record (a 256·2^i-byte bucket from 256 B to 1048576 B, plus a 12-byte nonce and a 16-byte GCM tag), got 40 bytes; pad the plaintext as protocol v2 specifies")
	// Many records of each padded length form a treatment log.
	for _, n := range []int{284, 512 + 28, 1024 + 28, 1024*1024 + 28} {
		mustStore(t, s.l, s.doctor, txd(n))
	}
}

func TestPaddedCiphertextLengthsAreBucketsFrom256BToOneMiB(t *testing.T) {
	for _, n := range []int{284, 540, 1024 + 28, maxCiphertextBytes} {
		if !isRecordCiphertextLen(n) {
			t.Fatalf("%d is a padded length", n)
		}
	}
	for _, n := range []int{0, 28, 255 + 28, 283, 285, 300 + 28, 2*maxPaddedBytes + 28} {
		if isRecordCiphertextLen(n) {
			t.Fatalf("%d is not a padded length", n)
		}
	}
	if minCiphertextBytes != 284 || maxCiphertextBytes != 1024*1024+28 || maxInputBytes != 1024*1024+28+8*1024 {
		t.Fatal("the bounds of limits.rs changed")
	}
}

// A case whose doctor's registration is gone (a corrupt ledger) refuses
// its records after the tag checks.
func TestAMissingDoctorRegistrationIsCorrupt(t *testing.T) {
	s := newScenario(t)
	kappa0, others := s.answered(t)
	mustStore(t, s.l, s.doctor, txdInput(t, kappa0, s.doctor, others(s.doctor), 4))
	key, err := registrationKey(s.doctor.ind())
	if err != nil {
		t.Fatal(err)
	}
	delete(s.l.state, key)
	expectRefusal(t, store_(s.l, t, s.pharmacist, wrap(t, "txm", caseRecord(t, kappa0, s.doctor, others(s.pharmacist), 4))), Corrupt,
		"corrupt: the doctor "+hex16(s.doctor.ind())+" of case "+hex.EncodeToString(kappa0)+" is not registered")
}

// Rust: the_message_binds_case_and_tag and
// only_a_low_s_signature_of_the_same_case_and_tag_by_the_doctor_holds
// (protos/medchain/src/signature.rs).
func TestOnlyALowSSignatureOfTheSameCaseAndTagByTheDoctorHolds(t *testing.T) {
	one, two := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	m := tagSignatureMessage(one, []byte("tag"))
	digest := sha256.Sum256([]byte("tag"))
	if want := append(append([]byte("medchain-tag-v2\x00"), one...), digest[:]...); len(m) != 80 || !bytes.Equal(m, want) {
		t.Fatalf("message %x", m)
	}
	doctor, other := newParticipant(t, "Org1MSP", ""), newParticipant(t, "Org1MSP", "")
	good := signTag(t, doctor, one, []byte("tag"))
	if err := verifyTagSignature(doctor.public, one, []byte("tag"), good); err != nil {
		t.Fatal(err)
	}
	if err := verifyTagSignature(doctor.public, one, []byte("tag"), flipS(t, good)); err != faultHighS {
		t.Fatalf("high S: %v", err)
	}
	for _, c := range []struct {
		key, kappa0 []byte
		tag         string
	}{{doctor.public, two, "tag"}, {doctor.public, one, "tah"}, {other.public, one, "tag"}} {
		if err := verifyTagSignature(c.key, c.kappa0, []byte(c.tag), good); err != faultMismatch {
			t.Fatalf("%x %s: %v", c.kappa0, c.tag, err)
		}
	}
	for _, bad := range [][]byte{nil, {0x30, 0x02, 0x01}, make([]byte, 73), {0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01}} {
		if err := verifyTagSignature(doctor.public, one, []byte("tag"), bad); err != faultMalformed {
			t.Fatalf("%x: %v", bad, err)
		}
	}
	for f, want := range map[signatureFault]string{
		faultMalformed: "it is not a DER ECDSA P-256 signature",
		faultHighS:     "its S is high; sign with low S (S ≤ n/2)",
		faultMismatch:  "it does not verify with the signer's key",
	} {
		if f.Error() != want {
			t.Fatalf("%q, want %q", f.Error(), want)
		}
	}
}

// The Go verifier classifies DER edge cases (extra or missing leading
// zeros, negative, zero, n and n − 1 scalars, S at n/2 and n/2 + 1, long
// and indefinite lengths, trailing bytes, extra elements, wrong tags) as
// the Rust contract's p256 does; testdata/rust-tag-signatures.txt holds
// Rust's answers.
func TestTagSignaturesAreClassifiedAsTheRustContractDoes(t *testing.T) {
	f, err := os.Open("testdata/rust-tag-signatures.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names := map[error]string{nil: "ok", faultMalformed: "Malformed", faultHighS: "HighS", faultMismatch: "Mismatch"}
	var key []byte
	vectors := 0
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		fields := strings.Fields(lines.Text())
		switch {
		case len(fields) == 0 || strings.HasPrefix(fields[0], "#"):
			continue
		case fields[0] == "key":
			key, err = hex.DecodeString(fields[1])
		default:
			var der []byte
			if fields[0] != "-" {
				der, err = hex.DecodeString(fields[0])
			}
			if err == nil {
				got := names[verifyTagSignature(key, bytes.Repeat([]byte{1}, 32), []byte("tag"), der)]
				if got != fields[1] {
					t.Errorf("%x: Go says %s, Rust %s", der, got, fields[1])
				}
				vectors++
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if vectors < 30 {
		t.Fatalf("only %d vectors", vectors)
	}
}
