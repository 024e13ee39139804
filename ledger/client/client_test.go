package client

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// dropServer dials a node's RPC that drops the connection under the first
// drops requests (as CometBFT's server does to a kept-alive connection it
// times out) and answers broadcasts and queries after that.
func dropServer(t *testing.T, drops int32) (*Client, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= drops {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			conn.(*net.TCPConn).SetLinger(0) // reset, not a clean close
			conn.Close()
			return
		}
		var req struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Error(err)
		}
		result := map[string]any{"code": 0, "data": "", "log": "", "codespace": "", "hash": "00"}
		if req.Method == "abci_query" {
			result = map[string]any{"response": map[string]any{"code": 0, "value": []byte(`{"answer":42}`)}}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": req.ID, "result": result})
	}))
	t.Cleanup(srv.Close)
	c, err := Dial(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return c, &calls
}

// A connection dropped under a broadcast is retried once with the same
// bytes, which is safe: they are one transaction, committed at most once.
func TestBroadcastRetriesDroppedConnection(t *testing.T) {
	c, calls := dropServer(t, 1)
	if err := c.BroadcastRaw(context.Background(), make([]byte, 1<<20)); err != nil {
		t.Fatalf("broadcast after one dropped connection: %v", err)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("node saw %d requests, want 2", n)
	}
}

// Dropped twice, the broadcast fails as unreachable, and not as "never
// sent": the first attempt may have reached the mempool.
func TestBroadcastDroppedTwiceIsUnreachable(t *testing.T) {
	c, calls := dropServer(t, 2)
	err := c.BroadcastRaw(context.Background(), make([]byte, 1<<20))
	if !errors.Is(err, ErrUnreachable) || NotSent(err) {
		t.Fatalf("got %v, want unreachable and possibly sent", err)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("node saw %d requests, want 2 (one retry)", n)
	}
}

// A query whose connection drops is asked once more.
func TestQueryRetriesDroppedConnection(t *testing.T) {
	c, calls := dropServer(t, 1)
	var got struct{ Answer int }
	if err := c.query(context.Background(), "/anything", "", &got); err != nil || got.Answer != 42 {
		t.Fatalf("query after one dropped connection: %+v, %v", got, err)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("node saw %d requests, want 2", n)
	}
}

// A broadcast dropped midway whose second attempt finds the node gone is
// not "never sent": the first attempt may have reached the mempool, and a
// wallet that took it as unsent could pay twice.
func TestBroadcastDroppedThenRefusedMayBeSent(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		srv.Listener.Close() // the node goes away: the retry's dial is refused
		conn.(*net.TCPConn).SetLinger(0)
		conn.Close()
	}))
	t.Cleanup(srv.Close)
	c, err := Dial(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	err = c.BroadcastRaw(context.Background(), make([]byte, 1<<20))
	if !errors.Is(err, ErrUnreachable) || NotSent(err) {
		t.Fatalf("got %v (NotSent %v), want unreachable and possibly sent", err, NotSent(err))
	}
}
