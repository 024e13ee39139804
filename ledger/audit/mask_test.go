package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger"
)

// TestMaskedBook plays the requester against the masked decryption of a
// book with a single-payment group: the parties decrypt it only with
// every active party's mask, their own the one they issued, and only the
// sum they form themselves; the masked group reads as garbage, differently
// each run; single flows still need an approval; and bisection approval
// finds the book's shares whichever aggregate opened it.
func TestMaskedBook(t *testing.T) {
	_, pk := regulators(t, nil)
	src := newFakeLedger(t, pk, sparsePays, "", -1)
	rs, _ := regulators(t, src)
	ctx := context.Background()
	p := pk.Params()
	op, err := NewThresholdOpener(p, 4, 3, holders(rs[0], rs[1], rs[2]))
	if err != nil {
		t.Fatal(err)
	}
	info := src.aggs["in/USD/bankb"]
	book := he.Zero(p)
	if err := book.UnmarshalBinary(info.Ciphertext); err != nil {
		t.Fatal(err)
	}
	var sparse []int
	for g, n := range info.BookPayments {
		if n == 1 {
			sparse = append(sparse, g)
		}
	}
	whole := Target{Run: "r1", Aggregate: info.Key, Parts: []Part{{Aggregate: info.Key}}}
	o, err := op.Open(ctx, whole, book)
	if err != nil || o.Err != nil {
		t.Fatalf("masked opening: %v %v", err, o.Err)
	}
	if len(sparse) == 0 || len(o.Masked) != len(sparse) {
		t.Fatalf("masked groups %v, sparse %v", o.Masked, sparse)
	}
	if got := o.Sums[info.Group].Amount.Uint64(); got != src.sums[info.Key] {
		t.Fatalf("a non-sparse group under masks: %d, want %d", got, src.sums[info.Key])
	}

	// The requester's view of round two, for runs r2 and r3.
	active := []int{1, 2, 3}
	commits := map[string][]MaskCommitment{}
	round := func(run string) (Target, []SignedMask, *he.Ciphertext) {
		tg := whole
		tg.Run = run
		masked, _, cs, list, err := op.masks(ctx, tg, book)
		if err != nil || len(list) != 3 || len(cs) != 3 {
			t.Fatalf("masks: %v (%d)", err, len(list))
		}
		commits[run] = cs
		return tg, list, masked
	}
	share := func(r *Regulator, tg Target, list []SignedMask, sum *he.Ciphertext) (*he.DecryptionShare, error) {
		d, _ := sum.Digest()
		s, err := r.Share(ctx, ShareRequest{Target: tg, Active: active, Commitments: commits[tg.Run], Masks: list, Digest: d[:]})
		if err != nil {
			return nil, err
		}
		ds := new(he.DecryptionShare)
		return ds, ds.UnmarshalBinary(s.Share)
	}
	t2, l2, m2 := round("r2")
	t3, l3, m3 := round("r3")
	var raw [2][]*he.DecryptionShare
	for i, c := range []struct {
		tg   Target
		list []SignedMask
		sum  *he.Ciphertext
	}{{t2, l2, m2}, {t3, l3, m3}} {
		for _, r := range rs[:3] {
			ds, err := share(r, c.tg, c.list, c.sum)
			if err != nil {
				t.Fatal(err)
			}
			raw[i] = append(raw[i], ds)
		}
		// Decoded whole, the masked group's limbs are out of bounds:
		// nowhere near the single payment they hide.
		if _, _, err := he.Combine(c.sum, raw[i]); !errors.Is(err, he.ErrInconsistent) {
			t.Fatalf("run %d: the masked group decodes: %v", i, err)
		}
	}
	if d2, _ := m2.Digest(); func() bool { d3, _ := m3.Digest(); return d2 == d3 }() {
		t.Fatal("two runs mask the book alike")
	}

	// A fresh round r4 for the dishonest requests (a mask serves one
	// decryption: r2's are spent).
	t4, l4, m4 := round("r4")
	if _, err := share(rs[0], t2, l2, m2); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "issued no mask") {
		t.Fatalf("a spent mask used again: %v", err)
	}
	// Own mask missing: party 1's replaced by its mask of another run.
	swapped := append([]SignedMask(nil), l4...)
	for i := range swapped {
		if swapped[i].Party == 1 {
			swapped[i] = l3[i]
		}
	}
	if _, err := share(rs[0], t4, swapped, m4); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "not signed") {
		t.Fatalf("a mask list with the party's mask of another run: %v", err)
	}
	if _, err := share(rs[0], t4, l4[1:], m4); !errors.Is(err, ErrRefused) {
		t.Fatalf("a mask list short of one: %v", err)
	}
	// The requester names another sum (here, the book unmasked with the
	// right list): the party forms its own and refuses.
	if _, err := share(rs[1], t4, l4, book); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "names") {
		t.Fatalf("a sum that differs from the masks: %v", err)
	}
	// No masks at all: the book stays sealed.
	if _, err := rs[1].Share(ctx, ShareRequest{Target: t4, Active: active}); !errors.Is(err, ErrRefused) {
		t.Fatalf("a sparse book without masks: %v", err)
	}
	// Party 1 masks r4 again: the list holds a mask it signed, but not the
	// one it now holds for that decryption.
	if _, err := rs[0].Commit(ctx, MaskRequest{Target: t4, Active: active}); err != nil {
		t.Fatal(err)
	}
	if _, err := share(rs[0], t4, l4, m4); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "do not hold the one") {
		t.Fatalf("a mask list without the mask the party issued: %v", err)
	}
	// A single flow still needs an approval.
	one := Target{Run: "r2", Aggregate: info.Key, Parts: []Part{{Tx: info.Txs[0]}}}
	if _, err := rs[1].Share(ctx, ShareRequest{Target: one, Active: active}); !errors.Is(err, ErrRefused) {
		t.Fatalf("a single flow without approval: %v", err)
	}
	if _, err := rs[1].Commit(ctx, MaskRequest{Target: one, Active: active}); !errors.Is(err, ErrRefused) {
		t.Fatalf("a mask for a single flow: %v", err)
	}

	// Approval for another aggregate of the book opened on behalf of the
	// first: its shares are found (and it checks, so it is refused for that).
	other := src.aggs["out/USD/banka"]
	if _, err := op.Approve(ctx, chainOf(t, src), "r1", other.Key, book, aggregateParts(other, &ledger.Genesis{})); err == nil || strings.Contains(err.Error(), "not opened") {
		t.Fatalf("approval for a second aggregate of the book: %v", err)
	}
}

// TestMaskedBookNamesCheater: in a book with a sparse group, a transfer
// that encrypts one unit more than its commitment in bankb's inflow group
// (not the book's first aggregate, on whose behalf the book is opened) is
// named by bisection: the parties find the book's masked shares for that
// aggregate and sign its bisection.
func TestMaskedBookNamesCheater(t *testing.T) {
	_, pk := regulators(t, nil)
	src := newFakeLedger(t, pk, sparsePays, "in/USD/bankb", 2)
	rs, _ := regulators(t, src)
	op, err := NewThresholdOpener(pk.Params(), 4, 3, holders(rs[0], rs[2], rs[3]))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := NewWith(src, op, DefaultFXRates()).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := src.aggs["in/USD/bankb"].Txs[2]
	if rep.Consistent || len(rep.Culprits) != 1 || rep.Culprits[0].TxID != want || !strings.Contains(rep.Culprits[0].Reason, "another amount") {
		t.Fatalf("culprits %+v, want %s", rep.Culprits, want)
	}
	if len(rep.Sealed) == 0 {
		t.Fatal("the sparse groups were opened")
	}
}

// BenchmarkBookOpening: one threshold opening of a whole book through
// three in-process parties, with no sparse group (one round) and with
// one (the commit and reveal rounds, three masks, and the masked sum each
// party forms). Measured: masked ≈ 2.5× plain (medians 41.7 ms and
// 16.5 ms over four runs of 30 on 2 shared cores, with commit-then-reveal;
// single runs ranged 2.2× to 3.1× with the load).
func BenchmarkBookOpening(b *testing.B) {
	_, pk := regulators(b, nil)
	for _, c := range []struct {
		name string
		ps   []fakePay
	}{{"plain", thresholdPays}, {"masked", sparsePays}} {
		b.Run(c.name, func(b *testing.B) {
			src := newFakeLedger(b, pk, c.ps, "", -1)
			rs, _ := regulators(b, src)
			op, err := NewThresholdOpener(pk.Params(), 4, 3, holders(rs[0], rs[1], rs[2]))
			if err != nil {
				b.Fatal(err)
			}
			info := src.aggs["in/USD/bankb"]
			book := he.Zero(pk.Params())
			if err := book.UnmarshalBinary(info.Ciphertext); err != nil {
				b.Fatal(err)
			}
			for i := 0; b.Loop(); i++ {
				tg := Target{Run: fmt.Sprint(i), Aggregate: info.Key, Parts: []Part{{Aggregate: info.Key}}}
				if o, err := op.Open(context.Background(), tg, book); err != nil || o.Err != nil {
					b.Fatal(err, o.Err)
				}
			}
		})
	}
}
