package contract

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	pb "medchain/chaincode/go/medchainpb"

	"google.golang.org/protobuf/proto"
)

// Key epochs (txeo, txer, txet): revoking a participant for the future, as
// chaincode/contract/tests/epoch.rs checks it. The order of the steps, who
// may take each, what each must carry, that later records carry the
// epoch's tag and reach only its members, and that a revoked participant
// stores nothing more. Every refusal leaves the world state as it was
// (expectRefusal checks that nothing is written).

// epochCast is the Rust tests' Cast: a case of a patient, a family member,
// a doctor, a pharmacist, an insurer and a lawyer/expert, every one of
// whom answered it, and a stranger to it.
type epochCast struct {
	l                                                              *ledger
	patient, family, doctor, pharmacist, insurer, lawyer, stranger *participant
	kappa0                                                         []byte
	hexKappa0                                                      string
}

// newEpochCast registers the cast, opens and answers the case and, when
// diagnosed, stores the doctor's first txd (the case key is established).
func newEpochCast(t *testing.T, diagnosed bool) *epochCast {
	t.Helper()
	c := &epochCast{l: initializedLedger(t),
		patient:    newParticipant(t, "Org1MSP", ""),
		family:     newParticipant(t, "Org1MSP", ""),
		doctor:     withRole(t, "Org1MSP", "doctor"),
		pharmacist: withRole(t, "Org2MSP", "pharmacist"),
		insurer:    withRole(t, "Org2MSP", "insurer"),
		lawyer:     withRole(t, "Org2MSP", "lawyer-expert"),
		stranger:   newParticipant(t, "Org1MSP", ""),
	}
	for _, r := range []struct {
		p    *participant
		role pb.Role
	}{{c.doctor, pb.Role_ROLE_DOCTOR}, {c.pharmacist, pb.Role_ROLE_PHARMACIST}, {c.insurer, pb.Role_ROLE_INSURER}, {c.lawyer, pb.Role_ROLE_LAWYER_EXPERT}} {
		mustStore(t, c.l, r.p, regInput(t, r.p, r.role))
	}
	opening := &pb.CaseOpening{
		PatientKey:         c.patient.public,
		FamilyKeys:         [][]byte{c.family.public},
		LawyerExperts:      []uint64{c.lawyer.ind()},
		Pharmacists:        []uint64{c.pharmacist.ind()},
		Insurers:           []uint64{c.insurer.ind()},
		Doctor:             c.doctor.ind(),
		DoctorEphemeralKey: compressed(c.doctor.public),
		Kdf:                &pb.KdfParams{MKib: 64, T: 1, P: 1},
	}
	sign(t, c.patient, opening)
	c.kappa0 = mustStore(t, c.l, c.doctor, txtcInput(t, opening))
	c.hexKappa0 = hex.EncodeToString(c.kappa0)
	for _, p := range []*participant{c.patient, c.family, c.pharmacist, c.insurer, c.lawyer} {
		mustStore(t, c.l, p, txtrInput(t, c.kappa0, p))
	}
	if diagnosed {
		mustStore(t, c.l, c.doctor, txdInput(t, c.kappa0, c.doctor, c.others(c.doctor), 6))
	}
	return c
}

// participants lists every participant in canonical order.
func (c *epochCast) participants() []uint64 {
	return []uint64{c.patient.ind(), c.family.ind(), c.doctor.ind(), c.pharmacist.ind(), c.insurer.ind(), c.lawyer.ind()}
}

func (c *epochCast) others(p *participant) []uint64 { return without(c.participants(), p.ind()) }

// without is list in its order without gone.
func without(list []uint64, gone ...uint64) []uint64 {
	out := []uint64{}
	for _, ind := range list {
		if !slices.Contains(gone, ind) {
			out = append(out, ind)
		}
	}
	return out
}

// txeoInput is opener's opening of epoch revoking revoked, signed by signer.
func txeoInput(t *testing.T, kappa0 []byte, epoch uint32, opener *participant, revoked []uint64, signer *participant) []byte {
	t.Helper()
	return txeoOf(t, kappa0, epoch, opener, revoked, signer, func(*pb.EpochOpening) {})
}

// txeoOf is txeoInput with change applied before signing.
func txeoOf(t *testing.T, kappa0 []byte, epoch uint32, opener *participant, revoked []uint64, signer *participant, change func(*pb.EpochOpening)) []byte {
	t.Helper()
	o := &pb.EpochOpening{CaseKey: kappa0, Epoch: epoch, Opener: opener.ind(), Revoked: revoked, OpenerEphemeralKey: compressed(opener.public)}
	change(o)
	digest := sha256.Sum256(epochSignatureMessage(o.GetCaseKey(), o.GetEpoch(), o.GetOpener(), o.GetRevoked(), o.GetOpenerEphemeralKey()))
	o.Signature = signLowS(t, signer, digest[:])
	return encode(t, &pb.InputParameter{Record: &pb.InputParameter_Txeo{Txeo: o}})
}

// txerOf is who's answer to epoch.
func txerOf(kappa0 []byte, epoch uint32, who *participant) *pb.EpochResponse {
	return &pb.EpochResponse{CaseKey: kappa0, Epoch: epoch, Responder: who.ind(), EphemeralKey: compressed(who.public), SealedSecret: bytes.Repeat([]byte{7}, 60)}
}

func txerInput(t *testing.T, r *pb.EpochResponse) []byte {
	return encode(t, &pb.InputParameter{Record: &pb.InputParameter_Txer{Txer: r}})
}

// epochTagBytes is a valid tag of k coefficients (α_1 = 2).
func epochTagBytes(k int) []byte {
	tag := make([]byte, k*66)
	tag[2*66-1] = 2
	return tag
}

// signEpochTag is signer's low-S signature over the tag of epoch.
func signEpochTag(t *testing.T, signer *participant, kappa0 []byte, epoch uint32, tag []byte) []byte {
	t.Helper()
	digest := sha256.Sum256(epochTagSignatureMessage(kappa0, epoch, tag))
	return signLowS(t, signer, digest[:])
}

func txetInput(t *testing.T, kappa0 []byte, epoch uint32, tag []byte, signer *participant) []byte {
	t.Helper()
	return txetWith(t, &pb.EpochTag{CaseKey: kappa0, Epoch: epoch, Tag: tag, TagSignature: signEpochTag(t, signer, kappa0, epoch, tag)})
}

func txetWith(t *testing.T, et *pb.EpochTag) []byte {
	return encode(t, &pb.InputParameter{Record: &pb.InputParameter_Txet{Txet: et}})
}

// epochRecord is a record of epoch listing participants and carrying tag
// signed by signer for that epoch.
func epochRecord(t *testing.T, kappa0 []byte, epoch uint32, participants []uint64, tag []byte, signer *participant) *pb.CaseRecord {
	t.Helper()
	return &pb.CaseRecord{CaseKey: kappa0, Epoch: epoch, Participants: participants, Tag: tag,
		Ciphertext: make([]byte, ciphertextBytes), TagSignature: signEpochTag(t, signer, kappa0, epoch, tag)}
}

// epochStateKey is the composite key objectType · hex(κ0) · hex8(epoch)
// and any further attributes, spelled out.
func epochStateKey(objectType, hexKappa0 string, epoch uint32, more ...string) string {
	key := "\x00" + objectType + "\x00" + hexKappa0 + "\x00" + hex8(epoch) + "\x00"
	for _, m := range more {
		key += m + "\x00"
	}
	return key
}

func hex8(v uint32) string { return hex.EncodeToString(binary.BigEndian.AppendUint32(nil, v)) }

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// (Rust: an_epoch_runs_in_order_and_the_revoked_insurer_hears_no_more.)
func TestAnEpochRunsInOrderAndTheRevokedInsurerHearsNoMore(t *testing.T) {
	c := newEpochCast(t, true)
	k := c.hexKappa0
	members := without(c.participants(), c.insurer.ind())
	answering := without(members, c.family.ind())

	opening := txeoInput(t, c.kappa0, 1, c.family, []uint64{c.insurer.ind()}, c.family)
	res := store_(c.l, t, c.family, opening)
	if event := eventOf(t, res, "txeo", c.kappa0); !equal(event.Receivers, answering) {
		t.Fatalf("txeo receivers %v, want %v", event.Receivers, answering)
	}
	expectWrites(t, res, opening, map[string][]byte{
		epochStateKey("medchain.txeo", k, 1):    sha256sum(opening),
		epochStateKey("medchain.members", k, 1): encodeMembers(members),
		"\x00medchain.epoch\x00" + k + "\x00":   {0, 0, 0, 1}})

	tag := epochTagBytes(len(members))
	txm := func(epoch uint32, signer *participant) []byte {
		return wrap(t, "txm", epochRecord(t, c.kappa0, epoch, without(members, c.pharmacist.ind()), tag, signer))
	}
	expectRefusal(t, store_(c.l, t, c.pharmacist, txm(1, c.family)), OutOfOrder,
		"out_of_order: case "+k+" is changing its key (epoch 1 is collecting its members' answers); store the record once the epoch's tag is published")
	expectRefusal(t, store_(c.l, t, c.family, txetInput(t, c.kappa0, 1, tag, c.family)), OutOfOrder,
		"out_of_order: member "+hex16(c.patient.ind())+" has not answered epoch 1 of case "+k+" yet; wait for every answer")
	notAnswering := "unauthorized: txer: the submitter is not a member who answers epoch 1 of case " + k
	expectRefusal(t, store_(c.l, t, c.insurer, txerInput(t, txerOf(c.kappa0, 1, c.insurer))), Unauthorized, notAnswering)
	expectRefusal(t, store_(c.l, t, c.family, txerInput(t, txerOf(c.kappa0, 1, c.family))), Unauthorized, notAnswering)
	expectRefusal(t, store_(c.l, t, c.stranger, txerInput(t, txerOf(c.kappa0, 1, c.patient))), Unauthorized,
		"unauthorized: txer: the answer names member "+hex16(c.patient.ind())+" but the submitter is "+hex16(c.stranger.ind())+"; answer only for yourself")
	expectRefusal(t, store_(c.l, t, c.patient, txerInput(t, txerOf(c.kappa0, 2, c.patient))), NotFound,
		"not_found: case "+k+" has no key epoch 2 opened")
	expectRefusal(t, store_(c.l, t, c.patient, txerInput(t, txerOf(c.kappa0, 0, c.patient))), NotFound,
		"not_found: case "+k+" has no key epoch 0 opened")
	// The sealed answer.
	short := txerOf(c.kappa0, 1, c.patient)
	short.SealedSecret = short.SealedSecret[:59]
	expectRefusal(t, store_(c.l, t, c.patient, txerInput(t, short)), Invalid,
		"invalid: txer: the sealed secret must be 60 bytes (nonce, 32-byte secret, GCM tag), got 59")
	noKey := txerOf(c.kappa0, 1, c.patient)
	noKey.EphemeralKey = c.patient.public
	expectRefusal(t, store_(c.l, t, c.patient, txerInput(t, noKey)), Invalid,
		"invalid: txer: ephemeral key: expected a 33-byte SEC1 compressed P-256 key, got 65 bytes")

	for _, who := range []*participant{c.patient, c.doctor, c.pharmacist, c.lawyer} {
		answer := txerInput(t, txerOf(c.kappa0, 1, who))
		res := store_(c.l, t, who, answer)
		if event := eventOf(t, res, "txer", c.kappa0); !equal(event.Receivers, []uint64{c.family.ind()}) {
			t.Fatalf("txer receivers %v", event.Receivers)
		}
		expectWrites(t, res, answer, map[string][]byte{
			epochStateKey("medchain.txer", k, 1, hex16(who.ind())): sha256sum(answer)})
	}
	expectRefusal(t, store_(c.l, t, c.lawyer, txerInput(t, txerOf(c.kappa0, 1, c.lawyer))), AlreadyStored,
		"already_stored: participant "+hex16(c.lawyer.ind())+" has already answered epoch 1 of case "+k)
	expectRefusal(t, store_(c.l, t, c.patient, txetInput(t, c.kappa0, 1, tag, c.patient)), Unauthorized,
		"unauthorized: txet: only the opener of this epoch may publish its tag")
	expectRefusal(t, store_(c.l, t, c.family, txetInput(t, c.kappa0, 1, epochTagBytes(len(members)+1), c.family)), Invalid,
		"invalid: txet: the tag must hold one 66-byte coefficient per participant (5 × 66 = 330 bytes), got 396 bytes")
	expectRefusal(t, store_(c.l, t, c.family, txetInput(t, c.kappa0, 1, make([]byte, len(members)*66), c.family)), Invalid,
		"invalid: txet: the tag is degenerate: every coefficient but α_0 is zero, so it would give everyone the same public key")
	notOpeners := "invalid: txet: the epoch tag's signature is not the opener's (it does not verify with the signer's key); sign it with your identity key"
	expectRefusal(t, store_(c.l, t, c.family, txetInput(t, c.kappa0, 1, tag, c.stranger)), Invalid, notOpeners)
	expectRefusal(t, store_(c.l, t, c.family, txetWith(t, &pb.EpochTag{CaseKey: c.kappa0, Epoch: 1, Tag: tag,
		TagSignature: signEpochTag(t, c.family, c.kappa0, 2, tag)})), Invalid, notOpeners)
	expectRefusal(t, store_(c.l, t, c.family, txetWith(t, &pb.EpochTag{CaseKey: c.kappa0, Epoch: 1, Tag: tag,
		TagSignature: flipS(t, signEpochTag(t, c.family, c.kappa0, 1, tag))})), Invalid,
		"invalid: txet: the epoch tag's signature is not the opener's (its S is high; sign with low S (S ≤ n/2)); sign it with your identity key")

	epochTag := txetInput(t, c.kappa0, 1, tag, c.family)
	res = store_(c.l, t, c.family, epochTag)
	if event := eventOf(t, res, "txet", c.kappa0); !equal(event.Receivers, answering) {
		t.Fatalf("txet receivers %v, want %v", event.Receivers, answering)
	}
	expectWrites(t, res, epochTag, map[string][]byte{epochStateKey("medchain.txet", k, 1): sha256sum(tag)})
	expectRefusal(t, store_(c.l, t, c.family, txetInput(t, c.kappa0, 1, tag, c.family)), AlreadyStored,
		"already_stored: epoch 1 of case "+k+" already has its tag")
	expectRefusal(t, store_(c.l, t, c.lawyer, txerInput(t, txerOf(c.kappa0, 1, c.lawyer))), AlreadyStored,
		"already_stored: epoch 1 of case "+k+" already has its tag")

	// Records now carry epoch 1, its tag and its opener's signature.
	old := wrap(t, "txm", caseRecord(t, c.kappa0, c.doctor, without(c.participants(), c.pharmacist.ind()), 6))
	expectRefusal(t, store_(c.l, t, c.pharmacist, old), Invalid,
		"invalid: txm: case "+k+" is in key epoch 1, but the record says epoch 0; seal every record in the case's current epoch")
	wrongMembers := epochRecord(t, c.kappa0, 1, without(c.participants(), c.pharmacist.ind()), tag, c.family)
	expectRefusal(t, store_(c.l, t, c.pharmacist, wrap(t, "txm", wrongMembers)), Invalid,
		"invalid: txm: participants must list the other 4 members of key epoch 1 in member order")
	reordered := epochRecord(t, c.kappa0, 1, without(members, c.pharmacist.ind()), tag, c.family)
	reordered.Participants[0], reordered.Participants[1] = reordered.Participants[1], reordered.Participants[0]
	expectRefusal(t, store_(c.l, t, c.pharmacist, wrap(t, "txm", reordered)), Invalid,
		"invalid: txm: participants must list the other 4 members of key epoch 1 in member order")
	expectRefusal(t, store_(c.l, t, c.pharmacist, wrap(t, "txm", epochRecord(t, c.kappa0, 1, without(members, c.pharmacist.ind()), testTag(6), c.family))), Invalid,
		"invalid: txm: the tag must hold one 66-byte coefficient per participant (5 × 66 = 330 bytes), got 396 bytes")
	otherTag := epochTagBytes(len(members))
	otherTag[3*66-1] = 1
	expectRefusal(t, store_(c.l, t, c.pharmacist, wrap(t, "txm", epochRecord(t, c.kappa0, 1, without(members, c.pharmacist.ind()), otherTag, c.family))), Invalid,
		"invalid: txm: the tag differs from the tag of key epoch 1; every record of the epoch carries its tag and its opener's signature")
	notEpochOpeners := "invalid: txm: the tag signature is not the epoch opener's (it does not verify with the signer's key); carry the tag and signature of the epoch's txet"
	expectRefusal(t, store_(c.l, t, c.pharmacist, txm(1, c.stranger)), Invalid, notEpochOpeners)
	// The doctor's signature over the case's tag is not the opener's.
	doctorSigned := epochRecord(t, c.kappa0, 1, without(members, c.pharmacist.ind()), tag, c.family)
	doctorSigned.TagSignature = signTag(t, c.doctor, c.kappa0, tag)
	expectRefusal(t, store_(c.l, t, c.pharmacist, wrap(t, "txm", doctorSigned)), Invalid, notEpochOpeners)
	unsigned := epochRecord(t, c.kappa0, 1, without(members, c.pharmacist.ind()), tag, c.family)
	unsigned.TagSignature = nil
	expectRefusal(t, store_(c.l, t, c.pharmacist, wrap(t, "txm", unsigned)), Invalid,
		"invalid: txm: the record carries no tag signature (a protocol v1 record); use a medchain v2 client, which carries the doctor's signed tag")

	record := txm(1, c.family)
	res = store_(c.l, t, c.pharmacist, record)
	if event := eventOf(t, res, "txm", c.kappa0); !equal(event.Receivers, []uint64{c.patient.ind(), c.family.ind()}) {
		t.Fatalf("txm receivers %v: the revoked insurer is not notified", event.Receivers)
	}
	// The record counter is written, the case's (epoch 0) tag is not.
	expectWrites(t, res, record, map[string][]byte{
		"\x00medchain.count\x00" + k + "\x00" + hex16(c.pharmacist.ind()) + "\x00": be64(1)})
	res = store_(c.l, t, c.doctor, wrap(t, "txd", epochRecord(t, c.kappa0, 1, without(members, c.doctor.ind()), tag, c.family)))
	if event := eventOf(t, res, "txd", c.kappa0); !equal(event.Receivers, []uint64{c.patient.ind(), c.family.ind(), c.pharmacist.ind()}) {
		t.Fatalf("txd receivers %v", event.Receivers)
	}
	txa := wrap(t, "txa", epochRecord(t, c.kappa0, 1, without(members, c.insurer.ind()), tag, c.family))
	expectRefusal(t, store_(c.l, t, c.insurer, txa), Unauthorized,
		"unauthorized: txa: participant "+hex16(c.insurer.ind())+" was revoked from case "+k+" (it is not a member of key epoch 1); it stores no more records")

	// A grant yields only the first key: refused once an epoch exists.
	outsider := withRole(t, "Org2MSP", "lawyer-expert")
	mustStore(t, c.l, outsider, regInput(t, outsider, pb.Role_ROLE_LAWYER_EXPERT))
	entered := "out_of_order: case " + k + " has entered key epoch 1 after a revocation, and a grant yields only the case's first key; grants are made before a revocation"
	expectRefusal(t, store_(c.l, t, c.family, txgoInput(t, grantOf(t, c.kappa0, c.family, outsider.ind(), pb.Role_ROLE_LAWYER_EXPERT, nil))), OutOfOrder, entered)
	// Only after the step's own authorization: a stranger learns nothing of the epochs.
	expectRefusal(t, store_(c.l, t, c.stranger, txgrInput(t, grantResponseOf(c.kappa0, outsider))), Unauthorized,
		"unauthorized: txgr: the answer names grantee "+hex16(outsider.ind())+" but the submitter is "+hex16(c.stranger.ind())+"; answer only for yourself")

	// GetCase names the epoch records.
	got := c.l.invoke(t, c.patient, []byte("GetCase"), c.kappa0)
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
	if strings.Join(types, " ") != "txtc txtr txtr txtr txtr txtr txd txeo txer txer txer txer txet txm txd" {
		t.Fatalf("types %v", types)
	}
}

// (Rust: who_may_open_an_epoch_and_what_it_must_carry.)
func TestWhoMayOpenAnEpochAndWhatItMustCarry(t *testing.T) {
	c := newEpochCast(t, false)
	k := c.hexKappa0
	insurer := []uint64{c.insurer.ind()}
	expectRefusal(t, store_(c.l, t, c.family, txeoInput(t, c.kappa0, 1, c.family, insurer, c.family)), OutOfOrder,
		"out_of_order: case "+k+" has no diagnosis yet, so its key is not established; revoke after the doctor's first record")
	mustStore(t, c.l, c.doctor, txdInput(t, c.kappa0, c.doctor, c.others(c.doctor), 6))

	two := []uint64{c.insurer.ind(), c.lawyer.ind()}
	slices.Sort(two)
	slices.Reverse(two)
	mayRevoke := "unauthorized: txeo: only the patient or a family member named in case " + k + " may revoke its participants"
	for _, r := range []struct {
		who   *participant
		input []byte
		code  Code
		want  string
	}{
		{c.pharmacist, txeoInput(t, c.kappa0, 1, c.pharmacist, insurer, c.pharmacist), Unauthorized, mayRevoke},
		{c.doctor, txeoInput(t, c.kappa0, 1, c.doctor, insurer, c.doctor), Unauthorized, mayRevoke},
		{c.stranger, txeoInput(t, c.kappa0, 1, c.stranger, insurer, c.stranger), Unauthorized, mayRevoke},
		{c.stranger, txeoInput(t, c.kappa0, 1, c.family, insurer, c.family), Unauthorized,
			"unauthorized: txeo: the epoch opening names opener " + hex16(c.family.ind()) + " but the submitter is " + hex16(c.stranger.ind()) + "; open an epoch only as yourself"},
		{c.family, txeoInput(t, c.kappa0, 2, c.family, insurer, c.family), Invalid,
			"invalid: txeo: case " + k + " is in key epoch 0, so the next epoch is 1, not 2"},
		{c.family, txeoInput(t, c.kappa0, 0, c.family, insurer, c.family), Invalid,
			"invalid: txeo: case " + k + " is in key epoch 0, so the next epoch is 1, not 0"},
		{c.family, txeoInput(t, c.kappa0, 1, c.family, nil, c.family), Invalid,
			"invalid: txeo: revoked must name at least one member to leave out of the new epoch"},
		{c.family, txeoInput(t, c.kappa0, 1, c.family, []uint64{c.doctor.ind()}, c.family), Invalid,
			"invalid: txeo: the case's doctor " + hex16(c.doctor.ind()) + " writes its diagnoses and cannot be revoked; open a new case with another doctor instead"},
		{c.family, txeoInput(t, c.kappa0, 1, c.family, []uint64{c.family.ind()}, c.family), Invalid,
			"invalid: txeo: the opener cannot revoke itself; another member who speaks for the patient can"},
		{c.family, txeoInput(t, c.kappa0, 1, c.family, []uint64{c.stranger.ind()}, c.family), Invalid,
			"invalid: txeo: participant " + hex16(c.stranger.ind()) + " is not a member of the case's current key epoch"},
		{c.family, txeoInput(t, c.kappa0, 1, c.family, two, c.family), Invalid,
			"invalid: txeo: revoked must be sorted ascending with each index once"},
		{c.family, txeoInput(t, c.kappa0, 1, c.family, []uint64{c.insurer.ind(), c.insurer.ind()}, c.family), Invalid,
			"invalid: txeo: revoked must be sorted ascending with each index once"},
		{c.family, txeoOf(t, c.kappa0, 1, c.family, insurer, c.family, func(o *pb.EpochOpening) { o.OpenerEphemeralKey = nil }), Invalid,
			"invalid: txeo: ephemeral key: expected a 33-byte SEC1 compressed P-256 key, got 0 bytes"},
		{c.family, txeoInput(t, c.kappa0, 1, c.family, insurer, c.stranger), Invalid,
			"invalid: txeo: the epoch opening's signature is not the opener's (it does not verify with the signer's key); sign it with your identity key"},
		{c.family, txeoOf(t, []byte{1, 2, 3}, 1, c.family, insurer, c.family, func(*pb.EpochOpening) {}), Invalid,
			"invalid: txeo: the case key must be 32 bytes, got 3"},
		{c.family, txeoOf(t, make([]byte, 32), 1, c.family, insurer, c.family, func(*pb.EpochOpening) {}), NotFound,
			"not_found: no case is stored under key " + strings.Repeat("00", 32)},
	} {
		expectRefusal(t, store_(c.l, t, r.who, r.input), r.code, r.want)
	}

	// Epoch 1 (without the insurer) stalls: the lawyer never answers. The
	// patient abandons it for epoch 2, which starts again from epoch 0 and
	// leaves the family member out instead.
	mustStore(t, c.l, c.patient, txeoInput(t, c.kappa0, 1, c.patient, insurer, c.patient))
	mustStore(t, c.l, c.doctor, txerInput(t, txerOf(c.kappa0, 1, c.doctor)))
	members := without(c.participants(), c.family.ind())
	res := store_(c.l, t, c.patient, txeoInput(t, c.kappa0, 2, c.patient, []uint64{c.family.ind()}, c.patient))
	if event := eventOf(t, res, "txeo", c.kappa0); !equal(event.Receivers, without(members, c.patient.ind())) {
		t.Fatalf("txeo receivers %v", event.Receivers)
	}
	abandoned := "out_of_order: epoch 1 of case " + k + " was abandoned for epoch 2 before its tag was published; answer epoch 2"
	expectRefusal(t, store_(c.l, t, c.pharmacist, txerInput(t, txerOf(c.kappa0, 1, c.pharmacist))), OutOfOrder, abandoned)
	expectRefusal(t, store_(c.l, t, c.patient, txetInput(t, c.kappa0, 1, epochTagBytes(5), c.patient)), OutOfOrder, abandoned)
	for _, who := range []*participant{c.doctor, c.pharmacist, c.insurer, c.lawyer} {
		mustStore(t, c.l, who, txerInput(t, txerOf(c.kappa0, 2, who)))
	}
	mustStore(t, c.l, c.patient, txetInput(t, c.kappa0, 2, epochTagBytes(len(members)), c.patient))
	expectRefusal(t, store_(c.l, t, c.family, txeoInput(t, c.kappa0, 3, c.family, insurer, c.family)), Unauthorized,
		"unauthorized: txeo: participant "+hex16(c.family.ind())+" was revoked from case "+k+" and cannot open its epochs")
	expectRefusal(t, store_(c.l, t, c.patient, txeoInput(t, c.kappa0, 3, c.patient, []uint64{c.family.ind()}, c.patient)), Invalid,
		"invalid: txeo: participant "+hex16(c.family.ind())+" is not a member of the case's current key epoch")
	res = store_(c.l, t, c.patient, txeoInput(t, c.kappa0, 3, c.patient, insurer, c.patient))
	if event := eventOf(t, res, "txeo", c.kappa0); !equal(event.Receivers, without(members, c.patient.ind(), c.insurer.ind())) {
		t.Fatalf("txeo receivers %v", event.Receivers)
	}
	// Epoch 2 is over: its answers are closed.
	expectRefusal(t, store_(c.l, t, c.lawyer, txerInput(t, txerOf(c.kappa0, 2, c.lawyer))), AlreadyStored,
		"already_stored: epoch 2 of case "+k+" already has its tag")
	expectRefusal(t, store_(c.l, t, c.patient, txetInput(t, c.kappa0, 2, epochTagBytes(len(members)), c.patient)), AlreadyStored,
		"already_stored: epoch 2 of case "+k+" already has its tag")
}

// A grantee with a grant tag is a member of epoch 0 (after the case's
// participants): it answers a later epoch with its registration, is
// notified of its records, and can be revoked like a participant.
func TestAGranteeIsAMemberOfTheFirstEpochAndCanBeRevoked(t *testing.T) {
	c := newEpochCast(t, true)
	k := c.hexKappa0
	grantee := withRole(t, "Org2MSP", "insurer")
	mustStore(t, c.l, grantee, regInput(t, grantee, pb.Role_ROLE_INSURER))
	mustStore(t, c.l, c.patient, txgoInput(t, grantOf(t, c.kappa0, c.patient, grantee.ind(), pb.Role_ROLE_INSURER, nil)))
	mustStore(t, c.l, grantee, txgrInput(t, grantResponseOf(c.kappa0, grantee)))
	mustStore(t, c.l, c.patient, txgtInput(t, grantTagOf(t, c.kappa0, c.patient, grantee.ind())))

	members := append(without(c.participants(), c.lawyer.ind()), grantee.ind())
	res := store_(c.l, t, c.family, txeoInput(t, c.kappa0, 1, c.family, []uint64{c.lawyer.ind()}, c.family))
	if event := eventOf(t, res, "txeo", c.kappa0); !equal(event.Receivers, without(members, c.family.ind())) {
		t.Fatalf("txeo receivers %v", event.Receivers)
	}
	for _, who := range []*participant{c.patient, c.doctor, c.pharmacist, c.insurer, grantee} {
		mustStore(t, c.l, who, txerInput(t, txerOf(c.kappa0, 1, who)))
	}
	tag := epochTagBytes(len(members))
	mustStore(t, c.l, c.family, txetInput(t, c.kappa0, 1, tag, c.family))
	res = store_(c.l, t, c.doctor, wrap(t, "txd", epochRecord(t, c.kappa0, 1, without(members, c.doctor.ind()), tag, c.family)))
	if event := eventOf(t, res, "txd", c.kappa0); !equal(event.Receivers, []uint64{c.patient.ind(), c.family.ind(), c.pharmacist.ind(), grantee.ind()}) {
		t.Fatalf("txd receivers %v", event.Receivers)
	}

	// The patient revokes the grantee: it hears no more.
	members2 := without(members, grantee.ind())
	mustStore(t, c.l, c.patient, txeoInput(t, c.kappa0, 2, c.patient, []uint64{grantee.ind()}, c.patient))
	expectRefusal(t, store_(c.l, t, grantee, txerInput(t, txerOf(c.kappa0, 2, grantee))), Unauthorized,
		"unauthorized: txer: the submitter is not a member who answers epoch 2 of case "+k)
	for _, who := range []*participant{c.family, c.doctor, c.pharmacist, c.insurer} {
		mustStore(t, c.l, who, txerInput(t, txerOf(c.kappa0, 2, who)))
	}
	tag2 := epochTagBytes(len(members2))
	// Records of epoch 1 are refused now; the tag of epoch 2 is its opener's.
	expectRefusal(t, store_(c.l, t, c.doctor, wrap(t, "txd", epochRecord(t, c.kappa0, 1, without(members2, c.doctor.ind()), tag, c.family))), OutOfOrder,
		"out_of_order: case "+k+" is changing its key (epoch 2 is collecting its members' answers); store the record once the epoch's tag is published")
	mustStore(t, c.l, c.patient, txetInput(t, c.kappa0, 2, tag2, c.patient))
	expectRefusal(t, store_(c.l, t, c.doctor, wrap(t, "txd", epochRecord(t, c.kappa0, 1, without(members2, c.doctor.ind()), tag, c.family))), Invalid,
		"invalid: txd: case "+k+" is in key epoch 2, but the record says epoch 1; seal every record in the case's current epoch")
	expectRefusal(t, store_(c.l, t, c.doctor, wrap(t, "txd", epochRecord(t, c.kappa0, 2, without(members2, c.doctor.ind()), tag2, c.family))), Invalid,
		"invalid: txd: the tag signature is not the epoch opener's (it does not verify with the signer's key); carry the tag and signature of the epoch's txet")
	res = store_(c.l, t, c.doctor, wrap(t, "txd", epochRecord(t, c.kappa0, 2, without(members2, c.doctor.ind()), tag2, c.patient)))
	if event := eventOf(t, res, "txd", c.kappa0); !equal(event.Receivers, []uint64{c.patient.ind(), c.family.ind(), c.pharmacist.ind()}) {
		t.Fatalf("txd receivers %v", event.Receivers)
	}
}

// A case takes at most maxEpochsPerCase epochs after its opening.
func TestACaseTakesAtMostSixteenEpochs(t *testing.T) {
	c := newEpochCast(t, true)
	k := c.hexKappa0
	// A ledger in which the case reached epoch 16 with its tag.
	put := func(key string, err error, value []byte) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		c.l.state[key] = value
	}
	key, err := epochKey(c.kappa0)
	put(key, err, be32(16))
	key, err = epochTagKey(c.kappa0, 16)
	put(key, err, sha256sum([]byte("tag")))
	key, err = epochMembersKey(c.kappa0, 16)
	put(key, err, encodeMembers(c.participants()))
	expectRefusal(t, store_(c.l, t, c.family, txeoInput(t, c.kappa0, 16, c.family, []uint64{c.insurer.ind()}, c.family)), Invalid,
		"invalid: txeo: case "+k+" is in key epoch 16, so the next epoch is 17, not 16")
	expectRefusal(t, store_(c.l, t, c.family, txeoInput(t, c.kappa0, 17, c.family, []uint64{c.insurer.ind()}, c.family)), Invalid,
		"invalid: txeo: case "+k+" already has 16 key epochs, the most one case can have (16); open a new case")
	key, err = epochKey(c.kappa0)
	put(key, err, be32(15))
	key, err = epochTagKey(c.kappa0, 15)
	put(key, err, sha256sum([]byte("tag")))
	key, err = epochMembersKey(c.kappa0, 15)
	put(key, err, encodeMembers(c.participants()))
	mustStore(t, c.l, c.family, txeoInput(t, c.kappa0, 16, c.family, []uint64{c.insurer.ind()}, c.family))
}

// A corrupt epoch counter, member list or opening is a corrupt ledger.
func TestACorruptEpochStateIsCorrupt(t *testing.T) {
	c := newEpochCast(t, true)
	k := c.hexKappa0
	counter, err := epochKey(c.kappa0)
	if err != nil {
		t.Fatal(err)
	}
	c.l.state[counter] = []byte{0, 0, 1}
	badCounter := "corrupt: the epoch counter of case " + k + " holds 3 bytes, not 4"
	expectRefusal(t, store_(c.l, t, c.doctor, txdInput(t, c.kappa0, c.doctor, c.others(c.doctor), 6)), Corrupt, badCounter)
	expectRefusal(t, store_(c.l, t, c.family, txgoInput(t, grantOf(t, c.kappa0, c.family, c.stranger.ind(), pb.Role_ROLE_UNSPECIFIED, nil))), Corrupt, badCounter)
	expectRefusal(t, store_(c.l, t, c.family, txeoInput(t, c.kappa0, 1, c.family, []uint64{c.insurer.ind()}, c.family)), Corrupt, badCounter)
	expectRefusal(t, store_(c.l, t, c.patient, txerInput(t, txerOf(c.kappa0, 1, c.patient))), Corrupt, badCounter)
	delete(c.l.state, counter)

	mustStore(t, c.l, c.family, txeoInput(t, c.kappa0, 1, c.family, []uint64{c.insurer.ind()}, c.family))
	list, err := epochMembersKey(c.kappa0, 1)
	if err != nil {
		t.Fatal(err)
	}
	good := c.l.state[list]
	c.l.state[list] = good[:9]
	expectRefusal(t, store_(c.l, t, c.patient, txerInput(t, txerOf(c.kappa0, 1, c.patient))), Corrupt,
		"corrupt: the member list of epoch 1 of case "+k+" is missing or malformed")
	c.l.state[list] = good
	opening, err := epochOpeningKey(c.kappa0, 1)
	if err != nil {
		t.Fatal(err)
	}
	kappa := c.l.state[opening]
	c.l.state[opening] = c.kappa0 // the case opening, not an epoch opening
	expectRefusal(t, store_(c.l, t, c.patient, txerInput(t, txerOf(c.kappa0, 1, c.patient))), Corrupt,
		"corrupt: the opening of epoch 1 of case "+k+" is missing or not an epoch opening")
	c.l.state[opening] = kappa
	mustStore(t, c.l, c.patient, txerInput(t, txerOf(c.kappa0, 1, c.patient)))
}

// The composite keys of epochs (keys.rs epoch_key, epoch_opening_key,
// epoch_members_key, epoch_response_key, epoch_tag_key).
func TestTheEpochKeysAreCompositeKeysOfCaseAndEpoch(t *testing.T) {
	kappa0 := bytes.Repeat([]byte{0xab}, 32)
	h := strings.Repeat("ab", 32)
	if got, err := epochKey(kappa0); err != nil || got != "\x00medchain.epoch\x00"+h+"\x00" {
		t.Fatalf("%q (%v)", got, err)
	}
	for _, c := range []struct {
		key  func([]byte, uint32) (string, error)
		want string
	}{{epochOpeningKey, "\x00medchain.txeo\x00" + h + "\x000000002a\x00"},
		{epochMembersKey, "\x00medchain.members\x00" + h + "\x000000002a\x00"},
		{epochTagKey, "\x00medchain.txet\x00" + h + "\x000000002a\x00"}} {
		if got, err := c.key(kappa0, 42); err != nil || got != c.want {
			t.Fatalf("%q, want %q (%v)", got, c.want, err)
		}
	}
	if got, err := epochResponseKey(kappa0, 0xffffffff, 42); err != nil || got != "\x00medchain.txer\x00"+h+"\x00ffffffff\x00000000000000002a\x00" {
		t.Fatalf("%q (%v)", got, err)
	}
}

// The signed messages of epochs (signature.rs epoch_signature_message and
// epoch_tag_signature_message), and the input fields 10, 11 and 12 are
// txeo, txer and txet.
func TestTheEpochSignatureMessagesAreLaidOutAsInRust(t *testing.T) {
	kappa0 := bytes.Repeat([]byte{1}, 32)
	got := epochSignatureMessage(kappa0, 0x01020304, 0x1112131415161718, []uint64{0x2122232425262728, 0x3132333435363738}, []byte{0xaa, 0xbb})
	want := append([]byte("medchain-epoch-v1\x00"), kappa0...)
	want = append(want, 1, 2, 3, 4, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0, 0, 0, 2,
		0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0xaa, 0xbb)
	if !bytes.Equal(got, want) || len(got) != 18+48+16+2 {
		t.Fatalf("epoch message %x, want %x", got, want)
	}
	if got := epochSignatureMessage(kappa0, 1, 2, nil, nil); len(got) != 18+48 || !bytes.Equal(got[len(got)-4:], []byte{0, 0, 0, 0}) {
		t.Fatalf("epoch message %x", got)
	}
	digest := sha256.Sum256([]byte("tag"))
	got = epochTagSignatureMessage(kappa0, 0x01020304, []byte("tag"))
	want = append(append(append([]byte("medchain-epoch-tag-v1\x00"), kappa0...), 1, 2, 3, 4), digest[:]...)
	if !bytes.Equal(got, want) || len(got) != 22+68 {
		t.Fatalf("epoch tag message %x, want %x", got, want)
	}
	l := newLedger()
	p := newParticipant(t, "Org1MSP", "")
	for _, c := range []struct {
		input []byte
		want  string
	}{{[]byte{0x52, 0x00}, "invalid: txeo: the case key must be 32 bytes, got 0"},
		{[]byte{0x5a, 0x00}, "invalid: txer: the case key must be 32 bytes, got 0"},
		{[]byte{0x62, 0x00}, "invalid: txet: the case key must be 32 bytes, got 0"}} {
		expectRefusal(t, store_(l, t, p, c.input), Invalid, c.want)
	}
	// CaseRecord.epoch is field 6, a varint.
	record := encode(t, &pb.CaseRecord{Epoch: 1})
	if !bytes.Equal(record, []byte{0x30, 0x01}) {
		t.Fatalf("CaseRecord{epoch: 1} encodes as %x", record)
	}
}

// (Rust: epoch.rs revoking_keeps_order_and_refuses_bad_lists and
// members_round_trip_and_odd_lengths_are_refused.)
func TestRevokingKeepsOrderAndRefusesBadLists(t *testing.T) {
	const doctor = 3
	previous := []uint64{1, 2, doctor, 4, 5}
	if got, err := nextMembers(previous, []uint64{2, 5}, 1, doctor); err != nil || !equal(got, []uint64{1, 3, 4}) {
		t.Fatalf("%v (%v)", got, err)
	}
	for _, bad := range [][]uint64{{}, {5, 2}, {2, 2}, {1}, {doctor}, {9}} {
		if _, err := nextMembers(previous, bad, 1, doctor); err == nil {
			t.Fatalf("revoking %v is accepted", bad)
		}
	}
	big := make([]uint64, 34)
	for i := range big {
		big[i] = uint64(100 + i)
	}
	if _, err := nextMembers(big, []uint64{100}, 101, 102); err == nil || err.Error() != "the new epoch would have 33 members, more than a tag holds (32); revoke more members" {
		t.Fatalf("%v", err)
	}
	if got, err := nextMembers(big, []uint64{100, 103}, 101, 102); err != nil || len(got) != 32 {
		t.Fatalf("%v (%v)", got, err)
	}
	members := []uint64{7, ^uint64(0), 0}
	if got, ok := decodeMembers(encodeMembers(members)); !ok || !equal(got, members) {
		t.Fatalf("%v", got)
	}
	if _, ok := decodeMembers(make([]byte, 9)); ok {
		t.Fatal("9 bytes decode as members")
	}
}
