package ledger

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Currency is an ISO 4217 code.
type Currency [3]byte

// Currencies lists the currencies Sable settles, in a fixed order, with
// their minor units (digits after the decimal point).
var Currencies = []struct {
	Code  Currency
	Minor int
}{
	{Currency{'U', 'S', 'D'}, 2},
	{Currency{'S', 'G', 'D'}, 2},
	{Currency{'H', 'K', 'D'}, 2},
	{Currency{'T', 'H', 'B'}, 2},
	{Currency{'E', 'U', 'R'}, 2},
	{Currency{'J', 'P', 'Y'}, 0},
	{Currency{'C', 'N', 'Y'}, 2},
}

func (c Currency) String() string { return string(c[:]) }

// Known reports whether c is one of Currencies.
func (c Currency) Known() bool { return c.MinorDigits() >= 0 }

func (c Currency) MinorDigits() int {
	for _, k := range Currencies {
		if k.Code == c {
			return k.Minor
		}
	}
	return -1
}

// ParseCurrency reads a currency code such as "SGD".
func ParseCurrency(s string) (Currency, error) {
	var c Currency
	if len(s) != 3 {
		return c, fmt.Errorf("ledger: unknown currency %q (want one of USD SGD HKD THB EUR JPY CNY)", s)
	}
	copy(c[:], strings.ToUpper(s))
	if !c.Known() {
		return c, fmt.Errorf("ledger: unknown currency %q (want one of USD SGD HKD THB EUR JPY CNY)", s)
	}
	return c, nil
}

// ErrThousandsSeparator is an amount written with a comma: "1,500" is
// refused rather than read as 1.500, 1500 or two payments.
var ErrThousandsSeparator = errors.New("thousands separators are not accepted")

// ParseAmount reads a decimal amount in c's major units ("1250.50") into
// minor units (125050). It refuses more decimals than c has, signs,
// exponents, commas (ErrThousandsSeparator) and anything at or beyond 2^64
// minor units.
func ParseAmount(c Currency, s string) (uint64, error) {
	minor := c.MinorDigits()
	if strings.Contains(s, ",") {
		example := "1500"
		if minor > 0 {
			example += "." + strings.Repeat("0", minor)
		}
		return 0, fmt.Errorf("ledger: amount %q: %w (write %s, not 1,500)", s, ErrThousandsSeparator, example)
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || strings.ContainsAny(whole+frac, "+-eE_ ") || (hasDot && frac == "") {
		return 0, fmt.Errorf("ledger: amount %q is not a decimal number like 1250.50", s)
	}
	if len(frac) > minor {
		return 0, fmt.Errorf("ledger: amount %q has more than %d decimals for %s", s, minor, c)
	}
	digits := whole + frac + strings.Repeat("0", minor-len(frac))
	v, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return 0, fmt.Errorf("ledger: amount %q is not a decimal number like 1250.50", s)
	}
	if !v.IsUint64() {
		return 0, fmt.Errorf("ledger: amount %q is too large", s)
	}
	return v.Uint64(), nil
}

// FormatAmount renders minor units in major units with c's decimals.
func FormatAmount(c Currency, v uint64) string {
	return FormatBig(c, new(big.Int).SetUint64(v))
}

// FormatBig renders a (possibly large or negative) count of minor units.
func FormatBig(c Currency, v *big.Int) string {
	minor := c.MinorDigits()
	s := new(big.Int).Abs(v).String()
	sign := ""
	if v.Sign() < 0 {
		sign = "-"
	}
	if minor <= 0 {
		return sign + s
	}
	if len(s) <= minor {
		s = strings.Repeat("0", minor-len(s)+1) + s
	}
	return sign + s[:len(s)-minor] + "." + s[len(s)-minor:]
}
