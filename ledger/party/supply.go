package party

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/internal/codec"
)

// An issuer's wallet also holds the opening of each supply it issues
// (u/<CUR>): a mint's proof spends from the headroom cap − supply, whose
// opening follows from it. It starts at the genesis supply's opening and
// moves with every own mint (up) and burn (down) when they commit.

// ErrNoSupply reports an issuer's wallet that does not hold the opening of
// the supply it would mint against.
var ErrNoSupply = errors.New("ledger: the wallet holds no opening of this currency's supply")

func supplyKey(c ledger.Currency) []byte { return []byte("u/" + c.String()) }

// Supply returns the opening of c's committed supply.
func (w *Wallet) Supply(c ledger.Currency) (ledger.Opening, error) {
	raw, err := w.get(supplyKey(c))
	if err != nil {
		return ledger.Opening{}, err
	}
	if raw == nil {
		return ledger.Opening{}, fmt.Errorf("%w (%s)", ErrNoSupply, c)
	}
	r := codec.NewReader(raw)
	o := decodeOpening(r)
	return o, corrupt("wallet supply opening", r.Done())
}

// SetSupply records the opening of c's committed supply (at genesis, or
// when a wallet is rebuilt).
func (w *Wallet) SetSupply(c ledger.Currency, o ledger.Opening) error {
	return w.write(func(b *pebble.Batch) error { return putSupply(b, c, o) })
}

func putSupply(b *pebble.Batch, c ledger.Currency, o ledger.Opening) error {
	wr := &codec.Writer{}
	encodeOpening(wr, o)
	return b.Set(supplyKey(c), wr.B, nil)
}

// ProjectedSupply returns c's supply after every in-flight mint and burn:
// what the next mint must be proved against.
func (w *Wallet) ProjectedSupply(c ledger.Currency) (ledger.Opening, error) {
	o, err := w.Supply(c)
	if err != nil {
		return o, err
	}
	return w.project(c, o, (*inflight).moveSupply)
}

// accountDelta is what an own transaction takes from and adds to the
// sender's available balance. A mint's Credit is what it issues, which goes
// to the receiver and into the supply, not to the issuer's balance.
func (f *inflight) accountDelta() (debit, credit ledger.Opening) {
	if f.Kind == ledger.KindMint {
		return f.Debit, ledger.ZeroOpening()
	}
	return f.Debit, f.Credit
}

// moveAccount applies an own transaction to the available balance's
// opening.
func (f *inflight) moveAccount(o ledger.Opening) (ledger.Opening, error) {
	debit, credit := f.accountDelta()
	o, err := o.Minus(debit)
	if err != nil {
		return o, err
	}
	return o.Plus(credit)
}

// moveSupply applies an own transaction to the supply's opening: a mint
// adds what it issues, a burn takes away what it destroys, others leave it.
func (f *inflight) moveSupply(o ledger.Opening) (ledger.Opening, error) {
	switch f.Kind {
	case ledger.KindMint:
		return o.Plus(f.Credit)
	case ledger.KindBurn:
		return o.Minus(f.Debit)
	}
	return o, nil
}

// foldSupply adds a committed own mint or burn to the supply's opening, in
// the batch that folds it into the balance.
func (w *Wallet) foldSupply(b *pebble.Batch, f *inflight) error {
	if f.Kind != ledger.KindMint && f.Kind != ledger.KindBurn {
		return nil
	}
	o, err := w.Supply(f.Currency)
	if errors.Is(err, ErrNoSupply) {
		return nil // a wallet made before supplies were tracked: recover it to mint again
	}
	if err != nil {
		return err
	}
	if o, err = f.moveSupply(o); err != nil {
		return err
	}
	return putSupply(b, f.Currency, o)
}
