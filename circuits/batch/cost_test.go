package batch

import (
	"testing"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
)

// documentedConstraints is the count stated, with its breakdown, in the package doc.
const documentedConstraints = 16267

func TestCost(t *testing.T) {
	ccs, err := frontend.Compile(p, r1cs.NewBuilder, &Circuit{})
	if err != nil {
		t.Fatal(err)
	}
	n, pub := ccs.GetNbConstraints(), ccs.GetNbPublicVariables()
	t.Logf("batch: %d R1CS constraints, %d public variables, %d wires, %.1f constraints per payment",
		n, pub, ccs.GetNbInternalVariables()+ccs.GetNbSecretVariables()+pub, float64(n)/Size)
	// snarkjs adds a constraint per public input (and the constant), so
	// both counts must fit the domain for exported keys to stay at 2^14.
	if n+pub > 1<<14 {
		t.Errorf("%d constraints + %d public variables no longer fit the 2^14 FFT domain", n, pub)
	}
	if n != documentedConstraints {
		t.Errorf("%d constraints, the package doc says %d: update the breakdown", n, documentedConstraints)
	}
	if c := ccs.GetCommitments().CommitmentIndexes(); len(c) != 0 {
		t.Errorf("%d BSB22 commitments: exported proofs would not verify in standard Groth16 verifiers", len(c))
	}
	if want := 1 + 2 + 2*Size + 1; pub != want {
		t.Errorf("%d public variables, want the constant 1 and %d inputs", pub, want-1)
	}
}
