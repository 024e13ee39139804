package he

import (
	"encoding/binary"
	"fmt"
	"math/big"
)

// Slot layout of one group (a flow, or a sum of flows): amountLimbs limbs
// of the amount, least significant first, then blindingLimbs limbs of the
// blinding. A flow's limbs are below 2^width; the top limb of each part
// takes whatever is above its position, so a re-encrypted sum of any size
// fits (at a load above one when it exceeds the part's width).
//
// The blinding's 11 limbs of 23 bits (253 bits) are the narrowest that
// carry 252 bits in 11 limbs: a group of 19 slots (215 per ciphertext) and
// a capacity of ⌊(t−1)/(2^23−1)⌋ = 67,108,871 flows. The package
// documentation weighs the alternatives.
const (
	amountLimbs      = 8
	amountLimbBits   = 8
	blindingLimbs    = 11
	blindingLimbBits = 23
	groupSlots       = amountLimbs + blindingLimbs

	// amountUnit and blindingUnit bound one unit load in each limb.
	amountUnit   = 1<<amountLimbBits - 1
	blindingUnit = 1<<blindingLimbBits - 1

	// blindingWords is the blinding's width in 64-bit words.
	blindingWords = (BlindingBits + 63) / 64
)

const (
	// BlindingBits is the width of a flow's blinding: 0 ≤ r_amt < 2^252,
	// which holds any scalar below the curve order ℓ ≈ 2^251.4.
	BlindingBits = 252

	// MaxRate is the largest FX rate MulRate accepts (e.g. 16.777215 at a
	// 10^6 scale). The FX noise bound in the package documentation
	// assumes it.
	MaxRate = 1<<24 - 1
)

// The blinding limbs must cover BlindingBits, and no more than one limb's
// worth beyond it: a compile-time check of the constants above.
const (
	_ uint = blindingLimbs*blindingLimbBits - BlindingBits
	_ uint = BlindingBits - (blindingLimbs-1)*blindingLimbBits - 1
)

// Flow is one payment as the ledger aggregates it: the amount in minor
// units and the Pedersen blinding of the amount's commitment.
type Flow struct {
	Amount   uint64
	Blinding *big.Int // 0 ≤ Blinding < 2^BlindingBits
}

// GroupSum is one decrypted group: exact integer sums of the amounts and
// of the blindings of the flows added into it. Blinding is nil for an
// FX-scaled ciphertext, whose blinding limbs carry no meaning.
type GroupSum struct {
	Amount   *big.Int
	Blinding *big.Int
}

var blindingLimit = new(big.Int).Lsh(big.NewInt(1), BlindingBits)

// checkFlow validates a flow before it is spread into limbs.
func checkFlow(g int, f Flow, groups int) error {
	if g < 0 || g >= groups {
		return fmt.Errorf("%w: group %d outside [0, %d)", ErrRange, g, groups)
	}
	if f.Blinding == nil || f.Blinding.Sign() < 0 || f.Blinding.Cmp(blindingLimit) >= 0 {
		return fmt.Errorf("%w: group %d: blinding must be in [0, 2^%d)", ErrRange, g, BlindingBits)
	}
	return nil
}

// putFlow writes a flow's limbs into its group's slots (load 1). The flow
// has passed checkFlow.
func putFlow(slots []uint64, g int, f Flow) {
	s := slots[g*groupSlots : (g+1)*groupSlots]
	a := f.Amount
	for i := 0; i < amountLimbs; i++ {
		s[i] = a & amountUnit
		a >>= amountLimbBits
	}
	var b [8 * blindingWords]byte
	f.Blinding.FillBytes(b[:])
	var w [blindingWords]uint64 // little-endian words
	for i := range w {
		w[i] = binary.BigEndian.Uint64(b[len(b)-8*(i+1):])
	}
	for i := 0; i < blindingLimbs; i++ {
		s[amountLimbs+i] = bitField(w[:], i*blindingLimbBits, blindingLimbBits)
	}
}

// bitField returns the width bits (width < 64) of the little-endian words
// w starting at bit pos; bits past the last word are zero.
func bitField(w []uint64, pos, width int) uint64 {
	i, off := pos/64, uint(pos%64)
	if i >= len(w) {
		return 0
	}
	v := w[i] >> off
	if off+uint(width) > 64 && i+1 < len(w) {
		v |= w[i+1] << (64 - off)
	}
	return v & (1<<uint(width) - 1)
}

// putSum writes a normalised sum into its group's slots: every limb but
// the top one of each part below its unit, the top one taking the rest.
// It returns the load the group then carries.
func putSum(slots []uint64, g int, s GroupSum, maxLoad uint64) (uint64, error) {
	if s.Amount == nil || s.Blinding == nil || s.Amount.Sign() < 0 || s.Blinding.Sign() < 0 {
		return 0, fmt.Errorf("%w: group %d: sums must be non-negative", ErrRange, g)
	}
	dst := slots[g*groupSlots : (g+1)*groupSlots]
	la, ok := splitLimbs(dst[:amountLimbs], s.Amount, amountLimbBits, maxLoad)
	lb, okb := splitLimbs(dst[amountLimbs:], s.Blinding, blindingLimbBits, maxLoad)
	if !ok || !okb {
		return 0, fmt.Errorf("%w: group %d: sums need a load above %d", ErrCapacity, g, maxLoad)
	}
	return max(la, lb), nil
}

// splitLimbs writes v into limbs of width bits (top limb unbounded) and
// returns the load: the number of unit loads the top limb amounts to. It
// reports false if that is above maxLoad.
func splitLimbs(dst []uint64, v *big.Int, width uint, maxLoad uint64) (uint64, bool) {
	unit := uint64(1)<<width - 1
	mask := new(big.Int).SetUint64(unit)
	x, limb := new(big.Int).Set(v), new(big.Int)
	for i := 0; i < len(dst)-1; i++ {
		dst[i] = limb.And(x, mask).Uint64()
		x.Rsh(x, width)
	}
	if !x.IsUint64() || x.Uint64() > maxLoad*unit {
		return 0, false
	}
	top := x.Uint64()
	dst[len(dst)-1] = top
	return max(1, (top+unit-1)/unit), true
}

// readGroups recombines decrypted slots into per-group sums and checks
// them against the load: a limb above load·unit, or a non-zero slot
// outside every group, cannot come from honest summands.
func readGroups(slots []uint64, groups int, load uint64, scaled bool) ([]GroupSum, error) {
	for i := groups * groupSlots; i < len(slots); i++ {
		if slots[i] != 0 {
			return nil, fmt.Errorf("%w: slot %d outside every group is non-zero", ErrInconsistent, i)
		}
	}
	out := make([]GroupSum, groups)
	for g := range out {
		s := slots[g*groupSlots : (g+1)*groupSlots]
		a, i := joinLimbs(s[:amountLimbs], amountLimbBits, load*amountUnit)
		if a == nil {
			return nil, fmt.Errorf("%w: group %d amount limb %d above its bound", ErrInconsistent, g, i)
		}
		out[g].Amount = a
		if scaled {
			continue
		}
		if out[g].Blinding, i = joinLimbs(s[amountLimbs:], blindingLimbBits, load*blindingUnit); out[g].Blinding == nil {
			return nil, fmt.Errorf("%w: group %d blinding limb %d above its bound", ErrInconsistent, g, i)
		}
	}
	return out, nil
}

// joinLimbs returns Σ limb_i·2^(width·i), or nil and the index of the
// first limb above bound.
func joinLimbs(limbs []uint64, width uint, bound uint64) (*big.Int, int) {
	v, l := new(big.Int), new(big.Int)
	for i := len(limbs) - 1; i >= 0; i-- {
		if limbs[i] > bound {
			return nil, i
		}
		v.Lsh(v, width)
		v.Add(v, l.SetUint64(limbs[i]))
	}
	return v, 0
}

// Total adds the sums of every slot group: the whole of what a ciphertext
// holds. Blinding is nil when the first group carries none.
func Total(sums []GroupSum) GroupSum {
	t := GroupSum{Amount: new(big.Int)}
	if len(sums) > 0 && sums[0].Blinding != nil {
		t.Blinding = new(big.Int)
	}
	for _, g := range sums {
		t.Amount.Add(t.Amount, g.Amount)
		if t.Blinding != nil && g.Blinding != nil {
			t.Blinding.Add(t.Blinding, g.Blinding)
		}
	}
	return t
}
