package state

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// AppVersion is the application's protocol version, reported in Info and
// recorded in the state at genesis (g/protocol). A binary runs only the
// chains of its own version: each version's blocks lead to its own app
// hashes.
//
//	1  the first ledger
//	2  each block first prunes the FX quotes expired quotePruneGrace blocks before it
const AppVersion uint64 = 2

// App is Sable's ABCI 2.0 application.
//
// Two-phase commit: CheckTx is the pre-validation (decode, sizes, points,
// signature, nonce, registration, beneficiary, proof) against a check state
// that already holds the mempool's earlier transactions, so a bank can
// pipeline payments; FinalizeBlock is the submit, which re-runs the same
// checks against the block's state as it stands before each transaction and
// applies it. PrepareProposal keeps, and ProcessProposal accepts, only
// blocks in which every transaction passes in order.
//
// Durability: FinalizeBlock only computes; Commit writes the block's
// changes, its height and app hash in one synced Pebble batch. A crash
// between them loses nothing that CometBFT cannot replay.
type App struct {
	abci.BaseApplication

	mu    sync.Mutex
	store *Store
	exec  *executor
	log   *slog.Logger

	height  int64  // last committed
	appHash []byte // last committed

	genesis *overlay // InitChain's writes, until the first Commit
	block   *overlay // FinalizeBlock's writes, until Commit
	blockAt int64
	blockH  []byte
	check   *overlay // CheckTx's view: committed state + accepted mempool txs

	capacity uint64 // aggregates' capacity; 0: he's MaxLoad
	maxGas   int64  // the chain's block.max_gas (WithBlockMaxGas); ≤ 0: no limit
	metrics  *Metrics
	txs      *txCache // decoded transactions (txcache.go)
}

// Option configures an App.
type Option func(*App)

// WithAggregateCapacity sets the largest load an HE aggregate may reach
// before a transaction whose flow would enter it is rejected
// (ledger.CodeAggregateFull) until the regulator closes its epoch. The
// default, and the most it can be, is he's MaxLoad. It decides which
// transactions apply, so every validator of a chain must use the same.
func WithAggregateCapacity(n uint64) Option { return func(a *App) { a.capacity = n } }

// WithBlockMaxGas sets the chain's consensus limit on a block's gas
// (block.max_gas, from its genesis: Sable never updates consensus
// parameters). CometBFT keeps to it only when it reaps its own mempool and
// never checks a proposal's gas, so ProcessProposal refuses a block past
// it: a dishonest proposer cannot make validators prepare and verify more
// work than the limit bounds. n ≤ 0 is no limit (CometBFT's −1).
func WithBlockMaxGas(n int64) Option { return func(a *App) { a.maxGas = n } }

// Keys are the verifying keys a node checks proofs with.
type Keys struct {
	Transfer, Mint *zkp.VerifyingKey
	FX             *zkp.VerifyingKey // optional: without it, or on a chain that pins none, swaps are refused
	Batch          *zkp.VerifyingKey // optional: without it, or on a chain that pins none, batch transfers are refused
}

// NewApp opens the application over its state store.
func NewApp(store *Store, keys Keys, log *slog.Logger, opts ...Option) (*App, error) {
	if keys.Transfer == nil || keys.Mint == nil {
		return nil, errors.New("ledger: verifying keys for transfer and mint are required")
	}
	h, hash, err := store.Committed()
	if err != nil {
		return nil, err
	}
	a := &App{store: store, log: log, height: h, appHash: hash, txs: newTxCache(),
		exec: &executor{verifier: newVerifier(keys.Transfer, keys.Mint, keys.FX, keys.Batch)}}
	for _, o := range opts {
		o(a)
	}
	a.exec.verifier.metrics = a.metrics
	a.exec.verifier.txs = a.txs // signature verdicts, ids and batch chunks are kept with decoded transactions
	if h > 0 {
		if err := a.loadChain(); err != nil {
			return nil, err
		}
	}
	a.check = a.base()
	return a, nil
}

// loadChain restores the chain id and checks the keys against genesis.
func (a *App) loadChain() error {
	raw, err := a.store.get(keyChainID)
	if err != nil {
		return err
	}
	g, err := a.store.get(keyGenesis)
	if err != nil {
		return err
	}
	if raw == nil || g == nil { // committed blocks without the genesis they built on
		return damagedState(a.store.dir, fmt.Sprintf("height %d is committed but the genesis records (g/chain-id, g/genesis) are missing", a.height))
	}
	if err := a.checkProtocol(); err != nil {
		return err
	}
	a.exec.chainID = string(raw)
	gen, err := ledger.ParseGenesis(g)
	if err != nil {
		return damagedState(a.store.dir, "its genesis record does not parse: "+err.Error())
	}
	if err := a.checkKeys(gen); err != nil {
		return err
	}
	a.exec.flows, err = genesisFlowBook(gen, a.capacity)
	return err
}

var (
	keyChainID  = []byte("g/chain-id")
	keyProtocol = []byte("g/protocol")
)

// checkProtocol refuses a state written under another protocol version:
// executing the chain's next blocks under this one would reach app hashes
// the other validators do not. Stores from before the record are version 1.
func (a *App) checkProtocol() error {
	raw, err := a.store.get(keyProtocol)
	if err != nil {
		return err
	}
	v := uint64(1)
	if raw != nil {
		if len(raw) != 8 {
			return damagedState(a.store.dir, fmt.Sprintf("its protocol record g/protocol is %d bytes, want 8", len(raw)))
		}
		v = binary.BigEndian.Uint64(raw)
	}
	if v != AppVersion {
		return fmt.Errorf("%w: this node's state (height %d) follows protocol version %d and this binary runs version %d; run the sable release that wrote it, or start a new chain",
			ErrProtocol, a.height, v, AppVersion)
	}
	return nil
}

// ErrProtocol is returned when a node's state was written under another
// protocol version (AppVersion) than the binary's.
var ErrProtocol = errors.New("ledger: protocol version mismatch")

func (a *App) checkKeys(g *ledger.Genesis) error {
	for _, k := range []struct {
		name, want string
		vk         *zkp.VerifyingKey
	}{{"transfer", g.VKHashes.Transfer, a.exec.verifier.keys[zkp.Transfer]}, {"mint", g.VKHashes.Mint, a.exec.verifier.keys[zkp.Mint]}} {
		if k.vk.HashHex() != k.want {
			return fmt.Errorf("ledger: the %s verifying key (hash %s) is not the one genesis pins (%s)", k.name, k.vk.HashHex(), k.want)
		}
	}
	return a.checkOptionalKeys(g)
}

// base is the state a new block builds on: genesis until the first commit.
func (a *App) base() *overlay {
	if a.genesis != nil {
		return a.genesis.child()
	}
	return newOverlay(a.store)
}

// Info reports the last committed height and app hash; CometBFT replays
// blocks after it.
func (a *App) Info(context.Context, *abci.InfoRequest) (*abci.InfoResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return &abci.InfoResponse{
		Data:             "sable",
		AppVersion:       AppVersion,
		LastBlockHeight:  a.height,
		LastBlockAppHash: a.appHash,
	}, nil
}

// InitChain writes the genesis state (kept in memory until the first
// Commit) and returns its app hash.
func (a *App) InitChain(_ context.Context, req *abci.InitChainRequest) (*abci.InitChainResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, err := ledger.ParseGenesis(req.AppStateBytes)
	if err != nil {
		return nil, err
	}
	if err := a.checkKeys(g); err != nil {
		return nil, err
	}
	a.exec.chainID = req.ChainId
	if p := req.ConsensusParams; p != nil && p.Block != nil {
		a.maxGas = p.Block.MaxGas // the chain's own; WithBlockMaxGas carries it across restarts
	}
	if a.exec.flows, err = genesisFlowBook(g, a.capacity); err != nil {
		return nil, err
	}
	o := newOverlay(a.store)
	o.set(keyChainID, []byte(req.ChainId))
	o.set(keyProtocol, binary.BigEndian.AppendUint64(nil, AppVersion))
	if err := writeGenesis(g, o, req.AppStateBytes, a.exec.flows); err != nil {
		return nil, err
	}
	a.genesis = o
	a.appHash = o.nextAppHash(nil, 0)
	a.check = a.base()
	a.log.Info("genesis", "chain", req.ChainId, "parties", len(g.Parties), "accounts", len(g.Accounts))
	return &abci.InitChainResponse{AppHash: a.appHash}, nil
}

// CheckTx pre-validates a transaction against the check state and, if it
// passes, applies it there so the sender's next transaction builds on it.
// A transaction's proofs are batch-verified together first (precheck,
// batch.go), and their verdicts kept for the block that will hold it.
func (a *App) CheckTx(_ context.Context, req *abci.CheckTxRequest) (*abci.CheckTxResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	d := a.txs.decode(req.Tx)
	tx, rej := d.tx, d.rej
	if rej == nil && req.Type != abci.CHECK_TX_TYPE_RECHECK { // a recheck finds its verdicts cached
		rej = a.exec.precheck(a.check, tx, d.proofs(a.exec))
	}
	if rej == nil {
		rej = a.exec.apply(a.check, tx, a.height+1, 0)
	}
	a.metrics.checkTx(rej)
	if rej != nil {
		return &abci.CheckTxResponse{Code: rej.Code, Log: rej.Msg, Codespace: "sable"}, nil
	}
	return &abci.CheckTxResponse{Code: ledger.CodeOK, GasWanted: gas(tx, d.proofs(a.exec))}, nil
}

// GasPerProof is a proof's gas. A validator's work on a transaction is
// mostly its proofs (decoding their points, batch verification) and its
// payments (decoding amounts, chaining balances, summing aggregates):
// BenchmarkValidatorPerPayment measures about 37 µs of verification per
// payment in full batches, 590 µs per batch proof, against about 100 µs of
// everything else per payment, so a proof weighs about six payments.
const GasPerProof = 6

// gas is what a transaction costs a block: GasPerProof for each proof
// plus one for each payment of a batch transfer, at least 1 (a full batch
// of 256 payments in one currency: 16 proofs, 352 gas). The chain's
// consensus limit on a block's gas (block.max_gas) then bounds a
// validator's work on one block, and so the time it takes to prepare and
// process it, whatever the transactions' sizes.
func gas(tx *ledger.Tx, proofs []batchItem) int64 {
	g := GasPerProof * int64(len(proofs))
	if b, ok := tx.Body.(*ledger.BatchTransfer); ok {
		g += int64(len(b.Payments))
	}
	return max(1, g)
}

// BatchGas is the gas of a batch transfer of n payments in one currency.
func BatchGas(n int) int64 { return GasPerProof*int64(ledger.BatchChunks(n)) + int64(n) }

// overGas reports whether adding g to a block of used gas passes the
// chain's block.max_gas.
func (a *App) overGas(used, g int64) bool { return a.maxGas > 0 && used+g > a.maxGas }

// PrepareProposal keeps the transactions that pass in order, within the
// block's byte and gas limits.
func (a *App) PrepareProposal(_ context.Context, req *abci.PrepareProposalRequest) (*abci.PrepareProposalResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	o := a.base()
	var kept [][]byte
	var size, used int64
	for i, raw := range req.Txs {
		if size+int64(len(raw)) > req.MaxTxBytes {
			break
		}
		d := a.txs.decode(raw)
		rej := d.rej
		var g int64
		if rej == nil {
			if g = gas(d.tx, d.proofs(a.exec)); a.overGas(used, g) {
				continue
			}
			rej = a.exec.apply(o, d.tx, req.Height, uint32(i))
		}
		if rej == nil {
			kept = append(kept, raw)
			size += int64(len(raw))
			used += g
		}
	}
	return &abci.PrepareProposalResponse{Txs: kept}, nil
}

// ProcessProposal rejects a block in which any transaction fails, checked
// in order against the state each one would see.
func (a *App) ProcessProposal(_ context.Context, req *abci.ProcessProposalRequest) (*abci.ProcessProposalResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	o := a.base()
	txs := a.decodeAll(req.Txs)
	if used := a.blockGas(txs); a.overGas(used, 0) { // before any pairing
		a.log.Warn("rejecting proposal", "height", req.Height, "gas", used, "max_gas", a.maxGas)
		return &abci.ProcessProposalResponse{Status: abci.PROCESS_PROPOSAL_STATUS_REJECT}, nil
	}
	a.preverify(txs) // all proofs in one batch per circuit (txcache.go)
	for i, d := range txs {
		rej := d.rej
		if rej == nil {
			rej = a.exec.apply(o, d.tx, req.Height, uint32(i))
		}
		if rej != nil {
			a.metrics.reject(stageProposal, rej)
			a.log.Warn("rejecting proposal", "height", req.Height, "tx", i, "code", rej.Code, "reason", rej.Msg)
			return &abci.ProcessProposalResponse{Status: abci.PROCESS_PROPOSAL_STATUS_REJECT}, nil
		}
	}
	return &abci.ProcessProposalResponse{Status: abci.PROCESS_PROPOSAL_STATUS_ACCEPT}, nil
}

// FinalizeBlock prunes expired FX quotes, applies the block's
// transactions in order and returns the new app hash. Nothing reaches disk
// until Commit.
func (a *App) FinalizeBlock(_ context.Context, req *abci.FinalizeBlockRequest) (*abci.FinalizeBlockResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	o := a.base()
	if n, err := pruneQuotes(o, req.Height); err != nil { // expired quotes leave state first (fx.go)
		return nil, err
	} else if n > 0 {
		a.log.Debug("pruned expired fx quotes", "height", req.Height, "quotes", n)
	}
	txs := a.decodeAll(req.Txs)
	a.preverify(txs)     // all proofs in one batch per circuit (txcache.go)
	a.exec.flows.begin() // flows are added into aggregates at the end (flows.go)
	results := make([]*abci.ExecTxResult, len(req.Txs))
	for i, d := range txs {
		tx, rej := d.tx, d.rej
		if rej == nil {
			rej = a.exec.apply(o, tx, req.Height, uint32(i))
		}
		a.metrics.finalized(tx, rej)
		if rej != nil {
			results[i] = &abci.ExecTxResult{Code: rej.Code, Log: rej.Msg, Codespace: "sable"}
			continue
		}
		results[i] = &abci.ExecTxResult{Code: ledger.CodeOK, Events: txEvents(tx, a.exec.verifier.id(tx))}
	}
	aggregated := a.metrics.aggregation(a.exec.flows)
	if err := a.exec.flows.flush(o); err != nil {
		return nil, err
	}
	aggregated()
	flat := o.flatten()
	if err := a.assertTurnstile(flat); err != nil {
		return nil, err // a broken invariant must halt the node, not be committed
	}
	a.block, a.blockAt = flat, req.Height
	a.blockH = flat.nextAppHash(a.appHash, req.Height)
	return &abci.FinalizeBlockResponse{TxResults: results, AppHash: a.blockH}, nil
}

// blockGas is the gas of a block's transactions that decoded (the others
// fail it anyway).
func (a *App) blockGas(txs []*decoded) int64 {
	var used int64
	for _, d := range txs {
		if d.tx != nil {
			used += gas(d.tx, d.proofs(a.exec))
		}
	}
	return used
}

// decodeAll decodes a block's transactions (through the cache): each is
// either a transaction or the rejection its bytes earn.
func (a *App) decodeAll(raws [][]byte) []*decoded {
	txs := make([]*decoded, len(raws))
	for i, raw := range raws {
		txs[i] = a.txs.decode(raw)
	}
	return txs
}

// Commit writes the finalized block in one synced batch. If the batch
// does not reach disk (a full disk), the app stays at the last block that
// did, returns the store's one-line failure (after the WithFatal hook) and
// refuses every later Commit: the store cannot be trusted again in this
// process (diskfail.go).
func (a *App) Commit(context.Context, *abci.CommitRequest) (*abci.CommitResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.block == nil {
		return nil, errors.New("ledger: Commit without FinalizeBlock")
	}
	if err := a.store.commit(a.block, a.blockAt, a.blockH); err != nil {
		return nil, err
	}
	if err := a.store.takeBackgroundError(); err != nil {
		a.log.Warn("state store", "err", err.Error())
	}
	a.height, a.appHash = a.blockAt, a.blockH
	a.metrics.committed(a.height)
	a.block, a.genesis = nil, nil
	a.check = a.base() // CometBFT now rechecks the mempool against it
	return &abci.CommitResponse{}, nil
}

// assertTurnstile checks the supply invariant for every currency whose
// accounts or supply the block changed (the others hold from before).
func (a *App) assertTurnstile(o *overlay) error {
	v := view{o}
	for _, k := range ledger.Currencies {
		if !o.touches(accountPrefix(k.Code)) && !o.touches(supplyKey(k.Code)) {
			continue
		}
		ok, err := v.turnstile(k.Code)
		if err != nil {
			return err
		}
		a.metrics.supplyCheck(ok)
		if !ok {
			return fmt.Errorf("ledger: supply turnstile broken for %s: accounts do not sum to minted minus burned", k.Code)
		}
	}
	return nil
}

func txEvents(tx *ledger.Tx, id ledger.TxID) []abci.Event {
	return []abci.Event{{Type: "sable", Attributes: []abci.EventAttribute{
		{Key: "kind", Value: tx.Kind.String(), Index: true},
		{Key: "sender", Value: tx.Sender, Index: true},
		{Key: "txid", Value: id.String(), Index: true},
	}}}
}
