package tableprover

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// taskQueue runs closures on a few goroutines; a running task may queue
// more. On a shared machine the cores are not always ours: small tasks
// taken by whichever goroutine is running keep the work moving where a
// fixed split would wait for its slowest half.
type taskQueue struct {
	mu      sync.Mutex
	cond    sync.Cond
	tasks   []func()
	running int
}

func newTaskQueue() *taskQueue {
	q := &taskQueue{}
	q.cond.L = &q.mu
	return q
}

// push queues tasks at the back.
func (q *taskQueue) push(fs ...func()) {
	q.mu.Lock()
	q.tasks = append(q.tasks, fs...)
	q.mu.Unlock()
	q.cond.Broadcast()
}

// pushFront queues tasks at the front, in order: the critical path.
func (q *taskQueue) pushFront(fs ...func()) {
	q.mu.Lock()
	q.tasks = append(append(make([]func(), 0, len(fs)+len(q.tasks)), fs...), q.tasks...)
	q.mu.Unlock()
	q.cond.Broadcast()
}

// run works through the queue on n goroutines, the caller's included, and
// returns when no task is queued or running.
func (q *taskQueue) run(n int) {
	var wg sync.WaitGroup
	for range n - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q.work()
		}()
	}
	q.work()
	wg.Wait()
}

func (q *taskQueue) work() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		if len(q.tasks) > 0 {
			f := q.tasks[0]
			q.tasks = q.tasks[1:]
			q.running++
			q.mu.Unlock()
			f()
			q.mu.Lock()
			q.running--
			q.cond.Broadcast()
			continue
		}
		if q.running == 0 {
			return
		}
		q.cond.Wait()
	}
}

// cpuTimer sums the time of a table's tasks.
type cpuTimer struct{ ns atomic.Int64 }

func (c *cpuTimer) time(f func()) func() {
	return func() {
		t := time.Now()
		f()
		c.ns.Add(int64(time.Since(t)))
	}
}

func (c *cpuTimer) get() time.Duration { return time.Duration(c.ns.Load()) }

// split returns k bucket ranges covering [0, nb).
func split(nb, k int) [][2]int {
	k = max(1, min(k, nb/32))
	out := make([][2]int, k)
	for i := range out {
		out[i] = [2]int{i * nb / k, (i + 1) * nb / k}
	}
	return out
}

// msmJob is one table's MSM as tasks: recode, then one task per bucket
// range.
type msmJob[A, J, F any, G group[A, J, F]] struct {
	t     *table[A, J, F, G]
	parts []J
	cpu   cpuTimer
}

func newMSMJob[A, J, F any, G group[A, J, F]](t *table[A, J, F, G]) *msmJob[A, J, F, G] {
	return &msmJob[A, J, F, G]{t: t}
}

// start returns the task that recodes scalars (from get, called in the
// task) and queues the bucket-range tasks at the front.
func (j *msmJob[A, J, F, G]) start(q *taskQueue, k int, get func() []fr.Element) func() {
	return j.cpu.time(func() {
		s := get()
		if len(s) != j.t.n {
			panic("zkp: msm: scalars do not match the table")
		}
		d := j.t.digits(s, 1)
		ranges := split(1<<(j.t.c-1), k)
		j.parts = make([]J, len(ranges))
		tasks := make([]func(), len(ranges))
		for i, r := range ranges {
			tasks[i] = j.cpu.time(func() { j.parts[i] = j.t.accumulate(d, r[0], r[1]) })
		}
		q.pushFront(tasks...)
	})
}

func (j *msmJob[A, J, F, G]) sum() J {
	var g G
	var s J
	for i := range j.parts {
		g.add(&s, &j.parts[i])
	}
	return s
}

// msmResults are a proof's four MSMs.
type msmResults struct {
	ar, bs1, krs bn254.G1Jac
	bs2          bn254.G2Jac
}

// runMSMs computes the four MSMs on the prover's workers. kz is called in
// a task (it may compute h) and returns the KZ table's scalars; the KZ
// tasks, on the critical path, jump the queue.
func (p *Prover) runMSMs(sa, sb []fr.Element, kz func() []fr.Element, tm *Timings) msmResults {
	q := newTaskQueue()
	a, b1, z, b2 := newMSMJob(p.a), newMSMJob(p.b1), newMSMJob(p.kz), newMSMJob(p.b2)
	// Tasks, not a split of each MSM: KZ (about half the work) in one part
	// per worker, B in G2 (a fifth) in one per two workers, A and B in G1
	// whole. Fewer buckets per part would mean smaller batches.
	w := p.workers
	q.push(
		z.start(q, w, kz),
		b2.start(q, max(1, w/2), func() []fr.Element { return sb }),
		a.start(q, max(1, w/4), func() []fr.Element { return sa }),
		b1.start(q, max(1, w/4), func() []fr.Element { return sb }),
	)
	start := time.Now()
	q.run(w)
	tm.MSM = time.Since(start)
	tm.A, tm.B1, tm.B2, tm.KZ = a.cpu.get(), b1.cpu.get(), b2.cpu.get(), z.cpu.get()
	return msmResults{ar: a.sum(), bs1: b1.sum(), bs2: b2.sum(), krs: z.sum()}
}
