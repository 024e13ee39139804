// Package localnet runs Sable networks on loopback for the demo, the
// benchmarks and the tests: it picks free ports, writes a testnet, starts
// and stops 'sable node' processes, waits for heights and opens parties'
// sessions. It is the one copy of that procedure in the project.
package localnet
