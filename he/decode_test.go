package he

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// edit returns a copy of b with f applied.
func edit(b []byte, f func([]byte) []byte) []byte { return f(bytes.Clone(b)) }

func TestCiphertextDecodeErrors(t *testing.T) {
	_, pk := testKeys(t)
	p := pk.Params()
	ct := mustEncrypt(t, NewEncryptor(pk), map[int]Flow{0: maxFlow()})
	valid := marshal(t, ct)
	if len(valid) != p.CiphertextSize() {
		t.Fatalf("encoding of %d bytes, want %d", len(valid), p.CiphertextSize())
	}
	lattigo, err := ct.ct.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	pkb, err := pk.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	set := func(i int, v byte) func([]byte) []byte {
		return func(b []byte) []byte { b[i] = v; return b }
	}
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"short header", valid[:5], ErrMalformed},
		{"header only", valid[:ctHeaderSize], ErrMalformed},
		{"truncated", valid[:len(valid)-1], ErrMalformed},
		{"one byte too many", append(bytes.Clone(valid), 0), ErrOversize},
		{"Lattigo's own encoding", lattigo, ErrOversize},
		{"public key", pkb, ErrOversize},
		{"format version", edit(valid, set(0, 2)), ErrMalformed},
		{"kind", edit(valid, set(1, byte(kindPublicKey))), ErrMalformed},
		{"unknown parameter set", edit(valid, set(2, 99)), ErrParams},
		{"ring degree 2^13", edit(valid, set(3, 13)), ErrParams},
		{"top level", edit(valid, set(4, 2)), ErrParams},
		{"lowest prime only", edit(valid, set(4, 0)), ErrParams},
		{"other moduli", edit(valid, set(5, valid[5]^1)), ErrParams},
		{"load above MaxLoad", edit(valid, func(b []byte) []byte {
			binary.BigEndian.PutUint64(b[headerSize:], p.MaxLoad()+1)
			return b
		}), ErrMalformed},
		{"residue not below its prime", edit(valid, func(b []byte) []byte {
			copy(b[ctHeaderSize:], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
			return b
		}), ErrMalformed},
		{"last residue not below its prime", edit(valid, func(b []byte) []byte {
			copy(b[len(b)-6:], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
			return b
		}), ErrMalformed},
	}
	for _, c := range cases {
		ct := ct.Copy()
		err := ct.UnmarshalBinary(c.b)
		checkPrefix(t, err)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
			continue
		}
		if ct.ct != nil || ct.p != nil {
			t.Errorf("%s: failed decode left a usable ciphertext", c.name)
		}
	}
	// A valid encoding decodes after a failed one, into reused memory.
	var c Ciphertext
	_ = c.UnmarshalBinary(valid[:10])
	if err := c.UnmarshalBinary(valid); err != nil || !bytes.Equal(marshal(t, &c), valid) {
		t.Fatalf("valid encoding: %v", err)
	}
}

func TestKeyDecodeErrors(t *testing.T) {
	sk, pk := testKeys(t)
	skb, _ := sk.MarshalBinary()
	pkb, _ := pk.MarshalBinary()
	var s SecretKey
	var k PublicKey
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"sk truncated", s.UnmarshalBinary(skb[:len(skb)-1]), ErrMalformed},
		{"sk oversize", s.UnmarshalBinary(append(bytes.Clone(skb), 0)), ErrOversize},
		{"sk wrong set", s.UnmarshalBinary(edit(skb, func(b []byte) []byte { b[2] = 7; return b })), ErrParams},
		{"pk truncated", k.UnmarshalBinary(pkb[:len(pkb)-1]), ErrMalformed},
		{"pk oversize", k.UnmarshalBinary(append(bytes.Clone(pkb), 0)), ErrOversize},
		{"pk wrong level", k.UnmarshalBinary(edit(pkb, func(b []byte) []byte { b[4] = 1; return b })), ErrParams},
		{"pk residue", k.UnmarshalBinary(edit(pkb, func(b []byte) []byte {
			copy(b[headerSize:], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
			return b
		})), ErrMalformed},
	} {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.err, c.want)
		}
	}
}

// FuzzCiphertextUnmarshal: the decoder never panics, fails only with its
// three errors, and accepts only canonical encodings (decode then encode
// gives back the input), so equal aggregates are equal bytes.
func FuzzCiphertextUnmarshal(f *testing.F) {
	_, pk := testKeys(f)
	valid := marshal(f, mustEncrypt(f, NewEncryptor(pk), map[int]Flow{0: maxFlow()}))
	f.Add(valid)
	f.Add(marshal(f, Zero(pk.Params())))
	f.Add(valid[:ctHeaderSize])
	f.Add(valid[:100])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Ciphertext
		err := c.UnmarshalBinary(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrParams) && !errors.Is(err, ErrOversize) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if out := marshal(t, &c); !bytes.Equal(out, b) {
			t.Fatal("accepted a non-canonical encoding")
		}
	})
}

// FuzzKeyUnmarshal: the key decoders never panic.
func FuzzKeyUnmarshal(f *testing.F) {
	sk, pk := testKeys(f)
	skb, _ := sk.MarshalBinary()
	pkb, _ := pk.MarshalBinary()
	f.Add(skb)
	f.Add(pkb)
	f.Add(skb[:headerSize])
	f.Fuzz(func(t *testing.T, b []byte) {
		var s SecretKey
		var k PublicKey
		if s.UnmarshalBinary(b) == nil {
			if out, err := s.MarshalBinary(); err != nil || !bytes.Equal(out, b) {
				t.Fatal("secret key encoding not canonical")
			}
		}
		if k.UnmarshalBinary(b) == nil {
			if out, err := k.MarshalBinary(); err != nil || !bytes.Equal(out, b) {
				t.Fatal("public key encoding not canonical")
			}
		}
	})
}
