package contract

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	pb "medchain/chaincode/go/medchainpb"
)

// selectionDomain prefixes the bytes a patient signs.
const selectionDomain = "medchain-selection-v1\x00"

const (
	selectionNonceBytes = 16
	maxSignatureBytes   = 72
)

var (
	errConsentMissing   = errors.New("the case carries no patient consent; open it from a selection the patient signed")
	errConsentMalformed = errors.New("the consent signature is not a DER ECDSA P-256 signature")
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
// the opening lists.
func verifyConsent(o *pb.CaseOpening) error {
	consent := o.GetConsent()
	if consent == nil {
		return errConsentMissing
	}
	selection := selectionOf(o, consent.GetNonce())
	if len(selection.Nonce) != selectionNonceBytes {
		return fmt.Errorf("the consent nonce must be %d bytes, got %d", selectionNonceBytes, len(selection.Nonce))
	}
	signature := consent.GetSignature()
	if len(signature) > maxSignatureBytes {
		return errConsentMalformed
	}
	r, s, ok := parseDERSignature(signature)
	if !ok {
		return errConsentMalformed
	}
	key, err := identityKey(selection.PatientKey)
	if err != nil {
		return errConsentInvalid
	}
	encoded, err := marshal.Marshal(selection)
	if err != nil {
		return errConsentInvalid
	}
	digest := sha256.Sum256(append([]byte(selectionDomain), encoded...))
	point := key.Bytes()
	public := &ecdsa.PublicKey{Curve: elliptic.P256(),
		X: new(big.Int).SetBytes(point[1:33]), Y: new(big.Int).SetBytes(point[33:])}
	if !ecdsa.Verify(public, digest[:], r, s) {
		return errConsentInvalid
	}
	return nil
}

// parseDERSignature reads a strict DER ECDSA signature SEQUENCE { r, s }
// with 0 < r, s < n, as the Rust contract's p256 crate does: the bytes must
// be exactly the DER encoding of the two integers read from them.
func parseDERSignature(der []byte) (*big.Int, *big.Int, bool) {
	var sig struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &sig)
	if err != nil || len(rest) != 0 {
		return nil, nil, false
	}
	n := elliptic.P256().Params().N
	for _, v := range []*big.Int{sig.R, sig.S} {
		if v.Sign() <= 0 || v.Cmp(n) >= 0 {
			return nil, nil, false
		}
	}
	again, err := asn1.Marshal(sig)
	if err != nil || !bytes.Equal(again, der) {
		return nil, nil, false
	}
	return sig.R, sig.S, true
}
