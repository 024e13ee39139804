package state

import (
	"testing"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// TestSelfMemoSize: a transfer's self-memo is absent or one sealed opening
// long; validators cannot read it, so its size is all they check. One of
// another size is refused before the proof is looked at; one of the right
// size, whatever it holds, commits.
func TestSelfMemoSize(t *testing.T) {
	f := newFixture(t)
	build := func(self []byte) []byte {
		avail := f.a.avail[usd]
		r, _ := zkp.RandomAmountBlinding()
		amt := ledger.Opening{Value: 10, Blinding: r}
		body := &ledger.Transfer{To: f.b.id.Config.ID, Currency: usd, Available: avail.Commitment(), Amount: amt.Commitment(), SelfMemo: self}
		body.Memo, _ = ledger.SealOpening(f.b.id.MemoPub, amt, ledger.MemoAAD(testChain, "bank-a", "bank-b", usd, f.a.nonce))
		tx := &ledger.Tx{Kind: ledger.KindTransfer, Sender: f.a.id.Config.ID, Nonce: f.a.nonce, Body: body}
		_, proof, err := testKeys.transferPK.ProveTransfer(zkp.TransferInput{Balance: avail.Value, BalanceBlinding: avail.Blinding,
			Amount: 10, AmountBlinding: r, Context: tx.Context(testChain)}, testKeys.keys.Transfer)
		if err != nil {
			t.Fatal(err)
		}
		body.Proof = proof.Bytes()
		tx.Sign(testChain, f.a.id.Sign)
		return tx.Encode()
	}
	for _, n := range []int{1, ledger.MemoSize - 1, ledger.MemoSize + 1} {
		if res := f.checkTx(build(make([]byte, n))); res.Code != ledger.CodeBadMemo {
			t.Fatalf("a %d-byte self-memo: code %d (%s), want %d", n, res.Code, res.Log, ledger.CodeBadMemo)
		}
	}
	if res := f.block(build(make([]byte, ledger.MemoSize))); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("a self-memo of the right size: code %d (%s)", res.TxResults[0].Code, res.TxResults[0].Log)
	}
}
