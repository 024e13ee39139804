package state

import (
	"encoding/binary"
	"fmt"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/internal/codec"
	"github.com/sable-settlement/sable/zkp"
)

// Party is a bank, an issuer or the regulator: anyone who signs.
type Party struct {
	ID      string
	Role    uint8
	Country [2]byte
	SignKey [32]byte // Ed25519
	MemoKey [32]byte // X25519
	Nonce   uint64   // the nonce its next transaction must carry
}

// Account is one party's balance in one currency, as commitments.
type Account struct {
	Available zkp.Commitment
	Pending   zkp.Commitment
}

// Beneficiary is a registered token's owner.
type Beneficiary struct {
	Owner    string
	Currency ledger.Currency
	Class    uint8
}

// TxStatus is a committed transaction's life on the ledger.
type TxStatus struct {
	Height   int64
	Index    uint32
	Kind     ledger.Kind
	Sender   string
	To       string
	Currency ledger.Currency
	Applied  int64 // height at which the receiver applied it to available; 0 while pending

	id ledger.TxID // the transaction's id while it is applied (not stored: it is the key)
}

// Incoming is a payment into a party's pending balance, kept so that its
// wallet can find and open the memo.
type Incoming struct {
	TxID     ledger.TxID
	Kind     ledger.Kind
	Sender   string
	Nonce    uint64
	Currency ledger.Currency
	Amount   zkp.Commitment
	Memo     []byte
	Height   int64
	Payment  uint32 // a bulk transfer's payment index (encoded for bulk transfers only)
}

// Key layout. Every key is a prefix and fixed-format fields, so prefix scans
// are exact.
func partyKey(id string) []byte { return []byte("p/" + id) }
func accountKey(c ledger.Currency, id string) []byte {
	return []byte("a/" + c.String() + "/" + id)
}
func accountPrefix(c ledger.Currency) []byte { return []byte("a/" + c.String() + "/") }
func issuerKey(c ledger.Currency) []byte     { return []byte("i/" + c.String()) }
func supplyKey(c ledger.Currency) []byte     { return []byte("s/" + c.String()) }
func beneficiaryKey(t [32]byte) []byte {
	return append([]byte("t/"), t[:]...)
}
func statusKey(id ledger.TxID) []byte { return append([]byte("x/"), id[:]...) }
func incomingKey(to string, height int64, index uint32) []byte {
	k := []byte("r/" + to + "/")
	k = binary.BigEndian.AppendUint64(k, uint64(height))
	return binary.BigEndian.AppendUint32(k, index)
}

// incomingPaymentKey is payment j of the bulk transfer at (height, index):
// the transaction's key extended by j, so keys stay unique and in order.
func incomingPaymentKey(to string, height int64, index uint32, j int) []byte {
	return binary.BigEndian.AppendUint32(incomingKey(to, height, index), uint32(j))
}

func incomingPrefix(to string) []byte { return []byte("r/" + to + "/") }

// unapplied indexes the receiver's payments still in pending, per currency.
func unappliedKey(to string, c ledger.Currency, id ledger.TxID) []byte {
	return append(unappliedPrefix(to, c), id[:]...)
}
func unappliedPrefix(to string, c ledger.Currency) []byte {
	return []byte("u/" + to + "/" + c.String() + "/")
}

var keyGenesis = []byte("g/genesis")

func (p *Party) encode() []byte {
	w := &codec.Writer{}
	w.Str(p.ID)
	w.U8(p.Role)
	w.Fixed(p.Country[:])
	w.Fixed(p.SignKey[:])
	w.Fixed(p.MemoKey[:])
	w.U64(p.Nonce)
	return w.B
}

func decodeParty(b []byte) (*Party, error) {
	r := codec.NewReader(b)
	p := &Party{ID: r.Str(ledger.MaxIDLen), Role: r.U8()}
	r.Fixed(p.Country[:])
	r.Fixed(p.SignKey[:])
	r.Fixed(p.MemoKey[:])
	p.Nonce = r.U64()
	return p, stateErr("party", r.Done())
}

func (a *Account) encode() []byte {
	w := &codec.Writer{}
	w.Commitment(a.Available)
	w.Commitment(a.Pending)
	return w.B
}

// Commitments in state are read back with codec's StoredCommitment, which
// skips the subgroup check. The invariant that makes this sound: only the
// executor writes this store, and every commitment it writes is either a
// transaction's point, fully checked when the transaction was decoded
// (ledger.DecodeTx, CodeBadPoint), a genesis point checked when the genesis
// was parsed, or a sum or difference of such points, which stays in the
// prime-order subgroup. Canonical encoding and the curve equation are still
// checked, so a damaged record is reported as corrupt state.
func decodeAccount(b []byte) (*Account, error) {
	r := codec.NewReader(b)
	a := &Account{Available: r.StoredCommitment(), Pending: r.StoredCommitment()}
	return a, stateErr("account", r.Done())
}

func (s *TxStatus) encode() []byte {
	w := &codec.Writer{}
	w.U64(uint64(s.Height))
	w.Fixed(binary.BigEndian.AppendUint32(nil, s.Index))
	w.U8(uint8(s.Kind))
	w.Str(s.Sender)
	w.Str(s.To)
	w.Fixed(s.Currency[:])
	w.U64(uint64(s.Applied))
	return w.B
}

func decodeTxStatus(b []byte) (*TxStatus, error) {
	r := codec.NewReader(b)
	s := &TxStatus{Height: int64(r.U64())}
	if idx := r.Take(4); idx != nil {
		s.Index = binary.BigEndian.Uint32(idx)
	}
	s.Kind = ledger.Kind(r.U8())
	s.Sender = r.Str(ledger.MaxIDLen)
	s.To = r.Str(ledger.MaxIDLen)
	r.Fixed(s.Currency[:])
	s.Applied = int64(r.U64())
	return s, stateErr("status", r.Done())
}

func (in *Incoming) encode() []byte {
	w := &codec.Writer{}
	w.Fixed(in.TxID[:])
	w.U8(uint8(in.Kind))
	w.Str(in.Sender)
	w.U64(in.Nonce)
	w.Fixed(in.Currency[:])
	w.Commitment(in.Amount)
	w.Blob(in.Memo)
	w.U64(uint64(in.Height))
	if in.Kind == ledger.KindBatchTransfer {
		w.Fixed(binary.BigEndian.AppendUint32(nil, in.Payment))
	}
	return w.B
}

func decodeIncoming(b []byte) (*Incoming, error) {
	r := codec.NewReader(b)
	in := &Incoming{}
	r.Fixed(in.TxID[:])
	in.Kind = ledger.Kind(r.U8())
	in.Sender = r.Str(ledger.MaxIDLen)
	in.Nonce = r.U64()
	r.Fixed(in.Currency[:])
	in.Amount = r.StoredCommitment()
	in.Memo = r.Blob(ledger.MaxMemoSize)
	in.Height = int64(r.U64())
	if in.Kind == ledger.KindBatchTransfer {
		var j [4]byte
		r.Fixed(j[:])
		in.Payment = binary.BigEndian.Uint32(j[:])
	}
	return in, stateErr("incoming", r.Done())
}

func (b *Beneficiary) encode() []byte {
	w := &codec.Writer{}
	w.Str(b.Owner)
	w.Fixed(b.Currency[:])
	w.U8(b.Class)
	return w.B
}

func decodeBeneficiary(v []byte) (*Beneficiary, error) {
	r := codec.NewReader(v)
	b := &Beneficiary{Owner: r.Str(ledger.MaxIDLen)}
	r.Fixed(b.Currency[:])
	b.Class = r.U8()
	return b, stateErr("beneficiary", r.Done())
}

// stateErr marks corruption of our own database: never a client's fault.
func stateErr(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("ledger: corrupt %s record in state: %w", what, err)
}

// view is typed access to state through an overlay.
type view struct{ o *overlay }

func (v view) party(id string) (*Party, error) {
	b, err := v.o.get(partyKey(id))
	if err != nil || b == nil {
		return nil, err
	}
	return decodeParty(b)
}

func (v view) putParty(p *Party) { v.o.set(partyKey(p.ID), p.encode()) }

func (v view) account(c ledger.Currency, id string) (*Account, error) {
	b, err := v.o.get(accountKey(c, id))
	if err != nil || b == nil {
		return nil, err
	}
	return decodeAccount(b)
}

func (v view) putAccount(c ledger.Currency, id string, a *Account) {
	v.o.set(accountKey(c, id), a.encode())
}

func (v view) commitmentAt(key []byte) (zkp.Commitment, error) {
	b, err := v.o.get(key)
	if err != nil || b == nil {
		return zkp.ZeroCommitment(), err
	}
	c, err := zkp.DecodeStoredCommitment(b)
	return c, stateErr("commitment", err)
}

func (v view) supply(c ledger.Currency) (zkp.Commitment, error) { return v.commitmentAt(supplyKey(c)) }

func (v view) putSupply(c ledger.Currency, s zkp.Commitment) {
	b := s.Bytes()
	v.o.set(supplyKey(c), b[:])
}

func (v view) issuer(c ledger.Currency) (string, error) {
	b, err := v.o.get(issuerKey(c))
	return string(b), err
}

func (v view) beneficiary(t [32]byte) (*Beneficiary, error) {
	b, err := v.o.get(beneficiaryKey(t))
	if err != nil || b == nil {
		return nil, err
	}
	return decodeBeneficiary(b)
}

func (v view) status(id ledger.TxID) (*TxStatus, error) {
	b, err := v.o.get(statusKey(id))
	if err != nil || b == nil {
		return nil, err
	}
	return decodeTxStatus(b)
}

// turnstile checks, for currency c, that the accounts hold exactly what was
// minted minus what was burned: Σ (available + pending) == supply, as points.
func (v view) turnstile(c ledger.Currency) (bool, error) {
	accounts, err := v.o.scan(accountPrefix(c))
	if err != nil {
		return false, err
	}
	sum := zkp.ZeroCommitment()
	for _, e := range accounts {
		a, err := decodeAccount(e.Value)
		if err != nil {
			return false, err
		}
		sum = sum.Add(a.Available).Add(a.Pending)
	}
	supply, err := v.supply(c)
	if err != nil {
		return false, err
	}
	return sum.Equal(supply), nil
}
