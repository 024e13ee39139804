package state

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/internal/codec"
	"github.com/sable-settlement/sable/zkp"
)

// Encrypted liquidity monitoring. Every mint, burn, transfer and batch
// carries its flows (amount, amount blinding) encrypted to the regulator's
// HE key. The ledger adds them, without decrypting them, into one running
// ciphertext per currency, the currency's book, whose slot groups are the
// currency's aggregates (ledger.Layout), and keeps beside each aggregate
// the sum of the matching public amount commitments, so the regulator can
// decrypt a book and check each aggregate's group:
// Com(Σ amount, Σ blinding) == Σ C_amt.
//
// State, per currency CUR:
//
//	hg/CUR   the book's layout (the aggregate of each slot group)
//	hk/CUR   the book's ciphertext
//	hkl/CUR  its load: the payments summed into it, its epoch base counting for its own load
//	hkc/CUR  the sum of the commitments of every payment in it, each once
//	hkb/CUR  its base: the regulator's re-encryption at its last epoch close
//
// and per aggregate key: its commitment sum at hc/<key>, the payments
// summed into its group at hl/<key>, its commitment sum at its book's
// last epoch close at hb/<key>, and, for bisection, the transactions
// that entered it since then at hx/<key>/<height><index>.
//
// Layout. An account's groups (its in and out, and the corridors its
// country brings) are assigned when it is opened, at genesis or by
// register-account, which is refused with CodeLayoutFull when the book has
// no room: so every payment between registered accounts has its groups
// before it is made.
//
// Capacity. A book's load is kept at hkl/CUR and counted as each flow is
// recorded, in CheckTx as in FinalizeBlock; a flow's load is its number of
// payments in the currency (ledger.DecodeFlow checks the claim), and no
// group of a book can hold more payments than the book. A transaction
// that would take any book past the app's capacity (he's MaxLoad unless
// set lower) is rejected with ledger.CodeAggregateFull, in CheckTx and in
// apply alike, before it changes anything; so the ciphertext additions made
// when the block is flushed never exceed what he accepts and FinalizeBlock
// never fails for capacity. An epoch close sets the load back to that of
// the regulator's re-encryption.
//
// Opening balances. The genesis accounts' flows (one group, FlowGroup,
// which is currency/<CUR>/funded's) start the book; in/<CUR>/<party>
// counts what flows into an account after genesis.

func layoutKey(c ledger.Currency) []byte   { return []byte("hg/" + c.String()) }
func bookKey(c ledger.Currency) []byte     { return []byte("hk/" + c.String()) }
func bookLoadKey(c ledger.Currency) []byte { return []byte("hkl/" + c.String()) }
func bookSumKey(c ledger.Currency) []byte  { return []byte("hkc/" + c.String()) }
func bookBaseKey(c ledger.Currency) []byte { return []byte("hkb/" + c.String()) }

func aggSumKey(k string) []byte { return []byte("hc/" + k) }
func aggTxKey(k string, height int64, index uint32) []byte {
	b := binary.BigEndian.AppendUint64([]byte("hx/"+k+"/"), uint64(height))
	return binary.BigEndian.AppendUint32(b, index)
}
func aggTxPrefix(k string) []byte { return []byte("hx/" + k + "/") }

// aggLoadKey holds the payments summed into an aggregate's group, big-endian.
func aggLoadKey(k string) []byte { return []byte("hl/" + k) }

// aggBaseKey holds an aggregate's commitment sum at its book's last epoch
// close, what its group of the book's base stands for: the first element
// of any later bisection.
func aggBaseKey(k string) []byte { return []byte("hb/" + k) }

// flowBook validates flow ciphertexts and, during FinalizeBlock, collects
// them for the block's books.
type flowBook struct {
	pk       *he.PublicKey
	params   *he.Params
	ev       *he.Evaluator
	capacity uint64 // the largest load a book may reach, ≤ params.MaxLoad()
	// pending holds, per book touched in the current block, an optional
	// replacement (epoch close) and the flows to add, in order.
	pending map[ledger.Currency]*bookUpdate
	decoded flowCache
}

// flowCache remembers how a flow's bytes decoded for a claimed load, keyed
// by their SHA-256 and the load. A validator decodes a transaction's flows
// once per apply, up to five times (CheckTx, recheck, PrepareProposal,
// ProcessProposal, FinalizeBlock), and a full batch's flow took 2.6 ms to
// unpack and check for degeneracy (he.Ciphertext.CheckNondegenerate sorts
// every coefficient) against 0.06 ms to hash. The verdict depends only on
// the bytes, the load and the book's parameters (fixed for a flowBook), so
// the first serves them all, valid or not: the cache saves time, never
// changes an outcome. A cached ciphertext is shared by every apply that
// meets the same bytes: nothing may modify it (flush adds it into a book,
// it never adds into it).
//
// Two generations of up to flowCacheEntries each bound the memory (a
// decoded flow holds about 130 kB): when the newer fills, the older is
// dropped, so a flow decoded at CheckTx survives until its block.
type flowCache struct {
	mu       sync.Mutex
	cur, old map[flowKey]flowVerdict
}

type flowKey struct {
	hash [32]byte
	load uint64
}

type flowVerdict struct {
	ct  *he.Ciphertext
	rej *ledger.Rejection
}

const flowCacheEntries = 64

func (c *flowCache) get(k flowKey) (flowVerdict, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.cur[k]; ok {
		return v, true
	}
	v, ok := c.old[k]
	return v, ok
}

func (c *flowCache) put(k flowKey, v flowVerdict) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil || len(c.cur) >= flowCacheEntries {
		c.old, c.cur = c.cur, make(map[flowKey]flowVerdict, flowCacheEntries)
	}
	c.cur[k] = v
}

type bookUpdate struct {
	base *he.Ciphertext // non-nil after an epoch close in this block
	adds []*he.Ciphertext
}

// newFlowBook returns the book for the regulator's key; capacity 0 or
// above he's MaxLoad means MaxLoad.
func newFlowBook(pk *he.PublicKey, capacity uint64) *flowBook {
	p := pk.Params()
	if capacity == 0 || capacity > p.MaxLoad() {
		capacity = p.MaxLoad()
	}
	return &flowBook{pk: pk, params: p, ev: he.NewEvaluator(p), capacity: capacity}
}

// decode checks a transaction's flow ciphertext in one currency: well
// formed, made for the regulator's parameters, claiming the load of its
// payments. The ciphertext is shared (flowCache): never modify it.
func (f *flowBook) decode(b []byte, payments int) (*he.Ciphertext, *ledger.Rejection) {
	if f == nil {
		return ledger.DecodeFlow(nil, b, 0)
	}
	k := flowKey{hash: sha256.Sum256(b), load: uint64(payments)}
	if v, ok := f.decoded.get(k); ok {
		return v.ct, v.rej
	}
	ct, rej := ledger.DecodeFlow(f.params, b, uint64(payments))
	f.decoded.put(k, flowVerdict{ct, rej})
	return ct, rej
}

// layout reads a currency's layout: a fresh one if it has none yet.
func (v view) layout(c ledger.Currency) (*ledger.Layout, error) {
	raw, err := v.o.get(layoutKey(c))
	if err != nil || raw == nil {
		return ledger.NewLayout(c), err
	}
	r := codec.NewReader(raw)
	n := r.U64()
	if r.Err() == nil && n > 1<<16 {
		return nil, stateErr("layout", fmt.Errorf("%d keys", n))
	}
	keys := make([]string, 0, n)
	for i := uint64(0); i < n && r.Err() == nil; i++ {
		keys = append(keys, r.Str(255))
	}
	if err := r.Done(); err != nil {
		return nil, stateErr("layout", err)
	}
	l, err := ledger.LayoutOf(c, keys)
	if err != nil {
		return nil, stateErr("layout", err)
	}
	return l, nil
}

func (v view) putLayout(l *ledger.Layout) {
	w := &codec.Writer{}
	w.U64(uint64(len(l.Keys)))
	for _, k := range l.Keys {
		w.Str(k)
	}
	v.o.set(layoutKey(l.Currency), w.B)
}

// admit gives an account of p in c its slot groups in c's book.
func (f *flowBook) admit(v view, c ledger.Currency, p *Party) *ledger.Rejection {
	if f == nil {
		return nil
	}
	l, err := v.layout(c)
	if err != nil {
		return internal(err)
	}
	added, err := l.Admit(p.ID, p.Country, f.params.Groups())
	if err != nil {
		return ledger.Reject(ledger.CodeLayoutFull, "%v; the network needs a larger ring or a second book page before it takes this account", err)
	}
	if len(added) > 0 {
		v.putLayout(l)
	}
	return nil
}

// bookFlow is one transaction's flow in one currency: its ciphertext and
// its payments, each with its amount and the aggregates it enters.
type bookFlow struct {
	currency ledger.Currency
	ct       *he.Ciphertext
	amounts  []zkp.Commitment
	keys     [][]string
}

// record books a transaction's flows: commitment sums, payment counts and
// the tx index of every aggregate they enter, and each book's load and
// sum, go to the overlay now (they are small); ciphertexts are added at
// the end of the block, when collecting (FinalizeBlock only). It first
// checks every book's capacity and layout and, if one fails, rejects the
// transaction having changed nothing.
func (f *flowBook) record(v view, flows []bookFlow, height int64, index uint32, txid ledger.TxID) *ledger.Rejection {
	if f == nil {
		return nil
	}
	loads := make([]uint64, len(flows))
	for i, fl := range flows {
		n, err := f.loadOf(v, fl.currency)
		if err != nil {
			return internal(err)
		}
		if n >= f.capacity || fl.ct.Load() > f.capacity-n {
			return ledger.Reject(ledger.CodeAggregateFull, "the %s book holds %d payments, and %d more would pass its capacity %d; the regulator must close its epoch before it takes more", fl.currency, n, fl.ct.Load(), f.capacity)
		}
		loads[i] = n + fl.ct.Load()
		l, err := v.layout(fl.currency)
		if err != nil {
			return internal(err)
		}
		for _, ks := range fl.keys {
			for _, k := range ks {
				if _, ok := l.Group(k); !ok {
					return internal(fmt.Errorf("ledger: aggregate %s has no slot group", k))
				}
			}
		}
	}
	for i, fl := range flows {
		// The sums are accumulated in extended coordinates and read back
		// with one inversion for all (zkp.Accumulator): the same points
		// as a chain of affine additions, without an inversion for each
		// of a batch's payments in each of its aggregates. Payments that
		// enter the same aggregates (a corridor's) are summed once, and
		// that sum added into each of them.
		groups, byKeys := []*keyGroup{}, map[string]*keyGroup{}
		for j, ks := range fl.keys {
			id := keySetID(ks)
			g, ok := byKeys[id]
			if !ok {
				g = &keyGroup{keys: ks}
				byKeys[id] = g
				groups = append(groups, g) // first-seen order: deterministic
			}
			g.sum.Add(fl.amounts[j])
			g.n++
		}
		gsums := zkp.Sums(accumulators(groups))
		accs, counts, order := map[string]*zkp.Accumulator{}, map[string]uint64{}, []string{}
		total := &zkp.Accumulator{}
		for n, g := range groups {
			total.Add(gsums[n])
			for _, k := range g.keys {
				acc, ok := accs[k]
				if !ok {
					acc = &zkp.Accumulator{}
					accs[k] = acc
					order = append(order, k) // first-seen order: deterministic
				}
				acc.Add(gsums[n])
				counts[k] += g.n
			}
		}
		all := make([]*zkp.Accumulator, 0, len(order)+1)
		for _, k := range order {
			sum, err := v.commitmentAt(aggSumKey(k))
			if err != nil {
				return internal(err)
			}
			accs[k].Add(sum)
			all = append(all, accs[k])
		}
		bs, err := v.commitmentAt(bookSumKey(fl.currency))
		if err != nil {
			return internal(err)
		}
		total.Add(bs)
		sums := zkp.Sums(append(all, total))
		for n, k := range order {
			b := sums[n].Bytes()
			v.o.set(aggSumKey(k), b[:])
			v.o.set(aggTxKey(k, height, index), txid[:])
			c, err := v.count(aggLoadKey(k))
			if err != nil {
				return internal(err)
			}
			v.o.set(aggLoadKey(k), binary.BigEndian.AppendUint64(nil, c+counts[k]))
		}
		b := sums[len(order)].Bytes()
		v.o.set(bookSumKey(fl.currency), b[:])
		v.o.set(bookLoadKey(fl.currency), binary.BigEndian.AppendUint64(nil, loads[i]))
		if f.pending != nil {
			u := f.update(fl.currency)
			u.adds = append(u.adds, fl.ct)
		}
	}
	return nil
}

// keyGroup is the payments of a flow that enter the same aggregates.
type keyGroup struct {
	keys []string
	sum  zkp.Accumulator
	n    uint64
}

// keySetID names a list of aggregate keys unambiguously: each key
// length-prefixed, so no two lists share a name.
func keySetID(ks []string) string {
	var b strings.Builder
	for _, k := range ks {
		b.WriteString(strconv.Itoa(len(k)))
		b.WriteByte(':')
		b.WriteString(k)
	}
	return b.String()
}

func accumulators(gs []*keyGroup) []*zkp.Accumulator {
	out := make([]*zkp.Accumulator, len(gs))
	for i, g := range gs {
		out[i] = &g.sum
	}
	return out
}

// count reads a big-endian counter, 0 if absent.
func (v view) count(key []byte) (uint64, error) {
	raw, err := v.o.get(key)
	if err != nil || raw == nil {
		return 0, err
	}
	if len(raw) != 8 {
		return 0, stateErr("counter", fmt.Errorf("%d bytes", len(raw)))
	}
	return binary.BigEndian.Uint64(raw), nil
}

// loadOf returns a book's load, 0 for a book never touched.
func (f *flowBook) loadOf(v view, c ledger.Currency) (uint64, error) {
	return v.count(bookLoadKey(c))
}

func (f *flowBook) update(c ledger.Currency) *bookUpdate {
	u := f.pending[c]
	if u == nil {
		u = &bookUpdate{}
		f.pending[c] = u
	}
	return u
}

// begin and flush bracket a FinalizeBlock: flush adds the block's flows
// into the stored books in currency order and writes each once.
func (f *flowBook) begin() {
	if f != nil {
		f.pending = map[ledger.Currency]*bookUpdate{}
	}
}

func (f *flowBook) flush(o *overlay) error {
	if f == nil {
		return nil
	}
	defer func() { f.pending = nil }()
	cs := make([]ledger.Currency, 0, len(f.pending))
	for c := range f.pending {
		cs = append(cs, c)
	}
	sort.Slice(cs, func(i, j int) bool { return string(cs[i][:]) < string(cs[j][:]) })
	for _, c := range cs {
		u := f.pending[c]
		book := u.base
		if book == nil {
			var err error
			if book, err = f.load(o, c); err != nil {
				return err
			}
		}
		for _, ct := range u.adds {
			// record refused every flow past the capacity, so this fails
			// only if the loads kept in state disagree with the
			// ciphertexts: a broken invariant, which must halt the node.
			if err := f.ev.Add(book, ct); err != nil {
				return fmt.Errorf("ledger: %s book: %w", c, err)
			}
		}
		b, err := book.MarshalBinary()
		if err != nil {
			return fmt.Errorf("ledger: %s book: %w", c, err)
		}
		o.set(bookKey(c), b)
	}
	return nil
}

// load reads a book, or a zero one for a currency never touched.
func (f *flowBook) load(o *overlay, c ledger.Currency) (*he.Ciphertext, error) {
	raw, err := o.get(bookKey(c))
	if err != nil {
		return nil, err
	}
	ct := he.Zero(f.params)
	if raw == nil {
		return ct, nil
	}
	if err := ct.UnmarshalBinary(raw); err != nil {
		return nil, stateErr("book", err)
	}
	return ct, nil
}

// epochClose replaces books by the regulator's re-encryptions. Each
// aggregate of a replaced book keeps its commitment sum, which becomes its
// base's, and forgets its transactions.
func (e *executor) epochClose(v view, sender *Party, b *ledger.EpochClose, st *TxStatus) *ledger.Rejection {
	if sender.Role != ledger.RoleRegulator {
		return ledger.Reject(ledger.CodeUnauthorized, "only the regulator closes epochs")
	}
	if e.flows == nil {
		return ledger.Reject(ledger.CodeFlowMalformed, "this chain has no regulator HE key")
	}
	cts := make([]*he.Ciphertext, len(b.Aggregates))
	for i, a := range b.Aggregates {
		c, _ := ledger.ParseBookKey(a.Key) // checked by decode
		ct := he.Zero(e.flows.params)
		if err := ct.UnmarshalBinary(a.Ciphertext); err != nil {
			return ledger.Reject(ledger.CodeFlowParams, "epoch close %s: %v", a.Key, err)
		}
		if ct.Load() > e.flows.capacity {
			return ledger.Reject(ledger.CodeAggregateFull, "epoch close %s: the re-encryption's load %d is above the capacity %d", a.Key, ct.Load(), e.flows.capacity)
		}
		cts[i] = ct
		sum, err := v.commitmentAt(bookSumKey(c))
		if err != nil {
			return internal(err)
		}
		if !sum.Equal(a.Sum) {
			return ledger.Reject(ledger.CodeStaleClose, "epoch close %s: the book has changed since the regulator read it; audit again and close", a.Key)
		}
	}
	for i, a := range b.Aggregates {
		c, _ := ledger.ParseBookKey(a.Key)
		l, err := v.layout(c)
		if err != nil {
			return internal(err)
		}
		for _, k := range l.Keys {
			entries, err := v.o.scan(aggTxPrefix(k))
			if err != nil {
				return internal(err)
			}
			for _, en := range entries {
				v.o.del([]byte(en.Key))
			}
			sum, err := v.commitmentAt(aggSumKey(k))
			if err != nil {
				return internal(err)
			}
			sb := sum.Bytes()
			v.o.set(aggBaseKey(k), sb[:])
		}
		v.o.set(bookBaseKey(c), a.Ciphertext)
		v.o.set(bookKey(c), a.Ciphertext)
		v.o.set(bookLoadKey(c), binary.BigEndian.AppendUint64(nil, cts[i].Load()))
		if e.flows.pending != nil {
			e.flows.pending[c] = &bookUpdate{base: cts[i]}
		}
	}
	return nil
}
