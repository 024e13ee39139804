package iso

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/sable-settlement/sable/ledger"
)

// Dir is the ISO 20022 directory in a bank's home.
func Dir(home string) string { return filepath.Join(home, "iso20022") }

// bicPattern is ISO 9362 (BICFIDec2014Identifier), anchored.
var bicPattern = regexp.MustCompile(`^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$`)

// NormBIC returns an 11-character BIC: an 8-character BIC is its primary
// office, XXX. ok is false for anything that is not a BIC.
func NormBIC(s string) (string, bool) {
	if !bicPattern.MatchString(s) {
		return "", false
	}
	if len(s) == 8 {
		s += "XXX"
	}
	return s, true
}

// Mapping is a bank's view of its counterparties for ISO 20022: which
// Sable bank a BIC is, and which beneficiary token a creditor account is.
type Mapping struct {
	Banks    map[string]string   // 11-character BIC → bank id
	BICs     map[string]string   // bank id → BIC (the first line naming it)
	Accounts map[string][32]byte // "bank-id account" → token
}

// ErrMapping is a mapping file that cannot be used.
var ErrMapping = errors.New("iso: bad mapping file")

// LoadMapping reads home's agents and accounts files. A missing accounts
// file is an empty one; a missing agents file is an error: no BIC could
// be paid.
func LoadMapping(home string) (*Mapping, error) {
	m := &Mapping{Banks: map[string]string{}, BICs: map[string]string{}, Accounts: map[string][32]byte{}}
	agents := filepath.Join(Dir(home), "agents")
	raw, err := os.ReadFile(agents)
	if err != nil {
		return nil, fmt.Errorf("iso: %w (write one \"BIC BANK-ID\" per line)", err)
	}
	if err := m.parseAgents(agents, raw); err != nil {
		return nil, err
	}
	accounts := filepath.Join(Dir(home), "accounts")
	raw, err = os.ReadFile(accounts)
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("iso: %w", err)
	}
	return m, m.parseAccounts(accounts, raw)
}

// lines calls fn with the fields of each line that is neither blank nor a
// comment, and its number.
func lines(raw []byte, fn func(n int, f []string) error) error {
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := fn(n, strings.Fields(line)); err != nil {
			return err
		}
	}
	return sc.Err()
}

func badLine(path string, n int, format string, a ...any) error {
	return fmt.Errorf("%w: %s line %d: %s", ErrMapping, path, n, fmt.Sprintf(format, a...))
}

func (m *Mapping) parseAgents(path string, raw []byte) error {
	return lines(raw, func(n int, f []string) error {
		if len(f) != 2 {
			return badLine(path, n, "want \"BIC BANK-ID\", got %d fields", len(f))
		}
		bic, ok := NormBIC(f[0])
		if !ok {
			return badLine(path, n, "%q is not a BIC (8 or 11 capitals and digits)", f[0])
		}
		if !ledger.ValidID(f[1]) {
			return badLine(path, n, "%q is not a bank id such as bank-sg", f[1])
		}
		if _, dup := m.Banks[bic]; dup {
			return badLine(path, n, "BIC %s is mapped twice", bic)
		}
		m.Banks[bic] = f[1]
		if _, ok := m.BICs[f[1]]; !ok {
			m.BICs[f[1]] = bic
		}
		return nil
	})
}

func (m *Mapping) parseAccounts(path string, raw []byte) error {
	return lines(raw, func(n int, f []string) error {
		if len(f) != 3 {
			return badLine(path, n, "want \"BANK-ID ACCOUNT TOKEN\", got %d fields", len(f))
		}
		if !ledger.ValidID(f[0]) {
			return badLine(path, n, "%q is not a bank id such as bank-hk", f[0])
		}
		if len(f[1]) > 34 {
			return badLine(path, n, "account %q is longer than 34 characters", f[1])
		}
		tok, err := hex.DecodeString(f[2])
		if err != nil || len(tok) != 32 {
			return badLine(path, n, "the token is not 32 bytes of hex")
		}
		key := accountKey(f[0], f[1])
		if _, dup := m.Accounts[key]; dup {
			return badLine(path, n, "account %s of %s is mapped twice", f[1], f[0])
		}
		m.Accounts[key] = [32]byte(tok)
		return nil
	})
}

func accountKey(bank, account string) string { return bank + " " + account }
