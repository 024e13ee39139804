// Package receipt makes and checks payment receipts: what a bank hands a
// third party (its customer, an auditor, a court) so that it can check,
// trusting neither the bank nor any node, that one payment of one amount
// to one beneficiary was committed on the ledger.
//
// # What a receipt holds
//
//	tx          the signed transaction, whose SHA-256 is its id
//	opening     the value and blinding of payment J's amount commitment (J > 0 only in a bulk transfer)
//	tx_proof    a Merkle proof of the transaction in block H's data hash (types.Txs.Proof)
//	result      the transaction's deterministic ExecTxResult (code, data, gas) and its Merkle proof
//	            in header H+1's last-results hash (types.ABCIResults.ProveResult)
//	block       header H, linked by hash to header H+1's last block id
//	commit      header H+1 with the commit its validators signed, and that validator set
//	anchor      the signed header at the genesis's initial height
//
// # What Verify checks, and against what
//
// The only thing trusted is the chain's CometBFT genesis (genesis.json): its
// chain id and validator set. The anchor must carry that validator set and
// more than 2/3 of its voting power's signatures; from the anchor the
// CometBFT light client's verification (light.Verify: skipping, trust level
// 1/3 of the trusted set, then more than 2/3 of the new set) accepts header
// H+1. Header H is the one whose hash H+1 names. Then the transaction must
// be in H's data hash at the index the result proof names, its result must
// be in H+1's results hash with code 0 (applied), and the opening must open
// payment J's amount commitment. Any one of these failing refuses the
// receipt.
//
// A Sable chain's validator set is its genesis's and never changes (the
// app returns no validator updates), so one skip from the anchor always
// suffices. The trusting period, which guards proof-of-stake chains from
// validators who unbonded and then sign another history, is taken as
// unbounded: a receipt proves what a +2/3 of the genesis validators signed.
//
// # What a receipt reveals
//
// Only payment J's amount and blinding. Its transaction carries the other
// payments of a bulk transfer as commitments and their openings as sealed
// memos, and the block's other transactions appear only as hashes in the
// Merkle proofs: every other amount stays hidden. Neither Build nor Verify
// logs an amount or a blinding.
package receipt
