package bench

import (
	"crypto/rand"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"time"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// HEOptions configures HE.
type HEOptions struct {
	Quick    bool
	Flows    int // flows in the audited aggregate; 0 for 100,000 (quick: 10,000)
	Distinct int // distinct flow encryptions cycled through; 0 for 1,024 (quick: 128)
	Progress Progress
}

// HEResult is what `sable bench he --json` prints: the regulator's
// homomorphic aggregation, per flow. Times are medians.
type HEResult struct {
	Machine Machine `json:"machine"`
	Params  string  `json:"params"`
	Groups  int     `json:"groups"` // flows one ciphertext can carry

	EncryptUsPerFlow      float64 `json:"encrypt_us_per_flow"`       // one flow in its own ciphertext
	EncryptBatchUsPerFlow float64 `json:"encrypt_batch_us_per_flow"` // a full ciphertext of Groups flows, per flow
	AddUsPerFlow          float64 `json:"add_us_per_flow"`           // Evaluator.Add into an aggregate
	DecodeAddUsPerFlow    float64 `json:"decode_add_us_per_flow"`    // decode the transaction's bytes, then add: the ledger's work

	AggregateFlows  int     `json:"aggregate_flows"`
	DecryptAuditMs  float64 `json:"decrypt_audit_ms"`           // decrypt the aggregate, recombine limbs, recompute and compare the commitment
	DecryptMs       float64 `json:"decrypt_ms"`                 // of which decryption and decoding
	CommitSumUsFlow float64 `json:"commitment_sum_us_per_flow"` // the ledger's Σ C_amt the audit compares with
	AuditOK         bool    `json:"audit_ok"`                   // the aggregate opened to the commitment sum
	BytesPerFlow    int     `json:"bytes_per_flow"`             // a single-flow ciphertext, encoded
	BytesPerFlowB   float64 `json:"bytes_per_flow_batched"`     // a full ciphertext ÷ Groups
	BytesPerBulkPay float64 `json:"bytes_per_bulk_payment"`     // a ciphertext ÷ ledger.MaxBatchPayments: a full bulk transfer
	MaxLoad         uint64  `json:"max_load"`                   // flows one aggregate holds between epoch closes
	MaxCiphertext   int     `json:"max_ciphertext_bytes"`       // he.MaxCiphertextSize
	AggregateBytes  int     `json:"aggregate_bytes"`            // the aggregate, encoded
	TotalAddMs      float64 `json:"aggregate_add_ms"`           // all the additions of the aggregate
	KeygenMs        float64 `json:"keygen_ms"`                  //
	Distinct        int     `json:"distinct_flow_ciphertexts"`  // how many distinct encryptions were cycled
	Note            string  `json:"note,omitempty"`             //
}

// HE runs the homomorphic-encryption benchmark.
func HE(opt HEOptions) (*HEResult, error) {
	pr := orSilent(opt.Progress)
	flows, distinct := opt.Flows, opt.Distinct
	if flows <= 0 {
		flows = 100_000
		if opt.Quick {
			flows = 10_000
		}
	}
	if distinct <= 0 {
		distinct = 1024
		if opt.Quick {
			distinct = 128
		}
	}
	distinct = min(distinct, flows)
	params := he.DefaultParams()
	res := &HEResult{Machine: ThisMachine(), Params: params.String(), Groups: params.Groups(), AggregateFlows: flows,
		Distinct: distinct, MaxCiphertext: he.MaxCiphertextSize, MaxLoad: params.MaxLoad(),
		BytesPerBulkPay: round(float64(params.CiphertextSize())/ledger.MaxBatchPayments, 1),
		Note:            fmt.Sprintf("the aggregate cycles through %d distinct flow encryptions; encryption is timed on its own", distinct)}

	pr.Stage("he: keys", 1)
	start := time.Now()
	sk, pk := he.GenerateKeys(params)
	res.KeygenMs = ms(time.Since(start))
	enc, dec, ev := he.NewEncryptor(pk), he.NewDecryptor(sk), he.NewEvaluator(params)
	pr.Step()

	// Distinct flows and their encryptions, timing each.
	pr.Stage(fmt.Sprintf("he: encrypting %d flows", distinct), distinct)
	type flow struct {
		f   he.Flow
		ct  *he.Ciphertext
		raw []byte
		com zkp.Commitment
	}
	fs := make([]flow, distinct)
	var encT samples
	for i := range fs {
		r, err := rand.Int(rand.Reader, zkp.Order()) // amount blindings are uniform below ℓ
		if err != nil {
			return nil, err
		}
		f := he.Flow{Amount: 1 + mrand.Uint64N(1<<40), Blinding: r}
		t := time.Now()
		ct, err := enc.Encrypt(map[int]he.Flow{0: f})
		if err != nil {
			return nil, err
		}
		encT = append(encT, time.Since(t))
		raw, err := ct.MarshalBinary()
		if err != nil {
			return nil, err
		}
		fs[i] = flow{f: f, ct: ct, raw: raw, com: zkp.Commit(f.Amount, r)}
		pr.Step()
	}
	res.EncryptUsPerFlow = us(encT.p50())
	res.BytesPerFlow = len(fs[0].raw)

	// A full batch ciphertext.
	batchRounds := 5
	if opt.Quick {
		batchRounds = 2
	}
	pr.Stage("he: batch encryption", batchRounds)
	full := make(map[int]he.Flow, params.Groups())
	for g := range params.Groups() {
		full[g] = fs[g%len(fs)].f
	}
	var batchT samples
	for range batchRounds {
		t := time.Now()
		ct, err := enc.Encrypt(full)
		if err != nil {
			return nil, err
		}
		batchT = append(batchT, time.Since(t))
		raw, err := ct.MarshalBinary()
		if err != nil {
			return nil, err
		}
		res.BytesPerFlowB = round(float64(len(raw))/float64(params.Groups()), 1)
		pr.Step()
	}
	res.EncryptBatchUsPerFlow = us(batchT.p50() / time.Duration(params.Groups()))

	// The aggregate: decode and add, as the ledger does, flows times;
	// and the commitment sum the audit compares it with.
	pr.Stage(fmt.Sprintf("he: aggregating %d flows", flows), 100)
	agg := he.Zero(params)
	sumCom := zkp.ZeroCommitment()
	sumAmt, sumR := new(big.Int), new(big.Int)
	var ct he.Ciphertext
	var addT, decodeAddT samples
	var comTotal, addTotal time.Duration
	step := max(1, flows/100)
	for i := range flows {
		f := &fs[i%len(fs)]
		t := time.Now()
		if err := ct.UnmarshalBinary(f.raw); err != nil {
			return nil, err
		}
		t1 := time.Now()
		if err := ev.Add(agg, &ct); err != nil {
			return nil, err
		}
		t2 := time.Now()
		addTotal += t2.Sub(t1)
		if i%16 == 0 { // sampled: timing every call would cost more than the calls
			addT = append(addT, t2.Sub(t1))
			decodeAddT = append(decodeAddT, t2.Sub(t))
		}
		t3 := time.Now()
		sumCom = sumCom.Add(f.com)
		comTotal += time.Since(t3)
		sumAmt.Add(sumAmt, new(big.Int).SetUint64(f.f.Amount))
		sumR.Add(sumR, f.f.Blinding)
		if (i+1)%step == 0 {
			pr.Step()
		}
	}
	res.AddUsPerFlow = us(addT.p50())
	res.DecodeAddUsPerFlow = us(decodeAddT.p50())
	res.TotalAddMs = ms(addTotal)
	res.CommitSumUsFlow = round(float64(comTotal)/float64(flows)/float64(time.Microsecond), 2)
	if raw, err := agg.MarshalBinary(); err == nil {
		res.AggregateBytes = len(raw)
	}

	// Decrypt and audit, a few times.
	auditRounds := 5
	if opt.Quick {
		auditRounds = 2
	}
	pr.Stage("he: decrypt and audit", auditRounds)
	var auditT, decT samples
	for range auditRounds {
		t := time.Now()
		sums, err := dec.Decrypt(agg)
		if err != nil {
			return nil, fmt.Errorf("bench: decrypt the aggregate: %w", err)
		}
		decT = append(decT, time.Since(t))
		g := sums[0]
		ok := g.Amount.IsUint64() && g.Amount.Cmp(sumAmt) == 0 && g.Blinding.Cmp(sumR) == 0 &&
			zkp.Commit(g.Amount.Uint64(), new(big.Int).Mod(g.Blinding, zkp.Order())).Equal(sumCom)
		auditT = append(auditT, time.Since(t))
		res.AuditOK = ok
		pr.Step()
	}
	res.DecryptMs = ms(decT.p50())
	res.DecryptAuditMs = ms(auditT.p50())
	if !res.AuditOK {
		return res, fmt.Errorf("bench: the aggregate of %d flows does not open to the sum of their commitments", flows)
	}
	return res, nil
}
