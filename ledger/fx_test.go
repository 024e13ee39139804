package ledger

import (
	"bytes"
	"crypto/ed25519"
	"math/big"
	"testing"

	"github.com/sable-settlement/sable/zkp"
)

func TestParseRate(t *testing.T) {
	usd, sgd, jpy := Currency{'U', 'S', 'D'}, Currency{'S', 'G', 'D'}, Currency{'J', 'P', 'Y'}
	cases := []struct {
		a, b Currency
		in   string
		want uint64
		err  bool
	}{
		{usd, sgd, "1.3402", 134_020_000, false}, // cents per cent
		{usd, jpy, "150", 150_000_000, false},    // yen per cent: 1.5
		{usd, jpy, "150.25", 150_250_000, false},
		{jpy, usd, "0.0067", 67_000_000, false},      // cents per yen: 0.67
		{jpy, usd, "0.00000000001", 0, true},         // below the scale in cents per yen
		{usd, sgd, "1.000000001", 0, true},           // nine decimals: past the scale
		{usd, sgd, "0", 0, true},                     // not positive
		{usd, sgd, "-1.2", 0, true},                  // signed
		{usd, sgd, "1,3402", 0, true},                // a comma is not a decimal point
		{usd, sgd, "1e3", 0, true},                   // no exponents
		{usd, sgd, "184467440737.09551616", 0, true}, // R = 2^64: out of range
	}
	for _, c := range cases {
		got, err := ParseRate(c.a, c.b, c.in)
		if c.err != (err != nil) || got != c.want {
			t.Errorf("ParseRate(%s/%s, %q) = %d, %v; want %d (error %v)", c.a, c.b, c.in, got, err, c.want, c.err)
			continue
		}
		if err == nil {
			if back := FormatRate(c.a, c.b, got); back != c.in {
				t.Errorf("FormatRate(%s/%s, %d) = %q, want %q", c.a, c.b, got, back, c.in)
			}
		}
	}
}

func TestQuoteCheck(t *testing.T) {
	usd, sgd := Currency{'U', 'S', 'D'}, Currency{'S', 'G', 'D'}
	good := Quote{Sell: usd, Buy: sgd, Rate: 134_020_000, Min: 1, Max: 500, ValidUntil: 10}
	if err := good.Check(); err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(q *Quote){
		"one currency":  func(q *Quote) { q.Buy = usd },
		"rate 0":        func(q *Quote) { q.Rate = 0 },
		"min 0":         func(q *Quote) { q.Min = 0 },
		"min > max":     func(q *Quote) { q.Min = 501 },
		"max past cap":  func(q *Quote) { q.Max = SupplyCap + 1 },
		"no window end": func(q *Quote) { q.ValidUntil = 0 },
	} {
		q := good
		change(&q)
		if q.Check() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestSwapSigning: the payer and the provider sign the same bytes, which
// leave out the fill; the fill changes the id but neither the signing bytes
// nor the proofs' context; a changed leg changes both.
func TestSwapSigning(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	proof := someProof(t)
	leg := zkp.Commit(5, big.NewInt(7))
	memo := bytes.Repeat([]byte{1}, MemoSize)
	body := &Swap{
		Quote: TxID{1}, Provider: "bank-hk", Sell: Currency{'U', 'S', 'D'}, Buy: Currency{'S', 'G', 'D'}, Rate: 134_020_000, To: "bank-us", Available: leg, AmountA: leg, MemoA: memo, AmountB: leg, MemoB: memo, ProviderMemoB: memo,
		ProviderAvailable: zkp.ZeroCommitment(), Band: zkp.ZeroCommitment(), ProofA: proof, ProofFX: proof, ProofB: proof, ProofBand: proof,
	}
	tx := &Tx{Kind: KindSwap, Sender: "bank-sg", Nonce: 3, Body: body}
	tx.Sign("c", key)
	request, ctx, id := tx.SigningBytes("c"), tx.Context("c"), tx.ID()

	// The provider fills and signs: the payer's signature still holds.
	body.ProviderAvailable, body.Band = zkp.Commit(9, big.NewInt(1)), zkp.Commit(3, big.NewInt(2))
	body.ProofB[0] ^= 1
	if err := tx.SignProvider("c", key); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tx.SigningBytes("c"), request) || tx.Context("c") != ctx {
		t.Fatal("the fill changed the signing bytes or the context")
	}
	filled, err := tx.ProviderSigningBytes("c")
	if err != nil {
		t.Fatal(err)
	}
	if !ed25519.Verify(pub, tx.SigningBytes("c"), tx.Sig[:]) || !ed25519.Verify(pub, filled, body.ProviderSig[:]) {
		t.Fatal("a signature does not verify")
	}
	// The provider's signature fixes the fill and every proof: a proof
	// changed after it (a re-randomised one, say) breaks it.
	for name, change := range map[string]func(){
		"proof A": func() { body.ProofA[1] ^= 1 }, "fx proof": func() { body.ProofFX[1] ^= 1 },
		"proof B": func() { body.ProofB[1] ^= 1 }, "band proof": func() { body.ProofBand[1] ^= 1 },
		"band": func() { body.Band = zkp.Commit(4, big.NewInt(2)) },
	} {
		saved := *body
		change()
		msg, _ := tx.ProviderSigningBytes("c")
		if ed25519.Verify(pub, msg, body.ProviderSig[:]) {
			t.Errorf("the provider's signature still verifies after a changed %s", name)
		}
		*body = saved
	}
	if other, _ := tx.ProviderSigningBytes("d"); ed25519.Verify(pub, other, body.ProviderSig[:]) {
		t.Error("the provider's signature verifies on another chain")
	}
	if tx.ID() == id {
		t.Fatal("the fill left the id unchanged")
	}
	// Round trip through the wire.
	body.ProofB = proof
	back, err := DecodeTx(tx.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if back.ID() != tx.ID() || !bytes.Equal(back.SigningBytes("c"), request) {
		t.Fatal("the decoded swap differs")
	}
	// A changed leg is another request.
	body.AmountB = zkp.Commit(6, big.NewInt(7))
	if bytes.Equal(tx.SigningBytes("c"), request) || tx.Context("c") == ctx {
		t.Fatal("leg B is not covered by the signatures and the context")
	}
}

// someProof returns the bytes of a real proof, which decode.
func someProof(t *testing.T) [zkp.ProofSize]byte {
	t.Helper()
	pk, vk, err := zkp.SetupDev(zkp.Mint)
	if err != nil {
		t.Fatal(err)
	}
	_, p, err := pk.ProveMint(zkp.MintInput{Amount: 1, AmountBlinding: big.NewInt(1), Context: zkp.NewContext("t")}, vk)
	if err != nil {
		t.Fatal(err)
	}
	return p.Bytes()
}
