package contract

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/timestamppb"
)

// Object types of the composite keys (docs/chaincode.md "State layout").
const (
	registrationType = "medchain.reg"
	caseIndexType    = "medchain.case"
	responseType     = "medchain.txtr"
	tagType          = "medchain.tag"
	recordCountType  = "medchain.count"
	selectionType    = "medchain.selection"
	// grantType: a case's grants (txgo), by grantee.
	grantType = "medchain.txgo"
	// grantResponseType: a case's grant responses (txgr), by grantee.
	grantResponseType = "medchain.txgr"
	// grantTagType: a case's grant tags (txgt), by grantee.
	grantTagType = "medchain.txgt"
	// grantCountType: a case's grant counter.
	grantCountType = "medchain.grants"
	// granteesType: a case's list of grantees with a grant tag.
	granteesType = "medchain.grantees"
	// epochType: a case's latest key epoch.
	epochType = "medchain.epoch"
	// epochOpeningType: a case's epoch openings (txeo), by epoch.
	epochOpeningType = "medchain.txeo"
	// epochMembersType: the member lists of a case's epochs, by epoch.
	epochMembersType = "medchain.members"
	// epochResponseType: a case's epoch responses (txer), by epoch and member.
	epochResponseType = "medchain.txer"
	// epochTagType: the fingerprints of a case's epoch tags (txet).
	epochTagType = "medchain.txet"
)

// compositeKey is Fabric's composite key: U+0000, the object type and each
// attribute, each followed by U+0000. Attributes must be UTF-8 without
// U+0000 or U+10FFFF (Fabric's rule; ours are hex digits and tx ids).
func compositeKey(objectType string, attributes ...string) (string, error) {
	var b strings.Builder
	b.WriteByte(0)
	for _, part := range append([]string{objectType}, attributes...) {
		if !utf8.ValidString(part) || strings.ContainsAny(part, "\x00\U0010FFFF") {
			return "", fmt.Errorf("composite key part %q is not valid UTF-8 without U+0000 and U+10FFFF", part)
		}
		b.WriteString(part)
		b.WriteByte(0)
	}
	return b.String(), nil
}

// splitCompositeKey returns a composite key's object type and attributes.
func splitCompositeKey(key string) (string, []string, error) {
	if !strings.HasPrefix(key, "\x00") || !strings.HasSuffix(key, "\x00") || len(key) < 2 {
		return "", nil, fmt.Errorf("%q is not a composite key", key)
	}
	parts := strings.Split(key[1:len(key)-1], "\x00")
	return parts[0], parts[1:], nil
}

func recordStateKey(kappa []byte) string { return hex.EncodeToString(kappa) }

func indHex(ind uint64) string { return fmt.Sprintf("%016x", ind) }

func epochHex(epoch uint32) string { return fmt.Sprintf("%08x", epoch) }

func registrationKey(ind uint64) (string, error) {
	return compositeKey(registrationType, indHex(ind))
}

func caseIndexKey(kappa0 []byte, ts *timestamppb.Timestamp, txID string) (string, error) {
	time, err := sortableTime(ts)
	if err != nil {
		return "", err
	}
	return compositeKey(caseIndexType, hex.EncodeToString(kappa0), time, txID)
}

// isCaseIndexKey is whether key is a key of case κ0's index: the
// composite key medchain.case · hex(κ0) · two non-empty attributes (a
// GetCase bookmark must be one).
func isCaseIndexKey(kappa0 []byte, key string) bool {
	objectType, attributes, err := splitCompositeKey(key)
	if err != nil || objectType != caseIndexType || len(attributes) != 3 {
		return false
	}
	if attributes[0] != hex.EncodeToString(kappa0) || attributes[1] == "" || attributes[2] == "" {
		return false
	}
	again, err := compositeKey(caseIndexType, attributes...)
	return err == nil && again == key
}

// recordCountKey is the counter of the txd/txm/txa records participant
// ind stored in case κ0.
func recordCountKey(kappa0 []byte, ind uint64) (string, error) {
	return compositeKey(recordCountType, hex.EncodeToString(kappa0), indHex(ind))
}

func selectionKey(patientKey, nonce []byte) (string, error) {
	h := sha256.New()
	h.Write(patientKey)
	h.Write(nonce)
	return compositeKey(selectionType, hex.EncodeToString(h.Sum(nil)))
}

func responseKey(kappa0 []byte, ind uint64) (string, error) {
	return compositeKey(responseType, hex.EncodeToString(kappa0), indHex(ind))
}

// grantKey holds κ of the grant (txgo) of case κ0 to grantee.
func grantKey(kappa0 []byte, grantee uint64) (string, error) {
	return compositeKey(grantType, hex.EncodeToString(kappa0), indHex(grantee))
}

// grantResponseKey holds κ of the grantee's answer (txgr) to its grant.
func grantResponseKey(kappa0 []byte, grantee uint64) (string, error) {
	return compositeKey(grantResponseType, hex.EncodeToString(kappa0), indHex(grantee))
}

// grantTagKey holds κ of the grant tag (txgt) of case κ0 for grantee.
func grantTagKey(kappa0 []byte, grantee uint64) (string, error) {
	return compositeKey(grantTagType, hex.EncodeToString(kappa0), indHex(grantee))
}

// granteesKey holds the indices (8 bytes each, big-endian, in grant order)
// of every grantee of case κ0 whose grant tag is stored: they are notified
// of every later record.
func granteesKey(kappa0 []byte) (string, error) {
	return compositeKey(granteesType, hex.EncodeToString(kappa0))
}

func tagKey(kappa0 []byte) (string, error) {
	return compositeKey(tagType, hex.EncodeToString(kappa0))
}

// sortableTime formats the proposal timestamp as seconds.nanoseconds,
// zero-padded so that key order is time order.
func sortableTime(ts *timestamppb.Timestamp) (string, error) {
	if ts.GetSeconds() < 0 || ts.GetNanos() < 0 || ts.GetNanos() >= 1_000_000_000 {
		return "", refuse(BadCall, "the proposal timestamp is out of range; sign the proposal with a correct clock")
	}
	return fmt.Sprintf("%019d.%09d", ts.GetSeconds(), ts.GetNanos()), nil
}

// grantCountKey holds how many grants case κ0 has (8 bytes, big-endian).
func grantCountKey(kappa0 []byte) (string, error) {
	return compositeKey(grantCountType, hex.EncodeToString(kappa0))
}

// epochKey holds case κ0's latest key epoch (4 bytes, big-endian; absent: 0).
func epochKey(kappa0 []byte) (string, error) {
	return compositeKey(epochType, hex.EncodeToString(kappa0))
}

// epochOpeningKey holds κ of the opening (txeo) of epoch epoch of case κ0.
func epochOpeningKey(kappa0 []byte, epoch uint32) (string, error) {
	return compositeKey(epochOpeningType, hex.EncodeToString(kappa0), epochHex(epoch))
}

// epochMembersKey holds the members of epoch epoch of case κ0 (8 bytes
// each, big-endian, in member order).
func epochMembersKey(kappa0 []byte, epoch uint32) (string, error) {
	return compositeKey(epochMembersType, hex.EncodeToString(kappa0), epochHex(epoch))
}

// epochResponseKey holds κ of member ind's answer (txer) to epoch epoch.
func epochResponseKey(kappa0 []byte, epoch uint32, ind uint64) (string, error) {
	return compositeKey(epochResponseType, hex.EncodeToString(kappa0), epochHex(epoch), indHex(ind))
}

// epochTagKey holds SHA-256 of the tag (txet) of epoch epoch of case κ0.
func epochTagKey(kappa0 []byte, epoch uint32) (string, error) {
	return compositeKey(epochTagType, hex.EncodeToString(kappa0), epochHex(epoch))
}
