package ceremony

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"

	"github.com/sable-settlement/sable/internal/atomicfile"
)

// Transcript is a ceremony's directory, its manifest checked against the
// circuits of this build (not yet its state files: see Verify).
type Transcript struct {
	Dir      string
	Manifest *Manifest
	circuits []circuit
}

func sum(b []byte) [32]byte { return sha256.Sum256(b) }

// Init starts a transcript in dir (which must not hold one) for every
// circuit of zkp's registry, in phase 1.
func Init(dir string) (*Transcript, error) {
	local, err := localCircuits()
	if err != nil {
		return nil, err
	}
	m := &Manifest{Version: Version, Phase: 1, Powers: maxDomain(local)}
	for _, c := range local {
		m.Circuits = append(m.Circuits, c.Shape)
	}
	m.Entries = []Entry{{Kind: KindInit, Hash: initHash(m.Powers, m.Circuits)}}
	if err := claimDir(dir); err != nil {
		return nil, err
	}
	if err := writeManifest(dir, m); err != nil {
		return nil, err
	}
	return &Transcript{Dir: dir, Manifest: m, circuits: local}, nil
}

// Open reads a transcript's manifest and checks its structure and chain
// of hashes against this build's circuits. It reads no state file.
func Open(dir string) (*Transcript, error) {
	local, err := localCircuits()
	if err != nil {
		return nil, err
	}
	m, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	if err := m.check(local); err != nil {
		return nil, fmt.Errorf("%w (%s)", err, dir)
	}
	return &Transcript{Dir: dir, Manifest: m, circuits: local}, nil
}

// checkEmpty refuses a directory that holds anything.
func checkEmpty(dir string) error {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("ceremony: %s is not empty; choose a new directory", dir)
	}
	return nil
}

// claimDir makes dir, refusing one that already holds anything.
func claimDir(dir string) error {
	if err := checkEmpty(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("ceremony: %w", err)
	}
	return nil
}

func writeManifest(dir string, m *Manifest) error {
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("ceremony: %w", err)
	}
	return atomicfile.Write(filepath.Join(dir, ManifestFile), append(raw, '\n'), 0o644)
}

// readState reads an entry's file and checks it against the manifest. Its
// errors name the file only: Verify says which entry and wraps them in
// ErrTranscript.
func (t *Transcript) readState(e Entry, path string) ([]byte, error) {
	for _, f := range e.Files {
		if f.Path != path {
			continue
		}
		st, err := os.Stat(filepath.Join(t.Dir, path))
		if err != nil {
			return nil, err
		}
		if st.Size() != int64(f.Size) {
			return nil, fmt.Errorf("%s has %d bytes, the manifest says %d (tampered)", path, st.Size(), f.Size)
		}
		data, err := os.ReadFile(filepath.Join(t.Dir, path))
		if err != nil {
			return nil, err
		}
		if s := sum(data); hex.EncodeToString(s[:]) != f.SHA256 {
			return nil, fmt.Errorf("%s is not the file the manifest hashed (tampered)", path)
		}
		return data, nil
	}
	return nil, fmt.Errorf("the entry has no file %s", path)
}

// extend writes the transcript with one more entry into out: every file of
// this transcript, the entry's files, then the manifest (last, so that a
// directory with a manifest is whole). With key, the entry records its
// public key, which the hash covers, and a signature of the hash.
func (t *Transcript) extend(out string, e Entry, files map[string][]byte, key ed25519.PrivateKey) (*Transcript, Entry, error) {
	m := *t.Manifest
	if key != nil {
		e.Key = hex.EncodeToString(key.Public().(ed25519.PublicKey))
	}
	e = newEntry(e, m.Hash(), files)
	if key != nil {
		e.Sig = hex.EncodeToString(ed25519.Sign(key, signatureMessage(e.Hash)))
	}
	m.Entries = append(append([]Entry{}, m.Entries...), e)
	if e.Kind == KindSeal {
		m.Phase = 2
	}
	if err := claimDir(out); err != nil {
		return nil, e, err
	}
	for _, old := range t.Manifest.Entries {
		for _, f := range old.Files {
			data, err := t.readState(old, f.Path)
			if err != nil {
				return nil, e, fmt.Errorf("ceremony: %w", err)
			}
			files[f.Path] = data
		}
	}
	for p, data := range files {
		dst := filepath.Join(out, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, e, fmt.Errorf("ceremony: %w", err)
		}
		if err := atomicfile.Write(dst, data, 0o644); err != nil {
			return nil, e, err
		}
	}
	if err := writeManifest(out, &m); err != nil {
		return nil, e, err
	}
	return &Transcript{Dir: out, Manifest: &m, circuits: t.circuits}, e, nil
}

// Contribute checks the transcript, adds one unsigned contribution by name
// with fresh randomness (phase 1's τ, α, β, or a δ for every circuit in
// phase 2), and writes the extended transcript into out, a new directory.
// See ContributeSigned.
func (t *Transcript) Contribute(out, name string) (*Transcript, Entry, error) {
	return t.ContributeSigned(out, name, nil)
}

// ContributeSigned is Contribute signed with key, the contributor's
// Ed25519 identity key (nil: unsigned): the entry records the public key,
// which its hash covers, and a signature of the hash. The randomness is
// zeroed before it returns. The entry's hash is what the contributor
// publishes, to find it later in the chain.
//
// It checks the chain of hashes, every file, and every contribution of the
// current phase; in phase 2 it takes the phase 2 starts as the seal entry
// holds them, where Verify derives them again from phase 1 and its beacon
// (two FFTs per circuit, most of a replay's cost). A bad start only makes
// the final Verify fail, which Finalize runs.
func (t *Transcript) ContributeSigned(out, name string, key ed25519.PrivateKey) (*Transcript, Entry, error) {
	if err := CheckName(name); err != nil {
		return nil, Entry{}, err
	}
	if key != nil && len(key) != ed25519.PrivateKeySize {
		return nil, Entry{}, fmt.Errorf("ceremony: a signing key of %d bytes, want an Ed25519 private key (%d)", len(key), ed25519.PrivateKeySize)
	}
	if err := checkEmpty(out); err != nil {
		return nil, Entry{}, err
	}
	r, err := t.replay(false)
	if err != nil {
		return nil, Entry{}, err
	}
	e := Entry{Name: name, Index: r.Contributions() + 1}
	files := map[string][]byte{}
	if t.Manifest.Phase == 1 {
		e.Kind = KindPhase1
		next, err := contributePhase1(r.last1)
		if err != nil {
			return nil, e, err
		}
		files[phase1Path(e.Index)] = next
	} else {
		e.Kind = KindPhase2
		for _, c := range t.circuits {
			st := r.phase2[c.Name]
			if err := contributePhase2(st.p, sum(st.last)); err != nil {
				return nil, e, err
			}
			if files[phase2Path(c.Name, e.Index)], err = encodePhase2(st.p); err != nil {
				return nil, e, err
			}
		}
	}
	return t.extend(out, e, files, key)
}

// SealPhase1 verifies the transcript, closes phase 1 with a public random
// beacon (fixed after its last contribution), and writes into out the
// extended transcript in phase 2, with each circuit's initial phase 2
// state derived from the sealed powers of τ.
func (t *Transcript) SealPhase1(out string, beacon []byte) (*Transcript, Entry, error) {
	if err := CheckBeacon(beacon); err != nil {
		return nil, Entry{}, err
	}
	if t.Manifest.Phase != 1 || t.Manifest.count(KindPhase1) == 0 {
		return nil, Entry{}, fmt.Errorf("ceremony: phase 1 can be sealed only after its first contribution and before phase 2")
	}
	if err := checkEmpty(out); err != nil {
		return nil, Entry{}, err
	}
	r, err := t.Verify()
	if err != nil {
		return nil, Entry{}, err
	}
	files := map[string][]byte{}
	p1, err := r.lastPhase1()
	if err != nil {
		return nil, Entry{}, err
	}
	commons := p1.Seal(beacon)
	sts := map[string]*phase2State{}
	for _, c := range t.circuits {
		st, err := initialPhase2(c, &commons)
		if err != nil {
			return nil, Entry{}, err
		}
		files[phase2Path(c.Name, 0)] = st.last
		sts[c.Name] = st
	}
	next, e, err := t.extend(out, Entry{Kind: KindSeal, Beacon: hex.EncodeToString(beacon)}, files, nil)
	if err == nil {
		for name, st := range sts {
			starts.Store(e.Hash+"/"+name, st)
		}
	}
	return next, e, err
}

// phase2State is a circuit's phase 2 as replayed so far.
type phase2State struct {
	commons mpcsetup.SrsCommons // phase 1's sealed powers, cut to the circuit's domain
	evals   mpcsetup.Phase2Evaluations
	p       *mpcsetup.Phase2 // the last state
	last    []byte           // its encoding
}

// starts caches, per seal entry hash and circuit, the phase 2 start a
// replay derived: deriving it (gnark's Phase2.Initialize, FFTs over the
// powers of τ) is most of a replay's cost, and the seal entry's hash
// commits to every file and the beacon it derives from, which each
// replay reads and checks again.
var starts sync.Map // string → *phase2State (never handed out: cloned)

// cachedPhase2 returns initialPhase2(c, sealed()) for the seal entry whose
// hash is seal, computing it at most once per process.
func cachedPhase2(seal string, c circuit, sealed func() (*mpcsetup.SrsCommons, error)) (*phase2State, error) {
	key := seal + "/" + c.Name
	if v, ok := starts.Load(key); ok {
		return v.(*phase2State).clone()
	}
	commons, err := sealed()
	if err != nil {
		return nil, err
	}
	st, err := initialPhase2(c, commons)
	if err != nil {
		return nil, err
	}
	starts.Store(key, st)
	return st.clone()
}

// clone copies the state deep enough that sealing it (which takes Z, K
// and the evaluations' slices into the keys) leaves the original intact.
func (st *phase2State) clone() (*phase2State, error) {
	out := &phase2State{commons: st.commons, evals: st.evals, last: st.last}
	out.evals.G1.A = slices.Clone(st.evals.G1.A)
	out.evals.G1.B = slices.Clone(st.evals.G1.B)
	out.evals.G1.VKK = slices.Clone(st.evals.G1.VKK)
	out.evals.G2.B = slices.Clone(st.evals.G2.B)
	p := *st.p
	p.Parameters.G1.Z = slices.Clone(st.p.Parameters.G1.Z)
	p.Parameters.G1.PKK = slices.Clone(st.p.Parameters.G1.PKK)
	out.p = &p
	return out, nil
}

// initialPhase2 derives a circuit's phase 2 start from phase 1's sealed
// powers: the first Domain of them, enough for a circuit of that domain.
func initialPhase2(c circuit, sealed *mpcsetup.SrsCommons) (*phase2State, error) {
	n := int(c.Domain)
	st := &phase2State{p: new(mpcsetup.Phase2)}
	st.commons.G1.Tau = sealed.G1.Tau[:2*n-1]
	st.commons.G1.AlphaTau = sealed.G1.AlphaTau[:n]
	st.commons.G1.BetaTau = sealed.G1.BetaTau[:n]
	st.commons.G2.Tau = sealed.G2.Tau[:n]
	st.commons.G2.Beta = sealed.G2.Beta
	st.evals = st.p.Initialize(c.r1cs, &st.commons)
	var err error
	st.last, err = encodePhase2(st.p)
	return st, err
}

// Errors naming a transcript that is not where an operation needs it.
var (
	ErrNotSealed = errors.New("ceremony: phase 1 is not sealed yet")
	ErrNoPhase2  = errors.New("ceremony: phase 2 has no contribution yet")
)
