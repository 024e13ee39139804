package audit

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sable-settlement/sable/he"
)

// TestMaskCommitReveal plays a dishonest party and the requester against
// the commit and reveal rounds of a masked decryption (parties 1 and 2
// honest, party 3 dishonest): the cancelling mask party 3 forms from the
// honest masks is refused under its first commitment and under a new one;
// a reveal is refused without every commitment, with a commitment another
// party signed or made for another run or book, and a revealed mask that
// differs from its commitment is refused; the honest path still decrypts.
func TestMaskCommitReveal(t *testing.T) {
	_, pk := regulators(t, nil)
	src := newFakeLedger(t, pk, sparsePays, "", -1)
	rs, _ := regulators(t, src)
	ctx := context.Background()
	info := src.aggs["in/USD/bankb"]
	book := he.Zero(pk.Params())
	if err := book.UnmarshalBinary(info.Ciphertext); err != nil {
		t.Fatal(err)
	}
	d, _ := book.Digest()
	active := []int{1, 2, 3}
	target := func(run string) Target {
		return Target{Run: run, Aggregate: info.Key, Parts: []Part{{Aggregate: info.Key}}}
	}
	commitAll := func(tg Target) []MaskCommitment {
		var cs []MaskCommitment
		for _, r := range rs[:3] {
			c, err := r.Commit(ctx, MaskRequest{Target: tg, Active: active})
			if err != nil || len(c.Commit) == 0 {
				t.Fatalf("commit: %v", err)
			}
			cs = append(cs, *c)
		}
		return cs
	}
	reveal := func(r *Regulator, tg Target, cs []MaskCommitment) (*SignedMask, error) {
		return r.Reveal(ctx, RevealRequest{Target: tg, Active: active, Commitments: cs})
	}
	refused := func(what string, err error, msg string) {
		t.Helper()
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), msg) {
			t.Fatalf("%s: %v, want a refusal saying %q", what, err, msg)
		}
	}
	tg := target("r1")
	cs := commitAll(tg)

	// A reveal before every commitment is there.
	_, err := reveal(rs[0], tg, cs[:2])
	refused("a reveal with two of three commitments", err, "mask commitments for 3")
	// Party 3's commitment with party 2's signature.
	forged := append([]MaskCommitment(nil), cs...)
	forged[2].Sig = cs[1].Sig
	_, err = reveal(rs[0], tg, forged)
	refused("a commitment signed by another party", err, "not signed by it")
	// Party 3's commitment for another run.
	other := commitAll(target("r0"))
	forged[2] = other[2]
	_, err = reveal(rs[0], tg, forged)
	refused("a commitment for another run", err, "not signed by it")
	// Party 3's commitment, signed by it, for another book.
	otherBook := d
	otherBook[0] ^= 1
	forged[2] = MaskCommitment{Party: 3, Commit: cs[2].Commit, Sig: ed25519.Sign(regSign[2], commitMessage("r1", otherBook, cs[2].Commit))}
	_, err = reveal(rs[0], tg, forged)
	refused("a commitment for another book", err, "not signed by it")
	// Party 1's own commitment replaced (by its commitment of another run).
	forged = append([]MaskCommitment(nil), cs...)
	forged[0] = MaskCommitment{Party: 1, Commit: other[0].Commit, Sig: ed25519.Sign(regSign[0], commitMessage("r1", d, other[0].Commit))}
	_, err = reveal(rs[0], tg, forged)
	refused("a set without the party's own commitment", err, "do not hold the one party 1 issued")

	// The honest parties reveal under every commitment.
	m1, err := reveal(rs[0], tg, cs)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := reveal(rs[1], tg, cs)
	if err != nil {
		t.Fatal(err)
	}
	// Party 3, having seen them, forms −(m1 + m2) + Enc(0) and signs it.
	var hm [2]*he.Mask
	for i, m := range []*SignedMask{m1, m2} {
		hm[i] = new(he.Mask)
		if err := hm[i].UnmarshalBinary(m.Mask); err != nil {
			t.Fatal(err)
		}
	}
	neg, err := he.NewEncryptor(pk).NegatedMask(hm[:]...)
	if err != nil {
		t.Fatal(err)
	}
	negBytes, _ := neg.MarshalBinary()
	cheat := SignedMask{Party: 3, Mask: negBytes, Sig: ed25519.Sign(regSign[2], maskMessage("r1", d, negBytes))}
	sum, _, err := he.AddMasks(book, []*he.Mask{hm[0], hm[1], neg})
	if err != nil {
		t.Fatal(err)
	}
	sd, _ := sum.Digest()
	shareWith := func(r *Regulator, cs []MaskCommitment, masks []SignedMask, digest [32]byte) error {
		_, err := r.Share(ctx, ShareRequest{Target: tg, Active: active, Commitments: cs, Masks: masks, Digest: digest[:]})
		return err
	}
	// Under party 3's first commitment, the cancelling mask does not match.
	err = shareWith(rs[0], cs, []SignedMask{*m1, *m2, cheat}, sd)
	refused("the cancelling mask under the first commitment", err, "party 3's mask does not match its commitment")
	// Under a commitment made after the reveals, the honest party finds
	// that it revealed under another set, and will not reveal again.
	late := append([]MaskCommitment(nil), cs...)
	lc := maskCommitment("r1", d, negBytes)
	late[2] = MaskCommitment{Party: 3, Commit: lc, Sig: ed25519.Sign(regSign[2], commitMessage("r1", d, lc))}
	err = shareWith(rs[1], late, []SignedMask{*m1, *m2, cheat}, sd)
	refused("the cancelling mask under a later commitment", err, "did not reveal its mask under these commitments")
	_, err = reveal(rs[0], tg, late)
	refused("a second reveal under a later commitment", err, "revealed its mask under other commitments")

	// A revealed mask that differs from its commitment: party 3 reveals
	// its mask of another run, signed for this one.
	m3, err := reveal(rs[2], tg, cs)
	if err != nil {
		t.Fatal(err)
	}
	o3, err := reveal(rs[2], target("r0"), other)
	if err != nil {
		t.Fatal(err)
	}
	swapped := SignedMask{Party: 3, Mask: o3.Mask, Sig: ed25519.Sign(regSign[2], maskMessage("r1", d, o3.Mask))}
	err = shareWith(rs[0], cs, []SignedMask{*m1, *m2, swapped}, sd)
	refused("a mask other than the committed one", err, "party 3's mask does not match its commitment")

	// The honest path: every party shares, the sparse groups stay masked
	// and the others decrypt exactly.
	var all [3]*he.Mask
	for i, m := range []*SignedMask{m1, m2, m3} {
		all[i] = new(he.Mask)
		if err := all[i].UnmarshalBinary(m.Mask); err != nil {
			t.Fatal(err)
		}
	}
	honest, groups, err := he.AddMasks(book, all[:])
	if err != nil {
		t.Fatal(err)
	}
	hd, _ := honest.Digest()
	var ds []*he.DecryptionShare
	for _, r := range rs[:3] {
		s, err := r.Share(ctx, ShareRequest{Target: tg, Active: active, Commitments: cs, Masks: []SignedMask{*m1, *m2, *m3}, Digest: hd[:]})
		if err != nil {
			t.Fatalf("honest share of party %d: %v", r.Index(), err)
		}
		ds = append(ds, new(he.DecryptionShare))
		if err := ds[len(ds)-1].UnmarshalBinary(s.Share); err != nil {
			t.Fatal(err)
		}
	}
	sums, _, err := he.CombineMasked(honest, ds, groups)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		if sums[g].Amount != nil {
			t.Fatalf("sparse group %d decoded", g)
		}
	}
	if got := sums[info.Group].Amount.Uint64(); got != src.sums[info.Key] {
		t.Fatalf("a non-sparse group: %d, want %d", got, src.sums[info.Key])
	}
}

// TestMaskCommitRevealOpener: the requester's side checks a revealed mask
// against its commitment and names the party that reveals another.
func TestMaskCommitRevealOpener(t *testing.T) {
	_, pk := regulators(t, nil)
	src := newFakeLedger(t, pk, sparsePays, "", -1)
	rs, _ := regulators(t, src)
	info := src.aggs["in/USD/bankb"]
	book := he.Zero(pk.Params())
	if err := book.UnmarshalBinary(info.Ciphertext); err != nil {
		t.Fatal(err)
	}
	op, err := NewThresholdOpener(pk.Params(), 4, 3, []Holder{rs[0], rs[1], swappingHolder{rs[2], pk}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = op.Open(context.Background(), Target{Run: "r1", Aggregate: info.Key, Parts: []Part{{Aggregate: info.Key}}}, book)
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "party 3 revealed a mask that does not match") {
		t.Fatalf("a party revealing another mask: %v", err)
	}
}

// swappingHolder reveals a fresh mask instead of the one it committed to.
type swappingHolder struct {
	*Regulator
	pk *he.PublicKey
}

func (h swappingHolder) Reveal(ctx context.Context, req RevealRequest) (*SignedMask, error) {
	m, err := h.Regulator.Reveal(ctx, req)
	if err != nil {
		return nil, err
	}
	hm := new(he.Mask)
	if err := hm.UnmarshalBinary(m.Mask); err != nil {
		return nil, err
	}
	fresh, err := he.NewEncryptor(h.pk).EncryptMask(hm.Groups())
	if err != nil {
		return nil, err
	}
	b, err := fresh.MarshalBinary()
	return &SignedMask{Party: m.Party, Mask: b}, err
}

// TestMaskOutstandingBound: a party keeps at most maxPendingMasks unused
// masks, dropping the oldest, and a dropped mask is never revealed.
func TestMaskOutstandingBound(t *testing.T) {
	_, pk := regulators(t, nil)
	src := newFakeLedger(t, pk, sparsePays, "", -1)
	rs, _ := regulators(t, src)
	ctx := context.Background()
	info := src.aggs["in/USD/bankb"]
	active := []int{1, 2, 3}
	var first []MaskCommitment
	for i := range maxPendingMasks + 1 {
		tg := Target{Run: fmt.Sprint("r", i), Aggregate: info.Key, Parts: []Part{{Aggregate: info.Key}}}
		c, err := rs[0].Commit(ctx, MaskRequest{Target: tg, Active: active})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = append(first, *c)
		}
	}
	rs[0].mu.Lock()
	n, o := len(rs[0].masks), len(rs[0].order)
	rs[0].mu.Unlock()
	if n != maxPendingMasks || o != maxPendingMasks {
		t.Fatalf("%d masks (%d keys) outstanding, at most %d", n, o, maxPendingMasks)
	}
	tg := Target{Run: "r0", Aggregate: info.Key, Parts: []Part{{Aggregate: info.Key}}}
	for _, r := range rs[1:3] {
		c, err := r.Commit(ctx, MaskRequest{Target: tg, Active: active})
		if err != nil {
			t.Fatal(err)
		}
		first = append(first, *c)
	}
	_, err := rs[0].Reveal(ctx, RevealRequest{Target: tg, Active: active, Commitments: first})
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "issued no mask") {
		t.Fatalf("the oldest mask after %d more: %v", maxPendingMasks, err)
	}
}
