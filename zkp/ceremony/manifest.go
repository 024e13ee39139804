package ceremony

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"regexp"
	"slices"
)

// Version names the transcript format and its hashes' domain separation.
const Version = "sable/ceremony/v1"

// ManifestFile is the transcript's manifest, in its directory.
const ManifestFile = "transcript.json"

// Entry kinds, in the order a transcript holds them.
const (
	KindInit    = "init"
	KindPhase1  = "phase1"
	KindSeal    = "seal-phase1"
	KindPhase2  = "phase2"
	maxEntries  = 4096
	maxManifest = 4 << 20
)

// ErrTranscript marks a transcript that is refused: malformed, tampered,
// reordered, missing a contribution, or made for other circuits.
var ErrTranscript = errors.New("ceremony: transcript refused")

// Manifest is a transcript's table of contents: the circuits it is for,
// its phase, and every entry with its files' hashes, each entry's hash
// committing to the one before.
type Manifest struct {
	Version string `json:"version"`
	Phase   int    `json:"phase"` // 1 until phase 1 is sealed, then 2
	// Powers is phase 1's size: the largest circuit's FFT domain.
	Powers   uint64  `json:"powers"`
	Circuits []Shape `json:"circuits"`
	Entries  []Entry `json:"entries"`
}

// Entry is one step of the ceremony: its start, a contribution, or the
// beacon that seals phase 1.
type Entry struct {
	Kind  string `json:"kind"`
	Index int    `json:"index,omitempty"` // a contribution's number in its phase, from 1
	Name  string `json:"name,omitempty"`  // the contributor
	// Key and Sig sign a contribution: the contributor's Ed25519 public
	// key (hex), which the entry's hash covers, and its signature of that
	// hash (see sign.go). Both empty: an unsigned contribution.
	Key    string `json:"key,omitempty"`
	Sig    string `json:"sig,omitempty"`
	Beacon string `json:"beacon,omitempty"`
	Files  []File `json:"files,omitempty"`
	Prev   string `json:"prev,omitempty"` // the previous entry's hash
	Hash   string `json:"hash"`
}

// File is a state file of an entry, named by its path in the transcript.
type File struct {
	Path   string `json:"path"`
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
}

// Bytes is the total size of the entry's files.
func (e Entry) Bytes() int {
	n := 0
	for _, f := range e.Files {
		n += f.Size
	}
	return n
}

// Hash is the hash of the transcript's last entry: it commits to every
// entry and file before it.
func (m *Manifest) Hash() string { return m.Entries[len(m.Entries)-1].Hash }

// count returns how many entries of kind the manifest holds.
func (m *Manifest) count(kind string) int {
	n := 0
	for _, e := range m.Entries {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

func frame(h hash.Hash, b []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	h.Write(n[:])
	h.Write(b)
}

func frameU64(h hash.Hash, v uint64) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], v)
	frame(h, n[:])
}

func mustHex(s string) []byte { b, _ := hex.DecodeString(s); return b }

// initHash commits to the circuits: "sable/ceremony/v1/init" ‖ powers ‖
// each circuit's name, constraints, domain, private wires and R1CS hash.
func initHash(powers uint64, shapes []Shape) string {
	h := sha256.New()
	frame(h, []byte(Version+"/init"))
	frameU64(h, powers)
	frameU64(h, uint64(len(shapes)))
	for _, s := range shapes {
		frame(h, []byte(s.Name))
		frameU64(h, uint64(s.Constraints))
		frameU64(h, s.Domain)
		frameU64(h, uint64(s.Private))
		frame(h, mustHex(s.R1CS))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// entryHash commits to an entry and, through Prev, to every entry before:
// "sable/ceremony/v1/entry" ‖ prev ‖ kind ‖ index ‖ name ‖ beacon ‖ each
// file's path, size and SHA-256, then for a signed contribution "key" ‖
// the contributor's public key. An unsigned entry hashes as it did before
// contributions could be signed, so older transcripts keep their hashes;
// a signed one cannot lose its key (or take another) without a new hash,
// which the next entry's Prev and the signatures after it no longer match.
// The signature is not hashed: it signs the hash.
func entryHash(e Entry) string {
	h := sha256.New()
	frame(h, []byte(Version+"/entry"))
	frame(h, mustHex(e.Prev))
	frame(h, []byte(e.Kind))
	frameU64(h, uint64(e.Index))
	frame(h, []byte(e.Name))
	frame(h, mustHex(e.Beacon))
	frameU64(h, uint64(len(e.Files)))
	for _, f := range e.Files {
		frame(h, []byte(f.Path))
		frameU64(h, uint64(f.Size))
		frame(h, mustHex(f.SHA256))
	}
	if e.Key != "" {
		frame(h, []byte("key"))
		frame(h, mustHex(e.Key))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// newEntry completes e (files hashed, chained to prev) and hashes it.
func newEntry(e Entry, prev string, files map[string][]byte) Entry {
	e.Prev = prev
	e.Files = nil
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		s := sha256.Sum256(files[p])
		e.Files = append(e.Files, File{Path: p, Size: len(files[p]), SHA256: hex.EncodeToString(s[:])})
	}
	e.Hash = entryHash(e)
	return e
}

func phase1Path(k int) string { return fmt.Sprintf("phase1/%03d.bin", k) }

func phase2Path(c string, k int) string { return fmt.Sprintf("phase2/%s/%03d.bin", c, k) }

// wantPaths lists the files an entry must have, sorted.
func wantPaths(e Entry, shapes []Shape) []string {
	var out []string
	switch e.Kind {
	case KindPhase1:
		out = []string{phase1Path(e.Index)}
	case KindSeal, KindPhase2:
		for _, s := range shapes {
			out = append(out, phase2Path(s.Name, e.Index))
		}
	}
	slices.Sort(out)
	return out
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// CheckName checks a contributor's name: 1 to 64 letters, digits, dots,
// dashes and underscores.
func CheckName(name string) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("ceremony: contributor name %q: want 1 to 64 letters, digits, '.', '_' or '-'", name)
	}
	return nil
}

// CheckBeacon checks a beacon: 16 to 1024 bytes.
func CheckBeacon(beacon []byte) error {
	if len(beacon) < 16 || len(beacon) > 1024 {
		return fmt.Errorf("ceremony: a beacon of %d bytes: want 16 to 1024 bytes of public randomness fixed after the last contribution", len(beacon))
	}
	return nil
}

// check checks the manifest's structure against the local circuits: the
// version, the circuits, the entries' order, names, beacons and file
// paths, and every hash of the chain. It reads no state file.
func (m *Manifest) check(local []circuit) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrTranscript, fmt.Sprintf(format, a...))
	}
	if m.Version != Version {
		return bad("version %q, want %q", m.Version, Version)
	}
	if err := checkCircuits(m, local); err != nil {
		return fmt.Errorf("%w: %w", ErrTranscript, err)
	}
	if len(m.Entries) == 0 || len(m.Entries) > maxEntries {
		return bad("%d entries", len(m.Entries))
	}
	first := m.Entries[0]
	if first.Kind != KindInit || first.Prev != "" || len(first.Files) != 0 || first.Key != "" || first.Sig != "" ||
		first.Hash != initHash(m.Powers, m.Circuits) {
		return bad("the first entry is not this transcript's start")
	}
	phase, index := 1, 0
	for i, e := range m.Entries[1:] {
		if err := checkEntry(e, m.Entries[i].Hash, phase, index, m.Circuits); err != nil {
			return bad("entry %d: %v", i+1, err)
		}
		index = e.Index
		if e.Kind == KindSeal {
			phase, index = 2, 0
		}
	}
	if m.Phase != phase {
		return bad("the manifest says phase %d, its entries phase %d", m.Phase, phase)
	}
	return nil
}

// checkCircuits checks that the transcript is for exactly the circuits
// this build compiles.
func checkCircuits(m *Manifest, local []circuit) error {
	if len(m.Circuits) != len(local) {
		return fmt.Errorf("it is for %d circuits, this build has %d", len(m.Circuits), len(local))
	}
	for i, c := range local {
		if m.Circuits[i] != c.Shape {
			return fmt.Errorf("it is for another %s circuit (%d constraints, R1CS %.16s…) than this build's (%d constraints, R1CS %.16s…)",
				c.Name, m.Circuits[i].Constraints, m.Circuits[i].R1CS, c.Constraints, c.R1CS)
		}
	}
	if m.Powers != maxDomain(local) {
		return fmt.Errorf("phase 1 has %d powers, the circuits need %d", m.Powers, maxDomain(local))
	}
	return nil
}

// checkEntry checks one entry after the start: its kind in sequence, its
// index, its fields, its files' paths and its hash chained to prev.
func checkEntry(e Entry, prev string, phase, index int, shapes []Shape) error {
	switch {
	case phase == 1 && e.Kind == KindPhase1, phase == 2 && e.Kind == KindPhase2:
		if e.Index != index+1 {
			return fmt.Errorf("contribution %d where %d comes next (reordered or skipped)", e.Index, index+1)
		}
		if err := CheckName(e.Name); err != nil || e.Beacon != "" {
			return fmt.Errorf("a contribution needs a valid name and no beacon")
		}
	case phase == 1 && e.Kind == KindSeal:
		b, err := hex.DecodeString(e.Beacon)
		if index == 0 || e.Index != 0 || e.Name != "" || err != nil || CheckBeacon(b) != nil {
			return fmt.Errorf("phase 1 sealed without a contribution or without a valid beacon")
		}
		if e.Key != "" || e.Sig != "" {
			return fmt.Errorf("the seal is signed: only contributions are")
		}
	default:
		return fmt.Errorf("a %q entry in phase %d", e.Kind, phase)
	}
	var paths []string
	for _, f := range e.Files {
		if s, err := hex.DecodeString(f.SHA256); err != nil || len(s) != sha256.Size || f.Size <= 0 {
			return fmt.Errorf("file %q: bad size or hash", f.Path)
		}
		paths = append(paths, f.Path)
	}
	if !slices.Equal(paths, wantPaths(e, shapes)) {
		return fmt.Errorf("files %v, want %v", paths, wantPaths(e, shapes))
	}
	if e.Prev != prev {
		return fmt.Errorf("it follows %.16s…, the entry before is %.16s… (reordered or skipped)", e.Prev, prev)
	}
	if e.Hash != entryHash(e) {
		return fmt.Errorf("its hash %.16s… is not what it holds (%.16s…)", e.Hash, entryHash(e))
	}
	return checkSignature(e)
}

// readManifest reads DIR/transcript.json.
func readManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestFile)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ceremony: %s is not a transcript: %w", dir, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || st.Size() > maxManifest {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrTranscript, path, maxManifest)
	}
	var m Manifest
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrTranscript, path, err)
	}
	return &m, nil
}
