package zkp

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"

	"github.com/sable-settlement/sable/internal/atomicfile"
)

// Key files are framed as
//
//	magic "SABLEKEY" ‖ version 1 ‖ kind 'P'|'V' ‖ len(name) ‖ name ‖
//	uint64be(len(payload)) ‖ SHA-256(payload) ‖ payload
//
// so that a truncated, corrupted or misplaced file is named as such before
// gnark parses a byte of it.
const keyMagic = "SABLEKEY"

const (
	kindProving   = 'P'
	kindVerifying = 'V'
)

// Errors returned when reading key files.
var (
	ErrNotAKeyFile  = errors.New("zkp: not a Sable key file")
	ErrKeyTruncated = errors.New("zkp: key file is truncated")
	ErrKeyCorrupted = errors.New("zkp: key file is corrupted (checksum mismatch)")
)

// ProvingKey is a circuit's Groth16 proving key.
type ProvingKey struct {
	circuit Circuit
	pk      *groth16bn254.ProvingKey
	// LoadTime is how long reading the key took, when it came from a file.
	LoadTime time.Duration

	// hash is the SHA-256 of the key's payload in its file (what the file's
	// frame carries), which binds a table cache to the key. Known on read;
	// computed on first use for a key made by SetupDev.
	hashOnce sync.Once
	hash     [32]byte
	hashErr  error
}

// VerifyingKey is a circuit's Groth16 verifying key.
type VerifyingKey struct {
	circuit Circuit
	vk      *groth16bn254.VerifyingKey
	hash    [32]byte
}

// Circuit returns the circuit the key belongs to.
func (k *ProvingKey) Circuit() Circuit { return k.circuit }

// Circuit returns the circuit the key belongs to.
func (k *VerifyingKey) Circuit() Circuit { return k.circuit }

// Hash returns the SHA-256 that identifies the key (see VerifyingKey.Hash).
func (k *VerifyingKey) Hash() [32]byte { return k.hash }

// HashHex returns Hash as hex.
func (k *VerifyingKey) HashHex() string { return hex.EncodeToString(k.hash[:]) }

// Groth16 exposes the underlying gnark key, for exports and benchmarks.
func (k *VerifyingKey) Groth16() *groth16bn254.VerifyingKey { return k.vk }

// Groth16 exposes the underlying gnark key, for benchmarks.
func (k *ProvingKey) Groth16() *groth16bn254.ProvingKey { return k.pk }

// SetupDev runs a single-party Groth16 setup for c. Its randomness ("toxic
// waste") lives in this process only for the call, but whoever ran it could
// have kept it and forge proofs: development only.
func SetupDev(c Circuit) (*ProvingKey, *VerifyingKey, error) {
	ccs, err := c.Compile()
	if err != nil {
		return nil, nil, err
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		return nil, nil, fmt.Errorf("zkp: setup %s: %w", c, err)
	}
	v := &VerifyingKey{circuit: c, vk: vk.(*groth16bn254.VerifyingKey)}
	v.hash = vkHash(c, v.vk)
	return &ProvingKey{circuit: c, pk: pk.(*groth16bn254.ProvingKey)}, v, nil
}

// vkHash hashes a canonical rendering of the key's points, independent of
// gnark's file format: "sable/zkp/vk/v1" ‖ circuit ‖ α ‖ β ‖ γ ‖ δ ‖ K.
func vkHash(c Circuit, vk *groth16bn254.VerifyingKey) [32]byte {
	h := sha256.New()
	writeFramed(h, []byte("sable/zkp/vk/v1"))
	writeFramed(h, []byte(c))
	g1 := func(p *bn254.G1Affine) { b := p.Bytes(); h.Write(b[:]) }
	g2 := func(p *bn254.G2Affine) { b := p.Bytes(); h.Write(b[:]) }
	g1(&vk.G1.Alpha)
	g2(&vk.G2.Beta)
	g2(&vk.G2.Gamma)
	g2(&vk.G2.Delta)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(vk.G1.K)))
	h.Write(n[:])
	for i := range vk.G1.K {
		g1(&vk.G1.K[i])
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// KeyPaths returns DIR/<circuit>.pk and DIR/<circuit>.vk.
func KeyPaths(dir string, c Circuit) (pk, vk string) {
	return filepath.Join(dir, string(c)+".pk"), filepath.Join(dir, string(c)+".vk")
}

// WriteProvingKey writes k to path atomically, mode 0600.
func WriteProvingKey(path string, k *ProvingKey) error {
	var buf bytes.Buffer
	if _, err := k.pk.WriteRawTo(&buf); err != nil {
		return fmt.Errorf("zkp: encode proving key: %w", err)
	}
	return atomicfile.Write(path, frameKey(kindProving, k.circuit, buf.Bytes()), 0o600)
}

// WriteVerifyingKey writes k to path atomically.
func WriteVerifyingKey(path string, k *VerifyingKey) error {
	var buf bytes.Buffer
	if _, err := k.vk.WriteTo(&buf); err != nil {
		return fmt.Errorf("zkp: encode verifying key: %w", err)
	}
	return atomicfile.Write(path, frameKey(kindVerifying, k.circuit, buf.Bytes()), 0o644)
}

// ReadProvingKey reads a proving key for circuit c. The payload is checked
// against its SHA-256 and then read with gnark's unchecked raw reader. The
// SHA-256 travels with the file, so it tells damage, not a swapped key:
// a key read here is fit to prove only once CheckKeyPair has passed it
// against a verifying key whose hash is trusted (Prover does both).
func ReadProvingKey(path string, c Circuit) (*ProvingKey, error) {
	start := time.Now()
	payload, sum, err := readKeyFile(path, kindProving, c)
	if err != nil {
		return nil, err
	}
	if err := checkPKShape(payload); err != nil {
		return nil, fmt.Errorf("zkp: %s: proving key payload: %w", path, err)
	}
	pk := new(groth16bn254.ProvingKey)
	if _, err := pk.UnsafeReadFrom(bytes.NewReader(payload)); err != nil {
		return nil, fmt.Errorf("zkp: %s: proving key payload: %w", path, err)
	}
	k := &ProvingKey{circuit: c, pk: pk, LoadTime: time.Since(start), hash: sum}
	k.hashOnce.Do(func() {})
	return k, nil
}

// payloadHash returns the SHA-256 of the key's file payload (gnark's raw
// encoding), computing it if the key did not come from a file.
func (k *ProvingKey) payloadHash() ([32]byte, error) {
	k.hashOnce.Do(func() {
		h := sha256.New()
		if _, err := k.pk.WriteRawTo(h); err != nil {
			k.hashErr = fmt.Errorf("zkp: hash proving key: %w", err)
			return
		}
		h.Sum(k.hash[:0])
	})
	return k.hash, k.hashErr
}

// ReadVerifyingKey reads a verifying key for circuit c with gnark's checked
// reader (every point on its curve and in its subgroup).
func ReadVerifyingKey(path string, c Circuit) (*VerifyingKey, error) {
	payload, _, err := readKeyFile(path, kindVerifying, c)
	if err != nil {
		return nil, err
	}
	if err := checkVKShape(payload, c); err != nil {
		return nil, fmt.Errorf("zkp: %s: verifying key payload: %w", path, err)
	}
	vk := new(groth16bn254.VerifyingKey)
	if _, err := vk.ReadFrom(bytes.NewReader(payload)); err != nil {
		return nil, fmt.Errorf("zkp: %s: verifying key payload: %w", path, err)
	}
	if len(vk.G1.K) != c.PublicInputs()+1 || len(vk.CommitmentKeys) != 0 {
		return nil, fmt.Errorf("zkp: %s: verifying key does not fit the %s circuit", path, c)
	}
	return &VerifyingKey{circuit: c, vk: vk, hash: vkHash(c, vk)}, nil
}

func frameKey(kind byte, c Circuit, payload []byte) []byte {
	var b bytes.Buffer
	b.WriteString(keyMagic)
	b.WriteByte(1)
	b.WriteByte(kind)
	b.WriteByte(byte(len(c)))
	b.WriteString(string(c))
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(payload)))
	b.Write(n[:])
	sum := sha256.Sum256(payload)
	b.Write(sum[:])
	b.Write(payload)
	return b.Bytes()
}

func readKeyFile(path string, kind byte, c Circuit) (payload []byte, sum [32]byte, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, sum, fmt.Errorf("zkp: %w", err)
	}
	r := bytes.NewReader(data)
	head := make([]byte, len(keyMagic)+3)
	if _, err := io.ReadFull(r, head); err != nil || string(head[:len(keyMagic)]) != keyMagic {
		return nil, sum, fmt.Errorf("%w: %s", ErrNotAKeyFile, path)
	}
	if head[len(keyMagic)] != 1 {
		return nil, sum, fmt.Errorf("zkp: %s: unsupported key file version %d", path, head[len(keyMagic)])
	}
	name := make([]byte, head[len(keyMagic)+2])
	if _, err := io.ReadFull(r, name); err != nil {
		return nil, sum, fmt.Errorf("%w: %s", ErrKeyTruncated, path)
	}
	gotKind := head[len(keyMagic)+1]
	if gotKind != kind {
		return nil, sum, fmt.Errorf("zkp: %s is a %s key, want a %s key", path, kindName(gotKind), kindName(kind))
	}
	if Circuit(name) != c {
		return nil, sum, fmt.Errorf("zkp: %s is a key for the %q circuit, want %s", path, name, c)
	}
	var n [8]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, sum, fmt.Errorf("%w: %s", ErrKeyTruncated, path)
	}
	if _, err := io.ReadFull(r, sum[:]); err != nil {
		return nil, sum, fmt.Errorf("%w: %s", ErrKeyTruncated, path)
	}
	size := binary.BigEndian.Uint64(n[:])
	if size != uint64(r.Len()) {
		if size > uint64(r.Len()) {
			return nil, sum, fmt.Errorf("%w: %s", ErrKeyTruncated, path)
		}
		return nil, sum, fmt.Errorf("zkp: %s has trailing bytes after the key", path)
	}
	payload = data[len(data)-int(size):]
	if sha256.Sum256(payload) != sum {
		return nil, sum, fmt.Errorf("%w: %s", ErrKeyCorrupted, path)
	}
	return payload, sum, nil
}

func kindName(k byte) string {
	switch k {
	case kindProving:
		return "proving"
	case kindVerifying:
		return "verifying"
	}
	return fmt.Sprintf("unknown (%q)", k)
}
