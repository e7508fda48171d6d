package contract

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// fabricCAAttributesOID is the certificate extension in which Fabric CA
// puts a certificate's attributes, as JSON {"attrs": {name: value}}.
var fabricCAAttributesOID = asn1.ObjectIdentifier{1, 2, 3, 4, 5, 6, 7, 8, 1}

// errNotP256 is the sentence of a certificate whose key is not P-256.
var errNotP256 = errors.New("the certificate's public key is not a P-256 key")

// identity is a parsed msp.SerializedIdentity: MSP id, certificate and its
// Fabric CA attributes (the Rust shim's ClientIdentity).
type identity struct {
	mspID      string
	der        []byte
	cert       *x509.Certificate
	attributes map[string]string
}

func parseSerializedIdentity(raw []byte) (*identity, error) {
	var sid msp.SerializedIdentity
	if err := proto.Unmarshal(raw, &sid); err != nil {
		return nil, fmt.Errorf("the creator is not a valid serialized identity: %v", err)
	}
	if !utf8.Valid(sid.GetIdBytes()) {
		return nil, errors.New("the certificate is not a valid X.509 certificate: the certificate PEM is not UTF-8")
	}
	der, cert, err := parseCertificatePEM(sid.GetIdBytes())
	if err != nil {
		return nil, err
	}
	attributes, err := fabricCAAttributes(cert)
	if err != nil {
		return nil, err
	}
	return &identity{mspID: sid.GetMspid(), der: der, cert: cert, attributes: attributes}, nil
}

// parseCertificatePEM reads exactly one PEM CERTIFICATE block (surrounding
// whitespace allowed, nothing else) and parses it as X.509.
func parseCertificatePEM(text []byte) ([]byte, *x509.Certificate, error) {
	text = bytes.TrimSpace(text)
	block, rest := pem.Decode(text)
	if block == nil || block.Type != "CERTIFICATE" || len(block.Headers) != 0 || len(rest) != 0 ||
		!bytes.HasPrefix(text, []byte("-----BEGIN CERTIFICATE-----")) {
		return nil, nil, errors.New("the certificate is not a valid X.509 certificate: it is not exactly one PEM CERTIFICATE block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("the certificate is not a valid X.509 certificate: %v", err)
	}
	return block.Bytes, cert, nil
}

// p256Key is the certificate's P-256 public key.
func p256Key(cert *x509.Certificate) (*ecdh.PublicKey, error) {
	key, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, errNotP256
	}
	public, err := key.ECDH()
	if err != nil {
		return nil, errNotP256
	}
	return public, nil
}

// participantIndex is ind: the last 8 bytes, big-endian, of the key's
// 65-byte SEC1 uncompressed encoding.
func participantIndex(key *ecdh.PublicKey) uint64 {
	point := key.Bytes()
	return binary.BigEndian.Uint64(point[len(point)-8:])
}

// fabricCAAttributes reads the Fabric CA attribute extension, as the Rust
// shim does: absent, or "attrs" absent or null, is no attribute; anything
// but an object of strings is malformed.
func fabricCAAttributes(cert *x509.Certificate) (map[string]string, error) {
	attributes := map[string]string{}
	for _, extension := range cert.Extensions {
		if !extension.Id.Equal(fabricCAAttributesOID) {
			continue
		}
		malformed := func(format string, args ...any) error {
			return fmt.Errorf("the certificate's attribute extension is malformed: "+format, args...)
		}
		var object map[string]json.RawMessage
		if err := json.Unmarshal(extension.Value, &object); err != nil || object == nil {
			var any any
			if json.Unmarshal(extension.Value, &any) != nil {
				return nil, malformed("not JSON: %v", err)
			}
			return nil, malformed("not a JSON object")
		}
		raw, ok := object["attrs"]
		if !ok || string(bytes.TrimSpace(raw)) == "null" {
			return attributes, nil
		}
		var attrs map[string]json.RawMessage
		if err := json.Unmarshal(raw, &attrs); err != nil || attrs == nil {
			return nil, malformed("\"attrs\" is not a JSON object")
		}
		for name, value := range attrs {
			var s string
			if err := json.Unmarshal(value, &s); err != nil {
				return nil, malformed("attribute %s is not a string", rustQuote(name))
			}
			attributes[name] = s
		}
		return attributes, nil
	}
	return attributes, nil
}

// creator is the submitter of a Store: its identity, P-256 key and index.
type creator struct {
	id  *identity
	key *ecdh.PublicKey
	ind uint64
}

// creatorOf reads the stub's creator; any failure is `unauthorized: <record>: …`.
func creatorOf(stub Stub, record string) (*creator, error) {
	id, err := creatorIdentity(stub, record)
	if err != nil {
		return nil, err
	}
	key, err := p256Key(id.cert)
	if err != nil {
		return nil, unauthorized(record, "%v", err)
	}
	return &creator{id: id, key: key, ind: participantIndex(key)}, nil
}

// creatorIdentity parses the stub's creator (any key type); a failure is
// `unauthorized: <record>: …`.
func creatorIdentity(stub Stub, record string) (*identity, error) {
	raw, err := stub.GetCreator()
	if err != nil {
		return nil, unauthorized(record, "%v", err)
	}
	id, err := parseSerializedIdentity(raw)
	if err != nil {
		return nil, unauthorized(record, "%v", err)
	}
	return id, nil
}

// identityKey parses a 65-byte SEC1 uncompressed P-256 point.
func identityKey(b []byte) (*ecdh.PublicKey, error) {
	if len(b) != 65 || b[0] != 0x04 {
		return nil, fmt.Errorf("expected a 65-byte SEC1 uncompressed P-256 key, got %d bytes", len(b))
	}
	key, err := ecdh.P256().NewPublicKey(b)
	if err != nil {
		return nil, errors.New("the key is not a point on the P-256 curve")
	}
	return key, nil
}

// ephemeralKey checks a 33-byte SEC1 compressed P-256 point.
func ephemeralKey(b []byte) error {
	if len(b) != 33 || (b[0] != 0x02 && b[0] != 0x03) {
		return fmt.Errorf("expected a 33-byte SEC1 compressed P-256 key, got %d bytes", len(b))
	}
	if x, _ := elliptic.UnmarshalCompressed(elliptic.P256(), b); x == nil {
		return errors.New("the key is not a point on the P-256 curve")
	}
	return nil
}

// rustQuote writes s as Rust's `{:?}` does for a str, which the Rust
// contract uses in its messages: double quotes, with \" \\ \n \r \t \0
// and \u{…} for other control characters.
func rustQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == 0:
			b.WriteString(`\0`)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\u{%x}`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
