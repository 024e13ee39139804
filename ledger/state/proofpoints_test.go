package state

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// A proof's points are checked once, when its transaction is decoded, and
// the verifier reuses the decoded proof (txCache.proof). A proof point off
// its curve, or on it but outside the prime-order subgroup, must still be
// refused at CheckTx and in a block with CodeBadProofFormat, before any
// pairing, and leave the state as it was.
func TestProofPointsOutsideTheGroupRefused(t *testing.T) {
	f := newFixture(t)
	good, _ := f.transfer(f.a, f.b, 500)
	batch, _ := f.batch(f.a, []*member{f.b, f.issuer}, []uint64{100, 200}, -1)
	transfer := func(damage func(p *[zkp.ProofSize]byte)) []byte {
		tx, err := ledger.DecodeTx(good.Encode())
		if err != nil {
			t.Fatal(err)
		}
		damage(&tx.Body.(*ledger.Transfer).Proof)
		tx.Sign(testChain, f.a.id.Sign)
		return tx.Encode()
	}
	chunk := func(damage func(p *[zkp.ProofSize]byte)) []byte {
		tx, err := ledger.DecodeTx(batch.Encode())
		if err != nil {
			t.Fatal(err)
		}
		damage(&tx.Body.(*ledger.BatchTransfer).Books[0].Proofs[0])
		tx.Sign(testChain, f.a.id.Sign)
		return tx.Encode()
	}
	cOffCurve := func(p *[zkp.ProofSize]byte) { copy(p[96:], offCurveG1(t, p[96:])) }
	bOffCurve := func(p *[zkp.ProofSize]byte) { copy(p[32:96], offCurveG2(t, p[32:96])) }
	bOutside := func(p *[zkp.ProofSize]byte) { copy(p[32:96], outsideG2(t)) }
	cases := []struct {
		name string
		raw  []byte
	}{
		{"transfer: C off G1's curve", transfer(cOffCurve)},
		{"transfer: B off the twist", transfer(bOffCurve)},
		{"transfer: B on the twist, outside G2", transfer(bOutside)},
		{"batch chunk: C off G1's curve", chunk(cOffCurve)},
		{"batch chunk: B on the twist, outside G2", chunk(bOutside)},
	}
	before := f.snapshot()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if res := f.checkTx(tc.raw); res.Code != ledger.CodeBadProofFormat {
				t.Fatalf("CheckTx code %d (%s), want %d", res.Code, res.Log, ledger.CodeBadProofFormat)
			}
			prop, _ := f.app.ProcessProposal(context.Background(), &abci.ProcessProposalRequest{Height: f.height + 1, Txs: [][]byte{tc.raw}})
			if prop.Status != abci.PROCESS_PROPOSAL_STATUS_REJECT {
				t.Fatal("ProcessProposal accepted a block with the malformed proof")
			}
			if res := f.block(tc.raw); res.TxResults[0].Code != ledger.CodeBadProofFormat {
				t.Fatalf("FinalizeBlock code %d, want %d", res.TxResults[0].Code, ledger.CodeBadProofFormat)
			}
			if after := f.snapshot(); after != before {
				t.Fatalf("state changed:\n%s\n%s", before, after)
			}
		})
	}
	// The undamaged ones still pass, their proofs verified from the decoded
	// points the cache kept.
	if res := f.block(good.Encode()); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("good transfer: %d %s", res.TxResults[0].Code, res.TxResults[0].Log)
	}
}

// TestVerifierReusesDecodedProofs: the proofs a transaction's decoding
// read are the ones the verifier is handed, and they are exactly what
// zkp.DecodeProof makes of the same bytes.
func TestVerifierReusesDecodedProofs(t *testing.T) {
	f := newFixture(t)
	batch, _ := f.batch(f.a, []*member{f.b, f.issuer, f.b}, []uint64{100, 200, 300}, -1)
	d := f.app.txs.decode(batch.Encode())
	if d.rej != nil {
		t.Fatal(d.rej.Msg)
	}
	raw := d.tx.Body.(*ledger.BatchTransfer).Books[0].Proofs[0]
	kept := f.app.exec.verifier.txs.proof(&raw)
	if kept == nil {
		t.Fatal("the decoded batch's proof is not kept for the verifier")
	}
	fresh, err := zkp.DecodeProof(raw[:])
	if err != nil {
		t.Fatal(err)
	}
	if kept.Bytes() != fresh.Bytes() || kept.Bytes() != raw {
		t.Fatal("the kept proof is not the decoding of its bytes")
	}
	if again, _ := f.app.exec.verifier.decodeProof(&raw); again != kept {
		t.Fatal("the verifier decoded a proof its transaction's decoding already checked")
	}
	other := raw
	other[0] ^= 1
	if f.app.exec.verifier.txs.proof(&other) != nil {
		t.Fatal("a proof no decoded transaction carried was found in the cache")
	}
}

// offCurveG1 returns c (a compressed G1 point) with its x changed in the
// low byte until no y satisfies the curve's equation: same flags, canonical
// x, no point.
func offCurveG1(t *testing.T, c []byte) []byte {
	return bumpUntilRefused(t, c, func(b []byte) error { var p bn254.G1Affine; _, err := p.SetBytes(b); return err })
}

// offCurveG2 is offCurveG1 for a compressed point of the twist.
func offCurveG2(t *testing.T, c []byte) []byte {
	return bumpUntilRefused(t, c, func(b []byte) error { var p bn254.G2Affine; _, err := p.SetBytes(b); return err })
}

// bumpUntilRefused changes c's low byte until decode refuses it.
func bumpUntilRefused(t *testing.T, c []byte, decode func([]byte) error) []byte {
	t.Helper()
	b := append([]byte(nil), c...)
	for i := 0; i < 256; i++ {
		b[len(b)-1]++
		if decode(b) != nil {
			return b
		}
	}
	t.Fatal("no off-curve x found")
	return nil
}

// outsideG2 returns a compressed point of the twist that is not in G2
// (the map to the curve without clearing the cofactor).
func outsideG2(t *testing.T) []byte {
	t.Helper()
	p := bn254.MapToCurve2(&bn254.E2{A0: fp.NewElement(7), A1: fp.NewElement(11)})
	if !p.IsOnCurve() || p.IsInSubGroup() {
		t.Fatal("outsideG2: not a twist point outside G2")
	}
	b := p.Bytes()
	var q bn254.G2Affine
	if _, err := q.SetBytes(b[:]); err == nil {
		t.Fatal("outsideG2: decodes as a G2 point")
	}
	return b[:]
}
