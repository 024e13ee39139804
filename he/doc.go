// Package he is Sable's homomorphic encryption: the regulator's key pair,
// flow ciphertexts, blind aggregation and decryption, on exact BGV from
// Lattigo v5 (he/heint). Lattigo's types stay behind this package, and he
// knows nothing of the ledger or of commitments.
//
// A bank encrypts each payment's flow (amount, blinding of the amount's
// commitment) to the regulator's public key. Validators add flow
// ciphertexts into aggregates with Evaluator.Add: deterministic, keyless,
// in place. The regulator decrypts aggregates only, gets exact integer sums
// of amounts and of blindings, and checks them against the sum of the
// public commitments (outside this package).
//
// # Flows and slots
//
// A ciphertext has N = 4096 slots, integers mod t. A flow takes one slot
// group of 19 slots: the amount as 8 limbs of 8 bits, then the blinding
// (0 ≤ r < 2^252, BlindingBits: any scalar below the commitments' curve
// order ℓ ≈ 2^250.6) as 11 limbs of 23 bits, least significant limb
// first; a flow's top blinding limb holds bits 230 to 251, below 2^22. A
// ciphertext carries G = 215 groups (the last 11 slots are unused and must
// decrypt to zero). Adding ciphertexts adds like-indexed groups, so the
// caller's group index separates whatever it wants kept apart; a bank that
// sends many payments in a block puts each in its own group of one
// ciphertext (Encrypt takes a map from group to flow).
//
// A batch of payments in one ciphertext need not give each payment its
// own group: EncryptBatch encrypts per-group sums (a group holding the sum
// of several payments' flows, amounts and blindings as integers) at a load
// equal to the number of payments, which is what a sum of that many fresh
// flows would carry, so the capacity accounting of Add stays sound (it
// refuses a sum that weighs more than the claimed load).
//
// Decryption recombines limbs exactly: Σ limb_i·2^(8i) for the amount,
// Σ limb_i·2^(23i) for the blinding, as big.Int. The caller reduces the
// blinding sum modulo the curve order.
//
// The limb width w of the blinding trades the capacity (a limb holds L
// flows while L·(2^w − 1) < t: MaxLoad = ⌊(t−1)/(2^w−1)⌋) against the
// groups per ciphertext, ⌊4096/(8 + ⌈252/w⌉)⌋:
//
//	w = 21   12 limbs   204 groups   268,435,583 flows (2^28)
//	w = 23   11 limbs   215 groups    67,108,871 flows (2^26)   chosen
//	w = 26   10 limbs   227 groups     8,388,608 flows (2^23)
//	w = 28    9 limbs   240 groups     2,097,152 flows (2^21)
//	w = 32    8 limbs   256 groups       131,071 flows (2^17)
//
// 23 bits is the narrowest limb that fits 252 bits in 11 (11·23 = 253), so
// no layout with 19-slot groups holds more flows. Fewer limbs buy few
// groups at a steep price: 10 limbs give 12 more groups (5%) for an eighth
// of the capacity, below the 2^25 flows of the former 128-bit layout
// (6 limbs of 24 bits, 292 groups). Groups are what a ledger's layout
// spends: the ledger gives each of a currency's aggregates (accounts,
// corridors, totals) a group of one ciphertext, its book, so more groups
// serve more banks and countries per currency; bytes per payment do not
// depend on them (a batch's flow is one ciphertext for up to 256
// payments, 372 bytes each). Narrower limbs
// (w ≤ 22) need a twelfth limb and lose 11 groups for capacity the ledger
// does not need between epoch closes. The amount keeps 8 limbs of 8 bits:
// the FX budget below rests on them (a limb of 255·L times a rate).
//
// # Parameters and security
//
// ParamsN12QP109 (the default): N = 2^12; Q = q0·q1·q2 with
// q0 = 2^51 − 2^17 + 1, q1 = 0x3ffffffa001 (42 bits), q2 = 40961, every
// prime ≡ 1 mod 2N; log2 Q = 108.32; no special modulus P; plaintext
// modulus t = 0x1fffffffce001, the largest prime below 2^49 with
// t ≡ 1 mod 2N (so all N slots exist); uniform ternary secret; Gaussian
// error σ = 3.2. The HomomorphicEncryption.org standard allows
// log2 QP ≤ 109 at N = 2^12 for 128-bit classical security with a ternary
// secret (≤ 54, 218, 438 at 2^11, 2^13, 2^14). A test pins every number and
// checks the bound.
//
// Only additions and multiplications by small integers are needed: no
// relinearisation, no rotations, hence no evaluation keys and no P, and
// the whole budget goes to Q. N = 2^11 allows 54 bits, too few for the FX
// budget below; N = 2^13 would double every ciphertext for no gain.
//
// A flow is encrypted at the top level (q0·q1·q2) and switched down to the
// aggregate level (q0·q1, 93 bits), where it travels and is summed. The
// switch divides the fresh noise by q2 and leaves only the rounding noise.
// Level 0 (q0 alone) is never used: it cannot hold the FX budget.
//
// # Noise budget
//
// Decryption computes m + t·e mod q0·q1 and is exact while
// |e| < q0·q1/(2t) − 1, about 2^43.0 per coefficient. In log2 units of |e|:
//
//	fresh public-key encryption, top level  std 7.9   (σ·√(1+4N/3))
//	after the switch to q0·q1               std 3.9   (√((1+2N/3)/12)); at most 11.0 in the worst case
//	aggregate of load L                     std 3.9 + ½·log2 L; at most 11.0 + log2 L
//	FX total, Σ rate·load = W, rates ≤ R    std ≤ 3.9 + ½·log2(R·W)
//
// Noise is measurable by the key holder: Decryptor.Noise returns the
// largest |e| of a ciphertext exactly (noise.go defines it). An honest
// fresh flow never has noise above Params.NoiseBound = 2052 (≈ 2^11.0,
// the worst case above, derived from N, q2, the Gaussian's truncation at
// 6σ and the ternary secret, with no probability in it); a sum of load L
// never above SumNoiseBound(L) = L·2053 − 1; decryption is exact up to
// Params.MaxNoise = ⌊(q0·q1 − t)/(2t)⌋ = 8,796,092,975,745 (≈ 2^43.0).
//
// Measured (TestCapacity, Lattigo's noise estimator): a fresh flow has
// std 2^3.92, max 2^5.8; 100,000 additions cycling through 1,024 distinct
// ciphertexts std 2^15.5 (K/√M·σ, worse than the √K·σ = 2^12.2 of
// distinct flows); the FX total of seven such aggregates at rate 2^21−1
// has max 2^41.2, under 2^43.0 even though the test makes its noises add
// linearly.
//
// # Capacity
//
// Every ciphertext carries a load, in the encoding: a fresh encryption is
// 1 (however many groups it fills), Add adds loads. A group of load L has
// amount limbs ≤ 255·L and blinding limbs ≤ (2^23−1)·L. Decryption is
// exact while every limb stays below t and the noise within budget:
//
//   - Plain aggregates: L ≤ MaxLoad = ⌊(t−1)/(2^23−1)⌋ = 67,108,871 flows,
//     whatever their blindings below 2^252 (every limb of 2^252 − 1 but the
//     top one is at its bound 2^23 − 1, and L·(2^23 − 1) ≤ t − 1). The
//     noise then is at most MaxLoad·(NoiseBound + 1) ≈ 1.38·10^11 ≈ 2^37.0,
//     6 bits under MaxNoise ≈ 2^43.0 in the worst case, without any
//     probabilistic argument: any sum of honest flows up to the capacity
//     decrypts exactly, and so does any sum of flows whose measured noise
//     is at most NoiseBound, honest or not. Add refuses to go further
//     (ErrCapacity).
//   - FX totals (below): Σ rate·L ≤ RateBudget = ⌊(t−1)/255⌋ ≈ 2.2·10^12
//     and every rate ≤ MaxRate = 2^24−1. Then 12σ of the noise is 2^40.0, 3
//     bits under the budget; honest flows carry independent noise, so the
//     central limit bound applies (a wrong decryption would need a 95σ
//     deviation). Seven currencies × 100,000 flows at rates up to 2^21−1
//     (2.097 at a 10^6 scale) use 67% of the budget; at today's seven rates
//     to USD (sum ≈ 3.8·10^6) each currency aggregate may hold ~580,000
//     flows; a ledger that keeps a currency's aggregates as the groups of
//     one book multiplies the whole book, so every payment of the
//     currency counts, and closes its epoch sooner. This argument does not hold against a sender who floods its
//     flow with noise (2^25 times a rate of 10^6 is past MaxNoise while
//     every plain aggregate still decrypts), so the audit checks an FX
//     total against the same weighted sum of the plain aggregates and
//     names the flows above NoiseBound that broke it. The budget is the
//     amount limbs' alone, so the blinding layout leaves it unchanged:
//     blinding limbs, multiplied too, may wrap mod t, mean nothing and are
//     not read.
//
// TestCapacity adds 100,000 ciphertexts and decrypts exactly, then forms
// and decrypts that FX total, in a few seconds; BenchmarkCapacityDistinct
// does the same with 100,000 distinct encryptions. TestFullCapacity builds
// an aggregate of exactly MaxLoad maximal flows in all 215 groups (amounts
// 2^64 − 1; blindings 0, 2^128, ℓ − 1 and 2^252 − 1) by doubling one fresh
// batch, so every copy's noise adds linearly: it decrypts exactly with
// noise ≈ 3.7·10^9 ≈ 2^31.8 (MaxLoad times a fresh 2^5.8), and Add refuses
// one more flow.
//
// # Epoch close
//
// Before an aggregate reaches its load limit, the regulator decrypts it,
// checks it against the commitments, and re-encrypts the normalised sums
// with Encryptor.EncryptSums; the ledger replaces the aggregate by that
// ciphertext. Limbs carry, so every limb is back under one unit and the
// load is 1, except that the top limb of each part takes all bits above
// it: amounts ≥ 2^64 or blindings ≥ 2^253 make the load the number of
// units that top limb counts for. Blinding sums grow with every flow (by
// ℓ/2 ≈ 2^249.6 on average), so the caller reduces a blinding sum modulo
// ℓ before EncryptSums (ledger/audit does): the commitment sum is the same
// point, and a blinding below ℓ < 2^252 re-encrypts at load 1. Unreduced,
// a re-encrypted aggregate would weigh about one load per 10 flows it
// holds, and a close would barely help. Amounts weigh one load per 2^64
// minor units of total, so an aggregate is full for good only once its
// amounts reach MaxLoad·2^64 ≈ 2^90 minor units. A ledger that prefers can
// instead restart the aggregate at Zero together with its commitment sum.
//
// # FX totals
//
// Evaluator.MulRateThenAdd(acc, agg, rate) adds rate·agg into acc: amounts
// become rate·amounts in every group (rates are integers, e.g. scaled by
// 10^6). Summing one aggregate per currency gives the total in the target
// currency, decrypted once. The result is FX-scaled: Decrypt returns no
// blinding for it and it has no encoding.
//
// The rate multiplies a whole ciphertext. Different rates for different
// groups of one ciphertext would need a plaintext vector whose polynomial
// has coefficients of size t, multiplying the noise by about t·√N ≈ 2^55,
// which no 128-bit-secure modulus at N = 2^12 can absorb; so keep each
// currency's aggregate in its own ciphertext.
//
// # Encoding
//
// A ciphertext encodes as a 9-byte header (format version, kind, parameter
// set, log2 N, level, 4-byte parameter fingerprint), its load (8 bytes),
// then both polynomials' residues packed to their primes' widths (51 and 42
// bits) instead of Lattigo's 64: 95,249 bytes instead of 131,387,
// whatever the slot layout. A full batch of 215 flows costs 443 bytes per
// flow (326 at the former 292 groups); a bulk transfer of 64 payments
// 1,488. The fingerprint covers the layout, so ciphertexts and keys made
// under the former 128-bit layout are refused with ErrParams rather than
// misread. The encoding is canonical: residues must be below their primes
// and padding bits zero, so equal ciphertexts are equal bytes and the
// ledger can hash them. The decoder
// rejects oversize input (ErrOversize) before parsing, then malformed bytes
// (ErrMalformed), then encodings for other parameters (ErrParams: set,
// ring degree, level, fingerprint of the moduli). Keys use the same header;
// the secret key stores its ternary coefficients in two bits each (1 KiB).
//
// A transaction's ciphertext should have load 1; the ledger checks
// Ciphertext.Load, since the load is the sender's claim.
//
// # Dishonest senders
//
// Without the key nothing tells an honest flow ciphertext from any other
// string of residues, with one exception: Ciphertext.CheckNondegenerate
// refuses (ErrDegenerate) a ciphertext whose polynomials are visibly not
// uniform, such as the noiseless c1 = 0 that anyone can read. A sender may
// encrypt a wrong flow, limbs out of range, values outside every group,
// pure noise, or a right flow flooded with noise that decrypts alone but
// wraps every aggregate it enters. The key holder tells them apart: a
// flow is honest-looking when it decrypts within its limbs' bounds, matches
// its commitment and has noise at most NoiseBound; a sum of honest-looking
// flows up to the capacity always decrypts exactly (Capacity), so an
// aggregate that does not may always be bisected down to a flow that is
// not. Forger makes each of these attacks, for tests.
//
// # Threshold regulators
//
// Intent: no one holds the regulator's key. The secret s is shared t-of-n
// among regulator parties (default one per jurisdiction, 3-of-4); t of
// them decrypt an aggregate together, fewer learn nothing of s and cannot
// decrypt. Trust claim: as long as fewer than t parties collude, s stays
// unknown (their t − 1 Shamir shares of s are uniform and independent of
// it) and every plaintext they see is one that t parties agreed to open
// (ledger/audit applies that policy).
//
// Key generation (ThresholdKeys; Lattigo's mhe): each party samples its own
// ternary s_i; the collective public key comes from the public-key
// generation protocol over a common random polynomial (pk = (−a·s + Σ e_i,
// a), s = Σ s_i); each party deals Shamir shares of s_i of degree t − 1 to
// every party (Thresholdizer), and each sums what it receives. s is never
// formed. ThresholdKeys runs every party's step in one process, as a
// testnet writer does; a deployment runs each on its own machine and sends
// the j-th share to party j alone. A key share encodes to 55,820 bytes.
//
// Noise: s has coefficients up to n and the key's error up to n·E, so an
// honest fresh flow's noise bound grows n-fold in its rounding and fresh
// terms: ThresholdNoiseBound(4) = 8208 (≈ 2^13.0, 2052 for one key), and
// at the capacity MaxLoad·8209 ≈ 2^39.0, still 4 bits under MaxNoise ≈
// 2^43.0. Ciphertexts, the capacity and every byte count are unchanged.
//
// Decryption (ShareDecrypt, Combine): the t parties of an active set turn
// their Shamir shares into additive ones (Lagrange, mhe's Combiner), and
// each sends h_i = λ_i·s_i·c1 + e_i, a key switch to the zero key (mhe's
// KeySwitchProtocol) with Gaussian flooding e_i; c0 + Σ h_i decodes as
// Decrypt does. A decryption share names its active set and a digest of
// the ciphertext, and encodes to 47,663 bytes (t = 3): about 143 KB for
// one decryption. Combine refuses shares that do not cover their set or
// are for another ciphertext (ErrThreshold).
//
// Flooding. Each party's flooding is truncated at B = min((MaxNoise −
// MaxLoad·(ThresholdNoiseBound(n) + 1))/t, q1/2) − 1 (the q1/2 cap keeps it
// below the smallest prime Lattigo's sampler reduces by), σ = B/6 each. For
// 3-of-4: B ≈ 2^41.0, total σ = 2^39.2 (FloodSigma), total bound
// FloodBound ≈ 2^42.6; with the worst noise of honest flows at capacity
// (2^39.0) the sum stays under MaxNoise, so decryption is exact in the
// worst case, with no probability in it. TestThresholdFullCapacity
// decrypts exactly an aggregate of MaxLoad maximal flows whose noise is
// raised to that worst case, through two different active sets (measured
// noise after flooding 2^41.3 to 2^41.6).
//
// Security in bits. The flooding must hide the aggregate's own noise e,
// which depends on s and on the senders' randomness (a sender colluding
// with whoever combines would otherwise learn linear relations in s). The
// distance between the decrypted noise e + Σ e_i and the flooding alone is
// at most √N·|e|/(2σ) (Pinsker on the Gaussians' divergence N·e²/(2σ²)),
// i.e. λ = log2(2σ) − 6 − log2|e| = 34.2 − log2|e| bits (FloodSecurity):
// 21.2 bits for one honest flow in the worst case (2^13.0), 20.2 for the
// k = 2 flows of the smallest aggregate a party opens, about 27 bits for an
// honest flow's typical noise (2^7) and half a bit less per doubling of an
// honest aggregate's load (about 17 bits at 10^6 flows). Per decryption;
// q decryptions add up to q·2^−λ. This is below the 40 bits of common
// practice, and it is what fits: 40 bits against the worst case at the
// capacity needs flooding of 2^84 and an aggregate modulus of at least
// 2^86·t, past the 109 bits N = 2^12 allows at 128-bit security. N = 2^13
// (218 bits) would fit it at about three times the bytes per flow; it is
// not done. The computational claim does not rest on the flooding: a
// share alone is an RLWE sample of λ_i·s_i, and t − 1 Shamir shares are
// uniform.
//
// Masked decryption (mask.go): to decrypt a book without revealing its
// sparse groups, each of the t parties encrypts under the collective key a
// mask uniform modulo t in every slot of those groups (EncryptMask), and
// the parties decrypt book + Σ masks (AddMasks, at the ring level: a
// mask's slots wrap, so it has no load); CombineMasked decodes the other
// groups. The sum hides the sparse groups only if one mask is honest and
// chosen independently of the others: a party that saw the other masks
// first could submit −Σ of them plus an encryption of zero (NegatedMask,
// TestMaskCancellation) and cancel them. So masks are committed to before
// any is revealed (ledger/audit: SHA-256 commitments, signed, a mask
// revealed only once every party's commitment is in, and checked against
// its commitment before decrypting). The masks add t fresh noises, so each party's flooding is sized
// for (MaxLoad + t)·(ThresholdNoiseBound(n) + 1) + FloodBound ≤ MaxNoise
// (for 3-of-4 the q1/2 cap binds, so FloodBound is unchanged).
// TestMaskedFullCapacity decrypts the worst-case aggregate at capacity
// plus three masks exactly outside the masked groups (noise 2^41.4).
//
// The audit's noise rule weakens under threshold decryption: the noise it
// measures includes the flooding, so it can only name noise above what
// flooding explains (FloodBound). ledger/audit documents the consequence.
//
// # Key epochs
//
// Intent: the regulator parties move to a new collective key (new shares;
// t and n may change) without decrypting anything. The new key is made
// as ThresholdKeys makes any; Target names it with its n'. Each of t
// parties of the old key sends, per ciphertext, a public-key switch share
// (KeyShare.ShareSwitch; Lattigo's mhe.PublicKeySwitchProtocol):
// λ_i·s_i·c1 + u_i·pk0' + e0_i + f_i and u_i·pk1' + e1_i, an encryption of
// zero under the new key plus its Lagrange-weighted share times c1 and a
// flooding f_i. Switch adds t shares to (c0, 0); the result decrypts under
// the new secret to the same plaintext. A share names its active set, the
// ciphertext's digest and the target's (the key and n'), and Switch
// refuses shares of another ciphertext, target, set or size; fewer than t
// old parties make no ciphertext the new key opens, and the old key does
// not open the result. A switch share encodes to 95,311 bytes (t = 3).
//
// Noise budget. The switch adds, per party, the flooding (bound F) and
// the encryption of zero at the aggregate level, at most E·(2n'N + 1)
// (2^19.2 for n' = 4): SwitchNoiseBound = t·(F + E·(2n'N + 1)). F is sized
// so that this is half the capacity in the new key's unit,
// (MaxLoad/2)·(ThresholdNoiseBound(n') + 1), and the switch counts as that
// many flows: SwitchLoad (33,554,435 for 3 shares to a 3-of-4 key). The
// switched ciphertext's load is its own, converted to the new unit
// (⌈L·(ThresholdNoiseBound(n) + 1)/(ThresholdNoiseBound(n') + 1)⌉, never
// below L, which bounds the limbs), plus SwitchLoad; so MaxLoad still
// bounds both limbs and noise, the threshold decryption's flooding fits on
// top, and decryption under the new key stays exact at full capacity in
// the worst case. TestSwitchFullCapacity switches an aggregate of
// MaxLoad − SwitchLoad maximal flows with the worst honest noise
// (2^38.0) to load MaxLoad: noise 2^38.4 after the switch (bound 2^39.0),
// 2^41.4 after the flooded decryption (MaxNoise 2^43.0), exact. A second
// switch would pass MaxLoad: a ciphertext is switched once between epoch
// closes, and Switch refuses the second with ErrCapacity. An FX total
// multiplies the switch's noise by its rate, far past MaxNoise: a switched
// ciphertext's load (half the capacity) is past RateBudget at any rate
// above 2^16, so the audit reports no FX total on it until an epoch close
// re-encrypts it under the new key ('sable regulator rotate' closes the
// switched books at once).
//
// Security in bits. The flooding hides the old ciphertext's noise (which
// depends on the old secret) from whoever holds the new key, even t'
// new parties decrypting without flooding: 3 shares flood with σ = 2^34.6
// in total, so by the argument of FloodSecurity SwitchSecurity is
// 29.6 − log2|e| bits: 16.6 for one honest flow in the worst case (2^13),
// about 20 for a testnet aggregate's typical noise (2^8 to 2^10). A
// decryption under the new key floods again (σ 2^39.2) and hides the
// old noise plus the switch's key-dependent terms (at most 3·2^19.2) as
// FloodSecurity says for that sum. Sizing F against the whole capacity
// instead would leave no room for a flow after a switch; a larger ring
// would, as for the decryption flooding.
//
// # Concurrency
//
// Params, PublicKey and SecretKey are immutable and safe for concurrent use.
// Encryptor and Decryptor are safe for concurrent use: each call borrows
// its own Lattigo objects (ShallowCopy-style: own PRNG, encoder and
// buffers) from a pool. Evaluator holds no state and is safe for
// concurrent use; a Ciphertext must not be modified by two goroutines at
// once, and may be read concurrently.
//
// # Errors
//
// Errors start with "he: " and wrap ErrMalformed, ErrParams, ErrOversize,
// ErrRange, ErrCapacity, ErrInconsistent, ErrScaled, ErrDegenerate or
// ErrThreshold (decryption and switch shares alike) where one applies.
// No error or log message contains an amount, a blinding or key material.
package he
