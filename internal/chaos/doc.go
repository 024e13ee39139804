// Package chaos is Sable's chaos run (`sable bench chaos`, `make chaos`, and
// a short run in `make test`): a 4-validator loopback network of real
// `sable node` processes and every testnet bank paying continuously through
// real `sable transfer --wait` CLI processes, while a seeded schedule
// SIGKILLs a random validator (and restarts it), two at once so that the
// network halts, a validator between FinalizeBlock and Commit (the node's
// test hook, localnet.CrashBeforeCommit), and bank CLIs at random moments
// while they prove, broadcast or wait.
//
// Afterwards it proves the run left the ledger sound, from the chain and
// the wallets, not from what the CLIs claimed:
//
//   - every payment a CLI acknowledged as committed (exit 0, "committed at
//     height") is on the ledger exactly once, under the id it printed;
//   - no payment is on the ledger twice, and nothing is there that no CLI
//     sent (every payment's amount is unique in the run, so the receivers'
//     incoming entries, opened with their memo keys, name it);
//   - each currency's supply is what genesis funded, its turnstile holds on
//     every validator, and the banks' wallets sum to the funding;
//   - every bank's wallet, once synced, agrees with the ledger (available
//     and pending);
//   - all validators reach one app hash at one height;
//   - the regulator's audit of every HE aggregate is consistent and totals
//     the funding;
//   - every self-kill in Commit replayed its block on restart.
//
// The seed fixes the schedule of choices (which fault, which validator,
// which CLI dies and how far into its run, which payments); the timings are
// the machine's own.
package chaos
