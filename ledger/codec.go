package ledger

import (
	"errors"
	"fmt"

	"github.com/sable-settlement/sable/ledger/internal/codec"
	"github.com/sable-settlement/sable/zkp"
)

var (
	errCountry = errors.New("country is not two upper-case letters")
	errClass   = errors.New("beneficiary class is not corporate (1), consumer (2) or virtual (3)")
)

// readCurrency reads a currency code and checks that Sable knows it.
func readCurrency(r *codec.Reader) Currency {
	var c Currency
	r.Fixed(c[:])
	if r.Err() == nil && !c.Known() {
		r.Fail(fmt.Errorf("unknown currency %q", c[:]))
	}
	return c
}

// readID reads a party identifier and checks its form.
func readID(r *codec.Reader) string {
	s := r.Str(MaxIDLen)
	if r.Err() == nil && !ValidID(s) {
		r.Fail(fmt.Errorf("identifier %q is not valid", s))
	}
	return s
}

// readProof reads a proof's bytes and checks that they decode as points,
// keeping the decoded proof with r (DecodeTxProofs).
func readProof(r *codec.Reader, dst *[zkp.ProofSize]byte) {
	r.Fixed(dst[:])
	if r.Err() != nil {
		return
	}
	p, err := zkp.DecodeProof(dst[:])
	if err != nil {
		r.Fail(fmt.Errorf("%w: %w", ErrTxProofFormat, err))
		return
	}
	r.KeepProof(codec.DecodedProof{Raw: *dst, Proof: p})
}
