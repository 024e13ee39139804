package ledger

import (
	"fmt"
	"math"
	"strconv"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger/internal/codec"
)

// Regulator key epochs.
//
// The regulator parties can move to a new collective HE key (new shares; t
// and n may change). Epoch 0 is the genesis key; a Rotation transaction,
// sent by the regulator identity, starts epoch e+1 at its height, atomically:
// it sets the chain's current HE public key and carries, key-switched to
// it (he.Switch: no flow decrypted), every currency's book that holds any
// flow, as an epoch close does with re-encryptions. The state keeps every
// epoch's key. A rotation must name every non-empty book (a book left
// under the old key could not take the new epoch's flows), each at the
// commitment sum the regulators switched it at: a book a flow entered
// meanwhile makes the rotation stale (CodeStaleRotation), as a close.
//
// Binding flows to an epoch. Nothing tells which key a ciphertext was
// encrypted to, so a transaction is bound to the epoch in force when it
// was signed: from epoch 1 on, the sender signs SigningBytes of
// EpochDomain(chainID, e) (epoch 0 signs the chain id itself, as before
// any rotation). A transaction signed for an earlier epoch (made before a
// rotation, committed after it) is refused with CodeStaleEpoch, so every
// flow in a block at or after a rotation's height is encrypted to the new
// key, as far as its sender is honest; a dishonest one is named by the
// audit like any flow that does not open. Wallets read the current key and
// epoch with the /epoch query, never from the genesis.

// KindRotation is the regulators' key rotation.
const KindRotation Kind = 15

// Rejection codes of key epochs.
const (
	CodeRotation      uint32 = 50 // a rotation not from the regulator's chain state: not the next epoch, or its key is not an HE key of the chain's parameters
	CodeRotationBooks uint32 = 51 // a rotation leaves a book that holds flows under the old key, or names one that holds none
	CodeStaleRotation uint32 = 52 // a rotation switched a book that has changed since; switch it again
	CodeStaleEpoch    uint32 = 53 // a transaction made for an earlier key epoch: its flow is encrypted to a replaced key; read the key again and resend
	CodeAuditMemo     uint32 = 54 // an audit memo while the regulators' key is shared: send the payment without one
)

func init() { kindNames[KindRotation] = "rotation" }

// Rotation starts the chain's next regulator key epoch.
type Rotation struct {
	Epoch     uint32 // the new epoch: the current one plus one
	Parties   uint8  // n of the new collective key
	Threshold uint8  // t of the new collective key
	PublicKey []byte // the new collective HE public key (he encoding)
	// Books are the key-switched books, as in an epoch close (Key is
	// BookKey(c), Sum the book's commitment sum when switched); empty only
	// when no book holds a flow.
	Books []ClosedAggregate
}

// MaxHEPublicKeySize bounds a rotation's public key encoding.
const MaxHEPublicKeySize = 1 << 17

func (*Rotation) kind() Kind { return KindRotation }

func (b *Rotation) encode(w *codec.Writer) {
	w.U64(uint64(b.Epoch))
	w.U8(b.Parties)
	w.U8(b.Threshold)
	w.Blob(b.PublicKey)
	if len(b.Books) == 0 {
		w.U8(0)
		return
	}
	w.U8(1)
	(&EpochClose{Aggregates: b.Books}).encode(w)
}

func (b *Rotation) decode(r *codec.Reader) {
	e := r.U64()
	if r.Err() == nil && e > math.MaxUint32 {
		r.Fail(fmt.Errorf("rotation to epoch %d: past 2^32", e))
		return
	}
	b.Epoch = uint32(e)
	b.Parties, b.Threshold = r.U8(), r.U8()
	b.PublicKey = r.Blob(MaxHEPublicKeySize)
	if r.Err() == nil && (b.Epoch == 0 || b.Threshold < 2 || b.Threshold > b.Parties || int(b.Parties) > he.MaxParties) {
		r.Fail(fmt.Errorf("rotation to epoch %d with a %d-of-%d key: want an epoch above 0 and 2 ≤ t ≤ n ≤ %d", b.Epoch, b.Threshold, b.Parties, he.MaxParties))
		return
	}
	switch r.U8() {
	case 0:
	case 1:
		var c EpochClose
		c.decode(r)
		b.Books = c.Aggregates
	default:
		r.Fail(fmt.Errorf("rotation: books flag is not 0 or 1"))
	}
}

// EpochDomain is the chain id a transaction of key epoch e is signed for:
// the chain id itself at epoch 0, then the chain id, a zero byte (which no
// chain id holds) and the epoch.
func EpochDomain(chainID string, epoch uint32) string {
	if epoch == 0 {
		return chainID
	}
	return chainID + "\x00epoch " + strconv.FormatUint(uint64(epoch), 10)
}

// EpochInfo is the /epoch answer: a regulator key epoch (data "": the one
// in force; data "N": epoch N).
type EpochInfo struct {
	Epoch     uint32 `json:"epoch"`
	Height    int64  `json:"height"`    // the height its rotation committed at; 0 for the genesis key
	Parties   int    `json:"parties"`   // n of a collective key; 0 for one regulator's key
	Threshold int    `json:"threshold"` // t; 0 for one regulator's key
	PublicKey []byte `json:"public_key"`
}

// Key decodes the epoch's HE public key.
func (e EpochInfo) Key() (*he.PublicKey, error) {
	var pk he.PublicKey
	if err := pk.UnmarshalBinary(e.PublicKey); err != nil {
		return nil, fmt.Errorf("ledger: epoch %d's HE key: %w", e.Epoch, err)
	}
	return &pk, nil
}

// Shared reports whether the epoch's key is shared among regulator
// parties, none of whom may read a single payment alone: its payments
// carry no audit memo (CodeAuditMemo).
func (e EpochInfo) Shared() bool { return e.Parties >= 2 }

// sharingProblem checks the genesis key's sharing: none, or 2 ≤ t ≤ n ≤
// he.MaxParties with a key.
func (g *Genesis) sharingProblem(hasKey bool) string {
	switch {
	case g.HEParties == 0 && g.HEThreshold == 0:
		return ""
	case !hasKey:
		return "he_parties without he_public_key"
	case g.HEThreshold < 2 || g.HEThreshold > g.HEParties || g.HEParties > he.MaxParties:
		return fmt.Sprintf("he_threshold %d of he_parties %d: want 2 ≤ t ≤ n ≤ %d", g.HEThreshold, g.HEParties, he.MaxParties)
	}
	return ""
}

// HasAuditMemo reports whether a transaction body carries any audit memo
// (an amount's opening sealed to the regulator identity).
func HasAuditMemo(b Body) bool {
	switch b := b.(type) {
	case *Transfer:
		return len(b.AuditMemo) > 0
	case *BatchTransfer:
		for i := range b.Payments {
			if len(b.Payments[i].AuditMemo) > 0 {
				return true
			}
		}
	case *Swap:
		return len(b.AuditMemoA) > 0 || len(b.AuditMemoB) > 0
	}
	return false
}
