package demo

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/sable-settlement/sable/ledger/audit"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/ledger/testnet"
	"github.com/sable-settlement/sable/zkp/ceremony"
)

// ceremony makes the network's proving and verifying keys in a multi-party
// Groth16 setup: the first Contributors banks contribute to phase 1, a
// beacon seals it, they contribute to phase 2, and a second beacon
// finalizes it. It returns the keys' directory, empty for the development
// setup (Contributors 0).
func (d *demo) ceremony() (string, error) {
	n := d.opts.Contributors
	if n == 0 {
		return "", nil
	}
	if n < 0 || n > len(testnet.Banks) {
		return "", fmt.Errorf("demo: %d ceremony contributors; the banks are %d", n, len(testnet.Banks))
	}
	t0 := time.Now()
	dir := filepath.Join(d.opts.Dir, "ceremony")
	// The parties' identities come first, as in production: each bank
	// signs its contributions with the key the genesis will list.
	d.identities = filepath.Join(d.opts.Dir, "identities")
	if err := testnet.WriteIdentities(d.identities); err != nil {
		return "", fmt.Errorf("demo: identities: %w", err)
	}
	signers, err := d.signers(n)
	if err != nil {
		return "", err
	}
	d.signed = signers.parties()
	steps := 0
	next := func(what string) string { // every step writes a new transcript directory
		steps++
		return filepath.Join(dir, fmt.Sprintf("%02d-%s", steps, what))
	}
	t, err := ceremony.Init(next("init"))
	if err != nil {
		return "", fmt.Errorf("demo: ceremony: %w", err)
	}
	if t, err = contributeAll(t, signers, next); err != nil {
		return "", err
	}
	if t, _, err = t.SealPhase1(next("seal"), d.beacon(1)); err != nil {
		return "", fmt.Errorf("demo: ceremony: %w", err)
	}
	if t, err = contributeAll(t, signers, next); err != nil {
		return "", err
	}
	if err := t.RequireSigned(d.signed); err != nil { // what a bank runs before it trusts the keys
		return "", fmt.Errorf("demo: ceremony: %w", err)
	}
	keys := filepath.Join(dir, "keys")
	rec, err := t.Finalize(keys, d.beacon(2))
	if err != nil {
		return "", fmt.Errorf("demo: ceremony: %w", err)
	}
	d.ceremonyHash = rec.Hash
	d.printf("ceremony  Groth16 keys from a multi-party setup: %d contributors in each phase (%s), each contribution signed with the bank's identity key (the genesis lists the same keys), each phase closed by a public beacon; ceremony %s (%s)\n",
		n, strings.Join(contributorNames(n), ", "), rec.Hash, time.Since(t0).Round(time.Millisecond))
	return keys, nil
}

// checkSigners checks that the genesis lists, for every bank that signed
// the ceremony, the key it signed with: the signatures then name parties
// of the chain, which 'sable ceremony verify --contributors' relies on.
func (d *demo) checkSigners() error {
	listed := map[string]string{}
	for _, p := range d.layout.Genesis.Parties {
		listed[p.ID] = p.SignKey
	}
	for _, p := range d.signed {
		if listed[p.Name] != p.Key {
			return fmt.Errorf("demo: %s signed the ceremony with key %s, the genesis lists %q", p.Name, ceremony.Fingerprint(p.Key), listed[p.Name])
		}
	}
	return nil
}

// signer is a contributing bank and its identity key.
type signer struct {
	name string
	key  ed25519.PrivateKey
}

type signerList []signer

// parties lists the signers as 'sable ceremony verify --contributors' reads them.
func (s signerList) parties() []ceremony.Party {
	var ps []ceremony.Party
	for _, c := range s {
		ps = append(ps, ceremony.Party{Name: c.name, Key: hex.EncodeToString(c.key.Public().(ed25519.PublicKey))})
	}
	return ps
}

// signers loads the first n banks' identity keys from their homes under
// d.identities.
func (d *demo) signers(n int) (signerList, error) {
	var s signerList
	for _, name := range contributorNames(n) {
		id, err := party.LoadIdentity(filepath.Join(d.identities, "banks", name))
		if err != nil {
			return nil, fmt.Errorf("demo: identities: %w", err)
		}
		s = append(s, signer{name, id.Sign})
	}
	return s, nil
}

// contributeAll adds one signed contribution per contributor to the
// transcript's current phase, each checking every contribution before it.
func contributeAll(t *ceremony.Transcript, signers signerList, next func(string) string) (*ceremony.Transcript, error) {
	for _, c := range signers {
		var err error
		if t, _, err = t.ContributeSigned(next(c.name), c.name, c.key); err != nil {
			return nil, fmt.Errorf("demo: ceremony: %s contributes: %w", c.name, err)
		}
	}
	return t, nil
}

// contributorNames are the first n banks: the parties that rely on the
// keys' soundness contribute to them.
func contributorNames(n int) []string {
	var names []string
	for _, b := range testnet.Banks[:n] {
		names = append(names, b.ID)
	}
	return names
}

// beacon stands in for phase k's public beacon. A real ceremony takes
// randomness fixed after the phase's last contribution (a drand round
// announced in advance); the demo derives it from its seed so a run is
// reproducible up to the contributors' own randomness.
func (d *demo) beacon(phase uint64) []byte {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], d.opts.Seed)
	binary.BigEndian.PutUint64(b[8:], phase)
	s := sha256.Sum256(append([]byte("sable demo beacon "), b[:]...))
	return s[:]
}

// opener is how the audit decrypts: through the first t regulator parties'
// shares when the key is shared, else with the regulator's whole key. It
// also names who decrypted, for the summary.
func (d *demo) opener() (audit.Opener, string, error) {
	if len(d.layout.Regulators) == 0 {
		sk, err := party.LoadHESecretKey(d.layout.Regulator.Home)
		if err != nil {
			return nil, "", err
		}
		return audit.NewKeyOpener(sk), "the regulator", nil
	}
	var holders []audit.Holder
	var names []string
	var h *audit.RegulatorHome
	for i, home := range d.layout.Regulators {
		var err error
		if h, err = audit.LoadRegulatorHome(home); err != nil {
			return nil, "", err
		}
		// Each party reads the ledger from its own validator: a party
		// rebuilds every ciphertext it decrypts from the ledger itself.
		c, err := client.Dial(d.layout.Validators[i%len(d.layout.Validators)].RPC)
		if err != nil {
			return nil, "", fmt.Errorf("demo: regulator %s: %w", h.Jurisdiction, err)
		}
		holders = append(holders, h.Regulator(c))
		names = append(names, h.Jurisdiction)
		if len(holders) == h.Share.Threshold() {
			break // t parties suffice; the others are not asked
		}
	}
	op, err := h.Opener(holders)
	if err != nil {
		return nil, "", fmt.Errorf("demo: %w", err)
	}
	return op, fmt.Sprintf("%d of %d regulator parties (%s), through their decryption shares,", len(holders), h.Share.Parties(), strings.Join(names, ", ")), nil
}

// printRegulators says how the regulator's HE key is held.
func (d *demo) printRegulators() {
	if len(d.layout.Regulators) == 0 {
		return
	}
	d.printf("regulators %s share the regulator's HE key %d-of-%d (homes in regulators/<jurisdiction>); the genesis holds the collective key, no file the whole key\n",
		strings.Join(d.opts.Regulators, ", "), d.opts.Threshold, len(d.opts.Regulators))
}
