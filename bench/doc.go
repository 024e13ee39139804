// Package bench is the harness behind `sable bench` and the Go benchmarks
// of this directory: the hot proving path measured against baselines in the
// same process.
//
// The machines Sable is measured on are shared and noisy, so every figure
// that matters is a ratio of two measurements taken in the same run,
// interleaved round by round so that both sides see the same noise: the
// transfer prover against the naive baseline circuit (bench/baseline), the
// prover against the multi-scalar multiplications it cannot avoid (the
// MSM floor), batch verification against single verifications. Absolute
// times are reported as context.
//
// [Prove] measures the proving path, [HE] the regulator's homomorphic
// aggregation; [Markdown] renders both for bench/results.md.
package bench
