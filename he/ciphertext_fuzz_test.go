package he

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzCiphertextOps patches bytes into a valid encryption's encoding (at
// an offset past the header, or over the whole encoding with offset 0xffff)
// so that most inputs decode, and checks what a validator and the
// regulator then do with them: CheckNondegenerate never panics and fails
// only with ErrDegenerate; what decodes re-marshals to the same bytes;
// adding it to Zero gives back the same encoding; Decrypt never panics and
// fails only with ErrInconsistent.
func FuzzCiphertextOps(f *testing.F) {
	sk, pk := testKeys(f)
	p := pk.Params()
	valid := marshal(f, mustEncrypt(f, NewEncryptor(pk), map[int]Flow{0: maxFlow()}))
	f.Add(uint16(0), []byte{})
	f.Add(uint16(0), []byte{0, 0, 0, 0, 0, 0, 0, 2})             // load 2
	f.Add(uint16(8), make([]byte, 64))                           // zero residues
	f.Add(uint16(40000), bytes.Repeat([]byte{0x5a}, 200))        // inside c1
	f.Add(uint16(0xffff), marshal(f, Zero(p)))                   // Zero itself: degenerate
	f.Add(uint16(0xffff), valid[:ctHeaderSize])                  // truncated
	f.Add(uint16(len(valid)-ctHeaderSize-4), []byte{1, 2, 3, 4}) // last bytes
	dec := NewDecryptor(sk)
	ev := NewEvaluator(p)
	f.Fuzz(func(t *testing.T, offset uint16, patch []byte) {
		var data []byte
		if offset == 0xffff {
			data = patch
		} else {
			data = bytes.Clone(valid)
			at := ctHeaderSize + int(offset)%(len(valid)-ctHeaderSize)
			copy(data[at:], patch)
		}
		var c Ciphertext
		if err := c.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrParams) && !errors.Is(err, ErrOversize) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if err := c.CheckNondegenerate(); err != nil && !errors.Is(err, ErrDegenerate) {
			t.Fatalf("CheckNondegenerate: %v does not wrap ErrDegenerate", err)
		}
		if out := marshal(t, &c); !bytes.Equal(out, data) {
			t.Fatal("accepted a non-canonical encoding")
		}
		sum := Zero(p)
		if err := ev.Add(sum, &c); err != nil {
			t.Fatalf("Zero + a decoded ciphertext: %v", err)
		}
		if out := marshal(t, sum); !bytes.Equal(out, data) {
			t.Fatal("Zero + c does not encode as c")
		}
		if _, err := dec.Decrypt(&c); err != nil && !errors.Is(err, ErrInconsistent) {
			t.Fatalf("Decrypt: %v does not wrap ErrInconsistent", err)
		}
	})
}
