// Package ceremony runs Sable's multi-party Groth16 setup on gnark's
// backend/groth16/bn254/mpcsetup: phase 1 (powers of τ, shared by every
// circuit), then phase 2 for each circuit of zkp's registry, each closed
// by a public random beacon. Its keys replace those of zkp.SetupDev, in
// the same key files, with a record (ceremony.json) whose hash a chain's
// genesis pins (ledger.GenesisKeys.Ceremony).
//
// # Trust
//
// A Groth16 setup's secrets (τ, α, β, δ) let whoever knows them forge
// proofs: amounts out of range, payments beyond a balance. Here each
// secret is the product of every contributor's share, and a share is
// never written: the keys are sound if, in each phase, any one contributor
// drew its share at random and destroyed it (phase 1 makes τ, α, β and
// phase 2 δ, so one bank contributing honestly to both is enough). One
// honest contributor per phase suffices; the others may be anyone,
// collude, or contribute crafted values, since every
// contribution carries a proof of knowledge of its share bound to the
// hash of the state it builds on, and Verify refuses a transcript where
// one does not hold. The beacons (public randomness fixed after the last
// contribution of each phase, such as a drand round announced in
// advance) keep the last contributor from steering the outcome by
// trying many shares. Hiding (zero knowledge) does not depend on the
// ceremony at all: zkp.CheckKeyPair is what protects witnesses from a bad
// proving key, and the final keys pass it.
//
// What a contributor trusts is its own machine and this code while it
// contributes: its shares live in the process only, drawn from
// crypto/rand, and are zeroed once the new state is computed (see
// update.go for the copies Go cannot reach). What everyone else checks is
// the transcript: 'sable ceremony verify' replays every proof and prints
// the chain of hashes, in which each contributor finds the hash
// 'contribute' printed for it.
//
// A contributor's name is only a claim: anyone can contribute as
// "bank-sg". What lets a verifier rely on a given bank having taken part
// is its signature: a contribution may be signed with the contributor's
// Ed25519 identity key (a party's signing key, whose public half the
// genesis lists), over the entry's hash under the label SignatureLabel.
// The hash covers the public key and, through the chain, every entry
// before, so a signature cannot be moved to another entry, and a key
// cannot be swapped or stripped without breaking the chain (or, if the
// chain is rewritten, every later signature). 'sable ceremony verify
// --contributors' requires each listed party to have signed, under its
// name and key, a contribution in each phase the transcript has reached:
// a bank that trusts only itself needs its own signature in both. An
// unsigned contribution is still a valid contribution (it adds
// randomness; transcripts from before signatures have only those), and
// verify prints it as "unsigned". What a signature does not show is that
// the bank destroyed its randomness: that remains its word. The last
// signed entry of a transcript can still be re-attributed by whoever
// rewrites the chain after it (strip its signature and sign with another
// key); the bank then no longer appears as having signed, which
// --contributors refuses, and the hash it published is gone from the
// chain.
//
// # Phases and commands
//
//	sable ceremony init --out T0                               phase 1 starts
//	sable ceremony contribute --in T0 --out T1 --home SG       τ, α, β (phase 1), signed
//	…                                                          one per contributor
//	sable ceremony seal-phase1 --in T3 --out T4 --beacon HEX   phase 2 starts
//	sable ceremony contribute --in T4 --out T5 --home SG       δ for every circuit
//	…
//	sable ceremony finalize --in T7 --beacon HEX --out KEYS    keys and record
//	sable ceremony verify T7 --keys KEYS --contributors FILE   anyone, any time
//
// --home SG signs with the party's identity key from its home, named by
// its id; --key FILE with an Ed25519 seed file; --name NAME alone makes an
// unsigned contribution.
//
// contribute does phase 1 while the transcript is in phase 1 and phase 2
// once it is sealed; in phase 2 one contribution covers every circuit.
// Phase 1 is sized for the largest circuit's FFT domain (batch's, 2^14);
// a smaller circuit's phase 2 takes the first powers of τ of its own
// domain. Every step writes a new directory and never changes its input,
// so a bad contribution is dropped by going back one directory.
//
// # Transcript
//
// A transcript directory holds transcript.json (the manifest: Version,
// the phase, the circuits with their constraint counts, domains and a hash
// of their R1CS, and the entries) and each entry's state files
// (phase1/NNN.bin, phase2/<circuit>/NNN.bin, in gnark's encoding). An
// entry's hash commits to the previous entry's hash, its kind, index,
// contributor, beacon and files' hashes, and for a signed contribution
// to the contributor's public key (after the rest, so that an unsigned
// entry hashes as before signatures existed and older transcripts still
// verify); the first entry's to the circuits. A signed contribution also
// holds its key (hex, "key") and an Ed25519 signature (hex, "sig") of
// "sable/ceremony contribution signature v1\x00" ‖ the entry's 32-byte
// hash. Open refuses a signature that does not verify under the entry's
// key, a key without a signature, and a signed start or seal, naming the
// entry; so do contribute, verify and finalize, which open the transcript
// first. Verify refuses a tampered byte (file hash, then update
// proofs), a reordered or skipped contribution (indices and links, then
// the proofs, each bound to the previous state's hash), a transcript for
// another circuit (R1CS hashes), a phase 2 start other than the one phase
// 1 and its beacon derive, and state files whose declared sizes do not fit
// the circuit (checked before gnark's decoder, which allocates from them).
// contribute checks the chain, every file and the current phase's
// proofs; verify and finalize also replay phase 1 and derive phase 2's
// starts again.
//
// # Cost
//
// Measured with the CLI on the shared two-core machine for the four
// circuits: batch at 16,267 constraints (domain 16,384), fx at 2,031 and
// transfer at 1,916 (2,048), mint at 956 (1,024). CPU is user + system time
// over both cores; wall time is given at the load average of the run
// (5 to 14, others' tests sharing the cores), so an idle machine does
// better:
//
//	step                    bytes written                 CPU          wall (load 5–14)
//	init                    5.1 kB (manifest)             0.4 s        0.7 s
//	phase 1 contribution    3,150,528                     10.4–16.9 s  19–43 s
//	seal phase 1            1,386,053 (every circuit)     93.7 s       368 s
//	phase 2 contribution    1,365,655                     4.4–7.1 s    4.5–5.7 s
//	finalize                keys 5.7 MB, tables 33.6 MB   99.3 s       119 s
//	verify (3 + 3) + keys   –                             100.7 s      148 s
//
// A contribution's own work is the first figure (10.4 s in phase 1: 2n G1
// and n G2 scalar multiplications for n = 16,384 powers; 4.4 s in phase 2:
// K and Z of every circuit divided by δ); the range is the check of the
// contributions before it, about 3.3 s each in phase 1 and 1.3 s in phase
// 2. A transcript grows by the bytes above per step: 14.9 MB after three
// contributors in each phase. Most of seal, finalize and verify is gnark's
// Phase2.Initialize (Lagrange FFTs of the powers of τ in G1 and G2), which
// contribute skips in phase 2 and a process that sealed or verified the
// same transcript takes from its cache. The batch circuit's 2^14 domain
// is most of every figure: with transfer, mint and fx alone (2^11) the
// steps cost about an eighth (phase 1 contribution 1.1 s, seal 11 s,
// finalize 14 s, verify 13 s of CPU, a 2.0 MB transcript), and the same
// in-process ceremony as 'sable demo' runs (3 + 3 contributors) went from
// 33 s to 195 s of wall time at load 5–6.
package ceremony
