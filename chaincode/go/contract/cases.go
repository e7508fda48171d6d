package contract

import (
	"bytes"
	"crypto/ecdh"
	"fmt"
	"slices"

	pb "medchain/chaincode/go/medchainpb"
)

// part is the part a participant plays in one case.
type part int

const (
	partNone part = iota
	partPatient
	partFamily
	partDoctor
	partPharmacist
	partInsurer
	partLawyerExpert
)

// medicalCase is a case's participants, in canonical order: patient,
// family members, doctor, pharmacists, insurers, lawyers/experts.
type medicalCase struct {
	patientKey    []byte
	patient       uint64
	familyKeys    [][]byte
	family        []uint64
	doctor        uint64
	pharmacists   []uint64
	insurers      []uint64
	lawyerExperts []uint64
}

// caseOf derives the participants of a case opening; it fails when an
// identity key is not a valid P-256 point.
func caseOf(o *pb.CaseOpening) (*medicalCase, error) {
	patientKey, err := identityKey(o.GetPatientKey())
	if err != nil {
		return nil, fmt.Errorf("patient key: %v", err)
	}
	c := &medicalCase{
		patientKey:    o.GetPatientKey(),
		patient:       participantIndex(patientKey),
		familyKeys:    o.GetFamilyKeys(),
		doctor:        o.GetDoctor(),
		pharmacists:   o.GetPharmacists(),
		insurers:      o.GetInsurers(),
		lawyerExperts: o.GetLawyerExperts(),
	}
	for n, k := range o.GetFamilyKeys() {
		key, err := identityKey(k)
		if err != nil {
			return nil, fmt.Errorf("family key %d: %v", n, err)
		}
		c.family = append(c.family, participantIndex(key))
	}
	return c, nil
}

// participants lists every index in canonical order (doctor included).
func (c *medicalCase) participants() []uint64 {
	all := []uint64{c.patient}
	all = append(all, c.family...)
	all = append(all, c.doctor)
	all = append(all, c.pharmacists...)
	all = append(all, c.insurers...)
	return append(all, c.lawyerExperts...)
}

// others lists every participant except ind, in canonical order.
func (c *medicalCase) others(ind uint64) []uint64 {
	out := []uint64{}
	for _, x := range c.participants() {
		if x != ind {
			out = append(out, x)
		}
	}
	return out
}

func (c *medicalCase) size() int {
	return 2 + len(c.family) + len(c.pharmacists) + len(c.insurers) + len(c.lawyerExperts)
}

// responders: everyone but the doctor answers a case opening.
func (c *medicalCase) responders() []uint64 { return c.others(c.doctor) }

// roleOf is the part ind plays (first match in canonical order) and, for a
// family member, its position.
func (c *medicalCase) roleOf(ind uint64) (part, int) {
	switch {
	case ind == c.patient:
		return partPatient, 0
	case slices.Contains(c.family, ind):
		return partFamily, slices.Index(c.family, ind)
	case ind == c.doctor:
		return partDoctor, 0
	case slices.Contains(c.pharmacists, ind):
		return partPharmacist, 0
	case slices.Contains(c.insurers, ind):
		return partInsurer, 0
	case slices.Contains(c.lawyerExperts, ind):
		return partLawyerExpert, 0
	}
	return partNone, 0
}

// namedByKey: the patient or n-th family member is named by exactly key.
func (c *medicalCase) namedByKey(who part, n int, key *ecdh.PublicKey) bool {
	switch who {
	case partPatient:
		return bytes.Equal(c.patientKey, key.Bytes())
	case partFamily:
		return n < len(c.familyKeys) && bytes.Equal(c.familyKeys[n], key.Bytes())
	}
	return false
}

// receivers of a record of type t (the paper's Table 3, family members
// wherever the patient receives).
func (c *medicalCase) receivers(t string) []uint64 {
	patientAndFamily := append([]uint64{c.patient}, c.family...)
	switch t {
	case "txtc":
		return c.participants()
	case "txtr":
		return []uint64{c.doctor}
	case "txd":
		return append(patientAndFamily, c.pharmacists...)
	case "txm":
		return append(patientAndFamily, c.insurers...)
	case "txa":
		return patientAndFamily
	}
	return nil
}
