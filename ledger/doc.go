// Package ledger will hold the transaction types and their encoding,
// validation, the Pebble state store, the CometBFT ABCI application, node
// wiring, the bank wallet and the regulator's audit.
package ledger
