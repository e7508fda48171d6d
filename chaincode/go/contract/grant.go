package contract

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"

	pb "medchain/chaincode/go/medchainpb"
)

// txgo, txgr, txgt: granting an established case to a new participant
// (chaincode/contract/src/store/grant.rs). The patient or a family member
// of the case opens the grant (signed), the grantee answers with its sealed
// secret, the granter publishes the grant tag (signed); from then on the
// grantee is notified of every record of the case.

// isGranteeRole: the roles a registered grantee may have.
func isGranteeRole(role pb.Role) bool {
	switch role {
	case pb.Role_ROLE_DOCTOR, pb.Role_ROLE_PHARMACIST, pb.Role_ROLE_INSURER, pb.Role_ROLE_LAWYER_EXPERT:
		return true
	}
	return false
}

// isKnownRole: the role number is one the schema declares (Role::try_from).
func isKnownRole(role pb.Role) bool {
	_, known := pb.Role_name[int32(role)]
	return known
}

// requireSpeaksForPatient: the creator is the case's patient or one of its
// family members, named by exactly its key, to take action ("grant it").
func requireSpeaksForPatient(record, action string, mc *medicalCase, c *creator, kappa0 []byte) error {
	who, n := mc.roleOf(c.ind)
	if (who == partPatient || who == partFamily) && mc.namedByKey(who, n, c.key) {
		return nil
	}
	return unauthorized(record, "only the patient or a family member named in case %s may %s", hex.EncodeToString(kappa0), action)
}

// requireEpochZero refuses every grant step once the case has left key
// epoch 0: a grant tag yields the case's first key only (protocol §7b).
func requireEpochZero(stub Stub, kappa0 []byte) error {
	epoch, err := latestEpoch(stub, kappa0)
	if err != nil {
		return err
	}
	if epoch == 0 {
		return nil
	}
	return refuse(OutOfOrder, "case %s has entered key epoch %d after a revocation, and a grant yields only the case's first key; grants are made before a revocation", hex.EncodeToString(kappa0), epoch)
}

// storeGrant: the patient or a family member grants a case (txgo).
func storeGrant(stub Stub, value []byte, g *pb.GrantOpening) ([]byte, error) {
	const record = "txgo"
	kappa0 := g.GetCaseKey()
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
	if g.GetGranter() != c.ind {
		return nil, unauthorized(record, "the grant names granter %016x but the submitter is %016x; grant only as yourself", g.GetGranter(), c.ind)
	}
	if err := requireSpeaksForPatient(record, "grant it", mc, c, kappa0); err != nil {
		return nil, err
	}
	if err := requireEpochZero(stub, kappa0); err != nil {
		return nil, err
	}
	tagState, err := tagKey(kappa0)
	if err != nil {
		return nil, ledgerError(err)
	}
	fixed, err := getState(stub, tagState)
	if err != nil {
		return nil, err
	}
	if fixed == nil {
		return nil, refuse(OutOfOrder, "case %s has no diagnosis yet, so its key is not established; grant it after the doctor's first record", hex.EncodeToString(kappa0))
	}
	role := g.GetGranteeRole()
	if !isKnownRole(role) {
		return nil, invalid(record, "grantee_role is not a known role")
	}
	if len(g.GetGranteeKey()) == 0 {
		if !isGranteeRole(role) {
			return nil, invalid(record, "a registered grantee needs grantee_role doctor, pharmacist, insurer or lawyer-expert; name a family member by grantee_key instead")
		}
		reg, err := loadRegistration(stub, g.GetGrantee())
		if err != nil {
			return nil, err
		}
		if reg == nil || reg.role != role {
			return nil, invalid(record, "participant %016x is not registered with the role %s; only registered participants or family members named by key can be granted a case", g.GetGrantee(), roleName(role))
		}
	} else {
		key, err := identityKey(g.GetGranteeKey())
		if err != nil {
			return nil, invalid(record, "grantee key: %v", err)
		}
		if role != pb.Role_ROLE_UNSPECIFIED {
			return nil, invalid(record, "a family member named by grantee_key has no registered role; leave grantee_role unspecified")
		}
		if participantIndex(key) != g.GetGrantee() {
			return nil, invalid(record, "grantee must be the index of grantee_key (its last 8 bytes)")
		}
	}
	if who, _ := mc.roleOf(g.GetGrantee()); who != partNone {
		return nil, invalid(record, "participant %016x is already a participant of case %s; it reads the case with its password", g.GetGrantee(), hex.EncodeToString(kappa0))
	}
	if err := ephemeralKey(g.GetGranterEphemeralKey()); err != nil {
		return nil, invalid(record, "ephemeral key: %v", err)
	}
	message := grantSignatureMessage(kappa0, g.GetGranter(), g.GetGrantee(), int32(g.GetGranteeRole()), g.GetGranteeKey(), g.GetGranterEphemeralKey())
	if fault := verifyLowS(c.key.Bytes(), message, g.GetSignature()); fault != nil {
		return nil, invalid(record, "the grant's signature is not the granter's (%v); sign the grant with your identity key", fault)
	}
	index, err := grantKey(kappa0, g.GetGrantee())
	if err != nil {
		return nil, ledgerError(err)
	}
	existing, err := getState(stub, index)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		return nil, refuse(AlreadyStored, "case %s is already granted to participant %016x; a case is granted once per grantee", hex.EncodeToString(kappa0), g.GetGrantee())
	}
	countKey, err := grantCountKey(kappa0)
	if err != nil {
		return nil, ledgerError(err)
	}
	granted, err := storedCount(stub, countKey, kappa0)
	if err != nil {
		return nil, err
	}
	if granted >= maxGrantsPerCase {
		return nil, invalid(record, "case %s is already granted to %d participants, the most one case can be granted to (%d)", hex.EncodeToString(kappa0), granted, maxGrantsPerCase)
	}
	kappa, err := putRecord(stub, value, kappa0)
	if err != nil {
		return nil, err
	}
	if err := putState(stub, index, kappa); err != nil {
		return nil, err
	}
	count := make([]byte, 8)
	binary.BigEndian.PutUint64(count, granted+1)
	if err := putState(stub, countKey, count); err != nil {
		return nil, err
	}
	if err := emit(stub, record, kappa, kappa0, []uint64{g.GetGrantee()}); err != nil {
		return nil, err
	}
	return kappa, nil
}

// loadGrant loads the grant of case κ0 to grantee, or nil.
func loadGrant(stub Stub, kappa0 []byte, grantee uint64) (*pb.GrantOpening, error) {
	index, err := grantKey(kappa0, grantee)
	if err != nil {
		return nil, ledgerError(err)
	}
	kappa, err := getState(stub, index)
	if err != nil || kappa == nil {
		return nil, err
	}
	corrupt := refuse(Corrupt, "the grant of case %s to %016x is missing or not a grant", hex.EncodeToString(kappa0), grantee)
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
	grant := input.GetTxgo()
	if grant == nil {
		return nil, corrupt
	}
	return grant, nil
}

// storeGrantResponse: the grantee answers its grant (txgr).
func storeGrantResponse(stub Stub, value []byte, r *pb.GrantResponse) ([]byte, error) {
	const record = "txgr"
	kappa0 := r.GetCaseKey()
	if err := key32(record, "the case key", kappa0); err != nil {
		return nil, err
	}
	if _, err := loadCase(stub, kappa0); err != nil {
		return nil, err
	}
	c, err := creatorOf(stub, record)
	if err != nil {
		return nil, err
	}
	if r.GetGrantee() != c.ind {
		return nil, unauthorized(record, "the answer names grantee %016x but the submitter is %016x; answer only for yourself", r.GetGrantee(), c.ind)
	}
	notGranted := unauthorized(record, "case %s is not granted to the submitter", hex.EncodeToString(kappa0))
	grant, err := loadGrant(stub, kappa0, c.ind)
	if err != nil {
		return nil, err
	}
	if grant == nil {
		return nil, notGranted
	}
	if len(grant.GetGranteeKey()) == 0 {
		role := grant.GetGranteeRole()
		if !isKnownRole(role) {
			role = pb.Role_ROLE_UNSPECIFIED
		}
		if err := requireRegistered(stub, record, c, role); err != nil {
			return nil, err
		}
	} else {
		key, err := identityKey(grant.GetGranteeKey())
		if err != nil {
			return nil, refuse(Corrupt, "a stored grant's grantee key: %v", err)
		}
		if !bytes.Equal(key.Bytes(), c.key.Bytes()) {
			return nil, notGranted
		}
	}
	if err := requireEpochZero(stub, kappa0); err != nil {
		return nil, err
	}
	if err := sealedAnswer(record, r.GetEphemeralKey(), r.GetSealedSecret()); err != nil {
		return nil, err
	}
	index, err := grantResponseKey(kappa0, c.ind)
	if err != nil {
		return nil, ledgerError(err)
	}
	kappa, err := putOnce(stub, value, kappa0, index, func() error {
		return refuse(AlreadyStored, "participant %016x has already answered its grant of case %s", c.ind, hex.EncodeToString(kappa0))
	})
	if err != nil {
		return nil, err
	}
	if err := emit(stub, record, kappa, kappa0, []uint64{grant.GetGranter()}); err != nil {
		return nil, err
	}
	return kappa, nil
}

// storeGrantTag: the granter publishes the grant tag (txgt).
func storeGrantTag(stub Stub, value []byte, gt *pb.GrantTag) ([]byte, error) {
	const record = "txgt"
	kappa0 := gt.GetCaseKey()
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
	grant, err := loadGrant(stub, kappa0, gt.GetGrantee())
	if err != nil {
		return nil, err
	}
	if grant == nil {
		return nil, refuse(NotFound, "case %s is not granted to participant %016x", hex.EncodeToString(kappa0), gt.GetGrantee())
	}
	if grant.GetGranter() != c.ind {
		return nil, unauthorized(record, "only the granter of this grant may publish its tag")
	}
	if err := requireSpeaksForPatient(record, "grant it", mc, c, kappa0); err != nil {
		return nil, err
	}
	if err := requireEpochZero(stub, kappa0); err != nil {
		return nil, err
	}
	answerState, err := grantResponseKey(kappa0, gt.GetGrantee())
	if err != nil {
		return nil, ledgerError(err)
	}
	answered, err := getState(stub, answerState)
	if err != nil {
		return nil, err
	}
	if answered == nil {
		return nil, refuse(OutOfOrder, "participant %016x has not answered its grant of case %s yet; wait for its answer", gt.GetGrantee(), hex.EncodeToString(kappa0))
	}
	if err := checkTag(record, gt.GetTag(), 2); err != nil {
		return nil, err
	}
	message := grantTagSignatureMessage(kappa0, gt.GetGrantee(), gt.GetTag())
	if fault := verifyLowS(c.key.Bytes(), message, gt.GetTagSignature()); fault != nil {
		return nil, invalid(record, "the grant tag's signature is not the granter's (%v); sign it with your identity key", fault)
	}
	index, err := grantTagKey(kappa0, gt.GetGrantee())
	if err != nil {
		return nil, ledgerError(err)
	}
	kappa, err := putOnce(stub, value, kappa0, index, func() error {
		return refuse(AlreadyStored, "the grant of case %s to participant %016x already has its tag", hex.EncodeToString(kappa0), gt.GetGrantee())
	})
	if err != nil {
		return nil, err
	}
	list, err := granteesKey(kappa0)
	if err != nil {
		return nil, ledgerError(err)
	}
	granted, err := getState(stub, list)
	if err != nil {
		return nil, err
	}
	granted = binary.BigEndian.AppendUint64(bytes.Clone(granted), gt.GetGrantee())
	if err := putState(stub, list, granted); err != nil {
		return nil, err
	}
	if err := emit(stub, record, kappa, kappa0, []uint64{gt.GetGrantee()}); err != nil {
		return nil, err
	}
	return kappa, nil
}

// grantees lists the grantees of case κ0 with a grant tag, in grant
// order: they are notified of every later record.
func grantees(stub Stub, kappa0 []byte) ([]uint64, error) {
	list, err := granteesKey(kappa0)
	if err != nil {
		return nil, ledgerError(err)
	}
	value, err := getState(stub, list)
	if err != nil || value == nil {
		return nil, err
	}
	if len(value)%8 != 0 {
		return nil, refuse(Corrupt, "the grantee list of case %s holds %d bytes, not a multiple of 8", hex.EncodeToString(kappa0), len(value))
	}
	out := make([]uint64, 0, len(value)/8)
	for i := 0; i < len(value); i += 8 {
		out = append(out, binary.BigEndian.Uint64(value[i:i+8]))
	}
	return out, nil
}
