package audit

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/internal/atomicfile"
)

// A regulator party's home directory:
//
//	he.share         its Shamir share of the HE key (0600, secret)
//	approval.key     its Ed25519 approval key seed (0600, secret)
//	regulator.json   jurisdiction, index, n, t, k and every party's
//	                 approval public key (the roster)
//	he.pk            the collective HE public key (the genesis holds it too)
//
// Those are the genesis key's (epoch 0). A key rotation (rotate.go) writes
// each later epoch's share, configuration and public key next to them,
// suffixed with the epoch: he.share.1, regulator.json.1, he.pk.1; the
// approval key stays the party's across epochs.
const (
	shareFile    = "he.share"
	approvalFile = "approval.key"
	configFile   = "regulator.json"
	publicFile   = "he.pk"
	homeVersion  = "sable/regulator home v1"
)

// RegulatorHome is a regulator party's home, loaded.
type RegulatorHome struct {
	Dir          string
	Epoch        uint32 // the key epoch whose share is loaded
	Jurisdiction string
	Share        *he.KeyShare
	PublicKey    *he.PublicKey
	MinFlows     int
	Roster       map[int]ed25519.PublicKey
	sign         ed25519.PrivateKey
}

type homeConfig struct {
	Version      string        `json:"v"`
	Jurisdiction string        `json:"jurisdiction"`
	Index        int           `json:"index"`
	Parties      int           `json:"parties"`
	Threshold    int           `json:"threshold"`
	MinFlows     int           `json:"min_flows"`
	Roster       []rosterEntry `json:"roster"`
}

type rosterEntry struct {
	Jurisdiction string `json:"jurisdiction"`
	Index        int    `json:"index"`
	ApprovalKey  string `json:"approval_key"` // hex Ed25519 public key
}

// WriteRegulators runs the t-of-n key generation for one party per
// jurisdiction (he.ThresholdKeys, every party's step in this process, as
// a testnet writer may) and writes each party's home to dir/<jurisdiction>.
// No file holds the whole key. It returns the collective public key and
// the homes, in index order. A deployment runs each party's step on its
// own machine instead (he.ThresholdKeys documents the protocol).
func WriteRegulators(dir string, jurisdictions []string, t, k int) (*he.PublicKey, []string, error) {
	shares, pk, err := he.ThresholdKeys(he.DefaultParams(), len(jurisdictions), t)
	if err != nil {
		return nil, nil, err
	}
	cfg := homeConfig{Version: homeVersion, Parties: len(jurisdictions), Threshold: t, MinFlows: max(k, 1)}
	seeds := make([][]byte, len(shares))
	for i, ks := range shares {
		pub, priv, err := ed25519.GenerateKey(nil)
		if err != nil {
			return nil, nil, fmt.Errorf("ledger: approval key: %w", err)
		}
		seeds[i] = priv.Seed()
		cfg.Roster = append(cfg.Roster, rosterEntry{Jurisdiction: jurisdictions[i], Index: ks.Index(), ApprovalKey: hex.EncodeToString(pub)})
	}
	pkb, err := pk.MarshalBinary()
	if err != nil {
		return nil, nil, err
	}
	homes := make([]string, len(shares))
	for i, ks := range shares {
		homes[i] = filepath.Join(dir, jurisdictions[i])
		c := cfg
		c.Jurisdiction, c.Index = jurisdictions[i], ks.Index()
		if err := writeHome(homes[i], 0, c, ks, seeds[i], pkb); err != nil {
			return nil, nil, err
		}
	}
	return pk, homes, nil
}

// epochFile names a home file of key epoch e: the name itself at epoch 0,
// then suffixed with the epoch.
func epochFile(name string, e uint32) string {
	if e == 0 {
		return name
	}
	return fmt.Sprintf("%s.%d", name, e)
}

// writeHome writes a party's files of key epoch e, and its approval key
// when seed is given.
func writeHome(home string, e uint32, c homeConfig, ks *he.KeyShare, seed, pkb []byte) error {
	if err := os.MkdirAll(home, 0o700); err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	sb, err := ks.MarshalBinary()
	if err != nil {
		return err
	}
	cb, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	type file struct {
		name string
		b    []byte
		perm os.FileMode
	}
	files := []file{{epochFile(shareFile, e), sb, 0o600}, {epochFile(configFile, e), append(cb, '\n'), 0o644}, {epochFile(publicFile, e), pkb, 0o644}}
	if seed != nil {
		files = append(files, file{approvalFile, []byte(hex.EncodeToString(seed)), 0o600})
	}
	for _, f := range files {
		if err := atomicfile.Write(filepath.Join(home, f.name), f.b, f.perm); err != nil {
			return err
		}
	}
	return nil
}

// IsRegulatorHome reports whether dir holds a regulator party's home.
func IsRegulatorHome(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, shareFile))
	return err == nil
}

// LoadRegulatorHome reads a regulator party's home at the genesis key
// (epoch 0); its secret files must not be readable by others.
func LoadRegulatorHome(dir string) (*RegulatorHome, error) { return LoadRegulatorHomeAt(dir, 0) }

// LoadRegulatorHomeAt reads a regulator party's home at key epoch e.
func LoadRegulatorHomeAt(dir string, e uint32) (*RegulatorHome, error) {
	var c homeConfig
	raw, err := os.ReadFile(filepath.Join(dir, epochFile(configFile, e)))
	if err != nil {
		return nil, fmt.Errorf("ledger: regulator home: key epoch %d: %w", e, err)
	}
	if err := json.Unmarshal(raw, &c); err != nil || c.Version != homeVersion {
		return nil, fmt.Errorf("ledger: %s: not a regulator home of version %q", filepath.Join(dir, epochFile(configFile, e)), homeVersion)
	}
	h := &RegulatorHome{Dir: dir, Epoch: e, Jurisdiction: c.Jurisdiction, MinFlows: c.MinFlows, Roster: map[int]ed25519.PublicKey{}}
	for _, r := range c.Roster {
		pub, err := hex.DecodeString(r.ApprovalKey)
		if err != nil || len(pub) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("ledger: %s: approval key of %s is not an Ed25519 key", configFile, r.Jurisdiction)
		}
		h.Roster[r.Index] = pub
	}
	if err := h.loadSecrets(c); err != nil {
		return nil, err
	}
	pkb, err := os.ReadFile(filepath.Join(dir, epochFile(publicFile, e)))
	if err != nil {
		return nil, fmt.Errorf("ledger: regulator home: %w", err)
	}
	h.PublicKey = new(he.PublicKey)
	if err := h.PublicKey.UnmarshalBinary(pkb); err != nil {
		return nil, fmt.Errorf("ledger: %s: %w", filepath.Join(dir, epochFile(publicFile, e)), err)
	}
	return h, nil
}

// loadSecrets reads the key share and the approval key.
func (h *RegulatorHome) loadSecrets(c homeConfig) error {
	path := filepath.Join(h.Dir, epochFile(shareFile, h.Epoch))
	sb, err := readSecret(path)
	if err != nil {
		return err
	}
	h.Share = new(he.KeyShare)
	if err := h.Share.UnmarshalBinary(sb); err != nil {
		return fmt.Errorf("ledger: %s: %w", path, err)
	}
	if h.Share.Index() != c.Index || h.Share.Parties() != c.Parties || h.Share.Threshold() != c.Threshold {
		return fmt.Errorf("ledger: %s: the key share is not party %d of a %d-of-%d key", h.Dir, c.Index, c.Threshold, c.Parties)
	}
	ab, err := readSecret(filepath.Join(h.Dir, approvalFile))
	if err != nil {
		return err
	}
	seed, err := hex.DecodeString(string(ab))
	if err != nil || len(seed) != ed25519.SeedSize {
		return fmt.Errorf("ledger: %s: not an Ed25519 seed", filepath.Join(h.Dir, approvalFile))
	}
	h.sign = ed25519.NewKeyFromSeed(seed)
	if pub, ok := h.Roster[c.Index]; !ok || !pub.Equal(h.sign.Public()) {
		return fmt.Errorf("ledger: %s: the approval key is not the roster's for party %d", h.Dir, c.Index)
	}
	return nil
}

func readSecret(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("ledger: regulator home: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("ledger: %s is readable by others (mode %v); chmod 600 it", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	return b, nil
}

// Regulator returns the party of this home, reading the ledger from src.
func (h *RegulatorHome) Regulator(src Source) *Regulator {
	return NewRegulator(h.Share, h.sign, h.Roster, src, h.MinFlows).WithPublicKey(h.PublicKey)
}

// Opener returns a threshold opener over holders for this home's key.
func (h *RegulatorHome) Opener(holders []Holder) (*ThresholdOpener, error) {
	return NewThresholdOpener(h.Share.Params(), h.Share.Parties(), h.Share.Threshold(), holders)
}
