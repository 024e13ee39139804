package state

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// forged is an honest batch from bank-a (USD 1.00 to bank-b, 2.00 to the
// issuer) changed by mod and signed again, each book given one
// well-formed proof per chunk of its currency's payments: the refusals it
// is used for come before any proof is verified.
func (f *fixture) forged(mod func(b *ledger.BatchTransfer)) []byte {
	f.t.Helper()
	tx, _ := f.batch(f.a, []*member{f.b, f.issuer}, []uint64{100, 200}, -1)
	b := tx.Body.(*ledger.BatchTransfer)
	proof := b.Books[0].Proofs[0]
	mod(b)
	for i, chunks := range b.Chunks() {
		b.Books[i].Proofs = make([][zkp.ProofSize]byte, len(chunks))
		for n := range chunks {
			b.Books[i].Proofs[n] = proof
		}
	}
	tx.Sign(testChain, f.a.id.Sign)
	return tx.Encode()
}

// The dishonest sender against a batch's books and payments: each forged
// batch, signed, is refused at CheckTx and in a block with its own code,
// changing neither the state nor the app hash, and the sender's nonce is
// still free for the honest batch.
func TestBatchHostileBooksAndPayments(t *testing.T) {
	f := newFixture(t) // USD accounts only: bank-a, bank-b, issuer-usd
	sgdBook := ledger.BatchBook{Currency: sgd, Available: zkp.ZeroCommitment()}
	sgdPayment := func(b *ledger.BatchTransfer) ledger.BatchPayment {
		p := b.Payments[0]
		p.Currency = sgd
		return p
	}
	cases := []struct {
		name string
		code uint32
		mod  func(b *ledger.BatchTransfer)
	}{
		{"two USD books", ledger.CodeEncoding, func(b *ledger.BatchTransfer) {
			b.Books = append(b.Books, b.Books[0])
		}},
		{"books out of currency order (USD before SGD)", ledger.CodeEncoding, func(b *ledger.BatchTransfer) {
			b.Books = append(b.Books, sgdBook)
			b.Payments = append(b.Payments, sgdPayment(b))
		}},
		{"a payment to the sender itself", ledger.CodeSelfTransfer, func(b *ledger.BatchTransfer) {
			b.Payments[1].To = "bank-a"
		}},
		{"a payment to an unregistered party", ledger.CodeUnknownReceiver, func(b *ledger.BatchTransfer) {
			b.Payments[1].To = "bank-zz"
		}},
		{"a payment to the regulator", ledger.CodeUnknownReceiver, func(b *ledger.BatchTransfer) {
			b.Payments[1].To = "regulator"
		}},
		{"a receiver that is not an identifier", ledger.CodeEncoding, func(b *ledger.BatchTransfer) {
			b.Payments[1].To = "Bank-B"
		}},
		{"an SGD payment to a bank without an SGD account", ledger.CodeUnknownAccount, func(b *ledger.BatchTransfer) {
			b.Books = append([]ledger.BatchBook{sgdBook}, b.Books...)
			b.Payments = append(b.Payments, sgdPayment(b))
		}},
		{"an SGD book without an SGD payment", ledger.CodeBatchFlows, func(b *ledger.BatchTransfer) {
			b.Books = append([]ledger.BatchBook{sgdBook}, b.Books...)
		}},
		{"an SGD payment without an SGD book", ledger.CodeBatchFlows, func(b *ledger.BatchTransfer) {
			b.Payments = append(b.Payments, sgdPayment(b))
		}},
		{"a beneficiary token nobody registered", ledger.CodeUnknownBeneficiary, func(b *ledger.BatchTransfer) {
			b.Payments[1].Beneficiary = [32]byte{7}
		}},
		{"a memo one byte short", ledger.CodeBadMemo, func(b *ledger.BatchTransfer) {
			b.Payments[1].Memo = b.Payments[1].Memo[:len(b.Payments[1].Memo)-1]
		}},
		{"a memo past the size limit", ledger.CodeEncoding, func(b *ledger.BatchTransfer) {
			b.Payments[1].Memo = make([]byte, ledger.MaxMemoSize+1)
		}},
		{"an audit memo of the wrong size", ledger.CodeBadMemo, func(b *ledger.BatchTransfer) {
			b.Payments[0].AuditMemo = []byte{1}
		}},
	}
	for _, c := range cases {
		f.refused(c.name, f.forged(c.mod), c.code, f.snapshot)
	}
	tx, total := f.batch(f.a, []*member{f.b, f.issuer}, []uint64{100, 200}, -1)
	if res := f.block(tx.Encode()); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("the honest batch after the forged ones: %s", res.TxResults[0].Log)
	}
	f.a.spend(total)
}

// Replays of a batch: its bytes again in the same block or a later one
// (CodeDuplicateTx), the batch signed again under the next nonce with its
// proofs (which bind the nonce and the balance: CodeStaleBalance, and
// CodeBadProof once the book names the new balance), and a batch CheckTx
// accepted whose nonce and balance a block then spends (CodeBadNonce,
// though its signature and proofs' verdicts are cached: only the sender
// moves its available balance, and only under its nonce). None changes
// the state or the app hash.
func TestBatchHostileReplays(t *testing.T) {
	f := newFixture(t)
	tx, total := f.bulk(f.a, f.b, []uint64{100, 200, 300}, -1)
	raw := tx.Encode()
	res := f.block(raw, raw)
	if res.TxResults[0].Code != ledger.CodeOK || res.TxResults[1].Code != ledger.CodeDuplicateTx {
		t.Fatalf("a batch twice in one block: codes %d, %d (%s); want %d, %d",
			res.TxResults[0].Code, res.TxResults[1].Code, res.TxResults[1].Log, ledger.CodeOK, ledger.CodeDuplicateTx)
	}
	f.a.spend(total)
	f.refused("the same bytes in a later block", raw, ledger.CodeDuplicateTx, f.snapshot)

	next := *tx
	next.Nonce = f.a.nonce
	next.Sign(testChain, f.a.id.Sign)
	f.refused("re-signed under the next nonce", next.Encode(), ledger.CodeStaleBalance, f.snapshot)
	body := *tx.Body.(*ledger.BatchTransfer)
	body.Books = []ledger.BatchBook{body.Books[0]}
	body.Books[0].Available = f.a.avail[usd].Commitment()
	next.Body = &body
	next.Sign(testChain, f.a.id.Sign)
	f.refused("re-signed under the next nonce, naming the new balance", next.Encode(), ledger.CodeBadProof, f.snapshot)

	// accepted at CheckTx, then its nonce and balance spent in a block before it
	accepted, _ := f.bulk(f.a, f.b, []uint64{10, 20}, -1)
	if res := f.checkTx(accepted.Encode()); res.Code != ledger.CodeOK {
		t.Fatalf("CheckTx: %s", res.Log)
	}
	spend, amt := f.transfer(f.a, f.b, 5) // the same nonce and balance
	if res := f.block(spend.Encode()); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("transfer: %s", res.TxResults[0].Log)
	}
	f.a.spend(amt)
	before, hash := f.snapshot(), f.appHash()
	res = f.block(accepted.Encode())
	if res.TxResults[0].Code != ledger.CodeBadNonce {
		t.Fatalf("a batch accepted at CheckTx, its nonce spent since: code %d (%s), want %d", res.TxResults[0].Code, res.TxResults[0].Log, ledger.CodeBadNonce)
	}
	if f.snapshot() != before || f.appHash() != hash {
		t.Fatal("a refused batch changed the state or the app hash")
	}
}

// A dishonest proposer past block.max_gas: CometBFT keeps to the limit
// only when it reaps its own mempool, so a proposal of transactions that
// each pass but together ask more gas than the chain allows (a batch of
// three payments, 9 gas, and a transfer, 6, against 14) is refused by
// ProcessProposal, before any proof is verified, and changes nothing;
// either alone is accepted, and PrepareProposal keeps only what fits.
func TestBatchProposalOverMaxGas(t *testing.T) {
	f := newFixtureWith(t, nil, WithBlockMaxGas(BatchGas(3)+GasPerProof-1))
	batch, total := f.bulk(f.a, f.b, []uint64{10, 20, 30}, -1)
	a := *f.a
	a.spend(total)
	single, _ := f.transfer(&a, f.b, 5)
	txs := [][]byte{batch.Encode(), single.Encode()}
	process := func(txs ...[]byte) abci.ProcessProposalStatus {
		t.Helper()
		res, err := f.app.ProcessProposal(context.Background(), &abci.ProcessProposalRequest{Height: f.height + 1, Txs: txs})
		if err != nil {
			t.Fatal(err)
		}
		return res.Status
	}
	before, hash := f.snapshot(), f.appHash()
	if s := process(txs...); s != abci.PROCESS_PROPOSAL_STATUS_REJECT {
		t.Fatalf("a proposal of %d gas against a limit of %d: %v, want REJECT", BatchGas(3)+GasPerProof, BatchGas(3)+GasPerProof-1, s)
	}
	if f.snapshot() != before || f.appHash() != hash {
		t.Fatal("a refused proposal changed the state or the app hash")
	}
	if s := process(txs[0]); s != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		t.Fatalf("the batch alone: %v, want ACCEPT", s)
	}
	prep, err := f.app.PrepareProposal(context.Background(), &abci.PrepareProposalRequest{Height: f.height + 1, Txs: txs, MaxTxBytes: 1 << 22})
	if err != nil {
		t.Fatal(err)
	}
	if len(prep.Txs) != 1 || string(prep.Txs[0]) != string(txs[0]) {
		t.Fatalf("PrepareProposal kept %d transactions, want the batch alone", len(prep.Txs))
	}
}
