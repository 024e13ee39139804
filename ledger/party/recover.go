package party

// Recovery rebuilds a party's lost wallet from the ledger and the party's
// own keys alone, the way a crypto wallet is restored from its seed:
//
//   - the genesis opening of each funded account, from its genesis memo
//     (GenesisAccount.Memo, sealed to the party's memo key);
//   - every payment into the party, from its receiver memo (/incoming), as
//     sync opens it;
//   - every own committed transaction, in order, from CometBFT's kv tx index
//     (tx_search on sable.sender): a transfer's, bulk payment's or burn's
//     self-memo gives the amount it took from the available balance; an
//     apply-pending moves the payments it names from pending to available;
//   - for an FX provider, every swap that filled one of its quotes, found
//     through leg A's incoming payment: its provider memo gives leg B, which
//     left the available balance and the quote's band (recover_fx.go).
//
// Invariants:
//
//   - it never writes over anything: a wallet directory that exists (even
//     empty or damaged) is refused, and the new wallet is built in a
//     temporary directory of the home, written in one synced batch and
//     renamed into place, so a crash leaves either no wallet or a whole one;
//   - it writes nothing unless every rebuilt opening matches the ledger:
//     each account's available commitment, and its pending commitment as
//     the sum of the amount commitments of the payments not yet applied,
//     and the band commitment of each of its live quotes;
//     every self-memo must open and match its amount commitment, every
//     payment an apply-pending names must open: anything else fails, naming
//     the transaction, never leaving a wrong balance;
//   - the number of own transactions found must be the party's nonce, so a
//     node whose tx index is off or pruned fails instead of forgetting debits;
//   - in flight: an own transaction in the node's mempool would commit after
//     the rebuild and leave the wallet behind, so recovery waits for the
//     mempool to hold none of the party's transactions, and refuses if it
//     still does after RecoverOptions.MempoolWait. The rebuilt wallet has no
//     in-flight records; nonces are read from the ledger, as always. (A
//     transaction only in another node's mempool is not seen: should one
//     commit later, the wallet's check fails and sync says so.)
//
// A payment whose receiver memo does not open or does not match is not the
// party's to hold; it stays pending on the ledger and is listed in the
// report (RecoverReport.Bad), as sync does.
//
// An issuer's supply opening (u/<CUR>, supply.go) is its genesis supply's
// opening plus its own mints less its own burns (from their self-memos,
// RecoverReport.Supply), checked against the ledger's /supply commitment.
// The genesis supply's opening is Com(0, 0)'s when nothing is funded, and
// otherwise comes from the issuer's genesis supply memo
// (GenesisIssuer.SupplyMemo); a funded genesis without one leaves the
// currency out, listed in RecoverReport.SupplyNotRebuilt.

import (
	"context"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"time"

	"github.com/cockroachdb/pebble"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/internal/codec"
	"github.com/sable-settlement/sable/zkp"
)

// ErrRecover reports a wallet that cannot be rebuilt from the ledger.
var ErrRecover = errors.New("party: recover")

// RecoverOptions tunes Recover.
type RecoverOptions struct {
	// MempoolWait is how long to wait for the party's own transactions in
	// the node's mempool to commit; 0 means 30 seconds.
	MempoolWait time.Duration
}

// SupplyMoves is what an issuer's own committed mints and burns of a
// currency add to and take from its supply.
type SupplyMoves struct {
	Minted, Burned ledger.Opening
}

// RecoverReport says what a recovery rebuilt.
type RecoverReport struct {
	Dir      string            // the wallet written
	Txs      int               // own committed transactions read
	Nonce    uint64            // the party's nonce on the ledger
	Accounts []ledger.Currency // the party's accounts on the ledger, every one checked
	Received int               // incoming payments whose memo opened
	Pending  int               // of which still pending
	Bad      []string          // incoming payments whose memo did not open or match
	Supply   map[ledger.Currency]SupplyMoves
	// SupplyNotRebuilt lists the currencies the party issues whose supply
	// opening was not rebuilt (a funded genesis supply without a supply
	// memo): minting them needs the wallet's backup.
	SupplyNotRebuilt []ledger.Currency
	Fills            int // swaps that filled the party's quotes (it is their FX provider)
	Quotes           int // its live quotes, whose bands were rebuilt
}

// Recover rebuilds the wallet of the party id from the node c (see the
// comment at the top of this file). It refuses with a *WalletError
// (ErrWalletExists) when the home has a wallet directory.
func Recover(ctx context.Context, id *Identity, c *client.Client, opts RecoverOptions) (RecoverReport, error) {
	if err := refuseExisting(id); err != nil {
		return RecoverReport{}, err
	}
	if err := checkMemoKey(ctx, id, c); err != nil {
		return RecoverReport{}, err
	}
	if err := waitMempool(ctx, id, c, opts.MempoolWait); err != nil {
		return RecoverReport{}, err
	}
	r, err := rebuildStable(ctx, id, c)
	if err != nil {
		return RecoverReport{}, err
	}
	if err := refuseExisting(id); err != nil { // one may have appeared meanwhile
		return RecoverReport{}, err
	}
	rep := r.report()
	rep.Dir = WalletDir(id.Home)
	return rep, r.write()
}

// refuseExisting refuses a home whose wallet path holds anything.
func refuseExisting(id *Identity) error {
	dir := WalletDir(id.Home)
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return unreadable(dir, err)
	}
	return &WalletError{Kind: ErrWalletExists, Dir: dir, Detail: "recover never writes over a wallet",
		Fix: fmt.Sprintf("open it instead; to rebuild it from the ledger, move it aside first: mv %s %s.old", dir, dir)}
}

// checkMemoKey refuses a home whose memo key is not the one the ledger
// holds for the party: none of its memos would open.
func checkMemoKey(ctx context.Context, id *Identity, c *client.Client) error {
	p, err := c.Party(ctx, id.Config.ID)
	if errors.Is(err, client.ErrNotFound) {
		return fmt.Errorf("%w: %s is not registered on this ledger", ErrRecover, id.Config.ID)
	}
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(p.MemoKey, id.MemoPub[:]) != 1 {
		return fmt.Errorf("%w: the memo key in %s is not the one the ledger holds for %s", ErrRecover, id.Home, id.Config.ID)
	}
	return nil
}

// waitMempool waits until the node's mempool holds none of the party's
// transactions, for at most wait (0: 30 seconds).
func waitMempool(ctx context.Context, id *Identity, c *client.Client, wait time.Duration) error {
	if wait <= 0 {
		wait = 30 * time.Second
	}
	deadline := time.Now().Add(wait)
	for {
		n, err := c.MempoolFrom(ctx, id.Config.ID)
		if err != nil || n == 0 {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: the node's mempool still holds %d of %s's transactions after %s; they must commit (or be dropped) before the wallet can be rebuilt",
				ErrRecover, n, id.Config.ID, wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// ledgerView is what the ledger says of the party's accounts and nonce,
// of the supply of each currency it issues, and of its live quotes' bands.
type ledgerView struct {
	nonce    uint64
	accounts map[ledger.Currency]ledger.AccountInfo
	supply   map[ledger.Currency]string
	quotes   map[ledger.TxID]string
}

func readLedger(ctx context.Context, id *Identity, c *client.Client, issued map[ledger.Currency]zkp.Commitment) (ledgerView, error) {
	v := ledgerView{accounts: map[ledger.Currency]ledger.AccountInfo{}, supply: map[ledger.Currency]string{}}
	p, err := c.Party(ctx, id.Config.ID)
	if err != nil {
		return v, err
	}
	v.nonce = p.Nonce
	if v.quotes, err = readLiveQuotes(ctx, id, c); err != nil {
		return v, err
	}
	for cur := range issued {
		s, err := c.Supply(ctx, cur)
		if err != nil {
			return v, err
		}
		v.supply[cur] = s.Supply
	}
	for _, k := range ledger.Currencies {
		a, err := c.Account(ctx, id.Config.ID, k.Code)
		if errors.Is(err, client.ErrNotFound) {
			continue
		}
		if err != nil {
			return v, err
		}
		v.accounts[k.Code] = a
	}
	return v, nil
}

func (v ledgerView) equal(o ledgerView) bool {
	if v.nonce != o.nonce || len(v.accounts) != len(o.accounts) {
		return false
	}
	for k, a := range v.accounts {
		if o.accounts[k] != a {
			return false
		}
	}
	return reflect.DeepEqual(v.supply, o.supply) && reflect.DeepEqual(v.quotes, o.quotes)
}

// rebuildStable rebuilds the wallet between two identical readings of the
// party's accounts and nonce, so that no block landed halfway; after a few
// moving attempts it gives up. The genesis, which never changes (and runs
// to megabytes), is read once.
func rebuildStable(ctx context.Context, id *Identity, c *client.Client) (*rebuild, error) {
	genesis, err := readGenesis(ctx, id, c)
	if err != nil {
		return nil, err
	}
	for attempt := 0; attempt < 5; attempt++ {
		before, err := readLedger(ctx, id, c, genesis.supply)
		if err != nil {
			return nil, err
		}
		r := newRebuild(id)
		for cur, o := range genesis.openings {
			r.base[cur] = o
		}
		if err := r.read(ctx, c); err != nil {
			return nil, err
		}
		after, err := readLedger(ctx, id, c, genesis.supply)
		if err != nil {
			return nil, err
		}
		if before.equal(after) {
			if err := r.check(after); err != nil {
				return nil, err
			}
			return r, r.rebuildSupply(genesis, after)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return nil, fmt.Errorf("%w: %s's accounts kept changing while the wallet was rebuilt; run recover again", ErrRecover, id.Config.ID)
}

// payment is an incoming payment as recovery found it.
type payment struct {
	info    ledger.IncomingInfo
	id      ledger.TxID
	cur     ledger.Currency
	amount  zkp.Commitment
	opening *ledger.Opening // nil: the memo did not open or match
	bad     string
}

// rebuild is a wallet being rebuilt in memory.
type rebuild struct {
	id         *Identity
	base       map[ledger.Currency]ledger.Opening
	payments   map[ledger.TxID]*payment
	applied    map[ledger.TxID]bool
	supply     map[ledger.Currency]SupplyMoves
	supplied   map[ledger.Currency]ledger.Opening // rebuilt supply openings
	unsupplied []ledger.Currency                  // issued currencies whose supply is not rebuilt
	accounts   []ledger.Currency                  // the ledger's, as check found them
	quotes     map[ledger.TxID]*quoteBand         // its own committed quotes (recover_fx.go)
	bands      map[ledger.TxID]ledger.Opening     // the live ones' bands, as check found them
	fills      int                                // swaps that filled its quotes
	txs        int
	scanned    int64 // the highest height of an incoming payment
}

func newRebuild(id *Identity) *rebuild {
	return &rebuild{id: id, base: map[ledger.Currency]ledger.Opening{}, payments: map[ledger.TxID]*payment{},
		applied: map[ledger.TxID]bool{}, supply: map[ledger.Currency]SupplyMoves{}, supplied: map[ledger.Currency]ledger.Opening{},
		quotes: map[ledger.TxID]*quoteBand{}}
}

// read gathers the incoming payments, then folds the own transactions (an
// apply-pending names payments already in), then the fills of its quotes
// (a fill names a quote already in).
func (r *rebuild) read(ctx context.Context, c *client.Client) error {
	if err := r.readIncoming(ctx, c); err != nil {
		return err
	}
	if err := r.readOwn(ctx, c); err != nil {
		return err
	}
	return r.readFills(ctx, c)
}

// genesisView is what recovery takes from the genesis: the openings of the
// party's accounts, and the genesis supply of each currency it issues.
type genesisView struct {
	openings map[ledger.Currency]ledger.Opening
	supply   map[ledger.Currency]zkp.Commitment
	// supplyOpenings opens supply where the party can: Com(0, 0), or a
	// funded supply whose memo (GenesisIssuer.SupplyMemo) is sealed to it.
	supplyOpenings map[ledger.Currency]ledger.Opening
}

// readGenesis opens the party's genesis accounts and sums the genesis
// supply of the currencies it issues.
func readGenesis(ctx context.Context, id *Identity, c *client.Client) (genesisView, error) {
	gv := genesisView{openings: map[ledger.Currency]ledger.Opening{}, supply: map[ledger.Currency]zkp.Commitment{},
		supplyOpenings: map[ledger.Currency]ledger.Opening{}}
	g, err := c.Genesis(ctx)
	if err != nil {
		return gv, err
	}
	for _, is := range g.Issuers {
		if cur, err := ledger.ParseCurrency(is.Currency); err == nil && is.Party == id.Config.ID {
			gv.supply[cur] = zkp.ZeroCommitment()
		}
	}
	for _, a := range g.Accounts {
		cur, err := ledger.ParseCurrency(a.Currency)
		if err != nil {
			return gv, err
		}
		if sum, ok := gv.supply[cur]; ok {
			avail, err := zkp.ParseCommitment(a.Available)
			if err != nil {
				return gv, err
			}
			gv.supply[cur] = sum.Add(avail)
		}
		if a.Party != id.Config.ID {
			continue
		}
		if gv.openings[cur], err = genesisOpening(id, a, cur); err != nil {
			return gv, err
		}
	}
	return gv, gv.openSupplies(id, g)
}

// openSupplies opens the genesis supply of each currency the party issues:
// Com(0, 0) needs no memo; a funded supply is opened from the issuer's
// supply memo, which must match the sum of the genesis balances. A funded
// supply without a memo is left unopened (recovery then reports it).
func (gv genesisView) openSupplies(id *Identity, g *ledger.Genesis) error {
	for _, is := range g.Issuers {
		cur, err := ledger.ParseCurrency(is.Currency)
		if err != nil || is.Party != id.Config.ID {
			continue
		}
		sum := gv.supply[cur]
		memo := is.SealedSupplyMemo()
		switch {
		case sum.Equal(zkp.ZeroCommitment()):
			gv.supplyOpenings[cur] = ledger.ZeroOpening()
		case len(memo) != 0:
			o, err := ledger.OpenMemo(id.MemoKey, memo, ledger.GenesisSupplyMemoAAD(id.Config.ChainID, is.Party, cur))
			if err != nil || !o.Commitment().Equal(sum) {
				return fmt.Errorf("%w: the genesis supply memo of %s does not open to the sum of its genesis balances with this home's memo key (chain %s)",
					ErrRecover, cur, id.Config.ChainID)
			}
			gv.supplyOpenings[cur] = o
		}
	}
	return nil
}

// genesisOpening opens a genesis account's memo, or takes Com(0, 0) as the
// opening of an account opened at zero.
func genesisOpening(id *Identity, a ledger.GenesisAccount, cur ledger.Currency) (ledger.Opening, error) {
	avail, err := zkp.ParseCommitment(a.Available)
	if err != nil {
		return ledger.Opening{}, err
	}
	if avail.Equal(zkp.ZeroCommitment()) {
		return ledger.ZeroOpening(), nil
	}
	memo := a.SealedMemo()
	if len(memo) == 0 {
		return ledger.Opening{}, fmt.Errorf("%w: the genesis funds %s's %s account without a memo of its opening; only a backup of the wallet has it",
			ErrRecover, a.Party, cur)
	}
	o, err := ledger.OpenMemo(id.MemoKey, memo, ledger.GenesisMemoAAD(id.Config.ChainID, a.Party, cur))
	if err != nil || !o.Commitment().Equal(avail) {
		return ledger.Opening{}, fmt.Errorf("%w: the genesis memo of %s's %s account does not open to its balance with this home's memo key (chain %s)",
			ErrRecover, a.Party, cur, id.Config.ChainID)
	}
	return o, nil
}

// readIncoming opens every payment into the party, paging by height as
// sync does.
func (r *rebuild) readIncoming(ctx context.Context, c *client.Client) error {
	scanned, err := c.EachIncoming(ctx, r.id.Config.ID, 0, func(in ledger.IncomingInfo) (bool, error) {
		id, err := ledger.ParseTxID(in.TxID)
		if err != nil || r.payments[id] != nil {
			return false, err
		}
		return true, r.addPayment(id, in)
	})
	r.scanned = scanned
	return err
}

func (r *rebuild) addPayment(id ledger.TxID, in ledger.IncomingInfo) error {
	cur, err := ledger.ParseCurrency(in.Currency)
	if err != nil {
		return err
	}
	amount, err := zkp.ParseCommitment(in.Amount)
	if err != nil {
		return err
	}
	p := &payment{info: in, id: id, cur: cur, amount: amount}
	if o, bad := OpenIncoming(r.id, in, cur, amount); bad != "" {
		p.bad = bad
	} else {
		p.opening = &o
	}
	r.payments[id] = p
	return nil
}

// readOwn folds every own committed transaction, in ledger order: the tx
// index gives them by height, and foldBlock sorts each height's by their
// index in the block.
func (r *rebuild) readOwn(ctx context.Context, c *client.Client) error {
	return c.EachSentBlock(ctx, r.id.Config.ID, r.foldBlock)
}

// foldBlock folds one height's own transactions in block order.
func (r *rebuild) foldBlock(block []client.SentTx) error {
	sort.Slice(block, func(i, j int) bool { return block[i].Index < block[j].Index })
	for _, st := range block {
		if err := r.foldRaw(st); err != nil {
			return err
		}
	}
	return nil
}

// foldRaw folds one indexed transaction; only those the app applied
// (code 0) count, and their nonces must run 0, 1, 2… without a gap.
func (r *rebuild) foldRaw(st client.SentTx) error {
	if st.Code != ledger.CodeOK {
		return nil
	}
	tx, err := ledger.DecodeTx(st.Raw)
	if err != nil {
		return fmt.Errorf("%w: the transaction at height %d index %d does not decode: %w", ErrRecover, st.Height, st.Index, err)
	}
	if tx.Sender != r.id.Config.ID || tx.Nonce != uint64(r.txs) {
		return fmt.Errorf("%w: the tx index gave %s's transaction with nonce %d at height %d where nonce %d of %s was due",
			ErrRecover, tx.Sender, tx.Nonce, st.Height, r.txs, r.id.Config.ID)
	}
	if err := r.fold(tx); err != nil {
		return fmt.Errorf("%w: %s %s (nonce %d, height %d): %w", ErrRecover, tx.Kind, tx.ID(), tx.Nonce, st.Height, err)
	}
	r.txs++
	return nil
}

// fold applies one own committed transaction to the rebuilt openings.
func (r *rebuild) fold(tx *ledger.Tx) error {
	switch b := tx.Body.(type) {
	case *ledger.Transfer:
		return r.debit(b.Currency, tx.Nonce, 0, b.SelfMemo, b.Amount)
	case *ledger.BatchTransfer:
		for j := range b.Payments {
			if err := r.debit(b.Payments[j].Currency, tx.Nonce, j, b.Payments[j].SelfMemo, b.Payments[j].Amount); err != nil {
				return fmt.Errorf("payment %d: %w", j, err)
			}
		}
		return nil
	case *ledger.Burn:
		o, err := r.selfOpening(b.Currency, tx.Nonce, 0, b.SelfMemo, b.Amount)
		if err != nil {
			return err
		}
		return r.moveSupply(b.Currency, ledger.ZeroOpening(), o, true)
	case *ledger.Mint:
		o, err := r.selfOpening(b.Currency, tx.Nonce, 0, b.SelfMemo, b.Amount)
		if err != nil {
			return err
		}
		return r.moveSupply(b.Currency, o, ledger.ZeroOpening(), false)
	case *ledger.ApplyPending:
		return r.apply(b)
	case *ledger.Swap: // the payer's leg A; leg B is the provider's (readFills)
		return r.debit(b.Sell, tx.Nonce, 0, b.SelfMemoA, b.AmountA)
	case *ledger.Quote: // moves nothing; its fills move its band (readFills)
		r.addQuote(tx, b)
	}
	return nil // registrations and epoch closes move no opening
}

// selfOpening opens an own payment's self-memo.
func (r *rebuild) selfOpening(c ledger.Currency, nonce uint64, j int, memo []byte, amount zkp.Commitment) (ledger.Opening, error) {
	return OpenSelfMemo(r.id, c, nonce, j, memo, amount)
}

// OpenSelfMemo opens the self-memo of payment j of id's own transaction
// with this nonce in c, and checks it against the payment's amount
// commitment: the one way a sender reads back what it paid.
func OpenSelfMemo(id *Identity, c ledger.Currency, nonce uint64, j int, memo []byte, amount zkp.Commitment) (ledger.Opening, error) {
	if len(memo) == 0 {
		return ledger.Opening{}, errors.New("it carries no self-memo (sent by a wallet from before self-memos): its amount is on no ledger; only a backup of the wallet has it")
	}
	o, err := ledger.OpenMemo(id.MemoKey, memo, ledger.SelfMemoAAD(id.Config.ChainID, id.Config.ID, c, nonce, j))
	if err != nil {
		return o, errors.New("its self-memo does not open with this home's memo key")
	}
	if !o.Commitment().Equal(amount) {
		return o, errors.New("its self-memo opens but does not match the amount commitment")
	}
	return o, nil
}

// debit takes a self-memo's amount from the available opening.
func (r *rebuild) debit(c ledger.Currency, nonce uint64, j int, memo []byte, amount zkp.Commitment) error {
	o, err := r.selfOpening(c, nonce, j, memo, amount)
	if err != nil {
		return err
	}
	base, ok := r.base[c]
	if !ok {
		base = ledger.ZeroOpening()
	}
	if r.base[c], err = base.Minus(o); err != nil {
		return fmt.Errorf("it spends more than the rebuilt available balance: %w", err)
	}
	return nil
}

// moveSupply records an issuer's mint or burn; a burn also leaves the
// issuer's available balance.
func (r *rebuild) moveSupply(c ledger.Currency, minted, burned ledger.Opening, debit bool) error {
	m, ok := r.supply[c]
	if !ok {
		m = SupplyMoves{Minted: ledger.ZeroOpening(), Burned: ledger.ZeroOpening()}
	}
	var err error
	if m.Minted, err = m.Minted.Plus(minted); err != nil {
		return err
	}
	if m.Burned, err = m.Burned.Plus(burned); err != nil {
		return err
	}
	r.supply[c] = m
	if !debit {
		return nil
	}
	base, ok := r.base[c]
	if !ok {
		base = ledger.ZeroOpening()
	}
	if r.base[c], err = base.Minus(burned); err != nil {
		return fmt.Errorf("it burns more than the rebuilt available balance: %w", err)
	}
	return nil
}

// apply moves the payments an apply-pending names into available.
func (r *rebuild) apply(b *ledger.ApplyPending) error {
	base, ok := r.base[b.Currency]
	if !ok {
		base = ledger.ZeroOpening()
	}
	for _, id := range b.Payments {
		p := r.payments[id]
		switch {
		case p == nil || p.cur != b.Currency:
			return fmt.Errorf("it applies payment %s, which the node lists as no %s payment into %s", id, b.Currency, r.id.Config.ID)
		case p.opening == nil:
			return fmt.Errorf("it applies payment %s, whose memo does not open now (%s)", id, p.bad)
		case r.applied[id]:
			return fmt.Errorf("it applies payment %s a second time", id)
		}
		var err error
		if base, err = base.Plus(*p.opening); err != nil {
			return err
		}
		r.applied[id] = true
	}
	r.base[b.Currency] = base
	return nil
}

// check compares the rebuilt openings with the ledger: every account's
// available balance, and its pending balance as the sum of the payments
// not yet applied; the number of own transactions with the nonce; and the
// band of every live quote.
func (r *rebuild) check(v ledgerView) error {
	me := r.id.Config.ID
	if uint64(r.txs) != v.nonce {
		return fmt.Errorf("%w: the node's tx index holds %d of %s's %d committed transactions (is its tx indexer kv, and nothing pruned?)",
			ErrRecover, r.txs, me, v.nonce)
	}
	for c := range r.base {
		if _, ok := v.accounts[c]; !ok {
			return fmt.Errorf("%w: %s has no %s account on the ledger, yet its transactions move one", ErrRecover, me, c)
		}
	}
	r.accounts = r.accounts[:0]
	for _, k := range ledger.Currencies {
		if a, ok := v.accounts[k.Code]; ok {
			if err := r.checkAccount(k.Code, a); err != nil {
				return err
			}
			r.accounts = append(r.accounts, k.Code)
		}
	}
	return r.checkBands(v.quotes)
}

// checkAccount compares one account's rebuilt available opening and
// pending payments with its commitments on the ledger.
func (r *rebuild) checkAccount(c ledger.Currency, a ledger.AccountInfo) error {
	base, ok := r.base[c]
	if !ok {
		base = ledger.ZeroOpening()
	}
	if base.Commitment().String() != a.Available {
		return fmt.Errorf("%w: the rebuilt %s available balance does not match the ledger's commitment; nothing was written", ErrRecover, c)
	}
	if r.pendingSum(c).String() != a.Pending {
		return fmt.Errorf("%w: the %s payments the node lists as pending do not sum to the ledger's pending commitment; nothing was written", ErrRecover, c)
	}
	return nil
}

// rebuildSupply opens the supply of each currency the party issues: its
// genesis supply's opening plus its mints less its burns, which must be the
// ledger's supply. A currency whose genesis supply the party cannot open
// (funded, with no supply memo) is left out and reported.
func (r *rebuild) rebuildSupply(genesis genesisView, v ledgerView) error {
	for _, k := range ledger.Currencies {
		if _, issued := genesis.supply[k.Code]; !issued {
			continue
		}
		o, ok := genesis.supplyOpenings[k.Code]
		if !ok {
			r.unsupplied = append(r.unsupplied, k.Code)
			continue
		}
		m, ok := r.supply[k.Code]
		if !ok {
			m = SupplyMoves{Minted: ledger.ZeroOpening(), Burned: ledger.ZeroOpening()}
		}
		o, err := o.Plus(m.Minted)
		if err == nil {
			o, err = o.Minus(m.Burned)
		}
		if err != nil || o.Commitment().String() != v.supply[k.Code] {
			return fmt.Errorf("%w: the %s supply rebuilt from the genesis and the issuer's mints and burns does not match the ledger's; nothing was written", ErrRecover, k.Code)
		}
		r.supplied[k.Code] = o
	}
	return nil
}

// pendingSum is the sum of the amount commitments of c's payments not yet
// applied, whether or not their memos opened.
func (r *rebuild) pendingSum(c ledger.Currency) zkp.Commitment {
	sum := zkp.ZeroCommitment()
	for _, p := range r.payments {
		if p.cur == c && !r.applied[p.id] {
			sum = sum.Add(p.amount)
		}
	}
	return sum
}

func (r *rebuild) report() RecoverReport {
	rep := RecoverReport{Txs: r.txs, Nonce: uint64(r.txs), Supply: r.supply, SupplyNotRebuilt: r.unsupplied, Fills: r.fills, Quotes: len(r.bands)}
	rep.Accounts = r.accounts
	for _, p := range r.sortedPayments() {
		switch {
		case p.opening == nil:
			rep.Bad = append(rep.Bad, fmt.Sprintf("%s from %s: %s", p.info.TxID, p.info.Sender, p.bad))
		case !r.applied[p.id]:
			rep.Received++
			rep.Pending++
		default:
			rep.Received++
		}
	}
	return rep
}

// sortedPayments lists the payments by height, then id.
func (r *rebuild) sortedPayments() []*payment {
	out := make([]*payment, 0, len(r.payments))
	for _, p := range r.payments {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].info.Height != out[j].info.Height {
			return out[i].info.Height < out[j].info.Height
		}
		return out[i].info.TxID < out[j].info.TxID
	})
	return out
}

// write builds the wallet in a temporary directory of the home, in one
// synced batch, and renames it into place.
func (r *rebuild) write() error {
	tmp, err := os.MkdirTemp(r.id.Home, ".wallet-recover-")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrRecover, err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	if err := r.writeAt(tmp); err != nil {
		return err
	}
	if err := refuseExisting(r.id); err != nil {
		return err
	}
	if err := os.Rename(tmp, WalletDir(r.id.Home)); err != nil {
		return fmt.Errorf("%w: %w", ErrRecover, err)
	}
	done = true
	return syncDir(r.id.Home)
}

// writeAt writes the rebuilt wallet as a fresh Pebble database in dir.
func (r *rebuild) writeAt(dir string) error {
	w, err := createWalletAt(r.id, dir)
	if err != nil {
		return err
	}
	err = w.write(r.records)
	if cerr := w.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("%w: %w", ErrRecover, cerr)
	}
	return err
}

// records puts every rebuilt record into b: the available openings, the
// payments still pending, every payment marked scanned, the live quotes'
// bands, and where the next scan starts.
func (r *rebuild) records(b *pebble.Batch) error {
	for c, o := range r.base {
		wr := &codec.Writer{}
		encodeOpening(wr, o)
		if err := b.Set(baseKey(c), wr.B, nil); err != nil {
			return err
		}
	}
	for _, p := range r.payments {
		if err := b.Set(scannedKey(p.info.TxID), []byte{1}, nil); err != nil {
			return err
		}
		if p.opening == nil || r.applied[p.id] {
			continue
		}
		rec := &received{TxID: p.id, Currency: p.cur, Opening: *p.opening, Height: p.info.Height}
		if err := b.Set(receivedKey(p.cur, p.id), rec.encode(), nil); err != nil {
			return err
		}
	}
	for c, o := range r.supplied {
		if err := putSupply(b, c, o); err != nil {
			return err
		}
	}
	for id, o := range r.bands {
		wr := &codec.Writer{}
		encodeOpening(wr, o)
		if err := b.Set(bandKey(id), wr.B, nil); err != nil {
			return err
		}
	}
	return b.Set(keyScan, binary.BigEndian.AppendUint64(nil, uint64(r.scanned)), nil)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrRecover, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("%w: sync %s: %w", ErrRecover, filepath.Base(dir), err)
	}
	return nil
}
