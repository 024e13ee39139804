package state

import (
	"context"
	"io"
	"log/slog"
	"math/big"
	"slices"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/internal/pebblekv"
)

// fxStoreBytes is the committed size of the FX records: every fx key and
// value (quotes, their index, fills).
func (x *fxFixture) fxStoreBytes() int {
	x.t.Helper()
	all, err := x.app.store.scan([]byte("fx"))
	if err != nil {
		x.t.Fatal(err)
	}
	n := 0
	for k, v := range all {
		n += len(k) + len(v)
	}
	return n
}

// stored reads a committed key.
func (x *fxFixture) stored(key []byte) []byte {
	x.t.Helper()
	v, err := x.app.store.get(key)
	if err != nil {
		x.t.Fatal(err)
	}
	return v
}

// committedQuotes are the quote ids in committed state, in key order.
func (x *fxFixture) committedQuotes() []ledger.TxID {
	x.t.Helper()
	entries, err := pebblekv.Scan(x.app.store.db, quotePrefix())
	if err != nil {
		x.t.Fatal(err)
	}
	var ids []ledger.TxID
	for _, e := range entries {
		var id ledger.TxID
		copy(id[:], e.Key[len(quotePrefix()):])
		ids = append(ids, id)
	}
	return ids
}

func (x *fxFixture) liveQuoteIDs() []string {
	x.t.Helper()
	var qs []ledger.QuoteInfo
	if code := x.query("/fx/quotes", "", &qs); code != 0 {
		x.t.Fatalf("/fx/quotes: code %d", code)
	}
	var ids []string
	for _, q := range qs {
		ids = append(ids, q.ID)
	}
	return ids
}

// twin is a second node over its own store, from the same genesis and the
// fixture's first block: block runs each block on both and fails when
// their app hashes differ.
type twin struct {
	x   *fxFixture
	app *App
}

func (x *fxFixture) twin() *twin {
	x.t.Helper()
	store, err := OpenStore(x.t.TempDir())
	if err != nil {
		x.t.Fatal(err)
	}
	x.t.Cleanup(func() { store.Close() })
	keys := testKeys.keys
	_, keys.FX = fxKeys()
	app, err := NewApp(store, keys, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		x.t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := app.InitChain(ctx, &abci.InitChainRequest{ChainId: testChain, AppStateBytes: x.genesis}); err != nil {
		x.t.Fatal(err)
	}
	tw := &twin{x: x, app: app}
	for h := int64(1); h <= x.height; h++ { // the fixture's blocks so far are empty
		tw.finalize(h)
	}
	return tw
}

func (tw *twin) finalize(h int64, txs ...[]byte) []byte {
	tw.x.t.Helper()
	ctx := context.Background()
	res, err := tw.app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Height: h, Txs: txs})
	if err != nil {
		tw.x.t.Fatal(err)
	}
	if _, err := tw.app.Commit(ctx, &abci.CommitRequest{}); err != nil {
		tw.x.t.Fatal(err)
	}
	return res.AppHash
}

func (tw *twin) block(txs ...[]byte) *abci.FinalizeBlockResponse {
	tw.x.t.Helper()
	res := tw.x.block(txs...)
	if h := tw.finalize(tw.x.height, txs...); string(h) != string(res.AppHash) {
		tw.x.t.Fatalf("height %d: the twin node reached another app hash", tw.x.height)
	}
	return res
}

// TestQuotePruned: a quote valid until height v is listed at v, stays in
// state (not live, a swap on it refused as expired) for quotePruneGrace
// blocks, and leaves state at block v + quotePruneGrace + 1 with its
// index entry: the quotes query no longer lists it, the FX records shrink
// by exactly its two, a swap naming it is refused as unknown with state
// and app hash unchanged, the replay of a fill it took is still refused as
// a replay, and the provider's live quote is untouched. A second node
// applying the same blocks reaches the same app hashes.
func TestQuotePruned(t *testing.T) {
	x := newFXFixture(t)
	tw := x.twin()
	short := x.quote(x.hk, usd, sgd, 134_020_000, 1_000_000, 2) // valid until two blocks after its own
	if res := tw.block(short.Encode()); res.TxResults[0].Code != 0 {
		t.Fatalf("quote: %s", res.TxResults[0].Log)
	}
	x.band[short.ID()] = ledger.Opening{Value: 1_000_000, Blinding: new(big.Int)}
	x.hk.nonce++
	v := short.Body.(*ledger.Quote).ValidUntil
	long := x.quote(x.hk, usd, jpy, 150_000_000, 1_000_000, 600)
	if res := tw.block(long.Encode()); res.TxResults[0].Code != 0 {
		t.Fatalf("quote: %s", res.TxResults[0].Log)
	}
	x.hk.nonce++
	if x.height != v-1 {
		t.Fatalf("height %d, the short quote is valid until %d", x.height, v)
	}
	if ids := x.liveQuoteIDs(); len(ids) != 2 {
		t.Fatalf("at height %d (the next block can fill both) the live quotes are %v, want both", x.height, ids)
	}
	done := x.fill(x.request(x.sg, short, 10_000, x.us)) // filled at v, its last height
	if res := tw.block(done.tx.Encode()); res.TxResults[0].Code != 0 {
		t.Fatalf("swap at the window's last height: %s", res.TxResults[0].Log)
	}
	x.settle(done)
	if ids := x.liveQuoteIDs(); len(ids) != 1 || ids[0] != long.ID().String() {
		t.Fatalf("at height %d (valid until: no later block can fill it) the live quotes are %v, want the long one", x.height, ids)
	}

	for x.height < v+quotePruneGrace {
		tw.block()
	}
	var q ledger.QuoteInfo
	if x.query("/fx/quote", short.ID().String(), &q) != 0 || q.Live || x.stored(quoteKey(short.ID())) == nil {
		t.Fatalf("at the grace's last height the expired quote is not in state, or live: %+v", q)
	}
	if ids := x.liveQuoteIDs(); len(ids) != 1 || ids[0] != long.ID().String() {
		t.Fatalf("an expired quote is listed: %v", ids)
	}
	late := x.fill(x.request(x.sg, short, 100, x.us))
	if res := x.checkTx(late.tx.Encode()); res.Code != ledger.CodeQuoteExpired {
		t.Fatalf("a swap on a quote still in state: code %d (%s), want expired", res.Code, res.Log)
	}
	quoteRecord := len(quoteKey(short.ID())) + len(x.stored(quoteKey(short.ID())))
	index := quoteExpiryKey(v, short.ID())
	if x.stored(index) == nil {
		t.Fatal("the quote has no expiry index entry")
	}
	before := x.fxStoreBytes()

	tw.block() // v + grace + 1: pruned
	if x.stored(quoteKey(short.ID())) != nil || x.stored(index) != nil {
		t.Fatal("the expired quote, or its index entry, is still in state")
	}
	if got, want := before-x.fxStoreBytes(), quoteRecord+len(index)+len(quoteExpiryMark); got != want {
		t.Fatalf("the FX records shrank by %d bytes, want %d (the quote and its index entry)", got, want)
	}
	if x.stored(quoteKey(long.ID())) == nil || x.stored(quoteExpiryKey(long.Body.(*ledger.Quote).ValidUntil, long.ID())) == nil {
		t.Fatal("the provider's live quote was pruned")
	}
	if ids := x.liveQuoteIDs(); len(ids) != 1 || ids[0] != long.ID().String() {
		t.Fatalf("live quotes after pruning %v", ids)
	}
	if x.query("/fx/quote", short.ID().String(), nil) != ledger.QueryCodeNotFound {
		t.Fatal("the pruned quote still answers /fx/quote")
	}

	replay := func() []byte { // the committed request, filled again as before it
		s := *done
		s.tx, _ = ledger.DecodeTx(done.tx.Encode())
		x.band[done.quote], _ = x.band[done.quote].Plus(done.b)
		x.hk.avail[sgd], _ = x.hk.avail[sgd].Plus(done.b)
		defer func() {
			x.band[done.quote], _ = x.band[done.quote].Minus(done.b)
			x.hk.avail[sgd], _ = x.hk.avail[sgd].Minus(done.b)
		}()
		return x.fill(&s).tx.Encode()
	}
	for _, c := range []struct {
		name string
		raw  []byte
		code uint32
		says string
	}{
		{"a swap on the pruned quote", x.fill(x.request(x.sg, short, 100, x.us)).tx.Encode(), ledger.CodeQuoteUnknown, "pruned"},
		{"the replay of a fill of the pruned quote", replay(), ledger.CodeFillReplayed, "filled already"},
	} {
		snap, hash := x.snapshot(long.ID()), x.app.appHash
		if res := x.checkTx(c.raw); res.Code != c.code || !strings.Contains(res.Log, c.says) {
			t.Fatalf("%s: CheckTx code %d (%s), want %d", c.name, res.Code, res.Log, c.code)
		}
		if r := tw.block(c.raw).TxResults[0]; r.Code != c.code || !strings.Contains(r.Log, c.says) {
			t.Fatalf("%s: in a block code %d (%s), want %d", c.name, r.Code, r.Log, c.code)
		}
		if x.snapshot(long.ID()) != snap || string(x.app.appHash) != string(hash) {
			t.Fatalf("%s: a refused swap changed the state", c.name)
		}
	}
}

// TestQuotePruneBound: five quotes expiring together are pruned at most
// quotePruneLimit a block, in key order (then by id), the rest in the next
// blocks; a second node reaches the same app hash at every block.
func TestQuotePruneBound(t *testing.T) {
	defer func(n int) { quotePruneLimit = n }(quotePruneLimit)
	quotePruneLimit = 2
	x := newFXFixture(t)
	tw := x.twin()
	var txs [][]byte
	for _, p := range []*member{x.hk, x.hk, x.hk, x.sg, x.sg} {
		buy := sgd
		if p == x.sg {
			buy = usd
		}
		q := x.quote(p, jpy, buy, 100_000_000, 1_000, 0) // valid until the block that publishes them
		txs = append(txs, q.Encode())
		p.nonce++
	}
	for i, r := range tw.block(txs...).TxResults {
		if r.Code != 0 {
			t.Fatalf("quote %d: %s", i, r.Log)
		}
	}
	all := x.committedQuotes()
	if len(all) != 5 {
		t.Fatalf("%d quotes in state, want 5", len(all))
	}
	v := x.height
	for x.height < v+quotePruneGrace {
		tw.block()
	}
	for i, want := range [][]ledger.TxID{all, all[2:], all[4:], nil} { // pruned in id order: all share a valid-until
		if i > 0 {
			tw.block()
		}
		if got := x.committedQuotes(); !slices.Equal(got, want) {
			t.Fatalf("height %d: quotes %v in state, want %v", x.height, got, want)
		}
	}
	entries, err := pebblekv.Scan(x.app.store.db, quoteExpiryPrefix())
	if err != nil || len(entries) != 0 {
		t.Fatalf("index entries left: %d, %v", len(entries), err)
	}
}

// TestOverlayScanRange: a bounded range read sees the block's own writes
// over the store's, deletions included, and stops at the limit.
func TestOverlayScanRange(t *testing.T) {
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	base := newOverlay(s)
	for _, k := range []string{"k/1", "k/2", "k/3", "k/5", "k/7", "l/0"} {
		base.set([]byte(k), []byte(k))
	}
	if err := s.commit(base, 1, []byte{1}); err != nil {
		t.Fatal(err)
	}
	parent := newOverlay(s)
	parent.del([]byte("k/1"))
	parent.set([]byte("k/4"), []byte("new"))
	child := parent.child()
	child.del([]byte("k/2"))
	child.set([]byte("k/1"), []byte("again"))
	child.del([]byte("k/3"))
	for _, c := range []struct {
		limit int
		want  string
	}{{1, "k/1"}, {3, "k/1 k/4 k/5"}, {10, "k/1 k/4 k/5 k/7"}} {
		got, err := child.scanRange([]byte("k/"), []byte("k/9"), c.limit)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, e := range got {
			keys = append(keys, e.Key)
		}
		if strings.Join(keys, " ") != c.want {
			t.Fatalf("limit %d: %v, want %s", c.limit, keys, c.want)
		}
	}
}
