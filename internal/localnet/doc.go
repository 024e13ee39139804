// Package localnet runs Sable networks on loopback for the demo, the
// benchmarks and the tests: it picks free ports, writes a testnet, starts
// and stops 'sable node' processes (or validators in this process), waits
// for heights, catch-up and one app hash, follows blocks, and scans the
// validators' disks for amounts in the clear. It is the one copy of that
// procedure in the project; parties are opened with party.Open.
//
// Nothing here imports testing: every call returns an error, and tests
// wrap it.
package localnet
