package ledger_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger"
)

// TestRotationEncoding: a rotation round-trips through the transaction
// codec, and rotations to epoch 0 or with an impossible threshold are
// refused when decoded.
func TestRotationEncoding(t *testing.T) {
	_, pk := he.GenerateKeys(he.DefaultParams())
	pkb, err := pk.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	r := &ledger.Rotation{Epoch: 1, Parties: 4, Threshold: 3, PublicKey: pkb}
	tx := &ledger.Tx{Kind: ledger.KindRotation, Sender: "regulator", Nonce: 7, Body: r}
	back, err := ledger.DecodeTx(tx.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if back.Kind.String() != "rotation" || back.ID() != tx.ID() {
		t.Fatalf("decoded %v, id %v, want %v", back.Kind, back.ID(), tx.ID())
	}
	got := back.Body.(*ledger.Rotation)
	if got.Epoch != 1 || got.Parties != 4 || got.Threshold != 3 || len(got.Books) != 0 || string(got.PublicKey) != string(pkb) {
		t.Fatalf("decoded %+v", got)
	}
	for _, bad := range []*ledger.Rotation{
		{Epoch: 0, Parties: 4, Threshold: 3, PublicKey: pkb},
		{Epoch: 1, Parties: 3, Threshold: 4, PublicKey: pkb},
		{Epoch: 1, Parties: 4, Threshold: 1, PublicKey: pkb},
		{Epoch: 1, Parties: he.MaxParties + 1, Threshold: 3, PublicKey: pkb},
	} {
		tx := &ledger.Tx{Kind: ledger.KindRotation, Sender: "regulator", Body: bad}
		if _, err := ledger.DecodeTx(tx.Encode()); !errors.Is(err, ledger.ErrTxEncoding) {
			t.Fatalf("rotation to epoch %d, %d of %d: %v", bad.Epoch, bad.Threshold, bad.Parties, err)
		}
	}
}

// TestEpochDomain: epoch 0 signs as before any rotation; a signature made
// for one epoch verifies for no other, on no other chain.
func TestEpochDomain(t *testing.T) {
	if ledger.EpochDomain("sable", 0) != "sable" {
		t.Fatal("epoch 0 must sign the chain id itself")
	}
	pub, priv, _ := ed25519.GenerateKey(nil)
	tx := &ledger.Tx{Kind: ledger.KindApplyPending, Sender: "bank-a", Nonce: 1, Body: &ledger.ApplyPending{Currency: ledger.Currencies[0].Code}}
	tx.Sign(ledger.EpochDomain("sable", 1), priv)
	for _, c := range []struct {
		chain string
		epoch uint32
		ok    bool
	}{{"sable", 1, true}, {"sable", 0, false}, {"sable", 2, false}, {"sable\x00epoch 1", 0, true}, {"other", 1, false}} {
		if got := ed25519.Verify(pub, tx.SigningBytes(ledger.EpochDomain(c.chain, c.epoch)), tx.Sig[:]); got != c.ok {
			t.Fatalf("chain %q epoch %d: verifies %v", c.chain, c.epoch, got)
		}
	}
}

// TestGenesisSharing: a genesis key is one regulator's, or shared t-of-n
// with 2 ≤ t ≤ n ≤ he.MaxParties; sharing without a key is refused.
func TestGenesisSharing(t *testing.T) {
	_, pk := he.GenerateKeys(he.DefaultParams())
	pkb, _ := pk.MarshalBinary()
	parse := func(key bool, n, th int) error {
		g := fuzzGenesis()
		g.Accounts = g.Accounts[1:] // no funded account: no flow needed
		if key {
			g.HEPublicKey = hex.EncodeToString(pkb)
		}
		g.HEParties, g.HEThreshold = n, th
		b, _ := json.Marshal(g)
		_, err := ledger.ParseGenesis(b)
		return err
	}
	for _, ok := range [][2]int{{0, 0}, {4, 3}, {2, 2}, {he.MaxParties, 2}} {
		if err := parse(true, ok[0], ok[1]); err != nil {
			t.Fatalf("%d of %d: %v", ok[1], ok[0], err)
		}
	}
	for _, bad := range [][2]int{{4, 5}, {4, 1}, {he.MaxParties + 1, 3}, {0, 2}} {
		if err := parse(true, bad[0], bad[1]); err == nil || !strings.Contains(err.Error(), "he_threshold") {
			t.Fatalf("%d of %d: %v", bad[1], bad[0], err)
		}
	}
	if err := parse(false, 4, 3); err == nil || !strings.Contains(err.Error(), "without he_public_key") {
		t.Fatalf("sharing without a key: %v", err)
	}
}
