// Package audit is the regulator's audit. It reads the encrypted aggregates
// through a [Source] (a ledger/client.Client is one), decrypts them with the
// regulator's HE secret key (or t regulator parties' shares of it, below), and checks each against the sum of its public
// amount commitments: Com(Σ amount, Σ blinding) == Σ C_amt. It also
// measures each aggregate's noise: an aggregate of load L made of honest
// flows never has more than he's SumNoiseBound(L).
//
// When an aggregate does not check, or is noisier than honest flows can
// make it, the audit bisects over the aggregate's flows and names every
// flow that is not honest-looking (bisect.go): a wrong value, limbs out of
// bounds, values outside its slot groups, or noise above he's NoiseBound,
// even when its value is right. Honest-looking flows always sum to a clean
// aggregate up to the capacity, so an aggregate that does not check always
// ends with a name (the ledger's own, when every flow checks and the
// aggregate it holds is not their sum).
//
// The [Report] gives positions per account, corridors, totals per currency
// and a USD total computed on ciphertexts (plaintext multiplication by FX
// rates), decrypted once and checked against the same sum of the decrypted
// aggregates. A figure that cannot be computed (it rests on an aggregate
// that does not check, or noise multiplied by a rate broke the USD total)
// is a [Failure] naming the flows that broke it; the rest of the report
// stands. [Auditor.Run] returns a report whatever the flows do; it fails
// only when the ledger cannot be read. A figure resting on a single flow
// is withheld. That alone does not stop differences between figures from
// isolating one payment (the monitor's disclosure rule does, see
// monitor/disclose.go); the report is for the regulator, who holds the key
// anyway, and should not be published as it is.
//
// An epoch close ([Auditor.Close]) re-encrypts checked sums so that limbs
// and noise start afresh. An aggregate whose culprits only flooded noise
// (their flows decrypt to their commitments) is closed on the sum its
// flows recover; one in which a flow encrypts another value is refused,
// because its sum is unknown and closing it would erase the trail that
// names its culprit.
//
// # Decryption: one key or t regulator parties
//
// The Auditor decrypts through an [Opener]: [KeyOpener] with the
// regulator's secret key, or [ThresholdOpener] over t [Holder]s, each a
// regulator party ([Regulator], or its endpoint) holding a share of a
// t-of-n key (he's Threshold regulators). Every decryption names its
// [Target] in ledger terms (whole aggregates, flows, genesis fundings,
// epoch bases, FX rates) and an audit run id. A party rebuilds the
// ciphertext from the ledger and counts its flows there, never trusting
// the requester, and shares a decryption only of whole books (a book's
// groups of fewer than k payments, DefaultMinFlows = 2, masked by every
// active party, committed to before any is revealed: [Regulator.Commit],
// [Regulator.Reveal], he's masked decryption), or of flows of one
// aggregate listed in an [Approval]: a versioned statement (the chain, by
// the digest of its genesis; the run; the aggregate; the aggregate's exact
// flows) signed with Ed25519 under a domain label by t parties of its
// roster, so that an approval won on one chain opens nothing of another
// chain the same parties serve. A party signs only after combining the
// aggregate's t shares of this run itself and seeing that it does not
// check. An aggregate whose group in its book holds fewer than k
// payments is masked and reported Sealed: not checked, and the figures
// resting on it are left out without a failure; the book's other
// aggregates are checked as usual.
//
// The trust claim then is that no coalition of fewer than t parties
// decrypts anything, and t parties open single flows only of an aggregate
// that does not check, with a signed trail. Limits: the noise an opening
// measures includes the flooding (up to he's FloodBound ≈ 2^42.6 for
// 3-of-4), so the noise rule only names noise no flooding explains: a flow
// flooded with less noise is not named for its noise, and when it wraps an
// aggregate while decrypting alone, bisection names the ledger instead
// of its sender (the single-key audit names it); the FX noise search is
// coarser likewise. The k rule counts the flows of one decryption: two
// aggregates read a block apart can still differ by one flow (the
// monitor's disclosure rule governs what is published).
//
// # Key epochs
//
// [Rotate] moves the parties to a new collective key: an audit under the
// key in force (everything must check, since the rotation ends the books'
// bisection trail), the next epoch's shares written next to the old ones
// in every home ([LoadRegulatorHomeAt] reads an epoch's), every book that
// holds a flow key-switched by t old parties (he.Switch, nothing
// decrypted), and one rotation transaction. Afterwards the parties
// decrypt with the new epoch's shares, and epoch closes re-encrypt to the
// key in force.
//
// This package must never import ledger/state, and never reports an
// aggregate's figure that rests on one flow; a culprit's reason never
// names an amount.
package audit
