package zkp

import (
	"fmt"
	"sync"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/logger"

	"github.com/sable-settlement/sable/circuits/batch"
	"github.com/sable-settlement/sable/circuits/fx"
	"github.com/sable-settlement/sable/circuits/mint"
	"github.com/sable-settlement/sable/circuits/transfer"
)

func init() {
	// gnark logs every setup, proof and verification at debug level; Sable
	// reports what matters itself and must never log witness material.
	logger.Disable()
}

// Circuit names one of Sable's circuits.
type Circuit string

const (
	Transfer Circuit = "transfer"
	Mint     Circuit = "mint"
	FX       Circuit = "fx"
	Batch    Circuit = "batch"
)

// Circuits lists every circuit, in a stable order.
func Circuits() []Circuit { return []Circuit{Transfer, Mint, FX, Batch} }

// ParseCircuit checks a circuit name.
func ParseCircuit(s string) (Circuit, error) {
	for _, c := range Circuits() {
		if string(c) == s {
			return c, nil
		}
	}
	return "", fmt.Errorf("zkp: unknown circuit %q (want transfer, mint, fx or batch)", s)
}

// PublicInputs returns the number of public inputs of c (x and y count once
// each for a point).
func (c Circuit) PublicInputs() int {
	switch c {
	case Transfer:
		return 5
	case FX:
		return 6
	case Batch:
		return 2 + 2*BatchSize + 1
	}
	return 3
}

// TablesAtSetup says whether a setup should write c's table cache
// (Prover.WriteTables) beside its keys, so that a one-shot command proves
// with the table engine from its first proof. It should for transfer, mint
// and fx, whose tables (6–15 MB) build in under a second. Not for batch:
// its 85 MB of tables take 9.5 s to build on two cores, which would more
// than double the setup, while a one-shot command saves 0.12 s per batch
// proof with them; a prover builds them when they pay (buildTablesAfter)
// and then writes the cache itself.
func (c Circuit) TablesAtSetup() bool { return c != Batch }

func (c Circuit) definition() frontend.Circuit {
	switch c {
	case Transfer:
		return &transfer.Circuit{}
	case FX:
		return &fx.Circuit{}
	case Batch:
		return &batch.Circuit{}
	}
	return &mint.Circuit{}
}

var compiled sync.Map // Circuit → *compiledCircuit

type compiledCircuit struct {
	once sync.Once
	cs   constraint.ConstraintSystem
	err  error
}

// Compile returns c's R1CS, compiled once per process.
func (c Circuit) Compile() (constraint.ConstraintSystem, error) {
	v, _ := compiled.LoadOrStore(c, &compiledCircuit{})
	cc := v.(*compiledCircuit)
	cc.once.Do(func() {
		cc.cs, cc.err = frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c.definition())
		if cc.err != nil {
			cc.err = fmt.Errorf("zkp: compile %s: %w", c, cc.err)
		}
	})
	return cc.cs, cc.err
}
