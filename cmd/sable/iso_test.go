package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sable-settlement/sable/ledger/iso"
)

const isoTestdata = "../../testdata/iso20022"

// fixISOHeader makes the documents' ids and times fixed.
func fixISOHeader(t *testing.T) {
	savedH, savedNow := isoHeader, isoNow
	isoHeader = func() iso.Header {
		return iso.Header{MsgID: "SABLE-TEST-1", Created: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	}
	isoNow = func() time.Time { return time.Date(2026, 12, 1, 9, 31, 0, 0, time.UTC) }
	t.Cleanup(func() { isoHeader, isoNow = savedH, savedNow })
}

// register publishes a beneficiary token of home's bank in SGD.
func register(t *testing.T, home string) string {
	t.Helper()
	r := sable(t, "beneficiary", "--home", home, "--currency", "SGD", "--class", "corporate", "--wait")
	if r.code != 0 {
		t.Fatalf("beneficiary: exit %d %q", r.code, r.stderr)
	}
	return strings.TrimSpace(r.stdout)
}

var heightRef = regexp.MustCompile(`<ClrSysRef>(\d+)</ClrSysRef>`)

// TestISOSubmitSettles is the test: a pacs.008 with three credit
// transfers (two to bank-hk, one bulk transfer; one to bank-us) settles, and its pacs.002
// gives each ACSC with its block height; messages with an unknown BIC, an
// unknown currency, a 3-decimal amount or no creditor account are RJCT
// with their reason and change no balance; a replay pays nothing; the
// camt.053 balances match 'sable balance'; bank-hk's camt.054 lists the
// two payments it received.
func TestISOSubmitSettles(t *testing.T) {
	fixISOHeader(t)
	l, _ := network(t)
	sg, hk, us := l.Banks[0], l.Banks[1], l.Banks[2]
	hk1, hk2, us1 := register(t, hk.Home), register(t, hk.Home), register(t, us.Home)
	writeISOMapping(t, sg.Home, "SABLSGSGXXX bank-sg\nSABLHKHKXXX bank-hk\nSABLUS33XXX bank-us\n",
		"bank-hk HK-ACCT-1 "+hk1+"\nbank-hk HK-ACCT-2 "+hk2+"\nbank-us US-ACCT-1 "+us1+"\n")
	writeISOMapping(t, hk.Home, "SABLHKHKXXX bank-hk\n", "")
	before := balances(t, sg.Home)

	start := time.Now()
	r := sable(t, "iso", "submit", "--home", sg.Home, "--wait", filepath.Join(isoTestdata, "pacs008_three.xml"))
	if r.code != 0 {
		t.Fatalf("submit: exit %d %q", r.code, r.stderr)
	}
	t.Logf("three credit transfers submitted and settled in %v", time.Since(start).Round(time.Millisecond))
	if n := strings.Count(r.stdout, "<TxSts>ACSC</TxSts>"); n != 3 || !strings.Contains(r.stdout, "<GrpSts>ACSC</GrpSts>") {
		t.Fatalf("want 3 ACSC:\n%s", r.stdout)
	}
	if hs := heightRef.FindAllStringSubmatch(r.stdout, -1); len(hs) != 3 || hs[0][1] == "0" {
		t.Fatalf("no block heights: %v", hs)
	}
	if !strings.Contains(r.stdout, " pmt 0</AddtlInf>") || !strings.Contains(r.stdout, " pmt 1</AddtlInf>") {
		t.Fatalf("the two transfers to bank-hk are not one bulk transfer:\n%s", r.stdout)
	}
	after := balances(t, sg.Home)
	if after["SGD"] != "880.25" || after["USD"] != before["USD"] {
		t.Fatalf("balances %v → %v, want SGD 1000.00 − 119.75", before, after)
	}

	for _, c := range []struct{ file, reason string }{
		{"pacs008_unknown_bic.xml", "RC01"}, {"pacs008_unknown_currency.xml", "AM03"},
		{"pacs008_three_decimals.xml", "AM12"}, {"pacs008_missing_creditor.xml", "BE04"},
		{"pacs008_three.xml", "DUPL"},
	} {
		r := sable(t, "iso", "submit", "--home", sg.Home, "--wait", filepath.Join(isoTestdata, c.file))
		wantError(t, r, 1, "nothing paid: "+c.reason)
		if !strings.Contains(r.stdout, "<GrpSts>RJCT</GrpSts>") || !strings.Contains(r.stdout, "<Cd>"+c.reason+"</Cd>") || strings.Contains(r.stdout, "ACSC") && c.reason != "DUPL" {
			t.Fatalf("%s: pacs.002 is not RJCT %s:\n%s", c.file, c.reason, r.stdout)
		}
	}
	if got := balances(t, sg.Home); got["SGD"] != "880.25" {
		t.Fatalf("a refused message moved the balance: %v", got)
	}

	r = sable(t, "iso", "status", "--home", sg.Home, "--uetr", "8a562c67-ca16-48ba-b074-65581be6f013")
	if r.code != 0 || strings.Count(r.stdout, "<TxSts>ACSC</TxSts>") != 1 || !heightRef.MatchString(r.stdout) {
		t.Fatalf("status by UETR: exit %d %q\n%s", r.code, r.stderr, r.stdout)
	}

	r = sable(t, "iso", "statement", "--home", sg.Home, "--currency", "SGD")
	if r.code != 0 {
		t.Fatalf("statement: exit %d %q", r.code, r.stderr)
	}
	closing := `<Amt Ccy="SGD">` + balances(t, sg.Home)["SGD"] + `</Amt>`
	for _, want := range []string{"<Cd>OPBD</Cd>", `<Amt Ccy="SGD">1000.00</Amt>`, "<Cd>CLBD</Cd>", closing, "<EndToEndId>E2E-3</EndToEndId>"} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("camt.053 lacks %s:\n%s", want, r.stdout)
		}
	}
	if strings.Count(r.stdout, "<Ntry>") != 3 {
		t.Fatalf("camt.053 has not 3 entries:\n%s", r.stdout)
	}

	r = sable(t, "iso", "notify", "--home", hk.Home, "--currency", "SGD")
	if r.code != 0 || strings.Count(r.stdout, "<CdtDbtInd>CRDT</CdtDbtInd>") != 4 || !strings.Contains(r.stdout, `<Amt Ccy="SGD">7.25</Amt>`) {
		t.Fatalf("camt.054: exit %d %q\n%s", r.code, r.stderr, r.stdout)
	}
	if r = sable(t, "iso", "notify", "--home", hk.Home, "--currency", "SGD"); r.code != 0 || r.stdout != "" {
		t.Fatalf("a second notify repeats: %q", r.stdout)
	}
}

func writeISOMapping(t *testing.T, home, agents, accounts string) {
	t.Helper()
	if err := os.MkdirAll(iso.Dir(home), 0o700); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"agents": agents, "accounts": accounts} {
		if err := os.WriteFile(filepath.Join(iso.Dir(home), name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestISOUsage: bad input fails with one error line, before any node is
// asked.
func TestISOUsage(t *testing.T) {
	home := t.TempDir()
	wantError(t, sable(t, "iso"), 2, "needs a subcommand")
	wantError(t, sable(t, "iso", "submit", "--home", home), 2, "FILE.xml")
	wantError(t, sable(t, "iso", "submit", "--home", home, filepath.Join(home, "none.xml")), 1, "no such file")
	wantError(t, sable(t, "iso", "statement", "--home", home, "--currency", "GBP"), 1, "")
	msg := filepath.Join(isoTestdata, "pacs008_three.xml")
	r := sable(t, "iso", "submit", "--home", home, msg)
	wantError(t, r, 1, "agents")
	writeISOMapping(t, home, "SABLSGSGXXX bank-sg\nSABLHKHK bank hk\n", "")
	r = sable(t, "iso", "submit", "--home", home, msg)
	wantError(t, r, 1, "line 2")
	if !strings.Contains(r.stderr, "sable: hint: agents: one") {
		t.Fatalf("no hint on the mapping's format: %q", r.stderr)
	}
}
