package ledger

import (
	"errors"
	"strings"

	"github.com/sable-settlement/sable/he"
)

// Aggregates. Validators add every payment's HE flow, without decrypting
// it, into encrypted aggregates named
//
//	in/<CUR>/<party>         flows into an account (transfers, mints, genesis funding)
//	out/<CUR>/<party>        flows out of an account (transfers, burns)
//	corridor/<CUR>/<SC>-<RC> transfers from country SC to country RC
//	currency/<CUR>/transfers, currency/<CUR>/minted, currency/<CUR>/burned,
//	currency/<CUR>/funded (the opening balances at genesis)
//
// and only the regulator decrypts them.

// FlowGroup is the slot group a single payment's flow occupies.
const FlowGroup = 0

// Aggregate names.
func AggIn(c Currency, p string) string  { return "in/" + c.String() + "/" + p }
func AggOut(c Currency, p string) string { return "out/" + c.String() + "/" + p }
func AggCorridor(c Currency, from, to [2]byte) string {
	return "corridor/" + c.String() + "/" + string(from[:]) + "-" + string(to[:])
}
func AggCurrency(c Currency, what string) string { return "currency/" + c.String() + "/" + what }

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

// DecodeFlow checks a transaction's flow ciphertext: well formed, made for
// the regulator's parameters, load 1 (a single fresh encryption), and not
// degenerate (CodeFlowDegenerate: c1 = 0 or any polynomial visibly not
// uniform, which makes a noiseless or readable encryption; see
// he.Ciphertext.CheckNondegenerate). With nil params the chain has no HE
// key and a flow must be absent. What needs the key (a wrong value, limbs
// out of range, flooded noise) is the audit's to find.
func DecodeFlow(params *he.Params, b []byte) (*he.Ciphertext, *Rejection) {
	if params == nil {
		if len(b) != 0 {
			return nil, Reject(CodeFlowMalformed, "this chain has no regulator HE key; send no flow ciphertext")
		}
		return nil, nil
	}
	if len(b) == 0 {
		return nil, Reject(CodeFlowMalformed, "flow ciphertext missing: every payment must carry its flow encrypted to the regulator")
	}
	ct := he.Zero(params)
	if err := ct.UnmarshalBinary(b); err != nil {
		switch {
		case errors.Is(err, he.ErrOversize):
			return nil, Reject(CodeFlowTooLarge, "%v", err)
		case errors.Is(err, he.ErrParams):
			return nil, Reject(CodeFlowParams, "%v", err)
		}
		return nil, Reject(CodeFlowMalformed, "%v", err)
	}
	if ct.Load() != 1 {
		return nil, Reject(CodeFlowMalformed, "flow ciphertext claims load %d, want a single fresh encryption (1)", ct.Load())
	}
	if err := ct.CheckNondegenerate(); err != nil {
		return nil, Reject(CodeFlowDegenerate, "%v; encrypt the flow to the regulator's public key", err)
	}
	return ct, nil
}
