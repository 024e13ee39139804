package party

import (
	"testing"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// Both proving paths of Prover make proofs that the ledger's keys accept.
func TestProverPaths(t *testing.T) {
	dir := t.TempDir()
	vks := map[zkp.Circuit]*zkp.VerifyingKey{}
	for _, c := range zkp.Circuits() {
		k, vk, err := zkp.SetupDev(c)
		if err != nil {
			t.Fatal(err)
		}
		vks[c] = vk
		pkPath, vkPath := zkp.KeyPaths(dir, c)
		if err := zkp.WriteProvingKey(pkPath, k); err != nil {
			t.Fatal(err)
		}
		if err := zkp.WriteVerifyingKey(vkPath, vk); err != nil {
			t.Fatal(err)
		}
	}
	r1, _ := zkp.RandomBlinding()
	r2, _ := zkp.RandomAmountBlinding()
	avail, amt := ledger.Opening{Value: 900, Blinding: r1}, ledger.Opening{Value: 150, Blinding: r2}
	ctx := zkp.NewContext("sable/test", []byte("prover paths"))
	for _, fast := range []bool{false, true} {
		p := NewProver(dir)
		p.Fast = fast
		raw, err := p.spend(avail, amt, ctx)
		if err != nil {
			t.Fatalf("fast=%v: %v", fast, err)
		}
		proof, err := zkp.DecodeProof(raw[:])
		if err != nil {
			t.Fatal(err)
		}
		pub := zkp.Public{Circuit: zkp.Transfer, Available: avail.Commitment(), Amount: amt.Commitment(), Context: ctx}
		if err := vks[zkp.Transfer].Verify(pub, proof); err != nil {
			t.Fatalf("fast=%v: transfer proof rejected: %v", fast, err)
		}
		raw, err = p.mint(amt, ctx)
		if err != nil {
			t.Fatalf("fast=%v: %v", fast, err)
		}
		proof, _ = zkp.DecodeProof(raw[:])
		if err := vks[zkp.Mint].Verify(zkp.Public{Circuit: zkp.Mint, Amount: amt.Commitment(), Context: ctx}, proof); err != nil {
			t.Fatalf("fast=%v: mint proof rejected: %v", fast, err)
		}
	}
}
