package zkp

import (
	"errors"
	"testing"

	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
)

// NewKeyPair takes keys made elsewhere only if they pass what a key read
// from a file passes: the verifying key's shape and CheckKeyPair.
func TestNewKeyPair(t *testing.T) {
	pk, vk := setupFor(t, Mint)
	p, v, err := NewKeyPair(Mint, pk.pk, vk.vk)
	if err != nil {
		t.Fatal(err)
	}
	if v.Hash() != vk.Hash() || p.Circuit() != Mint {
		t.Fatal("the wrapped verifying key hashes differently")
	}
	otherPK, otherVK, err := SetupDev(Mint) // another setup of the same circuit
	if err != nil {
		t.Fatal(err)
	}
	short := *vk.vk
	short.G1.K = short.G1.K[:len(short.G1.K)-1]
	for name, tc := range map[string]struct {
		c  Circuit
		pk *groth16bn254.ProvingKey
		vk *groth16bn254.VerifyingKey
	}{
		"keys of two setups":       {Mint, otherPK.pk, vk.vk},
		"another circuit's keys":   {Transfer, pk.pk, vk.vk},
		"a public input left out":  {Mint, pk.pk, &short},
		"a missing verifying key":  {Mint, pk.pk, nil},
		"the other setup's vk too": {Mint, pk.pk, otherVK.vk},
	} {
		if _, _, err := NewKeyPair(tc.c, tc.pk, tc.vk); err == nil {
			t.Errorf("%s: accepted", name)
		} else if name == "keys of two setups" && !errors.Is(err, ErrBadKeyPair) {
			t.Errorf("%s: %v, want ErrBadKeyPair", name, err)
		}
	}
}
