package ledger

// FX: quotes and atomic swaps. A provider (any bank acting as a market
// maker) publishes a Quote: a pair A/B, a rate, the size band it will
// fill in B, a validity window, and a liquidity proof. A Swap carries both
// legs of one cross-currency payment: leg A, payer → provider in A, and leg
// B, provider → receiver in B, with leg B = ⌊leg A × rate⌋ proven in zero
// knowledge (circuits/fx). Both legs apply or neither.

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/sable-settlement/sable/ledger/internal/codec"
	"github.com/sable-settlement/sable/zkp"
)

// FX transaction kinds (11–14 are FX's).
const (
	KindQuote Kind = 11
	KindSwap  Kind = 12
)

// FX rejection codes (40–49 are FX's).
const (
	CodeQuoteExpired    uint32 = 40 // the quote's validity window has passed; ask for a live quote
	CodeQuoteUnknown    uint32 = 41 // no quote with this id in state: never published, or expired and pruned
	CodeFillReplayed    uint32 = 42 // this swap request was filled already; make a new request
	CodeFillPastBand    uint32 = 43 // the band proof fails: the fill is larger than what is left of the quote's band
	CodeFXRate          uint32 = 44 // the fx proof fails: leg B is not ⌊leg A × rate⌋ at the quote's rate
	CodeLegUnaffordable uint32 = 45 // a leg's transfer proof fails: its payer cannot afford it (or the proof is not for this swap)
	CodeStaleBand       uint32 = 46 // the band proof was made against a band that another fill has changed; fill again
	CodeBadQuote        uint32 = 47 // a quote's terms are not valid (pair, rate, band, window)
	CodeProviderSig     uint32 = 48 // the provider's signature over the swap does not verify
	CodeNoFX            uint32 = 49 // the chain pins no fx verifying key: it predates swaps
	MaxQuoteValidBlocks        = 1 << 20
)

func init() {
	kindNames[KindQuote] = "fx-quote"
	kindNames[KindSwap] = "fx-swap"
}

// Quote offers to sell currency Buy (B) for currency Sell (A) at Rate:
// Rate / zkp.FXScale minor units of B per minor unit of A. A fill's leg B
// is between Min and Max minor units of B (Min is the provider's to
// enforce when it fills; the ledger enforces the band: the fills' total
// stays within Max). The quote is live up to and including height
// ValidUntil.
//
// Proof is the liquidity proof: a transfer proof that spends
// Com(Max, 0) = Max·G from Available, the provider's available balance in
// B, so the provider held Max when it quoted (no amount is revealed; the
// proof does not reserve the funds: each fill's leg B is proved again).
// The ledger keeps the band, Max·G − Σ fills' C_B, as a commitment.
type Quote struct {
	Sell, Buy  Currency
	Rate       uint64
	Min, Max   uint64 // minor units of B
	ValidUntil int64  // last height at which the quote can be filled
	Available  zkp.Commitment
	Proof      [zkp.ProofSize]byte
}

// Swap is one cross-currency payment. Sender (the payer) signs it as any
// transaction, over tx.SigningBytes, which leave out the fill:
// ProviderAvailable, Band, the proofs and ProviderSig. Every proof is bound
// to tx.Context, which leaves out the same fields, so the payer proves its
// part before the provider fills. The provider signs last, over the whole
// filled swap (ProviderSig over tx.ProviderSigningBytes), which binds its
// leg to exactly this swap and fixes every proof.
type Swap struct {
	Quote       TxID     // the quote's transaction id
	Provider    string   // the quote's provider (checked against the quote)
	Sell, Buy   Currency // the quote's pair: leg A's currency and leg B's (checked against the quote)
	Rate        uint64   // the quote's rate (checked against it): with the commitments below, every proof's statement comes from the transaction alone
	To          string   // leg B's receiver: the payer itself or another bank
	Beneficiary [32]byte // a registered token of To in B, or zero

	// Leg A: the payer pays AmountA in A to the provider.
	Available  zkp.Commitment // the payer's available A the leg A proof was made against
	AmountA    zkp.Commitment
	MemoA      []byte // leg A's opening sealed to the provider (MemoAAD: payer, provider, A, nonce)
	AuditMemoA []byte // optional: sealed to the regulator
	SelfMemoA  []byte // optional: sealed to the payer (SelfMemoAAD, payment 0)
	FlowA      []byte // HE ciphertext of leg A's flow

	// Leg B: the provider pays AmountB in B to To.
	AmountB       zkp.Commitment
	MemoB         []byte // leg B's opening sealed to To (MemoAAD: payer, To, B, nonce)
	AuditMemoB    []byte // optional: sealed to the regulator
	ProviderMemoB []byte // leg B's opening sealed to the provider (SwapProviderAAD): what it fills from, and its record
	FlowB         []byte // HE ciphertext of leg B's flow

	// The fill, set by the provider.
	ProviderAvailable zkp.Commitment // the provider's available B the leg B proof was made against
	Band              zkp.Commitment // the quote's band the band proof was made against
	ProofA            [zkp.ProofSize]byte
	ProofFX           [zkp.ProofSize]byte
	ProofB            [zkp.ProofSize]byte
	ProofBand         [zkp.ProofSize]byte
	ProviderSig       [ed25519.SignatureSize]byte
}

func (*Quote) kind() Kind { return KindQuote }
func (*Swap) kind() Kind  { return KindSwap }

func (b *Quote) encode(w *codec.Writer) {
	w.Fixed(b.Sell[:])
	w.Fixed(b.Buy[:])
	w.U64(b.Rate)
	w.U64(b.Min)
	w.U64(b.Max)
	w.U64(uint64(b.ValidUntil))
	w.Commitment(b.Available)
	w.Fixed(b.Proof[:])
}

func (b *Quote) decode(r *codec.Reader) {
	b.Sell = readCurrency(r)
	b.Buy = readCurrency(r)
	b.Rate, b.Min, b.Max = r.U64(), r.U64(), r.U64()
	b.ValidUntil = int64(r.U64())
	b.Available = r.Commitment()
	readProof(r, &b.Proof)
}

// Check checks a quote's terms alone: two currencies, a rate, a band
// 1 ≤ Min ≤ Max ≤ SupplyCap, and a window that ends at a height.
func (b *Quote) Check() error {
	switch {
	case b.Sell == b.Buy:
		return fmt.Errorf("quote sells and buys %s", b.Buy)
	case b.Rate == 0:
		return errors.New("quote rate is zero")
	case b.Min == 0 || b.Min > b.Max || b.Max > SupplyCap:
		return fmt.Errorf("quote band [%d, %d] is not within [1, %d]", b.Min, b.Max, uint64(SupplyCap))
	case b.ValidUntil <= 0:
		return errors.New("quote valid-until height is not positive")
	}
	return nil
}

// MaxCommitment is Com(Max, 0) = Max·G: the liquidity proof's amount, and
// the band before any fill. Validators compute it from the public Max.
func (b *Quote) MaxCommitment() zkp.Commitment { return zkp.Commit(b.Max, new(big.Int)) }

func (b *Swap) encode(w *codec.Writer) {
	w.Fixed(b.Quote[:])
	w.Str(b.Provider)
	w.Fixed(b.Sell[:])
	w.Fixed(b.Buy[:])
	w.U64(b.Rate)
	w.Str(b.To)
	w.Fixed(b.Beneficiary[:])
	w.Commitment(b.Available)
	w.Commitment(b.AmountA)
	w.Blob(b.MemoA)
	w.Blob(b.AuditMemoA)
	w.Blob(b.SelfMemoA)
	w.Blob(b.FlowA)
	w.Commitment(b.AmountB)
	w.Blob(b.MemoB)
	w.Blob(b.AuditMemoB)
	w.Blob(b.ProviderMemoB)
	w.Blob(b.FlowB)
	w.Commitment(b.ProviderAvailable)
	w.Commitment(b.Band)
	w.Fixed(b.ProofA[:])
	w.Fixed(b.ProofFX[:])
	w.Fixed(b.ProofB[:])
	w.Fixed(b.ProofBand[:])
	w.Fixed(b.ProviderSig[:])
}

func (b *Swap) decode(r *codec.Reader) {
	r.Fixed(b.Quote[:])
	b.Provider = readID(r)
	b.Sell = readCurrency(r)
	b.Buy = readCurrency(r)
	b.Rate = r.U64()
	b.To = readID(r)
	r.Fixed(b.Beneficiary[:])
	b.Available = r.Commitment()
	b.AmountA = r.Commitment()
	b.MemoA = r.Blob(MaxMemoSize)
	b.AuditMemoA = r.Blob(MaxMemoSize)
	b.SelfMemoA = r.Blob(MaxMemoSize)
	b.FlowA = r.Blob(MaxFlowSize)
	b.AmountB = r.Commitment()
	b.MemoB = r.Blob(MaxMemoSize)
	b.AuditMemoB = r.Blob(MaxMemoSize)
	b.ProviderMemoB = r.Blob(MaxMemoSize)
	b.FlowB = r.Blob(MaxFlowSize)
	b.ProviderAvailable = r.Commitment()
	b.Band = r.Commitment()
	readProof(r, &b.ProofA)
	readProof(r, &b.ProofFX)
	readProof(r, &b.ProofB)
	readProof(r, &b.ProofBand)
	r.Fixed(b.ProviderSig[:])
}

// request is the swap without its fill: what both parties sign and every
// proof is bound to. An unfilled swap's commitments are the zero
// commitment and its proofs zero bytes (which still encode).
func (b *Swap) request() *Swap {
	c := *b
	c.ProviderAvailable, c.Band = zkp.ZeroCommitment(), zkp.ZeroCommitment()
	c.ProofA, c.ProofFX, c.ProofB, c.ProofBand = zeroProof(), zeroProof(), zeroProof(), zeroProof()
	c.ProviderSig = [ed25519.SignatureSize]byte{}
	return &c
}

// fxUnproved returns body without what its proofs cannot cover (their own
// bytes; for a swap, the whole fill), or nil for a body that is not FX's.
func fxUnproved(body Body) Body {
	switch b := body.(type) {
	case *Quote:
		c := *b
		c.Proof = [zkp.ProofSize]byte{}
		return &c
	case *Swap:
		return b.request()
	}
	return nil
}

// zeroProof is the proof placeholder of an unfilled swap: the encoding of a
// proof whose points are all at infinity, which decodes.
func zeroProof() [zkp.ProofSize]byte {
	var p [zkp.ProofSize]byte
	return p
}

// SignProvider sets the provider's signature over the filled swap
// (ProviderSigningBytes). Call it last, once every proof is in place.
func (tx *Tx) SignProvider(chainID string, key ed25519.PrivateKey) error {
	msg, err := tx.ProviderSigningBytes(chainID)
	if err != nil {
		return err
	}
	copy(tx.Body.(*Swap).ProviderSig[:], ed25519.Sign(key, msg))
	return nil
}

// ProviderSigningBytes is what the provider signs: a label of its own, the
// chain id and the whole filled swap but the two signatures. It covers the
// fill and all four proofs, unlike the payer's SigningBytes, which the
// payer signs before the fill exists: a Groth16 proof can be re-randomised
// by anyone who sees it, and without this a swap in a mempool could be
// resent under another transaction id (the nonce and the fill id still stop
// it applying twice, but the payer would not find its swap by id).
func (tx *Tx) ProviderSigningBytes(chainID string) ([]byte, error) {
	b, ok := tx.Body.(*Swap)
	if !ok {
		return nil, errors.New("ledger: only a swap has a provider's signature")
	}
	c, bb := *tx, *b
	bb.ProviderSig = [ed25519.SignatureSize]byte{}
	c.Body = &bb
	w := &codec.Writer{}
	w.Fixed([]byte("sable/swap-fill-sig/v1"))
	w.Str(chainID)
	w.Fixed(c.unsigned())
	return w.B, nil
}

// FillID names a swap request: the hash of its signing bytes, the same for
// every fill of it. The ledger keeps the ids of requests filled, so a
// request is filled at most once (CodeFillReplayed).
func (tx *Tx) FillID(chainID string) [32]byte {
	return sha256.Sum256(tx.SigningBytes(chainID))
}

// SwapProviderAAD binds the provider's copy of leg B's opening to the
// swap: chain, payer, provider, B and the payer's nonce. Its label sets it
// apart from every other memo.
func SwapProviderAAD(chainID, payer, provider string, c Currency, nonce uint64) []byte {
	w := &codec.Writer{}
	w.Fixed([]byte("sable/swap-provider-memo/v1"))
	w.Str(chainID)
	w.Str(payer)
	w.Str(provider)
	w.Fixed(c[:])
	w.U64(nonce)
	return w.B
}

// FlowIn returns the swap's flow ciphertext and amount in currency c:
// leg A's in Sell, leg B's in Buy, nil in any other currency. The audit
// reads a swap's flow in an aggregate's currency with it.
func (b *Swap) FlowIn(c Currency) ([]byte, zkp.Commitment, bool) {
	switch c {
	case b.Sell:
		return b.FlowA, b.AmountA, true
	case b.Buy:
		return b.FlowB, b.AmountB, true
	}
	return nil, zkp.Commitment{}, false
}

// QuoteInfo is one entry of the /fx/quotes answer, and the /fx/quote
// answer.
type QuoteInfo struct {
	ID         string `json:"id"`
	Provider   string `json:"provider"`
	Pair       string `json:"pair"` // "A/B": the payer pays A, receives B
	Rate       uint64 `json:"rate"` // R: minor units of B per minor unit of A, × 10^8
	RateText   string `json:"rate_text"`
	Min        uint64 `json:"min"` // minor units of B
	Max        uint64 `json:"max"`
	ValidUntil int64  `json:"valid_until"`
	Height     int64  `json:"height"` // the height it was published at
	Band       string `json:"band"`   // the remaining band's commitment, hex
	Fills      uint64 `json:"fills"`  // swaps filled against it
	Live       bool   `json:"live"`   // not yet expired at the height answered
}

// SellCurrency is A, the currency the payer pays.
func (q *QuoteInfo) SellCurrency() Currency {
	c, _ := ParseCurrency(strings.SplitN(q.Pair, "/", 2)[0])
	return c
}

// BuyCurrency is B, the currency the payer receives.
func (q *QuoteInfo) BuyCurrency() Currency {
	parts := strings.SplitN(q.Pair, "/", 2)
	if len(parts) != 2 {
		return Currency{}
	}
	c, _ := ParseCurrency(parts[1])
	return c
}

// ParseRate reads a rate given as a decimal in major units of B per major
// unit of A ("1.3402" SGD per USD) and returns R, at scale zkp.FXScale in
// minor units: R = rate × 10^8 × 10^(digits(B) − digits(A)). A rate that
// does not fit the scale exactly, or is not positive, is refused.
func ParseRate(a, b Currency, s string) (uint64, error) {
	if s == "" || strings.ContainsAny(s, "+-eE ,_") {
		return 0, fmt.Errorf("ledger: rate %q is not a plain positive decimal like 1.3402", s)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Sign() <= 0 {
		return 0, fmt.Errorf("ledger: rate %q is not a plain positive decimal like 1.3402", s)
	}
	shift := b.MinorDigits() - a.MinorDigits()
	r.Mul(r, new(big.Rat).SetInt64(zkp.FXScale))
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(shift))), nil)
	if shift >= 0 {
		r.Mul(r, new(big.Rat).SetInt(p))
	} else {
		r.Quo(r, new(big.Rat).SetInt(p))
	}
	if !r.IsInt() || r.Num().Sign() <= 0 || !r.Num().IsUint64() {
		return 0, fmt.Errorf("ledger: rate %s %s/%s has more precision than the scale of 10^-8 minor units allows, or is out of range", s, b, a)
	}
	return r.Num().Uint64(), nil
}

// FormatRate renders R as a decimal in major units of B per major unit of
// A: the inverse of ParseRate, exact, without trailing zeros.
func FormatRate(a, b Currency, rate uint64) string {
	shift := b.MinorDigits() - a.MinorDigits()
	r := new(big.Rat).SetFrac(new(big.Int).SetUint64(rate), big.NewInt(zkp.FXScale))
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(shift))), nil)
	if shift >= 0 {
		r.Quo(r, new(big.Rat).SetInt(p))
	} else {
		r.Mul(r, new(big.Rat).SetInt(p))
	}
	s := r.FloatString(8 + abs(shift))
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// newFXBody returns an empty body of an FX kind, or nil.
func newFXBody(k Kind) Body {
	switch k {
	case KindQuote:
		return &Quote{}
	case KindSwap:
		return &Swap{}
	}
	return nil
}

// signed is what a transaction's signatures cover: the unsigned encoding,
// and for a swap its request (without the fill), which the payer and the
// provider both sign.
func (tx *Tx) signed() []byte {
	if _, ok := tx.Body.(*Swap); ok {
		return tx.unproved()
	}
	return tx.unsigned()
}
