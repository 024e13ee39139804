package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sable-settlement/sable/ledger"
)

// TestAmountsAreUnambiguous: a comma is refused with a hint, never read
// as several payments or as a decimal point; several payments are several
// --amount flags or a file; a mint takes one --amount.
func TestAmountsAreUnambiguous(t *testing.T) {
	usd, _ := ledger.ParseCurrency("USD")
	if _, err := ledger.ParseAmount(usd, "1,500"); !errors.Is(err, ledger.ErrThousandsSeparator) {
		t.Fatalf("ParseAmount(1,500): %v", err)
	}
	if v, err := ledger.ParseAmount(usd, "1500.00"); err != nil || v != 150000 {
		t.Fatalf("ParseAmount(1500.00) = %d, %v", v, err)
	}
	dir := t.TempDir()
	file := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	many := make([]string, 0, 2*(ledger.MaxBatchPayments+1))
	for range ledger.MaxBatchPayments + 1 {
		many = append(many, "--amount", "1")
	}
	transfer := []string{"transfer", "--home", filepath.Join(dir, "nohome"), "--to", "bank-hk", "--currency", "SGD"}
	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		mention string
		hint    string
	}{
		{"thousands", append(transfer, "--amount", "1,500"), 1, `--amount "1,500": thousands separators are not accepted`,
			"write 1500.00, or repeat --amount for several payments (--amount 1 --amount 500)"},
		{"old bulk syntax", append(transfer, "--amount", "10,20.5,30"), 1, "thousands separators",
			"(--amount 10 --amount 20.5 --amount 30)"},
		{"a comma among repeated flags", append(transfer, "--amount", "10", "--amount", "2,5"), 1, `"2,5"`, "--amount 2 --amount 5"},
		{"JPY", []string{"transfer", "--to", "bank-hk", "--currency", "JPY", "--amount", "1,500"}, 1, "thousands", "write 1500,"},
		{"file line with a comma", append(transfer, "--amounts-file", file("a.txt", "10\n\n# fees\n1,500\n")), 1,
			"a.txt:4: \"1,500\": thousands separators", "one payment per line"},
		{"empty file", append(transfer, "--amounts-file", file("e.txt", "\n# none\n")), 1, "holds no amount", ""},
		{"missing file", append(transfer, "--amounts-file", filepath.Join(dir, "nope")), 1, "no such file", ""},
		{"flags and file", append(transfer, "--amount", "1", "--amounts-file", file("b.txt", "1\n")), 1, "not both", ""},
		{"no amount", transfer, 1, "--amount is required", "repeat it"},
		{"zero", append(transfer, "--amount", "0.00"), 1, "is 0", ""},
		{"257 payments", append(transfer, many...), 1, "at most 256", ""},
		{"batch: a short CSV line", []string{"transfer", "--home", filepath.Join(dir, "nohome"), "--batch", file("b1.csv", "receiver,currency,amount\nbank-hk,SGD,1.00\nbank-hk,SGD\n")}, 1,
			"b1.csv:3: \"bank-hk,SGD\" is not receiver,currency,amount[,beneficiary]", "bank-hk,SGD,1250.50"},
		{"batch: a JSON line's currency", []string{"transfer", "--batch", file("b2.jsonl", `{"receiver": "bank-hk", "currency": "SGD", "amount": "1"}`+"\n\n"+`{"receiver": "bank-hk", "currency": "XYZ", "amount": "1"}`+"\n")}, 1,
			"b2.jsonl:3: currency", ""},
		{"batch: a JSON line's unknown field", []string{"transfer", "--batch", file("b3.jsonl", `{"receiver": "bank-hk", "currency": "SGD", "amount": "1", "memo": "x"}`+"\n")}, 1,
			"b3.jsonl:1: json: unknown field", `{"receiver": "bank-hk"`},
		{"batch: thousands in a quoted amount", []string{"transfer", "--batch", file("b4.csv", "bank-hk,SGD,\"1,500\"\n")}, 1,
			"b4.csv:1: amount \"1,500\": thousands separators", "write 1500.00"},
		{"batch: a bad receiver", []string{"transfer", "--batch", file("b5.csv", "Bank HK,SGD,1\n")}, 1, `b5.csv:1: receiver "Bank HK"`, ""},
		{"batch: a short beneficiary", []string{"transfer", "--batch", file("b6.csv", "bank-hk,SGD,1,abcd\n")}, 1, "b6.csv:1: beneficiary", ""},
		{"batch: empty", []string{"transfer", "--batch", file("b7.csv", "# nothing\n")}, 1, "holds no payment", "bank-hk,SGD,1250.50"},
		{"batch and --to", append(transfer, "--batch", file("b8.csv", "bank-hk,SGD,1\n")), 1, "leave out --to", ""},
		{"window without batch", append(transfer, "--amount", "1", "--batch-window", "1s"), 1, "--batch-window needs --batch", "--batch -"},
		{"a beneficiary that is not a token", append(transfer, "--amount", "1", "--beneficiary", strings.Repeat("ab", 31)), 1, "--beneficiary is not a 32-byte hex token", ""},
		{"a beneficiary that is not hex", append(transfer, "--amount", "1", "--beneficiary", strings.Repeat("zz", 32)), 1, "--beneficiary is not a 32-byte hex token", ""},
		{"beneficiary with several", append(transfer, "--amount", "1", "--amount", "2", "--beneficiary", strings.Repeat("ab", 32)), 1, "single payment", ""},
		{"mint thousands", []string{"mint", "--to", "bank-hk", "--currency", "SGD", "--amount", "1,500"}, 1, "thousands separators", "write 1500.00"},
		{"mint twice", []string{"mint", "--to", "bank-hk", "--currency", "SGD", "--amount", "1", "--amount", "2"}, 2, "more than once", ""},
		{"burn twice", []string{"burn", "--currency", "SGD", "--amount", "1", "--amount", "2"}, 2, "more than once", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := sable(t, tc.args...)
			wantError(t, r, tc.code, tc.mention)
			if tc.hint != "" && !strings.Contains(r.stderr, "\nsable: hint: ") || !strings.Contains(r.stderr, tc.hint) {
				t.Fatalf("stderr %q lacks the hint %q", r.stderr, tc.hint)
			}
			if tc.name == "mint thousands" && strings.Contains(r.stderr, "repeat --amount") {
				t.Fatalf("a mint's hint offers several payments: %q", r.stderr)
			}
		})
	}
}

// TestGroupsRefuseUnknownSubcommands: a group run alone or with a word
// that is none of its subcommands exits 2 with one line, not 0 with help.
func TestGroupsRefuseUnknownSubcommands(t *testing.T) {
	wantError(t, sable(t, "wallet", "bogus"), 2, `unknown command "bogus" for "sable wallet"; want recover or sync`)
	wantError(t, sable(t, "wallet"), 2, `"sable wallet" needs a subcommand: recover or sync`)
	if r := sable(t, "wallet", "--help"); r.code != 0 || !strings.Contains(r.stdout, "sync") {
		t.Fatalf("wallet --help: exit %d %q", r.code, r.stdout)
	}
	// Every group, once requireSubcommands covers the root (see root.go).
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"prove", "burn"}, `unknown command "burn" for "sable prove"; want mint or transfer`},
		{[]string{"export", "png"}, `unknown command "png" for "sable export"; want snarkjs or solidity`},
		{[]string{"export"}, `"sable export" needs a subcommand: snarkjs or solidity`},
		{[]string{"wallet", "sink"}, `want recover or sync`},
	} {
		var out, errb bytes.Buffer
		root := newRoot(&out, &errb)
		requireSubcommands(root)
		root.SetArgs(tc.args)
		err := root.Execute()
		var ce *cliError
		if !errors.As(err, &ce) || ce.code != 2 || !strings.Contains(ce.Error(), tc.want) || out.Len() != 0 {
			t.Errorf("sable %s: %v (stdout %q), want exit 2 and %q", strings.Join(tc.args, " "), err, out.String(), tc.want)
		}
	}
}

// A batch file as a spreadsheet exports it (a byte order mark before the
// header, Windows line ends) reads like a plain one.
func TestBatchFileFromSpreadsheet(t *testing.T) {
	reqs, err := readBatchFile("-", strings.NewReader("\ufeffReceiver,Currency,Amount\r\nbank-hk,SGD,1250.50\r\nbank-us, USD ,2\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 2 || reqs[0].To != "bank-hk" || reqs[0].Amount != 125050 || reqs[1].Currency.String() != "USD" || reqs[1].Amount != 200 {
		t.Fatalf("read %+v", reqs)
	}
}
