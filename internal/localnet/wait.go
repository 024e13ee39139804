package localnet

import (
	"bytes"
	"context"
	"fmt"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/sable-settlement/sable/ledger/client"
)

// pollEvery is how often the waits ask again.
const pollEvery = 50 * time.Millisecond

// WaitHeight waits until the node behind c has committed height min, and
// returns its height and app hash then.
func WaitHeight(c *client.Client, min int64, timeout time.Duration) (int64, []byte, error) {
	h, hash, err := reach(c, min, time.Now().Add(timeout))
	if err != nil {
		return h, hash, fmt.Errorf("localnet: node at height %d (%w), want %d within %s", h, err, min, timeout)
	}
	return h, hash, nil
}

// reach polls c until it reports height min or the deadline passes; the
// error is the last one seen, or a timeout.
func reach(c *client.Client, min int64, deadline time.Time) (int64, []byte, error) {
	for {
		h, hash, err := height(c)
		if err == nil && h >= min {
			return h, hash, nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = context.DeadlineExceeded
			}
			return h, hash, err
		}
		time.Sleep(pollEvery)
	}
}

// height asks a node for its last committed height and app hash.
func height(c *client.Client) (int64, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return c.Height(ctx)
}

// Height is validator i's last committed height and app hash.
func (n *Net) Height(i int) (int64, []byte, error) { return height(n.Client(i)) }

// WaitHeight waits until every validator in nodes has committed height
// min, all within timeout.
func (n *Net) WaitHeight(nodes []int, min int64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for _, i := range nodes {
		if h, _, err := reach(n.Client(i), min, deadline); err != nil {
			return fmt.Errorf("localnet: validator %d at height %d (%w), want %d within %s", i, h, err, min, timeout)
		}
	}
	return nil
}

// MaxHeight is the highest height the validators in nodes have committed.
func (n *Net) MaxHeight(nodes []int) (int64, error) {
	var m int64
	for _, i := range nodes {
		h, _, err := n.Height(i)
		if err != nil {
			return 0, fmt.Errorf("localnet: validator %d: %w", i, err)
		}
		m = max(m, h)
	}
	return m, nil
}

// WaitCaughtUp waits until validator i has left block sync (its RPC
// refuses transactions until then).
func (n *Net) WaitCaughtUp(i int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		st, err := n.RPC(i).Status(context.Background())
		if err == nil && !st.SyncInfo.CatchingUp {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("localnet: validator %d still catching up after %s (%v)", i, timeout, err)
		}
		time.Sleep(pollEvery)
	}
}

// SameAppHash polls the validators in nodes until all of them have been
// seen at one height ≥ min with the same app hash, and returns both.
// Different app hashes at one height fail at once.
func (n *Net) SameAppHash(nodes []int, min int64, timeout time.Duration) (int64, []byte, error) {
	seen := make([]map[int64][]byte, len(nodes))
	for k := range seen {
		seen[k] = map[int64][]byte{}
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for k, i := range nodes {
			if h, hash, err := n.Height(i); err == nil {
				seen[k][h] = hash
			}
		}
		if h, hash, ok, err := agreed(nodes, seen, min); ok || err != nil {
			return h, hash, err
		}
		time.Sleep(30 * time.Millisecond)
	}
	return 0, nil, fmt.Errorf("localnet: validators %v did not agree on an app hash at a height ≥ %d within %s", nodes, min, timeout)
}

// agreed finds a height ≥ min at which every node was seen, all with the
// first node's hash; an app hash that differs is an error.
func agreed(nodes []int, seen []map[int64][]byte, min int64) (int64, []byte, bool, error) {
	for h, hash := range seen[0] {
		if h < min {
			continue
		}
		all := true
		for k := 1; k < len(nodes); k++ {
			other, ok := seen[k][h]
			if !ok {
				all = false
				continue
			}
			if !bytes.Equal(other, hash) {
				return 0, nil, false, fmt.Errorf("localnet: app hashes differ at height %d: validator %d %X, validator %d %X", h, nodes[0], hash, nodes[k], other)
			}
		}
		if all {
			return h, hash, true, nil
		}
	}
	return 0, nil, false, nil
}

// Follow calls fn for every block the node behind rpc commits after height
// from, in order, polling every interval until stop is called. at is when
// the poll saw the block committed. fn failing leaves that height for the
// next poll.
func Follow(rpc *rpchttp.HTTP, from int64, every time.Duration, fn func(ctx context.Context, h int64, at time.Time) error) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			case <-time.After(every):
			}
			from = followOnce(rpc, from, fn)
		}
	}()
	return func() { close(quit); <-done }
}

// followOnce hands fn the blocks committed after height from and returns
// the last height fn took.
func followOnce(rpc *rpchttp.HTTP, from int64, fn func(ctx context.Context, h int64, at time.Time) error) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := rpc.Status(ctx)
	if err != nil {
		return from
	}
	at := time.Now()
	for h := from + 1; h <= st.SyncInfo.LatestBlockHeight; h++ {
		if fn(ctx, h, at) != nil {
			return h - 1
		}
		from = h
	}
	return from
}
