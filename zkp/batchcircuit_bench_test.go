package zkp

import (
	"crypto/rand"
	"math/big"
	"sync"
	"testing"
	"time"
)

// BenchmarkBatchCircuit measures the batch circuit against today's path,
// per payment, interleaved in one process: one batch proof of BatchSize
// payments against BatchSize transfer proofs (gnark's prover both ways),
// and the verifier's work for 16 batch proofs (256 payments) against 256
// transfer proofs: decoding the proofs (DecodeProof, whose G2 subgroup
// check dominates) and BatchVerify. It reports the ratios batch/transfer
// per payment, the constraint counts and the proof bytes per payment.
//
//	go test ./zkp -run '^$' -bench BatchCircuit -benchtime 3x
func BenchmarkBatchCircuit(b *testing.B) {
	const proofs = 16 // batch proofs per verification: 16·BatchSize payments
	payments := proofs * BatchSize
	bpk, bvk := setupFor(b, Batch)
	tpk, tvk := setupFor(b, Transfer)

	batchIn := make([]BatchInput, proofs)
	bpubs, bproofs := make([]Public, proofs), make([][ProofSize]byte, proofs)
	for j := range batchIn {
		batchIn[j] = randomBatch(b, BatchSize, uint64(j))
		pub, p, err := bpk.ProveBatch(batchIn[j], bvk)
		if err != nil {
			b.Fatal(err)
		}
		bpubs[j], bproofs[j] = pub, p.Bytes()
	}
	transferIn := make([]TransferInput, payments)
	tpubs, tproofs := make([]Public, payments), make([][ProofSize]byte, payments)
	for j := range transferIn {
		transferIn[j] = benchTransfer(b, j)
		pub, p, err := tpk.ProveTransfer(transferIn[j], tvk)
		if err != nil {
			b.Fatal(err)
		}
		tpubs[j], tproofs[j] = pub, p.Bytes()
	}

	var proveB, proveT, decodeB, decodeT, verifyB, verifyT time.Duration
	for b.Loop() {
		t := time.Now()
		if _, _, err := bpk.ProveBatch(batchIn[0], nil); err != nil {
			b.Fatal(err)
		}
		proveB += time.Since(t)
		t = time.Now()
		for i := range BatchSize {
			if _, _, err := tpk.ProveTransfer(transferIn[i], nil); err != nil {
				b.Fatal(err)
			}
		}
		proveT += time.Since(t)

		d, v := decodeAndVerify(b, bvk, bpubs, bproofs)
		decodeB, verifyB = decodeB+d, verifyB+v
		d, v = decodeAndVerify(b, tvk, tpubs, tproofs)
		decodeT, verifyT = decodeT+d, verifyT+v
	}
	bccs, _ := Batch.Compile()
	tccs, _ := Transfer.Compile()
	b.ReportMetric(float64(bccs.GetNbConstraints()), "constraints_batch")
	b.ReportMetric(float64(tccs.GetNbConstraints()), "constraints_transfer")
	b.ReportMetric(float64(proveB)/float64(proveT), "prove_batch/transfers")
	b.ReportMetric(float64(verifyB)/float64(verifyT), "batchverify_batch/transfers")
	b.ReportMetric(float64(decodeB+verifyB)/float64(decodeT+verifyT), "decode+verify_batch/transfers")
	n := float64(b.N)
	b.ReportMetric(float64(proveB.Microseconds())/n/BatchSize, "µs_prove/payment_batch")
	b.ReportMetric(float64(proveT.Microseconds())/n/BatchSize, "µs_prove/payment_transfer")
	b.ReportMetric(float64((decodeB+verifyB).Microseconds())/n/float64(payments), "µs_verify/payment_batch")
	b.ReportMetric(float64((decodeT+verifyT).Microseconds())/n/float64(payments), "µs_verify/payment_transfer")
	b.ReportMetric(float64(decodeT.Microseconds())/n/float64(payments), "µs_decode/proof")
	b.ReportMetric(float64(ProofSize)/BatchSize, "proof_bytes/payment_batch")
}

// decodeAndVerify decodes the proofs as a validator does and batch-verifies
// them, returning both times.
func decodeAndVerify(b *testing.B, vk *VerifyingKey, pubs []Public, raw [][ProofSize]byte) (decode, verify time.Duration) {
	t := time.Now()
	proofs := make([]*Proof, len(raw))
	for i := range raw {
		p, err := DecodeProof(raw[i][:])
		if err != nil {
			b.Fatal(err)
		}
		proofs[i] = p
	}
	decode = time.Since(t)
	t = time.Now()
	if err := BatchVerify(vk, pubs, proofs); err != nil {
		b.Fatal(err)
	}
	return decode, time.Since(t)
}

// benchTransfer is a transfer of 1000 + 7i, the i-th amount of a batch.
func benchTransfer(b *testing.B, i int) TransferInput {
	return TransferInput{Balance: 1 << 40, BalanceBlinding: randScalar(b), Amount: 1000 + 7*uint64(i%BatchSize), AmountBlinding: randScalar(b),
		Context: NewContext("bench/batch-circuit", []byte{byte(i), byte(i >> 8)})}
}

// BenchmarkBatchEngines measures the batch circuit's proof on the table
// engine against gnark's, interleaved, and what its tables cost: build,
// bytes, write and load from the cache.
//
//	go test ./zkp -run '^$' -bench BatchEngines -benchtime 5x
func BenchmarkBatchEngines(b *testing.B) {
	pk, _ := setupFor(b, Batch)
	in := randomBatch(b, BatchSize, 0)
	start := time.Now()
	tp, err := NewTableProver(pk)
	if err != nil {
		b.Fatal(err)
	}
	build := time.Since(start)
	path := TablesPath(b.TempDir(), Batch)
	start = time.Now()
	if err := tp.WriteTables(path); err != nil {
		b.Fatal(err)
	}
	write := time.Since(start)
	start = time.Now()
	if _, err := ReadTableProver(path, pk); err != nil {
		b.Fatal(err)
	}
	load := time.Since(start)
	var bytes int
	for _, t := range tp.Tables() {
		bytes += t.Bytes
	}
	var gnark, tables time.Duration
	for b.Loop() {
		t := time.Now()
		if _, _, err := pk.ProveBatch(in, nil); err != nil {
			b.Fatal(err)
		}
		gnark += time.Since(t)
		t = time.Now()
		if _, _, err := tp.ProveBatch(in, nil); err != nil {
			b.Fatal(err)
		}
		tables += time.Since(t)
	}
	b.ReportMetric(float64(tables)/float64(gnark), "tables/gnark")
	b.ReportMetric(float64(gnark.Milliseconds())/float64(b.N), "ms_gnark")
	b.ReportMetric(float64(tables.Milliseconds())/float64(b.N), "ms_tables")
	b.ReportMetric(float64(build.Milliseconds()), "ms_build")
	b.ReportMetric(float64(write.Milliseconds()), "ms_write")
	b.ReportMetric(float64(load.Milliseconds()), "ms_load")
	b.ReportMetric(float64(bytes)/1e6, "MB_tables")
}

func randScalar(b *testing.B) *big.Int {
	r, err := rand.Int(rand.Reader, Order())
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// BenchmarkBatchConcurrency measures what a wallet gains by proving a
// batch's chunks two at a time rather than one after another (gnark's
// prover already spreads one proof over the cores): 4 chunk proofs each
// way, interleaved, reported as the ratio of wall times.
//
//	go test ./zkp -run '^$' -bench BatchConcurrency -benchtime 3x
func BenchmarkBatchConcurrency(b *testing.B) {
	const chunks, workers = 4, 2
	pk, _ := setupFor(b, Batch)
	in := make([]BatchInput, chunks)
	for j := range in {
		in[j] = randomBatch(b, BatchSize, uint64(j))
	}
	prove := func(j int) {
		if _, _, err := pk.ProveBatch(in[j], nil); err != nil {
			b.Error(err)
		}
	}
	var seq, par time.Duration
	for b.Loop() {
		t := time.Now()
		for j := range in {
			prove(j)
		}
		seq += time.Since(t)
		t = time.Now()
		jobs := make(chan int, chunks)
		for j := range in {
			jobs <- j
		}
		close(jobs)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for j := range jobs {
					prove(j)
				}
			})
		}
		wg.Wait()
		par += time.Since(t)
	}
	b.ReportMetric(float64(par)/float64(seq), "two-at-a-time/sequential")
	b.ReportMetric(float64(seq.Milliseconds())/float64(b.N*chunks), "ms_per_chunk_sequential")
}
