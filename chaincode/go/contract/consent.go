package contract

import (
	"errors"
	"fmt"

	pb "medchain/chaincode/go/medchainpb"
)

// The signed selection (chaincode/contract/src/consent.rs):
// "medchain-selection-v1" || 0x00 || encode(Selection), ECDSA P-256 with
// SHA-256, DER, low S.

// selectionDomain prefixes the bytes a patient signs.
const selectionDomain = "medchain-selection-v1\x00"

const selectionNonceBytes = 16

var (
	errConsentMissing   = errors.New("the case carries no patient consent; open it from a selection the patient signed")
	errConsentMalformed = errors.New("the consent signature is not a DER ECDSA P-256 signature")
	errConsentHighS     = errors.New("the consent signature has a high S; the patient's client must sign with low S (S ≤ n/2), as every Fabric SDK does")
	errConsentInvalid   = errors.New("the patient's signature does not match this selection: it was not signed by the patient's key or was changed; ask the patient for a new selection")
)

// selectionOf rebuilds the Selection the patient signed from the opening.
func selectionOf(o *pb.CaseOpening, nonce []byte) *pb.Selection {
	return &pb.Selection{
		PatientKey:    o.GetPatientKey(),
		FamilyKeys:    o.GetFamilyKeys(),
		LawyerExperts: o.GetLawyerExperts(),
		Pharmacists:   o.GetPharmacists(),
		Insurers:      o.GetInsurers(),
		Doctor:        o.GetDoctor(),
		Nonce:         nonce,
	}
}

// verifyConsent checks that the patient signed exactly the participants
// the opening lists. The order is Rust's verify_selection: nonce, patient
// key, then the signature (length and strict DER, low S, verifies).
func verifyConsent(o *pb.CaseOpening) error {
	consent := o.GetConsent()
	if consent == nil {
		return errConsentMissing
	}
	selection := selectionOf(o, consent.GetNonce())
	if len(selection.Nonce) != selectionNonceBytes {
		return fmt.Errorf("the consent nonce must be %d bytes, got %d", selectionNonceBytes, len(selection.Nonce))
	}
	key, err := identityKey(selection.PatientKey)
	if err != nil {
		return errConsentInvalid
	}
	encoded, err := marshal.Marshal(selection)
	if err != nil {
		return errConsentInvalid
	}
	message := append([]byte(selectionDomain), encoded...)
	switch verifyLowS(key.Bytes(), message, consent.GetSignature()) {
	case nil:
		return nil
	case faultMalformed:
		return errConsentMalformed
	case faultHighS:
		return errConsentHighS
	default:
		return errConsentInvalid
	}
}
