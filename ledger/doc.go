// Package ledger is the language of Sable's ledger: what a transaction is
// and how it is encoded, the rejection codes, the currencies, the genesis
// document, the answers to queries, the aggregates' names and the memos
// that carry a payment's opening to its receiver. Every role speaks it; it
// holds no state and talks to no node.
//
// # Roles
//
// Each role has its own package, and imports flow one way:
//
//	ledger/state    the state machine: CheckTx, FinalizeBlock, Commit, Query over its own Pebble store
//	ledger/node     a validator: CometBFT wired to the state machine
//	ledger/client   the RPC client every party and the auditor use
//	ledger/party    a party's side: identity, wallet, proving, sending, syncing
//	ledger/audit    the regulator's audit of the encrypted aggregates
//	ledger/testnet  writes a local network: validators, genesis, parties' homes
//
// party and audit reach the ledger only through this package and the
// client, never through the state machine's internals.
//
// # Transactions
//
// A [Tx] is a version, a [Kind], a sender, a nonce, a [Body] and an Ed25519
// signature over a domain label, the chain id and everything else. There is
// exactly one encoding per transaction ([Tx.Encode], [DecodeTx]), with hard
// size limits checked before any allocation; [DecodeTx] also checks every
// commitment as a point of the prime-order subgroup and every proof's
// encoding. A proof is bound to its transaction through [Tx.Context]: a
// hash of every field but the proofs themselves.
//
// # Rejections
//
// A refused transaction is a [Rejection]: a stable code (code.go) and a
// message a person can act on. A code keeps its meaning forever.
//
// # Memos
//
// A payment's opening (amount, blinding) travels to its receiver sealed to
// the receiver's X25519 key (ephemeral X25519, HKDF-SHA256,
// ChaCha20-Poly1305, label "sable/memo/v1"), bound to the chain, the
// parties, the currency and the nonce ([MemoAAD]).
//
// This package must never read a database, open a network connection or
// hold a secret longer than the call that uses it.
package ledger
