package state

import (
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/internal/codec"
	"github.com/sable-settlement/sable/zkp"
)

// Encrypted liquidity monitoring. Every mint, burn and transfer carries its
// flow (amount, amount blinding) encrypted to the regulator's HE key. The
// ledger adds each flow, without decrypting it, into encrypted aggregates
// and keeps beside each the sum of the matching public amount commitments,
// so the regulator can decrypt an aggregate and check it:
// Com(Σ amount, Σ blinding) == Σ C_amt.
//
// Aggregates, each a ciphertext at h/<key> and a commitment sum at hc/<key>:
//
//	in/<CUR>/<party>        flows into an account (transfers, mints, genesis funding)
//	out/<CUR>/<party>       flows out of an account (transfers, burns)
//	corridor/<CUR>/<SC>-<RC> transfers from country SC to country RC
//	currency/<CUR>/transfers, currency/<CUR>/minted, currency/<CUR>/burned,
//	currency/<CUR>/funded (the opening balances at genesis)
//
// and, for bisection, the transactions that entered each since its last
// epoch close at hx/<key>/<height><index>. A flow sits in slot group
// ledger.FlowGroup.
//
// Capacity. Each aggregate's load (the number of flows summed into its
// ciphertext, the epoch base counting for its own load) is kept at
// hl/<key> and counted as each flow is recorded, in CheckTx as in
// FinalizeBlock. A transaction that would take any of its aggregates past
// the app's capacity (he's MaxLoad unless set lower) is rejected with
// ledger.CodeAggregateFull, in CheckTx and in apply alike, before it
// changes anything; so the ciphertext additions made when the block is
// flushed never exceed what he accepts and FinalizeBlock never fails for
// capacity. An epoch close sets the load back to that of the regulator's
// re-encryption.

func aggKey(k string) []byte    { return []byte("h/" + k) }
func aggSumKey(k string) []byte { return []byte("hc/" + k) }
func aggTxKey(k string, height int64, index uint32) []byte {
	b := binary.BigEndian.AppendUint64([]byte("hx/"+k+"/"), uint64(height))
	return binary.BigEndian.AppendUint32(b, index)
}
func aggTxPrefix(k string) []byte { return []byte("hx/" + k + "/") }

// aggLoadKey holds an aggregate's load, big-endian.
func aggLoadKey(k string) []byte { return []byte("hl/" + k) }

// aggBaseKey holds an aggregate's state at its last epoch close: the
// regulator's ciphertext and the commitment sum it stands for, the first
// element of any later bisection.
func aggBaseKey(k string) []byte { return []byte("hb/" + k) }

// flowBook validates flow ciphertexts and, during FinalizeBlock, collects
// them for the block's aggregates.
type flowBook struct {
	pk       *he.PublicKey
	params   *he.Params
	ev       *he.Evaluator
	capacity uint64 // the largest load an aggregate may reach, ≤ params.MaxLoad()
	// pending holds, per aggregate touched in the current block, an
	// optional replacement (epoch close) and the flows to add, in order.
	pending map[string]*aggUpdate
}

type aggUpdate struct {
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

// decode checks a transaction's flow ciphertext: well formed, made for the
// regulator's parameters, load 1 (a single fresh encryption).
func (f *flowBook) decode(b []byte) (*he.Ciphertext, *ledger.Rejection) {
	if f == nil {
		return ledger.DecodeFlow(nil, b)
	}
	return ledger.DecodeFlow(f.params, b)
}

// record books one flow into aggregates: commitment sums, loads and the
// tx index go to the overlay now (they are small); ciphertexts are added
// at the end of the block, when collecting (FinalizeBlock only). It first
// checks every aggregate's capacity and, if one is full, rejects the
// transaction having changed nothing.
func (f *flowBook) record(v view, keys []string, ct *he.Ciphertext, amount zkp.Commitment, height int64, index uint32, txid ledger.TxID) *ledger.Rejection {
	if f == nil || ct == nil {
		return nil
	}
	loads := make([]uint64, len(keys))
	for i, k := range keys {
		n, err := f.loadOf(v, k)
		if err != nil {
			return internal(err)
		}
		if n >= f.capacity || ct.Load() > f.capacity-n {
			return ledger.Reject(ledger.CodeAggregateFull, "aggregate %s holds %d flows, its capacity; the regulator must close its epoch before it takes more", k, n)
		}
		loads[i] = n + ct.Load()
	}
	for i, k := range keys {
		sum, err := v.commitmentAt(aggSumKey(k))
		if err != nil {
			return internal(err)
		}
		b := sum.Add(amount).Bytes()
		v.o.set(aggSumKey(k), b[:])
		v.o.set(aggTxKey(k, height, index), txid[:])
		v.o.set(aggLoadKey(k), binary.BigEndian.AppendUint64(nil, loads[i]))
		if f.pending != nil {
			u := f.update(k)
			u.adds = append(u.adds, ct)
		}
	}
	return nil
}

// loadOf returns an aggregate's load: its counter, or for a state written
// before counters were kept the load its stored ciphertext carries, or 0
// for an aggregate never touched.
func (f *flowBook) loadOf(v view, k string) (uint64, error) {
	raw, err := v.o.get(aggLoadKey(k))
	if err != nil {
		return 0, err
	}
	if raw != nil {
		if len(raw) != 8 {
			return 0, stateErr("aggregate load", fmt.Errorf("%d bytes", len(raw)))
		}
		return binary.BigEndian.Uint64(raw), nil
	}
	ct, err := f.load(v.o, k)
	if err != nil {
		return 0, err
	}
	return ct.Load(), nil
}

func (f *flowBook) update(k string) *aggUpdate {
	u := f.pending[k]
	if u == nil {
		u = &aggUpdate{}
		f.pending[k] = u
	}
	return u
}

// begin and flush bracket a FinalizeBlock: flush adds the block's flows
// into the stored aggregates in key order and writes each once.
func (f *flowBook) begin() {
	if f != nil {
		f.pending = map[string]*aggUpdate{}
	}
}

func (f *flowBook) flush(o *overlay) error {
	if f == nil {
		return nil
	}
	defer func() { f.pending = nil }()
	keys := make([]string, 0, len(f.pending))
	for k := range f.pending {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		u := f.pending[k]
		agg := u.base
		if agg == nil {
			var err error
			if agg, err = f.load(o, k); err != nil {
				return err
			}
		}
		for _, ct := range u.adds {
			// record refused every flow past the capacity, so this fails
			// only if the loads kept in state disagree with the
			// ciphertexts: a broken invariant, which must halt the node.
			if err := f.ev.Add(agg, ct); err != nil {
				return fmt.Errorf("ledger: aggregate %s: %w", k, err)
			}
		}
		b, err := agg.MarshalBinary()
		if err != nil {
			return fmt.Errorf("ledger: aggregate %s: %w", k, err)
		}
		o.set(aggKey(k), b)
	}
	return nil
}

// load reads an aggregate, or a zero one for a key never touched.
func (f *flowBook) load(o *overlay, k string) (*he.Ciphertext, error) {
	raw, err := o.get(aggKey(k))
	if err != nil {
		return nil, err
	}
	ct := he.Zero(f.params)
	if raw == nil {
		return ct, nil
	}
	if err := ct.UnmarshalBinary(raw); err != nil {
		return nil, stateErr("aggregate", err)
	}
	return ct, nil
}

func (e *executor) epochClose(v view, sender *Party, b *ledger.EpochClose, st *TxStatus) *ledger.Rejection {
	if sender.Role != ledger.RoleRegulator {
		return ledger.Reject(ledger.CodeUnauthorized, "only the regulator closes epochs")
	}
	if e.flows == nil {
		return ledger.Reject(ledger.CodeFlowMalformed, "this chain has no regulator HE key")
	}
	cts := make([]*he.Ciphertext, len(b.Aggregates))
	for i, a := range b.Aggregates {
		ct := he.Zero(e.flows.params)
		if err := ct.UnmarshalBinary(a.Ciphertext); err != nil {
			return ledger.Reject(ledger.CodeFlowParams, "epoch close %s: %v", a.Key, err)
		}
		cts[i] = ct
		sum, err := v.commitmentAt(aggSumKey(a.Key))
		if err != nil {
			return internal(err)
		}
		if !sum.Equal(a.Sum) {
			return ledger.Reject(ledger.CodeStaleClose, "epoch close %s: the aggregate has changed since the regulator read it; audit again and close", a.Key)
		}
	}
	for i, a := range b.Aggregates {
		entries, err := v.o.scan(aggTxPrefix(a.Key))
		if err != nil {
			return internal(err)
		}
		for _, en := range entries {
			v.o.del([]byte(en.Key))
		}
		sum, err := v.commitmentAt(aggSumKey(a.Key))
		if err != nil {
			return internal(err)
		}
		w := &codec.Writer{}
		w.Commitment(sum)
		w.Blob(a.Ciphertext)
		v.o.set(aggBaseKey(a.Key), w.B)
		v.o.set(aggKey(a.Key), a.Ciphertext)
		v.o.set(aggLoadKey(a.Key), binary.BigEndian.AppendUint64(nil, cts[i].Load()))
		if e.flows.pending != nil {
			e.flows.pending[a.Key] = &aggUpdate{base: cts[i]}
		}
	}
	return nil
}
