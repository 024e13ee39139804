package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sable-settlement/sable/internal/atomicfile"
	"github.com/sable-settlement/sable/zkp"
)

// proveFlags are the flags that both prove commands share.
type proveFlags struct {
	keys, amount, amountBlinding, context, out, openingOut, vkHash string
	pin                                                            *[32]byte // --vk-hash, parsed
	stats                                                          zkp.ProverStats
	proved                                                         time.Duration
}

func (f *proveFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.keys, "keys", "", "key directory written by 'sable setup'")
	cmd.Flags().StringVar(&f.amount, "amount", "", "amount in minor units, 1 to 2^64-1")
	cmd.Flags().StringVar(&f.amountBlinding, "amount-blinding", "", "amount blinding as hex, below the group order ℓ (default: random)")
	cmd.Flags().StringVar(&f.context, "context", "", "32-byte hex context binding the proof to its transaction")
	cmd.Flags().StringVar(&f.out, "out", "", "proof bundle to write (JSON, no secrets)")
	cmd.Flags().StringVar(&f.openingOut, "opening-out", "", "file for the amount's opening (mode 0600)")
	cmd.Flags().StringVar(&f.vkHash, "vk-hash", "", "refuse keys whose verifying-key hash is not this hex (the chain's genesis vk_hashes)")
}

// parse checks the shared flags before any slow work.
func (f *proveFlags) parse() (amount uint64, blinding *big.Int, ctx zkp.Context, err error) {
	if f.keys == "" {
		return 0, nil, ctx, failf("--keys is required")
	}
	if amount, err = parseAmount("amount", f.amount); err != nil {
		return
	}
	if ctx, err = parseContext(f.context); err != nil {
		return
	}
	if f.pin, err = parseVKHash(f.vkHash); err != nil {
		return
	}
	if err = checkWritable("out", f.out); err != nil {
		return
	}
	if f.openingOut != "" {
		if err = checkWritable("opening-out", f.openingOut); err != nil {
			return
		}
		if samePath(f.out, f.openingOut) {
			return 0, nil, ctx, withHint(failf("--out and --opening-out name the same file"), "the bundle is public and the opening secret: write them to two files")
		}
	}
	if f.amountBlinding == "" {
		blinding, err = zkp.RandomAmountBlinding()
		return
	}
	blinding, err = parseBlinding("amount-blinding", f.amountBlinding, 0)
	return
}

// keepsOpening refuses to make a proof whose random amount blinding would
// be lost. It runs after every other flag is checked, so that it never
// masks a fault the user must fix first.
func (f *proveFlags) keepsOpening() error {
	if f.amountBlinding == "" && f.openingOut == "" {
		return withHint(failf("the amount's random blinding would be lost"), "pass --opening-out FILE to keep the opening, or --amount-blinding HEX")
	}
	return nil
}

// samePath reports whether two paths name the same file.
func samePath(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// opening is the secret that lets the receiver (or an auditor) open C_amt.
type opening struct {
	Circuit    zkp.Circuit `json:"circuit"`
	Amount     string      `json:"amount"`
	Blinding   string      `json:"blinding"`
	Commitment string      `json:"commitment"`
	Context    string      `json:"context"`
}

// write stores the bundle, then the opening. Each file is written whole or
// not at all.
func (f *proveFlags) write(cmd *cobra.Command, vk *zkp.VerifyingKey, pub zkp.Public, proof *zkp.Proof, amount uint64, blinding *big.Int) error {
	if f.openingOut != "" {
		o, _ := json.MarshalIndent(opening{pub.Circuit, strconv.FormatUint(amount, 10), zkp.BlindingHex(blinding), pub.Amount.String(), pub.Context.String()}, "", "  ")
		if err := atomicfile.Write(f.openingOut, append(o, '\n'), 0o600); err != nil {
			return failf("%v", err)
		}
	}
	if err := atomicfile.Write(f.out, zkp.NewBundle(vk, pub, proof).Marshal(), 0o644); err != nil {
		return failf("%v", err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "%s\n", describeProving(f.stats, f.proved))
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%s proof, amount commitment %s)\n", f.out, pub.Circuit, pub.Amount)
	return nil
}

// parseVKHash reads --vk-hash: nil when absent.
func parseVKHash(s string) (*[32]byte, error) {
	if s == "" {
		return nil, nil
	}
	b, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if err != nil || len(b) != 32 {
		return nil, withHint(failf("--vk-hash is not 32 bytes of hex"), "give the circuit's vk_hashes entry of the chain's genesis")
	}
	h := [32]byte(b)
	return &h, nil
}

// openProver opens zkp's one proving path on dir, with c's verifying key
// pinned to pin if not nil, and reads and checks c's keys: keys that fail
// are refused before any proof is made.
func openProver(dir string, c zkp.Circuit, pin *[32]byte) (*zkp.Prover, *zkp.VerifyingKey, error) {
	var opts []zkp.ProverOption
	if pin != nil {
		opts = append(opts, zkp.PinVerifyingKeys(map[zkp.Circuit][32]byte{c: *pin}))
	}
	p := zkp.OpenProver(dir, opts...)
	_, vk, err := p.Keys(c)
	switch {
	case errors.Is(err, zkp.ErrVKNotPinned):
		return nil, nil, withHint(err, "'sable circuits --keys "+dir+"' prints the hashes of the keys there; prove with the keys whose hash the chain's genesis pins")
	case errors.Is(err, zkp.ErrBadKeyPair):
		return nil, nil, withHint(err, "do not prove with these keys: reinstall both keys from the setup the chain's genesis pins, and prove with --vk-hash")
	case err != nil:
		return nil, nil, keyFileHint(err, dir)
	}
	return p, vk, nil
}

// describeProving says where the time went: keys and tables (read before
// the proof), the proof, and which engine made it.
func describeProving(st zkp.ProverStats, proved time.Duration) string {
	tables := ""
	if st.Tables != "" {
		tables = fmt.Sprintf(", tables %s in %s", st.Tables, st.TablesTime.Round(time.Microsecond))
	}
	return fmt.Sprintf("proving key loaded in %s%s, proved in %s (%s engine)", st.KeysTime.Round(time.Microsecond), tables,
		proved.Round(time.Millisecond), st.Engine)
}

func newProveCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "prove {transfer|mint} ...",
		Short: "Prove a transfer or a mint and write a self-contained proof bundle",
	}
	cmd.AddCommand(newProveTransferCmd(), newProveMintCmd())
	return cmd
}

func newProveTransferCmd() *cobra.Command {
	var f proveFlags
	var balance, balanceBlinding string
	cmd := &cobra.Command{
		Use:   "transfer --keys DIR [--vk-hash HEX] --balance V --balance-blinding HEX --amount A [--amount-blinding HEX] --context HEX --out BUNDLE.json [--opening-out FILE]",
		Short: "Prove that a hidden amount is in range and that the hidden balance covers it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			amount, blinding, ctx, err := f.parse()
			if err != nil {
				return err
			}
			bal, err := parseValue("balance", balance)
			if err != nil {
				return err
			}
			if bal < amount {
				return failf("--balance %d is smaller than --amount %d", bal, amount)
			}
			if balanceBlinding == "" {
				return withHint(failf("--balance-blinding is required"), "it is the blinding of your available balance's commitment (see 'sable commit')")
			}
			rbal, err := parseBlinding("balance-blinding", balanceBlinding, 0)
			if err != nil {
				return err
			}
			if err := f.keepsOpening(); err != nil {
				return err
			}
			p, vk, err := openProver(f.keys, zkp.Transfer, f.pin)
			if err != nil {
				return err
			}
			start := time.Now()
			pub, proof, err := p.ProveTransfer(zkp.TransferInput{Balance: bal, BalanceBlinding: rbal, Amount: amount, AmountBlinding: blinding, Context: ctx})
			if err != nil {
				return failf("%v", err)
			}
			f.proved, f.stats = time.Since(start), p.Stats(zkp.Transfer)
			return f.write(cmd, vk, pub, proof, amount, blinding)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&balance, "balance", "", "available balance in minor units")
	cmd.Flags().StringVar(&balanceBlinding, "balance-blinding", "", "blinding of the available balance's commitment, hex")
	return cmd
}

func newProveMintCmd() *cobra.Command {
	var f proveFlags
	cmd := &cobra.Command{
		Use:   "mint --keys DIR [--vk-hash HEX] --amount A [--amount-blinding HEX] --context HEX --out BUNDLE.json [--opening-out FILE]",
		Short: "Prove that a hidden minted amount is in range",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			amount, blinding, ctx, err := f.parse()
			if err != nil {
				return err
			}
			if err := f.keepsOpening(); err != nil {
				return err
			}
			p, vk, err := openProver(f.keys, zkp.Mint, f.pin)
			if err != nil {
				return err
			}
			start := time.Now()
			pub, proof, err := p.ProveMint(zkp.MintInput{Amount: amount, AmountBlinding: blinding, Context: ctx})
			if err != nil {
				return failf("%v", err)
			}
			f.proved, f.stats = time.Since(start), p.Stats(zkp.Mint)
			return f.write(cmd, vk, pub, proof, amount, blinding)
		},
	}
	f.register(cmd)
	return cmd
}
