package contract

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"

	pb "medchain/chaincode/go/medchainpb"

	"google.golang.org/protobuf/proto"
)

// grantSetup is the scenario's case, answered by everyone, with a
// registered insurer who is no participant of it.
type grantSetup struct {
	*scenario
	kappa0  []byte
	others  func(*participant) []uint64
	insurer *participant
}

// newGrantSetup answers the case and, when diagnosed, stores the doctor's
// first txd (which fixes the tag and establishes the case key).
func newGrantSetup(t *testing.T, diagnosed bool) *grantSetup {
	t.Helper()
	s := newScenario(t)
	insurer := withRole(t, "Org2MSP", "insurer")
	mustStore(t, s.l, insurer, regInput(t, insurer, pb.Role_ROLE_INSURER))
	kappa0, others := s.answered(t)
	if diagnosed {
		mustStore(t, s.l, s.doctor, txdInput(t, kappa0, s.doctor, others(s.doctor), 4))
	}
	return &grantSetup{scenario: s, kappa0: kappa0, others: others, insurer: insurer}
}

// signGrant is signer's low-S signature over the grant's fields.
func signGrant(t *testing.T, signer *participant, g *pb.GrantOpening) []byte {
	t.Helper()
	digest := sha256.Sum256(grantSignatureMessage(g.GetCaseKey(), g.GetGranter(), g.GetGrantee(), int32(g.GetGranteeRole()), g.GetGranteeKey(), g.GetGranterEphemeralKey()))
	return signLowS(t, signer, digest[:])
}

// grantOf is granter's signed grant of case κ0 to grantee (a registered
// role with no key, or a family member's key with ROLE_UNSPECIFIED).
func grantOf(t *testing.T, kappa0 []byte, granter *participant, grantee uint64, role pb.Role, key []byte) *pb.GrantOpening {
	t.Helper()
	g := &pb.GrantOpening{CaseKey: kappa0, Granter: granter.ind(), Grantee: grantee, GranteeRole: role,
		GranteeKey: key, GranterEphemeralKey: compressed(granter.public)}
	g.Signature = signGrant(t, granter, g)
	return g
}

func txgoInput(t *testing.T, g *pb.GrantOpening) []byte {
	return encode(t, &pb.InputParameter{Record: &pb.InputParameter_Txgo{Txgo: g}})
}

// grantResponseOf is p's answer to its grant of case κ0.
func grantResponseOf(kappa0 []byte, p *participant) *pb.GrantResponse {
	return &pb.GrantResponse{CaseKey: kappa0, Grantee: p.ind(), EphemeralKey: compressed(p.public), SealedSecret: make([]byte, 60)}
}

func txgrInput(t *testing.T, r *pb.GrantResponse) []byte {
	return encode(t, &pb.InputParameter{Record: &pb.InputParameter_Txgr{Txgr: r}})
}

// signGrantTag is signer's low-S signature over the grant tag of grantee.
func signGrantTag(t *testing.T, signer *participant, kappa0 []byte, grantee uint64, tag []byte) []byte {
	t.Helper()
	digest := sha256.Sum256(grantTagSignatureMessage(kappa0, grantee, tag))
	return signLowS(t, signer, digest[:])
}

// grantTagOf is granter's signed two-point grant tag for grantee.
func grantTagOf(t *testing.T, kappa0 []byte, granter *participant, grantee uint64) *pb.GrantTag {
	t.Helper()
	tag := testTag(2)
	return &pb.GrantTag{CaseKey: kappa0, Grantee: grantee, Tag: tag, TagSignature: signGrantTag(t, granter, kappa0, grantee, tag)}
}

func txgtInput(t *testing.T, gt *pb.GrantTag) []byte {
	return encode(t, &pb.InputParameter{Record: &pb.InputParameter_Txgt{Txgt: gt}})
}

// eventOf decodes the chaincode event of a successful Store and checks its
// name, type, key and case key.
func eventOf(t *testing.T, r result, recordType string, kappa0 []byte) *pb.StoreEvent {
	t.Helper()
	if r.err != nil {
		t.Fatalf("%s refused: %v", recordType, r.err)
	}
	var event pb.StoreEvent
	if err := proto.Unmarshal(r.stub.payload, &event); err != nil {
		t.Fatal(err)
	}
	if r.stub.event != recordType || event.Type != recordType || !bytes.Equal(event.Key, r.payload) || !bytes.Equal(event.CaseKey, kappa0) {
		t.Fatalf("event %s %v", r.stub.event, &event)
	}
	return &event
}

// expectWrites checks that a Store wrote exactly its record, its case index
// entry and the given keys with the given values.
func expectWrites(t *testing.T, r result, input []byte, want map[string][]byte) {
	t.Helper()
	kappa := sha256sum(input)
	if !bytes.Equal(r.payload, kappa) || !bytes.Equal(r.stub.writes[recordStateKey(kappa)], input) {
		t.Fatalf("the record is not stored under κ = SHA-256(argument)")
	}
	if len(r.stub.writes) != 2+len(want) {
		t.Fatalf("%d writes, want %d: %q", len(r.stub.writes), 2+len(want), r.stub.writes)
	}
	for key, value := range want {
		if got, ok := r.stub.writes[key]; !ok || !bytes.Equal(got, value) {
			t.Fatalf("%q holds %x, want %x", key, got, value)
		}
	}
}

func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// plantGrant writes a stored grant directly (a corrupt or forged ledger):
// value under its κ and the grant key of grantee pointing at it.
func plantGrant(t *testing.T, l *ledger, kappa0 []byte, grantee uint64, value []byte) {
	t.Helper()
	kappa := sha256sum(value)
	l.state[recordStateKey(kappa)] = value
	key, err := grantKey(kappa0, grantee)
	if err != nil {
		t.Fatal(err)
	}
	l.state[key] = kappa
}

// The whole grant: the patient grants the case to a registered insurer and
// a family member grants it to a relative named by key; each answers and
// gets its grant tag; every later record notifies both, after the case's
// own receivers, in grant order.
func TestAGrantedParticipantIsNotifiedOfEveryLaterRecord(t *testing.T) {
	g := newGrantSetup(t, true)
	hexKappa0 := hex.EncodeToString(g.kappa0)
	insurer := g.insurer.ind()

	grant := txgoInput(t, grantOf(t, g.kappa0, g.patient, insurer, pb.Role_ROLE_INSURER, nil))
	res := store_(g.l, t, g.patient, grant)
	if event := eventOf(t, res, "txgo", g.kappa0); !equal(event.Receivers, []uint64{insurer}) {
		t.Fatalf("txgo receivers %v", event.Receivers)
	}
	expectWrites(t, res, grant, map[string][]byte{
		"\x00medchain.txgo\x00" + hexKappa0 + "\x00" + hex16(insurer) + "\x00": sha256sum(grant),
		"\x00medchain.grants\x00" + hexKappa0 + "\x00":                         {0, 0, 0, 0, 0, 0, 0, 1}})

	answer := txgrInput(t, grantResponseOf(g.kappa0, g.insurer))
	res = store_(g.l, t, g.insurer, answer)
	if event := eventOf(t, res, "txgr", g.kappa0); !equal(event.Receivers, []uint64{g.patient.ind()}) {
		t.Fatalf("txgr receivers %v", event.Receivers)
	}
	expectWrites(t, res, answer, map[string][]byte{
		"\x00medchain.txgr\x00" + hexKappa0 + "\x00" + hex16(insurer) + "\x00": sha256sum(answer)})

	tag := txgtInput(t, grantTagOf(t, g.kappa0, g.patient, insurer))
	res = store_(g.l, t, g.patient, tag)
	if event := eventOf(t, res, "txgt", g.kappa0); !equal(event.Receivers, []uint64{insurer}) {
		t.Fatalf("txgt receivers %v", event.Receivers)
	}
	granteesState := "\x00medchain.grantees\x00" + hexKappa0 + "\x00"
	expectWrites(t, res, tag, map[string][]byte{
		"\x00medchain.txgt\x00" + hexKappa0 + "\x00" + hex16(insurer) + "\x00": sha256sum(tag),
		granteesState: be64(insurer)})

	// A family member grants the case to a relative named by its key.
	relative := newParticipant(t, "Org1MSP", "")
	mustStore(t, g.l, g.family, txgoInput(t, grantOf(t, g.kappa0, g.family, relative.ind(), pb.Role_ROLE_UNSPECIFIED, relative.public)))
	res = store_(g.l, t, relative, txgrInput(t, grantResponseOf(g.kappa0, relative)))
	if event := eventOf(t, res, "txgr", g.kappa0); !equal(event.Receivers, []uint64{g.family.ind()}) {
		t.Fatalf("txgr receivers %v", event.Receivers)
	}
	res = store_(g.l, t, g.family, txgtInput(t, grantTagOf(t, g.kappa0, g.family, relative.ind())))
	eventOf(t, res, "txgt", g.kappa0)
	if want := append(be64(insurer), be64(relative.ind())...); !bytes.Equal(res.stub.writes[granteesState], want) {
		t.Fatalf("grantee list %x, want %x", res.stub.writes[granteesState], want)
	}

	// Every later record notifies the grantees too.
	res = store_(g.l, t, g.doctor, txdInput(t, g.kappa0, g.doctor, g.others(g.doctor), 4))
	want := []uint64{g.patient.ind(), g.family.ind(), g.pharmacist.ind(), insurer, relative.ind()}
	if event := eventOf(t, res, "txd", g.kappa0); !equal(event.Receivers, want) {
		t.Fatalf("txd receivers %v, want %v", event.Receivers, want)
	}
	res = store_(g.l, t, g.pharmacist, wrap(t, "txm", caseRecord(t, g.kappa0, g.doctor, g.others(g.pharmacist), 4)))
	want = []uint64{g.patient.ind(), g.family.ind(), insurer, relative.ind()}
	if event := eventOf(t, res, "txm", g.kappa0); !equal(event.Receivers, want) {
		t.Fatalf("txm receivers %v, want %v", event.Receivers, want)
	}

	// GetCase names the grant records.
	got := g.l.invoke(t, g.patient, []byte("GetCase"), g.kappa0)
	if got.err != nil {
		t.Fatal(got.err)
	}
	var records pb.CaseRecords
	if err := proto.Unmarshal(got.payload, &records); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, r := range records.Records {
		types = append(types, r.Type)
	}
	if strings.Join(types, " ") != "txtc txtr txtr txtr txd txgo txgr txgt txgo txgr txgt txd txm" {
		t.Fatalf("types %v", types)
	}
}

// A case with no grant tag notifies only its own receivers.
func TestAGrantWithoutItsTagNotifiesNoOne(t *testing.T) {
	g := newGrantSetup(t, true)
	mustStore(t, g.l, g.patient, txgoInput(t, grantOf(t, g.kappa0, g.patient, g.insurer.ind(), pb.Role_ROLE_INSURER, nil)))
	mustStore(t, g.l, g.insurer, txgrInput(t, grantResponseOf(g.kappa0, g.insurer)))
	res := store_(g.l, t, g.doctor, txdInput(t, g.kappa0, g.doctor, g.others(g.doctor), 4))
	want := []uint64{g.patient.ind(), g.family.ind(), g.pharmacist.ind()}
	if event := eventOf(t, res, "txd", g.kappa0); !equal(event.Receivers, want) {
		t.Fatalf("txd receivers %v, want %v", event.Receivers, want)
	}
}

func TestAGrantIsRefusedWithTheRustContractsSentences(t *testing.T) {
	g := newGrantSetup(t, false)
	hexKappa0 := hex.EncodeToString(g.kappa0)
	insurer := g.insurer.ind()
	good := func() *pb.GrantOpening {
		return grantOf(t, g.kappa0, g.patient, insurer, pb.Role_ROLE_INSURER, nil)
	}
	// Before the doctor's first record the case key is not established.
	expectRefusal(t, store_(g.l, t, g.patient, txgoInput(t, good())), OutOfOrder,
		"out_of_order: case "+hexKappa0+" has no diagnosis yet, so its key is not established; grant it after the doctor's first record")
	mustStore(t, g.l, g.doctor, txdInput(t, g.kappa0, g.doctor, g.others(g.doctor), 4))

	changed := func(change func(*pb.GrantOpening)) []byte {
		grant := good()
		change(grant)
		grant.Signature = signGrant(t, g.patient, grant)
		return txgoInput(t, grant)
	}
	expectRefusal(t, store_(g.l, t, g.patient, changed(func(o *pb.GrantOpening) { o.CaseKey = []byte{1, 2, 3} })), Invalid,
		"invalid: txgo: the case key must be 32 bytes, got 3")
	expectRefusal(t, store_(g.l, t, g.patient, changed(func(o *pb.GrantOpening) { o.CaseKey = make([]byte, 32) })), NotFound,
		"not_found: no case is stored under key "+strings.Repeat("00", 32))
	// The granter is the submitter…
	expectRefusal(t, store_(g.l, t, g.family, txgoInput(t, good())), Unauthorized,
		"unauthorized: txgo: the grant names granter "+hex16(g.patient.ind())+" but the submitter is "+hex16(g.family.ind())+"; grant only as yourself")
	// …and the patient or a family member of the case.
	stranger := newParticipant(t, "Org1MSP", "")
	for _, p := range []*participant{g.doctor, g.pharmacist, stranger, g.insurer} {
		expectRefusal(t, store_(g.l, t, p, txgoInput(t, grantOf(t, g.kappa0, p, g.family.ind()^1, pb.Role_ROLE_UNSPECIFIED, nil))), Unauthorized,
			"unauthorized: txgo: only the patient or a family member named in case "+hexKappa0+" may grant it")
	}
	// The grantee's role.
	expectRefusal(t, store_(g.l, t, g.patient, changed(func(o *pb.GrantOpening) { o.GranteeRole = 9 })), Invalid,
		"invalid: txgo: grantee_role is not a known role")
	expectRefusal(t, store_(g.l, t, g.patient, changed(func(o *pb.GrantOpening) { o.GranteeRole = -1 })), Invalid,
		"invalid: txgo: grantee_role is not a known role")
	expectRefusal(t, store_(g.l, t, g.patient, changed(func(o *pb.GrantOpening) { o.GranteeRole = pb.Role_ROLE_UNSPECIFIED })), Invalid,
		"invalid: txgo: a registered grantee needs grantee_role doctor, pharmacist, insurer or lawyer-expert; name a family member by grantee_key instead")
	expectRefusal(t, store_(g.l, t, g.patient, changed(func(o *pb.GrantOpening) { o.GranteeRole = pb.Role_ROLE_DOCTOR })), Invalid,
		"invalid: txgo: participant "+hex16(insurer)+" is not registered with the role doctor; only registered participants or family members named by key can be granted a case")
	expectRefusal(t, store_(g.l, t, g.patient, changed(func(o *pb.GrantOpening) { o.Grantee = stranger.ind() })), Invalid,
		"invalid: txgo: participant "+hex16(stranger.ind())+" is not registered with the role insurer; only registered participants or family members named by key can be granted a case")
	// A family member named by key.
	byKey := func(key []byte, role pb.Role, grantee uint64) []byte {
		return changed(func(o *pb.GrantOpening) { o.GranteeKey, o.GranteeRole, o.Grantee = key, role, grantee })
	}
	expectRefusal(t, store_(g.l, t, g.patient, byKey([]byte{4, 1, 2}, pb.Role_ROLE_UNSPECIFIED, stranger.ind())), Invalid,
		"invalid: txgo: grantee key: expected a 65-byte SEC1 uncompressed P-256 key, got 3 bytes")
	expectRefusal(t, store_(g.l, t, g.patient, byKey(compressed(stranger.public), pb.Role_ROLE_UNSPECIFIED, stranger.ind())), Invalid,
		"invalid: txgo: grantee key: expected a 65-byte SEC1 uncompressed P-256 key, got 33 bytes")
	offCurve := append([]byte{4}, make([]byte, 64)...)
	expectRefusal(t, store_(g.l, t, g.patient, byKey(offCurve, pb.Role_ROLE_INSURER, 0)), Invalid,
		"invalid: txgo: grantee key: the key is not a point on the P-256 curve")
	expectRefusal(t, store_(g.l, t, g.patient, byKey(stranger.public, pb.Role_ROLE_INSURER, stranger.ind())), Invalid,
		"invalid: txgo: a family member named by grantee_key has no registered role; leave grantee_role unspecified")
	expectRefusal(t, store_(g.l, t, g.patient, byKey(stranger.public, pb.Role_ROLE_UNSPECIFIED, stranger.ind()+1)), Invalid,
		"invalid: txgo: grantee must be the index of grantee_key (its last 8 bytes)")
	// Participants of the case read it with their password.
	for _, c := range []struct {
		grantee uint64
		role    pb.Role
		key     []byte
	}{{g.pharmacist.ind(), pb.Role_ROLE_PHARMACIST, nil}, {g.doctor.ind(), pb.Role_ROLE_DOCTOR, nil},
		{g.family.ind(), pb.Role_ROLE_UNSPECIFIED, g.family.public}, {g.patient.ind(), pb.Role_ROLE_UNSPECIFIED, g.patient.public}} {
		expectRefusal(t, store_(g.l, t, g.patient, byKey(c.key, c.role, c.grantee)), Invalid,
			"invalid: txgo: participant "+hex16(c.grantee)+" is already a participant of case "+hexKappa0+"; it reads the case with its password")
	}
	// The granter's ephemeral key.
	expectRefusal(t, store_(g.l, t, g.patient, changed(func(o *pb.GrantOpening) { o.GranterEphemeralKey = nil })), Invalid,
		"invalid: txgo: ephemeral key: expected a 33-byte SEC1 compressed P-256 key, got 0 bytes")
	expectRefusal(t, store_(g.l, t, g.patient, changed(func(o *pb.GrantOpening) { o.GranterEphemeralKey = g.patient.public })), Invalid,
		"invalid: txgo: ephemeral key: expected a 33-byte SEC1 compressed P-256 key, got 65 bytes")
	expectRefusal(t, store_(g.l, t, g.patient, changed(func(o *pb.GrantOpening) { o.GranterEphemeralKey = append([]byte{2}, bytes.Repeat([]byte{0xff}, 32)...) })), Invalid,
		"invalid: txgo: ephemeral key: the key is not a point on the P-256 curve")
	// The granter's signature over every field.
	resigned := func(sign func(*pb.GrantOpening) []byte) []byte {
		grant := good()
		grant.Signature = sign(grant)
		return txgoInput(t, grant)
	}
	mismatch := "invalid: txgo: the grant's signature is not the granter's (it does not verify with the signer's key); sign the grant with your identity key"
	expectRefusal(t, store_(g.l, t, g.patient, resigned(func(o *pb.GrantOpening) []byte { return signGrant(t, g.family, o) })), Invalid, mismatch)
	expectRefusal(t, store_(g.l, t, g.patient, resigned(func(o *pb.GrantOpening) []byte {
		other := proto.Clone(o).(*pb.GrantOpening)
		other.GranteeRole = pb.Role_ROLE_LAWYER_EXPERT
		return signGrant(t, g.patient, other)
	})), Invalid, mismatch)
	expectRefusal(t, store_(g.l, t, g.patient, resigned(func(o *pb.GrantOpening) []byte { return signTag(t, g.patient, g.kappa0, testTag(2)) })), Invalid, mismatch)
	expectRefusal(t, store_(g.l, t, g.patient, resigned(func(o *pb.GrantOpening) []byte { return flipS(t, o.Signature) })), Invalid,
		"invalid: txgo: the grant's signature is not the granter's (its S is high; sign with low S (S ≤ n/2)); sign the grant with your identity key")
	for _, malformed := range [][]byte{nil, {0x30, 1, 2}, make([]byte, 73)} {
		expectRefusal(t, store_(g.l, t, g.patient, resigned(func(*pb.GrantOpening) []byte { return malformed })), Invalid,
			"invalid: txgo: the grant's signature is not the granter's (it is not a DER ECDSA P-256 signature); sign the grant with your identity key")
	}
	// A case is granted once per grantee, whoever grants it.
	first := txgoInput(t, good())
	mustStore(t, g.l, g.patient, first)
	already := "already_stored: case " + hexKappa0 + " is already granted to participant " + hex16(insurer) + "; a case is granted once per grantee"
	expectRefusal(t, store_(g.l, t, g.patient, first), AlreadyStored, already)
	expectRefusal(t, store_(g.l, t, g.patient, txgoInput(t, good())), AlreadyStored, already)
	expectRefusal(t, store_(g.l, t, g.family, txgoInput(t, grantOf(t, g.kappa0, g.family, insurer, pb.Role_ROLE_INSURER, nil))), AlreadyStored, already)
}

func TestAGrantResponseIsRefusedWithTheRustContractsSentences(t *testing.T) {
	g := newGrantSetup(t, true)
	hexKappa0 := hex.EncodeToString(g.kappa0)
	insurer := g.insurer.ind()
	relative := newParticipant(t, "Org1MSP", "")
	mustStore(t, g.l, g.patient, txgoInput(t, grantOf(t, g.kappa0, g.patient, insurer, pb.Role_ROLE_INSURER, nil)))
	mustStore(t, g.l, g.family, txgoInput(t, grantOf(t, g.kappa0, g.family, relative.ind(), pb.Role_ROLE_UNSPECIFIED, relative.public)))
	changed := func(p *participant, change func(*pb.GrantResponse)) []byte {
		r := grantResponseOf(g.kappa0, p)
		change(r)
		return txgrInput(t, r)
	}
	expectRefusal(t, store_(g.l, t, g.insurer, changed(g.insurer, func(r *pb.GrantResponse) { r.CaseKey = []byte{1, 2, 3} })), Invalid,
		"invalid: txgr: the case key must be 32 bytes, got 3")
	expectRefusal(t, store_(g.l, t, g.insurer, changed(g.insurer, func(r *pb.GrantResponse) { r.CaseKey = make([]byte, 32) })), NotFound,
		"not_found: no case is stored under key "+strings.Repeat("00", 32))
	expectRefusal(t, store_(g.l, t, g.insurer, txgrInput(t, grantResponseOf(g.kappa0, relative))), Unauthorized,
		"unauthorized: txgr: the answer names grantee "+hex16(relative.ind())+" but the submitter is "+hex16(insurer)+"; answer only for yourself")
	notGranted := "unauthorized: txgr: case " + hexKappa0 + " is not granted to the submitter"
	stranger := newParticipant(t, "Org1MSP", "")
	for _, p := range []*participant{stranger, g.patient, g.doctor} {
		expectRefusal(t, store_(g.l, t, p, txgrInput(t, grantResponseOf(g.kappa0, p))), Unauthorized, notGranted)
	}
	// A registered grantee answers as its registration.
	regKey, err := registrationKey(insurer)
	if err != nil {
		t.Fatal(err)
	}
	registered := g.l.state[regKey]
	delete(g.l.state, regKey)
	expectRefusal(t, store_(g.l, t, g.insurer, txgrInput(t, grantResponseOf(g.kappa0, g.insurer))), Unauthorized,
		"unauthorized: txgr: the submitter is not registered as a insurer; register first")
	g.l.state[regKey] = regInput(t, g.insurer, pb.Role_ROLE_PHARMACIST)
	expectRefusal(t, store_(g.l, t, g.insurer, txgrInput(t, grantResponseOf(g.kappa0, g.insurer))), Unauthorized,
		"unauthorized: txgr: the submitter is registered as pharmacist, not as insurer")
	g.l.state[regKey] = registered
	// A family grantee answers with exactly the key it was granted by (a
	// forged grant naming another key under the submitter's index).
	plantGrant(t, g.l, g.kappa0, stranger.ind(), txgoInput(t, grantOf(t, g.kappa0, g.patient, stranger.ind(), pb.Role_ROLE_UNSPECIFIED, relative.public)))
	expectRefusal(t, store_(g.l, t, stranger, txgrInput(t, grantResponseOf(g.kappa0, stranger))), Unauthorized, notGranted)
	plantGrant(t, g.l, g.kappa0, stranger.ind(), txgoInput(t, grantOf(t, g.kappa0, g.patient, stranger.ind(), pb.Role_ROLE_UNSPECIFIED, []byte{4, 4, 4})))
	expectRefusal(t, store_(g.l, t, stranger, txgrInput(t, grantResponseOf(g.kappa0, stranger))), Corrupt,
		"corrupt: a stored grant's grantee key: expected a 65-byte SEC1 uncompressed P-256 key, got 3 bytes")
	// A grant key pointing at no record, or at a record that is no grant.
	corrupt := "corrupt: the grant of case " + hexKappa0 + " to " + hex16(stranger.ind()) + " is missing or not a grant"
	key, err := grantKey(g.kappa0, stranger.ind())
	if err != nil {
		t.Fatal(err)
	}
	g.l.state[key] = make([]byte, 32)
	expectRefusal(t, store_(g.l, t, stranger, txgrInput(t, grantResponseOf(g.kappa0, stranger))), Corrupt, corrupt)
	g.l.state[key] = g.kappa0
	expectRefusal(t, store_(g.l, t, stranger, txgrInput(t, grantResponseOf(g.kappa0, stranger))), Corrupt, corrupt)
	plantGrant(t, g.l, g.kappa0, stranger.ind(), []byte{0xff})
	expectRefusal(t, store_(g.l, t, stranger, txgrInput(t, grantResponseOf(g.kappa0, stranger))), Corrupt,
		"corrupt: a stored record does not decode")
	// The answer itself.
	expectRefusal(t, store_(g.l, t, g.insurer, changed(g.insurer, func(r *pb.GrantResponse) { r.EphemeralKey = nil })), Invalid,
		"invalid: txgr: ephemeral key: expected a 33-byte SEC1 compressed P-256 key, got 0 bytes")
	expectRefusal(t, store_(g.l, t, g.insurer, changed(g.insurer, func(r *pb.GrantResponse) { r.EphemeralKey = append([]byte{3}, bytes.Repeat([]byte{0xff}, 32)...) })), Invalid,
		"invalid: txgr: ephemeral key: the key is not a point on the P-256 curve")
	for _, n := range []int{0, 59, 61} {
		expectRefusal(t, store_(g.l, t, g.insurer, changed(g.insurer, func(r *pb.GrantResponse) { r.SealedSecret = make([]byte, n) })), Invalid,
			"invalid: txgr: the sealed secret must be 60 bytes (nonce, 32-byte secret, GCM tag), got "+strconv.Itoa(n))
	}
	// Once per grantee.
	mustStore(t, g.l, g.insurer, txgrInput(t, grantResponseOf(g.kappa0, g.insurer)))
	mustStore(t, g.l, relative, txgrInput(t, grantResponseOf(g.kappa0, relative)))
	expectRefusal(t, store_(g.l, t, g.insurer, changed(g.insurer, func(r *pb.GrantResponse) { r.SealedSecret[0] = 1 })), AlreadyStored,
		"already_stored: participant "+hex16(insurer)+" has already answered its grant of case "+hexKappa0)
	expectRefusal(t, store_(g.l, t, relative, txgrInput(t, grantResponseOf(g.kappa0, relative))), AlreadyStored,
		"already_stored: participant "+hex16(relative.ind())+" has already answered its grant of case "+hexKappa0)
}

func TestAGrantTagIsRefusedWithTheRustContractsSentences(t *testing.T) {
	g := newGrantSetup(t, true)
	hexKappa0 := hex.EncodeToString(g.kappa0)
	insurer := g.insurer.ind()
	mustStore(t, g.l, g.patient, txgoInput(t, grantOf(t, g.kappa0, g.patient, insurer, pb.Role_ROLE_INSURER, nil)))
	good := func() *pb.GrantTag { return grantTagOf(t, g.kappa0, g.patient, insurer) }
	// The grantee answers first.
	expectRefusal(t, store_(g.l, t, g.patient, txgtInput(t, good())), OutOfOrder,
		"out_of_order: participant "+hex16(insurer)+" has not answered its grant of case "+hexKappa0+" yet; wait for its answer")
	mustStore(t, g.l, g.insurer, txgrInput(t, grantResponseOf(g.kappa0, g.insurer)))

	changed := func(change func(*pb.GrantTag)) []byte {
		gt := good()
		change(gt)
		gt.TagSignature = signGrantTag(t, g.patient, gt.CaseKey, gt.Grantee, gt.Tag)
		return txgtInput(t, gt)
	}
	expectRefusal(t, store_(g.l, t, g.patient, changed(func(gt *pb.GrantTag) { gt.CaseKey = []byte{1, 2, 3} })), Invalid,
		"invalid: txgt: the case key must be 32 bytes, got 3")
	expectRefusal(t, store_(g.l, t, g.patient, changed(func(gt *pb.GrantTag) { gt.CaseKey = make([]byte, 32) })), NotFound,
		"not_found: no case is stored under key "+strings.Repeat("00", 32))
	stranger := newParticipant(t, "Org1MSP", "")
	expectRefusal(t, store_(g.l, t, g.patient, changed(func(gt *pb.GrantTag) { gt.Grantee = stranger.ind() })), NotFound,
		"not_found: case "+hexKappa0+" is not granted to participant "+hex16(stranger.ind()))
	// Only the granter publishes the tag, whoever else speaks for the patient.
	for _, p := range []*participant{g.family, g.doctor, g.insurer, stranger} {
		expectRefusal(t, store_(g.l, t, p, txgtInput(t, grantTagOf(t, g.kappa0, p, insurer))), Unauthorized,
			"unauthorized: txgt: only the granter of this grant may publish its tag")
	}
	// A (forged) grant whose granter does not speak for the patient.
	plantGrant(t, g.l, g.kappa0, stranger.ind(), txgoInput(t, grantOf(t, g.kappa0, g.doctor, stranger.ind(), pb.Role_ROLE_UNSPECIFIED, stranger.public)))
	expectRefusal(t, store_(g.l, t, g.doctor, txgtInput(t, grantTagOf(t, g.kappa0, g.doctor, stranger.ind()))), Unauthorized,
		"unauthorized: txgt: only the patient or a family member named in case "+hexKappa0+" may grant it")
	// The tag: two coefficients below p, not degenerate.
	expectRefusal(t, store_(g.l, t, g.patient, changed(func(gt *pb.GrantTag) { gt.Tag = testTag(3) })), Invalid,
		"invalid: txgt: the tag must hold one 66-byte coefficient per participant (2 × 66 = 132 bytes), got 198 bytes")
	expectRefusal(t, store_(g.l, t, g.patient, changed(func(gt *pb.GrantTag) { gt.Tag = nil })), Invalid,
		"invalid: txgt: the tag must hold one 66-byte coefficient per participant (2 × 66 = 132 bytes), got 0 bytes")
	expectRefusal(t, store_(g.l, t, g.patient, changed(func(gt *pb.GrantTag) { gt.Tag[66] = 2 })), Invalid,
		"invalid: txgt: tag coefficient 1 is not below 2^521 − 1")
	expectRefusal(t, store_(g.l, t, g.patient, changed(func(gt *pb.GrantTag) { gt.Tag = make([]byte, 132); gt.Tag[65] = 7 })), Invalid,
		"invalid: txgt: the tag is degenerate: every coefficient but α_0 is zero, so it would give everyone the same public key")
	// The granter's signature over case, grantee and tag.
	resigned := func(signature func(*pb.GrantTag) []byte) []byte {
		gt := good()
		gt.TagSignature = signature(gt)
		return txgtInput(t, gt)
	}
	mismatch := "invalid: txgt: the grant tag's signature is not the granter's (it does not verify with the signer's key); sign it with your identity key"
	expectRefusal(t, store_(g.l, t, g.patient, resigned(func(gt *pb.GrantTag) []byte { return signGrantTag(t, g.family, g.kappa0, insurer, gt.Tag) })), Invalid, mismatch)
	expectRefusal(t, store_(g.l, t, g.patient, resigned(func(gt *pb.GrantTag) []byte { return signGrantTag(t, g.patient, g.kappa0, insurer+1, gt.Tag) })), Invalid, mismatch)
	expectRefusal(t, store_(g.l, t, g.patient, resigned(func(gt *pb.GrantTag) []byte { return signTag(t, g.patient, g.kappa0, gt.Tag) })), Invalid, mismatch)
	expectRefusal(t, store_(g.l, t, g.patient, resigned(func(gt *pb.GrantTag) []byte { return flipS(t, gt.TagSignature) })), Invalid,
		"invalid: txgt: the grant tag's signature is not the granter's (its S is high; sign with low S (S ≤ n/2)); sign it with your identity key")
	for _, malformed := range [][]byte{nil, {0x30, 1, 2}, make([]byte, 73)} {
		expectRefusal(t, store_(g.l, t, g.patient, resigned(func(*pb.GrantTag) []byte { return malformed })), Invalid,
			"invalid: txgt: the grant tag's signature is not the granter's (it is not a DER ECDSA P-256 signature); sign it with your identity key")
	}
	// One tag per grant.
	first := txgtInput(t, good())
	mustStore(t, g.l, g.patient, first)
	already := "already_stored: the grant of case " + hexKappa0 + " to participant " + hex16(insurer) + " already has its tag"
	expectRefusal(t, store_(g.l, t, g.patient, first), AlreadyStored, already)
	expectRefusal(t, store_(g.l, t, g.patient, txgtInput(t, good())), AlreadyStored, already)
}

// A grantee list that is not whole 8-byte indices is a corrupt ledger.
func TestACorruptGranteeListRefusesTheCasesRecords(t *testing.T) {
	g := newGrantSetup(t, true)
	list, err := granteesKey(g.kappa0)
	if err != nil {
		t.Fatal(err)
	}
	g.l.state[list] = make([]byte, 7)
	r := store_(g.l, t, g.doctor, txdInput(t, g.kappa0, g.doctor, g.others(g.doctor), 4))
	want := "corrupt: the grantee list of case " + hex.EncodeToString(g.kappa0) + " holds 7 bytes, not a multiple of 8"
	if r.err == nil || r.err.Code != Corrupt || r.err.Error() != want {
		t.Fatalf("got %v, want %s", r.err, want)
	}
}

// The composite keys of grants (keys.rs grant_key, grant_response_key,
// grant_tag_key, grantees_key).
func TestTheGrantKeysAreCompositeKeysOfCaseAndGrantee(t *testing.T) {
	kappa0 := bytes.Repeat([]byte{0xab}, 32)
	h := strings.Repeat("ab", 32)
	for _, c := range []struct {
		key  func([]byte, uint64) (string, error)
		want string
	}{{grantKey, "\x00medchain.txgo\x00" + h + "\x00000000000000002a\x00"},
		{grantResponseKey, "\x00medchain.txgr\x00" + h + "\x00000000000000002a\x00"},
		{grantTagKey, "\x00medchain.txgt\x00" + h + "\x00000000000000002a\x00"}} {
		if got, err := c.key(kappa0, 42); err != nil || got != c.want {
			t.Fatalf("%q, want %q (%v)", got, c.want, err)
		}
	}
	if got, err := granteesKey(kappa0); err != nil || got != "\x00medchain.grantees\x00"+h+"\x00" {
		t.Fatalf("%q (%v)", got, err)
	}
}

// The signed messages of grants (signature.rs grant_signature_message and
// grant_tag_signature_message), and the input fields 7, 8 and 9 are txgo,
// txgr and txgt now (a varint in field 9 no longer decodes, as in prost).
func TestTheGrantSignatureMessagesAreLaidOutAsInRust(t *testing.T) {
	kappa0 := bytes.Repeat([]byte{1}, 32)
	got := grantSignatureMessage(kappa0, 0x0102030405060708, 0x1112131415161718, -1, []byte{0xaa, 0xbb}, []byte{0xcc})
	want := append([]byte("medchain-grant-v1\x00"), kappa0...)
	want = append(want, 1, 2, 3, 4, 5, 6, 7, 8, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0xff, 0xff, 0xff, 0xff, 0xaa, 0xbb, 0xcc)
	if !bytes.Equal(got, want) || len(got) != 18+52+3 {
		t.Fatalf("grant message %x, want %x", got, want)
	}
	if got := grantSignatureMessage(kappa0, 0, 0, int32(pb.Role_ROLE_INSURER), nil, nil); !bytes.Equal(got[len(got)-4:], []byte{0, 0, 0, 3}) {
		t.Fatalf("grant message %x", got)
	}
	digest := sha256.Sum256([]byte("tag"))
	got = grantTagSignatureMessage(kappa0, 0x0102030405060708, []byte("tag"))
	want = append(append(append([]byte("medchain-grant-tag-v1\x00"), kappa0...), 1, 2, 3, 4, 5, 6, 7, 8), digest[:]...)
	if !bytes.Equal(got, want) || len(got) != 22+72 {
		t.Fatalf("grant tag message %x, want %x", got, want)
	}
	l := newLedger()
	p := newParticipant(t, "Org1MSP", "")
	expectRefusal(t, store_(l, t, p, append(regInput(t, p, pb.Role_ROLE_DOCTOR), 0x48, 0x01)), Invalid,
		"invalid: input parameter: it is not a medchain.v1.InputParameter (it does not decode as protobuf)")
	// An empty txgt, txgr and txgo are dispatched to their checks.
	for _, c := range []struct {
		input []byte
		want  string
	}{{[]byte{0x3a, 0x00}, "invalid: txgo: the case key must be 32 bytes, got 0"},
		{[]byte{0x42, 0x00}, "invalid: txgr: the case key must be 32 bytes, got 0"},
		{[]byte{0x4a, 0x00}, "invalid: txgt: the case key must be 32 bytes, got 0"}} {
		expectRefusal(t, store_(l, t, p, c.input), Invalid, c.want)
	}
}
