package main

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestReceiptCLI: a bank pays a bulk transfer while it serves its proving
// time on --metrics-addr; the payer writes the receipt of one payment and
// the receiver of another; 'sable receipt verify' accepts both from the
// genesis file (and from the node), names payer, receiver and amount, and
// refuses a receipt whose amount was changed. A third bank cannot write the
// receipt, and every misuse is one error line.
func TestReceiptCLI(t *testing.T) {
	l, _ := network(t)
	a, b, c := l.Banks[0], l.Banks[1], l.Banks[2]
	amounts := []string{"1.01", "2.02", "3.03", "4.04", "5.05", "6.06", "7.07", "8.08"}
	addr := freeAddr(t)
	args := []string{"transfer", "--home", a.Home, "--to", b.ID, "--currency", "SGD", "--wait", "--metrics-addr", addr}
	for _, x := range amounts {
		args = append(args, "--amount", x)
	}
	done := make(chan result, 1)
	go func() { done <- sable(t, args...) }()
	seen := watchProofs(t, "http://"+addr+"/metrics", done)
	res := <-done
	if res.code != 0 {
		t.Fatalf("transfer: exit %d %q", res.code, res.stderr)
	}
	if seen < 1 {
		t.Fatalf("the transfer's metrics endpoint never showed a proof (saw %d)", seen)
	}
	txid := strings.Fields(res.stdout)[0]

	dir := t.TempDir()
	payer, receiver := filepath.Join(dir, "payer.json"), filepath.Join(dir, "receiver.json")
	ok(t, "receipt", "--home", a.Home, txid, "--payment", "3", "--out", payer)
	ok(t, "receipt", "--home", b.Home, txid, "--payment", "6", "--out", receiver)
	if fi, err := os.Stat(payer); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("receipt file: %v %v", fi, err)
	}
	out := ok(t, "receipt", "verify", payer, "--genesis", l.GenesisFile).stdout
	for _, want := range []string{"valid:", "bank-sg paid SGD 4.04 to bank-hk", "payment 3 of 8", "signed by 1 of 1 validators"} {
		if !strings.Contains(out, want) {
			t.Fatalf("verify says %q, without %q", out, want)
		}
	}
	for _, other := range amounts {
		if other != "4.04" && strings.Contains(out, other) {
			t.Fatalf("verify names another payment's amount %s: %q", other, out)
		}
	}
	var proved map[string]any
	js := ok(t, "receipt", "verify", receiver, "--node", l.Validators[0].RPC, "--json").stdout
	if err := json.Unmarshal([]byte(js), &proved); err != nil || proved["amount"] != "7.07" || proved["valid"] != true {
		t.Fatalf("verify --json: %q %v", js, err)
	}

	t.Run("a mint, from the issuer and from the bank", func(t *testing.T) {
		sgd := issuerOf(t, l, "SGD")
		id := strings.Fields(ok(t, "mint", "--home", sgd.Home, "--to", b.ID, "--currency", "SGD", "--amount", "123.45", "--wait").stdout)[0]
		for _, home := range []string{sgd.Home, b.Home} {
			path := filepath.Join(dir, "mint-"+filepath.Base(home)+".json")
			ok(t, "receipt", "--home", home, id, "--out", path)
			out := ok(t, "receipt", "verify", path, "--genesis", l.GenesisFile).stdout
			if !strings.Contains(out, sgd.ID+" minted SGD 123.45 to "+b.ID) || !strings.Contains(out, "mint ") {
				t.Fatalf("verify says %q", out)
			}
		}
	})
	t.Run("a changed amount is refused", func(t *testing.T) {
		raw, _ := os.ReadFile(payer)
		var r map[string]any
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		r["opening"].(map[string]any)["value"] = "40400" // 404.00 instead of 4.04
		forged, _ := json.Marshal(r)
		path := filepath.Join(dir, "forged.json")
		os.WriteFile(path, forged, 0o600)
		res := sable(t, "receipt", "verify", path, "--genesis", l.GenesisFile)
		if res.code != 1 || !strings.HasPrefix(res.stdout, "invalid: the opening does not open payment 3") {
			t.Fatalf("exit %d %q %q", res.code, res.stdout, res.stderr)
		}
	})
	t.Run("misuse", func(t *testing.T) {
		wantError(t, sable(t, "receipt", "--home", c.Home, txid, "--out", filepath.Join(dir, "c.json")), 1, "not sealed to this party")
		wantError(t, sable(t, "receipt", "--home", a.Home, txid, "--payment", "8", "--out", filepath.Join(dir, "x.json")), 1, "carries 8 payment(s)")
		wantError(t, sable(t, "receipt", "--home", a.Home, strings.Repeat("ab", 32), "--out", filepath.Join(dir, "y.json")), 1, "in no block")
		wantError(t, sable(t, "receipt", "--home", a.Home, "nothex", "--out", filepath.Join(dir, "z.json")), 2, "not 32 bytes of hex")
		wantError(t, sable(t, "receipt", "--home", a.Home, txid), 1, "--out is required")
		wantError(t, sable(t, "receipt", "verify", payer), 2, "one of --genesis or --node")
		wantError(t, sable(t, "receipt", "verify", filepath.Join(dir, "missing.json"), "--genesis", l.GenesisFile), 2, "missing.json")
		for _, f := range []string{"c.json", "x.json", "y.json", "z.json"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
				t.Errorf("a failed receipt left %s", f)
			}
		}
	})
}

// freeAddr returns a loopback address free now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// watchProofs scrapes url until done has a value (put back), and returns
// the largest count of the bank side's proofs it saw.
func watchProofs(t *testing.T, url string, done chan result) int {
	t.Helper()
	seen := 0
	for {
		select {
		case r := <-done:
			done <- r
			return seen
		case <-time.After(20 * time.Millisecond):
		}
		res, err := http.Get(url)
		if err != nil {
			continue // not up yet, or already closed
		}
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "sable_party_prove_seconds_count "); ok {
				n, _ := strconv.Atoi(v)
				seen = max(seen, n)
			}
		}
		res.Body.Close()
	}
}
