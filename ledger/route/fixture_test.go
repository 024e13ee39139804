package route

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sable-settlement/sable/ledger"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the fixtures' expected outputs (review the diff by hand)")

// TestFixtures runs the fixture files in testdata: each sets up quotes,
// balances and a height with directives, and each "pay" directive is
// followed by "----" and the plan (Route.String) or the error it must give.
//
//	height 10
//	quote ID PROVIDER FROM/TO RATE min=X max=X [left=X] expiry=H [unproven]
//	balance CUR X
//	reset
//	pay deliver=CUR amount=X [from=CUR,CUR] [max-cost=BPS] [payer=BANK] [to=BANK]
//	----
//	route: …
//
// RATE is a decimal, minor units of TO per minor unit of FROM, its digits
// after the point the scale; amounts are decimals in the currency's major
// units (min, max and left in TO).
func TestFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) { runFixture(t, file) })
	}
}

type fixture struct {
	height   int64
	quotes   []Quote
	balances map[ledger.Currency]uint64
}

func runFixture(t *testing.T, file string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	fx := &fixture{balances: map[ledger.Currency]uint64{}}
	var out []string // the file, with expected outputs replaced by actual ones
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		out = append(out, line)
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		where := fmt.Sprintf("%s:%d", file, i+1)
		if fields[0] != "pay" {
			if err := fx.directive(fields); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			continue
		}
		if i+1 >= len(lines) || lines[i+1] != "----" {
			t.Fatalf("%s: pay without ---- after it", where)
		}
		i++
		out = append(out, "----")
		var want []string
		for i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != "" {
			i++
			want = append(want, lines[i])
		}
		got, err := fx.pay(fields[1:])
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		out = append(out, got...)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: %s\n got:\n%s\nwant:\n%s", where, line, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	if *rewrite {
		if err := os.WriteFile(file, []byte(strings.Join(out, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func (fx *fixture) directive(f []string) error {
	switch f[0] {
	case "height":
		h, err := strconv.ParseInt(f[1], 10, 64)
		fx.height = h
		return err
	case "reset":
		fx.quotes, fx.balances = nil, map[ledger.Currency]uint64{}
		return nil
	case "balance":
		c, err := ledger.ParseCurrency(f[1])
		if err != nil {
			return err
		}
		v, err := ledger.ParseAmount(c, f[2])
		fx.balances[c] = v
		return err
	case "quote":
		return fx.quote(f[1:])
	}
	return fmt.Errorf("unknown directive %q", f[0])
}

func (fx *fixture) quote(f []string) error {
	if len(f) < 4 {
		return fmt.Errorf("quote: want ID PROVIDER FROM/TO RATE key=value…")
	}
	q := Quote{ID: f[0], Provider: f[1], Proven: true}
	a, b, _ := strings.Cut(f[2], "/")
	var err error
	if q.From, err = ledger.ParseCurrency(a); err != nil {
		return err
	}
	if q.To, err = ledger.ParseCurrency(b); err != nil {
		return err
	}
	whole, frac, _ := strings.Cut(f[3], ".")
	q.Scale = uint8(len(frac))
	if q.Rate, err = strconv.ParseUint(whole+frac, 10, 64); err != nil {
		return err
	}
	left := ""
	for _, kv := range f[4:] {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "min":
			q.Min, err = ledger.ParseAmount(q.To, v)
		case "max":
			q.Max, err = ledger.ParseAmount(q.To, v)
		case "left":
			left = v
		case "expiry":
			q.Expiry, err = strconv.ParseInt(v, 10, 64)
		case "unproven":
			q.Proven = false
		default:
			err = fmt.Errorf("quote: unknown key %q", k)
		}
		if err != nil {
			return err
		}
	}
	q.Remaining = q.Max
	if left != "" {
		if q.Remaining, err = ledger.ParseAmount(q.To, left); err != nil {
			return err
		}
	}
	fx.quotes = append(fx.quotes, q)
	return nil
}

// pay plans a payment and returns its description, or the error's text;
// an error in the directive itself is returned as an error.
func (fx *fixture) pay(f []string) ([]string, error) {
	req := Request{Balances: fx.balances, Quotes: fx.quotes, Height: fx.height}
	var amount string
	for _, kv := range f {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "deliver":
			req.Deliver, err = ledger.ParseCurrency(v)
		case "amount":
			amount = v
		case "from":
			for _, c := range strings.Split(v, ",") {
				cur, err := ledger.ParseCurrency(c)
				if err != nil {
					return nil, err
				}
				req.From = append(req.From, cur)
			}
		case "payer":
			req.Payer = v
		case "to":
			req.Beneficiary = v
		case "max-cost":
			n, perr := strconv.ParseInt(v, 10, 64)
			req.MaxCostBps, err = &n, perr
		default:
			err = fmt.Errorf("pay: unknown key %q", k)
		}
		if err != nil {
			return nil, err
		}
	}
	var err error
	if req.Amount, err = ledger.ParseAmount(req.Deliver, amount); err != nil {
		return nil, err
	}
	r, err := Plan(req)
	if err != nil {
		return []string{"error: " + err.Error()}, nil
	}
	if msg := checkRoute(req, r); msg != "" {
		return nil, fmt.Errorf("unsound route: %s\n%s", msg, r)
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(r.String()))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines, nil
}
