package contract

import (
	"bytes"
	"encoding/hex"
	"strings"

	pb "medchain/chaincode/go/medchainpb"

	"google.golang.org/protobuf/proto"
)

// Function names of the role policy.
const (
	FunctionInit      = "Init"
	FunctionGetPolicy = "GetPolicy"
)

// policyKey is the plain state key of the stored ConsortiumPolicy bytes.
const policyKey = "medchain.policy"

// maxPolicyBytes bounds the encoded policy.
const maxPolicyBytes = 16 * 1024

// roleAttribute is the Fabric CA attribute carrying a participant's role.
const roleAttribute = "medchain.role"

// initPolicy is Init (only as the chaincode's initialization): validate
// the hex-encoded policy, store its bytes, return them.
func initPolicy(stub Stub, argument []byte) ([]byte, error) {
	if len(argument) > 2*maxPolicyBytes {
		return nil, invalid("policy", "it is larger than %d bytes", maxPolicyBytes)
	}
	raw, err := hex.DecodeString(string(argument))
	if err != nil {
		return nil, invalid("policy", "the Init argument must be the hex encoding of a medchain.v1.ConsortiumPolicy")
	}
	if _, err := validatePolicy(raw); err != nil {
		return nil, err
	}
	if err := putState(stub, policyKey, raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// getPolicy is GetPolicy: the stored policy bytes.
func getPolicy(stub Stub) ([]byte, error) {
	value, err := getState(stub, policyKey)
	if err != nil {
		return nil, err
	}
	if value == nil {
		return nil, refuse(NotFound, "the consortium has not initialized the chaincode's role policy")
	}
	return value, nil
}

// loadPolicy reads the policy a registration is checked against.
func loadPolicy(stub Stub, record string) (*pb.ConsortiumPolicy, error) {
	value, err := getState(stub, policyKey)
	if err != nil {
		return nil, err
	}
	if value == nil {
		return nil, unauthorized(record, "the consortium has not initialized the chaincode's role policy; an administrator must run Init first")
	}
	policy := &pb.ConsortiumPolicy{}
	if err := proto.Unmarshal(value, policy); err != nil {
		return nil, refuse(Corrupt, "the stored role policy does not decode")
	}
	return policy, nil
}

// validatePolicy decodes a policy and checks the canonical form: sorted
// MSP ids, each once and not empty, each with sorted registered roles.
func validatePolicy(raw []byte) (*pb.ConsortiumPolicy, error) {
	policy := &pb.ConsortiumPolicy{}
	declared, unknown := false, false
	if err := proto.Unmarshal(raw, policy); err == nil {
		declared, unknown = unknownFields(policy.ProtoReflect())
	}
	if err := proto.Unmarshal(raw, policy); err != nil || declared {
		return nil, invalid("policy", "it is not a medchain.v1.ConsortiumPolicy (it does not decode as protobuf)")
	}
	again, err := marshal.Marshal(policy)
	if unknown || err != nil || !bytes.Equal(again, raw) {
		return nil, invalid("policy", "it is not in canonical protobuf encoding; encode it with a standard protobuf encoder")
	}
	issuers := policy.GetIssuers()
	if len(issuers) == 0 {
		return nil, invalid("policy", "it names no organization; list at least one MSP id and the roles it may issue")
	}
	for i := 1; i < len(issuers); i++ {
		if issuers[i-1].GetMspId() >= issuers[i].GetMspId() {
			return nil, invalid("policy", "the organizations must be sorted by MSP id and listed once (%s comes before %s)",
				rustQuote(issuers[i-1].GetMspId()), rustQuote(issuers[i].GetMspId()))
		}
	}
	for _, issuer := range issuers {
		if issuer.GetMspId() == "" {
			return nil, invalid("policy", "an organization has an empty MSP id")
		}
		if len(issuer.GetRoles()) == 0 {
			return nil, invalid("policy", "%s may issue no role; give it at least one or leave it out", issuer.GetMspId())
		}
		for _, role := range issuer.GetRoles() {
			if _, known := pb.Role_name[int32(role)]; !known || role == pb.Role_ROLE_UNSPECIFIED {
				return nil, invalid("policy", "%s lists role number %d, which is no registered role (1 to 4)", issuer.GetMspId(), int32(role))
			}
		}
		for i := 1; i < len(issuer.GetRoles()); i++ {
			if issuer.GetRoles()[i-1] >= issuer.GetRoles()[i] {
				return nil, invalid("policy", "the roles of %s must be sorted and listed once", issuer.GetMspId())
			}
		}
	}
	if floor := policy.GetKdfFloor(); floor != nil {
		if floor.GetMKib() < 8 || floor.GetMKib() > kdfMaxMKiB {
			return nil, invalid("policy", "kdf_floor.m_kib must be between 8 and %d KiB, got %d", kdfMaxMKiB, floor.GetMKib())
		}
		if floor.GetT() < 1 || floor.GetT() > kdfMaxT {
			return nil, invalid("policy", "kdf_floor.t must be between 1 and %d, got %d", kdfMaxT, floor.GetT())
		}
	}
	return policy, nil
}

// Default KDF floor of a policy that sets none (protocol v2).
const (
	defaultKdfFloorMKiB = 19456
	defaultKdfFloorT    = 2
)

// kdfFloor is the policy's floor on a case's Argon2id parameters, or the
// protocol's default.
func kdfFloor(policy *pb.ConsortiumPolicy) (mKiB, t uint32) {
	if floor := policy.GetKdfFloor(); floor != nil {
		return floor.GetMKib(), floor.GetT()
	}
	return defaultKdfFloorMKiB, defaultKdfFloorT
}

// requireKdfFloor refuses a case opening below the consortium's floor
// (the policy is read here).
func requireKdfFloor(stub Stub, o *pb.CaseOpening) error {
	const record = "txtc"
	policy, err := loadPolicy(stub, record)
	if err != nil {
		return err
	}
	floorM, floorT := kdfFloor(policy)
	if o.GetKdf().GetMKib() < floorM {
		return invalid(record, "kdf.m_kib = %d KiB is below the consortium's floor of %d KiB; open the case with at least that much memory", o.GetKdf().GetMKib(), floorM)
	}
	if o.GetKdf().GetT() < floorT {
		return invalid(record, "kdf.t = %d is below the consortium's floor of %d passes; open the case with at least that many", o.GetKdf().GetT(), floorT)
	}
	return nil
}

// policyRolesOf lists the role names the policy lets mspID issue.
func policyRolesOf(policy *pb.ConsortiumPolicy, mspID string) []string {
	var names []string
	for _, issuer := range policy.GetIssuers() {
		if issuer.GetMspId() != mspID {
			continue
		}
		for _, role := range issuer.GetRoles() {
			if _, known := pb.Role_name[int32(role)]; known {
				names = append(names, roleName(role))
			}
		}
	}
	return names
}

// policyAllows: the policy lets mspID issue role.
func policyAllows(policy *pb.ConsortiumPolicy, mspID string, role pb.Role) bool {
	for _, issuer := range policy.GetIssuers() {
		if issuer.GetMspId() == mspID {
			for _, r := range issuer.GetRoles() {
				if r == role {
					return true
				}
			}
		}
	}
	return false
}

// authorizeRole: the registration names the submitter's organization, its
// certificate carries the role in medchain.role, and the policy lets the
// organization issue the role.
func authorizeRole(stub Stub, id *identity, reg *pb.Registration, role pb.Role) error {
	const record = "reg"
	policy, err := loadPolicy(stub, record)
	if err != nil {
		return err
	}
	if reg.GetMspId() != id.mspID {
		return unauthorized(record, "the registration names organization %s but the submitter belongs to %s; register under your own MSP id",
			rustQuote(reg.GetMspId()), rustQuote(id.mspID))
	}
	wanted := roleName(role)
	certified, ok := id.attributes[roleAttribute]
	if !ok {
		return unauthorized(record, "the submitter's certificate has no %s attribute; enroll with your organization's Fabric CA as a registered %s", roleAttribute, wanted)
	}
	if certified != wanted {
		return unauthorized(record, "the submitter's certificate says %s=%s, not %s; register with the role your CA certified", roleAttribute, certified, wanted)
	}
	if !policyAllows(policy, id.mspID, role) {
		allowed := strings.Join(policyRolesOf(policy, id.mspID), ", ")
		if allowed == "" {
			allowed = "no role"
		}
		return unauthorized(record, "the consortium's policy does not let %s issue the %s role (it may issue %s); register with an organization allowed to make %ss",
			id.mspID, wanted, allowed, wanted)
	}
	return nil
}
