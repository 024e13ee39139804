package ledger_test

import (
	"bytes"
	"encoding/json"
	"math/big"
	"reflect"
	"strings"
	"testing"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

func fuzzGenesis() ledger.Genesis {
	key := func(b byte) string { return strings.Repeat(string("0123456789abcdef"[b&15]), 64) }
	zero := zkp.ZeroCommitment().String()
	return ledger.Genesis{
		VKHashes: ledger.GenesisKeys{Transfer: key(1), Mint: key(2)},
		Parties: []ledger.GenesisParty{
			{ID: "bank-a", Role: "bank", Country: "SG", SignKey: key(3), MemoKey: key(4)},
			{ID: "bank-b", Role: "bank", Country: "HK", SignKey: key(5), MemoKey: key(6)},
			{ID: "issuer-usd", Role: "issuer", Country: "US", SignKey: key(7), MemoKey: key(8)},
			{ID: "regulator", Role: "regulator", Country: "SG", SignKey: key(9), MemoKey: key(10)},
		},
		Issuers: []ledger.GenesisIssuer{{Currency: "USD", Party: "issuer-usd"}},
		Accounts: []ledger.GenesisAccount{
			{Party: "bank-a", Currency: "USD", Available: zkp.Commit(1000, big.NewInt(42)).String()},
			{Party: "bank-b", Currency: "USD", Available: zero},
		},
	}
}

// FuzzParseGenesis: ParseGenesis never panics and never returns both a
// genesis and an error; what parses encodes to JSON that parses to the same
// genesis, and that encoding is a fixed point.
func FuzzParseGenesis(f *testing.F) {
	g := fuzzGenesis()
	good, err := json.Marshal(g)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := ledger.ParseGenesis(good); err != nil {
		f.Fatalf("seed genesis: %v", err)
	}
	indented, _ := json.MarshalIndent(g, "", "  ")
	f.Add(good)
	f.Add(indented)
	f.Add(good[:len(good)/2])
	two := g
	two.Parties = append([]ledger.GenesisParty{}, g.Parties...)
	two.Parties[0].Role = "regulator"
	b, _ := json.Marshal(two)
	f.Add(b)
	f.Add([]byte(`{"vk_hashes":{"transfer":"","mint":""},"parties":null,"issuers":[],"accounts":[]}`))
	f.Add([]byte(`{"he_public_key":"00"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ledger.ParseGenesis(data)
		if err != nil {
			if g != nil {
				t.Fatal("a genesis returned with an error")
			}
			if !strings.HasPrefix(err.Error(), "ledger: genesis app_state: ") {
				t.Fatalf("error %q does not name the genesis app_state", err)
			}
			return
		}
		enc, err := json.Marshal(g)
		if err != nil {
			t.Fatalf("a parsed genesis does not encode: %v", err)
		}
		g2, err := ledger.ParseGenesis(enc)
		if err != nil {
			t.Fatalf("re-encoded genesis does not parse: %v\n%s", err, enc)
		}
		if !reflect.DeepEqual(g, g2) {
			t.Fatalf("genesis changed through encoding:\n%+v\n%+v", g, g2)
		}
		if enc2, _ := json.Marshal(g2); !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not a fixed point:\n%s\n%s", enc, enc2)
		}
		if r := g.Regulator(); r.Role != "regulator" {
			t.Fatal("a parsed genesis without its regulator")
		}
		if _, err := g.HEKey(); err != nil {
			t.Fatalf("a parsed genesis with an unreadable HE key: %v", err)
		}
	})
}
