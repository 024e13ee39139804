package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sable-settlement/sable/ledger/audit"
)

// TestPrintAuditFX: the audit table lists each pair's volumes and each
// provider's net FX position, and prints no FX section without FX.
func TestPrintAuditFX(t *testing.T) {
	rep := &audit.Report{
		FX:          []audit.FXVolume{{Pair: "SGD/USD", Sell: "SGD", Buy: "USD", SellVolume: "121185.43", BuyVolume: "90000.00"}},
		FXPositions: map[string]map[string]string{"bank-us": {"SGD": "67204.30", "USD": "-50000.00"}},
	}
	var b bytes.Buffer
	printAudit(&b, rep)
	out := b.String()
	for _, want := range []string{"FX volumes per pair", "SGD/USD  SGD              121185.43  USD               90000.00", "bank-us      USD -50000.00 SGD 67204.30"} {
		if !strings.Contains(out, want) {
			t.Errorf("the audit table lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	printAudit(&b, &audit.Report{})
	if strings.Contains(b.String(), "FX") {
		t.Errorf("an audit without FX prints an FX section:\n%s", b.String())
	}
}
