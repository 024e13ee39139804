// Package party is a participant's side of Sable: a bank, an issuer or the
// regulator acting as a sender.
//
//	session.go   Open: a party's home opened to act (identity, wallet, client, Sender), the one place a Sender is built
//	identity.go  the party's home: config, signing and memo keys (mode 0600), HE keys for the regulator
//	wallet.go    its own Pebble database of openings (back it up; the ledger holds them sealed to the party too)
//	send.go      builds, proves (zkp.Prover), signs and submits transactions; pipelines against in-flight ones
//	sync.go      reconciles in-flight transactions with the node before every command (fold the committed,
//	             drop the provably dead, re-send the same signed bytes of the rest) and opens incoming memos,
//	             checking each against its commitment
//	recover.go   rebuilds a lost wallet from the ledger and the party's keys alone (genesis, incoming and
//	             self-memos), checked against the ledger's commitments, written whole or not at all
//
// The wallet's key schema is on [Wallet].
//
// A party reaches the ledger only through ledger/client; it must never
// import ledger/state. It never logs an amount, a blinding or a key.
package party
