package ledger

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/sable-settlement/sable/he"
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
// epoch close at hx/<key>/<height><index>. A flow sits in slot group 0.
const flowGroup = 0

// Aggregate key helpers.
func aggIn(c Currency, p string) string  { return "in/" + c.String() + "/" + p }
func aggOut(c Currency, p string) string { return "out/" + c.String() + "/" + p }
func aggCorridor(c Currency, from, to [2]byte) string {
	return "corridor/" + c.String() + "/" + string(from[:]) + "-" + string(to[:])
}
func aggCurrency(c Currency, what string) string { return "currency/" + c.String() + "/" + what }

func aggKey(k string) []byte    { return []byte("h/" + k) }
func aggSumKey(k string) []byte { return []byte("hc/" + k) }
func aggTxKey(k string, height int64, index uint32) []byte {
	b := binary.BigEndian.AppendUint64([]byte("hx/"+k+"/"), uint64(height))
	return binary.BigEndian.AppendUint32(b, index)
}
func aggTxPrefix(k string) []byte { return []byte("hx/" + k + "/") }

// aggBaseKey holds an aggregate's state at its last epoch close: the
// regulator's ciphertext and the commitment sum it stands for, the first
// element of any later bisection.
func aggBaseKey(k string) []byte { return []byte("hb/" + k) }

// ValidAggregateKey reports whether k names an aggregate.
func ValidAggregateKey(k string) bool {
	parts := strings.Split(k, "/")
	if len(parts) != 3 {
		return false
	}
	if _, err := ParseCurrency(parts[1]); err != nil {
		return false
	}
	switch parts[0] {
	case "in", "out":
		return ValidID(parts[2])
	case "corridor":
		return len(parts[2]) == 5 && parts[2][2] == '-'
	case "currency":
		return parts[2] == "transfers" || parts[2] == "minted" || parts[2] == "burned" || parts[2] == "funded"
	}
	return false
}

// flowBook validates flow ciphertexts and, during FinalizeBlock, collects
// them for the block's aggregates.
type flowBook struct {
	pk     *he.PublicKey
	params *he.Params
	ev     *he.Evaluator
	// pending holds, per aggregate touched in the current block, an
	// optional replacement (epoch close) and the flows to add, in order.
	pending map[string]*aggUpdate
}

type aggUpdate struct {
	base *he.Ciphertext // non-nil after an epoch close in this block
	adds []*he.Ciphertext
}

func newFlowBook(pk *he.PublicKey) *flowBook {
	return &flowBook{pk: pk, params: pk.Params(), ev: he.NewEvaluator(pk.Params())}
}

// decode checks a transaction's flow ciphertext: well formed, made for the
// regulator's parameters, load 1 (a single fresh encryption).
func (f *flowBook) decode(b []byte) (*he.Ciphertext, *Rejection) {
	if f == nil {
		if len(b) != 0 {
			return nil, reject(CodeFlowMalformed, "this chain has no regulator HE key; send no flow ciphertext")
		}
		return nil, nil
	}
	if len(b) == 0 {
		return nil, reject(CodeFlowMalformed, "flow ciphertext missing: every payment must carry its flow encrypted to the regulator")
	}
	ct := he.Zero(f.params)
	if err := ct.UnmarshalBinary(b); err != nil {
		switch {
		case errors.Is(err, he.ErrOversize):
			return nil, reject(CodeFlowTooLarge, "%v", err)
		case errors.Is(err, he.ErrParams):
			return nil, reject(CodeFlowParams, "%v", err)
		}
		return nil, reject(CodeFlowMalformed, "%v", err)
	}
	if ct.Load() != 1 {
		return nil, reject(CodeFlowMalformed, "flow ciphertext claims load %d, want a single fresh encryption (1)", ct.Load())
	}
	return ct, nil
}

// record books one flow into aggregates: commitment sums and the tx index
// go to the overlay now (they are small); ciphertexts are added at the end
// of the block, when collecting (FinalizeBlock only).
func (f *flowBook) record(v view, keys []string, ct *he.Ciphertext, amount zkp.Commitment, height int64, index uint32, txid TxID) error {
	if f == nil || ct == nil {
		return nil
	}
	for _, k := range keys {
		sum, err := v.commitmentAt(aggSumKey(k))
		if err != nil {
			return err
		}
		b := sum.Add(amount).Bytes()
		v.o.set(aggSumKey(k), b[:])
		v.o.set(aggTxKey(k, height, index), txid[:])
		if f.pending != nil {
			u := f.update(k)
			u.adds = append(u.adds, ct)
		}
	}
	return nil
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
			if err := f.ev.Add(agg, ct); err != nil {
				return fmt.Errorf("ledger: aggregate %s: %w (an epoch close is overdue)", k, err)
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

// EpochClose replaces aggregates by the regulator's re-encryptions of their
// decrypted, checked and normalised sums, so that limbs never overflow.
// The commitment sums stay; the bisection index restarts.
type EpochClose struct {
	Aggregates []ClosedAggregate
}

// ClosedAggregate is one replaced aggregate.
type ClosedAggregate struct {
	Key        string
	Ciphertext []byte
}

// MaxClosePerTx bounds the aggregates one epoch close replaces.
const MaxClosePerTx = 8

func (*EpochClose) kind() Kind { return KindEpochClose }

func (b *EpochClose) encode(w *writer) {
	w.u8(uint8(len(b.Aggregates)))
	for _, a := range b.Aggregates {
		w.str(a.Key)
		w.blob(a.Ciphertext)
	}
}

func (b *EpochClose) decode(r *reader) {
	n := int(r.u8())
	if r.err == nil && (n == 0 || n > MaxClosePerTx) {
		r.err = fmt.Errorf("epoch close names %d aggregates, want 1 to %d", n, MaxClosePerTx)
		return
	}
	seen := map[string]bool{}
	for i := 0; i < n && r.err == nil; i++ {
		a := ClosedAggregate{Key: r.str(64), Ciphertext: r.blob(MaxFlowSize)}
		if r.err == nil && (!ValidAggregateKey(a.Key) || seen[a.Key]) {
			r.err = fmt.Errorf("epoch close: aggregate key %q is not valid or repeated", a.Key)
		}
		seen[a.Key] = true
		b.Aggregates = append(b.Aggregates, a)
	}
}

func (e *executor) epochClose(v view, sender *Party, b *EpochClose, st *TxStatus) *Rejection {
	if sender.Role != RoleRegulator {
		return reject(CodeUnauthorized, "only the regulator closes epochs")
	}
	if e.flows == nil {
		return reject(CodeFlowMalformed, "this chain has no regulator HE key")
	}
	cts := make([]*he.Ciphertext, len(b.Aggregates))
	for i, a := range b.Aggregates {
		ct := he.Zero(e.flows.params)
		if err := ct.UnmarshalBinary(a.Ciphertext); err != nil {
			return reject(CodeFlowParams, "epoch close %s: %v", a.Key, err)
		}
		cts[i] = ct
	}
	for i, a := range b.Aggregates {
		entries, err := v.o.scan(aggTxPrefix(a.Key))
		if err != nil {
			return internal(err)
		}
		for _, en := range entries {
			v.o.del([]byte(en.key))
		}
		sum, err := v.commitmentAt(aggSumKey(a.Key))
		if err != nil {
			return internal(err)
		}
		w := &writer{}
		w.commitment(sum)
		w.blob(a.Ciphertext)
		v.o.set(aggBaseKey(a.Key), w.b)
		v.o.set(aggKey(a.Key), a.Ciphertext)
		if e.flows.pending != nil {
			e.flows.pending[a.Key] = &aggUpdate{base: cts[i]}
		}
	}
	return nil
}
