package node_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sable-settlement/sable/internal/localnet"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/node"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/ledger/testnet"
)

// TestMetricsEndpoint starts a validator as 'sable testnet' writes it
// (instrumentation on), pays a transfer and sends one transaction that is
// refused, then scrapes the node's Prometheus endpoint over HTTP: every
// metric of the app is there beside CometBFT's, with the values the
// traffic implies, and no amount appears in the scrape.
func TestMetricsEndpoint(t *testing.T) {
	l, err := localnet.Write(t.TempDir(), testnet.Options{Validators: 1, Fund: "1000000", TimeoutCommit: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.Start(context.Background(), l.Validators[0].Home, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	if n.MetricsURL() != l.Validators[0].Metrics || n.MetricsURL() == "" {
		t.Fatalf("metrics at %q, the layout says %q", n.MetricsURL(), l.Validators[0].Metrics)
	}
	c, err := client.Dial(n.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := localnet.WaitHeight(c, 2, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	s, err := party.Open(l.Banks[0].Home, n.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const amt = 87_654_321 // minor units; must not appear in the scrape
	ctx := context.Background()
	id, err := s.Sender.Transfer(ctx, party.TransferRequest{To: l.Banks[1].ID, Currency: ledger.Currency{'U', 'S', 'D'}, Amount: amt})
	if err != nil {
		t.Fatal(err)
	}
	if o, err := c.WaitCommitted(ctx, id, 30*time.Second); err != nil || o.State != "committed" {
		t.Fatalf("transfer: %+v %v", o, err)
	}
	if err := c.BroadcastRaw(ctx, []byte{ledger.TxVersion, 99}); err == nil { // truncated: code 1
		t.Fatal("an unknown kind of transaction was accepted")
	}
	h, _, _ := c.Height(ctx)

	m, raw := scrape(t, n.MetricsURL())
	atLeast := map[string]float64{
		`sable_checktx_total`:                                                        2,
		`sable_tx_rejected_total{code="1",stage="check"}`:                            1,
		`sable_tx_applied_total{kind="transfer"}`:                                    1,
		`sable_proof_verify_seconds_count{mode="single"}`:                            1,
		`sable_proofs_verified_total{circuit="transfer",mode="single",valid="true"}`: 1,
		`sable_he_flows_total`:                                                       1,
		`sable_he_flow_bytes_total`:                                                  10_000, // one flow ciphertext is tens of KB
		`sable_he_aggregate_additions_total`:                                         1,      // one addition into the currency's book
		`sable_he_aggregates_updated_total`:                                          1,      // that book rewritten
		`sable_he_aggregation_seconds_count`:                                         1,
		`sable_supply_checks_total{result="ok"}`:                                     1,
		`sable_height`:                                                               float64(h),
		`cometbft_consensus_height`:                                                  float64(h),
	}
	for name, min := range atLeast {
		v, ok := m[name]
		if !ok {
			t.Errorf("%s is not in the scrape", name)
			continue
		}
		if v < min {
			t.Errorf("%s = %g, want at least %g", name, v, min)
		}
	}
	if v := m[`sable_he_aggregation_seconds_sum`]; v <= 0 || v > 60 {
		t.Errorf("HE aggregation took %g s in all", v)
	}
	for _, s := range []string{strconv.Itoa(amt), ledger.FormatAmount(ledger.Currency{'U', 'S', 'D'}, amt)} {
		if strings.Contains(raw, s) {
			t.Errorf("the scrape carries the amount %s", s)
		}
	}
	// The dashboard shows every metric of the app.
	dash, err := os.ReadFile(filepath.Join("..", "..", "grafana", "sable.json"))
	if err != nil {
		t.Fatal(err)
	}
	families := 0
	for _, line := range strings.Split(raw, "\n") {
		if name, ok := strings.CutPrefix(line, "# TYPE sable_"); ok {
			families++
			if name = "sable_" + strings.Fields(name)[0]; !strings.Contains(string(dash), name) {
				t.Errorf("grafana/sable.json has no panel for %s", name)
			}
		}
	}
	if families < 13 {
		t.Errorf("the scrape has %d families of sable_ metrics, want 13", families)
	}
	t.Logf("scraped %d series from %s", len(m), n.MetricsURL())
	for _, line := range strings.Split(raw, "\n") {
		if strings.HasPrefix(line, "sable_") && !strings.Contains(line, "_bucket") {
			t.Log(line)
		}
	}
}

// scrape reads a Prometheus text exposition into series → value.
func scrape(t *testing.T, url string) (map[string]float64, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", url, res.Status, err)
	}
	m := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		name := line[:i]
		if j := strings.Index(name, `{chain_id="`); j >= 0 { // CometBFT's only label here
			name = name[:j]
		}
		m[name] = v
	}
	return m, string(body)
}
