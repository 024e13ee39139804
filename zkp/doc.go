// Package zkp is Sable's proof layer: Pedersen commitments on the BN254
// twisted Edwards curve, Groth16 keys, proving, verifying, a compact proof
// encoding, self-contained proof bundles and exports for verifiers that share
// no code with Sable.
//
// # Commitments
//
// Com(v, r) = v·G + r·H, with G the curve's base point and H derived from a
// fixed domain string (see internal/pedersen). A [Commitment] encodes to 32
// bytes: y little-endian, the sign of x in the top bit. [DecodeCommitment]
// rejects, each with its own error, encodings that are non-canonical, off the
// curve, or outside the prime-order subgroup. Commitments add and subtract.
//
// # Blindings
//
// An amount's blinding is 128 bits ([RandomAmountBlinding]): hiding then rests
// on a 2^128 discrete-log search while binding is unchanged, and it saves the
// transfer circuit a third of its constraints. A balance's blinding is a full
// scalar below the subgroup order ℓ, since it accumulates sums and
// differences of amount blindings.
//
// # Circuits and keys
//
// Two circuits exist, [Transfer] and [Mint] (see circuits/transfer and
// circuits/mint for the statements). [SetupDev] runs a single-party Groth16
// setup, fit for development only: whoever ran it can forge proofs. Keys are
// written in a small framed format that names the circuit and carries a
// SHA-256 of the payload; verifying keys are read with gnark's checked reader,
// proving keys (our own files, checksummed) with its fast raw reader.
//
// # Proofs
//
// A [Proof] encodes to 128 bytes (A, B, C compressed). A proof is bound to its
// [Public] inputs, which include a [Context]: a hash of the enclosing
// transaction's other fields, so that a proof cannot be lifted into another
// transaction.
package zkp
