// Package tableprover is zkp's table engine: a Groth16 prover on BN254
// specialised for Sable's small circuits. Its proofs are ordinary Groth16
// proofs under the same keys: they verify with gnark's groth16.Verify, and
// are distributed like gnark's (fresh r and s for every proof).
//
// # Tables
//
// gnark's prover spends nearly all of its time in multi-scalar
// multiplications over the proving key's points, recomputing for every
// proof what depends only on the key. A [Prover] precomputes once, for each
// of the key's point vectors, the multiples 2^{c·j}·P_i (see msm.go), so
// that each MSM is a single bucket pass with batched affine additions and
// one reduction, and folds the key's fixed terms (α, β, and δ times the
// random r, s and −rs) into the same passes. The window c of each table is
// chosen from a sample witness. The tables cost about 15 MB for the
// transfer circuit and a few hundred milliseconds to build ([New]).
//
// # Proving
//
// Witness solving, the quotient h and the two final scalar multiplications
// s·A and r·B are as in gnark. The four MSMs and h run as small tasks on
// the prover's workers (tasks.go), so that a busy core delays a task, not
// half of the work. [Prover.Prove] does not verify its proof.
//
// # Table files
//
// [Prover.Write] caches the tables in a file bound to the proving key by
// its hash, and [Read] loads them back in a few milliseconds, refusing a
// file that is truncated, corrupt, stale or not the key's (see cache.go for
// the format).
//
// # Scope
//
// The API is in gnark's terms: a [Key] (constraint system and proving key),
// a witness, a proof. Statements, key files, the check of every proof and
// the choice between this engine and gnark's are zkp's. Errors carry the
// "zkp:" prefix: they reach callers through zkp unchanged.
package tableprover
