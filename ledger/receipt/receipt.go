package receipt

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/cometbft/cometbft/crypto/merkle"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/types"

	"github.com/sable-settlement/sable/internal/atomicfile"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// Version is the first field of every receipt.
const Version = "sable/receipt/v1"

// Receipt is everything a third party needs to check one payment (see the
// package doc). It is written as JSON with CometBFT's encoding of headers,
// commits and validators, as its RPC serves them.
type Receipt struct {
	Version string  `json:"version"`
	ChainID string  `json:"chain_id"`
	TxID    string  `json:"txid"`
	Payment int     `json:"payment"` // J: the payment's index in a bulk transfer, else 0
	Opening Opening `json:"opening"`
	Tx      []byte  `json:"tx"`
	Height  int64   `json:"height"` // H: the block holding the transaction

	TxProof     merkle.Proof `json:"tx_proof"`     // in Block.DataHash
	Result      Result       `json:"result"`       // the transaction's deterministic result
	ResultProof merkle.Proof `json:"result_proof"` // in Commit.LastResultsHash

	Block      *types.Header       `json:"block"`      // header H
	Commit     *types.SignedHeader `json:"commit"`     // header H+1, signed
	Validators []*types.Validator  `json:"validators"` // the validator set that signed Commit, in the chain's order
	Anchor     *types.SignedHeader `json:"anchor"`     // the signed header at the genesis's initial height
}

// Opening is the payment's amount (minor units, decimal) and blinding (hex).
type Opening struct {
	Value    string `json:"value"`
	Blinding string `json:"blinding"`
}

// Result is the part of a transaction's ExecTxResult that CometBFT hashes
// into the next header's last-results hash.
type Result struct {
	Code      uint32 `json:"code"`
	Data      []byte `json:"data,omitempty"`
	GasWanted int64  `json:"gas_wanted"`
	GasUsed   int64  `json:"gas_used"`
}

// ErrInvalid marks a receipt that does not prove what it claims.
var ErrInvalid = errors.New("receipt: invalid")

func invalidf(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

func openingOf(o ledger.Opening) Opening {
	return Opening{Value: strconv.FormatUint(o.Value, 10), Blinding: zkp.BlindingHex(o.Blinding)}
}

// ledgerOpening parses the opening: a value below 2^64, a blinding below ℓ.
func (o Opening) ledgerOpening() (ledger.Opening, error) {
	v, err := strconv.ParseUint(o.Value, 10, 64)
	if err != nil {
		return ledger.Opening{}, invalidf("opening value %q is not an amount in minor units", o.Value)
	}
	r, err := zkp.ParseBlinding(o.Blinding, 0)
	if err != nil {
		return ledger.Opening{}, invalidf("opening blinding: %v", err)
	}
	return ledger.Opening{Value: v, Blinding: r}, nil
}

// Marshal encodes the receipt.
func (r *Receipt) Marshal() ([]byte, error) {
	b, err := cmtjson.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("receipt: encode: %w", err)
	}
	return append(b, '\n'), nil
}

// Parse decodes a receipt; it checks the version, not the contents.
func Parse(b []byte) (*Receipt, error) {
	var r Receipt
	if err := cmtjson.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("receipt: not a receipt: %w", err)
	}
	if r.Version != Version {
		return nil, fmt.Errorf("receipt: version %q, want %q", r.Version, Version)
	}
	return &r, nil
}

// Write writes the receipt to path (temp file, then rename). It holds one
// payment's opening: mode 0600, the holder decides whom to give it.
func (r *Receipt) Write(path string) error {
	b, err := r.Marshal()
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, b, 0o600); err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	return nil
}

// Read reads a receipt file.
func Read(path string) (*Receipt, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("receipt: %w", err)
	}
	r, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// payment is what a receipt opens: one payment of a transaction.
type payment struct {
	Kind        ledger.Kind
	Sender, To  string
	Currency    ledger.Currency
	Beneficiary [32]byte
	Amount      zkp.Commitment
	Of          int // payments the transaction carries
}

// paymentOf returns payment j of a transfer, bulk transfer or mint.
func paymentOf(tx *ledger.Tx, j int) (payment, error) {
	p := payment{Kind: tx.Kind, Sender: tx.Sender, Of: 1}
	switch b := tx.Body.(type) {
	case *ledger.Transfer:
		p.To, p.Currency, p.Beneficiary, p.Amount = b.To, b.Currency, b.Beneficiary, b.Amount
	case *ledger.Mint:
		p.To, p.Currency, p.Amount = b.To, b.Currency, b.Amount
	case *ledger.BatchTransfer:
		p.Of = len(b.Payments)
		if j >= 0 && j < len(b.Payments) {
			q := &b.Payments[j]
			p.To, p.Currency, p.Beneficiary, p.Amount = q.To, q.Currency, q.Beneficiary, q.Amount
		}
	default:
		return p, fmt.Errorf("receipt: a %s is not a payment; receipts cover transfers, bulk transfers and mints", tx.Kind)
	}
	if j < 0 || j >= p.Of {
		return p, fmt.Errorf("receipt: payment %d: the %s carries %d payment(s), numbered from 0", j, tx.Kind, p.Of)
	}
	return p, nil
}
