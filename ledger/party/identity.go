package party

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/internal/atomicfile"
	"github.com/sable-settlement/sable/ledger"
)

// A party's home directory holds:
//
//	party.json   id, role, chain id, node RPC address, proving-key directory
//	sign.key     Ed25519 seed, hex (mode 0600)
//	memo.key     X25519 private key, hex (mode 0600)
//	wallet/      the party's Pebble wallet (openings of its commitments)
const (
	partyFile = "party.json"
	signFile  = "sign.key"
	memoFile  = "memo.key"
)

// Config is party.json.
type Config struct {
	ID      string `json:"id"`
	Role    string `json:"role"` // bank, issuer or regulator
	Country string `json:"country"`
	ChainID string `json:"chain_id"`
	Node    string `json:"node"`    // RPC address, e.g. http://127.0.0.1:26657
	ZKKeys  string `json:"zk_keys"` // directory of proving keys, relative to the home
}

// Identity is a party's configuration and secret keys.
type Identity struct {
	Home    string
	Config  Config
	Sign    ed25519.PrivateKey
	MemoKey [32]byte // X25519 private
	MemoPub [32]byte
}

// NewIdentity generates fresh keys for a party.
func NewIdentity(cfg Config) (*Identity, error) {
	_, sign, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("ledger: signing key: %w", err)
	}
	priv, pub, err := ledger.GenerateMemoKey()
	if err != nil {
		return nil, err
	}
	return &Identity{Config: cfg, Sign: sign, MemoKey: priv, MemoPub: pub}, nil
}

// SignPub returns the Ed25519 public key.
func (id *Identity) SignPub() [32]byte {
	var p [32]byte
	copy(p[:], id.Sign.Public().(ed25519.PublicKey))
	return p
}

// GenesisParty renders the identity's public part for genesis.
func (id *Identity) GenesisParty() ledger.GenesisParty {
	sp := id.SignPub()
	return ledger.GenesisParty{ID: id.Config.ID, Role: id.Config.Role, Country: id.Config.Country,
		SignKey: hex.EncodeToString(sp[:]), MemoKey: hex.EncodeToString(id.MemoPub[:])}
}

// Write stores the identity in home; key files get mode 0600.
func (id *Identity) Write(home string) error {
	if err := os.MkdirAll(home, 0o700); err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	cfg, _ := json.MarshalIndent(id.Config, "", "  ")
	files := []struct {
		name string
		data []byte
		perm os.FileMode
	}{
		{partyFile, append(cfg, '\n'), 0o644},
		{signFile, []byte(hex.EncodeToString(id.Sign.Seed()) + "\n"), 0o600},
		{memoFile, []byte(hex.EncodeToString(id.MemoKey[:]) + "\n"), 0o600},
	}
	for _, f := range files {
		if err := atomicfile.Write(filepath.Join(home, f.name), f.data, f.perm); err != nil {
			return err
		}
	}
	id.Home = home
	return nil
}

// LoadIdentity reads a party's home.
func LoadIdentity(home string) (*Identity, error) {
	raw, err := os.ReadFile(filepath.Join(home, partyFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("ledger: %s is not a party home (no %s)", home, partyFile)
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	id := &Identity{Home: home}
	if err := json.Unmarshal(raw, &id.Config); err != nil {
		return nil, fmt.Errorf("ledger: %s: %w", filepath.Join(home, partyFile), err)
	}
	if id.Sign, err = ReadSignKey(filepath.Join(home, signFile)); err != nil {
		return nil, err
	}
	memo, err := readKeyHex(filepath.Join(home, memoFile), 32)
	if err != nil {
		return nil, err
	}
	copy(id.MemoKey[:], memo)
	copy(id.MemoPub[:], ledger.MemoPublicKey(id.MemoKey))
	return id, nil
}

// ReadSignKey reads an Ed25519 signing key from a file holding its seed
// in hex, readable by its owner only (as a home's sign.key).
func ReadSignKey(path string) (ed25519.PrivateKey, error) {
	seed, err := readKeyHex(path, ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

func readKeyHex(path string, size int) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("ledger: %s is readable by others (mode %v); chmod 600 it", path, st.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(b) != size {
		return nil, fmt.Errorf("ledger: %s is not a %d-byte hex key", path, size)
	}
	return b, nil
}

// ZKKeysDir returns the proving-key directory, resolved against the home.
func (id *Identity) ZKKeysDir() string {
	if filepath.IsAbs(id.Config.ZKKeys) {
		return id.Config.ZKKeys
	}
	return filepath.Join(id.Home, id.Config.ZKKeys)
}

// The regulator's HE key pair lives in its home: he.sk (mode 0600) and he.pk.
const (
	heSecretFile = "he.sk"
	hePublicFile = "he.pk"
)

// WriteHEKeys stores the regulator's HE key pair in home.
func WriteHEKeys(home string, sk *he.SecretKey, pk *he.PublicKey) error {
	if err := os.MkdirAll(home, 0o700); err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	skb, err := sk.MarshalBinary()
	if err != nil {
		return fmt.Errorf("ledger: HE secret key: %w", err)
	}
	pkb, err := pk.MarshalBinary()
	if err != nil {
		return fmt.Errorf("ledger: HE public key: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(home, heSecretFile), skb, 0o600); err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(home, hePublicFile), pkb, 0o644)
}

// LoadHESecretKey reads the regulator's HE secret key from home (or from a
// directory that holds he.sk).
func LoadHESecretKey(home string) (*he.SecretKey, error) {
	path := filepath.Join(home, heSecretFile)
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("ledger: regulator HE key: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("ledger: %s is readable by others (mode %v); chmod 600 it", path, st.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	var sk he.SecretKey
	if err := sk.UnmarshalBinary(raw); err != nil {
		return nil, fmt.Errorf("ledger: %s: %w", path, err)
	}
	return &sk, nil
}
