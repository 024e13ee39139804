package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cometbft/cometbft/types"
	"github.com/spf13/cobra"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/ledger/receipt"
)

// newReceiptCmd is 'sable receipt': a payment's receipt for a third party,
// and 'sable receipt verify' to check one (ledger/receipt).
func newReceiptCmd() *cobra.Command {
	var home, node, out string
	var payment int
	cmd := &cobra.Command{
		Use:   "receipt --home DIR TXID [--payment J] --out R.json",
		Short: "Write a payment's receipt, which anyone checks against the chain's genesis alone",
		Long: `Write a payment's receipt, which anyone checks against the chain's genesis alone.

The receipt opens one payment's amount (the payer reads it from its self-memo,
the receiver from its memo) and carries the transaction, its Merkle proofs in
the block's data hash and in the next header's results hash, and the headers
signed by the validators. 'sable receipt verify R.json --genesis genesis.json'
checks it. Only this payment's amount becomes known to whoever holds it: the
file is written with mode 0600.`,
		Args: exactArgs(1, "TXID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReceipt(cmd, home, node, args[0], payment, out)
		},
	}
	partyFlags(cmd, &home, &node)
	cmd.Flags().IntVar(&payment, "payment", 0, "the payment's index in a bulk transfer, from 0")
	cmd.Flags().StringVar(&out, "out", "", "the receipt file to write")
	cmd.AddCommand(newReceiptVerifyCmd())
	return cmd
}

func runReceipt(cmd *cobra.Command, home, node, txid string, j int, out string) error {
	if home == "" {
		return withHint(failf("--home is required"), "the payer's or the receiver's home, e.g. DIR/banks/bank-sg")
	}
	if out == "" {
		return withHint(failf("--out is required"), "name the receipt file, e.g. --out receipt.json")
	}
	id, err := ledger.ParseTxID(txid)
	if err != nil {
		return unusable(failf("%v", err))
	}
	me, err := party.LoadIdentity(home)
	if err != nil {
		return failf("%v", err)
	}
	if node == "" {
		node = me.Config.Node
	}
	c, err := client.Dial(node)
	if err != nil {
		return failf("%v", err)
	}
	ctx, cancel := commandContext()
	defer cancel()
	loc, err := receipt.Locate(ctx, c, id)
	if err != nil {
		return receiptError(err)
	}
	tx, err := ledger.DecodeTx(loc.Raw)
	if err != nil {
		return failf("transaction %s: %v", id, err)
	}
	o, err := receipt.Open(tx, j, me.Config.ChainID, me.Config.ID, me.MemoKey)
	if err != nil {
		return receiptError(err)
	}
	r, err := receipt.Build(ctx, c, id, j, o)
	if err != nil {
		return receiptError(err)
	}
	if err := r.Write(out); err != nil {
		return failf("%v", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "receipt of %s payment %d (block %d) written to %s\n", id, j, r.Height, out)
	return nil
}

func receiptError(err error) error {
	switch {
	case errors.Is(err, client.ErrNotFound):
		return withHint(failf("%v", err), "a receipt needs a committed transaction: see 'sable status --home DIR TXID'")
	case errors.Is(err, receipt.ErrCannotOpen):
		return withHint(failf("%v", err), "run it in the payer's or the receiver's home")
	case errors.Is(err, client.ErrUnreachable):
		return withHint(failf("%v", err), "check that the node is up and --node is its RPC address")
	}
	return failf("%v", err)
}

func newReceiptVerifyCmd() *cobra.Command {
	var genesis, node string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify R.json (--genesis genesis.json | --node URL) [--json]",
		Short: "Check a receipt from the chain's genesis: exit 0 valid, 1 invalid, 2 unusable input",
		Long: `Check a receipt from the chain's genesis: exit 0 valid, 1 invalid, 2 unusable input.

The validators' signatures are checked with CometBFT's light client from the
genesis validator set, then the transaction's inclusion in its block, its
result (applied, code 0) and the opening of the payment's amount. --genesis
is the chain's CometBFT genesis.json (a validator's config/genesis.json) and
trusts nothing else; --node takes the genesis from that node instead, and so
trusts it for the validator set.`,
		Args: exactArgs(1, "R.json"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReceiptVerify(cmd, args[0], genesis, node, asJSON)
		},
	}
	cmd.Flags().StringVar(&genesis, "genesis", "", "the chain's CometBFT genesis.json")
	cmd.Flags().StringVar(&node, "node", "", "take the genesis from this node's RPC instead")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print what the receipt proves as JSON")
	return cmd
}

func runReceiptVerify(cmd *cobra.Command, path, genesis, node string, asJSON bool) error {
	r, err := receipt.Read(path)
	if err != nil {
		return unusable(failf("%v", err))
	}
	g, err := loadGenesisDoc(genesis, node)
	if err != nil {
		return unusable(err)
	}
	p, err := receipt.Verify(r, g, time.Now())
	if errors.Is(err, receipt.ErrInvalid) {
		fmt.Fprintf(cmd.OutOrStdout(), "invalid: %s\n", strings.TrimPrefix(err.Error(), receipt.ErrInvalid.Error()+": "))
		return &cliError{code: 1}
	}
	if err != nil {
		return unusable(failf("%v", err))
	}
	if asJSON {
		return printProvedJSON(cmd.OutOrStdout(), p)
	}
	printProved(cmd.OutOrStdout(), p, genesis, node)
	return nil
}

func loadGenesisDoc(path, node string) (*types.GenesisDoc, error) {
	switch {
	case (path == "") == (node == ""):
		return nil, withHint(failf("give one of --genesis or --node"), "--genesis genesis.json trusts only the chain's genesis; a validator has it in config/genesis.json")
	case path != "":
		g, err := types.GenesisDocFromFile(path)
		if err != nil {
			return nil, failf("--genesis: %v", err)
		}
		return g, nil
	}
	c, err := client.Dial(node)
	if err != nil {
		return nil, failf("%v", err)
	}
	ctx, cancel := commandContext()
	defer cancel()
	g, err := c.GenesisDoc(ctx)
	if err != nil {
		return nil, failf("%v", err)
	}
	return g, nil
}

// printProved says what a valid receipt proves, and from what.
func printProved(w io.Writer, p *receipt.Proved, genesis, node string) {
	from := "the genesis in " + genesis
	if genesis == "" {
		from = "the genesis served by " + node
	}
	to := p.To + ", bank to bank"
	if p.Beneficiary != ([32]byte{}) {
		to = p.To + ", beneficiary token " + hex.EncodeToString(p.Beneficiary[:])
	}
	fmt.Fprintf(w, "valid: checked from %s (chain %s)\n", from, p.ChainID)
	fmt.Fprintf(w, "  %s %s, payment %d of %d\n", p.Kind, p.TxID, p.Payment, p.Payments)
	verb := "paid"
	if p.Kind == ledger.KindMint {
		verb = "minted"
	}
	fmt.Fprintf(w, "  %s %s %s %s to %s\n", p.Sender, verb, p.Currency, ledger.FormatAmount(p.Currency, p.Amount), to)
	fmt.Fprintf(w, "  committed and applied at height %d (%s); the next header is signed by %d of %d validators\n",
		p.Height, p.Time.UTC().Format(time.RFC3339), p.Signers, p.Validators)
	fmt.Fprintf(w, "  only this payment's amount is opened; the transaction's other amounts stay hidden\n")
}

func printProvedJSON(w io.Writer, p *receipt.Proved) error {
	out := map[string]any{
		"valid": true, "chain_id": p.ChainID, "txid": p.TxID, "kind": p.Kind.String(),
		"sender": p.Sender, "to": p.To, "currency": p.Currency.String(),
		"amount": ledger.FormatAmount(p.Currency, p.Amount), "payment": p.Payment, "payments": p.Payments,
		"height": p.Height, "time": p.Time.UTC().Format(time.RFC3339Nano), "signers": p.Signers, "validators": p.Validators,
	}
	if p.Beneficiary != ([32]byte{}) {
		out["beneficiary"] = hex.EncodeToString(p.Beneficiary[:])
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	_, err := fmt.Fprintf(w, "%s\n", b)
	return err
}
