package contract

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"

	pb "medchain/chaincode/go/medchainpb"
)

// txeo, txer, txet: a new key epoch of a case, without the members it
// revokes (chaincode/contract/src/store/epoch.rs and the pure rules of
// chaincode/contract/src/epoch.rs). The patient or a family member opens
// the epoch (signed, with a fresh ephemeral key), every remaining member
// answers with its epoch secret sealed to the opener, the opener publishes
// the epoch tag (signed); from then on every record is sealed in the new
// epoch and only its members are notified.

// initialMembers are the members of epoch 0: the case's participants in
// case order, then its grantees (with a grant tag) in ascending index order
// (initial_members).
func initialMembers(mc *medicalCase, granted []uint64) []uint64 {
	members := mc.participants()
	sorted := slices.Clone(granted)
	slices.Sort(sorted)
	for _, grantee := range sorted {
		if !slices.Contains(members, grantee) {
			members = append(members, grantee)
		}
	}
	return members
}

// nextMembers are the members of the next epoch: previous without revoked,
// in the same order (next_members). revoked must be sorted ascending, each
// once, at least one, each a member of previous, never opener nor the
// case's doctor; the new epoch has at most maxParticipants members. The
// error is one sentence saying what is wrong.
func nextMembers(previous, revoked []uint64, opener, doctor uint64) ([]uint64, error) {
	if len(revoked) == 0 {
		return nil, fmt.Errorf("revoked must name at least one member to leave out of the new epoch")
	}
	for i := 1; i < len(revoked); i++ {
		if revoked[i-1] >= revoked[i] {
			return nil, fmt.Errorf("revoked must be sorted ascending with each index once")
		}
	}
	for _, ind := range revoked {
		if ind == opener {
			return nil, fmt.Errorf("the opener cannot revoke itself; another member who speaks for the patient can")
		}
		if ind == doctor {
			return nil, fmt.Errorf("the case's doctor %016x writes its diagnoses and cannot be revoked; open a new case with another doctor instead", ind)
		}
		if !slices.Contains(previous, ind) {
			return nil, fmt.Errorf("participant %016x is not a member of the case's current key epoch", ind)
		}
	}
	members := []uint64{}
	for _, ind := range previous {
		if _, found := slices.BinarySearch(revoked, ind); !found {
			members = append(members, ind)
		}
	}
	if len(members) > maxParticipants {
		return nil, fmt.Errorf("the new epoch would have %d members, more than a tag holds (%d); revoke more members", len(members), maxParticipants)
	}
	return members, nil
}

// encodeMembers encodes a member list: 8 bytes per index, big-endian
// (encode_members).
func encodeMembers(members []uint64) []byte {
	out := make([]byte, 0, 8*len(members))
	for _, m := range members {
		out = binary.BigEndian.AppendUint64(out, m)
	}
	return out
}

// decodeMembers decodes a member list written by encodeMembers; ok is
// false when its length is not a multiple of 8 (decode_members).
func decodeMembers(b []byte) ([]uint64, bool) {
	if len(b)%8 != 0 {
		return nil, false
	}
	out := make([]uint64, 0, len(b)/8)
	for i := 0; i < len(b); i += 8 {
		out = append(out, binary.BigEndian.Uint64(b[i:i+8]))
	}
	return out, true
}

// latestEpoch is the case's latest key epoch (0 until one is opened).
func latestEpoch(stub Stub, kappa0 []byte) (uint32, error) {
	key, err := epochKey(kappa0)
	if err != nil {
		return 0, ledgerError(err)
	}
	value, err := getState(stub, key)
	if err != nil || value == nil {
		return 0, err
	}
	if len(value) != 4 {
		return 0, refuse(Corrupt, "the epoch counter of case %s holds %d bytes, not 4", hex.EncodeToString(kappa0), len(value))
	}
	latest := binary.BigEndian.Uint32(value)
	if latest > maxEpochsPerCase {
		return 0, refuse(Corrupt, "the epoch counter of case %s says %d, more than the %d epochs a case can have", hex.EncodeToString(kappa0), latest, maxEpochsPerCase)
	}
	return latest, nil
}

// establishedBefore is the latest established epoch of the case below
// epoch (0 at least: the case's key is established before any epoch is
// opened).
func establishedBefore(stub Stub, kappa0 []byte, epoch uint32) (uint32, error) {
	for e := epoch - 1; e >= 1; e-- {
		established, err := epochEstablished(stub, kappa0, e)
		if err != nil {
			return 0, err
		}
		if established {
			return e, nil
		}
	}
	return 0, nil
}

// epochMembers are the members of epoch epoch of the case.
func epochMembers(stub Stub, mc *medicalCase, kappa0 []byte, epoch uint32) ([]uint64, error) {
	if epoch == 0 {
		granted, err := grantees(stub, kappa0)
		if err != nil {
			return nil, err
		}
		return initialMembers(mc, granted), nil
	}
	key, err := epochMembersKey(kappa0, epoch)
	if err != nil {
		return nil, ledgerError(err)
	}
	value, err := getState(stub, key)
	if err != nil {
		return nil, err
	}
	members, ok := decodeMembers(value)
	if !ok || len(members) == 0 {
		return nil, refuse(Corrupt, "the member list of epoch %d of case %s is missing or malformed", epoch, hex.EncodeToString(kappa0))
	}
	return members, nil
}

// epochEstablished is whether epoch epoch of the case has its key: epoch 0
// once the doctor fixed the tag, a later one once its txet is stored.
func epochEstablished(stub Stub, kappa0 []byte, epoch uint32) (bool, error) {
	var key string
	var err error
	if epoch == 0 {
		key, err = tagKey(kappa0)
	} else {
		key, err = epochTagKey(kappa0, epoch)
	}
	if err != nil {
		return false, ledgerError(err)
	}
	value, err := getState(stub, key)
	if err != nil {
		return false, err
	}
	return value != nil, nil
}

// loadEpochOpening loads the opening of epoch epoch of the case.
func loadEpochOpening(stub Stub, kappa0 []byte, epoch uint32) (*pb.EpochOpening, error) {
	corrupt := refuse(Corrupt, "the opening of epoch %d of case %s is missing or not an epoch opening", epoch, hex.EncodeToString(kappa0))
	key, err := epochOpeningKey(kappa0, epoch)
	if err != nil {
		return nil, ledgerError(err)
	}
	kappa, err := getState(stub, key)
	if err != nil {
		return nil, err
	}
	if kappa == nil {
		return nil, corrupt
	}
	value, err := getState(stub, recordStateKey(kappa))
	if err != nil {
		return nil, err
	}
	if value == nil {
		return nil, corrupt
	}
	input, _, err := decodeStored(value)
	if err != nil {
		return nil, err
	}
	opening := input.GetTxeo()
	if opening == nil {
		return nil, corrupt
	}
	return opening, nil
}

// speakerKey is the identity key (SEC1 uncompressed) of the case's patient
// or family member ind.
func speakerKey(mc *medicalCase, ind uint64) ([]byte, error) {
	var b []byte
	switch who, n := mc.roleOf(ind); who {
	case partPatient:
		b = mc.patientKey
	case partFamily:
		if n < len(mc.familyKeys) {
			b = mc.familyKeys[n]
		}
	}
	if b != nil {
		if key, err := identityKey(b); err == nil {
			return key.Bytes(), nil
		}
	}
	return nil, refuse(Corrupt, "the opener %016x of an epoch is neither the patient nor a family member", ind)
}

// authorizeMember: the creator is member ind of the case by its full
// identity: a participant as for txtr (the doctor by its registration), a
// grantee as for txgr.
func authorizeMember(stub Stub, record string, mc *medicalCase, c *creator, kappa0 []byte) error {
	switch who, _ := mc.roleOf(c.ind); who {
	case partDoctor:
		return requireRegistered(stub, record, c, pb.Role_ROLE_DOCTOR)
	case partNone:
	default:
		return authorizeParticipant(stub, record, mc, c, kappa0)
	}
	notMember := unauthorized(record, "the submitter is not a member of case %s", hex.EncodeToString(kappa0))
	grant, err := loadGrant(stub, kappa0, c.ind)
	if err != nil {
		return err
	}
	if grant == nil {
		return notMember
	}
	if len(grant.GetGranteeKey()) == 0 {
		role := grant.GetGranteeRole()
		if !isKnownRole(role) {
			role = pb.Role_ROLE_UNSPECIFIED
		}
		return requireRegistered(stub, record, c, role)
	}
	if key, err := identityKey(grant.GetGranteeKey()); err == nil && bytes.Equal(key.Bytes(), c.key.Bytes()) {
		return nil
	}
	return notMember
}

// storeEpochOpening: the patient or a family member opens a key epoch (txeo).
func storeEpochOpening(stub Stub, value []byte, o *pb.EpochOpening) ([]byte, error) {
	const record = "txeo"
	kappa0 := o.GetCaseKey()
	if err := key32(record, "the case key", kappa0); err != nil {
		return nil, err
	}
	mc, err := loadCase(stub, kappa0)
	if err != nil {
		return nil, err
	}
	c, err := creatorOf(stub, record)
	if err != nil {
		return nil, err
	}
	caseHex := hex.EncodeToString(kappa0)
	if o.GetOpener() != c.ind {
		return nil, unauthorized(record, "the epoch opening names opener %016x but the submitter is %016x; open an epoch only as yourself", o.GetOpener(), c.ind)
	}
	if err := requireSpeaksForPatient(record, "revoke its participants", mc, c, kappa0); err != nil {
		return nil, err
	}
	latest, err := latestEpoch(stub, kappa0)
	if err != nil {
		return nil, err
	}
	if latest == 0 {
		established, err := epochEstablished(stub, kappa0, 0)
		if err != nil {
			return nil, err
		}
		if !established {
			return nil, refuse(OutOfOrder, "case %s has no diagnosis yet, so its key is not established; revoke after the doctor's first record", caseHex)
		}
	}
	// A latest epoch still collecting answers is abandoned: the new one
	// starts from the latest established epoch.
	base, err := establishedBefore(stub, kappa0, latest+1)
	if err != nil {
		return nil, err
	}
	next := latest + 1
	if o.GetEpoch() != next {
		return nil, invalid(record, "case %s is in key epoch %d, so the next epoch is %d, not %d", caseHex, latest, next, o.GetEpoch())
	}
	if next > maxEpochsPerCase {
		return nil, invalid(record, "case %s already has %d key epochs, the most one case can have (%d); open a new case", caseHex, latest, maxEpochsPerCase)
	}
	previous, err := epochMembers(stub, mc, kappa0, base)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(previous, c.ind) {
		return nil, unauthorized(record, "participant %016x was revoked from case %s and cannot open its epochs", c.ind, caseHex)
	}
	remaining, err := nextMembers(previous, o.GetRevoked(), c.ind, mc.doctor)
	if err != nil {
		return nil, invalid(record, "%v", err)
	}
	if err := ephemeralKey(o.GetOpenerEphemeralKey()); err != nil {
		return nil, invalid(record, "ephemeral key: %v", err)
	}
	message := epochSignatureMessage(kappa0, o.GetEpoch(), o.GetOpener(), o.GetRevoked(), o.GetOpenerEphemeralKey())
	if fault := verifyLowS(c.key.Bytes(), message, o.GetSignature()); fault != nil {
		return nil, invalid(record, "the epoch opening's signature is not the opener's (%v); sign it with your identity key", fault)
	}
	kappa, err := putRecord(stub, value, kappa0)
	if err != nil {
		return nil, err
	}
	openingState, err := epochOpeningKey(kappa0, next)
	if err != nil {
		return nil, ledgerError(err)
	}
	if err := putState(stub, openingState, kappa); err != nil {
		return nil, err
	}
	membersState, err := epochMembersKey(kappa0, next)
	if err != nil {
		return nil, ledgerError(err)
	}
	if err := putState(stub, membersState, encodeMembers(remaining)); err != nil {
		return nil, err
	}
	epochState, err := epochKey(kappa0)
	if err != nil {
		return nil, ledgerError(err)
	}
	if err := putState(stub, epochState, binary.BigEndian.AppendUint32(nil, next)); err != nil {
		return nil, err
	}
	answering := []uint64{}
	for _, m := range remaining {
		if m != c.ind {
			answering = append(answering, m)
		}
	}
	if err := emit(stub, record, kappa, kappa0, answering); err != nil {
		return nil, err
	}
	return kappa, nil
}

// collectingEpoch checks that epoch is the case's latest epoch and still
// collecting answers (no tag yet, not abandoned for a later one); it
// returns its members.
func collectingEpoch(stub Stub, mc *medicalCase, kappa0 []byte, epoch uint32) ([]uint64, error) {
	latest, err := latestEpoch(stub, kappa0)
	if err != nil {
		return nil, err
	}
	caseHex := hex.EncodeToString(kappa0)
	if epoch == 0 || epoch > latest {
		return nil, refuse(NotFound, "case %s has no key epoch %d opened", caseHex, epoch)
	}
	established, err := epochEstablished(stub, kappa0, epoch)
	if err != nil {
		return nil, err
	}
	if established {
		return nil, refuse(AlreadyStored, "epoch %d of case %s already has its tag", epoch, caseHex)
	}
	if epoch < latest {
		return nil, refuse(OutOfOrder, "epoch %d of case %s was abandoned for epoch %d before its tag was published; answer epoch %d", epoch, caseHex, latest, latest)
	}
	return epochMembers(stub, mc, kappa0, epoch)
}

// storeEpochResponse: a remaining member answers an epoch opening (txer).
func storeEpochResponse(stub Stub, value []byte, r *pb.EpochResponse) ([]byte, error) {
	const record = "txer"
	kappa0 := r.GetCaseKey()
	if err := key32(record, "the case key", kappa0); err != nil {
		return nil, err
	}
	mc, err := loadCase(stub, kappa0)
	if err != nil {
		return nil, err
	}
	c, err := creatorOf(stub, record)
	if err != nil {
		return nil, err
	}
	if r.GetResponder() != c.ind {
		return nil, unauthorized(record, "the answer names member %016x but the submitter is %016x; answer only for yourself", r.GetResponder(), c.ind)
	}
	members, err := collectingEpoch(stub, mc, kappa0, r.GetEpoch())
	if err != nil {
		return nil, err
	}
	opening, err := loadEpochOpening(stub, kappa0, r.GetEpoch())
	if err != nil {
		return nil, err
	}
	if !slices.Contains(members, c.ind) || c.ind == opening.GetOpener() {
		return nil, unauthorized(record, "the submitter is not a member who answers epoch %d of case %s", r.GetEpoch(), hex.EncodeToString(kappa0))
	}
	if err := authorizeMember(stub, record, mc, c, kappa0); err != nil {
		return nil, err
	}
	if err := sealedAnswer(record, r.GetEphemeralKey(), r.GetSealedSecret()); err != nil {
		return nil, err
	}
	index, err := epochResponseKey(kappa0, r.GetEpoch(), c.ind)
	if err != nil {
		return nil, ledgerError(err)
	}
	kappa, err := putOnce(stub, value, kappa0, index, func() error {
		return refuse(AlreadyStored, "participant %016x has already answered epoch %d of case %s", c.ind, r.GetEpoch(), hex.EncodeToString(kappa0))
	})
	if err != nil {
		return nil, err
	}
	if err := emit(stub, record, kappa, kappa0, []uint64{opening.GetOpener()}); err != nil {
		return nil, err
	}
	return kappa, nil
}

// storeEpochTag: the opener publishes the epoch tag (txet).
func storeEpochTag(stub Stub, value []byte, et *pb.EpochTag) ([]byte, error) {
	const record = "txet"
	kappa0 := et.GetCaseKey()
	if err := key32(record, "the case key", kappa0); err != nil {
		return nil, err
	}
	mc, err := loadCase(stub, kappa0)
	if err != nil {
		return nil, err
	}
	c, err := creatorOf(stub, record)
	if err != nil {
		return nil, err
	}
	epoch := et.GetEpoch()
	members, err := collectingEpoch(stub, mc, kappa0, epoch)
	if err != nil {
		return nil, err
	}
	opening, err := loadEpochOpening(stub, kappa0, epoch)
	if err != nil {
		return nil, err
	}
	if opening.GetOpener() != c.ind {
		return nil, unauthorized(record, "only the opener of this epoch may publish its tag")
	}
	if err := requireSpeaksForPatient(record, "revoke its participants", mc, c, kappa0); err != nil {
		return nil, err
	}
	for _, ind := range members {
		if ind == opening.GetOpener() {
			continue
		}
		key, err := epochResponseKey(kappa0, epoch, ind)
		if err != nil {
			return nil, ledgerError(err)
		}
		answered, err := getState(stub, key)
		if err != nil {
			return nil, err
		}
		if answered == nil {
			return nil, refuse(OutOfOrder, "member %016x has not answered epoch %d of case %s yet; wait for every answer", ind, epoch, hex.EncodeToString(kappa0))
		}
	}
	if err := checkTag(record, et.GetTag(), len(members)); err != nil {
		return nil, err
	}
	message := epochTagSignatureMessage(kappa0, epoch, et.GetTag())
	if fault := verifyLowS(c.key.Bytes(), message, et.GetTagSignature()); fault != nil {
		return nil, invalid(record, "the epoch tag's signature is not the opener's (%v); sign it with your identity key", fault)
	}
	kappa, err := putRecord(stub, value, kappa0)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(et.GetTag())
	tagState, err := epochTagKey(kappa0, epoch)
	if err != nil {
		return nil, ledgerError(err)
	}
	if err := putState(stub, tagState, sum[:]); err != nil {
		return nil, err
	}
	others := []uint64{}
	for _, m := range members {
		if m != c.ind {
			others = append(others, m)
		}
	}
	if err := emit(stub, record, kappa, kappa0, others); err != nil {
		return nil, err
	}
	return kappa, nil
}

// recordEpoch is the key epoch a record of the case is sealed in, once the
// case has left epoch 0 (RecordEpoch).
type recordEpoch struct {
	// epoch is e ≥ 1.
	epoch uint32
	// members are its members, in member order.
	members []uint64
	// fingerprint is SHA-256 of its tag.
	fingerprint []byte
	// openerKey is the identity key (SEC1 uncompressed) of its opener, who
	// signed the tag.
	openerKey []byte
}

// currentRecordEpoch is the epoch records of the case are sealed in now:
// nil in epoch 0; an out-of-order refusal while the latest epoch is
// collecting answers (record_epoch).
func currentRecordEpoch(stub Stub, mc *medicalCase, kappa0 []byte) (*recordEpoch, error) {
	epoch, err := latestEpoch(stub, kappa0)
	if err != nil || epoch == 0 {
		return nil, err
	}
	tagState, err := epochTagKey(kappa0, epoch)
	if err != nil {
		return nil, ledgerError(err)
	}
	fingerprint, err := getState(stub, tagState)
	if err != nil {
		return nil, err
	}
	if fingerprint == nil {
		return nil, refuse(OutOfOrder, "case %s is changing its key (epoch %d is collecting its members' answers); store the record once the epoch's tag is published", hex.EncodeToString(kappa0), epoch)
	}
	opening, err := loadEpochOpening(stub, kappa0, epoch)
	if err != nil {
		return nil, err
	}
	members, err := epochMembers(stub, mc, kappa0, epoch)
	if err != nil {
		return nil, err
	}
	openerKey, err := speakerKey(mc, opening.GetOpener())
	if err != nil {
		return nil, err
	}
	return &recordEpoch{epoch: epoch, members: members, fingerprint: fingerprint, openerKey: openerKey}, nil
}

// checkEpochTag checks a record of epoch e ≥ 1 carries the epoch's tag,
// signed by the epoch's opener (check_epoch_tag).
func checkEpochTag(recordType string, e *recordEpoch, kappa0 []byte, r *pb.CaseRecord, fingerprint []byte) error {
	if !bytes.Equal(e.fingerprint, fingerprint) {
		return invalid(recordType, "the tag differs from the tag of key epoch %d; every record of the epoch carries its tag and its opener's signature", e.epoch)
	}
	message := epochTagSignatureMessage(kappa0, e.epoch, r.GetTag())
	if fault := verifyLowS(e.openerKey, message, r.GetTagSignature()); fault != nil {
		return invalid(recordType, "the tag signature is not the epoch opener's (%v); carry the tag and signature of the epoch's txet", fault)
	}
	return nil
}
