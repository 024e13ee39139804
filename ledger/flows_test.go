package ledger

import (
	"math/big"
	"sync"
	"testing"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/zkp"
)

var heKeys = sync.OnceValues(func() (*he.SecretKey, *he.PublicKey) {
	return he.GenerateKeys(he.DefaultParams())
})

// openAggregate decrypts an aggregate and checks it against its
// commitment sum, as the regulator's audit does.
func openAggregate(t *testing.T, info AggregateInfo) (amount *big.Int, ok bool) {
	t.Helper()
	sk, _ := heKeys()
	ct := he.Zero(he.DefaultParams())
	if err := ct.UnmarshalBinary(info.Ciphertext); err != nil {
		t.Fatal(err)
	}
	sums, err := he.NewDecryptor(sk).Decrypt(ct)
	if err != nil {
		t.Fatal(err)
	}
	g := sums[flowGroup]
	if !g.Amount.IsUint64() {
		return g.Amount, false
	}
	r := new(big.Int).Mod(g.Blinding, zkp.Order())
	return g.Amount, zkp.Commit(g.Amount.Uint64(), r).String() == info.Commitment
}

func TestFlowsAggregate(t *testing.T) {
	_, pk := heKeys()
	f := newFixtureWith(t, pk)
	tx1, amt1 := f.transfer(f.a, f.b, 1200)
	f.a.spend(amt1)
	tx2, amt2 := f.transfer(f.a, f.b, 34)
	f.a.spend(amt2)
	for _, tx := range []*Tx{tx1, tx2} {
		if res := f.checkTx(tx.Encode()); res.Code != CodeOK {
			t.Fatalf("CheckTx: %s", res.Log)
		}
	}
	if res := f.block(tx1.Encode(), tx2.Encode()); res.TxResults[0].Code != CodeOK || res.TxResults[1].Code != CodeOK {
		t.Fatalf("block: %+v", res.TxResults)
	}
	var list []AggregateInfo
	f.query("/aggregates", "", &list)
	want := map[string]uint64{
		"in/USD/bank-a": 100000, "out/USD/bank-a": 1234, "in/USD/bank-b": 1234,
		"corridor/USD/SG-HK": 1234, "currency/USD/transfers": 1234, "currency/USD/funded": 100000,
	}
	if len(list) != len(want) {
		t.Fatalf("aggregates %+v", list)
	}
	for _, a := range list {
		var info AggregateInfo
		if code := f.query("/aggregate", a.Key, &info); code != 0 {
			t.Fatalf("aggregate %s: code %d", a.Key, code)
		}
		amount, ok := openAggregate(t, info)
		if !ok || amount.Uint64() != want[a.Key] {
			t.Errorf("%s: decrypts to %v, consistent %v; want %d", a.Key, amount, ok, want[a.Key])
		}
		if a.Key != "in/USD/bank-a" && a.Key != "currency/USD/funded" && len(info.Txs) != 2 {
			t.Errorf("%s: %d transactions indexed, want 2", a.Key, len(info.Txs))
		}
	}
}

func TestFlowRejections(t *testing.T) {
	_, pk := heKeys()
	f := newFixtureWith(t, pk)
	good, _ := f.transfer(f.a, f.b, 10)
	flow := good.Body.(*Transfer).Flow
	with := func(flow []byte) []byte {
		tx, _ := DecodeTx(good.Encode())
		tx.Body.(*Transfer).Flow = flow
		tx.Sign(testChain, f.a.id.Sign)
		return tx.Encode()
	}
	otherParams := append([]byte{}, flow...)
	otherParams[2] ^= 0xff // the parameter-set byte of the header
	twice := he.Zero(he.DefaultParams())
	twice.UnmarshalBinary(flow)
	he.NewEvaluator(he.DefaultParams()).Add(twice, twice.Copy())
	twiceRaw, _ := twice.MarshalBinary()
	cases := []struct {
		name string
		flow []byte
		code uint32
	}{
		{"missing", nil, CodeFlowMalformed},
		{"truncated", flow[:len(flow)/2], CodeFlowMalformed},
		{"other parameters", otherParams, CodeFlowParams},
		{"oversize", make([]byte, MaxFlowSize), CodeFlowTooLarge},
		{"a sum, not one encryption", twiceRaw, CodeFlowMalformed},
	}
	before := f.snapshot()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := f.checkTx(with(tc.flow))
			if res.Code != tc.code {
				t.Fatalf("code %d (%s), want %d", res.Code, res.Log, tc.code)
			}
		})
	}
	if f.snapshot() != before {
		t.Fatal("state changed")
	}
	if res := f.checkTx(good.Encode()); res.Code != CodeOK {
		t.Fatalf("good: %s", res.Log)
	}
}
