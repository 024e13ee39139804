package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sable-settlement/sable/internal/atomicfile"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/party"
)

// newFXCmd is 'sable fx': quotes, and the two-party exchange of a swap
// through files (request, fill, submit).
func newFXCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fx",
		Short: "FX between banks: quotes with liquidity proofs, atomic swaps at a quoted rate",
		Long: `FX between banks: quotes with liquidity proofs, atomic swaps at a quoted rate.

A provider publishes a quote (fx quote); anyone lists the live ones (fx
quotes). A swap is one transaction with both legs, payer → provider in A and
provider → receiver in B, made through files in three steps:

  sable fx request --home PAYER --quote ID --amount X [--to BANK] --out req.json
  sable fx fill    --home PROVIDER --in req.json --out filled.json
  sable fx submit  --home PAYER --in filled.json --wait

The files hold the transaction (commitments, sealed memos, proofs,
signatures), never an amount in the clear. A request is good until the
payer sends another transaction or the quote expires.`,
	}
	cmd.AddCommand(newFXQuoteCmd(), newFXQuotesCmd(), newFXRequestCmd(), newFXFillCmd(), newFXSubmitCmd())
	return subcommandsOnly(cmd)
}

// parsePair reads A/B: the payer pays A and receives B.
func parsePair(s string) (ledger.Currency, ledger.Currency, error) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return ledger.Currency{}, ledger.Currency{}, withHint(failf("--pair %q is not A/B", s), "e.g. --pair USD/SGD: the payer pays USD and receives SGD")
	}
	ca, err := ledger.ParseCurrency(a)
	if err != nil {
		return ca, ca, failf("--pair: %v", err)
	}
	cb, err := ledger.ParseCurrency(b)
	if err != nil {
		return ca, cb, failf("--pair: %v", err)
	}
	if ca == cb {
		return ca, cb, failf("--pair %s names one currency twice", s)
	}
	return ca, cb, nil
}

func newFXQuoteCmd() *cobra.Command {
	var home, node, pair, rate, minS, maxS string
	var blocks int64
	var wait bool
	cmd := &cobra.Command{
		Use:   "quote --home DIR --pair USD/SGD --rate 1.3402 --max 5000000 [--min 100] --valid-blocks 600 [--wait]",
		Short: "Publish a quote with a proof that the available balance in B covers --max; prints its id",
		Long: `Publish a quote with a proof that the available balance in B covers --max; prints its id.

--pair A/B: the payer pays A and receives B, the provider (this bank) the
reverse. --rate is B per A in major units (1.3402 SGD per USD; 150 JPY per
USD), exact to 10^-8 minor units. --min and --max bound each fill's B, and
--max also all fills together (the band), in B's major units. The quote can
be filled until --valid-blocks blocks after the current height.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sell, buy, err := parsePair(pair)
			if err != nil {
				return err
			}
			r, err := ledger.ParseRate(sell, buy, rate)
			if err != nil {
				return withHint(failf("--rate: %v", err), fmt.Sprintf("%s per %s in major units, e.g. --rate 1.3402", buy, sell))
			}
			maxV, err := parseAmountIn(buy, "--max", maxS, "")
			if err != nil {
				return err
			}
			minV := uint64(1)
			if minS != "" {
				if minV, err = parseAmountIn(buy, "--min", minS, ""); err != nil {
					return err
				}
			}
			if minV > maxV {
				return failf("--min %s is above --max %s", minS, maxS)
			}
			if blocks < 1 || blocks > ledger.MaxQuoteValidBlocks {
				return failf("--valid-blocks %d is not in [1, %d]", blocks, ledger.MaxQuoteValidBlocks)
			}
			s, ctx, done, err := begin(home, node)
			if err != nil {
				return err
			}
			defer done()
			id, err := s.Sender.Quote(ctx, party.QuoteRequest{Sell: sell, Buy: buy, Rate: r, Min: minV, Max: maxV, ValidBlocks: blocks})
			if err != nil {
				return ledgerError(err)
			}
			return submitted(cmd, ctx, s, id, wait)
		},
	}
	partyFlags(cmd, &home, &node)
	cmd.Flags().StringVar(&pair, "pair", "", "A/B: the payer pays A, receives B")
	cmd.Flags().StringVar(&rate, "rate", "", "B per A, in major units (e.g. 1.3402)")
	cmd.Flags().StringVar(&minS, "min", "", "smallest fill, in B's major units (default: one minor unit)")
	cmd.Flags().StringVar(&maxS, "max", "", "largest fill and band, in B's major units")
	cmd.Flags().Int64Var(&blocks, "valid-blocks", 600, "blocks the quote stays live")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the quote is committed")
	return cmd
}

func newFXQuotesCmd() *cobra.Command {
	var home, node string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "quotes (--home DIR | --node URL) [--json]",
		Short: "List the live quotes, by pair, best rate first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := nodeClient(home, node)
			if err != nil {
				return err
			}
			ctx, cancel := commandContext()
			defer cancel()
			qs, err := c.Quotes(ctx)
			if err != nil {
				return ledgerError(err)
			}
			return printQuotes(cmd.OutOrStdout(), qs, asJSON)
		},
	}
	partyFlags(cmd, &home, &node)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the quotes as JSON (rate R at scale 10^8 in minor units, min and max in B's minor units)")
	return cmd
}

// nodeClient dials --node, or the node of --home's party.json.
func nodeClient(home, node string) (*client.Client, error) {
	if node == "" {
		if home == "" {
			return nil, withHint(failf("give --home or --node"), "e.g. --node http://127.0.0.1:26657")
		}
		id, err := party.LoadIdentity(home)
		if err != nil {
			return nil, failf("%v", err)
		}
		node = id.Config.Node
	}
	c, err := client.Dial(node)
	if err != nil {
		return nil, failf("%v", err)
	}
	return c, nil
}

func printQuotes(out io.Writer, qs []ledger.QuoteInfo, asJSON bool) error {
	if asJSON {
		if qs == nil {
			qs = []ledger.QuoteInfo{}
		}
		b, _ := json.MarshalIndent(qs, "", "  ")
		fmt.Fprintln(out, string(b))
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "quote\tprovider\tpair\trate\tmin\tmax\tvalid until\tfills")
	for _, q := range qs {
		buy := q.BuyCurrency()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", q.ID, q.Provider, q.Pair, q.RateText,
			ledger.FormatAmount(buy, q.Min), ledger.FormatAmount(buy, q.Max), q.ValidUntil, q.Fills)
	}
	return tw.Flush()
}

// swapFile is what 'fx request', 'fx fill' and 'fx submit' pass between the
// payer and the provider: the swap transaction, unfilled or filled. It
// holds no secret and no amount in the clear.
type swapFile struct {
	Chain string `json:"chain_id"`
	Quote string `json:"quote"`
	Step  string `json:"step"` // "request" or "filled"
	Tx    string `json:"tx"`   // hex of the transaction's encoding
}

func writeSwapFile(path string, chain string, tx *ledger.Tx, step string) error {
	b := tx.Body.(*ledger.Swap)
	raw, _ := json.MarshalIndent(swapFile{Chain: chain, Quote: b.Quote.String(), Step: step, Tx: hex.EncodeToString(tx.Encode())}, "", "  ")
	if err := atomicfile.Write(path, append(raw, '\n'), 0o600); err != nil {
		return failf("--out: %v", err)
	}
	return nil
}

func readSwapFile(path, chain, step string) (*ledger.Tx, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, failf("--in: %v", err)
	}
	var f swapFile
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, failf("--in %s is not a swap file: %v", path, err)
	}
	if f.Chain != chain {
		return nil, failf("--in %s is for chain %q, this home is on %q", path, f.Chain, chain)
	}
	if f.Step != step {
		return nil, withHint(failf("--in %s is a %s file, not a %s one", path, f.Step, step), "fx fill takes the payer's request; fx submit takes the provider's filled swap")
	}
	b, err := hex.DecodeString(f.Tx)
	if err != nil {
		return nil, failf("--in %s: tx is not hex", path)
	}
	tx, err := ledger.DecodeTx(b)
	if err != nil {
		return nil, failf("--in %s: %v", path, err)
	}
	if _, ok := tx.Body.(*ledger.Swap); !ok {
		return nil, failf("--in %s holds a %s, not a swap", path, tx.Kind)
	}
	return tx, nil
}

func newFXRequestCmd() *cobra.Command {
	var home, node, quote, amount, to, beneficiary, out string
	var noAudit bool
	cmd := &cobra.Command{
		Use:   "request --home PAYER --quote ID --amount X [--to BANK] [--beneficiary TOKEN] --out req.json",
		Short: "Prove the payer's leg and the rate, sign, and write the request for the provider",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return failf("--out is required")
			}
			id, err := ledger.ParseTxID(quote)
			if err != nil {
				return withHint(failf("--quote: %v", err), "list the live quotes with 'sable fx quotes'")
			}
			if to != "" && !ledger.ValidID(to) {
				return failf("--to %q is not a bank id such as bank-us", to)
			}
			var ben [32]byte
			if beneficiary != "" {
				if ben, err = parseBeneficiary("--beneficiary", beneficiary); err != nil {
					return err
				}
			}
			s, ctx, done, err := begin(home, node)
			if err != nil {
				return err
			}
			defer done()
			q, err := s.Client.Quote(ctx, id)
			if err != nil {
				return ledgerError(err)
			}
			if !q.Live {
				return withHint(failf("quote %s expired at height %d", q.ID, q.ValidUntil), "list the live quotes with 'sable fx quotes'")
			}
			a, err := parseAmountIn(q.SellCurrency(), "--amount", amount, "")
			if err != nil {
				return err
			}
			s.Sender.NoAudit = noAudit
			req := party.SwapRequest{Quote: q, Amount: a, To: to, Beneficiary: ben}
			b, err := req.Delivered()
			if err != nil {
				return ledgerError(err)
			}
			tx, err := s.Sender.RequestSwap(ctx, req)
			if err != nil {
				return ledgerError(err)
			}
			if err := writeSwapFile(out, s.ID.Config.ChainID, tx, "request"); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "pays %s %s for %s %s at %s (quote %s); give %s to %s\n", q.SellCurrency(), ledger.FormatAmount(q.SellCurrency(), a),
				q.BuyCurrency(), ledger.FormatAmount(q.BuyCurrency(), b), q.RateText, q.ID, out, q.Provider)
			return nil
		},
	}
	partyFlags(cmd, &home, &node)
	cmd.Flags().StringVar(&quote, "quote", "", "the quote's id (sable fx quotes)")
	cmd.Flags().StringVar(&amount, "amount", "", "what the payer pays, in A's major units")
	cmd.Flags().StringVar(&to, "to", "", "leg B's receiving bank (default: the payer)")
	cmd.Flags().StringVar(&beneficiary, "beneficiary", "", "the receiver's registered beneficiary token in B (hex)")
	cmd.Flags().StringVar(&out, "out", "", "request file to write (mode 0600)")
	cmd.Flags().BoolVar(&noAudit, "no-audit-memo", false, "do not seal the legs' openings to the regulator")
	return cmd
}

func newFXFillCmd() *cobra.Command {
	var home, node, in, out string
	cmd := &cobra.Command{
		Use:   "fill --home PROVIDER --in req.json --out filled.json",
		Short: "Check a request against this provider's quote, prove its leg and the band, sign",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if in == "" || out == "" {
				return failf("--in and --out are required")
			}
			s, ctx, done, err := begin(home, node)
			if err != nil {
				return err
			}
			defer done()
			tx, err := readSwapFile(in, s.ID.Config.ChainID, "request")
			if err != nil {
				return err
			}
			if err := s.Sender.FillSwap(ctx, tx); err != nil {
				return ledgerError(err)
			}
			if err := writeSwapFile(out, s.ID.Config.ChainID, tx, "filled"); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), tx.ID())
			fmt.Fprintf(cmd.ErrOrStderr(), "filled; give %s to %s to submit\n", out, tx.Sender)
			return nil
		},
	}
	partyFlags(cmd, &home, &node)
	cmd.Flags().StringVar(&in, "in", "", "the payer's request file")
	cmd.Flags().StringVar(&out, "out", "", "filled swap file to write (mode 0600)")
	return cmd
}

func newFXSubmitCmd() *cobra.Command {
	var home, node, in string
	var wait bool
	cmd := &cobra.Command{
		Use:   "submit --home PAYER --in filled.json [--wait]",
		Short: "Check the provider's fill of the payer's own request and submit the swap; prints its id",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if in == "" {
				return failf("--in is required")
			}
			s, ctx, done, err := begin(home, node)
			if err != nil {
				return err
			}
			defer done()
			tx, err := readSwapFile(in, s.ID.Config.ChainID, "filled")
			if err != nil {
				return err
			}
			id, err := s.Sender.SubmitSwap(ctx, tx)
			if err != nil {
				return ledgerError(err)
			}
			return submitted(cmd, ctx, s, id, wait)
		},
	}
	partyFlags(cmd, &home, &node)
	cmd.Flags().StringVar(&in, "in", "", "the provider's filled swap file")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the swap is committed")
	return cmd
}
