package zkp

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Bundle is a self-contained proof: the circuit, the hash of the verifying
// key it was made for, the public inputs and the proof. It holds no secret.
type Bundle struct {
	Circuit Circuit      `json:"circuit"`
	VKHash  string       `json:"vk_hash"`
	Public  BundlePublic `json:"public"`
	Proof   string       `json:"proof"`
}

// BundlePublic holds a bundle's public inputs as hex encodings.
type BundlePublic struct {
	Available string   `json:"available,omitempty"` // transfer and batch
	Amount    string   `json:"amount,omitempty"`    // all but batch; fx: leg A's amount
	AmountB   string   `json:"amount_b,omitempty"`  // fx only: leg B's amount
	Rate      string   `json:"rate,omitempty"`      // fx only: R in decimal, at scale FXScale
	Amounts   []string `json:"amounts,omitempty"`   // batch only: 1 to BatchSize amounts
	Context   string   `json:"context"`
}

// ErrBundleFormat reports a bundle that cannot be read at all, as opposed to
// one that reads but does not verify.
var ErrBundleFormat = errors.New("zkp: not a usable proof bundle")

// NewBundle packs a statement and its proof.
func NewBundle(vk *VerifyingKey, pub Public, proof *Proof) Bundle {
	b := Bundle{
		Circuit: pub.Circuit,
		VKHash:  vk.HashHex(),
		Public:  BundlePublic{Context: pub.Context.String()},
		Proof:   proof.String(),
	}
	if pub.Circuit == Batch {
		for _, a := range pub.Amounts {
			b.Public.Amounts = append(b.Public.Amounts, a.String())
		}
	} else {
		b.Public.Amount = pub.Amount.String()
	}
	if pub.Circuit == Transfer || pub.Circuit == Batch {
		b.Public.Available = pub.Available.String()
	}
	if pub.Circuit == FX {
		b.Public.AmountB, b.Public.Rate = pub.AmountB.String(), strconv.FormatUint(pub.Rate, 10)
	}
	return b
}

// Marshal renders the bundle as indented JSON.
func (b Bundle) Marshal() []byte {
	out, _ := json.MarshalIndent(b, "", "  ") // plain strings: cannot fail
	return append(out, '\n')
}

// ParseBundle reads a bundle strictly: unknown fields, missing fields,
// trailing data, non-hex or wrongly sized values are ErrBundleFormat.
func ParseBundle(data []byte) (Bundle, error) {
	var b Bundle
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return b, fmt.Errorf("%w: %w", ErrBundleFormat, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return b, fmt.Errorf("%w: trailing data after the JSON object", ErrBundleFormat)
	}
	if _, err := ParseCircuit(string(b.Circuit)); err != nil {
		return b, fmt.Errorf("%w: %w", ErrBundleFormat, err)
	}
	type field struct {
		name, value string
		size        int
	}
	fields := []field{
		{"vk_hash", b.VKHash, 32},
		{"public.context", b.Public.Context, ContextSize},
		{"proof", b.Proof, ProofSize},
	}
	if b.Circuit == Batch {
		if n := len(b.Public.Amounts); n == 0 || n > BatchSize {
			return b, fmt.Errorf("%w: a batch bundle has 1 to %d public.amounts, not %d", ErrBundleFormat, BatchSize, n)
		}
		if b.Public.Amount != "" {
			return b, fmt.Errorf("%w: a batch bundle has public.amounts, not public.amount", ErrBundleFormat)
		}
		for i, a := range b.Public.Amounts {
			fields = append(fields, field{fmt.Sprintf("public.amounts[%d]", i), a, CommitmentSize})
		}
	} else {
		if len(b.Public.Amounts) != 0 {
			return b, fmt.Errorf("%w: a %s bundle has no public.amounts", ErrBundleFormat, b.Circuit)
		}
		fields = append(fields, field{"public.amount", b.Public.Amount, CommitmentSize})
	}
	if b.Circuit == Transfer || b.Circuit == Batch {
		fields = append(fields, field{"public.available", b.Public.Available, CommitmentSize})
	} else if b.Public.Available != "" {
		return b, fmt.Errorf("%w: a %s bundle has no public.available", ErrBundleFormat, b.Circuit)
	}
	if b.Circuit == FX {
		fields = append(fields, field{"public.amount_b", b.Public.AmountB, CommitmentSize})
		if _, err := parseRate(b.Public.Rate); err != nil {
			return b, fmt.Errorf("%w: %w", ErrBundleFormat, err)
		}
	} else if b.Public.AmountB != "" || b.Public.Rate != "" {
		return b, fmt.Errorf("%w: a %s bundle has no public.amount_b or public.rate", ErrBundleFormat, b.Circuit)
	}
	for _, f := range fields {
		if f.value == "" {
			return b, fmt.Errorf("%w: missing %s", ErrBundleFormat, f.name)
		}
		raw, err := hex.DecodeString(f.value)
		if err != nil || len(raw) != f.size {
			return b, fmt.Errorf("%w: %s is not %d bytes of hex", ErrBundleFormat, f.name, f.size)
		}
	}
	return b, nil
}

// Verify checks the bundle against vk: same key, valid public points and
// context, a proof that decodes and verifies. Every failure wraps
// ErrInvalidProof.
func (b Bundle) Verify(vk *VerifyingKey) error {
	if b.Circuit != vk.Circuit() {
		return fmt.Errorf("%w: bundle is for the %s circuit, key for %s", ErrInvalidProof, b.Circuit, vk.Circuit())
	}
	if b.VKHash != vk.HashHex() {
		return fmt.Errorf("%w: bundle was made for verifying key %s, not %s", ErrInvalidProof, b.VKHash, vk.HashHex())
	}
	pub, proof, err := b.statement()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidProof, err)
	}
	return vk.Verify(pub, proof)
}

func (b Bundle) statement() (Public, *Proof, error) {
	pub := Public{Circuit: b.Circuit}
	var err error
	if b.Circuit == Transfer || b.Circuit == Batch {
		if pub.Available, err = ParseCommitment(b.Public.Available); err != nil {
			return pub, nil, fmt.Errorf("public.available: %w", err)
		}
	}
	if b.Circuit == Batch {
		for i, a := range b.Public.Amounts {
			c, err := ParseCommitment(a)
			if err != nil {
				return pub, nil, fmt.Errorf("public.amounts[%d]: %w", i, err)
			}
			pub.Amounts = append(pub.Amounts, c)
		}
	} else if pub.Amount, err = ParseCommitment(b.Public.Amount); err != nil {
		return pub, nil, fmt.Errorf("public.amount: %w", err)
	}
	if b.Circuit == FX {
		if pub.AmountB, err = ParseCommitment(b.Public.AmountB); err != nil {
			return pub, nil, fmt.Errorf("public.amount_b: %w", err)
		}
		if pub.Rate, err = parseRate(b.Public.Rate); err != nil {
			return pub, nil, err
		}
	}
	if pub.Context, err = ParseContext(b.Public.Context); err != nil {
		return pub, nil, fmt.Errorf("public.context: %w", err)
	}
	proof, err := ParseProof(b.Proof)
	return pub, proof, err
}

// Statement decodes the bundle's public inputs and proof, checking every
// point; it does not verify the proof.
func (b Bundle) Statement() (Public, *Proof, error) { return b.statement() }

// parseRate reads an fx bundle's rate: a canonical decimal below 2^64.
func parseRate(s string) (uint64, error) {
	r, err := strconv.ParseUint(s, 10, 64)
	if err != nil || strconv.FormatUint(r, 10) != s {
		return 0, fmt.Errorf("public.rate %q is not a canonical decimal below 2^64", s)
	}
	return r, nil
}
