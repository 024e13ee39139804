package node_test

// Four real validators on loopback, each a separate 'sable node' process:
// payments from several banks commit and balances add up; a validator
// SIGKILLed and restarted catches up to the same app hash; a validator that
// dies between FinalizeBlock and Commit recovers through CometBFT's
// handshake replay; the same transaction sent twice is applied once; the
// recorded blocks replay to byte-identical app hashes; and no payment
// amount is on any validator's disk.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cometbft/cometbft/types"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/internal/localnet"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/ledger/state"
	"github.com/sable-settlement/sable/ledger/testnet"
	"github.com/sable-settlement/sable/zkp"
)

// Each bank starts with 10^15 major units in every currency, and payments
// are 2^40 … 2^42 minor units: large enough that their 8-byte encodings have
// five or six non-zero bytes, so a chance match on disk is negligible.
const netFund = "1000000000000000"

// Knobs for measuring: SABLE_NET_BURST is the number of pre-proved
// transfers each of two banks submits at once (default 20);
// SABLE_NET_NOHE=1 runs the network without the regulator's HE key, so
// payments carry no flow ciphertexts.
func netBurst() int {
	if n, err := strconv.Atoi(os.Getenv("SABLE_NET_BURST")); err == nil && n > 0 {
		return n
	}
	return 20
}

func TestNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four validator processes; skipped with -short")
	}
	start := time.Now()
	n := newTestNet(t, 4)
	n.waitHeight([]int{0, 1, 2, 3}, 2, 30*time.Second)
	t.Logf("network up in %s (build, genesis with dev setup, 4 nodes)", time.Since(start).Round(time.Millisecond))

	// 'sable transfer --wait' from two banks at once, as separate
	// processes, each through its own validator (before the test opens the
	// banks' wallets itself).
	type cliPay struct {
		from, to string
		cur      ledger.Currency
		amt      uint64
	}
	cliPays := []cliPay{{"bank-sg", "bank-hk", ledger.Currencies[1].Code, 1<<40 + rand.Uint64N(3<<40)},
		{"bank-hk", "bank-th", ledger.Currencies[2].Code, 1<<40 + rand.Uint64N(3<<40)}}
	t.Run("sable transfer from two banks", func(t *testing.T) {
		var wg sync.WaitGroup
		for _, p := range cliPays {
			wg.Add(1)
			go func() {
				defer wg.Done()
				bank, _ := n.l.Bank(p.from)
				cmd := exec.Command(n.bin, "transfer", "--home", bank.Home, "--to", p.to, "--currency", p.cur.String(),
					"--amount", ledger.FormatAmount(p.cur, p.amt), "--wait")
				out, err := cmd.CombinedOutput()
				if err != nil || !strings.Contains(string(out), "committed at height") {
					t.Errorf("sable transfer from %s: %v\n%s", p.from, err, out)
					return
				}
				t.Logf("sable transfer --home %s --to %s --currency %s --amount %s --wait:\n%s", rel(n.dir, bank.Home), p.to, p.cur,
					ledger.FormatAmount(p.cur, p.amt), strings.TrimSpace(string(out)))
			}()
		}
		wg.Wait()
	})
	if t.Failed() {
		t.FailNow()
	}

	b := newBanks(t, n)
	for _, p := range cliPays {
		b.amounts = append(b.amounts, p.amt)
		b.book(p.from, p.to, p.cur, p.amt)
	}
	obs := n.observe(0)
	b.obs = obs

	t.Run("payments", func(t *testing.T) {
		// Two banks pay, pipelined, through two different validators.
		plan := map[string][]string{"bank-sg": {"bank-hk", "bank-us", "bank-th"}, "bank-hk": {"bank-sg", "bank-th", "bank-us"}}
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for from, tos := range plan {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 12 {
					cur := ledger.Currencies[(i+len(from))%len(ledger.Currencies)].Code
					if _, err := b.transfer(from, tos[i%len(tos)], cur, b.amount()); err != nil {
						errs <- fmt.Errorf("%s payment %d: %w", from, i, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		lat := obs.wait(t, b.submitted(), 60*time.Second)
		t.Logf("end to end (prove, sign, submit, pipelined; 2 banks): %d transfers committed, median submit→commit %s, p90 %s",
			len(lat.latencies), lat.median(), lat.percentile(90))
		b.settle(t, 0)
	})

	t.Run("burst", func(t *testing.T) {
		// Pre-proved transfers from two banks, submitted as fast as the
		// RPC accepts them: the ledger's own committed throughput.
		var raws [2][][]byte
		var wg sync.WaitGroup
		for k, from := range []string{"bank-us", "bank-th"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				raws[k] = b.chain(t, from, netBurst())
			}()
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		obs.reset()
		first := time.Now()
		for k, node := range []int{2, 3} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, raw := range raws[k] {
					obs.submittedAt([32]byte(types.Tx(raw).Hash()), time.Now())
					res, err := n.RPC(node).BroadcastTxSync(context.Background(), raw)
					if err != nil || res.Code != ledger.CodeOK {
						t.Errorf("burst broadcast: %v %+v", err, res)
						return
					}
				}
			}()
		}
		wg.Wait()
		var all [][]byte
		for _, r := range raws {
			all = append(all, r...)
		}
		lat := obs.wait(t, hashes(all), 60*time.Second)
		span := lat.last.Sub(first)
		size := 0
		for _, raw := range all {
			size += len(raw)
		}
		t.Logf("burst: %d pre-proved transfers (%d bytes each) committed in %s: %.1f transfers/s; median submit→commit %s, p90 %s, in %d blocks",
			len(all), size/len(all), span.Round(time.Millisecond), float64(len(all))/span.Seconds(), lat.median(), lat.percentile(90), lat.blocks)
		b.settle(t, 0)
	})

	var dup []byte // a committed transfer, sent again later
	t.Run("same transaction to two nodes", func(t *testing.T) {
		raw, fold := b.build(t, "bank-us", "bank-sg", ledger.Currencies[0].Code, b.amount())
		dup = raw
		before := b.nonce(t, "bank-us")
		var wg sync.WaitGroup
		results := make([]string, 2)
		for k, node := range []int{0, 1} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := n.RPC(node).BroadcastTxSync(context.Background(), raw)
				results[k] = describe(res, err)
			}()
		}
		wg.Wait()
		t.Logf("sent to validators 0 and 1 at once: %q, %q", results[0], results[1])
		id := ledger.TxID(types.Tx(raw).Hash())
		o, err := n.Client(0).WaitCommitted(context.Background(), id, 20*time.Second)
		if err != nil || o.State != "committed" {
			t.Fatalf("not committed: %+v %v", o, err)
		}
		fold()
		n.waitHeight([]int{0}, o.Height+2, 10*time.Second)
		if got := b.nonce(t, "bank-us"); got != before+1 {
			t.Fatalf("bank-us nonce %d → %d: applied %d times", before, got, got-before)
		}
		// Sent again after it committed, into a later block: the mempool's
		// cache or the app refuses it.
		res, err := n.RPC(2).BroadcastTxSync(context.Background(), raw)
		if !refusedAsDuplicate(res, err) {
			t.Fatalf("resent after commit: %s", describe(res, err))
		}
		t.Logf("sent again after commit: %s", describe(res, err))
		n.waitHeight([]int{0}, o.Height+4, 10*time.Second)
		if got := b.nonce(t, "bank-us"); got != before+1 {
			t.Fatalf("bank-us nonce %d after resend, want %d", got, before+1)
		}
		b.settle(t, 0)
	})

	t.Run("validator killed and restarted", func(t *testing.T) {
		h0 := n.maxHeight([]int{0, 1, 2})
		n.kill(3)
		// The other three keep committing, transactions included.
		id, err := b.transferVia(0, "bank-th", "bank-hk", ledger.Currencies[5].Code, b.amount())
		if err != nil {
			t.Fatal(err)
		}
		if o, err := n.Client(0).WaitCommitted(context.Background(), id, 20*time.Second); err != nil || o.State != "committed" {
			t.Fatalf("payment while validator 3 is down: %+v %v", o, err)
		}
		n.waitHeight([]int{0, 1, 2}, h0+5, 20*time.Second)
		down := n.maxHeight([]int{0, 1, 2})
		t.Logf("validator 3 killed at height ~%d; the others went on to %d", h0, down)
		n.start(3)
		h, hash := n.sameAppHash([]int{0, 1, 2, 3}, down+1, 60*time.Second)
		t.Logf("validator 3 restarted and caught up: all four at height %d, app hash %X", h, hash)

		// The same transaction again, after the restart emptied the
		// node's mempool cache: the app refuses it.
		n.waitCaughtUp(3, 30*time.Second)
		res, err := n.RPC(3).BroadcastTxSync(context.Background(), dup)
		if code, ok := checkTxCode(res, err); !ok || (code != ledger.CodeDuplicateTx && code != ledger.CodeBadNonce) {
			t.Fatalf("committed transaction resent to a restarted node: %s", describe(res, err))
		}
		t.Logf("committed transaction resent to the restarted node: %s", describe(res, err))
		b.settle(t, 0)
	})

	t.Run("crash between FinalizeBlock and Commit", func(t *testing.T) {
		n.stop(2)
		at := n.maxHeight([]int{0, 1, 3}) + 4
		n.start(2, "SABLE_TEST_CRASH_BEFORE_COMMIT="+fmt.Sprint(at))
		// Payments around the crash height, so the replayed block is likely
		// to carry some.
		for i := range 3 {
			if _, err := b.transferVia(0, "bank-sg", "bank-us", ledger.Currencies[i].Code, b.amount()); err != nil {
				t.Fatal(err)
			}
		}
		ps := n.waitExit(2, 60*time.Second)
		ws, ok := ps.Sys().(syscall.WaitStatus)
		if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("validator 2 exited with %v, want SIGKILL from the test hook", ps)
		}
		store, err := state.OpenStore(filepath.Join(n.l.Validators[2].Home, "app"))
		if err != nil {
			t.Fatal(err)
		}
		committed, _, err := store.Committed()
		store.Close()
		if err != nil || committed != at-1 {
			t.Fatalf("app state after the crash at %d: height %d (%v), want %d", at, committed, err, at-1)
		}
		t.Logf("validator 2 killed itself in Commit of height %d; its app state holds height %d", at, committed)
		n.start(2)
		h, hash := n.sameAppHash([]int{0, 1, 2, 3}, at+1, 60*time.Second)
		// The handshake, before consensus or block sync started, replayed
		// the one block the app had not committed.
		runs := strings.Split(n.Log(2), "==== run ")
		want := fmt.Sprintf("app_height=%d replayed=1 ", at)
		if last := runs[len(runs)-1]; !strings.Contains(last, want) {
			t.Fatalf("restarted validator 2's log lacks %q:\n%s", want, tail(last, 10))
		}
		t.Logf("validator 2 replayed and caught up: all four at height %d, app hash %X", h, hash)
		b.settle(t, 0)
	})

	t.Run("validator state on a full disk", func(t *testing.T) {
		app := filepath.Join(n.l.Validators[1].Home, "app")
		n.stop(1)
		// Restarted on a disk with no room: opening flushes the WAL's
		// replay to a new table and fails. One line, status 1, and not
		// "corrupt" (moving the state aside would only re-execute every
		// block onto the same full disk).
		disk := smallDisk(t, app, 64<<10, func() { n.start(1) })
		n.start(1)
		ps := n.waitExit(1, 60*time.Second)
		out := lastRun(n.Log(1))
		if ps.ExitCode() != 1 || !strings.Contains(out, "the disk is full") || strings.Contains(out, "corrupt") || cometPanic(out) {
			t.Fatalf("validator 1 started on a full disk: %v; want exit status 1 after one line naming the full disk:\n%s", ps, tail(out, 20))
		}
		t.Logf("started on a full disk: %v: %s", ps, lastLine(out, "the disk is full"))
		n.must(disk.Free())

		// Room to open, then, once it runs, for a few blocks (each writes
		// its currency books' HE aggregates): payments until the disk is
		// full at a commit and validator 1 stops by itself.
		wal, err := localnet.WALBytes(app)
		n.must(err)
		disk = smallDisk(t, app, wal+1<<20, nil)
		n.start(1)
		n.waitHeight([]int{1}, n.maxHeight([]int{0, 2, 3}), 60*time.Second) // opened and caught up
		n.must(disk.Shrink(512 << 10))
		ps = nil
		for i := 0; ps == nil; i++ {
			if i == 60 {
				t.Fatalf("validator 1 still runs after 60 payments on its small disk:\n%s", tail(n.Log(1), 20))
			}
			if _, err := b.transferVia(0, "bank-us", "bank-sg", ledger.Currencies[i%len(ledger.Currencies)].Code, b.amount()); err != nil {
				t.Fatal(err)
			}
			ps, _ = n.WaitExit(1, 300*time.Millisecond)
		}
		down := n.maxHeight([]int{0, 2, 3})
		out = lastRun(n.Log(1))
		if ps.ExitCode() != 1 || !strings.Contains(out, "the validator stops") || !strings.Contains(out, "the disk is full") || cometPanic(out) {
			t.Fatalf("validator 1 on a full disk: %v; want exit status 1 after one line naming the full disk, no panic:\n%s", ps, tail(out, 20))
		}
		t.Logf("validator 1 stopped when its disk filled (%v), the others at height %d: %s", ps, down, lastLine(out, "the validator stops"))

		// Space freed: it restarts, re-executes what it had not stored and
		// catches up to the others' app hash.
		n.must(disk.Free())
		n.start(1)
		h, hash := n.sameAppHash([]int{0, 1, 2, 3}, down+1, 60*time.Second)
		t.Logf("validator 1 restarted with space: all four at height %d, app hash %X", h, hash)
		b.settle(t, 0)
	})

	t.Run("balances", func(t *testing.T) {
		b.settle(t, 1)
		for _, bank := range testnet.Banks {
			for _, k := range ledger.Currencies {
				got, err := b.w[bank.ID].Base(k.Code)
				if err != nil {
					t.Fatal(err)
				}
				want := b.expect[bank.ID][k.Code]
				if new(big.Int).SetUint64(got.Value).Cmp(want) != 0 {
					t.Errorf("%s %s: wallet %d, want %s", bank.ID, k.Code, got.Value, want)
				}
			}
		}
		// Value is conserved: the banks' balances add up to their funding.
		fund, _ := testnet.ParseFund(netFund)
		for _, k := range ledger.Currencies {
			sum := new(big.Int)
			for _, bank := range testnet.Banks {
				sum.Add(sum, b.expect[bank.ID][k.Code])
			}
			want := new(big.Int).Mul(new(big.Int).SetUint64(fund[k.Code]), big.NewInt(int64(len(testnet.Banks))))
			if sum.Cmp(want) != 0 {
				t.Errorf("%s: banks hold %s, funded %s", k.Code, sum, want)
			}
			s, err := n.Client(1).Supply(context.Background(), k.Code)
			if err != nil || !s.Turnstile {
				t.Errorf("%s supply turnstile: %+v %v", k.Code, s, err)
			}
		}
		t.Logf("%d payments settled; every bank's wallet matches the ledger", len(b.amounts))
	})

	t.Run("determinism", func(t *testing.T) {
		testReplay(t, n, b)
	})

	n.stopAll()
	t.Run("no amounts on disk", func(t *testing.T) {
		checkNoAmounts(t, n, b.amounts)
	})
	t.Logf("network test took %s", time.Since(start).Round(time.Second))
}

// describe renders a broadcast's outcome.
func describe(res *ctypes.ResultBroadcastTx, err error) string {
	if code, ok := checkTxCode(res, err); ok {
		if code == ledger.CodeOK {
			return "accepted"
		}
		return fmt.Sprintf("refused by the app, code %d", code)
	}
	if err != nil {
		msg := err.Error()
		if _, after, ok := strings.Cut(msg, "Internal error: "); ok {
			msg = after
		}
		return "refused by the node: " + msg
	}
	return "?"
}

// checkTxCode is CheckTx's code for a broadcast_tx_sync. CometBFT v1.0.1
// reports a rejection as a JSON-RPC error whose text carries the code
// ("tx … is invalid: code=17, …"), not as a result with a non-zero code.
func checkTxCode(res *ctypes.ResultBroadcastTx, err error) (uint32, bool) {
	if err == nil {
		return res.Code, true
	}
	m := invalidTx.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, false
	}
	c, _ := strconv.ParseUint(m[1], 10, 32)
	return uint32(c), true
}

var invalidTx = regexp.MustCompile(`is invalid: code=(\d+),`)

// refusedAsDuplicate: the mempool's cache says it has the transaction, or
// the app refuses it as committed or as a used nonce.
func refusedAsDuplicate(res *ctypes.ResultBroadcastTx, err error) bool {
	if code, ok := checkTxCode(res, err); ok {
		return code == ledger.CodeDuplicateTx || code == ledger.CodeBadNonce
	}
	return strings.Contains(err.Error(), "already exists in cache")
}

// testNet is a localnet.Net of 'sable node' processes whose failures fail
// the test.
type testNet struct {
	*localnet.Net
	t   *testing.T
	bin string // the sable binary
	dir string
	l   *testnet.Layout
}

func newTestNet(t *testing.T, validators int) *testNet {
	dir := t.TempDir()
	bin, err := localnet.BuildSable(dir)
	if err != nil {
		t.Fatal(err)
	}
	net, err := localnet.New(filepath.Join(dir, "net"), localnet.Options{Sable: bin, Options: testnet.Options{
		Validators: validators, Fund: netFund, ChainID: "sable-test", NoHE: os.Getenv("SABLE_NET_NOHE") == "1"}})
	if err != nil {
		t.Fatal(err)
	}
	n := &testNet{Net: net, t: t, bin: bin, dir: dir, l: net.Layout}
	t.Cleanup(func() {
		net.Close()
		if t.Failed() {
			for i := range validators {
				t.Logf("---- validator %d log (tail) ----\n%s", i, tail(net.Log(i), 40))
			}
		}
	})
	n.must(net.StartAll(context.Background()))
	return n
}

func rel(base, path string) string {
	if r, err := filepath.Rel(base, path); err == nil {
		return r
	}
	return path
}

// smallDisk is localnet.SmallDisk for a test: it skips where the process
// may not mount (after restart, to leave the network as it was), and
// unmounts at clean-up.
func smallDisk(t *testing.T, dir string, spare int64, restart func()) *localnet.Disk {
	t.Helper()
	d, err := localnet.SmallDisk(dir, spare)
	if errors.Is(err, localnet.ErrNoMount) {
		if restart != nil {
			restart()
		}
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Unmount)
	return d
}

// lastRun is a validator log's last run.
func lastRun(log string) string {
	runs := strings.Split(log, "==== run ")
	return runs[len(runs)-1]
}

// cometPanic reports a panic or a goroutine dump in a log.
func cometPanic(log string) bool {
	return strings.Contains(log, "panic") || strings.Contains(log, "goroutine ") || strings.Contains(log, "CONSENSUS FAILURE")
}

// lastLine is the last line of s that contains sub, or "".
func lastLine(s, sub string) string {
	lines := strings.Split(s, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], sub) {
			return lines[i]
		}
	}
	return ""
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// The harness's calls, failing the test on an error.

func (n *testNet) must(err error) {
	n.t.Helper()
	if err != nil {
		n.t.Fatal(err)
	}
}

// start runs validator i as its own process, appending to its log.
func (n *testNet) start(i int, env ...string) {
	n.t.Helper()
	n.must(n.Start(context.Background(), i, env...))
}

// kill SIGKILLs validator i and waits for it to die.
func (n *testNet) kill(i int) { n.t.Helper(); n.must(n.Kill(i)) }

// stop asks validator i to shut down cleanly and waits.
func (n *testNet) stop(i int) { n.t.Helper(); n.must(n.Stop(i)) }

func (n *testNet) stopAll() { n.t.Helper(); n.must(n.StopAll()) }

// waitExit waits for validator i's process to end by itself.
func (n *testNet) waitExit(i int, timeout time.Duration) *os.ProcessState {
	n.t.Helper()
	st, err := n.WaitExit(i, timeout)
	n.must(err)
	return st
}

// waitHeight waits until every node in nodes has committed height h.
func (n *testNet) waitHeight(nodes []int, h int64, timeout time.Duration) {
	n.t.Helper()
	n.must(n.WaitHeight(nodes, h, timeout))
}

// waitCaughtUp waits until validator i has left block sync.
func (n *testNet) waitCaughtUp(i int, timeout time.Duration) {
	n.t.Helper()
	n.must(n.WaitCaughtUp(i, timeout))
}

func (n *testNet) maxHeight(nodes []int) int64 {
	n.t.Helper()
	h, err := n.MaxHeight(nodes)
	n.must(err)
	return h
}

// sameAppHash waits until the nodes have been seen at one height ≥ min
// with the same app hash; different hashes at one height fail at once.
func (n *testNet) sameAppHash(nodes []int, min int64, timeout time.Duration) (int64, []byte) {
	n.t.Helper()
	h, hash, err := n.SameAppHash(nodes, min, timeout)
	n.must(err)
	return h, hash
}

// banks are the four banks' sessions, with what each should hold.
type banks struct {
	t       *testing.T
	n       *testNet
	w       map[string]*party.Wallet
	s       map[string]*party.Sender
	expect  map[string]map[ledger.Currency]*big.Int
	amounts []uint64

	mu   sync.Mutex
	obs  *observer
	subs [][32]byte // transactions submitted through Sender
	rnd  *rand.Rand
}

func newBanks(t *testing.T, n *testNet) *banks {
	b := &banks{t: t, n: n, w: map[string]*party.Wallet{},
		s: map[string]*party.Sender{}, expect: map[string]map[ledger.Currency]*big.Int{},
		rnd: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))}
	fund, _ := testnet.ParseFund(netFund)
	for i, bank := range n.l.Banks {
		s, err := party.Open(bank.Home, n.l.Validators[i%len(n.l.Validators)].RPC)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		b.w[bank.ID] = s.Wallet
		b.s[bank.ID] = s.Sender
		b.expect[bank.ID] = map[ledger.Currency]*big.Int{}
		for _, k := range ledger.Currencies {
			b.expect[bank.ID][k.Code] = new(big.Int).SetUint64(fund[k.Code])
		}
	}
	return b
}

// prover is a bank's prover, for keys.
func (b *banks) prover() *zkp.Prover { return b.s[testnet.Banks[0].ID].P }

// amount is a fresh payment amount in [2^40, 2^42) minor units.
func (b *banks) amount() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	v := 1<<40 + b.rnd.Uint64N(3<<40)
	b.amounts = append(b.amounts, v)
	return v
}

func (b *banks) book(from, to string, c ledger.Currency, amt uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	a := new(big.Int).SetUint64(amt)
	b.expect[from][c].Sub(b.expect[from][c], a)
	b.expect[to][c].Add(b.expect[to][c], a)
}

// transfer pays through the bank's own node with party.Sender.
func (b *banks) transfer(from, to string, c ledger.Currency, amt uint64) (ledger.TxID, error) {
	id, err := b.s[from].Transfer(context.Background(), party.TransferRequest{To: to, Currency: c, Amount: amt})
	if err != nil {
		return id, err
	}
	if b.obs != nil {
		b.obs.submittedAt(id, time.Now()) // just after CheckTx accepted it
	}
	b.book(from, to, c, amt)
	b.mu.Lock()
	b.subs = append(b.subs, id)
	b.mu.Unlock()
	return id, nil
}

// transferVia pays through validator node (when the bank's own is down).
func (b *banks) transferVia(node int, from, to string, c ledger.Currency, amt uint64) (ledger.TxID, error) {
	s := *b.s[from]
	s.C = b.n.Client(node)
	id, err := s.Transfer(context.Background(), party.TransferRequest{To: to, Currency: c, Amount: amt})
	if err == nil {
		b.book(from, to, c, amt)
	}
	return id, err
}

func (b *banks) submitted() [][32]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.subs)
}

func (b *banks) nonce(t *testing.T, id string) uint64 {
	t.Helper()
	p, err := b.n.Client(0).Party(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p.Nonce
}

// build makes a signed transfer without submitting it, against the bank's
// committed available balance (the bank must have nothing in flight). fold
// records in the wallet that it committed.
func (b *banks) build(t *testing.T, from, to string, c ledger.Currency, amt uint64) (raw []byte, fold func()) {
	t.Helper()
	w := b.w[from]
	avail, err := w.Base(c)
	if err != nil {
		t.Fatal(err)
	}
	nonce := b.nonce(t, from)
	raws, rest := b.buildChain(t, from, nonce, avail, []payment{{to, c, amt}})
	return raws[0], func() {
		if err := w.SetBase(c, rest[c]); err != nil {
			t.Fatal(err)
		}
		b.book(from, to, c, amt)
	}
}

type payment struct {
	to  string
	cur ledger.Currency
	amt uint64
}

// chain pre-proves count transfers from one bank, each against the balance
// its predecessors leave, books them as if committed, and returns their
// bytes in nonce order.
func (b *banks) chain(t *testing.T, from string, count int) [][]byte {
	c := ledger.Currencies[1].Code
	base, err := b.w[from].Base(c)
	if err != nil {
		t.Error(err)
		return nil
	}
	var pays []payment
	for i := range count {
		to := testnet.Banks[i%len(testnet.Banks)].ID
		if to == from {
			to = testnet.Banks[(i+1)%len(testnet.Banks)].ID
		}
		pays = append(pays, payment{to, c, b.amount()})
	}
	party, err := b.n.Client(0).Party(context.Background(), from)
	if err != nil {
		t.Error(err)
		return nil
	}
	raws, rest := b.buildChain(t, from, party.Nonce, base, pays)
	if err := b.w[from].SetBase(c, rest[c]); err != nil {
		t.Error(err)
	}
	for _, p := range pays {
		b.book(from, p.to, p.cur, p.amt)
	}
	return raws
}

func (b *banks) buildChain(t *testing.T, from string, nonce uint64, avail ledger.Opening, pays []payment) ([][]byte, map[ledger.Currency]ledger.Opening) {
	ctx := context.Background()
	id := b.w[from].Identity()
	chain := id.Config.ChainID
	pk, vk, err := b.prover().Keys(zkp.Transfer)
	if err != nil {
		t.Error(err)
		return nil, nil
	}
	g, err := b.n.Client(0).Genesis(ctx)
	if err != nil {
		t.Error(err)
		return nil, nil
	}
	var regKey [32]byte
	k, _ := hex.DecodeString(g.Regulator().MemoKey)
	copy(regKey[:], k)
	var flows party.FlowSealer // when the chain has the regulator's HE key
	if g.HEPublicKey != "" {
		raw, _ := hex.DecodeString(g.HEPublicKey)
		var pk he.PublicKey
		if err := pk.UnmarshalBinary(raw); err != nil {
			t.Error(err)
			return nil, nil
		}
		flows = party.NewHESealer(&pk)
	}
	rest := map[ledger.Currency]ledger.Opening{pays[0].cur: avail}
	var raws [][]byte
	for i, p := range pays {
		cur := rest[p.cur]
		to, err := b.n.Client(0).Party(ctx, p.to)
		if err != nil {
			t.Error(err)
			return nil, nil
		}
		r, err := zkp.RandomAmountBlinding()
		if err != nil {
			t.Error(err)
			return nil, nil
		}
		amt := ledger.Opening{Value: p.amt, Blinding: r}
		n := nonce + uint64(i)
		body := &ledger.Transfer{To: p.to, Currency: p.cur, Available: cur.Commitment(), Amount: amt.Commitment()}
		aad := ledger.MemoAAD(chain, from, p.to, p.cur, n)
		if body.Memo, err = ledger.SealOpening([32]byte(to.MemoKey), amt, aad); err != nil {
			t.Error(err)
			return nil, nil
		}
		if body.AuditMemo, err = ledger.SealOpening(regKey, amt, aad); err != nil {
			t.Error(err)
			return nil, nil
		}
		if flows != nil {
			if body.Flow, err = flows.SealFlow(amt.Value, amt.Blinding); err != nil {
				t.Error(err)
				return nil, nil
			}
		}
		tx := &ledger.Tx{Kind: ledger.KindTransfer, Sender: from, Nonce: n, Body: body}
		_, proof, err := pk.ProveTransfer(zkp.TransferInput{Balance: cur.Value, BalanceBlinding: cur.Blinding,
			Amount: amt.Value, AmountBlinding: amt.Blinding, Context: tx.Context(chain)}, vk)
		if err != nil {
			t.Error(err)
			return nil, nil
		}
		body.Proof = proof.Bytes()
		tx.Sign(chain, id.Sign)
		raws = append(raws, tx.Encode())
		bl := new(big.Int).Sub(cur.Blinding, amt.Blinding)
		rest[p.cur] = ledger.Opening{Value: cur.Value - amt.Value, Blinding: bl.Mod(bl, zkp.Order())}
	}
	return raws, rest
}

// settle brings every bank's wallet up to the ledger: syncs (folding own
// committed payments, opening incoming memos), applies pending payments,
// waits for them, syncs again, and checks each wallet against the ledger.
func (b *banks) settle(t *testing.T, node int) {
	t.Helper()
	ctx := context.Background()
	c := b.n.Client(node)
	for round := 0; ; round++ {
		var ids []ledger.TxID
		for _, bank := range testnet.Banks {
			w := b.w[bank.ID]
			rep, err := w.Sync(ctx, c)
			if err != nil && !errors.Is(err, party.ErrWalletSync) {
				t.Fatalf("%s sync: %v", bank.ID, err)
			}
			if len(rep.Dropped) > 0 || len(rep.Bad) > 0 {
				t.Fatalf("%s sync: dropped %v, bad %v", bank.ID, rep.Dropped, rep.Bad)
			}
			s := *b.s[bank.ID]
			s.C = c
			for _, k := range ledger.Currencies {
				id, count, err := s.ApplyPending(ctx, k.Code)
				if err != nil {
					t.Fatalf("%s apply-pending %s: %v", bank.ID, k.Code, err)
				}
				if count > 0 {
					ids = append(ids, id)
				}
			}
		}
		if len(ids) == 0 {
			break
		}
		if round > 3 {
			t.Fatalf("payments still pending after %d rounds", round)
		}
		for _, id := range ids {
			if o, err := c.WaitCommitted(ctx, id, 30*time.Second); err != nil || o.State != "committed" {
				t.Fatalf("apply-pending %s: %+v %v", id, o, err)
			}
		}
	}
	for _, bank := range testnet.Banks {
		if _, err := b.w[bank.ID].Sync(ctx, c); err != nil {
			t.Fatalf("%s: %v", bank.ID, err)
		}
		for _, k := range ledger.Currencies {
			if rs, _ := b.w[bank.ID].Received(k.Code); len(rs) > 0 {
				t.Fatalf("%s %s: %d payments left pending", bank.ID, k.Code, len(rs))
			}
		}
	}
}

// observer watches one node's blocks and notes when each transaction
// was first seen committed.
type observer struct {
	mu   sync.Mutex
	sent map[[32]byte]time.Time
	seen map[[32]byte]seenTx
}

type seenTx struct {
	at     time.Time
	height int64
	code   uint32
}

func (n *testNet) observe(node int) *observer {
	o := &observer{sent: map[[32]byte]time.Time{}, seen: map[[32]byte]seenTx{}}
	from, _, _ := n.Height(node)
	rpc := n.RPC(node)
	n.t.Cleanup(localnet.Follow(rpc, from, 20*time.Millisecond, func(ctx context.Context, h int64, at time.Time) error {
		return o.block(ctx, rpc, h, at)
	}))
	return o
}

// block notes block h's transactions, with their result codes.
func (o *observer) block(ctx context.Context, rpc *rpchttp.HTTP, h int64, at time.Time) error {
	blk, err := rpc.Block(ctx, &h)
	if err != nil {
		return err
	}
	res, err := rpc.BlockResults(ctx, &h)
	if err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, tx := range blk.Block.Txs {
		o.seen[[32]byte(tx.Hash())] = seenTx{at: at, height: h, code: res.TxResults[i].Code}
	}
	return nil
}

func (o *observer) reset() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = map[[32]byte]time.Time{}
}

func (o *observer) submittedAt(id [32]byte, at time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent[id] = at
}

// hashes returns the transactions' ids (CometBFT's tx hashes).
func hashes(raws [][]byte) [][32]byte {
	out := make([][32]byte, len(raws))
	for i, raw := range raws {
		out[i] = [32]byte(types.Tx(raw).Hash())
	}
	return out
}

type latencies struct {
	latencies []time.Duration
	last      time.Time
	blocks    int
}

func (l latencies) percentile(p int) time.Duration {
	if len(l.latencies) == 0 {
		return 0
	}
	s := slices.Clone(l.latencies)
	slices.Sort(s)
	return s[(len(s)-1)*p/100].Round(time.Millisecond)
}

func (l latencies) median() time.Duration { return l.percentile(50) }

// wait waits until every transaction in raws has been seen committed with
// code OK, and returns submit→commit latencies for those whose submit time
// is known (for Sender's payments, the time is when the observer first
// learned of them, just after CheckTx).
func (o *observer) wait(t *testing.T, ids [][32]byte, timeout time.Duration) latencies {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		o.mu.Lock()
		missing := 0
		var out latencies
		heights := map[int64]bool{}
		for _, h := range ids {
			s, ok := o.seen[h]
			if !ok {
				missing++
				continue
			}
			if s.code != ledger.CodeOK {
				o.mu.Unlock()
				t.Fatalf("transaction %X committed with code %d", h, s.code)
			}
			heights[s.height] = true
			if s.at.After(out.last) {
				out.last = s.at
			}
			if sent, ok := o.sent[h]; ok {
				out.latencies = append(out.latencies, s.at.Sub(sent))
			}
		}
		o.mu.Unlock()
		out.blocks = len(heights)
		if missing == 0 {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d transactions not committed within %s", missing, len(ids), timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testReplay records the network's blocks and replays them into two fresh
// apps, the second with GOMAXPROCS=1: app hashes must be byte-identical to
// each other and to the network's at every height, and every transaction's
// result code the same.
func testReplay(t *testing.T, n *testNet, b *banks) {
	ctx := context.Background()
	end := n.maxHeight([]int{0})
	n.waitHeight([]int{0}, end+1, 10*time.Second)
	type recorded struct {
		block *types.Block
		codes []uint32
	}
	blocks := make([]recorded, end+2)
	for h := int64(1); h <= end+1; h++ {
		blk, err := n.RPC(0).Block(ctx, &h)
		if err != nil {
			t.Fatal(err)
		}
		res, err := n.RPC(0).BlockResults(ctx, &h)
		if err != nil {
			t.Fatal(err)
		}
		rec := recorded{block: blk.Block}
		for _, r := range res.TxResults {
			rec.codes = append(rec.codes, r.Code)
		}
		blocks[h] = rec
	}
	doc, err := types.GenesisDocFromFile(n.l.GenesisFile)
	if err != nil {
		t.Fatal(err)
	}
	var keys state.Keys
	if _, keys.Transfer, err = b.prover().Keys(zkp.Transfer); err != nil {
		t.Fatal(err)
	}
	if _, keys.Mint, err = b.prover().Keys(zkp.Mint); err != nil {
		t.Fatal(err)
	}
	if _, keys.FX, err = b.prover().Keys(zkp.FX); err != nil {
		t.Fatal(err)
	}
	if _, keys.Batch, err = b.prover().Keys(zkp.Batch); err != nil {
		t.Fatal(err)
	}
	txs := 0
	for _, r := range blocks[1:] {
		txs += len(r.block.Txs)
	}

	replay := func(name string) (hashes [][]byte, app *state.App) {
		store, err := state.OpenStore(filepath.Join(t.TempDir(), "app"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		app, err = state.NewApp(store, keys, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		init, err := app.InitChain(ctx, &abci.InitChainRequest{Time: doc.GenesisTime, ChainId: doc.ChainID,
			AppStateBytes: doc.AppState, InitialHeight: doc.InitialHeight})
		if err != nil {
			t.Fatal(err)
		}
		hashes = make([][]byte, end+1)
		hashes[0] = init.AppHash
		for h := int64(1); h <= end; h++ {
			blk := blocks[h].block
			res, err := app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Txs: blk.Txs.ToSliceOfBytes(), Hash: blk.Hash(),
				Height: h, Time: blk.Time, ProposerAddress: blk.ProposerAddress, NextValidatorsHash: blk.NextValidatorsHash})
			if err != nil {
				t.Fatalf("%s: FinalizeBlock %d: %v", name, h, err)
			}
			for i, r := range res.TxResults {
				if r.Code != blocks[h].codes[i] {
					t.Fatalf("%s: height %d tx %d: code %d, the network's %d", name, h, i, r.Code, blocks[h].codes[i])
				}
			}
			if _, err := app.Commit(ctx, &abci.CommitRequest{}); err != nil {
				t.Fatal(err)
			}
			hashes[h] = res.AppHash
		}
		return hashes, app
	}
	start := time.Now()
	first, app := replay("replay 1")
	took := time.Since(start)
	prev := runtime.GOMAXPROCS(1)
	second, _ := replay("replay 2 (GOMAXPROCS=1)")
	runtime.GOMAXPROCS(prev)
	for h := int64(0); h <= end; h++ {
		network := blocks[h+1].block.AppHash // the header of h+1 carries the hash after h
		if !bytes.Equal(first[h], network) || !bytes.Equal(second[h], network) {
			t.Fatalf("height %d: replay %X, replay with GOMAXPROCS=1 %X, network %X", h, first[h], second[h], []byte(network))
		}
	}
	t.Logf("replayed %d blocks (%d transactions) twice in %s each: app hashes byte-identical to the network's at every height", end, txs, took.Round(time.Millisecond))

	// A committed transaction included again in a later block is refused
	// and changes nothing.
	var again []byte
	for h := end; h >= 1 && again == nil; h-- {
		for _, tx := range blocks[h].block.Txs {
			if d, err := ledger.DecodeTx(tx); err == nil && d.Kind == ledger.KindTransfer {
				again = tx
				break
			}
		}
	}
	if again == nil {
		t.Fatal("no transfer recorded")
	}
	d, _ := ledger.DecodeTx(again)
	before := queryAll(t, app, d.Sender)
	res, err := app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Txs: [][]byte{again}, Height: end + 1, Time: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if c := res.TxResults[0].Code; c != ledger.CodeDuplicateTx {
		t.Fatalf("committed transfer in a later block: code %d, want %d (duplicate)", c, ledger.CodeDuplicateTx)
	}
	if _, err := app.Commit(ctx, &abci.CommitRequest{}); err != nil {
		t.Fatal(err)
	}
	if after := queryAll(t, app, d.Sender); after != before {
		t.Fatalf("state of %s changed by a refused duplicate:\n%s\n%s", d.Sender, before, after)
	}
	// A proposal that carries it again is rejected outright.
	pp, err := app.ProcessProposal(ctx, &abci.ProcessProposalRequest{Txs: [][]byte{again}, Height: end + 2})
	if err != nil || pp.Status != abci.PROCESS_PROPOSAL_STATUS_REJECT {
		t.Fatalf("proposal with a committed transaction: %v %v", pp, err)
	}
}

// queryAll renders a party's nonce and every account through Query.
func queryAll(t *testing.T, app *state.App, party string) string {
	var sb strings.Builder
	q := func(path, data string) {
		res, err := app.Query(context.Background(), &abci.QueryRequest{Path: path, Data: []byte(data)})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&sb, "%s %s: %d %s\n", path, data, res.Code, res.Value)
	}
	q("/party", party)
	for _, k := range ledger.Currencies {
		q("/account", party+"/"+k.Code.String())
	}
	return sb.String()
}

// checkNoAmounts scans every file under every validator's home for the
// payment amounts: decimal (minor units, and major units with two
// decimals), and 8-byte little- and big-endian; it fails when more are
// found in a form than decoy amounts show chance explains.
func checkNoAmounts(t *testing.T, n *testNet, amounts []uint64) {
	sc := localnet.NewAmountScanner(amounts)
	// The scanner finds what it looks for: each form of an amount, planted.
	a := amounts[len(amounts)/2]
	for _, form := range [][]byte{binary.LittleEndian.AppendUint64(nil, a), binary.BigEndian.AppendUint64(nil, a),
		[]byte(fmt.Sprint(a)), []byte(ledger.FormatAmount(ledger.Currencies[0].Code, a))} {
		data := append(append([]byte{0, 0, 0, 0, 0, 0, 0, 0, 'x'}, form...), 0xff, 0, 0, 0, 0, 0, 0, 0, 0)
		if ms := sc.Find(data); len(ms) == 0 || ms[0].Value != a || ms[0].Decoy {
			t.Fatalf("the scanner misses %x planted in %x: %v", form, data, ms)
		}
	}
	scan, err := n.ScanDisks(amounts)
	if err != nil {
		t.Fatal(err)
	}
	if err := scan.Leak(); err != nil {
		t.Error(err)
	}
	for _, hit := range scan.Hits {
		t.Logf("found, as often as decoys are by chance: %s: %s", hit.Path, hit.What)
	}
	if scan.Files == 0 {
		t.Fatal("no files scanned")
	}
	t.Logf("scanned %d files (%.1f MB) in %d validator homes for %d amounts (decimal, major-unit decimal, 8-byte LE and BE) and %d decoys of each",
		scan.Files, float64(scan.Bytes)/1e6, len(n.l.Validators), len(amounts), localnet.DecoysPerAmount)
}
