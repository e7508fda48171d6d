package contract

import (
	"bytes"

	pb "medchain/chaincode/go/medchainpb"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Bounds (protos/medchain/src/limits.rs).
const (
	nonceBytes             = 12
	gcmTagBytes            = 16
	minPaddedBytes         = 256
	maxPaddedBytes         = 1024 * 1024
	maxCiphertextBytes     = maxPaddedBytes + nonceBytes + gcmTagBytes
	minCiphertextBytes     = minPaddedBytes + nonceBytes + gcmTagBytes
	maxInputBytes          = maxCiphertextBytes + 8*1024
	maxCertificatePEMBytes = 16 * 1024
	// maxPageBytes is the byte budget of one GetCase page (MAX_PAGE_BYTES).
	maxPageBytes = 2 * 1024 * 1024
	// casePageEntries is how many index entries one GetCase page reads
	// (CASE_PAGE_ENTRIES).
	casePageEntries = 100
	// maxRecordsPerSubmitter caps the txd/txm/txa records one submitter
	// stores in one case (MAX_RECORDS_PER_SUBMITTER).
	maxRecordsPerSubmitter = 10_000
	// maxGrantsPerCase: the most grants (txgo) one case takes.
	maxGrantsPerCase = 32
	// maxEpochsPerCase: the most key epochs (txeo) one case takes after
	// its opening (MAX_EPOCHS_PER_CASE).
	maxEpochsPerCase    = 16
	sealedSecretBytes   = nonceBytes + 32 + gcmTagBytes
	keyBytes            = 32
	tagCoefficientBytes = 66
	maxParticipants     = 32
	kdfMaxMKiB          = 1024 * 1024
	kdfMaxT             = 16
	kdfMaxP             = 16
)

var marshal = proto.MarshalOptions{Deterministic: true}

// decodeInput decodes a Store argument and insists on canonical encoding:
// the bytes must be exactly what re-encoding the decoded message gives.
//
// Go's decoder keeps what it does not know as unknown fields, including a
// declared field sent with another wire type, which the Rust decoder
// (prost) refuses outright; so such a field is a decoding failure here too,
// and any other unknown field fails the canonical check, as in Rust.
func decodeInput(b []byte) (*pb.InputParameter, error) {
	const record = "input parameter"
	if len(b) > maxInputBytes {
		return nil, invalid(record, "it is %d bytes, more than the limit of %d", len(b), maxInputBytes)
	}
	in := &pb.InputParameter{}
	declared, unknown := false, false
	if err := proto.Unmarshal(b, in); err == nil {
		declared, unknown = unknownFields(in.ProtoReflect())
	}
	if err := proto.Unmarshal(b, in); err != nil || declared {
		return nil, invalid(record, "it is not a medchain.v1.InputParameter (it does not decode as protobuf)")
	}
	if unknown {
		dropUnknown(in.ProtoReflect())
	}
	again, err := marshal.Marshal(in)
	if err != nil {
		return nil, invalid(record, "it is not in canonical protobuf encoding: its bytes differ from the canonical encoding; encode it with a standard protobuf encoder")
	}
	if unknown || !bytes.Equal(again, b) {
		return nil, invalid(record, "it is not in canonical protobuf encoding: %s; encode it with a standard protobuf encoder", firstFault(b, again))
	}
	return in, nil
}

// unknownFields reports whether m or a message inside it holds unknown
// fields whose number the schema declares (a wire-type mismatch), and
// whether it holds any unknown field at all.
func unknownFields(m protoreflect.Message) (declared, any bool) {
	raw := m.GetUnknown()
	for len(raw) > 0 {
		number, _, n := protowire.ConsumeField(raw)
		if n < 0 {
			return true, true
		}
		any = true
		if m.Descriptor().Fields().ByNumber(number) != nil {
			declared = true
		}
		raw = raw[n:]
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		var d, a bool
		switch {
		case fd.IsList() && fd.Message() != nil:
			list := v.List()
			for i := 0; i < list.Len(); i++ {
				di, ai := unknownFields(list.Get(i).Message())
				d, a = d || di, a || ai
			}
		case fd.Message() != nil && !fd.IsMap():
			d, a = unknownFields(v.Message())
		}
		declared, any = declared || d, any || a
		return true
	})
	return declared, any
}

// dropUnknown removes the unknown fields of m and of every message in it,
// so that encoding it again gives what prost gives (prost keeps none).
func dropUnknown(m protoreflect.Message) {
	m.SetUnknown(nil)
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			list := v.List()
			for i := 0; i < list.Len(); i++ {
				dropUnknown(list.Get(i).Message())
			}
		case fd.Message() != nil && !fd.IsMap():
			dropUnknown(v.Message())
		}
		return true
	})
}

// isRecordCiphertextLen: n is a padded record's ciphertext length, a
// bucket 256·2^i ≤ 1 MiB plus nonce and GCM tag (is_record_ciphertext_len).
func isRecordCiphertextLen(n int) bool {
	if n < minCiphertextBytes || n > maxCiphertextBytes {
		return false
	}
	padded := n - nonceBytes - gcmTagBytes
	return padded&(padded-1) == 0
}

// key32 checks a 32-byte key (κ or κ0).
func key32(record, what string, b []byte) error {
	if len(b) != keyBytes {
		return invalid(record, "%s must be %d bytes, got %d", what, keyBytes, len(b))
	}
	return nil
}

// kdfParams checks the Argon2id parameters against sane bounds.
func kdfParams(p *pb.KdfParams) error {
	if p == nil {
		return invalid("txtc", "the Argon2id parameters (kdf) are missing")
	}
	if p.P == 0 || p.P > kdfMaxP {
		return invalid("txtc", "kdf.p must be between 1 and %d, got %d", kdfMaxP, p.P)
	}
	if p.T == 0 || p.T > kdfMaxT {
		return invalid("txtc", "kdf.t must be between 1 and %d, got %d", kdfMaxT, p.T)
	}
	// 8·p cannot overflow: p ≤ 16.
	minM := 8 * p.P
	if p.MKib < minM || p.MKib > kdfMaxMKiB {
		return invalid("txtc", "kdf.m_kib must be between %d (8 per lane) and %d, got %d", minM, kdfMaxMKiB, p.MKib)
	}
	return nil
}

// checkTag checks a SIFF tag: one 66-byte coefficient per participant,
// each below p = 2^521 − 1, and not degenerate (some coefficient after
// α_0 is not zero).
func checkTag(record string, tag []byte, participants int) error {
	expected := participants * tagCoefficientBytes
	if len(tag) != expected {
		return invalid(record, "the tag must hold one %d-byte coefficient per participant (%d × %d = %d bytes), got %d bytes",
			tagCoefficientBytes, participants, tagCoefficientBytes, expected, len(tag))
	}
	for i := 0; i < participants; i++ {
		if !belowFieldPrime(tag[i*tagCoefficientBytes : (i+1)*tagCoefficientBytes]) {
			return invalid(record, "tag coefficient %d is not below 2^521 − 1", i)
		}
	}
	if allZero(tag[min(len(tag), tagCoefficientBytes):]) {
		return invalid(record, "the tag is degenerate: every coefficient but α_0 is zero, so it would give everyone the same public key")
	}
	return nil
}

func allZero(b []byte) bool {
	for _, v := range b {
		if v != 0 {
			return false
		}
	}
	return true
}

// belowFieldPrime: p = 2^521 − 1 is 0x01 followed by 65 bytes of 0xff.
func belowFieldPrime(c []byte) bool {
	switch c[0] {
	case 0:
		return true
	case 1:
		for _, b := range c[1:] {
			if b != 0xff {
				return true
			}
		}
		return false
	default:
		return false
	}
}

// sealedAnswer checks a sealed answer (txtr, txgr): a valid compressed
// ephemeral key and a sealed secret of exactly sealedSecretBytes.
func sealedAnswer(record string, ephemeral, sealed []byte) error {
	if err := ephemeralKey(ephemeral); err != nil {
		return invalid(record, "ephemeral key: %v", err)
	}
	if len(sealed) != sealedSecretBytes {
		return invalid(record, "the sealed secret must be %d bytes (nonce, 32-byte secret, GCM tag), got %d", sealedSecretBytes, len(sealed))
	}
	return nil
}
