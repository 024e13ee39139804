package zkp

import (
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"sync/atomic"
	"time"
)

// Prover is Sable's one proving path: the wallet, the CLI, the demo and
// the benchmarks all prove through it. It reads each circuit's keys from a
// key directory on first use and serves every proof with the faster of two
// engines that make the same proofs under the same keys:
//
//   - tables (TableProver): MSMs over tables precomputed from the proving
//     key, about 1.8× faster per proof, but the tables (6 MB for mint, 13
//     MB for transfer) take 0.15–0.65 s to build, or 5–11 ms to load from
//     the cache beside the key (TablesPath);
//   - gnark (ProvingKey.ProveTransfer): gnark's prover, nothing to prepare.
//
// The policy, per circuit: tables from the cache whenever a valid one is
// there (loading them costs less than the first proof saves); without a
// cache, a LongRunning prover builds them at first use, and any other one
// proves with gnark until it has made buildTablesAfter(c) proofs, about what
// the build costs in what the tables save, and then builds them (the proof
// that crosses the line carries the build). Tables built this way are
// written to the cache for the next process; WriteTables writes them on
// request (after a setup, say). A cache that is missing, stale, truncated
// or corrupt is ignored, and said so in Stats; a cache that cannot be
// written is said so in Stats too, and proving goes on.
//
// On a circuit's first use the prover refuses a verifying key whose hash
// is not the one pinned for it (PinVerifyingKeys, Pin), then a proving key
// that fails CheckKeyPair against the verifying key, before any proof is
// made. Every proof is verified with the verifying key before it is
// returned. If the table engine ever makes one that does not verify, the
// proof is made again with gnark and the tables are dropped, unless
// WithEngine forced them. A Prover is safe for concurrent use.
type Prover struct {
	dir      string
	cfg      proverConfig
	circuits map[Circuit]*circuitProver
}

// Engine names what computes a proof.
type Engine string

const (
	EngineTables Engine = "tables" // TableProver
	EngineGnark  Engine = "gnark"  // gnark's prover
)

// buildTablesAfter is how many gnark proofs of c a prover that is not
// LongRunning makes before it builds c's tables. Building once gnark has
// cost about as much extra as the build (rent, then buy) costs at most
// about twice the best choice made knowing how many proofs will follow.
// Measured on the 2-core machine:
//
//   - transfer, mint, fx (bench: one_path): building costs 4 to 8.5 gnark
//     proofs and each table proof saves 0.3 to 0.45 of one, so the build
//     pays for itself after 10 to 20 proofs: 16;
//   - batch (BenchmarkBatchEngines): 85 MB of tables, built in 9.5 s, about
//     23 gnark proofs of 410 ms, and each table proof saves 0.28 of one
//     (296 against 413 ms), so the build pays for itself after about 80.
func buildTablesAfter(c Circuit) int64 {
	if c == Batch {
		return 80
	}
	return 16
}

// ProverOption configures OpenProver.
type ProverOption func(*proverConfig)

type proverConfig struct {
	engine      Engine // forced, or "" for the policy
	longRunning bool
	noCache     bool
	pins        map[Circuit][32]byte
}

// LongRunning says that the prover will make many proofs, as a sender
// does: without a cache, it builds the tables at first use.
func LongRunning() ProverOption { return func(c *proverConfig) { c.longRunning = true } }

// WithEngine forces one engine for every proof: for cross-checks and
// baselines. Forced tables are loaded from the cache or built, and a proof
// of theirs that fails its check is an error, not a reason to use gnark.
func WithEngine(e Engine) ProverOption { return func(c *proverConfig) { c.engine = e } }

// WithoutTablesCache keeps the prover from reading or writing table files.
func WithoutTablesCache() ProverOption { return func(c *proverConfig) { c.noCache = true } }

// PinVerifyingKeys pins the hashes (VerifyingKey.Hash) that circuits'
// verifying keys must have, as a chain's genesis does: a key file that
// hashes otherwise is refused before any proof is made. Pins of circuits
// Sable does not have are ignored.
func PinVerifyingKeys(pins map[Circuit][32]byte) ProverOption {
	return func(c *proverConfig) { c.pins = pins }
}

// OpenProver returns the prover for the keys in dir (KeyPaths and
// TablesPath). It reads nothing until a circuit is first used.
func OpenProver(dir string, opts ...ProverOption) *Prover {
	p := &Prover{dir: dir, circuits: map[Circuit]*circuitProver{}}
	for _, o := range opts {
		o(&p.cfg)
	}
	for _, c := range Circuits() {
		cp := &circuitProver{circuit: c}
		if h, ok := p.cfg.pins[c]; ok {
			cp.pinned = &h
		}
		p.circuits[c] = cp
	}
	return p
}

// Pin pins verifying-key hashes like PinVerifyingKeys, on a prover already
// open: a sender learns them from the chain only when it first proves. A
// circuit whose keys are loaded is checked at once, and on a mismatch its
// keys are dropped, so that no further proof is made with them. A circuit
// pinned already cannot be pinned to another hash.
func (p *Prover) Pin(pins map[Circuit][32]byte) error {
	for c := range pins {
		if _, err := p.circuit(c); err != nil {
			return err
		}
	}
	for _, c := range Circuits() {
		if h, ok := pins[c]; ok {
			if err := p.pin(p.circuits[c], h); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *Prover) pin(cp *circuitProver, h [32]byte) error {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if cp.pinned != nil && *cp.pinned != h {
		return fmt.Errorf("zkp: the %s verifying key is pinned to %x already, not to %x", cp.circuit, *cp.pinned, h)
	}
	cp.pinned = &h
	kp := cp.keys.Load()
	if kp == nil {
		return nil
	}
	_, vkPath := KeyPaths(p.dir, cp.circuit)
	if err := checkPin(vkPath, kp.vk, h); err != nil {
		cp.keys.Store(nil)
		cp.tables.Store(nil)
		return err
	}
	return nil
}

// ProverStats says how a circuit's proofs are served, for reports. It
// holds no secret.
type ProverStats struct {
	Engine      Engine        // of the next proof; "" before the circuit's first use
	Tables      string        // where the tables came from: "cache", "built", or ""
	KeysTime    time.Duration // reading the proving and verifying keys and checking them
	TablesTime  time.Duration // loading or building the tables
	TableProofs int64         // proofs served by each engine
	GnarkProofs int64
	CacheErr    error // why the cache was not used or not written, if it was not
	TablesErr   error // why the tables were not built or were dropped, if so
}

// circuitProver is one circuit's keys, tables and counters.
type circuitProver struct {
	circuit Circuit
	mu      sync.Mutex              // serialises loading keys and building tables
	pinned  *[32]byte               // the verifying key's hash, if pinned; under mu
	keys    atomic.Pointer[keyPair] // nil until loaded, and checked
	tables  atomic.Pointer[TableProver]
	failed  atomic.Bool // the tables made a bad proof: do not build again

	tableProofs, gnarkProofs atomic.Int64

	statsMu sync.Mutex
	stats   ProverStats
}

type keyPair struct {
	pk *ProvingKey
	vk *VerifyingKey
}

// Keys returns the proving and verifying keys of circuit c. On first use it
// reads them, checks them (the pin, CheckKeyPair) and sets up c's engine
// (which may load or build tables); a failure is retried on the next call.
func (p *Prover) Keys(c Circuit) (*ProvingKey, *VerifyingKey, error) {
	cp, err := p.circuit(c)
	if err != nil {
		return nil, nil, err
	}
	kp, err := p.load(cp)
	if err != nil {
		return nil, nil, err
	}
	return kp.pk, kp.vk, nil
}

// Engine returns the engine that will serve c's next proof, or "" if c has
// not been used yet.
func (p *Prover) Engine(c Circuit) Engine { return p.Stats(c).Engine }

// Stats reports how c's proofs are served.
func (p *Prover) Stats(c Circuit) ProverStats {
	cp, ok := p.circuits[c]
	if !ok {
		return ProverStats{}
	}
	cp.statsMu.Lock()
	s := cp.stats
	cp.statsMu.Unlock()
	switch {
	case cp.keys.Load() == nil:
		s.Engine = ""
	case cp.tables.Load() != nil:
		s.Engine = EngineTables
	default:
		s.Engine = EngineGnark
	}
	s.TableProofs, s.GnarkProofs = cp.tableProofs.Load(), cp.gnarkProofs.Load()
	return s
}

// ProveTransfer proves a transfer (see ProvingKey.ProveTransfer for the
// statement) and verifies the proof before returning it.
func (p *Prover) ProveTransfer(in TransferInput) (Public, *Proof, error) {
	return p.prove(Transfer,
		func(t *TableProver, vk *VerifyingKey) (Public, *Proof, error) { return t.ProveTransfer(in, vk) },
		func(k *ProvingKey, vk *VerifyingKey) (Public, *Proof, error) { return k.ProveTransfer(in, vk) })
}

// ProveMint proves a mint and verifies the proof before returning it.
func (p *Prover) ProveMint(in MintInput) (Public, *Proof, error) {
	return p.prove(Mint,
		func(t *TableProver, vk *VerifyingKey) (Public, *Proof, error) { return t.ProveMint(in, vk) },
		func(k *ProvingKey, vk *VerifyingKey) (Public, *Proof, error) { return k.ProveMint(in, vk) })
}

type (
	tableProof func(*TableProver, *VerifyingKey) (Public, *Proof, error)
	gnarkProof func(*ProvingKey, *VerifyingKey) (Public, *Proof, error)
)

func (p *Prover) prove(c Circuit, withTables tableProof, withGnark gnarkProof) (Public, *Proof, error) {
	cp, err := p.circuit(c)
	if err != nil {
		return Public{}, nil, err
	}
	kp, err := p.load(cp)
	if err != nil {
		return Public{}, nil, err
	}
	if t := cp.tables.Load(); t != nil {
		pub, proof, err := withTables(t, kp.vk)
		if err == nil {
			cp.tableProofs.Add(1)
		}
		if !errors.Is(err, ErrInvalidProof) || p.cfg.engine == EngineTables {
			return pub, proof, err
		}
		// The tables made a proof that does not verify: stop using them.
		// If gnark's proof does not verify either, the keys disagree.
		cp.failed.Store(true)
		cp.tables.CompareAndSwap(t, nil)
		cp.setStats(func(s *ProverStats) { s.TablesErr = fmt.Errorf("zkp: tables dropped: %w", err) })
	}
	pub, proof, err := withGnark(kp.pk, kp.vk)
	if err == nil && cp.gnarkProofs.Add(1) == buildTablesAfter(c) && p.cfg.engine == "" && !cp.failed.Load() {
		p.buildTables(cp, kp.pk)
	}
	return pub, proof, err
}

func (p *Prover) circuit(c Circuit) (*circuitProver, error) {
	cp, ok := p.circuits[c]
	if !ok {
		return nil, fmt.Errorf("zkp: unknown circuit %q", c)
	}
	return cp, nil
}

// load reads and checks cp's keys on first use and sets up its engine by
// the policy.
func (p *Prover) load(cp *circuitProver) (*keyPair, error) {
	if kp := cp.keys.Load(); kp != nil {
		return kp, nil
	}
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if kp := cp.keys.Load(); kp != nil {
		return kp, nil
	}
	if e := p.cfg.engine; e != "" && e != EngineTables && e != EngineGnark {
		return nil, fmt.Errorf("zkp: unknown proving engine %q", e)
	}
	start := time.Now()
	pkPath, vkPath := KeyPaths(p.dir, cp.circuit)
	vk, err := ReadVerifyingKey(vkPath, cp.circuit)
	if err != nil {
		return nil, err
	}
	if cp.pinned != nil {
		if err := checkPin(vkPath, vk, *cp.pinned); err != nil {
			return nil, err
		}
	}
	pk, err := ReadProvingKey(pkPath, cp.circuit)
	if err != nil {
		return nil, err
	}
	if err := CheckKeyPair(pk, vk); err != nil {
		return nil, fmt.Errorf("%w (%s against %s)", err, pkPath, vkPath)
	}
	cp.setStats(func(s *ProverStats) { s.KeysTime = time.Since(start) })
	if p.cfg.engine != EngineGnark {
		if err := p.setUpTables(cp, pk); err != nil {
			return nil, err
		}
	}
	kp := &keyPair{pk: pk, vk: vk}
	cp.keys.Store(kp)
	return kp, nil
}

// setUpTables loads the tables from the cache, or builds them if the
// prover is LongRunning or forced onto the table engine. Only a forced
// engine makes a failure an error. Called with cp.mu held.
func (p *Prover) setUpTables(cp *circuitProver, pk *ProvingKey) error {
	if !p.cfg.noCache {
		t, err := ReadTableProver(TablesPath(p.dir, cp.circuit), pk)
		if err == nil {
			cp.tables.Store(t)
			cp.setStats(func(s *ProverStats) { s.Tables, s.TablesTime = "cache", t.InitTime })
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			cp.setStats(func(s *ProverStats) { s.CacheErr = fmt.Errorf("zkp: table cache ignored: %w", err) })
		}
	}
	if p.cfg.engine != EngineTables && !p.cfg.longRunning {
		return nil
	}
	if err := p.buildTablesLocked(cp, pk); err != nil && p.cfg.engine == EngineTables {
		return err
	}
	return nil
}

// buildTables builds cp's tables, unless another goroutine has.
func (p *Prover) buildTables(cp *circuitProver, pk *ProvingKey) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if cp.tables.Load() == nil {
		p.buildTablesLocked(cp, pk)
	}
}

// buildTablesLocked builds the tables, puts them in use and writes the
// cache. A cache that cannot be written is reported in Stats only. Called
// with cp.mu held.
func (p *Prover) buildTablesLocked(cp *circuitProver, pk *ProvingKey) error {
	t, err := NewTableProver(pk)
	if err != nil {
		cp.setStats(func(s *ProverStats) { s.TablesErr = err })
		return err
	}
	cp.tables.Store(t)
	cp.setStats(func(s *ProverStats) { s.Tables, s.TablesTime = "built", t.InitTime })
	if !p.cfg.noCache {
		if err := t.WriteTables(TablesPath(p.dir, cp.circuit)); err != nil {
			cp.setStats(func(s *ProverStats) { s.CacheErr = err })
		}
	}
	return nil
}

// WriteTables writes c's table cache (TablesPath), building the tables if
// the prover has none, and puts them in use unless gnark was forced. It is
// for a setup or an installer, so that a one-shot prover finds the cache.
func (p *Prover) WriteTables(c Circuit) error {
	cp, err := p.circuit(c)
	if err != nil {
		return err
	}
	kp, err := p.load(cp)
	if err != nil {
		return err
	}
	cp.mu.Lock()
	defer cp.mu.Unlock()
	t := cp.tables.Load()
	if t == nil {
		if t, err = NewTableProver(kp.pk); err != nil {
			return err
		}
	}
	if err := t.WriteTables(TablesPath(p.dir, c)); err != nil {
		return err
	}
	if p.cfg.engine != EngineGnark && cp.tables.CompareAndSwap(nil, t) {
		cp.setStats(func(s *ProverStats) { s.Tables, s.TablesTime = "built", t.InitTime })
	}
	return nil
}

func (cp *circuitProver) setStats(f func(*ProverStats)) {
	cp.statsMu.Lock()
	f(&cp.stats)
	cp.statsMu.Unlock()
}
