// Package client is how parties and the regulator talk to a Sable node:
// the ledger's queries (accounts, parties, statuses, incoming payments,
// supplies, genesis, aggregates), broadcasting a transaction, and tracking
// it until it is committed or rejected.
//
// A CheckTx rejection comes back as a *ledger.Rejection with its code. The
// client decodes the answers of the ledger package's answers.go and knows
// nothing of the state machine behind them.
package client
