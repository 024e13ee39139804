// Package parallel splits a loop over [0, n) into contiguous ranges run
// concurrently: the one helper behind zkp's batch verification and the
// table engine's MSMs.
package parallel

import "sync"

// Ranges runs f(i, lo, hi) over [0, n) split into k contiguous ranges,
// 1 ≤ k ≤ n, concurrently; with k ≤ 1 it runs f(0, 0, n) in the caller.
func Ranges(n, k int, f func(i, lo, hi int)) {
	if k <= 1 {
		f(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for i := 0; i < k; i++ {
		lo, hi := i*n/k, (i+1)*n/k
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(i, lo, hi)
		}()
	}
	wg.Wait()
}
