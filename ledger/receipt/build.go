package receipt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/types"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/client"
)

// Source is where Build reads the chain: a node's RPC (*client.Client).
type Source interface {
	Locate(ctx context.Context, id ledger.TxID) (client.TxLocation, error)
	Block(ctx context.Context, height int64) (*types.Block, error)
	BlockResults(ctx context.Context, height int64) ([]*abci.ExecTxResult, error)
	SignedHeader(ctx context.Context, height int64) (*types.SignedHeader, error)
	Validators(ctx context.Context, height int64) (*types.ValidatorSet, error)
	EarliestHeight(ctx context.Context) (int64, error)
}

// NextBlockWait bounds how long Build waits for the block after the
// payment's, whose header commits to the payment's result.
const NextBlockWait = 30 * time.Second

// Build makes the receipt of payment j of transaction id, opened by o (the
// caller's: see Open). It refuses a transaction that is in no block or was
// rejected in its block, and an opening that does not open the payment.
// The receipt is checked against the node's own validator set before it is
// returned; the holder's check against genesis is Verify's.
func Build(ctx context.Context, src Source, id ledger.TxID, j int, o ledger.Opening) (*Receipt, error) {
	loc, err := Locate(ctx, src, id)
	if err != nil {
		return nil, err
	}
	if loc.Code != ledger.CodeOK {
		return nil, fmt.Errorf("receipt: transaction %s was rejected in block %d with code %d: it paid nothing", id, loc.Height, loc.Code)
	}
	tx, err := ledger.DecodeTx(loc.Raw)
	if err != nil {
		return nil, fmt.Errorf("receipt: transaction %s: %w", id, err)
	}
	p, err := paymentOf(tx, j)
	if err != nil {
		return nil, err
	}
	if !o.Commitment().Equal(p.Amount) {
		return nil, fmt.Errorf("receipt: the opening does not open payment %d of %s", j, id)
	}
	r := &Receipt{Version: Version, TxID: id.String(), Payment: j, Opening: openingOf(o), Tx: loc.Raw, Height: loc.Height}
	if err := r.fill(ctx, src, int(loc.Index)); err != nil {
		return nil, err
	}
	return r, r.selfCheck(ctx, src)
}

// IndexWait bounds how long Build waits for a transaction to appear in
// the node's tx index, which CometBFT fills just after the block commits.
const IndexWait = 3 * time.Second

// Locate finds a committed transaction, waiting up to IndexWait for the
// node's tx index.
func Locate(ctx context.Context, src Source, id ledger.TxID) (client.TxLocation, error) {
	deadline := time.Now().Add(IndexWait)
	for {
		loc, err := src.Locate(ctx, id)
		if err == nil || !errors.Is(err, client.ErrNotFound) || time.Now().After(deadline) {
			if err != nil {
				return loc, fmt.Errorf("receipt: %w", err)
			}
			return loc, nil
		}
		select {
		case <-ctx.Done():
			return loc, fmt.Errorf("receipt: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// fill adds the block's proofs and headers.
func (r *Receipt) fill(ctx context.Context, src Source, index int) error {
	block, err := src.Block(ctx, r.Height)
	if err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	if index >= len(block.Txs) || !bytes.Equal(block.Txs[index], r.Tx) {
		return fmt.Errorf("receipt: block %d does not hold transaction %s at index %d", r.Height, r.TxID, index)
	}
	results, err := src.BlockResults(ctx, r.Height)
	if err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	if len(results) != len(block.Txs) {
		return fmt.Errorf("receipt: block %d has %d transactions but %d results", r.Height, len(block.Txs), len(results))
	}
	det := types.NewResults(results)
	r.TxProof = block.Txs.Proof(index).Proof
	r.ResultProof = det.ProveResult(index)
	d := det[index]
	r.Result = Result{Code: d.Code, Data: d.Data, GasWanted: d.GasWanted, GasUsed: d.GasUsed}
	r.Block = &block.Header
	r.ChainID = block.ChainID
	if r.Commit, err = nextSignedHeader(ctx, src, r.Height+1); err != nil {
		return err
	}
	vals, err := src.Validators(ctx, r.Height+1)
	if err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	r.Validators = vals.Validators
	first, err := src.EarliestHeight(ctx)
	if err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	if r.Anchor, err = src.SignedHeader(ctx, first); err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	return nil
}

// nextSignedHeader waits, up to NextBlockWait, for the signed header at
// height (the chain makes a block at least every few seconds).
func nextSignedHeader(ctx context.Context, src Source, height int64) (*types.SignedHeader, error) {
	ctx, cancel := context.WithTimeout(ctx, NextBlockWait)
	defer cancel()
	for {
		sh, err := src.SignedHeader(ctx, height)
		if err == nil {
			return sh, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("receipt: block %d, whose header commits to the payment's result, is not there after %s: %w", height, NextBlockWait, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// selfCheck verifies the receipt against the node's validator set at the
// anchor, as Verify does against genesis, so that a receipt that could
// never verify is not handed out.
func (r *Receipt) selfCheck(ctx context.Context, src Source) error {
	vals, err := src.Validators(ctx, r.Anchor.Height)
	if err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	if _, err := r.verify(trustRoot{chainID: r.ChainID, height: r.Anchor.Height, vals: vals}, time.Now()); err != nil {
		if errors.Is(err, ErrInvalid) {
			return fmt.Errorf("receipt: the node's records do not make a valid receipt: %w", err)
		}
		return err
	}
	return nil
}
