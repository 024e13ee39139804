package ledger

import (
	"math/big"

	"github.com/sable-settlement/sable/zkp"
)

// SupplyCap bounds every currency's supply: at most 2^62 minor units may
// exist at once (4.6·10^16 dollars, 4.6·10^18 yen).
//
// The cap is what keeps every hidden figure exact. Money only moves between
// accounts, so each available balance, each pending balance and their sum
// is at most the supply, hence below 2^62: no balance, apply-pending or
// bulk total can reach 2^64, where the circuits' 64-bit range checks and the
// wallets' arithmetic would stop. The cap sits two bits below 2^64 so that
// a wallet may add two such figures (available plus pending, or a projected
// balance plus an in-flight credit) without overflow.
//
// Validators cannot read the supply, so the cap is enforced by proof: the
// headroom cap·G − S is a commitment to cap − supply (blinding −r_S), and
// a mint of C_amt carries a transfer proof that spends C_amt from that
// headroom: 1 ≤ amt < 2^64 and 0 ≤ cap − supply − amt < 2^64. Only the
// issuer, who made every mint and burn and was given the genesis supply's
// opening, can make it. A genesis whose funding exceeds the cap is refused
// when it is written (the hidden genesis balances are the writer's word).
const SupplyCap uint64 = 1 << 62

// Headroom returns the commitment to SupplyCap − supply, the "available
// balance" a mint's proof spends from.
func Headroom(supply zkp.Commitment) zkp.Commitment {
	return zkp.Commit(SupplyCap, new(big.Int)).Sub(supply)
}

// HeadroomOpening opens Headroom(supply.Commitment()). supply must not
// exceed the cap.
func HeadroomOpening(supply Opening) (Opening, error) {
	return Opening{Value: SupplyCap, Blinding: new(big.Int)}.Minus(supply)
}
