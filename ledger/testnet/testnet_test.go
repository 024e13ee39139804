package testnet_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cometbft/cometbft/types"

	"github.com/sable-settlement/sable/internal/localnet"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/node"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/ledger/state"
	"github.com/sable-settlement/sable/ledger/testnet"
	"github.com/sable-settlement/sable/zkp"
)

func TestParseFund(t *testing.T) {
	for _, tc := range []struct {
		in       string
		usd, jpy uint64
		err      string
	}{
		{in: "1000", usd: 100000, jpy: 1000},
		{in: "1000000.00", usd: 100000000, jpy: 1000000},
		{in: "1250.50", err: "decimals for JPY"},
		{in: "12.345", err: "decimals for USD"},
		{in: "-5", err: "not a decimal"},
		{in: "1e6", err: "not a decimal"},
	} {
		got, err := testnet.ParseFund(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseFund(%q): %v, want an error about %q", tc.in, err, tc.err)
			}
			continue
		}
		usd, _ := ledger.ParseCurrency("USD")
		jpy, _ := ledger.ParseCurrency("JPY")
		if err != nil || got[usd] != tc.usd || got[jpy] != tc.jpy {
			t.Errorf("ParseFund(%q) = USD %d JPY %d (%v), want %d %d", tc.in, got[usd], got[jpy], err, tc.usd, tc.jpy)
		}
	}
}

func TestWriteTestnet(t *testing.T) {
	dir := t.TempDir()
	l, err := testnet.Write(dir, testnet.Options{Validators: 4, Fund: "2500.00", BasePort: 31000})
	if err != nil {
		t.Fatal(err)
	}

	// One genesis, four validators with equal power, our app state in it.
	doc, err := types.GenesisDocFromFile(l.GenesisFile)
	if err != nil {
		t.Fatal(err)
	}
	if doc.ChainID != "sable-testnet" || len(doc.Validators) != 4 {
		t.Fatalf("genesis: chain %q, %d validators", doc.ChainID, len(doc.Validators))
	}
	g, err := ledger.ParseGenesis(doc.AppState)
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]int{}
	for _, p := range g.Parties {
		roles[p.Role]++
	}
	if roles["bank"] != 4 || roles["issuer"] != len(ledger.Currencies) || roles["regulator"] != 1 {
		t.Fatalf("parties by role: %v", roles)
	}
	if len(g.Issuers) != len(ledger.Currencies) || len(g.Accounts) != 4*len(ledger.Currencies)+len(ledger.Currencies) {
		t.Fatalf("%d issuers, %d accounts", len(g.Issuers), len(g.Accounts))
	}
	available := map[string]string{}
	for _, a := range g.Accounts {
		available[a.Party+"/"+a.Currency] = a.Available
	}
	for _, k := range ledger.Currencies {
		is := testnet.IssuerID(k.Code)
		if available[is+"/"+k.Code.String()] != zkp.ZeroCommitment().String() {
			t.Errorf("%s's own account is not Com(0,0)", is)
		}
	}

	for i, v := range l.Validators {
		conf, err := node.LoadConfig(v.Home)
		if err != nil {
			t.Fatal(err)
		}
		if conf.DBBackend != "pebbledb" || !conf.Mempool.Recheck || conf.Moniker != v.Name {
			t.Errorf("validator %d: db %q, recheck %v, moniker %q", i, conf.DBBackend, conf.Mempool.Recheck, conf.Moniker)
		}
		if want := "tcp://" + v.P2P; conf.P2P.ListenAddress != want || !strings.HasSuffix(v.RPC, strings.TrimPrefix(conf.RPC.ListenAddress, "tcp://")) {
			t.Errorf("validator %d listens on %s and %s", i, conf.P2P.ListenAddress, conf.RPC.ListenAddress)
		}
		peers := strings.Split(conf.P2P.PersistentPeers, ",")
		if len(peers) != 3 || strings.Contains(conf.P2P.PersistentPeers, v.NodeID) {
			t.Errorf("validator %d peers: %v", i, peers)
		}
		mine, err := os.ReadFile(conf.GenesisFile())
		if err != nil {
			t.Fatal(err)
		}
		shared, _ := os.ReadFile(l.GenesisFile)
		if string(mine) != string(shared) {
			t.Errorf("validator %d has another genesis", i)
		}
		for _, c := range zkp.Circuits() {
			_, path := zkp.KeyPaths(filepath.Join(v.Home, "zk"), c)
			vk, err := zkp.ReadVerifyingKey(path, c)
			if err != nil {
				t.Fatal(err)
			}
			want := map[zkp.Circuit]string{zkp.Transfer: g.VKHashes.Transfer, zkp.Mint: g.VKHashes.Mint, zkp.FX: g.VKHashes.FX, zkp.Batch: g.VKHashes.Batch}[c]
			if vk.HashHex() != want {
				t.Errorf("validator %d: %s key is not the one genesis pins", i, c)
			}
		}
	}

	// Every party can act: keys, node, proving keys, and (banks) the
	// openings of their funded genesis balances.
	fund, _ := testnet.ParseFund("2500.00")
	for _, p := range append(append(append([]testnet.Party{}, l.Banks...), l.Issuers...), l.Regulator) {
		id, err := party.LoadIdentity(p.Home)
		if err != nil {
			t.Fatal(err)
		}
		if id.Config.ID != p.ID || id.Config.ChainID != l.ChainID || id.Config.Node != p.Node {
			t.Errorf("%s: party.json %+v", p.ID, id.Config)
		}
		if _, vk := zkp.KeyPaths(id.ZKKeysDir(), zkp.Transfer); !exists(vk) {
			t.Errorf("%s: no proving keys at %s", p.ID, id.ZKKeysDir())
		}
		if p.Role == "issuer" {
			checkIssuerSupply(t, g, id, l.ChainID, fund)
		}
		if p.Role != "bank" {
			continue
		}
		w, err := party.OpenWallet(id)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range ledger.Currencies {
			o, err := w.Base(k.Code)
			if err != nil {
				t.Fatal(err)
			}
			if o.Value != fund[k.Code] || o.Commitment().String() != available[p.ID+"/"+k.Code.String()] {
				t.Errorf("%s %s: wallet opens %d, not the genesis commitment of %d", p.ID, k.Code, o.Value, fund[k.Code])
			}
		}
		w.Close()
	}
	if l.Banks[1].Node != l.Validators[1].RPC || l.Banks[3].Node != l.Validators[3].RPC {
		t.Errorf("banks are not spread over the validators: %+v", l.Banks)
	}

	back, err := testnet.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(l)
	b, _ := json.Marshal(back)
	if string(a) != string(b) {
		t.Errorf("testnet.json does not round-trip")
	}
	if _, err := testnet.Write(dir, testnet.Options{Validators: 4}); err == nil {
		t.Error("a second testnet written over the first")
	}
}

// checkIssuerSupply: an issuer's wallet and its genesis supply memo open
// the same supply, the sum of the funded genesis balances, and the memo
// opens only for this issuer and this currency.
func checkIssuerSupply(t *testing.T, g *ledger.Genesis, id *party.Identity, chainID string, fund map[ledger.Currency]uint64) {
	t.Helper()
	var is ledger.GenesisIssuer
	for _, x := range g.Issuers {
		if x.Party == id.Config.ID {
			is = x
		}
	}
	c, _ := ledger.ParseCurrency(is.Currency)
	sum := zkp.ZeroCommitment()
	for _, a := range g.Accounts {
		if a.Currency == is.Currency {
			sum = sum.Add(must(zkp.ParseCommitment(a.Available)))
		}
	}
	memo, err := ledger.OpenMemo(id.MemoKey, is.SealedSupplyMemo(), ledger.GenesisSupplyMemoAAD(chainID, id.Config.ID, c))
	if err != nil || memo.Value != 4*fund[c] || !memo.Commitment().Equal(sum) {
		t.Fatalf("%s: supply memo opens to %d (%v), want the %d funded", id.Config.ID, memo.Value, err, 4*fund[c])
	}
	if _, err := ledger.OpenMemo(id.MemoKey, is.SealedSupplyMemo(), ledger.GenesisMemoAAD(chainID, id.Config.ID, c)); err == nil {
		t.Fatalf("%s: the supply memo opens as an account memo", id.Config.ID)
	}
	w, err := party.OpenWallet(id)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if o, err := w.Supply(c); err != nil || !o.Commitment().Equal(sum) {
		t.Fatalf("%s: wallet supply %d (%v), not the genesis supply", id.Config.ID, o.Value, err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestNodeInProcess runs one validator in the test's own process, pays
// through it, stops it, and starts it again on the same state.
func TestNodeInProcess(t *testing.T) {
	l, err := localnet.Write(t.TempDir(), testnet.Options{Validators: 1, Fund: "1000", TimeoutCommit: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	ctx := context.Background()
	n, err := node.Start(ctx, l.Validators[0].Home, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	waitApp := func(c *client.Client, min int64) (int64, []byte) {
		t.Helper()
		h, hash, err := localnet.WaitHeight(c, min, 20*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return h, hash
	}
	bank, err := party.Open(l.Banks[0].Home, n.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer bank.Close()
	c, w, s := bank.Client, bank.Wallet, bank.Sender
	waitApp(c, 2)

	sgd, _ := ledger.ParseCurrency("SGD")
	txid, err := s.Transfer(ctx, party.TransferRequest{To: "bank-hk", Currency: sgd, Amount: 12345})
	if err != nil {
		t.Fatal(err)
	}
	if o, err := c.WaitCommitted(ctx, txid, 20*time.Second); err != nil || o.State != "committed" {
		t.Fatalf("transfer: %+v %v", o, err)
	}
	if _, err := w.Sync(ctx, c); err != nil {
		t.Fatal(err)
	}
	if o, _ := w.Base(sgd); o.Value != 100000-12345 {
		t.Fatalf("bank-sg SGD %d after paying 123.45 of 1000.00", o.Value)
	}

	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := n.Stop(); err != nil { // twice is fine
		t.Fatal(err)
	}
	store, err := state.OpenStore(filepath.Join(l.Validators[0].Home, "app"))
	if err != nil {
		t.Fatal(err) // the node must have closed it
	}
	h1, hash1, err := store.Committed()
	store.Close()
	if err != nil || h1 < 2 {
		t.Fatalf("app state after stop: height %d, %v", h1, err)
	}

	n2, err := node.Start(ctx, l.Validators[0].Home, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer n2.Stop()
	// A new client: CometBFT's Stop closes the RPC listener but not the
	// kept-alive connections, which the old node would go on answering.
	c, err = client.Dial(n2.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := waitApp(c, h1+2)
	if st, err := c.Status(ctx, txid); err != nil || st.Height == 0 {
		t.Fatalf("after restart, the transfer's status: %+v %v", st, err)
	}
	t.Logf("stopped at height %d (app hash %X), restarted and went on to %d", h1, hash1, h2)
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestWriteWithIdentities: a testnet written with Identities gives every
// bank, issuer and the regulator the signing and memo keys of its home in
// the earlier testnet (the keys that signed its ceremony contributions),
// and the genesis lists them; a party missing there is an error naming
// its home, and nothing is written.
func TestWriteWithIdentities(t *testing.T) {
	first, err := testnet.Write(filepath.Join(t.TempDir(), "ids"), testnet.Options{Validators: 1})
	if err != nil {
		t.Fatal(err)
	}
	l, err := testnet.Write(filepath.Join(t.TempDir(), "net"), testnet.Options{Validators: 1, ChainID: "sable-prod",
		KeysFrom: first.KeysDir, Identities: first.Dir})
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]ledger.GenesisParty{}
	for _, p := range l.Genesis.Parties {
		listed[p.ID] = p
	}
	homes := append(append([]testnet.Party{first.Regulator}, first.Banks...), first.Issuers...)
	for i, now := range append(append([]testnet.Party{l.Regulator}, l.Banks...), l.Issuers...) {
		was, err := party.LoadIdentity(homes[i].Home)
		if err != nil {
			t.Fatal(err)
		}
		is, err := party.LoadIdentity(now.Home)
		if err != nil {
			t.Fatal(err)
		}
		if !is.Sign.Equal(was.Sign) || is.MemoKey != was.MemoKey || is.Config.ID != was.Config.ID || is.Config.ChainID != "sable-prod" {
			t.Errorf("%s: keys or chain differ from its earlier home", now.ID)
		}
		if listed[now.ID] != is.GenesisParty() {
			t.Errorf("%s: the genesis lists %+v, its home %+v", now.ID, listed[now.ID], is.GenesisParty())
		}
	}

	if err := os.RemoveAll(first.Banks[2].Home); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "net2")
	_, err = testnet.Write(out, testnet.Options{Validators: 1, KeysFrom: first.KeysDir, Identities: first.Dir})
	if err == nil || !strings.Contains(err.Error(), first.Banks[2].Home) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("a party missing from the identities: %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a testnet that failed left %s behind (%v)", out, err)
	}
}
