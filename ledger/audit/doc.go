// Package audit is the regulator's audit. It reads the encrypted aggregates
// through a [Source] (a ledger/client.Client is one), decrypts them with the
// regulator's HE secret key, and checks each against the sum of its public
// amount commitments: Com(Σ amount, Σ blinding) == Σ C_amt. When one does
// not match, it bisects over the aggregate's transactions and names the one
// whose sender encrypted a flow that is not its payment.
//
// The [Report] gives positions per account, corridors, totals per currency
// and a USD total computed on ciphertexts (plaintext multiplication by FX
// rates) and decrypted once. A figure resting on a single flow is
// withheld, so no single payment can be read off a report.
//
// An epoch close ([Auditor.Close]) re-encrypts checked sums so that limbs
// never overflow; it refuses an aggregate that does not check, because
// closing it would erase the trail that names its culprit.
//
// This package must never import ledger/state, and never reports an
// aggregate's figure that rests on one flow.
package audit
