package ceremony

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func pubHex(k ed25519.PrivateKey) string { return hex.EncodeToString(k.Public().(ed25519.PublicKey)) }

func signHex(k ed25519.PrivateKey, hash string) string {
	return hex.EncodeToString(ed25519.Sign(k, signatureMessage(hash)))
}

// rehash recomputes the chain from entry i on as an attacker would,
// keeping the signatures after it (it cannot make them again).
func rehash(m *Manifest, i int) {
	for ; i < len(m.Entries); i++ {
		m.Entries[i].Prev = m.Entries[i-1].Hash
		m.Entries[i].Hash = entryHash(m.Entries[i])
	}
}

// resign gives entry i key k, signs it again with k and rehashes the
// chain after it: a rewrite by whoever holds k.
func resign(m *Manifest, i int, k ed25519.PrivateKey) {
	m.Entries[i].Key = pubHex(k)
	m.Entries[i].Hash = entryHash(m.Entries[i])
	m.Entries[i].Sig = signHex(k, m.Entries[i].Hash)
	rehash(m, i+1)
}

// An unsigned entry hashes as before contributions could be signed, so a
// transcript written then keeps its chain. The hash was computed by the
// code before this change.
func TestEntryHashUnsignedUnchanged(t *testing.T) {
	e := Entry{Kind: KindPhase1, Index: 2, Name: "bank-hk", Prev: "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
		Files: []File{{Path: "phase1/002.bin", Size: 3150528, SHA256: "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"}}}
	if got := entryHash(e); got != "9cd1ca379647dfb3e1e643d89b37c0c8c7e5c90de5050d7b9835e727ea147fe6" {
		t.Fatalf("an unsigned entry hashes to %s, not its old hash", got)
	}
	e.Key = pubHex(testKey("bank-hk"))
	if entryHash(e) == "9cd1ca379647dfb3e1e643d89b37c0c8c7e5c90de5050d7b9835e727ea147fe6" {
		t.Fatal("the entry's hash does not cover its key")
	}
}

// The fixture's signed contributions carry their contributor's key and a
// signature of their hash; bank-us's are unsigned and verify all the same.
func TestCeremonySignedContributions(t *testing.T) {
	f := theCeremony(t)
	tr, err := Open(f.dirs[7])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Verify(); err != nil {
		t.Fatal(err)
	}
	signed := 0
	for i, e := range tr.Manifest.Entries {
		key, ok := signers[e.Name]
		switch {
		case e.Kind != KindPhase1 && e.Kind != KindPhase2:
			if e.Signed() {
				t.Errorf("entry %d (%s) is signed", i, e.Kind)
			}
		case !ok:
			if e.Signed() || e.Sig != "" {
				t.Errorf("entry %d by %s is signed, it contributed unsigned", i, e.Name)
			}
		default:
			sig, _ := hex.DecodeString(e.Sig)
			if !e.Signed() || e.Key != pubHex(key) || !ed25519.Verify(key.Public().(ed25519.PublicKey), signatureMessage(e.Hash), sig) {
				t.Errorf("entry %d by %s: key %q sig %q, want signed by its key", i, e.Name, e.Key, e.Sig)
			}
			signed++
		}
	}
	if signed != 4 {
		t.Fatalf("%d signed contributions, want 4", signed)
	}
	for _, c := range f.rec.Contributors {
		if want := signers[c.Name]; (want == nil) != (c.Key == "") || want != nil && c.Key != pubHex(want) {
			t.Errorf("the record lists %s with key %q", c.Name, c.Key)
		}
	}
}

// A signature that is not the contributor's, or a key or signature
// replaced or removed, is refused when the transcript is opened, naming
// the entry.
func TestCeremonyRefusesBadSignatures(t *testing.T) {
	f := theCeremony(t)
	mallory := testKey("mallory")
	cases := []struct {
		name  string
		edit  func(m *Manifest)
		entry string
		want  string
	}{
		{"signed by another key", func(m *Manifest) { m.Entries[5].Sig = signHex(mallory, m.Entries[5].Hash) }, "entry 5", "signature does not verify"},
		{"signature tampered", func(m *Manifest) {
			b, _ := hex.DecodeString(m.Entries[2].Sig)
			b[10] ^= 0x01
			m.Entries[2].Sig = hex.EncodeToString(b)
		}, "entry 2", "signature does not verify"},
		{"public key swapped", func(m *Manifest) { m.Entries[5].Key = pubHex(mallory) }, "entry 5", "is not what it holds"},
		{"public key swapped, entry re-signed and chain rehashed", func(m *Manifest) { resign(m, 2, mallory) }, "entry 5", "bank-sg's signature does not verify"},
		{"signature stripped", func(m *Manifest) { m.Entries[6].Key, m.Entries[6].Sig = "", "" }, "entry 6", "is not what it holds"},
		{"signature stripped, key kept", func(m *Manifest) { m.Entries[6].Sig = "" }, "entry 6", "no signature (stripped)"},
		{"signature stripped, chain rehashed", func(m *Manifest) {
			m.Entries[1].Key, m.Entries[1].Sig = "", ""
			rehash(m, 1)
		}, "entry 2", "signature does not verify"},
		{"key in capitals", func(m *Manifest) { m.Entries[5].Key = strings.ToUpper(m.Entries[5].Key) }, "entry 5", "lowercase hex"},
		{"seal signed", func(m *Manifest) { resign(m, 4, mallory) }, "entry 4", "seal is signed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, f.dirs[7])
			editManifest(t, dir, false, tc.edit)
			_, err := Open(dir) // refused before any state is read
			if !errors.Is(err, ErrTranscript) || !strings.Contains(err.Error(), tc.entry+": ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open: %v, want a refusal of %s mentioning %q", err, tc.entry, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("the refusal is not one line: %q", err)
			}
		})
	}
}

// RequireSigned passes when every listed party signed in every phase
// reached, and names each one missing and why otherwise.
func TestCeremonyRequireSigned(t *testing.T) {
	f := theCeremony(t)
	open := func(k int) *Transcript {
		tr, err := Open(f.dirs[k])
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	sg, hk := Party{"bank-sg", pubHex(signers["bank-sg"])}, Party{"bank-hk", pubHex(signers["bank-hk"])}
	if err := open(7).RequireSigned([]Party{sg, hk}); err != nil {
		t.Fatalf("both signers listed: %v", err)
	}
	if err := open(2).RequireSigned([]Party{sg, hk}); err != nil {
		t.Fatalf("in phase 1, both signed it: %v", err)
	}
	us, mallory := Party{"bank-us", pubHex(testKey("bank-us"))}, pubHex(testKey("mallory"))
	cases := []struct {
		name     string
		dir      int
		want     []Party
		mentions []string
		notNamed []string // listed, and signed as listed
	}{
		{"unsigned contributor", 7, []Party{sg, us},
			[]string{"bank-us (key " + Fingerprint(us.Key) + ") contributed unsigned only in phase 1", "bank-us (key " + Fingerprint(us.Key) + ") contributed unsigned only in phase 2"},
			[]string{"bank-sg"}},
		{"another key", 7, []Party{{"bank-hk", mallory}}, []string{"bank-hk (key " + Fingerprint(mallory) + ") signed only under another key (" + Fingerprint(hk.Key) + ") in phase 1"}, nil},
		{"absent", 7, []Party{hk, {"bank-th", pubHex(testKey("bank-th"))}}, []string{"bank-th", "made no contribution in phase 1"}, []string{"bank-hk"}},
		{"phase 2 not yet contributed to", 4, []Party{sg}, []string{"bank-sg (key " + Fingerprint(sg.Key) + ") made no contribution in phase 2"}, []string{"phase 1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := open(tc.dir).RequireSigned(tc.want)
			if !errors.Is(err, ErrNotSigned) {
				t.Fatalf("%v, want ErrNotSigned", err)
			}
			for _, w := range tc.mentions {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not mention %q", err, w)
				}
			}
			for _, w := range tc.notNamed {
				if strings.Contains(err.Error(), w) {
					t.Errorf("%q names %q, which signed", err, w)
				}
			}
		})
	}
}

func TestParseParties(t *testing.T) {
	sg, hk := pubHex(testKey("bank-sg")), pubHex(testKey("bank-hk"))
	want := []Party{{"bank-sg", sg}, {"bank-hk", hk}}
	for name, in := range map[string]string{
		"json":  `[{"name": "bank-sg", "key": "` + sg + `"}, {"name": "bank-hk", "key": "` + hk + `"}]`,
		"lines": "# contributors\nbank-sg " + sg + "\n\n  bank-hk\t" + hk + "\n",
	} {
		got, err := ParseParties([]byte(in))
		if err != nil || len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("%s: %v %v", name, got, err)
		}
	}
	for name, in := range map[string]string{
		"empty":         "# nobody\n",
		"no key":        "bank-sg\n",
		"short key":     "bank-sg " + sg[:62] + "\n",
		"listed twice":  "bank-sg " + sg + "\nbank-sg " + hk + "\n",
		"bad name":      "../bank " + sg + "\n",
		"unknown field": `[{"name": "bank-sg", "key": "` + sg + `", "role": "bank"}]`,
	} {
		if _, err := ParseParties([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
