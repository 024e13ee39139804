// Package state is Sable's state machine: the ABCI 2.0 application
// ([App]) that CometBFT drives, and the Pebble store it keeps its state in
// ([Store]).
//
// # The flow of a transaction
//
//	CheckTx          decode, authenticate, batch-verify the tx's proofs, then apply against the check state
//	PrepareProposal  drop what no longer applies, in the order received
//	ProcessProposal  refuse a block holding any transaction that does not apply
//	FinalizeBlock    prune expired FX quotes, batch-verify the block's proofs per circuit, then apply each transaction in order
//	Commit           write the block's changes, the height and the app hash in one synced Pebble batch
//	Query            answer from the last committed state (paths in the ledger package's answers.go)
//
// Each proof is verified once per node: CheckTx batch-verifies a
// transaction's proofs and remembers the verdicts, and the block's passes
// batch-verify only the proofs not yet judged (verifier.go, batch.go).
// Commitments read back from state skip the subgroup check their values
// passed on the way in (state.go). A transaction's HE flows are unpacked
// and checked once per node too, their verdicts cached by the bytes' hash
// (flows.go), and each signature is verified once per signer key and epoch,
// its verdict kept with the decoded transaction (txcache.go). The
// aggregates' commitment sums are accumulated with one inversion per flow,
// each group of payments that enter the same aggregates summed once
// (zkp.Accumulator). BenchmarkValidatorPerPayment
// (validator_cost_test.go) measures a validator's CPU per payment, stage by
// stage.
//
// A transaction is applied inside its own overlay, merged into the block's
// only if it succeeds, so a rejected transaction changes nothing.
//
// # Determinism
//
// Nothing in FinalizeBlock depends on a map's order, the clock, randomness
// or floating point: the app hash chains the previous hash, the height and
// the block's writes in key order; HE aggregates are added in transaction
// order; genesis is written in the currencies' fixed order.
//
// # Durability
//
// FinalizeBlock only computes; Commit writes the block's changes, its
// height and app hash in one synced Pebble batch, so the state on disk is
// always a whole block. A crash before the batch is synced loses nothing
// CometBFT cannot replay. A batch Pebble cannot write or sync (a full
// disk) is not returned by Pebble as an error: it panics, with the batch
// already readable in its memtable (diskfail.go). The Store then refuses
// every read and commit, Commit returns one line naming the block, the
// full disk and the fix, the App stays at the last durable height and app
// hash, and the WithFatal hook runs: a node (ledger/node) logs that line
// and exits with status 1. Once there is space the node starts at the
// last durable block and CometBFT's handshake re-executes the failed one,
// to the app hash the other validators reached (diskfull_test.go). A
// background flush that fails is a warning at the next Commit: its
// blocks are in the WAL.
//
// # Key schema (its own Pebble database, app/ in a validator's home)
//
//	p/<party>                 party: role, country, keys, nonce
//	a/<CUR>/<party>           account: available and pending commitments
//	i/<CUR>                   the currency's issuer
//	s/<CUR>                   the currency's supply commitment
//	t/<token>                 a registered beneficiary token
//	x/<txid>                  a committed transaction's status
//	r/<party>/<height><index> an incoming payment with its memo
//	u/<party>/<CUR>/<txid>    a payment still in pending
//	h/, hc/, hx/, hb/<agg>    HE aggregates, their commitment sums, their transactions, their epoch base
//	hl/<agg>                  an HE aggregate's load, checked against the capacity as flows are recorded
//	g/genesis, g/chain-id     the genesis app state
//	g/protocol                the protocol version (AppVersion) the chain runs, 8 bytes big-endian
//	m/height, m/apphash       the last committed block
//	fxq/<quote id>            an FX quote: terms, remaining band commitment, fills (fx.go)
//	fxx/<valid until><id>     the quotes by expiry: each block prunes those quotePruneGrace blocks past their window
//	fxr/<fill id>             a filled swap request, so none is filled twice (kept when its quote is pruned)
//	e/current, e/<epoch>      the regulators' key epoch in force, each rotated epoch's key (rotate.go)
//
// This package must never be imported by a party's or the regulator's
// code: they read the ledger through ledger/client. It never decrypts a
// flow and never sees an amount.
package state
