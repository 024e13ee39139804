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
// signature over a domain label, the chain id (bound to the regulators'
// key epoch once they have rotated: [EpochDomain]) and everything else. There is
// exactly one encoding per transaction ([Tx.Encode], [DecodeTx]), with hard
// size limits checked before any allocation; [DecodeTx] also checks every
// commitment as a point of the prime-order subgroup and every proof's
// encoding. A proof is bound to its transaction through [Tx.Context] (a
// batch's chunk proofs through [Tx.ChunkContexts]): a hash of every field
// but the proofs themselves.
//
// # Books and batches
//
// The regulator's encrypted aggregates ([AggIn], [AggOut], [AggCorridor],
// [AggCurrency]) of one currency are the slot groups of one HE ciphertext,
// the currency's book, laid out by [Layout]: the four currency totals in
// fixed groups ([GroupFunded], [GroupTransfers], [GroupMinted],
// [GroupBurned]), then, as each account of the currency opens, the
// corridors its country brings (X-X, then Y-X and X-Y for every country Y
// already there) and its in and out. At he's N = 2^12 a book has 215
// groups, so a currency serves b banks in k countries while
// [LayoutGroups](b, k) = 4 + k² + 2b ≤ 215: 105 banks in one country, 93
// in 5, 55 in 10, 7 in 14. Every currency has its own book, so the number
// of currencies is not bounded by the layout. What grows it: a larger ring
// (N = 2^13: 431 groups, a ciphertext twice the size, parameters to be
// re-chosen for 128-bit security at log QP ≤ 218), a second ciphertext page
// per currency (a batch then carries one flow per page it touches), or
// corridors assigned when first used rather than for every country pair.
// An account that would not fit is refused (CodeLayoutFull).
//
// A [BatchTransfer] (kind 9) carries 1 to [MaxBatchPayments] = 256
// payments from one bank to any receivers in up to [MaxBatchBooks]
// currencies, each with its own amount commitment, memos, status and
// [PaymentID]. Each currency has one book entry: the available commitment,
// one flow ciphertext holding the sums of its payments in their groups
// ([FlowSums]) at a load of their number, which validators check
// ([DecodeFlow], CodeFlowLoad) and add once into the book, and one batch
// proof (zkp.Batch) per chunk of up to zkp.BatchSize = 16 of the
// currency's payments in payment order ([BatchTransfer.Chunks]): chunk k
// proves its amounts each in [1, 2^64) and covered by the available
// balance less the amounts of the currency's earlier chunks, bound to
// [Tx.ChunkContexts]. A book with another number of proofs does not decode
// (CodeBatchProofs); an amount that is the identity, which the circuit
// reads as a padding slot, is refused (CodeIdentityAmount); a chain whose
// genesis pins no batch key refuses kind 9 (CodeNoBatch). Amounts are
// decoded without the subgroup check, which their chunk's proof implies:
// validators verify every chunk proof before any amount is used. A single
// transfer is a ciphertext as before.
//
// Measured (ledger/state TestBatchBytesPerPayment and
// BenchmarkBatchPerPayment, 2 shared cores, gnark's prover for both): a
// full batch is 731 bytes per payment, of which HE 372 (95,249 / 256),
// memos 264 (receiver, regulator and self), commitments 32, proof 8 (16
// chunk proofs of 128 bytes), other 54 (receiver, currency, beneficiary,
// lengths); with a transfer proof per payment it was 852, proof 128. Per
// payment in a batch of 256, chunk proofs take 0.29× the proving of one
// transfer proof per payment (37 against 127 ms) and 0.078× the
// verification, decoding included (16 proofs batch-verified: 0.051 against
// 0.65 ms a payment, one Miller loop and one G2 subgroup check per proof).
// In a batch of 16 (one chunk proof against 16 transfer proofs): 0.27×
// and 0.65×. Validators add one ciphertext per batch and currency instead
// of four per payment.
//
// # FX
//
// A [Quote] (kind 11) offers a pair at a rate R (an integer at scale
// zkp.FXScale, minor units of B per minor unit of A; [ParseRate]) with a
// liquidity proof against the provider's available B. A [Swap] (kind 12)
// is one payer's transaction carrying both legs and four proofs: leg A,
// the rate relation (circuits/fx), leg B and the quote's band. The payer
// signs the swap without the provider's fill ([Tx.SigningBytes]); the
// provider signs last, over the whole filled swap
// ([Tx.ProviderSigningBytes]), which fixes every proof; codes 40–49 are
// FX's.
//
// Each leg's flow enters a transfer's four aggregates and its provider's
// FX aggregate ([SwapKeys]): leg A fxin/A/B@provider (what it bought),
// leg B fxout/B/A@provider (what it sold). Publishing a quote gives the
// provider both groups if it has not got them ([Layout.AdmitFX]; a full
// book refuses the quote, CodeLayoutFull), one group per provider, pair
// and direction on top of [LayoutGroups]. The audit reports each pair's
// volume and each provider's net FX position from them.
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
