// Package party is a participant's side of Sable: a bank, an issuer or the
// regulator acting as a sender.
//
//	identity.go  the party's home: config, signing and memo keys (mode 0600), HE keys for the regulator
//	wallet.go    its own Pebble database of openings; a cache that sync rebuilds from the ledger
//	send.go      builds, proves, signs and submits transactions; pipelines against in-flight ones
//	sync.go      settles in-flight transactions and opens incoming memos, checking each against its commitment
//
// # Wallet key schema (wallet/ in the party's home)
//
//	o/<CUR>            opening of the account's committed available balance
//	f/<nonce>          an own transaction in flight and its effect on available
//	p/<CUR>/<txid>     a received payment whose memo opened and checked out
//	s/<txid>           an incoming payment already scanned
//	m/scan             the height the next scan starts at
//
// A party reaches the ledger only through ledger/client; it must never
// import ledger/state. It never logs an amount, a blinding or a key.
package party
