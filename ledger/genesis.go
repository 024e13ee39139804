package ledger

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/zkp"
)

// Genesis is the application's part of the chain's genesis (CometBFT's
// app_state): who exists, who issues what, the opening balances as
// commitments, and the hashes of the verifying keys every proof is checked
// with.
type Genesis struct {
	VKHashes GenesisKeys      `json:"vk_hashes"`
	Parties  []GenesisParty   `json:"parties"`
	Issuers  []GenesisIssuer  `json:"issuers"`
	Accounts []GenesisAccount `json:"accounts"`
	// HEPublicKey is the regulator's homomorphic-encryption key (hex), when
	// flows are required.
	HEPublicKey string `json:"he_public_key,omitempty"`
}

// GenesisKeys pins the verifying keys by hash.
type GenesisKeys struct {
	Transfer string `json:"transfer"`
	Mint     string `json:"mint"`
}

// GenesisParty is a party known at genesis.
type GenesisParty struct {
	ID      string `json:"id"`
	Role    string `json:"role"` // bank, issuer or regulator
	Country string `json:"country"`
	SignKey string `json:"sign_key"` // Ed25519 public key, hex
	MemoKey string `json:"memo_key"` // X25519 public key, hex
}

// GenesisIssuer names a currency's issuer.
type GenesisIssuer struct {
	Currency string `json:"currency"`
	Party    string `json:"party"`
}

// GenesisAccount is an account open at genesis with its available balance.
type GenesisAccount struct {
	Party     string `json:"party"`
	Currency  string `json:"currency"`
	Available string `json:"available"` // commitment hex
	// Flow is the opening balance's flow encrypted to the regulator (hex),
	// so that the account's inflow aggregate starts with it; required for a
	// funded account when the chain has an HE key.
	Flow string `json:"flow,omitempty"`
}

var roles = map[string]uint8{"bank": RoleBank, "issuer": RoleIssuer, "regulator": RoleRegulator}

// ParseGenesis reads and checks the app state, reporting every problem at
// once.
func ParseGenesis(data []byte) (*Genesis, error) {
	var g Genesis
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		return nil, fmt.Errorf("ledger: genesis app_state: %w", err)
	}
	if errs := g.problems(); len(errs) > 0 {
		return nil, fmt.Errorf("ledger: genesis app_state: %s", strings.Join(errs, "; "))
	}
	return &g, nil
}

func (g *Genesis) problems() []string {
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	for name, h := range map[string]string{"transfer": g.VKHashes.Transfer, "mint": g.VKHashes.Mint} {
		if b, err := hex.DecodeString(h); err != nil || len(b) != 32 {
			bad("vk_hashes.%s is not 32 bytes of hex", name)
		}
	}
	seen := map[string]string{}
	regulators := 0
	for _, p := range g.Parties {
		if _, err := p.party(); err != nil {
			bad("party %q: %v", p.ID, err)
		}
		if seen[p.ID] != "" {
			bad("party %q appears twice", p.ID)
		}
		seen[p.ID] = p.Role
		if p.Role == "regulator" {
			regulators++
		}
	}
	if regulators != 1 {
		bad("want exactly one regulator, have %d", regulators)
	}
	issued := map[string]bool{}
	for _, is := range g.Issuers {
		if _, err := ParseCurrency(is.Currency); err != nil || issued[is.Currency] {
			bad("issuer of %q: unknown or repeated currency", is.Currency)
		}
		issued[is.Currency] = true
		if seen[is.Party] != "issuer" {
			bad("issuer of %s: %q is not a party with role issuer", is.Currency, is.Party)
		}
	}
	opened := map[string]bool{}
	for _, a := range g.Accounts {
		if _, err := ParseCurrency(a.Currency); err != nil {
			bad("account %s/%s: unknown currency", a.Party, a.Currency)
		}
		if r := seen[a.Party]; r != "bank" && r != "issuer" {
			bad("account %s/%s: no such bank or issuer", a.Party, a.Currency)
		}
		if _, err := zkp.ParseCommitment(a.Available); err != nil {
			bad("account %s/%s: available: %v", a.Party, a.Currency, err)
		}
		if opened[a.Party+"/"+a.Currency] {
			bad("account %s/%s appears twice", a.Party, a.Currency)
		}
		opened[a.Party+"/"+a.Currency] = true
	}
	errs = append(errs, g.flowProblems()...)
	return errs
}

// flowProblems checks the HE key and the opening balances' flows.
func (g *Genesis) flowProblems() []string {
	book, err := g.flowBook()
	if err != nil {
		return []string{err.Error()}
	}
	var errs []string
	for _, a := range g.Accounts {
		if book == nil {
			if a.Flow != "" {
				errs = append(errs, fmt.Sprintf("account %s/%s: a flow without he_public_key", a.Party, a.Currency))
			}
			continue
		}
		if a.Flow == "" {
			if a.Available != zkp.ZeroCommitment().String() {
				errs = append(errs, fmt.Sprintf("account %s/%s: funded without a flow for the regulator", a.Party, a.Currency))
			}
			continue
		}
		raw, err := hex.DecodeString(a.Flow)
		if err != nil {
			errs = append(errs, fmt.Sprintf("account %s/%s: flow is not hex", a.Party, a.Currency))
			continue
		}
		if _, rej := book.decode(raw); rej != nil {
			errs = append(errs, fmt.Sprintf("account %s/%s: flow: %s", a.Party, a.Currency, rej.Msg))
		}
	}
	return errs
}

// flowBook returns the HE flow book for the genesis key, or nil without one.
func (g *Genesis) flowBook() (*flowBook, error) {
	if g.HEPublicKey == "" {
		return nil, nil
	}
	raw, err := hex.DecodeString(g.HEPublicKey)
	if err != nil {
		return nil, errors.New("he_public_key is not hex")
	}
	var pk he.PublicKey
	if err := pk.UnmarshalBinary(raw); err != nil {
		return nil, fmt.Errorf("he_public_key: %w", err)
	}
	return newFlowBook(&pk), nil
}

func (p GenesisParty) party() (*Party, error) {
	role, ok := roles[p.Role]
	if !ok {
		return nil, errors.New("role must be bank, issuer or regulator")
	}
	if !ValidID(p.ID) {
		return nil, errors.New("id must be lower-case letters, digits and dashes, at most 32")
	}
	if len(p.Country) != 2 || !isUpper(p.Country[0]) || !isUpper(p.Country[1]) {
		return nil, errors.New("country must be two upper-case letters")
	}
	out := &Party{ID: p.ID, Role: role}
	copy(out.Country[:], p.Country)
	for _, k := range []struct {
		name, hex string
		dst       *[32]byte
	}{{"sign_key", p.SignKey, &out.SignKey}, {"memo_key", p.MemoKey, &out.MemoKey}} {
		b, err := hex.DecodeString(k.hex)
		if err != nil || len(b) != 32 {
			return nil, fmt.Errorf("%s is not 32 bytes of hex", k.name)
		}
		copy(k.dst[:], b)
	}
	return out, nil
}

// Regulator returns the regulator's genesis entry.
func (g *Genesis) Regulator() GenesisParty {
	for _, p := range g.Parties {
		if p.Role == "regulator" {
			return p
		}
	}
	return GenesisParty{}
}

// write puts the genesis state into o. Supplies start as the sum of the
// opening balances, so the turnstile holds from the first block.
func (g *Genesis) write(o *overlay, raw []byte) error {
	v := view{o}
	o.set(keyGenesis, raw)
	for _, gp := range g.Parties {
		p, _ := gp.party() // checked by ParseGenesis
		v.putParty(p)
	}
	for _, is := range g.Issuers {
		c, _ := ParseCurrency(is.Currency)
		o.set(issuerKey(c), []byte(is.Party))
	}
	supply := map[Currency]zkp.Commitment{}
	book, err := g.flowBook()
	if err != nil {
		return err
	}
	funded := map[Currency]*he.Ciphertext{}
	for _, a := range g.Accounts {
		c, _ := ParseCurrency(a.Currency)
		avail, _ := zkp.ParseCommitment(a.Available)
		v.putAccount(c, a.Party, &Account{Available: avail, Pending: zkp.ZeroCommitment()})
		if a.Flow != "" {
			flow, _ := hex.DecodeString(a.Flow) // checked by ParseGenesis
			k := aggIn(c, a.Party)
			o.set(aggKey(k), flow)
			b := avail.Bytes()
			o.set(aggSumKey(k), b[:])
			ct, _ := book.decode(flow)
			if funded[c] == nil {
				funded[c] = he.Zero(book.params)
			}
			if err := book.ev.Add(funded[c], ct); err != nil {
				return err
			}
		}
		if s, ok := supply[c]; ok {
			supply[c] = s.Add(avail)
		} else {
			supply[c] = avail
		}
	}
	for _, k := range Currencies { // fixed order, not the map's
		if s, ok := supply[k.Code]; ok {
			v.putSupply(k.Code, s)
		}
		if ct := funded[k.Code]; ct != nil {
			key := aggCurrency(k.Code, "funded")
			raw, err := ct.MarshalBinary()
			if err != nil {
				return err
			}
			o.set(aggKey(key), raw)
			b := supply[k.Code].Bytes()
			o.set(aggSumKey(key), b[:])
		}
	}
	return nil
}
