package zkp

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/sable-settlement/sable/circuits/transfer"
)

// manyTransfers is the design a batch transaction did not take: one proof
// for n payments, each payment's transfer statement as it stands (5 public
// inputs each; a chained batch would need about 2 per payment). It exists
// only to measure that design against one proof per payment, batch-verified.
type manyTransfers struct {
	P []transfer.Circuit
}

func (c *manyTransfers) Define(api frontend.API) error {
	for i := range c.P {
		if err := c.P[i].Define(api); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkBatchCircuit measures, for n payments, one proof of all n
// against n transfer proofs: proving (gnark's prover both ways) and
// verifying (one Groth16 verification against zkp.BatchVerify of n). It
// reports the ratios per payment, interleaved in one process.
//
//	go test ./zkp -run '^$' -bench BatchCircuit -benchtime 3x
func BenchmarkBatchCircuit(b *testing.B) {
	for _, n := range []int{16, 64} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { benchBatchCircuit(b, n) })
	}
}

func benchBatchCircuit(b *testing.B, n int) {
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &manyTransfers{P: make([]transfer.Circuit, n)})
	if err != nil {
		b.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		b.Fatal(err)
	}
	spk, svk, err := SetupDev(Transfer)
	if err != nil {
		b.Fatal(err)
	}
	batch := &manyTransfers{P: make([]transfer.Circuit, n)}
	pubs, singles := make([]Public, n), make([]*Proof, n)
	for i := range n {
		in := TransferInput{Balance: 1_000_000, BalanceBlinding: randScalar(b), Amount: uint64(1000 + i), AmountBlinding: randScalar(b),
			Context: NewContext("bench/batch-circuit", []byte{byte(i)})}
		pub, assignment, err := transferStatement(in)
		if err != nil {
			b.Fatal(err)
		}
		batch.P[i], pubs[i] = *assignment.(*transfer.Circuit), pub
		if _, singles[i], err = spk.ProveTransfer(in, svk); err != nil {
			b.Fatal(err)
		}
	}
	w, err := frontend.NewWitness(batch, ecc.BN254.ScalarField())
	if err != nil {
		b.Fatal(err)
	}
	public, err := w.Public()
	if err != nil {
		b.Fatal(err)
	}
	var proveOne, proveN, verifyOne, verifyN time.Duration
	for b.Loop() {
		t := time.Now()
		proof, err := groth16.Prove(ccs, pk, w)
		if err != nil {
			b.Fatal(err)
		}
		proveOne += time.Since(t)
		t = time.Now()
		if err := groth16.Verify(proof, vk, public); err != nil {
			b.Fatal(err)
		}
		verifyOne += time.Since(t)
		t = time.Now()
		for i := range n {
			in := TransferInput{Balance: 1_000_000, BalanceBlinding: randScalar(b), Amount: uint64(1000 + i), AmountBlinding: randScalar(b), Context: pubs[i].Context}
			if _, _, err := spk.ProveTransfer(in, svk); err != nil {
				b.Fatal(err)
			}
		}
		proveN += time.Since(t)
		t = time.Now()
		if err := BatchVerify(svk, pubs, singles); err != nil {
			b.Fatal(err)
		}
		verifyN += time.Since(t)
	}
	b.ReportMetric(float64(ccs.GetNbConstraints()), "constraints")
	b.ReportMetric(float64(proveOne)/float64(proveN), "prove_one/prove_n")
	b.ReportMetric(float64(verifyOne)/float64(verifyN), "verify_one/batch_verify_n")
	b.ReportMetric(float64(verifyOne.Microseconds())/float64(b.N*n), "µs_verify/payment_one_proof")
	b.ReportMetric(float64(verifyN.Microseconds())/float64(b.N*n), "µs_verify/payment_batch")
}

func randScalar(b *testing.B) *big.Int {
	r, err := rand.Int(rand.Reader, Order())
	if err != nil {
		b.Fatal(err)
	}
	return r
}
