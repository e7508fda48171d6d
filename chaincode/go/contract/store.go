package contract

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"

	pb "medchain/chaincode/go/medchainpb"
)

// store is the Store function: validate, store write-once, index, event.
func store(stub Stub, argument []byte) ([]byte, error) {
	input, err := decodeInput(argument)
	if err != nil {
		return nil, err
	}
	switch record := input.GetRecord().(type) {
	case *pb.InputParameter_Reg:
		return storeRegistration(stub, argument, record.Reg)
	case *pb.InputParameter_Txtc:
		return storeOpening(stub, argument, record.Txtc)
	case *pb.InputParameter_Txtr:
		return storeResponse(stub, argument, record.Txtr)
	case *pb.InputParameter_Txd:
		return storeCaseRecord(stub, argument, "txd", record.Txd)
	case *pb.InputParameter_Txm:
		return storeCaseRecord(stub, argument, "txm", record.Txm)
	case *pb.InputParameter_Txa:
		return storeCaseRecord(stub, argument, "txa", record.Txa)
	case *pb.InputParameter_Txgo:
		return storeGrant(stub, argument, record.Txgo)
	case *pb.InputParameter_Txgr:
		return storeGrantResponse(stub, argument, record.Txgr)
	case *pb.InputParameter_Txgt:
		return storeGrantTag(stub, argument, record.Txgt)
	case *pb.InputParameter_Txeo:
		return storeEpochOpening(stub, argument, record.Txeo)
	case *pb.InputParameter_Txer:
		return storeEpochResponse(stub, argument, record.Txer)
	case *pb.InputParameter_Txet:
		return storeEpochTag(stub, argument, record.Txet)
	}
	return nil, invalid("input parameter", "no record is set; set exactly one of reg, txtc, txtr, txd, txm, txa, txgo, txgr, txgt, txeo, txer, txet")
}

// roleName spells a role as messages and the CLI do.
func roleName(role pb.Role) string {
	switch role {
	case pb.Role_ROLE_DOCTOR:
		return "doctor"
	case pb.Role_ROLE_PHARMACIST:
		return "pharmacist"
	case pb.Role_ROLE_INSURER:
		return "insurer"
	case pb.Role_ROLE_LAWYER_EXPERT:
		return "lawyer-expert"
	}
	return "unspecified"
}

// putOnce stores a record that exists at most once under the index key
// index (an answer, a tag; put_once): refused with already() when index is
// set, otherwise stored (putRecord) with index pointing at its κ.
func putOnce(stub Stub, value, kappa0 []byte, index string, already func() error) ([]byte, error) {
	existing, err := getState(stub, index)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		return nil, already()
	}
	kappa, err := putRecord(stub, value, kappa0)
	if err != nil {
		return nil, err
	}
	if err := putState(stub, index, kappa); err != nil {
		return nil, err
	}
	return kappa, nil
}

// putRecord stores bytes write-once under κ = SHA-256(bytes) and adds it
// to its case's index and commit log (kappa0, or κ itself for an opening).
func putRecord(stub Stub, value, kappa0 []byte) ([]byte, error) {
	sum := sha256.Sum256(value)
	kappa := sum[:]
	key := recordStateKey(kappa)
	existing, err := getState(stub, key)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		return nil, refuse(AlreadyStored, "a record with key %s exists; records are write-once", hex.EncodeToString(kappa))
	}
	timestamp, err := stub.GetTxTimestamp()
	if err != nil || timestamp == nil {
		return nil, refuse(BadCall, "the proposal carries no timestamp")
	}
	if kappa0 == nil {
		kappa0 = kappa
	}
	index, err := caseIndexKey(kappa0, timestamp, stub.GetTxID())
	if err != nil {
		if refusal, ok := err.(*Error); ok {
			return nil, refusal
		}
		return nil, ledgerError(err)
	}
	if err := putState(stub, key, value); err != nil {
		return nil, err
	}
	if err := putState(stub, index, kappa); err != nil {
		return nil, err
	}
	return kappa, nil
}

// emit sets the transaction's single chaincode event.
func emit(stub Stub, recordType string, key, kappa0 []byte, receivers []uint64) error {
	payload, err := marshalOrLedger(&pb.StoreEvent{Key: key, CaseKey: kappa0, Type: recordType, Receivers: receivers})
	if err != nil {
		return err
	}
	if err := stub.SetEvent(recordType, payload); err != nil {
		return ledgerError(err)
	}
	return nil
}

// storeRegistration: a doctor, pharmacist, insurer or lawyer/expert registers.
func storeRegistration(stub Stub, value []byte, reg *pb.Registration) ([]byte, error) {
	const record = "reg"
	role := reg.GetRole()
	switch role {
	case pb.Role_ROLE_DOCTOR, pb.Role_ROLE_PHARMACIST, pb.Role_ROLE_INSURER, pb.Role_ROLE_LAWYER_EXPERT:
	default:
		return nil, invalid(record, "the role must be doctor, pharmacist, insurer or lawyer-expert (patients and family members do not register)")
	}
	if len(reg.GetCertificatePem()) > maxCertificatePEMBytes {
		return nil, invalid(record, "the certificate is larger than %d bytes", maxCertificatePEMBytes)
	}
	der, cert, err := parseCertificatePEM([]byte(reg.GetCertificatePem()))
	if err != nil {
		return nil, invalid(record, "%v", err)
	}
	public, err := p256Key(cert)
	if err != nil {
		return nil, invalid(record, "%v", err)
	}
	id, err := creatorIdentity(stub, record)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(der, id.der) {
		return nil, unauthorized(record, "the certificate is not the submitter's own; register with your own Fabric certificate")
	}
	if err := authorizeRole(stub, id, reg, role); err != nil {
		return nil, err
	}
	ind := participantIndex(public)
	key, err := registrationKey(ind)
	if err != nil {
		return nil, ledgerError(err)
	}
	existing, err := getState(stub, key)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		return nil, refuse(AlreadyStored, "participant %016x is already registered", ind)
	}
	if err := putState(stub, key, value); err != nil {
		return nil, err
	}
	indBytes := binary.BigEndian.AppendUint64(nil, ind)
	if err := emit(stub, record, indBytes, nil, []uint64{ind}); err != nil {
		return nil, err
	}
	return indBytes, nil
}

// requireRegistered: the creator is registered as role under its own
// index with the key it signed with.
func requireRegistered(stub Stub, record string, c *creator, role pb.Role) error {
	reg, err := loadRegistration(stub, c.ind)
	if err != nil {
		return err
	}
	switch {
	case reg == nil:
		return unauthorized(record, "the submitter is not registered as a %s; register first", roleName(role))
	case reg.role != role:
		return unauthorized(record, "the submitter is registered as %s, not as %s", roleName(reg.role), roleName(role))
	case !bytes.Equal(reg.key, c.key.Bytes()):
		return unauthorized(record, "the submitter's key differs from its registered certificate")
	}
	return nil
}

// storeOpening: the doctor opens a case.
func storeOpening(stub Stub, value []byte, o *pb.CaseOpening) ([]byte, error) {
	const record = "txtc"
	c, err := creatorOf(stub, record)
	if err != nil {
		return nil, err
	}
	if err := requireRegistered(stub, record, c, pb.Role_ROLE_DOCTOR); err != nil {
		return nil, err
	}
	if o.GetDoctor() != c.ind {
		return nil, unauthorized(record, "the case names doctor %016x but the submitter is %016x; a doctor opens cases only for itself", o.GetDoctor(), c.ind)
	}
	k := 2 + len(o.GetFamilyKeys()) + len(o.GetPharmacists()) + len(o.GetInsurers()) + len(o.GetLawyerExperts())
	if k > maxParticipants {
		return nil, invalid(record, "a case has at most %d participants (doctor included), got %d", maxParticipants, k)
	}
	if err := ephemeralKey(o.GetDoctorEphemeralKey()); err != nil {
		return nil, invalid(record, "doctor ephemeral key: %v", err)
	}
	if err := kdfParams(o.GetKdf()); err != nil {
		return nil, err
	}
	if err := requireKdfFloor(stub, o); err != nil {
		return nil, err
	}
	mc, err := caseOf(o)
	if err != nil {
		return nil, invalid(record, "%v", err)
	}
	sorted := slices.Clone(mc.participants())
	slices.Sort(sorted)
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			return nil, invalid(record, "participant %016x is listed twice; list each participant once", sorted[i])
		}
	}
	for _, list := range []struct {
		inds []uint64
		role pb.Role
	}{{mc.pharmacists, pb.Role_ROLE_PHARMACIST}, {mc.insurers, pb.Role_ROLE_INSURER}, {mc.lawyerExperts, pb.Role_ROLE_LAWYER_EXPERT}} {
		for _, ind := range list.inds {
			reg, err := loadRegistration(stub, ind)
			if err != nil {
				return nil, err
			}
			switch {
			case reg == nil:
				return nil, invalid(record, "%s %016x is not registered; ask them to register first", roleName(list.role), ind)
			case reg.role != list.role:
				return nil, invalid(record, "participant %016x is listed as %s but is registered as %s", ind, roleName(list.role), roleName(reg.role))
			}
		}
	}
	if err := verifyConsent(o); err != nil {
		return nil, unauthorized(record, "%v", err)
	}
	used, err := selectionKey(o.GetPatientKey(), o.GetConsent().GetNonce())
	if err != nil {
		return nil, ledgerError(err)
	}
	existing, err := getState(stub, used)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		return nil, refuse(AlreadyStored, "this patient selection already opened a case; ask the patient for a new selection")
	}
	kappa0, err := putRecord(stub, value, nil)
	if err != nil {
		return nil, err
	}
	if err := putState(stub, used, kappa0); err != nil {
		return nil, err
	}
	if err := emit(stub, record, kappa0, kappa0, mc.receivers(record)); err != nil {
		return nil, err
	}
	return kappa0, nil
}

// authorizeParticipant: the creator is a participant of the case who
// answers it (everyone but the doctor), compared by full public key.
func authorizeParticipant(stub Stub, record string, mc *medicalCase, c *creator, kappa0 []byte) error {
	notParticipant := unauthorized(record, "the submitter is not a participant of case %s", hex.EncodeToString(kappa0))
	who, n := mc.roleOf(c.ind)
	switch who {
	case partNone:
		return notParticipant
	case partDoctor:
		return unauthorized(record, "the doctor does not answer its own case; it derives its secret locally")
	case partPatient, partFamily:
		if mc.namedByKey(who, n, c.key) {
			return nil
		}
		return notParticipant
	case partPharmacist:
		return requireRegistered(stub, record, c, pb.Role_ROLE_PHARMACIST)
	case partInsurer:
		return requireRegistered(stub, record, c, pb.Role_ROLE_INSURER)
	default:
		return requireRegistered(stub, record, c, pb.Role_ROLE_LAWYER_EXPERT)
	}
}

// storeResponse: a participant answers a case opening.
func storeResponse(stub Stub, value []byte, r *pb.CaseResponse) ([]byte, error) {
	const record = "txtr"
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
		return nil, unauthorized(record, "the response names participant %016x but the submitter is %016x; answer only for yourself", r.GetResponder(), c.ind)
	}
	if err := authorizeParticipant(stub, record, mc, c, kappa0); err != nil {
		return nil, err
	}
	if err := sealedAnswer(record, r.GetEphemeralKey(), r.GetSealedSecret()); err != nil {
		return nil, err
	}
	index, err := responseKey(kappa0, c.ind)
	if err != nil {
		return nil, ledgerError(err)
	}
	kappa, err := putOnce(stub, value, kappa0, index, func() error {
		return refuse(AlreadyStored, "participant %016x has already answered case %s", c.ind, hex.EncodeToString(kappa0))
	})
	if err != nil {
		return nil, err
	}
	if err := emit(stub, record, kappa, kappa0, mc.receivers(record)); err != nil {
		return nil, err
	}
	return kappa, nil
}

// storeCaseRecord: txd, txm or txa, a record of a case. The doctor's
// first txd fixes the case's tag, signed by the doctor; no other record
// comes first. Once the case has left key epoch 0, every record is sealed
// in its current epoch, carries the epoch's tag signed by the epoch's
// opener, lists the epoch's other members and reaches only them
// (chaincode/contract/src/store/record.rs).
func storeCaseRecord(stub Stub, value []byte, recordType string, r *pb.CaseRecord) ([]byte, error) {
	kappa0 := r.GetCaseKey()
	if err := key32(recordType, "the case key", kappa0); err != nil {
		return nil, err
	}
	mc, err := loadCase(stub, kappa0)
	if err != nil {
		return nil, err
	}
	c, err := creatorOf(stub, recordType)
	if err != nil {
		return nil, err
	}
	var allowed bool
	var role pb.Role
	var writers string
	switch recordType {
	case "txd":
		allowed, role, writers = c.ind == mc.doctor, pb.Role_ROLE_DOCTOR, "doctor"
	case "txm":
		allowed, role, writers = slices.Contains(mc.pharmacists, c.ind), pb.Role_ROLE_PHARMACIST, "listed pharmacists"
	default:
		allowed, role, writers = slices.Contains(mc.insurers, c.ind), pb.Role_ROLE_INSURER, "listed insurers"
	}
	if !allowed {
		return nil, unauthorized(recordType, "only the case's %s may store a %s record", writers, recordType)
	}
	if err := requireRegistered(stub, recordType, c, role); err != nil {
		return nil, err
	}
	for _, ind := range mc.responders() {
		key, err := responseKey(kappa0, ind)
		if err != nil {
			return nil, ledgerError(err)
		}
		answered, err := getState(stub, key)
		if err != nil {
			return nil, err
		}
		if answered == nil {
			return nil, refuse(OutOfOrder, "the case key is not established yet: participant %016x has not answered case %s; wait for every response", ind, hex.EncodeToString(kappa0))
		}
	}
	epoch, err := currentRecordEpoch(stub, mc, kappa0)
	if err != nil {
		return nil, err
	}
	var current uint32
	if epoch != nil {
		current = epoch.epoch
	}
	if epoch != nil && !slices.Contains(epoch.members, c.ind) {
		return nil, unauthorized(recordType, "participant %016x was revoked from case %s (it is not a member of key epoch %d); it stores no more records", c.ind, hex.EncodeToString(kappa0), epoch.epoch)
	}
	if r.GetEpoch() != current {
		return nil, invalid(recordType, "case %s is in key epoch %d, but the record says epoch %d; seal every record in the case's current epoch", hex.EncodeToString(kappa0), current, r.GetEpoch())
	}
	var expected []uint64
	if epoch == nil {
		expected = mc.others(c.ind)
	} else {
		expected = []uint64{}
		for _, m := range epoch.members {
			if m != c.ind {
				expected = append(expected, m)
			}
		}
	}
	if !slices.Equal(r.GetParticipants(), expected) {
		if epoch == nil {
			return nil, invalid(recordType, "participants must list the case's other %d participants in canonical order (patient, family, doctor, pharmacists, insurers, lawyers/experts)", len(expected))
		}
		return nil, invalid(recordType, "participants must list the other %d members of key epoch %d in member order", len(expected), epoch.epoch)
	}
	if n := len(r.GetCiphertext()); !isRecordCiphertextLen(n) {
		return nil, invalid(recordType, "the ciphertext must be a padded record (a 256·2^i-byte bucket from %d B to %d B, plus a 12-byte nonce and a 16-byte GCM tag), got %d bytes; pad the plaintext as protocol v2 specifies", minPaddedBytes, maxPaddedBytes, n)
	}
	coefficients := mc.size()
	if epoch != nil {
		coefficients = len(epoch.members)
	}
	if err := checkTag(recordType, r.GetTag(), coefficients); err != nil {
		return nil, err
	}
	if len(r.GetTagSignature()) == 0 {
		return nil, invalid(recordType, "the record carries no tag signature (a protocol v1 record); use a medchain v2 client, which carries the doctor's signed tag")
	}
	sum := sha256.Sum256(r.GetTag())
	fingerprint := sum[:]
	tagState, err := tagKey(kappa0)
	if err != nil {
		return nil, ledgerError(err)
	}
	// In epoch 0 the doctor's first txd fixes the case's tag (fixTag); in
	// a later epoch every record carries the epoch's tag.
	fixTag := false
	if epoch != nil {
		if err := checkEpochTag(recordType, epoch, kappa0, r, fingerprint); err != nil {
			return nil, err
		}
	} else {
		fixed, err := getState(stub, tagState)
		if err != nil {
			return nil, err
		}
		if err := checkDoctorTag(stub, recordType, mc, kappa0, r, fingerprint, fixed); err != nil {
			return nil, err
		}
		fixTag = fixed == nil
	}
	countState, err := recordCountKey(kappa0, c.ind)
	if err != nil {
		return nil, ledgerError(err)
	}
	stored, err := storedCount(stub, countState, kappa0)
	if err != nil {
		return nil, err
	}
	if stored >= maxRecordsPerSubmitter {
		return nil, invalid(recordType, "participant %016x has stored %d records in case %s, the most one submitter may store in a case (%d); open a new case to record more", c.ind, stored, hex.EncodeToString(kappa0), maxRecordsPerSubmitter)
	}
	kappa, err := putRecord(stub, value, kappa0)
	if err != nil {
		return nil, err
	}
	if err := putState(stub, countState, binary.BigEndian.AppendUint64(nil, stored+1)); err != nil {
		return nil, err
	}
	if fixTag {
		if err := putState(stub, tagState, fingerprint); err != nil {
			return nil, err
		}
	}
	// Every grantee with a grant tag is notified too, after the case's own
	// receivers, in grant order; in a later epoch only its members are.
	granted, err := grantees(stub, kappa0)
	if err != nil {
		return nil, err
	}
	receivers := append(mc.receivers(recordType), granted...)
	if epoch != nil {
		receivers = slices.DeleteFunc(receivers, func(ind uint64) bool { return !slices.Contains(epoch.members, ind) })
	}
	if err := emit(stub, recordType, kappa, kappa0, receivers); err != nil {
		return nil, err
	}
	return kappa, nil
}

// checkDoctorTag checks a record of epoch 0 carries the doctor's tag: the
// one fixed by the doctor's first txd (fixed; a txd may fix it now when it
// is nil), signed by the key of the doctor's registered certificate
// (check_doctor_tag).
func checkDoctorTag(stub Stub, recordType string, mc *medicalCase, kappa0 []byte, r *pb.CaseRecord, fingerprint, fixed []byte) error {
	switch {
	case fixed == nil && recordType != "txd":
		return refuse(OutOfOrder, "the doctor has not fixed the tag of case %s yet; wait for the doctor's first txd record", hex.EncodeToString(kappa0))
	case fixed != nil && !bytes.Equal(fixed, fingerprint):
		return invalid(recordType, "the tag differs from the one the doctor fixed for this case; every record of a case carries the doctor's tag and signature")
	}
	doctor, err := loadRegistration(stub, mc.doctor)
	if err != nil {
		return err
	}
	if doctor == nil {
		return refuse(Corrupt, "the doctor %016x of case %s is not registered", mc.doctor, hex.EncodeToString(kappa0))
	}
	if fault := verifyTagSignature(doctor.key, kappa0, r.GetTag(), r.GetTagSignature()); fault != nil {
		return invalid(recordType, "the tag signature is not the case's doctor's (%v); carry the tag and signature of the doctor's record", fault)
	}
	return nil
}

// storedCount reads a record counter: 8 bytes, big-endian; absent is 0.
func storedCount(stub Stub, key string, kappa0 []byte) (uint64, error) {
	value, err := getState(stub, key)
	if err != nil || value == nil {
		return 0, err
	}
	if len(value) != 8 {
		return 0, refuse(Corrupt, "a record counter of case %s holds %d bytes, not 8", hex.EncodeToString(kappa0), len(value))
	}
	return binary.BigEndian.Uint64(value), nil
}
