// Package testnet writes a local Sable network into a directory: validator
// homes with their CometBFT keys and configs, one genesis, the circuits'
// keys (fresh development keys or copied from a setup), and the home of
// every party — four banks, one issuer per currency and the regulator —
// with its keys and a wallet holding its genesis openings ([Write]). Its
// testnet.json ([Layout]) tells the demo, the benchmarks and the tests
// where everything is ([Read]).
//
// The keys it makes are for development: whoever ran it can forge proofs.
package testnet
