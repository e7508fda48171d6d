package contract

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"unicode/utf8"

	pb "medchain/chaincode/go/medchainpb"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// get is the Get function: the bytes stored under κ.
func get(stub Stub, argument []byte) ([]byte, error) {
	kappa, err := fixedArgument(argument, keyBytes, "the record key κ")
	if err != nil {
		return nil, err
	}
	value, err := getState(stub, recordStateKey(kappa))
	if err != nil {
		return nil, err
	}
	if value == nil {
		return nil, refuse(NotFound, "no record is stored under key %s", hex.EncodeToString(kappa))
	}
	return value, nil
}

// getParticipant is the GetParticipant function: the reg record of ind.
func getParticipant(stub Stub, argument []byte) ([]byte, error) {
	raw, err := fixedArgument(argument, 8, "the participant index")
	if err != nil {
		return nil, err
	}
	ind := binary.BigEndian.Uint64(raw)
	key, err := registrationKey(ind)
	if err != nil {
		return nil, ledgerError(err)
	}
	value, err := getState(stub, key)
	if err != nil {
		return nil, err
	}
	if value == nil {
		return nil, refuse(NotFound, "participant %016x is not registered", ind)
	}
	return value, nil
}

// getCase is the GetCase function: one page of the records of case κ0, in
// index order (proposal time, then tx id), from bookmark (nil for the
// first page: no second argument). A page reads at most casePageEntries index entries with one
// paged query and holds whole records: it stops before the record that
// would take its encoded records past maxPageBytes (a page holds at least
// one record), whose index key is then the bookmark; otherwise the
// ledger's bookmark (empty once the case is exhausted).
func getCase(stub Stub, argument []byte, bookmark [][]byte) ([]byte, error) {
	kappa0, err := fixedArgument(argument, keyBytes, "the case key κ0")
	if err != nil {
		return nil, err
	}
	start := ""
	if len(bookmark) == 1 {
		if !utf8.Valid(bookmark[0]) || !isCaseIndexKey(kappa0, string(bookmark[0])) {
			return nil, invalid("argument", "the bookmark is not a key of the index of case %s; pass the bookmark of this case's previous page, or none for its first page", hex.EncodeToString(kappa0))
		}
		start = string(bookmark[0])
	}
	if _, err := loadCase(stub, kappa0); err != nil {
		return nil, err
	}
	entries, metadata, err := stub.GetStateByPartialCompositeKeyWithPagination(caseIndexType, []string{hex.EncodeToString(kappa0)}, casePageEntries, start)
	if err != nil {
		return nil, ledgerError(err)
	}
	defer entries.Close()
	records := []*pb.StoredRecord{}
	size := 0
	for entries.HasNext() {
		entry, err := entries.Next()
		if err != nil {
			return nil, ledgerError(err)
		}
		_, attributes, err := splitCompositeKey(entry.GetKey())
		if err != nil {
			return nil, ledgerError(err)
		}
		txID := ""
		if len(attributes) > 2 {
			txID = attributes[2]
		}
		value, err := getState(stub, recordStateKey(entry.GetValue()))
		if err != nil {
			return nil, err
		}
		if value == nil {
			return nil, refuse(Corrupt, "the case index points at missing record %s", hex.EncodeToString(entry.GetValue()))
		}
		_, recordType, err := decodeStored(value)
		if err != nil {
			return nil, err
		}
		record := &pb.StoredRecord{Key: entry.GetValue(), Type: recordType, Value: value, TxId: txID}
		n := protowire.SizeTag(1) + protowire.SizeBytes(proto.Size(record))
		if len(records) > 0 && size+n > maxPageBytes {
			return marshalOrLedger(&pb.CaseRecords{Records: records, Bookmark: entry.GetKey()})
		}
		size += n
		records = append(records, record)
	}
	return marshalOrLedger(&pb.CaseRecords{Records: records, Bookmark: metadata.GetBookmark()})
}

// loadCase loads the case opened under κ0.
func loadCase(stub Stub, kappa0 []byte) (*medicalCase, error) {
	value, err := getState(stub, recordStateKey(kappa0))
	if err != nil {
		return nil, err
	}
	if value == nil {
		return nil, refuse(NotFound, "no case is stored under key %s", hex.EncodeToString(kappa0))
	}
	input, recordType, err := decodeStored(value)
	if err != nil {
		return nil, err
	}
	opening := input.GetTxtc()
	if opening == nil {
		return nil, refuse(NotFound, "key %s holds a %s record, not a case opening", hex.EncodeToString(kappa0), recordType)
	}
	c, err := caseOf(opening)
	if err != nil {
		return nil, refuse(Corrupt, "%v", err)
	}
	return c, nil
}

// registration is a stored registration's role and certificate key.
type registration struct {
	role pb.Role
	key  []byte // SEC1 uncompressed
}

// loadRegistration loads a participant's registration, or nil.
func loadRegistration(stub Stub, ind uint64) (*registration, error) {
	key, err := registrationKey(ind)
	if err != nil {
		return nil, ledgerError(err)
	}
	value, err := getState(stub, key)
	if err != nil || value == nil {
		return nil, err
	}
	input, recordType, err := decodeStored(value)
	if err != nil {
		return nil, err
	}
	reg := input.GetReg()
	if reg == nil {
		return nil, refuse(Corrupt, "registration %016x holds a %s record", ind, recordType)
	}
	if _, known := pb.Role_name[int32(reg.GetRole())]; !known {
		return nil, refuse(Corrupt, "registration %016x has an unknown role", ind)
	}
	_, cert, err := parseCertificatePEM([]byte(reg.GetCertificatePem()))
	if err != nil {
		return nil, refuse(Corrupt, "%v", err)
	}
	public, err := p256Key(cert)
	if err != nil {
		return nil, refuse(Corrupt, "%v", err)
	}
	return &registration{role: reg.GetRole(), key: public.Bytes()}, nil
}

// decodeStored decodes a stored input parameter and names its type.
func decodeStored(value []byte) (*pb.InputParameter, string, error) {
	input := &pb.InputParameter{}
	if err := proto.Unmarshal(value, input); err != nil || input.GetRecord() == nil {
		return nil, "", refuse(Corrupt, "a stored record does not decode")
	}
	return input, recordType(input), nil
}

// recordType is the type tag of a record.
func recordType(input *pb.InputParameter) string {
	switch input.GetRecord().(type) {
	case *pb.InputParameter_Reg:
		return "reg"
	case *pb.InputParameter_Txtc:
		return "txtc"
	case *pb.InputParameter_Txtr:
		return "txtr"
	case *pb.InputParameter_Txd:
		return "txd"
	case *pb.InputParameter_Txm:
		return "txm"
	case *pb.InputParameter_Txa:
		return "txa"
	case *pb.InputParameter_Txgo:
		return "txgo"
	case *pb.InputParameter_Txgr:
		return "txgr"
	case *pb.InputParameter_Txgt:
		return "txgt"
	case *pb.InputParameter_Txeo:
		return "txeo"
	case *pb.InputParameter_Txer:
		return "txer"
	case *pb.InputParameter_Txet:
		return "txet"
	}
	return ""
}

// fixedArgument reads an n-byte argument given raw or as 2n hex digits.
func fixedArgument(argument []byte, n int, what string) ([]byte, error) {
	if len(argument) == n {
		return argument, nil
	}
	if len(argument) == 2*n {
		if raw, err := hex.DecodeString(string(argument)); err == nil {
			return raw, nil
		}
	}
	return nil, invalid("argument", "%s must be %d bytes or %d hex digits, got %d bytes", what, n, 2*n, len(argument))
}

// getState reads a key; a failure is a ledger refusal. A missing key is nil.
func getState(stub Stub, key string) ([]byte, error) {
	value, err := stub.GetState(key)
	if err != nil {
		return nil, ledgerError(err)
	}
	if len(value) == 0 {
		return nil, nil
	}
	return value, nil
}

func putState(stub Stub, key string, value []byte) error {
	if err := stub.PutState(key, value); err != nil {
		return ledgerError(err)
	}
	return nil
}

func marshalOrLedger(m proto.Message) ([]byte, error) {
	b, err := marshal.Marshal(m)
	if err != nil {
		return nil, refuse(Ledger, "%s", fmt.Sprint(err))
	}
	return b, nil
}
