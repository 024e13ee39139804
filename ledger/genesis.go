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
	// HEParties and HEThreshold say how that key is shared among regulator
	// parties (t of n decrypt together; ledger/rotate.go): 0 and 0 for one
	// regulator's key. Under a shared key payments carry no audit memo.
	HEParties   int `json:"he_parties,omitempty"`
	HEThreshold int `json:"he_threshold,omitempty"`
}

// GenesisKeys pins the verifying keys by hash.
type GenesisKeys struct {
	Transfer string `json:"transfer"`
	Mint     string `json:"mint"`
	// FX pins the fx circuit's verifying key (atomic swaps). Empty on a
	// chain made before swaps existed: such a chain rejects swaps.
	FX string `json:"fx,omitempty"`
	// Batch pins the batch circuit's verifying key (one proof for up to
	// zkp.BatchSize payments in one currency). Empty on a chain made before
	// batch proofs existed: such a chain rejects them.
	Batch string `json:"batch,omitempty"`
	// Ceremony is the hash of the setup ceremony's record (hex, the Hash
	// of zkp/ceremony's Record) when the keys come from one: it commits to
	// the transcript, the final beacon and these keys, so anyone can check
	// them with 'sable ceremony verify DIR --keys KEYS'. Empty for keys
	// from 'sable setup --dev'.
	Ceremony string `json:"ceremony,omitempty"`
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
	// SupplyMemo is the opening of the currency's genesis supply (the sum
	// of its funded balances) sealed to the issuer's memo key under
	// GenesisSupplyMemoAAD (hex): the issuer proves its mints within
	// SupplyCap from it, and rebuilds it from the ledger if its wallet is
	// lost. Absent when nothing is funded.
	SupplyMemo string `json:"supply_memo,omitempty"`
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
	// Memo is the available balance's opening sealed to the holder's memo
	// key under GenesisMemoAAD (hex), so that a wallet can be rebuilt from
	// the ledger (party.Recover); absent for an account opened at zero.
	Memo string `json:"memo,omitempty"`
}

// Roles a party can have.
const (
	RoleBank      uint8 = 1
	RoleIssuer    uint8 = 2
	RoleRegulator uint8 = 3
)

var roles = map[string]uint8{"bank": RoleBank, "issuer": RoleIssuer, "regulator": RoleRegulator}

// ParseRole maps a genesis role name to its code.
func ParseRole(s string) (uint8, bool) { r, ok := roles[s]; return r, ok }

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
	for _, k := range [][2]string{{"fx", g.VKHashes.FX}, {"batch", g.VKHashes.Batch}} { // optional
		if b, err := hex.DecodeString(k[1]); err != nil || (len(b) != 0 && len(b) != 32) {
			bad("vk_hashes.%s is not 32 bytes of hex", k[0])
		}
	}
	if b, err := hex.DecodeString(g.VKHashes.Ceremony); err != nil || (len(b) != 0 && len(b) != 32) {
		bad("vk_hashes.ceremony is not 32 bytes of hex")
	}
	seen := map[string]string{}
	regulators := 0
	for _, p := range g.Parties {
		if err := p.check(); err != nil {
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
		if _, err := memoHex(is.SupplyMemo); err != nil {
			bad("issuer of %s: supply memo: %v", is.Currency, err)
		}
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
		if err := a.checkMemo(); err != nil {
			bad("account %s/%s: %v", a.Party, a.Currency, err)
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
	pk, err := g.HEKey()
	if err != nil {
		return []string{err.Error()}
	}
	if p := g.sharingProblem(pk != nil); p != "" {
		return []string{p}
	}
	var params *he.Params
	if pk != nil {
		params = pk.Params()
	}
	var errs []string
	for _, a := range g.Accounts {
		if params == nil {
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
		if _, rej := DecodeFlow(params, raw, 1); rej != nil {
			errs = append(errs, fmt.Sprintf("account %s/%s: flow: %s", a.Party, a.Currency, rej.Msg))
		}
	}
	return errs
}

// checkMemo checks the size of a genesis account's memo; only its holder
// can check its content.
func (a GenesisAccount) checkMemo() error {
	_, err := memoHex(a.Memo)
	return err
}

// SealedMemo returns the account's memo, nil when it has none.
func (a GenesisAccount) SealedMemo() []byte {
	b, _ := memoHex(a.Memo)
	return b
}

// SealedSupplyMemo returns the issuer's genesis supply memo, nil when it
// has none.
func (is GenesisIssuer) SealedSupplyMemo() []byte {
	b, _ := memoHex(is.SupplyMemo)
	return b
}

// memoHex decodes a genesis memo: empty, or MemoSize bytes of hex.
func memoHex(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	if b, err := hex.DecodeString(s); err == nil && len(b) == MemoSize {
		return b, nil
	}
	return nil, fmt.Errorf("memo is not %d bytes of hex", MemoSize)
}

// check reports the first problem with a genesis party's fields.
func (p GenesisParty) check() error {
	if _, ok := roles[p.Role]; !ok {
		return errors.New("role must be bank, issuer or regulator")
	}
	if !ValidID(p.ID) {
		return errors.New("id must be lower-case letters, digits and dashes, at most 32")
	}
	if len(p.Country) != 2 || !isUpper(p.Country[0]) || !isUpper(p.Country[1]) {
		return errors.New("country must be two upper-case letters")
	}
	for _, k := range []struct{ name, hex string }{{"sign_key", p.SignKey}, {"memo_key", p.MemoKey}} {
		if b, err := hex.DecodeString(k.hex); err != nil || len(b) != 32 {
			return fmt.Errorf("%s is not 32 bytes of hex", k.name)
		}
	}
	return nil
}

// MemoPublicKey returns the party's X25519 memo key.
func (p GenesisParty) MemoPublicKey() ([32]byte, error) {
	var k [32]byte
	b, err := hex.DecodeString(p.MemoKey)
	if err != nil || len(b) != 32 {
		return k, fmt.Errorf("ledger: party %q: memo_key is not 32 bytes of hex", p.ID)
	}
	copy(k[:], b)
	return k, nil
}

// HEKey returns the regulator's HE public key, or nil if the chain has none.
func (g *Genesis) HEKey() (*he.PublicKey, error) {
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
	return &pk, nil
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
