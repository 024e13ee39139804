package zkp

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"testing"
)

// keyDir writes the dev keys of circuits to a fresh directory.
func keyDir(t *testing.T, circuits ...Circuit) string {
	t.Helper()
	dir := t.TempDir()
	for _, c := range circuits {
		pk, vk := setupFor(t, c)
		pkPath, vkPath := KeyPaths(dir, c)
		if err := WriteProvingKey(pkPath, pk); err != nil {
			t.Fatal(err)
		}
		if err := WriteVerifyingKey(vkPath, vk); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// proveWith proves one statement of circuit c with p and checks the proof
// with both verifiers.
func proveWith(t *testing.T, p *Prover, c Circuit, i int) {
	t.Helper()
	_, vk := setupFor(t, c)
	if err := proveAndVerify(p, vk, randomTransfer(t, i)); err != nil {
		t.Fatal(err)
	}
}

// proveAndVerify proves in (or its amount, as a mint, for vk's circuit)
// with p and checks the proof with both verifiers.
func proveAndVerify(p *Prover, vk *VerifyingKey, in TransferInput) error {
	var pub Public
	var proof *Proof
	var err error
	switch vk.Circuit() {
	case Transfer:
		pub, proof, err = p.ProveTransfer(in)
	case FX:
		pub, proof, err = p.ProveFX(fxOf(in))
	case Batch:
		pub, proof, err = p.ProveBatch(batchOf(in))
	default:
		pub, proof, err = p.ProveMint(MintInput{Amount: in.Amount, AmountBlinding: in.AmountBlinding, Context: in.Context})
	}
	if err != nil {
		return fmt.Errorf("%s: %w", vk.Circuit(), err)
	}
	if err := verifyBoth(pub, proof, vk); err != nil {
		return fmt.Errorf("%s: %w", vk.Circuit(), err)
	}
	return nil
}

func TestProverEngines(t *testing.T) {
	dir := keyDir(t, Circuits()...)
	for _, e := range []Engine{EngineTables, EngineGnark} {
		p := OpenProver(dir, WithEngine(e), WithoutTablesCache())
		for _, c := range Circuits() {
			if got := p.Engine(c); got != "" {
				t.Fatalf("%s before first use: engine %q", c, got)
			}
			proveWith(t, p, c, 1)
			proveWith(t, p, c, 2)
			s := p.Stats(c)
			if s.Engine != e {
				t.Fatalf("%s forced to %s: served by %s", c, e, s.Engine)
			}
			if n := map[Engine]int64{EngineTables: s.TableProofs, EngineGnark: s.GnarkProofs}[e]; n != 2 {
				t.Fatalf("%s: %d proofs counted on %s, want 2", c, n, e)
			}
		}
	}
	if _, err := os.Stat(TablesPath(dir, Transfer)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("a prover without the cache wrote one")
	}
	if _, _, err := OpenProver(dir, WithEngine("fast")).Keys(Mint); err == nil {
		t.Fatal("an unknown engine is accepted")
	}
}

// A one-shot prover uses the cache when there is one, gnark otherwise; a
// long-running one builds the tables and writes the cache.
func TestProverPolicy(t *testing.T) {
	dir := keyDir(t, Mint)
	oneShot := OpenProver(dir)
	proveWith(t, oneShot, Mint, 1)
	if s := oneShot.Stats(Mint); s.Engine != EngineGnark || s.CacheErr != nil || s.Tables != "" {
		t.Fatalf("one-shot without a cache: %+v", s)
	}

	long := OpenProver(dir, LongRunning())
	proveWith(t, long, Mint, 2)
	if s := long.Stats(Mint); s.Engine != EngineTables || s.Tables != "built" || s.CacheErr != nil {
		t.Fatalf("long-running: %+v", s)
	}

	again := OpenProver(dir)
	proveWith(t, again, Mint, 3)
	if s := again.Stats(Mint); s.Engine != EngineTables || s.Tables != "cache" || s.TableProofs != 1 {
		t.Fatalf("one-shot with the cache: %+v", s)
	}
	if s := OpenProver(dir, WithEngine(EngineGnark)); s.Engine(Mint) != "" {
		t.Fatal("engine before first use")
	}
}

// Without the cache and without LongRunning, the prover builds the tables
// once it has made buildTablesAfter(Mint) proofs with gnark.
func TestProverBuildsWhenItPays(t *testing.T) {
	dir := keyDir(t, Mint)
	p := OpenProver(dir)
	for i := range int(buildTablesAfter(Mint)) {
		if e := p.Engine(Mint); i > 0 && e != EngineGnark {
			t.Fatalf("proof %d: engine %s", i, e)
		}
		proveWith(t, p, Mint, i)
	}
	s := p.Stats(Mint)
	if s.Engine != EngineTables || s.Tables != "built" || s.GnarkProofs != buildTablesAfter(Mint) {
		t.Fatalf("after %d proofs: %+v", buildTablesAfter(Mint), s)
	}
	if _, err := os.Stat(TablesPath(dir, Mint)); err != nil {
		t.Fatalf("no cache written: %v", err)
	}
	proveWith(t, p, Mint, 99)
	if s := p.Stats(Mint); s.TableProofs != 1 {
		t.Fatalf("%+v", s)
	}
}

// WriteTables writes the cache a later one-shot prover loads.
func TestProverWriteTables(t *testing.T) {
	dir := keyDir(t, Mint)
	if err := OpenProver(dir, WithEngine(EngineGnark)).WriteTables(Mint); err != nil {
		t.Fatal(err)
	}
	p := OpenProver(dir)
	proveWith(t, p, Mint, 1)
	if s := p.Stats(Mint); s.Tables != "cache" {
		t.Fatalf("%+v", s)
	}
}

var foreign = sync.OnceValues(func() (*TableProver, error) {
	other, _, err := SetupDev(Mint)
	if err != nil {
		return nil, err
	}
	return NewTableProver(other)
})

// foreignTables returns mint tables built from another setup's key than
// setupFor's.
func foreignTables(t *testing.T) *TableProver {
	t.Helper()
	p, err := foreign()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A bad cache is reported and ignored; proving works; a long-running
// prover replaces it.
func TestProverBadCache(t *testing.T) {
	stale := foreignTables(t)
	for _, tc := range []struct {
		name  string
		write func(path string, good []byte) error
		want  error
	}{
		{"truncated", func(path string, good []byte) error { return os.WriteFile(path, good[:len(good)/3], 0o600) }, ErrTablesTruncated},
		{"corrupt", func(path string, good []byte) error {
			b := append([]byte(nil), good...)
			b[len(b)-100] ^= 0x80
			return os.WriteFile(path, b, 0o600)
		}, ErrTablesCorrupted},
		{"stale", func(path string, _ []byte) error { return stale.WriteTables(path) }, ErrTablesStale},
		{"garbage", func(path string, _ []byte) error { return os.WriteFile(path, []byte("not tables"), 0o600) }, ErrNotATablesFile},
	} {
		dir, good := tablesFile(t, Mint)
		path := TablesPath(dir, Mint)
		if err := tc.write(path, good); err != nil {
			t.Fatal(err)
		}
		p := OpenProver(dir)
		proveWith(t, p, Mint, 1)
		if s := p.Stats(Mint); s.Engine != EngineGnark || !errors.Is(s.CacheErr, tc.want) {
			t.Fatalf("%s: %+v, want a cache error %v", tc.name, s, tc.want)
		}
		long := OpenProver(dir, LongRunning())
		proveWith(t, long, Mint, 2)
		if s := long.Stats(Mint); s.Tables != "built" || !errors.Is(s.CacheErr, tc.want) {
			t.Fatalf("%s, long-running: %+v", tc.name, s)
		}
		if _, err := ReadTableProver(path, long.circuits[Mint].keys.Load().pk); err != nil {
			t.Fatalf("%s: the rebuilt cache does not load: %v", tc.name, err)
		}
	}
}

// Tables that make a bad proof are dropped and the proof is made again with
// gnark; forced tables report the failure instead.
func TestProverDropsBadTables(t *testing.T) {
	dir := keyDir(t, Mint)
	bad := foreignTables(t) // its proofs do not verify under dir's keys

	p := OpenProver(dir, WithoutTablesCache())
	if _, _, err := p.Keys(Mint); err != nil {
		t.Fatal(err)
	}
	p.circuits[Mint].tables.Store(bad)
	proveWith(t, p, Mint, 1)
	s := p.Stats(Mint)
	if s.Engine != EngineGnark || s.GnarkProofs != 1 || !errors.Is(s.TablesErr, ErrInvalidProof) {
		t.Fatalf("%+v", s)
	}

	forced := OpenProver(dir, WithEngine(EngineTables), WithoutTablesCache())
	if _, _, err := forced.Keys(Mint); err != nil {
		t.Fatal(err)
	}
	forced.circuits[Mint].tables.Store(bad)
	in := randomTransfer(t, 2)
	if _, _, err := forced.ProveMint(MintInput{Amount: in.Amount, AmountBlinding: in.AmountBlinding, Context: in.Context}); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("forced tables: got %v, want ErrInvalidProof", err)
	}
}

// Missing keys are an error that a later call, once the keys exist, does
// not repeat.
func TestProverMissingKeys(t *testing.T) {
	dir := t.TempDir()
	p := OpenProver(dir)
	if _, _, err := p.Keys(Mint); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v, want a missing file", err)
	}
	if _, _, err := p.ProveTransfer(randomTransfer(t, 1)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v, want a missing file", err)
	}
	pk, vk := setupFor(t, Mint)
	pkPath, vkPath := KeyPaths(dir, Mint)
	if err := WriteProvingKey(pkPath, pk); err != nil {
		t.Fatal(err)
	}
	if err := WriteVerifyingKey(vkPath, vk); err != nil {
		t.Fatal(err)
	}
	proveWith(t, p, Mint, 1)
}

// One prover, several goroutines, both circuits, from the first use: the
// keys are read and the tables built once, and every proof verifies.
func TestProverConcurrent(t *testing.T) {
	dir := keyDir(t, Transfer, Mint)
	p := OpenProver(dir, LongRunning())
	_, tvk := setupFor(t, Transfer)
	_, mvk := setupFor(t, Mint)
	errs := make([]error, 6)
	var wg sync.WaitGroup
	for i := range errs {
		vk, in := tvk, randomTransfer(t, i)
		if i%2 == 1 {
			vk = mvk
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = proveAndVerify(p, vk, in)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for _, c := range []Circuit{Transfer, Mint} {
		s := p.Stats(c)
		if s.Engine != EngineTables || s.TableProofs != 3 || s.GnarkProofs != 0 {
			t.Fatalf("%s: %+v", c, s)
		}
	}
}
