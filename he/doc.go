// Package he will hold Sable's homomorphic encryption on Lattigo v5 (exact
// BGV, he/heint): parameters pinned at 128-bit security, the regulator's keys,
// flow ciphertexts, blind aggregation and decryption. Lattigo stays behind
// this package, and he knows nothing of zkp or ledger.
package he
