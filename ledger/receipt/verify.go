package receipt

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/light"
	"github.com/cometbft/cometbft/types"

	"github.com/sable-settlement/sable/ledger"
)

// Proved is what a verified receipt proves.
type Proved struct {
	ChainID     string
	TxID        string
	Kind        ledger.Kind
	Sender, To  string
	Currency    ledger.Currency
	Beneficiary [32]byte // zero: bank to bank
	Payment     int      // J
	Payments    int      // how many the transaction carries
	Amount      uint64   // minor units
	Height      int64
	Time        time.Time // the block's
	Signers     int       // validators whose commit signatures header H+1 carries
	Validators  int
}

// Timing of the light client's checks: a Sable chain's validators are
// fixed at genesis, so the trusted anchor never expires (see the package
// doc); a header may be at most a minute ahead of the verifier's clock.
const (
	trustingPeriod = 100 * 365 * 24 * time.Hour
	maxClockDrift  = time.Minute
)

// trustRoot is what a receipt is checked against: a chain id and its
// validator set at an initial height.
type trustRoot struct {
	chainID string
	height  int64
	vals    *types.ValidatorSet
}

// rootOf reads the trust root from a CometBFT genesis document.
func rootOf(g *types.GenesisDoc) (root trustRoot, err error) {
	if err := g.ValidateAndComplete(); err != nil {
		return root, fmt.Errorf("receipt: genesis: %w", err)
	}
	vals := make([]*types.Validator, len(g.Validators))
	for i, v := range g.Validators {
		vals[i] = types.NewValidator(v.PubKey, v.Power)
	}
	defer func() { // NewValidatorSet panics on a set it cannot build
		if p := recover(); p != nil {
			err = fmt.Errorf("receipt: genesis validators: %v", p)
		}
	}()
	return trustRoot{chainID: g.ChainID, height: g.InitialHeight, vals: types.NewValidatorSet(vals)}, nil
}

// Verify checks the receipt against the chain's genesis alone (see the
// package doc) and returns what it proves. A receipt that does not prove
// its payment fails with ErrInvalid; now is the verifier's clock.
func Verify(r *Receipt, g *types.GenesisDoc, now time.Time) (*Proved, error) {
	root, err := rootOf(g)
	if err != nil {
		return nil, err
	}
	return r.verify(root, now)
}

func (r *Receipt) verify(root trustRoot, now time.Time) (p *Proved, err error) {
	defer func() { // the receipt is untrusted input to CometBFT's checks too
		if e := recover(); e != nil {
			p, err = nil, invalidf("malformed: %v", e)
		}
	}()
	if r.ChainID != root.chainID {
		return nil, invalidf("the receipt is for chain %q, the genesis is chain %q's", r.ChainID, root.chainID)
	}
	if r.Block == nil || r.Commit == nil || r.Commit.Header == nil || r.Anchor == nil {
		return nil, invalidf("headers are missing")
	}
	signers, err := r.verifyHeaders(root, now)
	if err != nil {
		return nil, err
	}
	if err := r.verifyInclusion(); err != nil {
		return nil, err
	}
	p, err = r.verifyOpening()
	if err != nil {
		return nil, err
	}
	p.Signers, p.Validators = signers, len(r.Validators)
	return p, nil
}

// verifyHeaders checks the anchor against the root, header H+1 from the
// anchor with the light client, and header H by the hash H+1 names. It
// returns how many validators signed H+1.
func (r *Receipt) verifyHeaders(root trustRoot, now time.Time) (int, error) {
	a := r.Anchor
	if err := a.ValidateBasic(root.chainID); err != nil {
		return 0, invalidf("anchor header: %v", err)
	}
	if a.Height != root.height || !bytes.Equal(a.ValidatorsHash, root.vals.Hash()) {
		return 0, invalidf("the anchor is not the genesis's first block signed by its validators")
	}
	if err := root.vals.VerifyCommitLight(root.chainID, a.Commit.BlockID, a.Height, a.Commit); err != nil {
		return 0, invalidf("anchor at height %d is not signed by more than 2/3 of the genesis validators: %v", a.Height, err)
	}
	for _, v := range r.Validators {
		if v == nil || v.PubKey == nil {
			return 0, invalidf("a validator of header %d is missing", r.Height+1)
		}
	}
	vals, err := types.ValidatorSetFromExistingValidators(r.Validators)
	if err != nil {
		return 0, invalidf("validators: %v", err)
	}
	if r.Commit.Height != r.Height+1 {
		return 0, invalidf("the signed header is at height %d, want %d (the block after the payment's)", r.Commit.Height, r.Height+1)
	}
	if err := light.Verify(a, root.vals, r.Commit, vals, trustingPeriod, now, maxClockDrift, light.DefaultTrustLevel); err != nil {
		return 0, invalidf("header %d does not verify from the genesis validators: %v", r.Commit.Height, err)
	}
	if err := r.Block.ValidateBasic(); err != nil {
		return 0, invalidf("header %d: %v", r.Height, err)
	}
	if r.Block.Height != r.Height || r.Block.ChainID != root.chainID || !bytes.Equal(r.Block.Hash(), r.Commit.LastBlockID.Hash) {
		return 0, invalidf("header %d is not the block that signed header %d follows", r.Height, r.Commit.Height)
	}
	signers := 0
	for _, s := range r.Commit.Commit.Signatures {
		if s.BlockIDFlag == types.BlockIDFlagCommit {
			signers++
		}
	}
	return signers, nil
}

// verifyInclusion checks the transaction in H's data hash and its result,
// at the same index of the same number of transactions, in H+1's results
// hash, with code 0.
func (r *Receipt) verifyInclusion() error {
	id := sha256.Sum256(r.Tx)
	if hex.EncodeToString(id[:]) != r.TxID {
		return invalidf("the transaction's bytes hash to %x, not to the receipt's id %s", id, r.TxID)
	}
	tp := types.TxProof{RootHash: r.Block.DataHash, Data: r.Tx, Proof: r.TxProof}
	if err := tp.Validate(r.Block.DataHash); err != nil {
		return invalidf("the transaction is not in block %d: %v", r.Height, err)
	}
	rp := r.ResultProof
	if rp.Index != r.TxProof.Index || rp.Total != r.TxProof.Total {
		return invalidf("the result proof is for transaction %d of %d, the transaction is %d of %d", rp.Index, rp.Total, r.TxProof.Index, r.TxProof.Total)
	}
	leaf, err := (&abci.ExecTxResult{Code: r.Result.Code, Data: r.Result.Data, GasWanted: r.Result.GasWanted, GasUsed: r.Result.GasUsed}).Marshal()
	if err != nil {
		return invalidf("result: %v", err)
	}
	if err := rp.Verify(r.Commit.LastResultsHash, leaf); err != nil {
		return invalidf("the result is not block %d's result for this transaction: %v", r.Height, err)
	}
	if r.Result.Code != ledger.CodeOK {
		return invalidf("the transaction was rejected in block %d with code %d: it paid nothing", r.Height, r.Result.Code)
	}
	return nil
}

// verifyOpening checks that the opening opens payment J's commitment.
func (r *Receipt) verifyOpening() (*Proved, error) {
	tx, err := ledger.DecodeTx(r.Tx)
	if err != nil {
		return nil, invalidf("transaction: %v", err)
	}
	p, err := paymentOf(tx, r.Payment)
	if err != nil {
		return nil, invalidf("%v", err)
	}
	o, err := r.Opening.ledgerOpening()
	if err != nil {
		return nil, err
	}
	if !o.Commitment().Equal(p.Amount) {
		return nil, invalidf("the opening does not open payment %d's amount commitment", r.Payment)
	}
	return &Proved{ChainID: r.ChainID, TxID: r.TxID, Kind: p.Kind, Sender: p.Sender, To: p.To, Currency: p.Currency,
		Beneficiary: p.Beneficiary, Payment: r.Payment, Payments: p.Of, Amount: o.Value, Height: r.Height, Time: r.Block.Time}, nil
}
