package ceremony

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// A contribution's name is a claim; its signature is evidence. A
// contributor may sign its contribution with its Ed25519 identity key (a
// bank's party signing key): the entry records the public key, which its
// hash covers, and a signature of that hash under SignatureLabel. Since
// the hash commits to every entry before it, the signature also says
// "I built on this transcript". An unsigned contribution stays valid (it
// still adds randomness, and older transcripts have only those); a
// verifier that needs a given bank to have taken part requires its
// signature (Transcript.RequireSigned).

// SignatureLabel separates a contribution's signature from anything else
// the same key signs (a party's transactions, its approvals). Versioned:
// another message format gets another label.
const SignatureLabel = "sable/ceremony contribution signature v1\x00"

// signatureMessage is SignatureLabel ‖ the entry's 32-byte hash.
func signatureMessage(hash string) []byte {
	return append([]byte(SignatureLabel), mustHex(hash)...)
}

// Signed says whether a contribution carries its contributor's key and
// signature (checked by Open).
func (e Entry) Signed() bool { return e.Key != "" }

// Fingerprint is a public key's short form for people: its first 8 bytes
// in hex, which a bank compares with the start of its own key (a
// genesis's sign_key). Checks compare whole keys.
func Fingerprint(key string) string {
	if len(key) < 16 {
		return key
	}
	return key[:16]
}

// decodeFixedHex decodes lowercase hex of exactly n bytes: one spelling
// per value, since the hashes and comparisons use the hex as written.
func decodeFixedHex(s string, n int) ([]byte, bool) {
	b, err := hex.DecodeString(s)
	return b, err == nil && len(b) == n && hex.EncodeToString(b) == s
}

// checkSignature checks a contribution's signature, if it has one. Its
// hash (which covers the key) has been checked before.
func checkSignature(e Entry) error {
	switch {
	case e.Key == "" && e.Sig == "":
		return nil // unsigned
	case e.Key == "":
		return fmt.Errorf("%s's entry carries a signature but no key", e.Name)
	case e.Sig == "":
		return fmt.Errorf("%s's entry names key %s but carries no signature (stripped)", e.Name, Fingerprint(e.Key))
	}
	pub, ok := decodeFixedHex(e.Key, ed25519.PublicKeySize)
	if !ok {
		return fmt.Errorf("%s's key is not %d bytes of lowercase hex", e.Name, ed25519.PublicKeySize)
	}
	sig, ok := decodeFixedHex(e.Sig, ed25519.SignatureSize)
	if !ok {
		return fmt.Errorf("%s's signature is not %d bytes of lowercase hex", e.Name, ed25519.SignatureSize)
	}
	if !ed25519.Verify(pub, signatureMessage(e.Hash), sig) {
		return fmt.Errorf("%s's signature does not verify under key %s (forged, or its key or signature replaced)", e.Name, Fingerprint(e.Key))
	}
	return nil
}

// Party is a contributor a verifier requires: its name in the transcript
// and its Ed25519 public key, hex.
type Party struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// ParseParties reads a list of required contributors: a JSON array of
// {"name": ..., "key": ...}, or lines "name hexkey" (blank lines and
// lines starting with '#' skipped).
func ParseParties(data []byte) ([]Party, error) {
	var ps []Party
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '[' {
		dec := json.NewDecoder(bytes.NewReader(t))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ps); err != nil {
			return nil, fmt.Errorf("ceremony: contributors: %w", err)
		}
	} else {
		sc := bufio.NewScanner(bytes.NewReader(data))
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			f := strings.Fields(line)
			if len(f) != 2 {
				return nil, fmt.Errorf("ceremony: contributors line %d: %q: want \"name hexkey\"", n, line)
			}
			ps = append(ps, Party{Name: f[0], Key: f[1]})
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("ceremony: contributors: %w", err)
		}
	}
	return ps, checkParties(ps)
}

func checkParties(ps []Party) error {
	if len(ps) == 0 {
		return errors.New("ceremony: contributors: the list is empty")
	}
	seen := map[string]bool{}
	for _, p := range ps {
		if err := CheckName(p.Name); err != nil {
			return err
		}
		if _, ok := decodeFixedHex(p.Key, ed25519.PublicKeySize); !ok {
			return fmt.Errorf("ceremony: contributor %s: key %q is not %d bytes of lowercase hex", p.Name, p.Key, ed25519.PublicKeySize)
		}
		if seen[p.Name] {
			return fmt.Errorf("ceremony: contributor %s is listed twice", p.Name)
		}
		seen[p.Name] = true
	}
	return nil
}

// ErrNotSigned marks a transcript in which a required contributor did not
// sign a contribution.
var ErrNotSigned = errors.New("ceremony: a required contributor did not sign")

// RequireSigned checks that each party signed, under its name and key, at
// least one contribution in each phase the transcript has reached (phase
// 2 once phase 1 is sealed): the keys' soundness needs an honest
// contributor in each phase, so a bank that trusts only itself needs to
// be in both. It names every party missing, and how. The signatures
// themselves were checked when the transcript was opened.
func (t *Transcript) RequireSigned(want []Party) error {
	if err := checkParties(want); err != nil {
		return err
	}
	var missing []string
	for phase, kind := range []string{KindPhase1, KindPhase2}[:t.Manifest.Phase] {
		for _, p := range want {
			if why := t.Manifest.signedBy(kind, p); why != "" {
				missing = append(missing, fmt.Sprintf("%s (key %s) %s in phase %d", p.Name, Fingerprint(p.Key), why, phase+1))
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s", ErrNotSigned, strings.Join(missing, "; "))
	}
	return nil
}

// signedBy returns "" if p signed a contribution of kind, else why not.
func (m *Manifest) signedBy(kind string, p Party) string {
	why := "made no contribution"
	for _, e := range m.Entries {
		switch {
		case e.Kind != kind || e.Name != p.Name:
		case e.Key == p.Key:
			return ""
		case e.Key == "":
			why = "contributed unsigned only"
		default:
			why = "signed only under another key (" + Fingerprint(e.Key) + ")"
		}
	}
	return why
}
