package contract

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Why bytes that decode are not the canonical protobuf encoding of their
// message: the first fault, named by its field path ("2.6" is field 6 of
// the message in field 2), in the Rust contract's words
// (chaincode/contract/src/canonical.rs; protocol.md §11 "Canonical protobuf
// encoding").

// wireField is one field as it is on the wire.
type wireField struct {
	number   uint64
	wireType byte
	payload  []byte // the value, or a length-delimited field's contents
	raw      []byte // the whole field, tag included
}

// wireVarint reads a varint at the start of b: its value and length, or
// ok false.
func wireVarint(b []byte) (value uint64, n int, ok bool) {
	for i := 0; i < len(b) && i < 10; i++ {
		value |= uint64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			return value, i + 1, true
		}
	}
	return 0, 0, false
}

// wireFields splits a message into its fields, or ok false if b is not a
// sequence of fields of wire types 0, 1, 2 and 5.
func wireFields(b []byte) ([]wireField, bool) {
	var out []wireField
	at := 0
	for at < len(b) {
		start := at
		tag, n, ok := wireVarint(b[at:])
		if !ok {
			return nil, false
		}
		at += n
		wireType := byte(tag & 7)
		var begin, end int
		switch wireType {
		case 0:
			_, n, ok := wireVarint(b[at:])
			if !ok {
				return nil, false
			}
			begin, end = at, at+n
		case 1:
			begin, end = at, at+8
		case 5:
			begin, end = at, at+4
		case 2:
			length, n, ok := wireVarint(b[at:])
			if !ok || length > uint64(len(b)) {
				return nil, false
			}
			begin = at + n
			end = begin + int(length)
		default:
			return nil, false
		}
		if end > len(b) || begin > end {
			return nil, false
		}
		at = end
		out = append(out, wireField{number: tag >> 3, wireType: wireType, payload: b[begin:end], raw: b[start:at]})
	}
	return out, true
}

func fieldName(path []uint64, number uint64) string {
	parts := make([]string, 0, len(path)+1)
	for _, p := range path {
		parts = append(parts, strconv.FormatUint(p, 10))
	}
	parts = append(parts, strconv.FormatUint(number, 10))
	return strings.Join(parts, ".")
}

// firstFault is the first way original (which decodes) differs from
// canonical (the encoding of what it decodes to), as a clause.
func firstFault(original, canonical []byte) string {
	if fault, ok := canonicalFault(original, canonical, nil); ok {
		return fault
	}
	return "its bytes differ from the canonical encoding"
}

func canonicalFault(original, canonical []byte, path []uint64) (string, bool) {
	ours, ok := wireFields(original)
	if !ok {
		return "", false
	}
	theirs, ok := wireFields(canonical)
	if !ok {
		return "", false
	}
	for i := 1; i < len(ours); i++ {
		if ours[i].number < ours[i-1].number {
			return fmt.Sprintf("field %s comes after field %s; write fields in field-number order",
				fieldName(path, ours[i].number), fieldName(path, ours[i-1].number)), true
		}
	}
	count := func(list []wireField, number uint64) int {
		n := 0
		for _, f := range list {
			if f.number == number {
				n++
			}
		}
		return n
	}
	for _, field := range ours {
		var first *wireField
		for i := range theirs {
			if theirs[i].number == field.number {
				first = &theirs[i]
				break
			}
		}
		if first == nil {
			return fmt.Sprintf("field %s is not part of the canonical encoding: it is unknown, or holds its default value (0, false or empty), which is left out",
				fieldName(path, field.number)), true
		}
		if first.wireType != field.wireType {
			return fmt.Sprintf("field %s is a repeated scalar that is not packed; pack repeated scalars", fieldName(path, field.number)), true
		}
		if mine, canon := count(ours, field.number), count(theirs, field.number); mine > canon {
			return fmt.Sprintf("field %s appears %d times; a field that is not repeated appears once", fieldName(path, field.number), mine), true
		}
	}
	for i := 0; i < len(ours) && i < len(theirs); i++ {
		mine, canon := ours[i], theirs[i]
		if bytes.Equal(mine.raw, canon.raw) {
			continue
		}
		if bytes.Equal(mine.payload, canon.payload) {
			return fmt.Sprintf("the tag or length of field %s is not a minimal varint", fieldName(path, mine.number)), true
		}
		if mine.wireType == 0 {
			return fmt.Sprintf("field %s is not a minimal varint", fieldName(path, mine.number)), true
		}
		if mine.wireType == 2 {
			if inner, ok := canonicalFault(mine.payload, canon.payload, append(append([]uint64(nil), path...), mine.number)); ok {
				return inner, true
			}
		}
		return fmt.Sprintf("field %s is not canonically encoded", fieldName(path, mine.number)), true
	}
	return "", false
}
