// Package zkp is Sable's proof layer: Pedersen commitments on the BN254
// twisted Edwards curve, Groth16 keys and their checks, proving, verifying
// one proof or a batch, a compact proof encoding and self-contained proof
// bundles. Package zkp/export writes keys and proofs for verifiers that
// share no code with Sable.
//
// # Commitments
//
// Com(v, r) = v·G + r·H, with G the curve's base point and H derived from a
// fixed domain string (see internal/pedersen). A [Commitment] encodes to 32
// bytes: y little-endian, the sign of x in the top bit. [DecodeCommitment]
// rejects, each with its own error, encodings that are non-canonical, off the
// curve, or outside the prime-order subgroup. Commitments add and subtract.
//
// The subgroup check (a scalar multiplication by ℓ, about 85 µs of the
// 97) is skipped by two decoders, each for bytes whose subgroup membership
// something else guarantees: [DecodeStoredCommitment], for the ledger's own
// records of checked values, and [DecodeProvenCommitment], for a public
// input of a proof whose statement shows it to be v·G + r·H, used only
// after that proof verifies. Both still refuse non-canonical and off-curve
// bytes.
//
// Affine additions take an inversion each. An [Accumulator] sums many
// commitments in extended coordinates and [Sums] reads several back with
// one inversion for all, giving the same points (and encodings) as a chain
// of Add: 256 payments into 5 sums cost 0.12x the affine additions.
// [Remainders] gives a batch's chain of available balances (the start less
// each prefix of its amounts) the same way, at 0.14x a chain of Sub.
//
// # Blindings
//
// Every blinding is a uniform scalar below the subgroup order ℓ
// ([RandomBlinding]; [RandomAmountBlinding] is the same draw): an amount's
// commitment is then a uniform point whatever the amount, so hiding is
// perfect, and a balance's blinding, a signed sum of amount blindings from
// Com(0, 0), is as strong. (With the 128-bit amount blindings of earlier
// versions, whoever guessed an amount confirmed the guess with a kangaroo
// search over the 2^128 blindings, about 2^64 group operations.) Binding
// rests on nobody knowing log_G H. The circuits admit any blinding below
// 2^252 > ℓ; provers take the reduced ones only ([ErrBlindingRange]).
//
// # Circuits and keys
//
// Four circuits exist, [Transfer], [Mint], [FX] and [Batch] (see
// circuits/transfer, circuits/mint, circuits/fx and circuits/batch for the
// statements; an FX statement's public inputs are both legs' amounts, the
// rate at scale [FXScale] and the context, and [FXAmount] is its rounding;
// a batch's are below). [SetupDev] runs a single-party Groth16
// setup, fit for development only: whoever ran it can forge proofs. Keys are
// written in a small framed format that names the circuit and carries a
// SHA-256 of the payload; verifying keys are read with gnark's checked reader,
// proving keys with its fast raw reader, which checks no point.
//
// A key file is therefore not trusted for what it says. A [Prover] refuses a
// verifying key whose hash is not the one pinned from the chain's genesis
// ([PinVerifyingKeys], [Prover.Pin]) and, before a circuit's first proof,
// checks the proving key against the verifying key ([CheckKeyPair]: α, β, δ
// shared and not the identity, β and δ consistent across the groups by
// pairing, the circuit's shape, every point on its curve; about 3 ms).
// With a trusted verifying key, a proof that verifies hides the witness
// whatever else the proving key holds, and the Prover releases no proof
// that does not verify.
//
// # Batch proofs
//
// A [Batch] proof covers 1 to [BatchSize] (16) payments in one currency
// from one available balance: [Public.Amounts] lists the real amounts in
// slot order, [Public.Available] is C_avail, and the proof shows each
// amount in [1, 2^64) and C_avail − Σ C_amt_i an opening of a value in
// [0, 2^64) ([ProvingKey.ProveBatch], [Prover.ProveBatch], from a
// [BatchInput]). It stands for 16 transfer proofs chained on C_avail −
// Σ_{i<j} C_amt_i (circuits/batch argues why one range check on the final
// remainder is as strong). Measured per payment against transfer proofs
// (BenchmarkBatchCircuit, interleaved, two shared cores, full batches):
// 1,017 constraints against 1,916; proving 0.30x (26 against 87 ms, gnark's
// prover both ways); decoding and batch-verifying 16 batch proofs against
// 256 transfer proofs 0.086x (52 against 610 µs; BatchVerify alone 0.12x,
// and DecodeProof, 235 µs a proof under that load, is paid once per 16
// payments); 8 proof bytes against 128.
//
// Padding is the verifier's: [Public.Vector] fills the slots past
// len(Amounts) with the identity (0, 1), which the circuit reads as "no
// payment". The prover never names a padding slot. A real amount that is
// the identity would therefore pass as padding with amount 0, and a
// statement listing n amounts plus an explicit identity has the same
// public inputs as the one listing the n alone: [VerifyingKey.Verify] and
// [BatchVerify] refuse a statement with the identity among its amounts
// ([ErrPaddingAmount]) or with 0 or more than BatchSize of them
// ([ErrBatchCount]), and a ledger must refuse such a payment with its own
// rejection before it builds the statement, and must not key a cache of
// verdicts on Vector alone without that check. The amounts' and C_avail's
// subgroup membership follows from the statement (each is a sum of
// multiples of G and H), so [DecodeProvenCommitment] suits them once the
// proof verifies.
//
// The table engine serves batch proofs too, at 0.62–0.72x gnark's time
// (296 against 413 ms in BenchmarkBatchEngines), but its tables are 85 MB
// and take 9.5 s to build: a
// setup does not write them ([Circuit.TablesAtSetup]); a [LongRunning]
// prover builds them at first use, any other after 80 gnark proofs, and
// writes the cache then (74 ms to load).
//
// # Proofs
//
// A [Proof] encodes to 128 bytes (A, B, C compressed). A proof is bound to its
// [Public] inputs, which include a [Context]: a hash of the enclosing
// transaction's other fields, so that a proof cannot be lifted into another
// transaction.
//
// # Proving
//
// There is one way to prove: [OpenProver] on a key directory returns a
// [Prover] that the wallet, the CLI, the demo and the benchmarks share. It
// reads a circuit's keys on first use, is safe for concurrent use, and
// verifies every proof before returning it. Two engines sit behind it,
// making the same Groth16 proofs under the same keys:
//
//   - the table engine ([TableProver], zkp/internal/tableprover)
//     precomputes, for every point P of the proving key, the multiples
//     2^{c·j}·P, so that each MSM is one pass of batched affine
//     additions; it proves about 1.8× faster (transfer: 51 ms against
//     91 ms on two shared cores), but its tables (6 MB for mint, 13 MB
//     for transfer) take 0.15–0.3 s (mint) or 0.35–0.65 s (transfer) to
//     build;
//   - the gnark engine ([ProvingKey.ProveTransfer]) is gnark's own prover;
//     it needs nothing beyond the key.
//
// The tables are cached beside the proving key ([TablesPath],
// DIR/<circuit>.tables) and load in about 5 ms (mint) or 7–11 ms
// (transfer), less than a single proof saves, so a prover that finds a
// valid cache uses the table engine from its first proof: a one-shot
// command's first proof, keys read, took 62 ms against 76 ms with gnark for
// a transfer, 35 ms against 49 ms for a mint. Without a cache, a
// [LongRunning] prover (a sender) builds the tables at first use; any other
// proves with gnark until it has made buildTablesAfter (16) proofs, about
// what the build costs in what the tables save per proof (10 to 20 proofs
// in our runs), and then builds them. A prover that builds tables writes the cache for the next
// process; [Prover.WriteTables] writes it on request, say after a setup.
// [WithEngine] forces one engine, for cross-checks and baselines;
// [Prover.Stats] says which engine serves a circuit and why.
//
// The cache file is framed like a key file, with the SHA-256 of the proving
// key it was built from and a CRC-32C of its tables. A cache that is
// missing, stale, truncated or corrupt, or whose tables are not the key's
// multiples, is refused ([ReadTableProver]) and proving goes on with gnark
// until tables are built again. Were the table engine ever to make a proof
// that does not verify, the prover drops its tables and proves with gnark.
//
// # Batch verification
//
// [BatchVerify] checks n proofs of one circuit at once, as a validator does
// for a block: one random linear combination of the n Groth16 equations,
// n + 3 Miller loops and a single final exponentiation, where n separate
// verifications pay three Miller loops and a final exponentiation each; the
// public inputs of all proofs fold into one multi-exponentiation. On two
// cores a batch of 100 transfer proofs costs a sixth to an eighth of a
// single verification per proof (0.10 ms against 0.78 ms in
// bench/results.md), 5–6× less than the same verifications spread over
// both cores. The coefficients are derived by Fiat–Shamir from
// the key, every statement and every proof, so every node reaches the same
// verdict without a shared random source, and a batch holding an invalid
// proof passes with probability at most 2^−128 per attempt (see
// [BatchVerify] for the argument). A failed batch does not say which proof
// is bad; verifying them one by one ([VerifyingKey.Verify]) does. Proofs
// from both engines batch together.
package zkp
