package demo

import (
	"strings"
	"testing"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/testnet"
	"github.com/sable-settlement/sable/zkp/ceremony"
)

// The demo refuses a network whose genesis does not list, for a bank that
// signed the ceremony, the key it signed with (a testnet written without
// the identities that signed).
func TestCheckSigners(t *testing.T) {
	key := strings.Repeat("ab", 32)
	d := &demo{layout: &testnet.Layout{Genesis: &ledger.Genesis{Parties: []ledger.GenesisParty{{ID: "bank-sg", SignKey: key}}}},
		signed: []ceremony.Party{{Name: "bank-sg", Key: key}}}
	if err := d.checkSigners(); err != nil {
		t.Fatal(err)
	}
	d.layout.Genesis.Parties[0].SignKey = strings.Repeat("cd", 32)
	if err := d.checkSigners(); err == nil || !strings.Contains(err.Error(), "bank-sg signed the ceremony") {
		t.Fatalf("a genesis with another key for a signer: %v", err)
	}
}
