// Package node runs one Sable validator: CometBFT v1 with its block store
// and consensus state in Pebble, wired in-process to the state machine of
// ledger/state, which keeps its own Pebble database under app/.
//
// [Start] reads a validator's home (written by ledger/testnet), checks the
// verifying keys under zk/ against the hashes pinned in genesis, opens the
// stores and starts consensus and the RPC server; [Node.Stop] stops them
// and closes every database. A crash at any point recovers through
// CometBFT's handshake replay to the same app hash.
//
// This package must never hold a party's keys or make a proof.
package node
