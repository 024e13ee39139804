package zkp

import (
	"fmt"

	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
)

// NewKeyPair wraps Groth16 keys made outside SetupDev (by the multi-party
// ceremony, zkp/ceremony) for circuit c, once they pass the checks every
// key read from a file passes: the verifying key's shape (one K point per
// public input and the constant, no BSB22 commitment) and CheckKeyPair.
func NewKeyPair(c Circuit, pk *groth16bn254.ProvingKey, vk *groth16bn254.VerifyingKey) (*ProvingKey, *VerifyingKey, error) {
	if pk == nil || vk == nil {
		return nil, nil, fmt.Errorf("zkp: %s: a key is missing", c)
	}
	if len(vk.G1.K) != c.PublicInputs()+1 || len(vk.CommitmentKeys) != 0 || len(vk.PublicAndCommitmentCommitted) != 0 {
		return nil, nil, fmt.Errorf("zkp: verifying key does not fit the %s circuit", c)
	}
	p := &ProvingKey{circuit: c, pk: pk}
	v := &VerifyingKey{circuit: c, vk: vk, hash: vkHash(c, vk)}
	if err := CheckKeyPair(p, v); err != nil {
		return nil, nil, err
	}
	return p, v, nil
}
