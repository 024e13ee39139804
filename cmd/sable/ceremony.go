package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/zkp"
	"github.com/sable-settlement/sable/zkp/ceremony"
)

func newCeremonyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ceremony",
		Short: "Run the multi-party setup ceremony that makes production keys",
		Long: `A multi-party Groth16 setup (gnark's mpcsetup): the keys are safe if, in each
phase, any one contributor destroyed its randomness. Each step reads a transcript
directory and writes a new one:

  sable ceremony init --out T0                              phase 1 starts
  sable ceremony contribute --in T0 --out T1 --home BANK    once per contributor, signed
  sable ceremony seal-phase1 --in T3 --out T4 --beacon HEX  phase 1 ends, phase 2 starts
  sable ceremony contribute --in T4 --out T5 --home BANK    once per contributor, signed
  sable ceremony finalize --in T7 --beacon HEX --out KEYS   the keys, with KEYS/ceremony.json
  sable ceremony verify T7 [--keys KEYS] [--contributors F] anyone, at any step

--home BANK signs a contribution with the party's identity key (--key FILE: a seed
file; neither: unsigned, its --name only a claim); verify --contributors requires
the listed parties' signatures. A contribution in phase 2 covers every circuit.
Each beacon is public randomness fixed after the phase's last contribution (say a
drand round announced in advance).`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newCeremonyInitCmd(), newCeremonyContributeCmd(), newCeremonySealCmd(),
		newCeremonyVerifyCmd(), newCeremonyFinalizeCmd())
	return cmd
}

func newCeremonyInitCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "init --out DIR",
		Short: "Start a transcript for every circuit, in phase 1",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return failf("--out is required")
			}
			t, err := ceremony.Init(out)
			if err != nil {
				return failf("%v", err)
			}
			w := cmd.OutOrStdout()
			for _, c := range t.Manifest.Circuits {
				fmt.Fprintf(w, "%-8s %5d constraints  domain %d  r1cs %s\n", c.Name, c.Constraints, c.Domain, c.R1CS)
			}
			fmt.Fprintf(w, "transcript %s: phase 1, %d powers of tau; start %s\n", out, t.Manifest.Powers, t.Manifest.Hash())
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "new directory for the transcript")
	return cmd
}

func newCeremonyContributeCmd() *cobra.Command {
	var in, out, name, home, keyFile string
	cmd := &cobra.Command{
		Use:   "contribute --in DIR --out DIR2 --name NAME [--home PARTY | --key FILE]",
		Short: "Verify a transcript and add a contribution with fresh randomness",
		Long: `Verify a transcript and add a contribution with fresh randomness.

With --home (a party's home: its sign.key) or --key (a file holding an Ed25519 seed
in hex, mode 0600), the contribution is signed: the transcript records the public
key and a signature of the contribution's hash, so 'sable ceremony verify
--contributors' can tell that this party took part. Without either it is unsigned:
the name is only a claim. With --home, --name defaults to the party's id.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, id, err := contributorKey(home, keyFile)
			if err != nil {
				return err
			}
			if name == "" {
				name = id
			}
			if in == "" || out == "" || name == "" {
				return failf("--in, --out and --name are required")
			}
			start := time.Now()
			t, err := openTranscript(in)
			if err != nil {
				return err
			}
			_, e, err := t.ContributeSigned(out, name, key)
			if err != nil {
				return transcriptError(err, in)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "contribution %d to phase %d by %s (%s): %s  (%d bytes, %s)\n",
				e.Index, t.Manifest.Phase, e.Name, signedBy(e), e.Hash, e.Bytes(), time.Since(start).Round(time.Millisecond))
			fmt.Fprintln(cmd.ErrOrStderr(), "sable: randomness destroyed; publish the hash above and find it in 'sable ceremony verify'")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&in, "in", "", "the transcript to contribute to")
	f.StringVar(&out, "out", "", "new directory for the extended transcript")
	f.StringVar(&name, "name", "", "the contributor's name (letters, digits, '.', '_', '-'); default the --home party's id")
	f.StringVar(&home, "home", "", "sign the contribution with this party's identity key (its home's sign.key)")
	f.StringVar(&keyFile, "key", "", "sign the contribution with the Ed25519 seed in this file (hex, mode 0600)")
	return cmd
}

// contributorKey loads the key a contribution is signed with: a party's
// identity key from its home (and the party's id), or a seed file; nil
// with neither flag.
func contributorKey(home, keyFile string) (ed25519.PrivateKey, string, error) {
	switch {
	case home != "" && keyFile != "":
		return nil, "", failf("--home and --key both name a signing key; give one")
	case home != "":
		id, err := party.LoadIdentity(home)
		if err != nil {
			return nil, "", failf("%v", err)
		}
		return id.Sign, id.Config.ID, nil
	case keyFile != "":
		k, err := readSeedFile(keyFile)
		return k, "", err
	}
	return nil, "", nil
}

// readSeedFile reads an Ed25519 seed, hex, from a file that only its
// owner can read (as a party home's sign.key).
func readSeedFile(path string) (ed25519.PrivateKey, error) {
	k, err := party.ReadSignKey(path)
	if err != nil {
		return nil, withHint(failf("--key: %v", err), "the file holds a 32-byte Ed25519 seed in hex, mode 0600, as a party home's sign.key")
	}
	return k, nil
}

// signedBy says who signed a contribution: its key's fingerprint, or
// "unsigned".
func signedBy(e ceremony.Entry) string {
	if !e.Signed() {
		return "unsigned"
	}
	return "key " + ceremony.Fingerprint(e.Key)
}

func newCeremonySealCmd() *cobra.Command {
	var in, out, beacon string
	cmd := &cobra.Command{
		Use:   "seal-phase1 --in DIR --out DIR2 --beacon HEX",
		Short: "Close phase 1 with a public random beacon and start phase 2",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			t, b, err := beaconStep(in, out, beacon)
			if err != nil {
				return err
			}
			_, e, err := t.SealPhase1(out, b)
			if err != nil {
				return transcriptError(err, in)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "phase 1 sealed: %s  (%d bytes, %s); phase 2 starts in %s\n",
				e.Hash, e.Bytes(), time.Since(start).Round(time.Millisecond), out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&in, "in", "", "the transcript whose phase 1 to seal")
	f.StringVar(&out, "out", "", "new directory for the transcript in phase 2")
	f.StringVar(&beacon, "beacon", "", "public randomness fixed after phase 1's last contribution, hex (16 to 1024 bytes)")
	return cmd
}

func newCeremonyVerifyCmd() *cobra.Command {
	var keys, contributors string
	cmd := &cobra.Command{
		Use:   "verify DIR [--keys KEYS] [--contributors FILE]",
		Short: "Check every contribution of a transcript and print the chain of hashes",
		Long: `Check every contribution of a transcript (its update proof and, if signed, its
signature) and print the chain of hashes, each contribution with its contributor's
key fingerprint or "unsigned".

--contributors FILE lists parties that must have taken part: a JSON array of
{"name": ..., "key": ...} or lines "name hexkey" (the key is the party's Ed25519
public key, its genesis sign_key). Each must have signed, under that name and key,
a contribution in every phase the transcript has reached.`,
		Args: exactArgs(1, "the transcript directory"),
		RunE: func(cmd *cobra.Command, args []string) error {
			start := time.Now()
			want, err := readParties(contributors)
			if err != nil {
				return err
			}
			t, err := openTranscript(args[0])
			if err != nil {
				return err
			}
			if want != nil {
				if err := t.RequireSigned(want); err != nil {
					return withHint(failf("%v", err), "each listed party signs with 'sable ceremony contribute --home ITS_HOME' in each phase")
				}
			}
			if _, err := t.Verify(); err != nil {
				return transcriptError(err, args[0])
			}
			w := cmd.OutOrStdout()
			printChain(w, t.Manifest)
			fmt.Fprintf(w, "transcript %s verified: phase %d, %s (%s)\n", args[0], t.Manifest.Phase, t.Manifest.Hash(), time.Since(start).Round(time.Millisecond))
			if want != nil {
				fmt.Fprintf(w, "every one of the %d listed contributors signed a contribution in each phase\n", len(want))
			}
			if keys == "" {
				return nil
			}
			rec, err := t.VerifyKeys(keys)
			if err != nil {
				return transcriptError(err, args[0])
			}
			for _, k := range rec.Keys {
				fmt.Fprintf(w, "  %-8s vk %s\n", k.Circuit, k.VK)
			}
			fmt.Fprintf(w, "keys %s come from this transcript and beacon %s: ceremony %s\n", keys, rec.Beacon, rec.Hash)
			return nil
		},
	}
	cmd.Flags().StringVar(&keys, "keys", "", "also check that the keys in KEYS (from 'sable ceremony finalize') come from this transcript")
	cmd.Flags().StringVar(&contributors, "contributors", "", "require each party listed in FILE (JSON or lines \"name hexkey\") to have signed a contribution in each phase")
	return cmd
}

// readParties reads --contributors' file; nil without the flag.
func readParties(path string) ([]ceremony.Party, error) {
	if path == "" {
		return nil, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, failf("--contributors: %v", err)
	}
	ps, err := ceremony.ParseParties(raw)
	if err != nil {
		return nil, failf("--contributors %s: %v", path, err)
	}
	return ps, nil
}

func newCeremonyFinalizeCmd() *cobra.Command {
	var in, out, beacon string
	cmd := &cobra.Command{
		Use:   "finalize --in DIR --beacon HEX --out KEYS",
		Short: "Verify a transcript, apply a public random beacon and write every circuit's keys",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			t, b, err := beaconStep(in, out, beacon)
			if err != nil {
				return err
			}
			rec, err := t.Finalize(out, b)
			if err != nil {
				return transcriptError(err, in)
			}
			w := cmd.OutOrStdout()
			for _, k := range rec.Keys {
				c, _ := zkp.ParseCircuit(k.Circuit)
				if c.TablesAtSetup() {
					if err := zkp.OpenProver(out).WriteTables(c); err != nil {
						return failf("%v", err)
					}
				}
				pk, vk := zkp.KeyPaths(out, c)
				fmt.Fprintf(w, "%-8s vk %s  (%s, %s)\n", k.Circuit, k.VK, pk, vk)
			}
			fmt.Fprintf(w, "ceremony %s: transcript %s, %d contributions (%s)\n", rec.Hash, rec.Transcript, len(rec.Contributors), time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&in, "in", "", "the transcript, with at least one phase 2 contribution")
	f.StringVar(&out, "out", "", "directory for <circuit>.pk, <circuit>.vk, the prover's tables and ceremony.json")
	f.StringVar(&beacon, "beacon", "", "public randomness fixed after phase 2's last contribution, hex (16 to 1024 bytes)")
	return cmd
}

// beaconStep checks the flags of a step that applies a beacon (seal-phase1,
// finalize) and opens its input transcript.
func beaconStep(in, out, beacon string) (*ceremony.Transcript, []byte, error) {
	if in == "" || out == "" {
		return nil, nil, failf("--in and --out are required")
	}
	b, err := parseBeacon(beacon)
	if err != nil {
		return nil, nil, err
	}
	t, err := openTranscript(in)
	return t, b, err
}

func openTranscript(dir string) (*ceremony.Transcript, error) {
	t, err := ceremony.Open(dir)
	if err != nil {
		return nil, transcriptError(err, dir)
	}
	return t, nil
}

// transcriptError adds a hint saying what a refused transcript means.
func transcriptError(err error, dir string) error {
	switch {
	case errors.Is(err, ceremony.ErrTranscript):
		return withHint(failf("%v", err), "do not build on "+dir+": go back to the last transcript that 'sable ceremony verify' accepts")
	case errors.Is(err, ceremony.ErrNotSealed):
		return withHint(failf("%v", err), "seal phase 1 first: 'sable ceremony seal-phase1 --in DIR --out DIR2 --beacon HEX'")
	case errors.Is(err, ceremony.ErrNoPhase2):
		return withHint(failf("%v", err), "phase 2 needs at least one 'sable ceremony contribute' before finalize")
	case errors.Is(err, ceremony.ErrRecord), errors.Is(err, ceremony.ErrNoRecord):
		return withHint(failf("%v", err), "these keys are not the ceremony's: finalize again, or use the keys the ceremony published")
	}
	return failf("%v", err)
}

func parseBeacon(s string) ([]byte, error) {
	if s == "" {
		return nil, withHint(failf("--beacon is required"), "a public random value fixed after the last contribution, e.g. a drand round announced in advance")
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, failf("--beacon is not hex: %v", err)
	}
	if err := ceremony.CheckBeacon(b); err != nil {
		return nil, failf("%v", err)
	}
	return b, nil
}

func printChain(w io.Writer, m *ceremony.Manifest) {
	for i, e := range m.Entries {
		what := e.Kind
		switch e.Kind {
		case ceremony.KindPhase1, ceremony.KindPhase2:
			what = fmt.Sprintf("%s #%d %s (%s)", e.Kind, e.Index, e.Name, signedBy(e))
		case ceremony.KindSeal:
			what = "seal-phase1 beacon " + e.Beacon
		}
		fmt.Fprintf(w, "%3d  %s  %s\n", i, e.Hash, what)
	}
}
