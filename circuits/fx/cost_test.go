package fx

import (
	"testing"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
)

// documentedConstraints is the count stated, with its breakdown, in the package doc.
const documentedConstraints = 2031

func TestCost(t *testing.T) {
	ccs, err := frontend.Compile(p, r1cs.NewBuilder, &Circuit{})
	if err != nil {
		t.Fatal(err)
	}
	n := ccs.GetNbConstraints()
	t.Logf("fx: %d R1CS constraints, %d wires", n, ccs.GetNbInternalVariables()+ccs.GetNbSecretVariables()+ccs.GetNbPublicVariables())
	if n > 1<<11 {
		t.Errorf("%d constraints no longer fit the 2^11 FFT domain", n)
	}
	if n != documentedConstraints {
		t.Errorf("%d constraints, the package doc says %d: update the breakdown", n, documentedConstraints)
	}
	if c := ccs.GetCommitments().CommitmentIndexes(); len(c) != 0 {
		t.Errorf("%d BSB22 commitments: exported proofs would not verify in standard Groth16 verifiers", len(c))
	}
	if got := ccs.GetNbPublicVariables(); got != 1+6 {
		t.Errorf("%d public variables, want the constant 1 and 6 inputs", got)
	}
}
