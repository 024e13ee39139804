package zkp

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// writeKeys writes a pair to dir under KeyPaths.
func writeKeys(t *testing.T, dir string, pk *ProvingKey, vk *VerifyingKey) {
	t.Helper()
	pkPath, vkPath := KeyPaths(dir, pk.circuit)
	if err := WriteProvingKey(pkPath, pk); err != nil {
		t.Fatal(err)
	}
	if err := WriteVerifyingKey(vkPath, vk); err != nil {
		t.Fatal(err)
	}
}

// wantNoProof checks that p made no proof of c and holds no keys for it.
func wantNoProof(t *testing.T, p *Prover, c Circuit) {
	t.Helper()
	if s := p.Stats(c); s.Engine != "" || s.GnarkProofs+s.TableProofs != 0 {
		t.Fatalf("%s: engine %q, %d proofs after a refusal", c, s.Engine, s.GnarkProofs+s.TableProofs)
	}
}

// TestProverRefusesCraftedKeys: the key-swap attack's pair, on disk, is
// refused at first use, before any proof is made; with the genuine hash
// pinned, its verifying key is refused before the proving key is read.
func TestProverRefusesCraftedKeys(t *testing.T) {
	dir := t.TempDir()
	for _, c := range Circuits() {
		pk, vk := craftedPair(t, c)
		writeKeys(t, dir, pk, vk)
	}
	in := randomTransfer(t, 1)
	for _, opts := range [][]ProverOption{nil, {LongRunning()}, {WithEngine(EngineTables)}} {
		p := OpenProver(dir, opts...)
		_, proof, err := p.ProveTransfer(in)
		if !errors.Is(err, ErrBadKeyPair) || proof != nil {
			t.Fatalf("transfer with the crafted pair: proof %v, error %v", proof, err)
		}
		pkPath, _ := KeyPaths(dir, Transfer)
		if !strings.Contains(err.Error(), pkPath) {
			t.Fatalf("the error does not name %s: %v", pkPath, err)
		}
		if _, _, err := p.ProveMint(MintInput{Amount: in.Amount, AmountBlinding: in.AmountBlinding, Context: in.Context}); !errors.Is(err, ErrBadKeyPair) {
			t.Fatalf("mint with the crafted pair: %v", err)
		}
		wantNoProof(t, p, Transfer)
		wantNoProof(t, p, Mint)
	}
	_, genuine := setupFor(t, Transfer)
	p := OpenProver(dir, PinVerifyingKeys(map[Circuit][32]byte{Transfer: genuine.Hash()}))
	if _, _, err := p.ProveTransfer(in); !errors.Is(err, ErrVKNotPinned) {
		t.Fatalf("the crafted verifying key under a pin: %v", err)
	}
	wantNoProof(t, p, Transfer)
}

func TestProverPins(t *testing.T) {
	dir := keyDir(t, Mint)
	_, vk := setupFor(t, Mint)
	good := map[Circuit][32]byte{Mint: vk.Hash()}
	other := vk.Hash()
	other[0] ^= 1
	in := MintInput{Amount: 5, AmountBlinding: randomTransfer(t, 0).AmountBlinding, Context: NewContext("sable/zkp/test")}

	if _, _, err := OpenProver(dir, PinVerifyingKeys(good)).ProveMint(in); err != nil {
		t.Fatalf("pinned to its own hash: %v", err)
	}

	p := OpenProver(dir, PinVerifyingKeys(map[Circuit][32]byte{Mint: other}))
	_, _, err := p.ProveMint(in)
	if !errors.Is(err, ErrVKNotPinned) {
		t.Fatalf("pinned to another hash: %v", err)
	}
	_, vkPath := KeyPaths(dir, Mint)
	for _, s := range []string{vkPath, vk.HashHex(), hex.EncodeToString(other[:])} {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("the error does not say %s: %v", s, err)
		}
	}
	wantNoProof(t, p, Mint)

	// Pinned after the keys are in use: a mismatch drops them.
	p = OpenProver(dir)
	if _, _, err := p.ProveMint(in); err != nil {
		t.Fatal(err)
	}
	if err := p.Pin(good); err != nil {
		t.Fatalf("pinning the loaded key's own hash: %v", err)
	}
	if err := p.Pin(map[Circuit][32]byte{Mint: other}); err == nil {
		t.Fatal("pinned to a second hash")
	}
	p = OpenProver(dir)
	if _, _, err := p.ProveMint(in); err != nil {
		t.Fatal(err)
	}
	if err := p.Pin(map[Circuit][32]byte{Mint: other}); !errors.Is(err, ErrVKNotPinned) {
		t.Fatalf("pinning another hash after use: %v", err)
	}
	if _, _, err := p.ProveMint(in); !errors.Is(err, ErrVKNotPinned) {
		t.Fatalf("proving after a failed pin: %v", err)
	}
	if err := p.Pin(map[Circuit][32]byte{"plonk": other}); err == nil {
		t.Fatal("pinned an unknown circuit")
	}
}
