package baseline

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	tedwards "github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"

	"github.com/sable-settlement/sable/internal/pedersen"
)

var p = ecc.BN254.ScalarField()

// assignment commits to (bal, rBal) and (amt, rAmt) consistently.
func assignment(bal, rBal, amt, rAmt *big.Int) *Circuit {
	return &Circuit{
		Available:       constant(pedersen.Commit(bal, rBal)),
		Amount:          constant(pedersen.Commit(amt, rAmt)),
		Context:         42,
		Balance:         bal,
		BalanceBlinding: rBal,
		Value:           amt,
		Blinding:        rAmt,
	}
}

func TestBaseline(t *testing.T) {
	n := big.NewInt
	two64 := new(big.Int).Lsh(n(1), 64)
	max := new(big.Int).Sub(two64, n(1))
	rBal := new(big.Int).Sub(pedersen.Order(), n(1))
	wrongBlinding := assignment(n(1000), rBal, n(300), n(17))
	wrongBlinding.Blinding = 18
	offCurve := assignment(n(1000), rBal, n(300), n(17))
	var q tedwards.PointAffine
	q.X.SetUint64(1)
	q.Y.SetUint64(1)
	offCurve.Amount = constant(q)

	assert := test.NewAssert(t)
	assert.CheckCircuit(&Circuit{},
		test.WithValidAssignment(assignment(n(1000), rBal, n(300), n(17))),
		test.WithValidAssignment(assignment(max, rBal, max, n(0))),
		test.WithValidAssignment(assignment(max, n(0), n(1), new(big.Int).Sub(new(big.Int).Lsh(n(1), 128), n(1)))),
		test.WithValidAssignment(assignment(max, n(0), n(1), rBal)),                                  // a full-width amount blinding, ℓ − 1
		test.WithInvalidAssignment(assignment(n(1000), rBal, n(0), n(17))),                           // amt = 0
		test.WithInvalidAssignment(assignment(n(1000), rBal, n(1001), n(17))),                        // bal < amt
		test.WithInvalidAssignment(assignment(new(big.Int).Add(two64, n(1)), rBal, two64, n(17))),    // amt = 2^64
		test.WithInvalidAssignment(assignment(new(big.Int).Add(two64, n(300)), rBal, n(300), n(17))), // bal − amt = 2^64
		test.WithInvalidAssignment(wrongBlinding),
		test.WithInvalidAssignment(offCurve),
		test.WithCurves(ecc.BN254), test.WithBackends(backend.GROTH16))
}

func TestBaselineCost(t *testing.T) {
	ccs, err := frontend.Compile(p, r1cs.NewBuilder, &Circuit{})
	if err != nil {
		t.Fatal(err)
	}
	n := ccs.GetNbConstraints()
	t.Logf("baseline: %d R1CS constraints, %d BSB22 commitments", n, len(ccs.GetCommitments().CommitmentIndexes()))
	if n <= 1<<13 || n > 1<<14 {
		t.Errorf("%d constraints: the baseline is meant to need a 2^14 FFT domain", n)
	}
	if n < 8600 || n > 8750 {
		t.Errorf("%d constraints, the design measures about 8,670", n)
	}
}
