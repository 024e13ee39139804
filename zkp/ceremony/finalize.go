package ceremony

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"

	"github.com/sable-settlement/sable/internal/atomicfile"
	"github.com/sable-settlement/sable/zkp"
)

// RecordFile is the ceremony's record beside the keys it made.
const RecordFile = "ceremony.json"

// recordVersion names the record's format and its hash's label.
const recordVersion = "sable/ceremony-record/v1"

// Record says which transcript and beacon made a key directory's keys. Its
// Hash is what a chain's genesis pins (ledger.GenesisKeys.Ceremony).
type Record struct {
	Version string `json:"version"`
	// Transcript is the hash of the transcript's last entry.
	Transcript string `json:"transcript"`
	Beacon     string `json:"beacon"`
	Keys       []Key  `json:"keys"`
	// Contributors lists the transcript's contributions, for people; the
	// transcript's hash already commits to them.
	Contributors []Contributor `json:"contributors"`
	Hash         string        `json:"hash"`
}

// Key names one circuit's keys by hash: the verifying key's as zkp
// computes it (what genesis pins), the proving key's as the SHA-256 its
// key file carries.
type Key struct {
	Circuit string `json:"circuit"`
	VK      string `json:"vk"`
	PK      string `json:"pk"`
}

// Contributor is one contribution of the transcript.
type Contributor struct {
	Phase int    `json:"phase"`
	Index int    `json:"index"`
	Name  string `json:"name"`
	Key   string `json:"key,omitempty"` // the contributor's public key, if it signed
	Hash  string `json:"hash"`
}

// recordHash is "sable/ceremony-record/v1" ‖ transcript ‖ beacon ‖ each
// circuit's name and keys' hashes.
func recordHash(r *Record) string {
	h := sha256.New()
	frame(h, []byte(recordVersion))
	frame(h, mustHex(r.Transcript))
	frame(h, mustHex(r.Beacon))
	frameU64(h, uint64(len(r.Keys)))
	for _, k := range r.Keys {
		frame(h, []byte(k.Circuit))
		frame(h, mustHex(k.VK))
		frame(h, mustHex(k.PK))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// KeyPair is one circuit's final keys.
type KeyPair struct {
	Circuit zkp.Circuit
	PK      *zkp.ProvingKey
	VK      *zkp.VerifyingKey
}

// Keys verifies the transcript and derives every circuit's final keys
// with beacon, a public random value fixed after phase 2's last
// contribution, and their record. Anyone can rerun it and get the same
// keys.
func (t *Transcript) Keys(beacon []byte) ([]KeyPair, *Record, error) {
	if err := CheckBeacon(beacon); err != nil {
		return nil, nil, err
	}
	if t.Manifest.Phase != 2 {
		return nil, nil, ErrNotSealed
	}
	if t.Manifest.count(KindPhase2) == 0 {
		return nil, nil, ErrNoPhase2
	}
	r, err := t.Verify()
	if err != nil {
		return nil, nil, err
	}
	rec := &Record{Version: recordVersion, Transcript: t.Manifest.Hash(), Beacon: hex.EncodeToString(beacon),
		Contributors: t.Manifest.contributors()}
	var out []KeyPair
	for _, c := range t.circuits {
		st := r.phase2[c.Name]
		pk, vk := st.p.Seal(&st.commons, &st.evals, beacon)
		kp, err := newKeyPair(c.c, pk.(*groth16bn254.ProvingKey), vk.(*groth16bn254.VerifyingKey))
		if err != nil {
			return nil, nil, err
		}
		out = append(out, kp.pair)
		rec.Keys = append(rec.Keys, kp.key)
	}
	rec.Hash = recordHash(rec)
	return out, rec, nil
}

type finalKey struct {
	pair KeyPair
	key  Key
}

func newKeyPair(c zkp.Circuit, pk *groth16bn254.ProvingKey, vk *groth16bn254.VerifyingKey) (finalKey, error) {
	p, v, err := zkp.NewKeyPair(c, pk, vk)
	if err != nil {
		return finalKey{}, fmt.Errorf("ceremony: the %s keys: %w", c, err)
	}
	h := sha256.New()
	if _, err := pk.WriteRawTo(h); err != nil {
		return finalKey{}, fmt.Errorf("ceremony: hash the %s proving key: %w", c, err)
	}
	return finalKey{KeyPair{c, p, v}, Key{Circuit: string(c), VK: v.HashHex(), PK: hex.EncodeToString(h.Sum(nil))}}, nil
}

func (m *Manifest) contributors() []Contributor {
	var out []Contributor
	for _, e := range m.Entries {
		switch e.Kind {
		case KindPhase1:
			out = append(out, Contributor{Phase: 1, Index: e.Index, Name: e.Name, Key: e.Key, Hash: e.Hash})
		case KindPhase2:
			out = append(out, Contributor{Phase: 2, Index: e.Index, Name: e.Name, Key: e.Key, Hash: e.Hash})
		}
	}
	return out
}

// Finalize derives the keys (Keys) and writes them into out, in zkp's key
// files (out/<circuit>.pk, out/<circuit>.vk), with the record beside them
// (out/ceremony.json).
func (t *Transcript) Finalize(out string, beacon []byte) (*Record, error) {
	keys, rec, err := t.Keys(beacon)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("ceremony: %w", err)
	}
	for _, k := range keys {
		pkPath, vkPath := zkp.KeyPaths(out, k.Circuit)
		if err := zkp.WriteProvingKey(pkPath, k.PK); err != nil {
			return nil, err
		}
		if err := zkp.WriteVerifyingKey(vkPath, k.VK); err != nil {
			return nil, err
		}
	}
	raw, _ := json.MarshalIndent(rec, "", "  ")
	if err := atomicfile.Write(filepath.Join(out, RecordFile), append(raw, '\n'), 0o644); err != nil {
		return nil, err
	}
	return rec, nil
}

// ErrNoRecord is a key directory without a ceremony record: keys from
// 'sable setup --dev'.
var ErrNoRecord = errors.New("ceremony: no ceremony record beside the keys")

// ErrRecord marks a record that does not match its keys or its
// transcript.
var ErrRecord = errors.New("ceremony: the ceremony record does not match")

// ReadRecord reads dir/ceremony.json and checks it against the key files
// beside it: its own hash, one entry per circuit in zkp's registry, and
// each verifying and proving key's hash. It returns ErrNoRecord (wrapping
// fs.ErrNotExist) when there is none.
func ReadRecord(dir string) (*Record, error) {
	f, err := os.Open(filepath.Join(dir, RecordFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s: %w", ErrNoRecord, dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("ceremony: %w", err)
	}
	defer f.Close()
	var rec Record
	dec := json.NewDecoder(io.LimitReader(f, maxManifest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrRecord, filepath.Join(dir, RecordFile), err)
	}
	if err := rec.checkKeys(dir); err != nil {
		return nil, err
	}
	return &rec, nil
}

// checkKeys checks the record's hash and its keys' hashes against the key
// files in dir.
func (r *Record) checkKeys(dir string) error {
	if r.Version != recordVersion || r.Hash != recordHash(r) {
		return fmt.Errorf("%w: its hash is not what it holds", ErrRecord)
	}
	cs := zkp.Circuits()
	if len(r.Keys) != len(cs) {
		return fmt.Errorf("%w: it names %d circuits, this build has %d", ErrRecord, len(r.Keys), len(cs))
	}
	for i, c := range cs {
		k := r.Keys[i]
		pkPath, vkPath := zkp.KeyPaths(dir, c)
		vk, err := zkp.ReadVerifyingKey(vkPath, c)
		if err != nil {
			return err
		}
		pk, err := zkp.ReadProvingKey(pkPath, c)
		if err != nil {
			return err
		}
		h := sha256.New()
		if _, err := pk.Groth16().WriteRawTo(h); err != nil {
			return fmt.Errorf("ceremony: %w", err)
		}
		if k.Circuit != string(c) || k.VK != vk.HashHex() || k.PK != hex.EncodeToString(h.Sum(nil)) {
			return fmt.Errorf("%w: the %s keys in %s are not the ones it names", ErrRecord, c, dir)
		}
	}
	return nil
}

// VerifyKeys checks that the keys in dir are the ones the transcript and
// the record's beacon derive: it replays the transcript, derives the keys
// again and compares every hash.
func (t *Transcript) VerifyKeys(dir string) (*Record, error) {
	rec, err := ReadRecord(dir)
	if err != nil {
		return nil, err
	}
	beacon, err := hex.DecodeString(rec.Beacon)
	if err != nil {
		return nil, fmt.Errorf("%w: its beacon is not hex", ErrRecord)
	}
	_, want, err := t.Keys(beacon)
	if err != nil {
		return nil, err
	}
	if want.Hash != rec.Hash || !slices.Equal(want.Contributors, rec.Contributors) {
		return nil, fmt.Errorf("%w: the keys in %s are not the ones transcript %s and beacon %s derive", ErrRecord, dir, t.Manifest.Hash(), rec.Beacon)
	}
	return rec, nil
}
