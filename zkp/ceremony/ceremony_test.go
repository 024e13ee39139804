package ceremony

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sable-settlement/sable/zkp"
)

var (
	beacon1 = []byte("phase 1 beacon: drand round 1001")
	beacon2 = []byte("phase 2 beacon: drand round 2002")
	banks   = []string{"bank-sg", "bank-hk", "bank-us"}
)

// signers are the contributors that sign, with keys derived from their
// names; bank-us contributes unsigned.
var signers = map[string]ed25519.PrivateKey{"bank-sg": testKey("bank-sg"), "bank-hk": testKey("bank-hk")}

func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("sable ceremony test key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// ceremonyFixture is one whole ceremony, three contributors in each phase
// (bank-sg and bank-hk signed, bank-us unsigned), shared by the tests: dirs[0] is the start, dirs[1..3] phase 1's
// contributions, dirs[4] the seal, dirs[5..7] phase 2's; keys the
// finalized keys.
type ceremonyFixture struct {
	dirs    []string
	entries []Entry // each step's entry, as Contribute and SealPhase1 returned it
	keys    string
	rec     *Record
}

var (
	fixtureOnce sync.Once
	fixture     *ceremonyFixture
	fixtureErr  error
	fixtureDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

// theCeremony runs the shared ceremony once, verifying the transcript
// after every step as each contributor (or the coordinator) would.
func theCeremony(t *testing.T) *ceremonyFixture {
	t.Helper()
	fixtureOnce.Do(func() { fixture, fixtureErr = runCeremony() })
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return fixture
}

func runCeremony() (*ceremonyFixture, error) {
	var err error
	if fixtureDir, err = os.MkdirTemp("", "sable-ceremony-test-"); err != nil {
		return nil, err
	}
	f := &ceremonyFixture{}
	dir := func() string { return filepath.Join(fixtureDir, "t"+string(rune('0'+len(f.dirs)))) }
	tr, err := Init(dir())
	if err != nil {
		return nil, err
	}
	f.dirs, f.entries = append(f.dirs, tr.Dir), append(f.entries, tr.Manifest.Entries[0])
	step := func(next func(out string) (*Transcript, Entry, error)) error {
		out := dir()
		nt, e, err := next(out)
		if err != nil {
			return err
		}
		if _, err := nt.Verify(); err != nil {
			return err
		}
		if reopened, err := Open(out); err != nil || reopened.Manifest.Hash() != e.Hash {
			return errors.Join(errors.New("the written transcript does not reopen to its last entry"), err)
		}
		tr, f.dirs, f.entries = nt, append(f.dirs, out), append(f.entries, e)
		return nil
	}
	for _, b := range banks {
		if err := step(func(out string) (*Transcript, Entry, error) { return tr.ContributeSigned(out, b, signers[b]) }); err != nil {
			return nil, err
		}
	}
	if err := step(func(out string) (*Transcript, Entry, error) { return tr.SealPhase1(out, beacon1) }); err != nil {
		return nil, err
	}
	for _, b := range banks {
		if err := step(func(out string) (*Transcript, Entry, error) { return tr.ContributeSigned(out, b, signers[b]) }); err != nil {
			return nil, err
		}
	}
	f.keys = filepath.Join(fixtureDir, "keys")
	if f.rec, err = tr.Finalize(f.keys, beacon2); err != nil {
		return nil, err
	}
	return f, nil
}

// Three contributors in each phase, each contribution verified; the chain
// links every entry to the one before, and the record lists them all.
func TestCeremonyThreeContributors(t *testing.T) {
	f := theCeremony(t)
	tr, err := Open(f.dirs[7])
	if err != nil {
		t.Fatal(err)
	}
	m := tr.Manifest
	if m.Phase != 2 || len(m.Entries) != 8 {
		t.Fatalf("phase %d with %d entries, want phase 2 with 8", m.Phase, len(m.Entries))
	}
	for i, e := range m.Entries {
		if e.Hash != f.entries[i].Hash {
			t.Errorf("entry %d hashes to %s, its contributor published %s", i, e.Hash, f.entries[i].Hash)
		}
		if i > 0 && e.Prev != m.Entries[i-1].Hash {
			t.Errorf("entry %d does not commit to entry %d", i, i-1)
		}
	}
	if len(f.rec.Contributors) != 6 || f.rec.Transcript != m.Hash() {
		t.Fatalf("record %+v does not name the transcript's six contributions", f.rec)
	}
	paths := ""
	for _, f := range m.Entries[5].Files {
		if f.Size == 0 {
			t.Errorf("phase 2 contribution has an empty file %s", f.Path)
		}
		paths += f.Path + " "
	}
	for _, c := range zkp.Circuits() {
		if !strings.Contains(paths, "/"+string(c)+"/") {
			t.Errorf("phase 2 contribution has no %s state (files %s)", c, paths)
		}
	}
}

// The final keys are zkp's key files, pass zkp's checks (the shape of the
// payload and CheckKeyPair against the verifying key), carry no BSB22
// commitment, and match the record beside them.
func TestCeremonyKeysPassZKPChecks(t *testing.T) {
	f := theCeremony(t)
	for _, c := range zkp.Circuits() {
		pkPath, vkPath := zkp.KeyPaths(f.keys, c)
		vk, err := zkp.ReadVerifyingKey(vkPath, c)
		if err != nil {
			t.Fatal(err)
		}
		pk, err := zkp.ReadProvingKey(pkPath, c)
		if err != nil {
			t.Fatal(err)
		}
		if err := zkp.CheckKeyPair(pk, vk); err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		if len(vk.Groth16().CommitmentKeys) != 0 || len(pk.Groth16().CommitmentKeys) != 0 {
			t.Fatalf("%s keys carry a BSB22 commitment", c)
		}
	}
	rec, err := ReadRecord(f.keys)
	if err != nil || rec.Hash != f.rec.Hash {
		t.Fatalf("record: %v", err)
	}
}

// Anyone can derive the keys again from the transcript and the record's
// beacon; another beacon, or keys swapped under the record, are refused.
func TestCeremonyVerifyKeys(t *testing.T) {
	f := theCeremony(t)
	tr, err := Open(f.dirs[7])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.VerifyKeys(f.keys); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "other")
	if _, err := tr.Finalize(other, []byte("a beacon the ceremony did not announce")); err != nil {
		t.Fatal(err)
	}
	// Keys from another beacon do come from the transcript, but their
	// record, which names the beacon, hashes to another genesis pin.
	t.Run("another beacon", func(t *testing.T) {
		rec, err := tr.VerifyKeys(other)
		if err != nil || rec.Hash == f.rec.Hash || rec.Beacon == f.rec.Beacon {
			t.Fatalf("keys from an unannounced beacon: %v; record %+v", err, rec)
		}
	})
	t.Run("record names another beacon", func(t *testing.T) {
		dir := copyDir(t, f.keys)
		rec := *f.rec
		rec.Beacon = hex.EncodeToString([]byte("a beacon the ceremony did not announce"))
		rec.Hash = recordHash(&rec)
		raw, _ := json.Marshal(&rec)
		if err := os.WriteFile(filepath.Join(dir, RecordFile), raw, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := tr.VerifyKeys(dir); !errors.Is(err, ErrRecord) {
			t.Fatalf("a record naming a beacon its keys do not come from: %v, want ErrRecord", err)
		}
	})
	t.Run("swapped verifying key", func(t *testing.T) {
		dir := copyDir(t, f.keys)
		_, vk := zkp.KeyPaths(other, zkp.Mint)
		_, dst := zkp.KeyPaths(dir, zkp.Mint)
		copyFile(t, vk, dst)
		if _, err := ReadRecord(dir); !errors.Is(err, ErrRecord) {
			t.Fatalf("a swapped key under the record: %v, want ErrRecord", err)
		}
	})
	t.Run("same beacon, same keys", func(t *testing.T) {
		again := filepath.Join(t.TempDir(), "again")
		rec, err := tr.Finalize(again, beacon2)
		if err != nil || rec.Hash != f.rec.Hash {
			t.Fatalf("finalize again with the announced beacon: %v, record %s want %s", err, rec.Hash, f.rec.Hash)
		}
	})
	t.Run("no record", func(t *testing.T) {
		if _, err := ReadRecord(t.TempDir()); !errors.Is(err, ErrNoRecord) || !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("no record: %v", err)
		}
	})
}

// A tampered byte is refused: in a state file (its hash no longer the
// manifest's), in the manifest's hashes (the chain breaks), and in a state
// file whose hashes the attacker rewrote along the whole chain (the
// update proofs no longer hold).
func TestCeremonyRefusesTampering(t *testing.T) {
	f := theCeremony(t)
	cases := []struct {
		name   string
		from   int
		tamper func(t *testing.T, dir string)
		want   string
	}{
		{"phase 1 state byte", 3, func(t *testing.T, dir string) { flipByte(t, filepath.Join(dir, phase1Path(2)), 5000) }, "tampered"},
		{"phase 2 state byte", 7, func(t *testing.T, dir string) {
			flipByte(t, filepath.Join(dir, phase2Path("mint", 2)), 3000)
		}, "tampered"},
		{"entry hash", 3, func(t *testing.T, dir string) {
			editManifest(t, dir, false, func(m *Manifest) { m.Entries[2].Name = "bank-xx" })
		}, "is not what it holds"},
		{"phase 1 state, chain rewritten", 3, func(t *testing.T, dir string) {
			flipByte(t, filepath.Join(dir, phase1Path(2)), 5000)
			editManifest(t, dir, true, nil)
		}, "entry 2"},
		{"phase 2 state, chain rewritten", 7, func(t *testing.T, dir string) {
			flipByte(t, filepath.Join(dir, phase2Path("transfer", 2)), 3000)
			editManifest(t, dir, true, nil)
		}, "entry 6"},
		// The phase 2 starts are not the ones phase 1 and the beacon derive.
		{"beacon changed, chain rewritten", 5, func(t *testing.T, dir string) {
			editManifest(t, dir, true, func(m *Manifest) { m.Entries[4].Beacon = hex.EncodeToString([]byte("a beacon chosen later")) })
		}, "entry 4"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, f.dirs[tc.from])
			tc.tamper(t, dir)
			wantRefused(t, dir, tc.want)
		})
	}
}

// A contribution skipped or two reordered is refused, whether the
// manifest says so (indices, links) or the attacker renumbers the files
// and rewrites the whole chain: each contribution's proof is bound to the
// hash of the state before it.
func TestCeremonyRefusesSkippedOrReordered(t *testing.T) {
	f := theCeremony(t)
	skip1 := func(m *Manifest) { m.Entries = append(m.Entries[:2], m.Entries[3:]...) }
	cases := []struct {
		name string
		from int
		edit func(t *testing.T, dir string)
		want string
	}{
		{"phase 1 skipped", 3, func(t *testing.T, dir string) { editManifest(t, dir, false, skip1) }, "reordered or skipped"},
		{"phase 1 skipped, renumbered", 3, func(t *testing.T, dir string) {
			renumber(t, dir, phase1Path, 3, 2, "")
			editManifest(t, dir, true, skip1)
		}, "challenge does not match"},
		{"phase 1 reordered", 3, func(t *testing.T, dir string) {
			swapFiles(t, dir, phase1Path(2), phase1Path(3))
			editManifest(t, dir, true, func(m *Manifest) { m.Entries[2].Name, m.Entries[3].Name = m.Entries[3].Name, m.Entries[2].Name })
		}, "entry 2"},
		{"phase 2 skipped, renumbered", 7, func(t *testing.T, dir string) {
			for _, c := range zkp.Circuits() {
				renumber(t, dir, nil, 3, 2, string(c))
			}
			editManifest(t, dir, true, func(m *Manifest) { m.Entries = append(m.Entries[:6], m.Entries[7:]...) })
		}, "challenge does not match"},
		{"phase 2 seal skipped", 5, func(t *testing.T, dir string) {
			editManifest(t, dir, true, func(m *Manifest) { m.Entries = append(m.Entries[:4], m.Entries[5:]...) })
		}, "entry 4"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, f.dirs[tc.from])
			tc.edit(t, dir)
			wantRefused(t, dir, tc.want)
		})
	}
}

// A transcript for another circuit, or for another set of circuits, is
// refused before any state is read.
func TestCeremonyRefusesOtherCircuits(t *testing.T) {
	f := theCeremony(t)
	cases := map[string]func(m *Manifest){
		"another R1CS": func(m *Manifest) {
			m.Circuits[0].R1CS = strings.Repeat("ab", 32)
		},
		"fewer constraints": func(m *Manifest) { m.Circuits[1].Constraints-- },
		"a circuit left out": func(m *Manifest) {
			m.Circuits = m.Circuits[:1]
		},
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			dir := copyDir(t, f.dirs[2])
			editManifest(t, dir, true, func(m *Manifest) {
				edit(m)
				m.Entries[0].Hash = initHash(m.Powers, m.Circuits)
			})
			_, err := Open(dir)
			if !errors.Is(err, ErrTranscript) || !strings.Contains(err.Error(), "circuit") {
				t.Fatalf("Open: %v, want a refusal naming the circuit", err)
			}
		})
	}
}

// State files are checked against the circuit's shape before gnark's
// decoder, which allocates from declared lengths, sees them.
func TestCeremonyRefusesHostileStates(t *testing.T) {
	f := theCeremony(t)
	tr, err := Open(f.dirs[7])
	if err != nil {
		t.Fatal(err)
	}
	p1, err := os.ReadFile(filepath.Join(f.dirs[7], phase1Path(1)))
	if err != nil {
		t.Fatal(err)
	}
	huge := bytes.Clone(p1)
	binary.BigEndian.PutUint64(huge[3*proofSize:], 1<<40)
	if _, err := decodePhase1(huge, tr.Manifest.Powers); !errors.Is(err, errState) {
		t.Fatalf("a phase 1 state declaring 2^40 powers: %v", err)
	}
	if _, err := decodePhase1(p1[:len(p1)-1], tr.Manifest.Powers); !errors.Is(err, errState) {
		t.Fatalf("a truncated phase 1 state: %v", err)
	}
	mint := tr.circuits[1].Shape
	p2, err := os.ReadFile(filepath.Join(f.dirs[7], phase2Path(mint.Name, 1)))
	if err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(b []byte){
		"K of 2^32 − 1 points": func(b []byte) { binary.BigEndian.PutUint32(b[2+g1Size:], 0xffffffff) },
		"a commitment":         func(b []byte) { b[1] = 1 },
		"an uncompressed point": func(b []byte) {
			b[2+g1Size+4] &= 0b0011_1111
		},
	} {
		b := bytes.Clone(p2)
		edit(b)
		if _, err := decodePhase2(b, mint, hashSize); !errors.Is(err, errState) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := decodePhase2(p2, mint, hashSize); err != nil {
		t.Fatalf("the genuine state: %v", err)
	}
}

// Each contribution draws fresh randomness: two contributions to the same
// state differ; and the steps refuse what they cannot use.
func TestCeremonyContributeAndMisuse(t *testing.T) {
	f := theCeremony(t)
	last, err := Open(f.dirs[7])
	if err != nil {
		t.Fatal(err)
	}
	_, a, err := last.Contribute(filepath.Join(t.TempDir(), "a"), "bank-th")
	if err != nil {
		t.Fatal(err)
	}
	_, b, err := last.Contribute(filepath.Join(t.TempDir(), "b"), "bank-th")
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Files {
		if a.Files[i].SHA256 == b.Files[i].SHA256 {
			t.Fatalf("two contributions to one state are the same (%s): no fresh randomness", a.Files[i].Path)
		}
	}
	tr, err := Open(f.dirs[1])
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := tr.Contribute(t.TempDir()+"/c", "bank th/../x"); err == nil {
		t.Fatal("a contributor name with a path in it is accepted")
	}
	if _, _, err := tr.SealPhase1(t.TempDir()+"/d", []byte("short")); err == nil {
		t.Fatal("an 5-byte beacon is accepted")
	}
	if _, err := tr.Finalize(t.TempDir(), beacon2); !errors.Is(err, ErrNotSealed) {
		t.Fatalf("finalize in phase 1: %v, want ErrNotSealed", err)
	}
	if _, _, err := tr.Contribute(f.dirs[2], "bank-th"); err == nil {
		t.Fatal("a contribution overwrites an existing transcript")
	}
	sealed, err := Open(f.dirs[4])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sealed.Finalize(t.TempDir(), beacon2); !errors.Is(err, ErrNoPhase2) {
		t.Fatalf("finalize without phase 2 contributions: %v, want ErrNoPhase2", err)
	}
	if _, _, err := sealed.SealPhase1(t.TempDir()+"/e", beacon1); err == nil {
		t.Fatal("phase 1 sealed twice")
	}
}

func wantRefused(t *testing.T, dir, mention string) {
	t.Helper()
	tr, err := Open(dir)
	if err == nil {
		_, err = tr.Verify()
	}
	if !errors.Is(err, ErrTranscript) {
		t.Fatalf("the transcript is accepted (%v)", err)
	}
	if !strings.Contains(err.Error(), mention) {
		t.Fatalf("refused with %q, want it to mention %q", err, mention)
	}
}

// editManifest applies edit to dir's manifest; with rechain, it then
// rehashes every file and entry as an attacker able to rewrite the whole
// manifest would, stripping the signatures it cannot make again (an entry
// still signed after a rechain is refused for its signature before the
// update proofs the rechained cases are about).
func editManifest(t *testing.T, dir string, rechain bool, edit func(m *Manifest)) {
	t.Helper()
	m, err := readManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(m)
	}
	if rechain {
		for i := 1; i < len(m.Entries); i++ {
			e, prev := m.Entries[i], m.Entries[i-1]
			switch {
			case e.Kind == prev.Kind:
				e.Index = prev.Index + 1
			case e.Kind == KindPhase2 && prev.Kind == KindSeal:
				e.Index = 1
			}
			files := map[string][]byte{}
			for _, p := range wantPaths(e, m.Circuits) {
				data, err := os.ReadFile(filepath.Join(dir, p))
				if err != nil {
					t.Fatal(err)
				}
				files[p] = data
			}
			e.Key, e.Sig = "", ""
			m.Entries[i] = newEntry(e, m.Entries[i-1].Hash, files)
		}
	}
	if err := writeManifest(dir, m); err != nil {
		t.Fatal(err)
	}
}

func flipByte(t *testing.T, path string, off int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[off] ^= 0x01
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// renumber moves state `from` to `to` (phase 1, or circuit's phase 2).
func renumber(t *testing.T, dir string, p1 func(int) string, from, to int, circuit string) {
	t.Helper()
	path := func(k int) string {
		if p1 != nil {
			return p1(k)
		}
		return phase2Path(circuit, k)
	}
	if err := os.Rename(filepath.Join(dir, path(from)), filepath.Join(dir, path(to))); err != nil {
		t.Fatal(err)
	}
}

func swapFiles(t *testing.T, dir, a, b string) {
	t.Helper()
	pa, pb := filepath.Join(dir, a), filepath.Join(dir, b)
	tmp := pa + ".swap"
	for _, mv := range [][2]string{{pa, tmp}, {pb, pa}, {tmp, pb}} {
		if err := os.Rename(mv[0], mv[1]); err != nil {
			t.Fatal(err)
		}
	}
}

func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		copyFile(t, p, filepath.Join(dst, rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Any one byte changed in a phase 2 contribution, anywhere in the file,
// is refused by the shape checks or by the update proof, without a panic.
func TestCeremonyRefusesEveryChangedByte(t *testing.T) {
	f := theCeremony(t)
	tr, err := Open(f.dirs[7])
	if err != nil {
		t.Fatal(err)
	}
	mint := tr.circuits[1].Shape
	read := func(k int) []byte {
		b, err := os.ReadFile(filepath.Join(f.dirs[7], phase2Path(mint.Name, k)))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	prev, err := decodePhase2(read(1), mint, hashSize) // Verify reads it only
	if err != nil {
		t.Fatal(err)
	}
	data := read(2)
	for i := 0; i < len(data); i += len(data)/29 + 1 {
		for _, flip := range []byte{0x01, 0x80} {
			b := bytes.Clone(data)
			b[i] ^= flip
			next, err := decodePhase2(b, mint, hashSize)
			if err == nil {
				err = prev.Verify(next)
			}
			if err == nil {
				t.Errorf("byte %d ^ %#x: the contribution still verifies", i, flip)
			}
		}
	}
}
