package ledger

import (
	"encoding/binary"
	"fmt"

	"github.com/sable-settlement/sable/zkp"
)

// Roles a party can have.
const (
	RoleBank      uint8 = 1
	RoleIssuer    uint8 = 2
	RoleRegulator uint8 = 3
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
	Currency Currency
	Class    uint8
}

// TxStatus is a committed transaction's life on the ledger.
type TxStatus struct {
	Height   int64
	Index    uint32
	Kind     Kind
	Sender   string
	To       string
	Currency Currency
	Applied  int64 // height at which the receiver applied it to available; 0 while pending

	id TxID // the transaction's id while it is applied (not stored: it is the key)
}

// Incoming is a payment into a party's pending balance, kept so that its
// wallet can find and open the memo.
type Incoming struct {
	TxID     TxID
	Kind     Kind
	Sender   string
	Nonce    uint64
	Currency Currency
	Amount   zkp.Commitment
	Memo     []byte
	Height   int64
	Payment  uint32 // a bulk transfer's payment index (encoded for bulk transfers only)
}

// Key layout. Every key is a prefix and fixed-format fields, so prefix scans
// are exact.
func partyKey(id string) []byte { return []byte("p/" + id) }
func accountKey(c Currency, id string) []byte {
	return []byte("a/" + c.String() + "/" + id)
}
func accountPrefix(c Currency) []byte { return []byte("a/" + c.String() + "/") }
func issuerKey(c Currency) []byte     { return []byte("i/" + c.String()) }
func supplyKey(c Currency) []byte     { return []byte("s/" + c.String()) }
func beneficiaryKey(t [32]byte) []byte {
	return append([]byte("t/"), t[:]...)
}
func statusKey(id TxID) []byte { return append([]byte("x/"), id[:]...) }
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
func unappliedKey(to string, c Currency, id TxID) []byte {
	return append([]byte("u/"+to+"/"+c.String()+"/"), id[:]...)
}
func unappliedPrefix(to string, c Currency) []byte {
	return []byte("u/" + to + "/" + c.String() + "/")
}

var keyGenesis = []byte("g/genesis")

func (p *Party) encode() []byte {
	w := &writer{}
	w.str(p.ID)
	w.u8(p.Role)
	w.fixed(p.Country[:])
	w.fixed(p.SignKey[:])
	w.fixed(p.MemoKey[:])
	w.u64(p.Nonce)
	return w.b
}

func decodeParty(b []byte) (*Party, error) {
	r := &reader{b: b}
	p := &Party{ID: r.str(MaxIDLen), Role: r.u8()}
	r.fixed(p.Country[:])
	r.fixed(p.SignKey[:])
	r.fixed(p.MemoKey[:])
	p.Nonce = r.u64()
	return p, stateErr("party", r.done())
}

func (a *Account) encode() []byte {
	w := &writer{}
	w.commitment(a.Available)
	w.commitment(a.Pending)
	return w.b
}

func decodeAccount(b []byte) (*Account, error) {
	r := &reader{b: b}
	a := &Account{Available: r.commitment(), Pending: r.commitment()}
	return a, stateErr("account", r.done())
}

func (s *TxStatus) encode() []byte {
	w := &writer{}
	w.u64(uint64(s.Height))
	w.fixed(binary.BigEndian.AppendUint32(nil, s.Index))
	w.u8(uint8(s.Kind))
	w.str(s.Sender)
	w.str(s.To)
	w.fixed(s.Currency[:])
	w.u64(uint64(s.Applied))
	return w.b
}

func decodeTxStatus(b []byte) (*TxStatus, error) {
	r := &reader{b: b}
	s := &TxStatus{Height: int64(r.u64())}
	if idx := r.take(4); idx != nil {
		s.Index = binary.BigEndian.Uint32(idx)
	}
	s.Kind = Kind(r.u8())
	s.Sender = r.str(MaxIDLen)
	s.To = r.str(MaxIDLen)
	r.fixed(s.Currency[:])
	s.Applied = int64(r.u64())
	return s, stateErr("status", r.done())
}

func (in *Incoming) encode() []byte {
	w := &writer{}
	w.fixed(in.TxID[:])
	w.u8(uint8(in.Kind))
	w.str(in.Sender)
	w.u64(in.Nonce)
	w.fixed(in.Currency[:])
	w.commitment(in.Amount)
	w.blob(in.Memo)
	w.u64(uint64(in.Height))
	if in.Kind == KindBulkTransfer {
		w.fixed(binary.BigEndian.AppendUint32(nil, in.Payment))
	}
	return w.b
}

func decodeIncoming(b []byte) (*Incoming, error) {
	r := &reader{b: b}
	in := &Incoming{}
	r.fixed(in.TxID[:])
	in.Kind = Kind(r.u8())
	in.Sender = r.str(MaxIDLen)
	in.Nonce = r.u64()
	r.fixed(in.Currency[:])
	in.Amount = r.commitment()
	in.Memo = r.blob(MaxMemoSize)
	in.Height = int64(r.u64())
	if in.Kind == KindBulkTransfer {
		var j [4]byte
		r.fixed(j[:])
		in.Payment = binary.BigEndian.Uint32(j[:])
	}
	return in, stateErr("incoming", r.done())
}

func (b *Beneficiary) encode() []byte {
	w := &writer{}
	w.str(b.Owner)
	w.fixed(b.Currency[:])
	w.u8(b.Class)
	return w.b
}

func decodeBeneficiary(v []byte) (*Beneficiary, error) {
	r := &reader{b: v}
	b := &Beneficiary{Owner: r.str(MaxIDLen)}
	r.fixed(b.Currency[:])
	b.Class = r.u8()
	return b, stateErr("beneficiary", r.done())
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

func (v view) account(c Currency, id string) (*Account, error) {
	b, err := v.o.get(accountKey(c, id))
	if err != nil || b == nil {
		return nil, err
	}
	return decodeAccount(b)
}

func (v view) putAccount(c Currency, id string, a *Account) {
	v.o.set(accountKey(c, id), a.encode())
}

func (v view) commitmentAt(key []byte) (zkp.Commitment, error) {
	b, err := v.o.get(key)
	if err != nil || b == nil {
		return zkp.ZeroCommitment(), err
	}
	c, err := zkp.DecodeCommitment(b)
	return c, stateErr("commitment", err)
}

func (v view) supply(c Currency) (zkp.Commitment, error) { return v.commitmentAt(supplyKey(c)) }

func (v view) putSupply(c Currency, s zkp.Commitment) {
	b := s.Bytes()
	v.o.set(supplyKey(c), b[:])
}

func (v view) issuer(c Currency) (string, error) {
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

func (v view) status(id TxID) (*TxStatus, error) {
	b, err := v.o.get(statusKey(id))
	if err != nil || b == nil {
		return nil, err
	}
	return decodeTxStatus(b)
}

// turnstile checks, for currency c, that the accounts hold exactly what was
// minted minus what was burned: Σ (available + pending) == supply, as points.
func (v view) turnstile(c Currency) (bool, error) {
	accounts, err := v.o.scan(accountPrefix(c))
	if err != nil {
		return false, err
	}
	sum := zkp.ZeroCommitment()
	for _, e := range accounts {
		a, err := decodeAccount(e.value)
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
