package bench

import (
	"math/big"
	"sync"
	"testing"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// A small run of the HE harness: the aggregate opens to its commitments.
func TestHESmall(t *testing.T) {
	res, err := HE(HEOptions{Flows: 1500, Distinct: 12})
	if err != nil {
		t.Fatal(err)
	}
	if !res.AuditOK || res.AggregateFlows != 1500 || res.BytesPerFlow == 0 || res.BytesPerFlowB >= float64(res.BytesPerFlow) {
		t.Fatalf("unexpected result %+v", res)
	}
	if res.EncryptUsPerFlow <= 0 || res.AddUsPerFlow < 0 || res.DecryptAuditMs <= 0 {
		t.Fatalf("missing times %+v", res)
	}
	// A full bulk transfer fits one ciphertext, and costs less per payment
	// than a single flow.
	if res.MaxLoad < ledger.MaxBatchPayments || res.MaxLoad == 0 || res.BytesPerBulkPay > float64(res.BytesPerFlow)/ledger.MaxBatchPayments+1 {
		t.Fatalf("layout %+v", res)
	}
}

// heAggregate is an aggregate of 100,000 flows (cycling 1,024 distinct
// encryptions) with the sums it must open to.
var heAggregate = sync.OnceValues(func() (*heAgg, error) {
	p := he.DefaultParams()
	sk, pk := he.GenerateKeys(p)
	enc, ev := he.NewEncryptor(pk), he.NewEvaluator(p)
	a := &heAgg{dec: he.NewDecryptor(sk), agg: he.Zero(p), amt: new(big.Int), r: new(big.Int), com: zkp.ZeroCommitment()}
	var cts []*he.Ciphertext
	var fs []he.Flow
	for i := range 1024 {
		r, err := zkp.RandomAmountBlinding()
		if err != nil {
			return nil, err
		}
		f := he.Flow{Amount: uint64(1_000_003 * (i + 1)), Blinding: r}
		ct, err := enc.Encrypt(map[int]he.Flow{0: f})
		if err != nil {
			return nil, err
		}
		cts, fs = append(cts, ct), append(fs, f)
	}
	for i := range 100_000 {
		k := i % len(cts)
		if err := ev.Add(a.agg, cts[k]); err != nil {
			return nil, err
		}
		a.amt.Add(a.amt, new(big.Int).SetUint64(fs[k].Amount))
		a.r.Add(a.r, fs[k].Blinding)
		a.com = a.com.Add(zkp.Commit(fs[k].Amount, fs[k].Blinding))
	}
	return a, nil
})

type heAgg struct {
	dec    *he.Decryptor
	agg    *he.Ciphertext
	amt, r *big.Int
	com    zkp.Commitment
}

// BenchmarkHEDecryptAudit100k is decrypt_audit_ms: decrypt an aggregate of
// 100,000 flows, recombine, and check it against the commitment sum. The
// per-flow encrypt and add figures have their benchmarks in he/.
func BenchmarkHEDecryptAudit100k(b *testing.B) {
	a, err := heAggregate()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		sums, err := a.dec.Decrypt(a.agg)
		if err != nil {
			b.Fatal(err)
		}
		g := sums[0]
		if g.Amount.Cmp(a.amt) != 0 || !zkp.Commit(g.Amount.Uint64(), new(big.Int).Mod(g.Blinding, zkp.Order())).Equal(a.com) {
			b.Fatal("the aggregate does not open to its commitments")
		}
	}
}
