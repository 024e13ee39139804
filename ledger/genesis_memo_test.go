package ledger_test

import (
	"encoding/hex"
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/sable-settlement/sable/ledger"
)

// TestGenesisMemo: a genesis account's memo is absent or one sealed
// opening of hex; it opens only with the holder's key under the holder's
// chain, holder and currency.
func TestGenesisMemo(t *testing.T) {
	priv, pub, err := ledger.GenerateMemoKey()
	if err != nil {
		t.Fatal(err)
	}
	o := ledger.Opening{Value: 1000, Blinding: big.NewInt(42)}
	usd, _ := ledger.ParseCurrency("USD")
	aad := ledger.GenesisMemoAAD("chain", "bank-a", usd)
	memo, err := ledger.SealOpening(pub, o, aad)
	if err != nil {
		t.Fatal(err)
	}
	parse := func(m string) error {
		g := fuzzGenesis()
		g.Accounts[0].Memo = m
		b, _ := json.Marshal(g)
		_, err := ledger.ParseGenesis(b)
		return err
	}
	if err := parse(hex.EncodeToString(memo)); err != nil {
		t.Fatalf("a sealed opening: %v", err)
	}
	for _, bad := range []string{"zz", hex.EncodeToString(memo[:10]), hex.EncodeToString(append(memo, 0))} {
		if err := parse(bad); err == nil || !strings.Contains(err.Error(), "account bank-a/USD: memo is not") {
			t.Fatalf("memo %.16q…: %v", bad, err)
		}
	}
	if got, err := ledger.OpenMemo(priv, memo, aad); err != nil || got.Value != 1000 {
		t.Fatalf("open: %v", err)
	}
	for _, other := range [][]byte{ledger.GenesisMemoAAD("chain", "bank-b", usd), ledger.GenesisMemoAAD("other", "bank-a", usd),
		ledger.SelfMemoAAD("chain", "bank-a", usd, 0, 0)} {
		if _, err := ledger.OpenMemo(priv, memo, other); err == nil {
			t.Fatal("a genesis memo opened under another binding")
		}
	}
}
