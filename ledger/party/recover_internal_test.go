package party

import (
	"context"
	"encoding/hex"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/zkp"
)

// recovering is a rebuild of a fresh party's wallet holding avail in USD,
// and a second party's identity: the attacker, or another bank.
func recovering(t *testing.T, avail uint64) (*rebuild, *Identity) {
	t.Helper()
	r := newRebuild(testIdentity(t, "bank-sg"))
	r.base[usd] = ledger.Opening{Value: avail, Blinding: big.NewInt(777)}
	return r, testIdentity(t, "bank-my")
}

func testIdentity(t *testing.T, name string) *Identity {
	t.Helper()
	id, err := NewIdentity(Config{ID: name, Role: "bank", ChainID: "sable-test"})
	if err != nil {
		t.Fatal(err)
	}
	id.Home = filepath.Join(t.TempDir(), name)
	return id
}

func seal(t *testing.T, to [32]byte, o ledger.Opening, aad []byte) []byte {
	t.Helper()
	m, err := ledger.SealOpening(to, o, aad)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// transferTx is r's party paying amt at nonce, carrying self.
func transferTx(r *rebuild, nonce uint64, amt ledger.Opening, self []byte) *ledger.Tx {
	return &ledger.Tx{Kind: ledger.KindTransfer, Sender: r.id.Config.ID, Nonce: nonce,
		Body: &ledger.Transfer{To: "bank-my", Currency: usd, Amount: amt.Commitment(), SelfMemo: self}}
}

// TestRecoverFoldsSelfMemos: a transfer's and a bulk transfer's self-memos
// take exactly their amounts from the rebuilt balance.
func TestRecoverFoldsSelfMemos(t *testing.T) {
	r, _ := recovering(t, 1000)
	me := r.id.Config
	amt := ledger.Opening{Value: 300, Blinding: big.NewInt(5)}
	if err := r.fold(transferTx(r, 0, amt, seal(t, r.id.MemoPub, amt, ledger.SelfMemoAAD(me.ChainID, me.ID, usd, 0, 0)))); err != nil {
		t.Fatal(err)
	}
	bulk := &ledger.BatchTransfer{Books: []ledger.BatchBook{{Currency: usd}}}
	for j, v := range []uint64{100, 50} {
		o := ledger.Opening{Value: v, Blinding: big.NewInt(int64(9 + j))}
		bulk.Payments = append(bulk.Payments, ledger.BatchPayment{To: "bank-my", Currency: usd, Amount: o.Commitment(),
			SelfMemo: seal(t, r.id.MemoPub, o, ledger.SelfMemoAAD(me.ChainID, me.ID, usd, 1, j))})
	}
	if err := r.fold(&ledger.Tx{Kind: ledger.KindBatchTransfer, Sender: me.ID, Nonce: 1, Body: bulk}); err != nil {
		t.Fatal(err)
	}
	want := ledger.Opening{Value: 550, Blinding: big.NewInt(777 - 5 - 9 - 10)}
	if got := r.base[usd]; !got.Commitment().Equal(want.Commitment()) || got.Value != 550 {
		t.Fatalf("rebuilt %d, want 550 with its blinding", got.Value)
	}
}

// TestRecoverRefusesForeignSelfMemos plays the attacker: no self-memo that
// is not this party's own record of this very payment is ever folded; each
// fails recovery naming why, never a wrong balance.
func TestRecoverRefusesForeignSelfMemos(t *testing.T) {
	r, other := recovering(t, 1000)
	me := r.id.Config
	amt := ledger.Opening{Value: 300, Blinding: big.NewInt(5)}
	right := ledger.SelfMemoAAD(me.ChainID, me.ID, usd, 4, 0)
	tampered := seal(t, r.id.MemoPub, amt, right)
	tampered[40] ^= 1
	cases := []struct {
		name, want string
		self       []byte
	}{
		{"absent", "carries no self-memo", nil},
		{"tampered", "does not open", tampered},
		{"sealed to another party", "does not open", seal(t, other.MemoPub, amt, right)},
		{"a receiver memo in its place", "does not open", seal(t, r.id.MemoPub, amt, ledger.MemoAAD(me.ChainID, me.ID, "bank-my", usd, 4))},
		{"replayed from another nonce", "does not open", seal(t, r.id.MemoPub, amt, ledger.SelfMemoAAD(me.ChainID, me.ID, usd, 3, 0))},
		{"replayed from another payment index", "does not open", seal(t, r.id.MemoPub, amt, ledger.SelfMemoAAD(me.ChainID, me.ID, usd, 4, 1))},
		{"another currency's", "does not open", seal(t, r.id.MemoPub, amt, ledger.SelfMemoAAD(me.ChainID, me.ID, ledger.Currency{'S', 'G', 'D'}, 4, 0))},
		{"another chain's", "does not open", seal(t, r.id.MemoPub, amt, ledger.SelfMemoAAD("other-chain", me.ID, usd, 4, 0))},
		{"another amount", "does not match", seal(t, r.id.MemoPub, ledger.Opening{Value: 3, Blinding: big.NewInt(5)}, right)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r.base[usd] = ledger.Opening{Value: 1000, Blinding: big.NewInt(777)}
			err := r.fold(transferTx(r, 4, amt, tc.self))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("fold: %v, want an error saying %q", err, tc.want)
			}
			if r.base[usd].Value != 1000 {
				t.Fatalf("a refused self-memo moved the balance to %d", r.base[usd].Value)
			}
		})
	}
}

// TestRecoverApplies: an apply-pending moves the openings of the payments
// it names; one naming a payment the wallet cannot open, one the node does
// not list, or one applied twice fails recovery.
func TestRecoverApplies(t *testing.T) {
	r, other := recovering(t, 1000)
	me := r.id.Config
	good := ledger.Opening{Value: 40, Blinding: big.NewInt(3)}
	in := func(txid byte, o ledger.Opening, memo []byte) ledger.TxID {
		id := ledger.TxID{txid}
		if err := r.addPayment(id, ledger.IncomingInfo{TxID: id.String(), Kind: "transfer", Sender: "bank-my", Nonce: 7,
			Currency: "USD", Amount: o.Commitment().String(), Memo: memo, Height: 5}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	aad := ledger.MemoAAD(me.ChainID, "bank-my", me.ID, usd, 7)
	ok := in(1, good, seal(t, r.id.MemoPub, good, aad))
	foreign := in(2, good, seal(t, other.MemoPub, good, aad))
	if err := r.fold(&ledger.Tx{Kind: ledger.KindApplyPending, Sender: me.ID, Body: &ledger.ApplyPending{Currency: usd, Payments: []ledger.TxID{ok}}}); err != nil {
		t.Fatal(err)
	}
	if r.base[usd].Value != 1040 {
		t.Fatalf("applied: %d, want 1040", r.base[usd].Value)
	}
	for name, ids := range map[string][]ledger.TxID{"does not open": {foreign}, "lists as no USD payment": {{9}}, "a second time": {ok}} {
		if err := r.fold(&ledger.Tx{Kind: ledger.KindApplyPending, Sender: me.ID, Body: &ledger.ApplyPending{Currency: usd, Payments: ids}}); err == nil || !strings.Contains(err.Error(), name) {
			t.Fatalf("apply %v: %v, want %q", ids, err, name)
		}
	}
	if rep := r.report(); rep.Received != 1 || rep.Pending != 0 || len(rep.Bad) != 1 {
		t.Fatalf("report %+v: want 1 received (applied), 1 bad", rep)
	}
	// the ledger's pending is the foreign payment's commitment: it counts
	// there, though the wallet cannot hold it
	v := ledgerView{nonce: 0, accounts: map[ledger.Currency]ledger.AccountInfo{usd: {
		Available: r.base[usd].Commitment().String(), Pending: good.Commitment().String()}}}
	if err := r.check(v); err != nil {
		t.Fatalf("check: %v", err)
	}
}

// TestRecoverCheckRefusesMismatch: a rebuilt balance that is not the
// ledger's, or fewer own transactions than the nonce, fails.
func TestRecoverCheckRefusesMismatch(t *testing.T) {
	r, _ := recovering(t, 1000)
	zero := zkp.ZeroCommitment().String()
	off := ledger.Opening{Value: 999, Blinding: big.NewInt(777)}.Commitment().String()
	for name, v := range map[string]ledgerView{
		"available balance does not match":   {accounts: map[ledger.Currency]ledger.AccountInfo{usd: {Available: off, Pending: zero}}},
		"do not sum to the ledger's pending": {accounts: map[ledger.Currency]ledger.AccountInfo{usd: {Available: r.base[usd].Commitment().String(), Pending: off}}},
		"holds 0 of bank-sg's 2":             {nonce: 2, accounts: map[ledger.Currency]ledger.AccountInfo{usd: {Available: r.base[usd].Commitment().String(), Pending: zero}}},
		"has no USD account":                 {accounts: map[ledger.Currency]ledger.AccountInfo{}},
	} {
		if err := r.check(v); !errors.Is(err, ErrRecover) || !strings.Contains(err.Error(), name) {
			t.Fatalf("check: %v, want %q", err, name)
		}
	}
}

// TestRecoverGenesisMemo: a genesis memo opens only with the holder's key,
// for its own account, and must match the funded commitment.
func TestRecoverGenesisMemo(t *testing.T) {
	r, other := recovering(t, 0)
	me := r.id.Config
	o := ledger.Opening{Value: 5000, Blinding: big.NewInt(1234)}
	acct := func(memo []byte) ledger.GenesisAccount {
		return ledger.GenesisAccount{Party: me.ID, Currency: "USD", Available: o.Commitment().String(), Memo: hex.EncodeToString(memo)}
	}
	got, err := genesisOpening(r.id, acct(seal(t, r.id.MemoPub, o, ledger.GenesisMemoAAD(me.ChainID, me.ID, usd))), usd)
	if err != nil || got.Value != 5000 || got.Blinding.Cmp(o.Blinding) != 0 {
		t.Fatalf("genesis opening %v (%v)", got.Value, err)
	}
	for name, memo := range map[string][]byte{
		"another bank's":   seal(t, other.MemoPub, o, ledger.GenesisMemoAAD(me.ChainID, me.ID, usd)),
		"another holder's": seal(t, r.id.MemoPub, o, ledger.GenesisMemoAAD(me.ChainID, "bank-my", usd)),
		"a wrong amount":   seal(t, r.id.MemoPub, ledger.Opening{Value: 1, Blinding: big.NewInt(1234)}, ledger.GenesisMemoAAD(me.ChainID, me.ID, usd)),
		"absent":           nil,
	} {
		if _, err := genesisOpening(r.id, acct(memo), usd); !errors.Is(err, ErrRecover) {
			t.Fatalf("%s memo: %v, want ErrRecover", name, err)
		}
	}
}

// TestRecoverRefusesExistingWallet: over a wallet, even an empty directory,
// recover refuses before asking anything of a node, and leaves every file
// as it was.
func TestRecoverRefusesExistingWallet(t *testing.T) {
	id, _ := seededHome(t)
	dir := WalletDir(id.Home)
	before := snapshot(t, dir)
	_, err := Recover(context.Background(), id, nil, RecoverOptions{})
	var we *WalletError
	if !errors.As(err, &we) || !errors.Is(err, ErrWalletExists) || !strings.Contains(err.Error(), "mv "+dir+" "+dir+".old") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("recover over a wallet: %v, want a one-line ErrWalletExists saying to move it aside", err)
	}
	if after := snapshot(t, dir); !reflect.DeepEqual(before, after) {
		t.Fatalf("recover changed the wallet's files: %v → %v", keys(before), keys(after))
	}
	empty := testIdentity(t, "bank-x")
	os.MkdirAll(WalletDir(empty.Home), 0o700)
	if _, err := Recover(context.Background(), empty, nil, RecoverOptions{}); !errors.Is(err, ErrWalletExists) {
		t.Fatalf("over an empty wallet directory: %v", err)
	}
}

// TestRecoverWritesWholeWallet: the rebuilt wallet is renamed into place
// whole and opens with every opening; no temporary directory is left.
func TestRecoverWritesWholeWallet(t *testing.T) {
	r, _ := recovering(t, 1000)
	os.MkdirAll(r.id.Home, 0o700)
	pend := ledger.Opening{Value: 25, Blinding: big.NewInt(8)}
	id := ledger.TxID{7}
	r.payments[id] = &payment{info: ledger.IncomingInfo{TxID: id.String(), Height: 9}, id: id, cur: usd, amount: pend.Commitment(), opening: &pend}
	r.scanned = 9
	if err := r.write(); err != nil {
		t.Fatal(err)
	}
	w, err := OpenWallet(r.id)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	base, _ := w.Base(usd)
	sum, _ := w.PendingSum(usd)
	if base.Value != 1000 || sum.Value != 25 || !sum.Commitment().Equal(pend.Commitment()) {
		t.Fatalf("wallet holds %d available, %d pending", base.Value, sum.Value)
	}
	entries, _ := os.ReadDir(r.id.Home)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".wallet-recover-") {
			t.Fatalf("left %s behind", e.Name())
		}
	}
	if err := r.write(); !errors.Is(err, ErrWalletExists) {
		t.Fatalf("a second write: %v, want refused", err)
	}
}

// TestRecoverFoldsInBlockOrder: the tx index gives one height's
// transactions in hash order; recovery folds them in block order, so
// nonces run without a gap. A gap (a transaction the index lost) fails.
func TestRecoverFoldsInBlockOrder(t *testing.T) {
	r, _ := recovering(t, 0)
	raw := func(nonce uint64) []byte {
		return (&ledger.Tx{Kind: ledger.KindRegisterAccount, Sender: r.id.Config.ID, Nonce: nonce, Body: &ledger.RegisterAccount{Currency: usd}}).Encode()
	}
	block := []client.SentTx{{Height: 5, Index: 7, Raw: raw(1)}, {Height: 5, Index: 2, Raw: raw(0)}, {Height: 5, Index: 9, Raw: raw(2)}}
	if err := r.foldBlock(block); err != nil || r.txs != 3 {
		t.Fatalf("fold in block order: %v after %d", err, r.txs)
	}
	if err := r.foldBlock([]client.SentTx{{Height: 6, Raw: raw(4)}}); !errors.Is(err, ErrRecover) || !strings.Contains(err.Error(), "nonce 3 of bank-sg was due") {
		t.Fatalf("a nonce gap: %v", err)
	}
	rejected := []client.SentTx{{Height: 6, Code: ledger.CodeBadNonce, Raw: raw(9)}}
	if err := r.foldBlock(rejected); err != nil || r.txs != 3 {
		t.Fatalf("a transaction the app rejected counts: %v, %d", err, r.txs)
	}
}

// TestRecoverSupply: an issuer's supply opening is its mints less its
// burns where the genesis supply is zero, and must be the ledger's; a
// funded genesis supply is left out, and said so.
func TestRecoverSupply(t *testing.T) {
	r, _ := recovering(t, 0)
	minted := ledger.Opening{Value: 100, Blinding: big.NewInt(50)}
	burned := ledger.Opening{Value: 30, Blinding: big.NewInt(20)}
	if err := r.moveSupply(usd, minted, ledger.ZeroOpening(), false); err != nil {
		t.Fatal(err)
	}
	r.base[usd] = ledger.Opening{Value: 40, Blinding: big.NewInt(40)}
	if err := r.moveSupply(usd, ledger.ZeroOpening(), burned, true); err != nil {
		t.Fatal(err)
	}
	if r.base[usd].Value != 10 {
		t.Fatalf("a burn left %d available, want 10", r.base[usd].Value)
	}
	want := ledger.Opening{Value: 70, Blinding: big.NewInt(30)}
	v := ledgerView{supply: map[ledger.Currency]string{usd: want.Commitment().String()}}
	if err := r.rebuildSupply(zeroSupply(usd), v); err != nil {
		t.Fatal(err)
	}
	if got := r.supplied[usd]; got.Value != 70 || !got.Commitment().Equal(want.Commitment()) {
		t.Fatalf("supply %d, want 70", got.Value)
	}
	v.supply[usd] = minted.Commitment().String()
	if err := r.rebuildSupply(zeroSupply(usd), v); !errors.Is(err, ErrRecover) {
		t.Fatalf("a supply that is not the ledger's: %v", err)
	}
	r2, _ := recovering(t, 0)
	if err := r2.rebuildSupply(genesisView{supply: map[ledger.Currency]zkp.Commitment{usd: minted.Commitment()}}, v); err != nil || len(r2.supplied) != 0 ||
		!reflect.DeepEqual(r2.report().SupplyNotRebuilt, []ledger.Currency{usd}) {
		t.Fatalf("a funded genesis supply: %v, %v", err, r2.report().SupplyNotRebuilt)
	}
}

// zeroSupply is the genesis view of an issuer of c whose genesis supply is
// Com(0, 0).
func zeroSupply(c ledger.Currency) genesisView {
	return genesisView{supply: map[ledger.Currency]zkp.Commitment{c: zkp.ZeroCommitment()},
		supplyOpenings: map[ledger.Currency]ledger.Opening{c: ledger.ZeroOpening()}}
}

// fillTx is a swap by payer bank-my at nonce 4 filling r's quote q in USD
// for amt, carrying memo as its provider memo of leg B.
func fillTx(r *rebuild, q ledger.TxID, amt ledger.Opening, memo []byte) *ledger.Tx {
	return &ledger.Tx{Kind: ledger.KindSwap, Sender: "bank-my", Nonce: 4, Body: &ledger.Swap{Quote: q, Provider: r.id.Config.ID,
		Sell: ledger.Currency{'S', 'G', 'D'}, Buy: usd, To: "bank-my", AmountB: amt.Commitment(), ProviderMemoB: memo}}
}

// TestRecoverFoldsFills: a fill's provider memo takes leg B from the
// provider's balance and from its quote's band, blinding and all.
func TestRecoverFoldsFills(t *testing.T) {
	r, _ := recovering(t, 1000)
	me := r.id.Config
	q := ledger.TxID{1}
	r.quotes[q] = &quoteBand{cur: usd, band: ledger.Opening{Value: 500, Blinding: new(big.Int)}}
	amt := ledger.Opening{Value: 300, Blinding: big.NewInt(5)}
	if err := r.foldFill(fillTx(r, q, amt, seal(t, r.id.MemoPub, amt, ledger.SwapProviderAAD(me.ChainID, "bank-my", me.ID, usd, 4)))); err != nil {
		t.Fatal(err)
	}
	wantBase := ledger.Opening{Value: 700, Blinding: big.NewInt(777 - 5)}
	wantBand := ledger.Opening{Value: 500, Blinding: new(big.Int)}.Commitment().Sub(amt.Commitment())
	if got := r.base[usd]; got.Value != 700 || !got.Commitment().Equal(wantBase.Commitment()) {
		t.Fatalf("rebuilt balance %d, want 700 with its blinding", got.Value)
	}
	if got := r.quotes[q].band; got.Value != 200 || !got.Commitment().Equal(wantBand) || r.fills != 1 {
		t.Fatalf("rebuilt band %d (%d fills), want 200 opening Max·G − C_B", got.Value, r.fills)
	}
	live := map[ledger.TxID]string{q: wantBand.String()}
	if err := r.checkBands(live); err != nil || r.bands[q].Value != 200 {
		t.Fatalf("check bands: %v", err)
	}
	live[q] = amt.Commitment().String()
	if err := r.checkBands(live); !errors.Is(err, ErrRecover) || !strings.Contains(err.Error(), "does not match the ledger's band") {
		t.Fatalf("a band that is not the ledger's: %v", err)
	}
	if err := r.checkBands(map[ledger.TxID]string{{2}: wantBand.String()}); !errors.Is(err, ErrRecover) || !strings.Contains(err.Error(), "hold no such quote") {
		t.Fatalf("a live quote the transactions do not hold: %v", err)
	}
}

// TestRecoverRefusesForeignProviderMemos plays the attacker against a
// provider's recovery: no provider memo that is not the provider's own
// record of this very fill is folded, and no swap that is not a fill of
// its own quote; each fails naming why and moves neither the balance nor
// the band.
func TestRecoverRefusesForeignProviderMemos(t *testing.T) {
	r, other := recovering(t, 1000)
	me := r.id.Config
	q := ledger.TxID{1}
	amt := ledger.Opening{Value: 300, Blinding: big.NewInt(5)}
	right := ledger.SwapProviderAAD(me.ChainID, "bank-my", me.ID, usd, 4)
	good := seal(t, r.id.MemoPub, amt, right)
	tampered := append([]byte(nil), good...)
	tampered[40] ^= 1
	cases := []struct {
		name, want string
		tx         *ledger.Tx
	}{
		{"absent", "carries no provider memo", fillTx(r, q, amt, nil)},
		{"tampered", "does not open", fillTx(r, q, amt, tampered)},
		{"sealed to another party", "does not open", fillTx(r, q, amt, seal(t, other.MemoPub, amt, right))},
		{"leg B's receiver memo in its place", "does not open", fillTx(r, q, amt, seal(t, r.id.MemoPub, amt, ledger.MemoAAD(me.ChainID, "bank-my", me.ID, usd, 4)))},
		{"a self-memo in its place", "does not open", fillTx(r, q, amt, seal(t, r.id.MemoPub, amt, ledger.SelfMemoAAD(me.ChainID, me.ID, usd, 4, 0)))},
		{"replayed from another nonce", "does not open", fillTx(r, q, amt, seal(t, r.id.MemoPub, amt, ledger.SwapProviderAAD(me.ChainID, "bank-my", me.ID, usd, 3)))},
		{"another payer's", "does not open", fillTx(r, q, amt, seal(t, r.id.MemoPub, amt, ledger.SwapProviderAAD(me.ChainID, "bank-x", me.ID, usd, 4)))},
		{"another provider's", "does not open", fillTx(r, q, amt, seal(t, r.id.MemoPub, amt, ledger.SwapProviderAAD(me.ChainID, "bank-my", "bank-x", usd, 4)))},
		{"another chain's", "does not open", fillTx(r, q, amt, seal(t, r.id.MemoPub, amt, ledger.SwapProviderAAD("other-chain", "bank-my", me.ID, usd, 4)))},
		{"another amount", "does not match", fillTx(r, q, amt, seal(t, r.id.MemoPub, ledger.Opening{Value: 3, Blinding: big.NewInt(5)}, right))},
		{"not its own quote", "none of bank-sg's committed quotes", fillTx(r, ledger.TxID{2}, amt, good)},
		{"past the band", "past its quote's rebuilt band", fillTx(r, ledger.TxID{3}, amt, good)},
	}
	notOurs := fillTx(r, q, amt, good)
	notOurs.Body.(*ledger.Swap).Provider = "bank-x"
	cases = append(cases, struct {
		name, want string
		tx         *ledger.Tx
	}{"another provider's swap", "not a swap bank-sg provided", notOurs})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r.base[usd] = ledger.Opening{Value: 1000, Blinding: big.NewInt(777)}
			r.quotes[q] = &quoteBand{cur: usd, band: ledger.Opening{Value: 500, Blinding: new(big.Int)}}
			r.quotes[ledger.TxID{3}] = &quoteBand{cur: usd, band: ledger.Opening{Value: 100, Blinding: new(big.Int)}}
			r.fills = 0
			err := r.foldFill(tc.tx)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("fold: %v, want an error saying %q", err, tc.want)
			}
			if r.base[usd].Value != 1000 || r.quotes[q].band.Value != 500 || r.quotes[ledger.TxID{3}].band.Value != 100 || r.fills != 0 {
				t.Fatalf("a refused fill moved the balance to %d or a band", r.base[usd].Value)
			}
		})
	}
}
