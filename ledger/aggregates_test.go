package ledger

import "testing"

// TestFXKeys: FX aggregate names parse back to what they name, and the
// names a party ID or currency could make ambiguous are refused.
func TestFXKeys(t *testing.T) {
	usd, sgd := Currency{'U', 'S', 'D'}, Currency{'S', 'G', 'D'}
	k := AggFXIn(usd, sgd, "bank-hk")
	fk, ok := ParseFXKey(k)
	if !ok || fk != (FXKey{Currency: usd, Other: sgd, Provider: "bank-hk", Bought: true}) || !ValidAggregateKey(k) {
		t.Fatalf("%s parses to %+v %v", k, fk, ok)
	}
	if fk, ok := ParseFXKey(AggFXOut(sgd, usd, "bank-hk")); !ok || fk.Bought || fk.Currency != sgd {
		t.Fatalf("fxout parses to %+v %v", fk, ok)
	}
	for _, bad := range []string{"fxin/USD/USD@bank-hk", "fxin/USD/SGD", "fxin/USD/SGD@Bank", "fxin/USD/SGD@a@b", "fx/USD/SGD@bank-hk", "fxout/USD/SGD@bank-hk/x", "fxin/USD/XX@bank-hk"} {
		if ValidAggregateKey(bad) {
			t.Errorf("%q is taken for an aggregate key", bad)
		}
	}
}

// TestLayoutAdmitFX: an FX group is added once, only in its own book, and
// a full book refuses it unchanged.
func TestLayoutAdmitFX(t *testing.T) {
	usd, sgd := Currency{'U', 'S', 'D'}, Currency{'S', 'G', 'D'}
	l := NewLayout(usd)
	k := AggFXIn(usd, sgd, "bank-hk")
	if added, err := l.AdmitFX(k, 5); err != nil || !added {
		t.Fatalf("admit: %v %v", added, err)
	}
	if g, ok := l.Group(k); !ok || g != 4 {
		t.Fatalf("group %d %v, want 4", g, ok)
	}
	if added, err := l.AdmitFX(k, 5); err != nil || added {
		t.Fatalf("second admit: %v %v", added, err)
	}
	if _, err := l.AdmitFX(AggFXOut(usd, sgd, "bank-hk"), 5); err == nil || len(l.Keys) != 5 {
		t.Fatalf("a full book took another group: %v, %d keys", err, len(l.Keys))
	}
	if _, err := l.AdmitFX(AggFXIn(sgd, usd, "bank-hk"), 9); err == nil {
		t.Fatal("the USD book took an SGD group")
	}
	if _, err := LayoutOf(usd, l.Keys); err != nil {
		t.Fatalf("a layout with an FX group does not rebuild: %v", err)
	}
}
