package zkp

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/witness"
	cs "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/frontend"

	"github.com/sable-settlement/sable/zkp/internal/tableprover"
)

// TableProver is the table engine: a Groth16 prover whose MSMs run over
// tables precomputed from the proving key (see zkp/internal/tableprover).
// Its proofs are ordinary Groth16 proofs under the same keys: they verify
// with gnark's groth16.Verify and VerifyingKey.Verify, and are distributed
// like gnark's (fresh r and s for every proof).
//
// The tables cost about 15 MB for the transfer circuit and a few hundred
// milliseconds to build (InitTime), or a few to load from their cache
// (ReadTableProver). A TableProver is safe for concurrent use. Prover
// picks it when it pays. WithWorkers, Tables, ProveTransferTimed,
// TransferMSMInputs and RunMSMs are measuring hooks for bench/.
type TableProver struct {
	key *ProvingKey
	t   *tableprover.Prover

	// InitTime is how long building or loading the tables took.
	InitTime time.Duration
}

// ErrUnsupportedKey reports a proving key the table engine cannot use.
var ErrUnsupportedKey = tableprover.ErrUnsupportedKey

// Errors returned when reading table files. A missing file is reported with
// an error wrapping fs.ErrNotExist.
var (
	ErrNotATablesFile  = tableprover.ErrNotATablesFile
	ErrTablesTruncated = tableprover.ErrTablesTruncated
	ErrTablesCorrupted = tableprover.ErrTablesCorrupted
	ErrTablesStale     = tableprover.ErrTablesStale
)

// TablesPath returns DIR/<circuit>.tables, the table cache beside the
// proving key of KeyPaths.
func TablesPath(dir string, c Circuit) string {
	return filepath.Join(dir, string(c)+".tables")
}

// NewTableProver builds the tables of a prover for k.
func NewTableProver(k *ProvingKey) (*TableProver, error) {
	start := time.Now()
	key, err := engineKey(k)
	if err != nil {
		return nil, err
	}
	sample, err := sampleWitness(k.circuit)
	if err != nil {
		return nil, err
	}
	t, err := tableprover.New(key, sample)
	if err != nil {
		return nil, err
	}
	return &TableProver{key: k, t: t, InitTime: time.Since(start)}, nil
}

// ReadTableProver returns a prover for k with the tables of the cache file
// at path, after checking that it was built from k and holds k's multiples
// (each refusal with its own error above); InitTime is the time it took.
func ReadTableProver(path string, k *ProvingKey) (*TableProver, error) {
	start := time.Now()
	keyHash, err := k.payloadHash()
	if err != nil {
		return nil, err
	}
	key, err := engineKey(k)
	if err != nil {
		return nil, err
	}
	t, err := tableprover.Read(path, key, keyHash)
	if err != nil {
		return nil, err
	}
	return &TableProver{key: k, t: t, InitTime: time.Since(start)}, nil
}

// WriteTables writes p's tables to path atomically, mode 0600, bound to
// the proving key by the SHA-256 of its file payload.
func (p *TableProver) WriteTables(path string) error {
	keyHash, err := p.key.payloadHash()
	if err != nil {
		return err
	}
	return p.t.Write(path, keyHash)
}

// engineKey is k in the table engine's terms: its circuit's R1CS and
// gnark's key.
func engineKey(k *ProvingKey) (tableprover.Key, error) {
	ccs, err := k.circuit.Compile()
	if err != nil {
		return tableprover.Key{}, err
	}
	r1cs, ok := ccs.(*cs.R1CS)
	if !ok {
		return tableprover.Key{}, fmt.Errorf("%w: not an R1CS", ErrUnsupportedKey)
	}
	return tableprover.Key{Name: string(k.circuit), CCS: r1cs, PK: k.pk}, nil
}

// sampleWitness returns a random valid witness of c, from which the engine
// chooses its windows: most wires are 0 or 1 (bits of the scalars the
// circuit decomposes), the rest full-width, as in every real proof.
func sampleWitness(c Circuit) (witness.Witness, error) {
	rb, err := RandomBlinding()
	if err != nil {
		return nil, err
	}
	ra, err := RandomAmountBlinding()
	if err != nil {
		return nil, err
	}
	ctx := NewContext("sable/zkp/prover-sample")
	var assignment frontend.Circuit
	switch c {
	case Transfer:
		_, assignment, err = transferStatement(TransferInput{Balance: 1 << 40, BalanceBlinding: rb, Amount: 123456789, AmountBlinding: ra, Context: ctx})
	case FX:
		_, assignment, err = fxStatement(FXInput{AmountA: 123456789, BlindingA: ra, BlindingB: rb, Rate: 134020000, Context: ctx})
	case Batch:
		in := BatchInput{Balance: 1 << 40, BalanceBlinding: rb, Context: ctx}
		for i := range BatchSize {
			r, err := RandomAmountBlinding()
			if err != nil {
				return nil, err
			}
			in.Amounts, in.AmountBlindings = append(in.Amounts, 123456789+uint64(i)), append(in.AmountBlindings, r)
		}
		_, assignment, err = batchStatement(in)
	default:
		_, assignment, err = mintStatement(MintInput{Amount: 123456789, AmountBlinding: ra, Context: ctx})
	}
	if err != nil {
		return nil, err
	}
	return frontend.NewWitness(assignment, ecc.BN254.ScalarField())
}

// Circuit returns the circuit the prover proves.
func (p *TableProver) Circuit() Circuit { return p.key.circuit }

// ProveTransfer is ProvingKey.ProveTransfer on the table engine: the same
// checks, statement and witness, and the proof is verified before it is
// returned if vk is not nil.
func (p *TableProver) ProveTransfer(in TransferInput, vk *VerifyingKey) (Public, *Proof, error) {
	if p.key.circuit != Transfer {
		return Public{}, nil, ErrWrongCircuit
	}
	pub, assignment, err := transferStatement(in)
	if err != nil {
		return Public{}, nil, err
	}
	proof, err := p.prove(assignment, pub, vk)
	return pub, proof, err
}

// ProveMint is ProvingKey.ProveMint on the table engine.
func (p *TableProver) ProveMint(in MintInput, vk *VerifyingKey) (Public, *Proof, error) {
	if p.key.circuit != Mint {
		return Public{}, nil, ErrWrongCircuit
	}
	pub, assignment, err := mintStatement(in)
	if err != nil {
		return Public{}, nil, err
	}
	proof, err := p.prove(assignment, pub, vk)
	return pub, proof, err
}

func (p *TableProver) prove(assignment frontend.Circuit, pub Public, vk *VerifyingKey) (*Proof, error) {
	w, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		return nil, fmt.Errorf("zkp: witness: %w", err)
	}
	gp, _, err := p.t.Prove(w)
	if err != nil {
		return nil, err
	}
	proof := &Proof{p: *gp}
	if err := selfCheck(vk, pub, proof); err != nil {
		return nil, err
	}
	return proof, nil
}

// WithWorkers returns a prover sharing p's tables whose MSMs use n
// goroutines (at least 1): 1 suits a proof per core in parallel.
func (p *TableProver) WithWorkers(n int) *TableProver {
	q := *p
	q.t = p.t.WithWorkers(n)
	return &q
}

// TableInfo describes one of the table engine's precomputed tables: its
// name (A, B1, B2 in G2, KZ), points, window, windows per scalar and bytes.
type TableInfo = tableprover.TableInfo

// Tables describes the prover's tables.
func (p *TableProver) Tables() []TableInfo { return p.t.Tables() }

// Timings splits one proof's time into its phases: Solve, H (the
// quotient), MSM (wall time of the MSMs and h), the CPU time of each
// table's MSM (A, B1, B2, KZ) and Finish.
type Timings = tableprover.Timings

// ProveTransferTimed is ProveTransfer without the self-check, reporting
// where the time went; for benchmarks.
func (p *TableProver) ProveTransferTimed(in TransferInput) (Public, *Proof, Timings, error) {
	if p.key.circuit != Transfer {
		return Public{}, nil, Timings{}, ErrWrongCircuit
	}
	pub, assignment, err := transferStatement(in)
	if err != nil {
		return Public{}, nil, Timings{}, err
	}
	w, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		return Public{}, nil, Timings{}, fmt.Errorf("zkp: witness: %w", err)
	}
	gp, tm, err := p.t.Prove(w)
	if err != nil {
		return pub, nil, tm, err
	}
	return pub, &Proof{p: *gp}, tm, nil
}

// MSMInputs are the scalars of one proof's multi-scalar multiplications,
// as gnark's prover and the table engine use them: A and B are the wires
// whose key points (pk.G1.A, pk.G1.B and pk.G2.B) are not at infinity, K
// the private wires (pk.G1.K) and H the coefficients of h (pk.G1.Z).
type MSMInputs = tableprover.MSMInputs

// TransferMSMInputs solves the witness of a transfer and returns its MSM
// scalars; for benchmarks that time the MSMs alone.
func (p *TableProver) TransferMSMInputs(in TransferInput) (*MSMInputs, error) {
	if p.key.circuit != Transfer {
		return nil, ErrWrongCircuit
	}
	_, assignment, err := transferStatement(in)
	if err != nil {
		return nil, err
	}
	w, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		return nil, err
	}
	return p.t.MSMInputs(w)
}

// RunMSMs runs this prover's four MSMs on in's scalars (with random r and
// s), as a proof does, and returns their times.
func (p *TableProver) RunMSMs(in *MSMInputs) Timings { return p.t.RunMSMs(in) }
