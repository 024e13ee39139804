package ledger

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"

	"github.com/sable-settlement/sable/ledger/internal/codec"
	"github.com/sable-settlement/sable/zkp"
)

// TxVersion is the first byte of every transaction.
const TxVersion = 1

// Size limits, checked before any allocation.
const (
	MaxTxSize   = 1 << 20 // whole transaction
	MaxIDLen    = 32
	MaxMemoSize = 512     // sealed opening to the receiver or the auditor
	MaxFlowSize = 1 << 19 // HE flow ciphertext
)

// Kind is a transaction's type.
type Kind uint8

const (
	KindRegisterBank        Kind = 1
	KindRegisterAccount     Kind = 2
	KindRegisterBeneficiary Kind = 3
	KindMint                Kind = 4
	KindBurn                Kind = 5
	KindTransfer            Kind = 6
	KindApplyPending        Kind = 7
	KindEpochClose          Kind = 8
	KindBatchTransfer       Kind = 9
)

var kindNames = map[Kind]string{
	KindRegisterBank: "register-bank", KindRegisterAccount: "register-account",
	KindRegisterBeneficiary: "register-beneficiary", KindMint: "mint", KindBurn: "burn",
	KindTransfer: "transfer", KindApplyPending: "apply-pending", KindEpochClose: "epoch-close",
	KindBatchTransfer: "batch-transfer",
}

func (k Kind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("kind(%d)", k)
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// ValidID reports whether s is a well-formed party identifier (bank,
// issuer or regulator): lower-case letters, digits and dashes, ≤ 32 bytes.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// Tx is a signed transaction. Sender signs SigningBytes with its Ed25519 key.
type Tx struct {
	Kind   Kind
	Sender string
	Nonce  uint64 // must equal the sender's next nonce
	Body   Body
	Sig    [ed25519.SignatureSize]byte
}

// Body is one kind's fields.
type Body interface {
	kind() Kind
	encode(w *codec.Writer)
	decode(r *codec.Reader)
}

// TxID identifies a transaction: the SHA-256 of its full encoding.
type TxID [32]byte

func (id TxID) String() string { return hex.EncodeToString(id[:]) }

// ParseTxID reads a transaction id's hex.
func ParseTxID(s string) (TxID, error) {
	var id TxID
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(id) {
		return id, fmt.Errorf("ledger: transaction id %q is not 32 bytes of hex", s)
	}
	copy(id[:], b)
	return id, nil
}

// Encode returns the canonical encoding.
func (tx *Tx) Encode() []byte {
	w := &codec.Writer{B: tx.unsigned()}
	w.Fixed(tx.Sig[:])
	return w.B
}

// ID returns the transaction's id.
func (tx *Tx) ID() TxID { return sha256.Sum256(tx.Encode()) }

func (tx *Tx) unsigned() []byte {
	w := &codec.Writer{}
	w.U8(TxVersion)
	w.U8(uint8(tx.Kind))
	w.Str(tx.Sender)
	w.U64(tx.Nonce)
	tx.Body.encode(w)
	return w.B
}

// SigningBytes is what the sender signs: a versioned label, the chain id and
// the whole unsigned transaction, so a signature is valid on one chain only.
func (tx *Tx) SigningBytes(chainID string) []byte {
	w := &codec.Writer{}
	w.Fixed([]byte("sable/tx-sig/v1"))
	w.Str(chainID)
	w.Fixed(tx.signed())
	return w.B
}

// Sign sets the signature.
func (tx *Tx) Sign(chainID string, key ed25519.PrivateKey) {
	copy(tx.Sig[:], ed25519.Sign(key, tx.SigningBytes(chainID)))
}

// Context is what a transaction's proof is bound to: the chain id and every
// field but the proof and the signature.
func (tx *Tx) Context(chainID string) zkp.Context {
	return zkp.NewContext("sable/tx-ctx/v1", []byte(chainID), tx.unproved())
}

// ChunkContexts are what a batch transfer's proofs are bound to:
// out[i][k], chunk k of book i's ([BatchTransfer.Chunks]), is the chain
// id, every field but the proofs and the signature, the book's currency
// and k. The proofs are excluded whole but their number is not, so a book's
// chunk count is fixed before its proofs are made. The transaction is
// hashed once for all of them.
func (tx *Tx) ChunkContexts(chainID string) [][]zkp.Context {
	b, ok := tx.Body.(*BatchTransfer)
	if !ok {
		return nil
	}
	unproved := tx.unproved()
	prefix := zkp.NewContextPrefix("sable/tx-ctx/v1", []byte(chainID), unproved)
	chunks := b.Chunks()
	out := make([][]zkp.Context, len(b.Books))
	for i, k := range b.Books {
		out[i] = make([]zkp.Context, len(chunks[i]))
		for n := range out[i] {
			parts := [][]byte{[]byte("chunk"), k.Currency[:], binary.BigEndian.AppendUint32(nil, uint32(n))}
			var err error
			if out[i][n], err = prefix.With(parts...); err != nil {
				out[i][n] = zkp.NewContext("sable/tx-ctx/v1", append([][]byte{[]byte(chainID), unproved}, parts...)...)
			}
		}
	}
	return out
}

// unproved is the unsigned encoding with every proof zeroed (a batch's
// book keeps its number of proofs).
func (tx *Tx) unproved() []byte {
	c := *tx
	if body := fxUnproved(tx.Body); body != nil {
		c.Body = body
		return c.unsigned()
	}
	switch b := tx.Body.(type) {
	case *Transfer:
		bb := *b
		bb.Proof = [zkp.ProofSize]byte{}
		c.Body = &bb
	case *Mint:
		bb := *b
		bb.Proof = [zkp.ProofSize]byte{}
		c.Body = &bb
	case *Burn:
		bb := *b
		bb.Proof = [zkp.ProofSize]byte{}
		c.Body = &bb
	case *BatchTransfer:
		bb := *b
		bb.Books = make([]BatchBook, len(b.Books))
		for i, k := range b.Books {
			k.Proofs = make([][zkp.ProofSize]byte, len(k.Proofs)) // zeroed, their number kept
			bb.Books[i] = k
		}
		c.Body = &bb
	}
	return c.unsigned()
}

// PaymentID names payment j of batch transfer txid: its receiver's incoming
// entry, its unapplied index and its status are kept under it.
func PaymentID(txid TxID, j int) TxID {
	h := sha256.New()
	h.Write([]byte("sable/payment/v1"))
	h.Write(txid[:])
	h.Write(binary.BigEndian.AppendUint32(nil, uint32(j)))
	return TxID(h.Sum(nil))
}

// Decoding errors. Each becomes its own rejection code.
var (
	ErrTxTooLarge    = errors.New("ledger: transaction exceeds the size limit")
	ErrTxVersion     = errors.New("ledger: unsupported transaction version")
	ErrTxKind        = errors.New("ledger: unknown transaction kind")
	ErrTxEncoding    = errors.New("ledger: malformed transaction")
	ErrTxPoint       = codec.ErrPoint
	ErrTxProofFormat = errors.New("ledger: proof is not a valid encoding")
	ErrTxBatchProofs = errors.New("ledger: a batch book does not carry one proof per chunk of its currency's payments")
)

// DecodeTx parses one transaction. It checks the encoding only: sizes, field
// formats, and that every commitment and proof point is a canonical point
// of its prime-order subgroup. Signatures, nonces and proofs need the state.
func DecodeTx(b []byte) (*Tx, error) {
	tx, _, err := DecodeTxProofs(b)
	return tx, err
}

// DecodedProof is a proof as DecodeTxProofs read it: its bytes, and the
// points they decode to, each checked canonical, on its curve and in its
// prime-order subgroup.
type DecodedProof = codec.DecodedProof

// DecodeTxProofs is DecodeTx that also returns the transaction's proofs as
// decoding checked them, in the order of the encoding, so that a verifier
// uses them without decoding (and checking) their points a second time.
// Decoding depends on the bytes alone: each proof is what
// zkp.DecodeProof(Raw) returns.
func DecodeTxProofs(b []byte) (*Tx, []DecodedProof, error) {
	if len(b) > MaxTxSize {
		return nil, nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTxTooLarge, len(b), MaxTxSize)
	}
	r := codec.NewReader(b)
	if v := r.U8(); r.Err() == nil && v != TxVersion {
		return nil, nil, fmt.Errorf("%w: %d", ErrTxVersion, v)
	}
	tx := &Tx{Kind: Kind(r.U8())}
	tx.Sender = r.Str(MaxIDLen)
	tx.Nonce = r.U64()
	if r.Err() != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrTxEncoding, r.Err())
	}
	if tx.Body = newBody(tx.Kind); tx.Body == nil {
		return nil, nil, fmt.Errorf("%w: %d", ErrTxKind, tx.Kind)
	}
	tx.Body.decode(r)
	r.Fixed(tx.Sig[:])
	if err := r.Done(); err != nil {
		if errors.Is(err, ErrTxPoint) || errors.Is(err, ErrTxProofFormat) || errors.Is(err, ErrTxBatchProofs) {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("%w: %w", ErrTxEncoding, err)
	}
	if !ValidID(tx.Sender) {
		return nil, nil, fmt.Errorf("%w: sender %q is not a valid identifier", ErrTxEncoding, tx.Sender)
	}
	return tx, r.Proofs(), nil
}

func newBody(k Kind) Body {
	if b := newFXBody(k); b != nil {
		return b
	}
	if k == KindRotation {
		return &Rotation{}
	}
	switch k {
	case KindRegisterBank:
		return &RegisterBank{}
	case KindRegisterAccount:
		return &RegisterAccount{}
	case KindRegisterBeneficiary:
		return &RegisterBeneficiary{}
	case KindMint:
		return &Mint{}
	case KindBurn:
		return &Burn{}
	case KindTransfer:
		return &Transfer{}
	case KindApplyPending:
		return &ApplyPending{}
	case KindEpochClose:
		return &EpochClose{}
	case KindBatchTransfer:
		return &BatchTransfer{}
	}
	return nil
}
