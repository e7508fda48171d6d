package contract

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/binary"
	"math"
	"math/big"
)

// Signatures of the protocol (protos/medchain/src/signature.rs): ECDSA
// P-256 with SHA-256, DER-encoded, low S only (a high-S signature is the
// other valid encoding of the same signature; refusing it gives every
// signed message one encoding), and the doctor's signature over a case's
// tag.

// maxSignatureBytes is the longest DER ECDSA P-256 signature.
const maxSignatureBytes = 72

// tagSignatureDomain prefixes the bytes the doctor signs to fix a tag.
const tagSignatureDomain = "medchain-tag-v2\x00"

// grantSignatureDomain prefixes the bytes a granter signs to open a grant.
const grantSignatureDomain = "medchain-grant-v1\x00"

// grantTagSignatureDomain prefixes the bytes a granter signs to publish a
// grant tag.
const grantTagSignatureDomain = "medchain-grant-tag-v1\x00"

// epochSignatureDomain prefixes the bytes an opener signs to open a key
// epoch.
const epochSignatureDomain = "medchain-epoch-v1\x00"

// epochTagSignatureDomain prefixes the bytes an opener signs to publish an
// epoch tag.
const epochTagSignatureDomain = "medchain-epoch-tag-v1\x00"

// signatureFault is why a signature does not hold; its text is the Rust
// SignatureFault's Display text.
type signatureFault int

const (
	// faultMalformed: not a DER ECDSA P-256 signature (or longer than 72 bytes).
	faultMalformed signatureFault = iota + 1
	// faultHighS: a valid signature with high S.
	faultHighS
	// faultMismatch: the signature does not verify with the key.
	faultMismatch
)

func (f signatureFault) Error() string {
	switch f {
	case faultMalformed:
		return "it is not a DER ECDSA P-256 signature"
	case faultHighS:
		return "its S is high; sign with low S (S ≤ n/2)"
	default:
		return "it does not verify with the signer's key"
	}
}

// halfOrder is ⌊n/2⌋: S above it is high (p256's Scalar::is_high).
var halfOrder = new(big.Int).Rsh(elliptic.P256().Params().N, 1)

// verifyLowS verifies a DER, low-S ECDSA P-256 / SHA-256 signature of
// message by key, a SEC1 uncompressed P-256 point (verify_low_s).
func verifyLowS(key []byte, message, der []byte) error {
	if len(der) > maxSignatureBytes {
		return faultMalformed
	}
	r, s, ok := parseDERSignature(der)
	if !ok {
		return faultMalformed
	}
	if s.Cmp(halfOrder) > 0 {
		return faultHighS
	}
	if len(key) != 65 || key[0] != 4 {
		return faultMismatch
	}
	public := &ecdsa.PublicKey{Curve: elliptic.P256(),
		X: new(big.Int).SetBytes(key[1:33]), Y: new(big.Int).SetBytes(key[33:])}
	digest := sha256.Sum256(message)
	if !ecdsa.Verify(public, digest[:], r, s) {
		return faultMismatch
	}
	return nil
}

// tagSignatureMessage is what the doctor signs to fix case κ0's tag:
// "medchain-tag-v2" || 0x00 || κ0 || SHA-256(tag) (16 + 32 + 32 bytes).
func tagSignatureMessage(kappa0, tag []byte) []byte {
	digest := sha256.Sum256(tag)
	message := make([]byte, 0, len(tagSignatureDomain)+len(kappa0)+len(digest))
	message = append(message, tagSignatureDomain...)
	message = append(message, kappa0...)
	return append(message, digest[:]...)
}

// grantSignatureMessage is what a granter signs to open a grant:
// "medchain-grant-v1" || 0x00 || κ0 || be64(granter) || be64(grantee) ||
// be32(grantee_role) || grantee_key || granter_ephemeral_key
// (grant_signature_message).
func grantSignatureMessage(kappa0 []byte, granter, grantee uint64, granteeRole int32, granteeKey, ephemeralKey []byte) []byte {
	message := make([]byte, 0, len(grantSignatureDomain)+len(kappa0)+8+8+4+len(granteeKey)+len(ephemeralKey))
	message = append(message, grantSignatureDomain...)
	message = append(message, kappa0...)
	message = binary.BigEndian.AppendUint64(message, granter)
	message = binary.BigEndian.AppendUint64(message, grantee)
	message = binary.BigEndian.AppendUint32(message, uint32(granteeRole))
	message = append(message, granteeKey...)
	return append(message, ephemeralKey...)
}

// grantTagSignatureMessage is what a granter signs to publish a grant tag:
// "medchain-grant-tag-v1" || 0x00 || κ0 || be64(grantee) || SHA-256(tag)
// (grant_tag_signature_message).
func grantTagSignatureMessage(kappa0 []byte, grantee uint64, tag []byte) []byte {
	digest := sha256.Sum256(tag)
	message := make([]byte, 0, len(grantTagSignatureDomain)+len(kappa0)+8+len(digest))
	message = append(message, grantTagSignatureDomain...)
	message = append(message, kappa0...)
	message = binary.BigEndian.AppendUint64(message, grantee)
	return append(message, digest[:]...)
}

// epochSignatureMessage is what the opener of key epoch epoch signs:
// "medchain-epoch-v1" || 0x00 || κ0 || be32(epoch) || be64(opener) ||
// be32(#revoked) || be64(revoked_1) … || opener_ephemeral_key
// (epoch_signature_message).
func epochSignatureMessage(kappa0 []byte, epoch uint32, opener uint64, revoked []uint64, ephemeralKey []byte) []byte {
	message := make([]byte, 0, len(epochSignatureDomain)+len(kappa0)+4+8+4+8*len(revoked)+len(ephemeralKey))
	message = append(message, epochSignatureDomain...)
	message = append(message, kappa0...)
	message = binary.BigEndian.AppendUint32(message, epoch)
	message = binary.BigEndian.AppendUint64(message, opener)
	count := uint32(math.MaxUint32)
	if uint64(len(revoked)) < math.MaxUint32 {
		count = uint32(len(revoked))
	}
	message = binary.BigEndian.AppendUint32(message, count)
	for _, ind := range revoked {
		message = binary.BigEndian.AppendUint64(message, ind)
	}
	return append(message, ephemeralKey...)
}

// epochTagSignatureMessage is what the opener of key epoch epoch signs to
// publish its tag: "medchain-epoch-tag-v1" || 0x00 || κ0 || be32(epoch) ||
// SHA-256(tag) (epoch_tag_signature_message).
func epochTagSignatureMessage(kappa0 []byte, epoch uint32, tag []byte) []byte {
	digest := sha256.Sum256(tag)
	message := make([]byte, 0, len(epochTagSignatureDomain)+len(kappa0)+4+len(digest))
	message = append(message, epochTagSignatureDomain...)
	message = append(message, kappa0...)
	message = binary.BigEndian.AppendUint32(message, epoch)
	return append(message, digest[:]...)
}

// verifyTagSignature verifies the doctor's signature over case κ0's tag;
// doctor is the SEC1 uncompressed key of the doctor's registration.
func verifyTagSignature(doctor, kappa0, tag, der []byte) error {
	return verifyLowS(doctor, tagSignatureMessage(kappa0, tag), der)
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
