package state

import (
	"testing"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/zkp"
)

// mint builds the issuer's signed mint of amount to p, proved against the
// supply after the mints built before it (f.supply, which it advances, as
// the issuer's wallet does for one in flight). sealer seals its flow (nil:
// no flow).
func (f *fixture) mint(to *member, amount uint64, sealer party.FlowSealer) *ledger.Tx {
	f.t.Helper()
	tx, amt, err := f.mintAgainst(f.supply, to, amount, sealer)
	if err != nil {
		f.t.Fatal(err)
	}
	f.supply, _ = f.supply.Plus(amt)
	f.issuer.nonce++
	return tx
}

// mintAgainst builds a mint of amount proved against the given supply
// opening, whatever the ledger's supply is.
func (f *fixture) mintAgainst(supply ledger.Opening, to *member, amount uint64, sealer party.FlowSealer) (*ledger.Tx, ledger.Opening, error) {
	rAmt, _ := zkp.RandomAmountBlinding()
	amt := ledger.Opening{Value: amount, Blinding: rAmt}
	body := &ledger.Mint{To: to.id.Config.ID, Currency: usd, Supply: supply.Commitment(), Amount: amt.Commitment()}
	aad := ledger.MemoAAD(testChain, f.issuer.id.Config.ID, to.id.Config.ID, usd, f.issuer.nonce)
	body.Memo, _ = ledger.SealOpening(to.id.MemoPub, amt, aad)
	body.Flow = f.sealWith(sealer, usd, []ledger.Opening{amt}, [][]string{ledger.MintKeys(usd, to.id.Config.ID)})
	tx := &ledger.Tx{Kind: ledger.KindMint, Sender: f.issuer.id.Config.ID, Nonce: f.issuer.nonce, Body: body}
	head, err := ledger.HeadroomOpening(supply)
	if err != nil {
		return nil, amt, err
	}
	_, proof, err := testKeys.transferPK.ProveTransfer(zkp.TransferInput{Balance: head.Value, BalanceBlinding: head.Blinding,
		Amount: amount, AmountBlinding: rAmt, Context: tx.Context(testChain)}, testKeys.keys.Transfer)
	if err != nil {
		return nil, amt, err
	}
	body.Proof = proof.Bytes()
	tx.Sign(testChain, f.issuer.id.Sign)
	return tx, amt, nil
}

// expectCode checks a transaction's code at CheckTx and in a block: a rule
// that keeps the ledger exact must hold at both gates.
func (f *fixture) expectCode(tx *ledger.Tx, want uint32) {
	f.t.Helper()
	if res := f.checkTx(tx.Encode()); res.Code != want {
		f.t.Fatalf("CheckTx: code %d (%s), want %d", res.Code, res.Log, want)
	}
	if res := f.block(tx.Encode()); res.TxResults[0].Code != want {
		f.t.Fatalf("block: code %d (%s), want %d", res.TxResults[0].Code, res.TxResults[0].Log, want)
	}
}

// TestMintUpToTheCap mints the whole headroom, so that the supply sits at
// the cap, and checks that the receiver's balance stays exact through
// apply-pending and that not one more minor unit can be minted, neither by
// an honest issuer nor by one that proves against a supply of its choosing.
func TestMintUpToTheCap(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot()
	genesis := f.supply

	// The first mint lands; from then on the genesis supply is stale.
	if _, _, err := f.mintAgainst(genesis, f.b, ledger.SupplyCap-genesis.Value+1, nil); err == nil {
		t.Fatal("a proof was made for one minor unit past the cap")
	}
	all := ledger.SupplyCap - genesis.Value
	f.expectCode(f.mint(f.b, all, nil), ledger.CodeOK)
	var sup ledger.SupplyInfo
	if f.query("/supply", "USD", &sup) != 0 || !sup.Turnstile || sup.Supply != f.supply.Commitment().String() {
		t.Fatalf("supply after minting to the cap: %+v", sup)
	}
	head, _ := ledger.HeadroomOpening(f.supply)
	if f.supply.Value != ledger.SupplyCap || head.Value != 0 || sup.Headroom != head.Commitment().String() {
		t.Fatalf("supply %d, headroom %s: want the cap and a commitment to 0", f.supply.Value, sup.Headroom)
	}

	// bank-b applies the whole of it: pending + available stays exact.
	in := f.incoming(f.b)
	apply := &ledger.Tx{Kind: ledger.KindApplyPending, Sender: "bank-b", Nonce: f.b.nonce, Body: &ledger.ApplyPending{Currency: usd, Payments: []ledger.TxID{in}}}
	apply.Sign(testChain, f.b.id.Sign)
	f.expectCode(apply, ledger.CodeOK)
	f.b.nonce++

	// One more minor unit: the honest prover refuses, and a dishonest
	// issuer's proof against the old (genesis) supply, whose headroom
	// still covers it, is stale.
	if _, _, err := f.mintAgainst(f.supply, f.b, 1, nil); err == nil {
		t.Fatal("a proof was made for a mint past the cap")
	}
	stale, _, err := f.mintAgainst(genesis, f.b, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.expectCode(stale, ledger.CodeStaleSupply)

	// A proof against a headroom the issuer made up (the right supply
	// named, a bigger headroom opened) does not verify.
	forged, _, err := f.mintAgainst(genesis, f.b, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	forged.Body.(*ledger.Mint).Supply = f.supply.Commitment()
	forged.Sign(testChain, f.issuer.id.Sign)
	f.expectCode(forged, ledger.CodeBadProof)
	if f.snapshot() == before {
		t.Fatal("snapshot unchanged after the mint to the cap")
	}
}

// incoming returns the one payment pending for p.
func (f *fixture) incoming(p *member) ledger.TxID {
	f.t.Helper()
	var in []ledger.IncomingInfo
	if f.query("/incoming", p.id.Config.ID+"/0", &in) != 0 || len(in) != 1 {
		f.t.Fatalf("incoming for %s: %+v", p.id.Config.ID, in)
	}
	id, err := ledger.ParseTxID(in[0].TxID)
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}
