package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/party"
)

// session is a party's home opened for one command (party.Open).
type session struct {
	*party.Session
}

func openSession(home, node string) (*session, error) {
	if home == "" {
		return nil, withHint(failf("--home is required"), "a bank's home is written by 'sable testnet', e.g. DIR/banks/bank-sg")
	}
	s, err := party.Open(home, node)
	if err != nil {
		return nil, failf("%v", err)
	}
	return &session{Session: s}, nil
}

// begin opens a party's session and a context cancelled by Ctrl-C; done
// releases both.
func begin(home, node string) (*session, context.Context, func(), error) {
	s, err := openSession(home, node)
	if err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel := commandContext()
	return s, ctx, func() { cancel(); s.Close() }, nil
}

// inSession is a command's RunE that opens the party's session, brings
// its wallet up to the ledger first when synced, and runs fn in it.
func inSession(home, node *string, synced bool, fn func(cmd *cobra.Command, ctx context.Context, s *session) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		s, ctx, done, err := begin(*home, *node)
		if err != nil {
			return err
		}
		defer done()
		if synced {
			if err := s.sync(ctx); err != nil {
				return err
			}
		}
		return fn(cmd, ctx, s)
	}
}

// sync brings the wallet up to the ledger.
func (s *session) sync(ctx context.Context) error {
	if _, err := s.Wallet.Sync(ctx, s.Client); err != nil {
		return ledgerError(err)
	}
	return nil
}

// parseMoney reads --currency and the one decimal --amount of a mint or a
// burn, in the currency's major units.
func parseMoney(currency, amount string) (ledger.Currency, uint64, error) {
	c, err := ledger.ParseCurrency(currency)
	if err != nil {
		return c, 0, failf("--currency: %v", err)
	}
	amt, err := parseAmountIn(c, "--amount "+strconv.Quote(amount), amount, "")
	return c, amt, err
}

// parseAmountIn reads one positive decimal amount in c; what names it in
// an error (the flag, or the file and line), and more says how to give
// several payments, for the hint when a comma was meant to separate them.
func parseAmountIn(c ledger.Currency, what, s, more string) (uint64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, failf("%s: no amount", what)
	}
	amt, err := ledger.ParseAmount(c, s)
	if errors.Is(err, ledger.ErrThousandsSeparator) {
		return 0, withHint(failf("%s: %v", what, ledger.ErrThousandsSeparator), separatorHint(c, s, more))
	}
	if err != nil {
		return 0, failf("%s: %v", what, err)
	}
	if amt == 0 {
		return 0, failf("%s is 0; an amount must be positive", what)
	}
	return amt, nil
}

// separatorHint says how to write what a comma may have meant: one amount
// without separators or, where more is given, several payments.
func separatorHint(c ledger.Currency, s, more string) string {
	one := "1500"
	if v, err := ledger.ParseAmount(c, strings.ReplaceAll(s, ",", "")); err == nil && v > 0 {
		one = ledger.FormatAmount(c, v)
	} else if c.MinorDigits() > 0 {
		one += "." + strings.Repeat("0", c.MinorDigits())
	}
	hint := "write " + one
	if more != "" {
		hint += ", or " + more
	}
	return hint
}

// severalFlags is the hint for --amount: the comma's parts as repeated
// flags when each is an amount.
func severalFlags(c ledger.Currency, s string) string {
	var parts []string
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if v, err := ledger.ParseAmount(c, p); err != nil || v == 0 {
			return "repeat --amount for several payments (--amount 10 --amount 20.5)"
		}
		parts = append(parts, "--amount "+p)
	}
	return "repeat --amount for several payments (" + strings.Join(parts, " ") + ")"
}

// parseAmounts reads a transfer's payments: repeated --amount flags or
// --amounts-file, one amount per line (blank lines and lines starting with
// '#' skipped). Several make one bulk transfer.
func parseAmounts(c ledger.Currency, flags []string, file string) ([]uint64, error) {
	var amts []uint64
	switch {
	case len(flags) > 0 && file != "":
		return nil, failf("give --amount or --amounts-file, not both")
	case file != "":
		raw, err := os.ReadFile(file)
		if err != nil {
			return nil, failf("--amounts-file: %v", err)
		}
		for i, line := range strings.Split(string(raw), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			amt, err := parseAmountIn(c, fmt.Sprintf("%s:%d: %q", file, i+1, line), line, "one payment per line")
			if err != nil {
				return nil, err
			}
			amts = append(amts, amt)
		}
		if len(amts) == 0 {
			return nil, failf("--amounts-file %s holds no amount", file)
		}
	case len(flags) == 0:
		return nil, withHint(failf("--amount is required"), "a decimal in the currency's major units, e.g. --amount 1250.50; repeat it for several payments")
	default:
		for _, a := range flags {
			amt, err := parseAmountIn(c, "--amount "+strconv.Quote(a), a, severalFlags(c, a))
			if err != nil {
				return nil, err
			}
			amts = append(amts, amt)
		}
	}
	if len(amts) > ledger.MaxBatchPayments {
		return nil, failf("%d payments; a batch carries at most %d", len(amts), ledger.MaxBatchPayments)
	}
	return amts, nil
}

// submitted prints a transaction's id and, with wait, waits for its commit.
func submitted(cmd *cobra.Command, ctx context.Context, s *session, id ledger.TxID, wait bool) error {
	for _, d := range s.Sender.Reconciled.Dropped {
		fmt.Fprintf(cmd.ErrOrStderr(), "sable: note: an earlier transaction will not commit and no longer counts against the balance: %s\n", d)
	}
	fmt.Fprintln(cmd.OutOrStdout(), id)
	if wait {
		return waitFor(cmd, ctx, s, id)
	}
	return nil
}

// partyFlags are --home and --node, shared by every command that acts as a
// party.
func partyFlags(cmd *cobra.Command, home, node *string) {
	cmd.Flags().StringVar(home, "home", "", "the party's home directory")
	cmd.Flags().StringVar(node, "node", "", "node RPC address (default: the home's party.json)")
}

func commandContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}

// ledgerError turns a rejection into an error that names its code.
func ledgerError(err error) error {
	var rej *ledger.Rejection
	if errors.As(err, &rej) {
		return withHint(failf("rejected (code %d): %s", rej.Code, rej.Msg), "run 'sable wallet sync' and try again if the balance or nonce moved")
	}
	if errors.Is(err, party.ErrWalletSync) {
		return withHint(failf("%v", err), "run 'sable wallet sync'")
	}
	if errors.Is(err, party.ErrWalletWrite) {
		return withHint(failf("%v", err), "free space on the wallet's disk, then run 'sable wallet sync': a transaction already sent stays in flight and commits once; do not pay it again")
	}
	if errors.Is(err, party.ErrSupplyCap) {
		return withHint(failf("%v", err), "mint at most what can still be minted, or burn first")
	}
	if errors.Is(err, party.ErrNoSupply) {
		return withHint(failf("%v", err), "only the currency's issuer mints; an issuer's wallet gets the supply's opening from its testnet or from 'sable wallet recover'")
	}
	return failf("%v", err)
}

func newWalletCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "wallet", Short: "A party's wallet"}
	var home, node string
	sync := &cobra.Command{
		Use:   "sync --home DIR",
		Short: "Fold committed transactions, open incoming memos and check the balances against the ledger",
		Args:  cobra.NoArgs,
		RunE: inSession(&home, &node, false, func(cmd *cobra.Command, ctx context.Context, s *session) error {
			rep, err := s.Wallet.Sync(ctx, s.Client)
			for _, d := range rep.Dropped {
				fmt.Fprintf(cmd.ErrOrStderr(), "sable: dropped %s\n", d)
			}
			for _, b := range rep.Bad {
				fmt.Fprintf(cmd.ErrOrStderr(), "sable: warning: payment %s\n", b)
			}
			if err != nil {
				return ledgerError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "synced: %d own transactions committed, %d payments received\n", rep.Committed, rep.Received)
			return nil
		}),
	}
	partyFlags(sync, &home, &node)
	cmd.AddCommand(sync, newWalletRecoverCmd())
	return subcommandsOnly(cmd)
}

func newBalanceCmd() *cobra.Command {
	var home, node string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "balance --home DIR [--json]",
		Short: "Balances per currency from the wallet, checked against the ledger",
		Args:  cobra.NoArgs,
		RunE: inSession(&home, &node, true, func(cmd *cobra.Command, ctx context.Context, s *session) error {
			return printBalances(cmd, ctx, s, asJSON)
		}),
	}
	partyFlags(cmd, &home, &node)
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"USD":"1234.56",…}: available plus received pending, per currency`)
	return cmd
}

func printBalances(cmd *cobra.Command, ctx context.Context, s *session, asJSON bool) error {
	curs, err := s.Wallet.Accounts(ctx, s.Client)
	if err != nil {
		return ledgerError(err)
	}
	totals := map[string]string{}
	out := cmd.OutOrStdout()
	if !asJSON {
		fmt.Fprintf(out, "%-4s %22s %22s\n", "", "available", "pending")
	}
	for _, c := range curs {
		avail, err := s.Wallet.Projected(c)
		if err != nil {
			return ledgerError(err)
		}
		pend, err := s.Wallet.PendingSum(c)
		if err != nil {
			return ledgerError(err)
		}
		totals[c.String()] = ledger.FormatAmount(c, avail.Value+pend.Value)
		if !asJSON {
			fmt.Fprintf(out, "%-4s %22s %22s\n", c, ledger.FormatAmount(c, avail.Value), ledger.FormatAmount(c, pend.Value))
		}
	}
	if asJSON {
		b, _ := json.Marshal(totals) // map keys marshal sorted
		fmt.Fprintln(out, string(b))
	}
	return nil
}

func newTransferCmd() *cobra.Command {
	var home, node, to, currency, amountsFile, beneficiary, batchFile string
	var amounts []string
	var wait, noAudit bool
	var window time.Duration
	cmd := &cobra.Command{
		Use:   "transfer --home DIR (--to BANK --currency SGD --amount 1250.50 [--amount A…] [--beneficiary TOKEN] | --batch FILE [--batch-window 2s]) [--wait]",
		Short: "Pay other banks; prints the transaction id",
		Long: `Pay other banks; prints the transaction id.

One --amount makes one payment. Several (--amount 10 --amount 20.5, or
--amounts-file with one amount per line) make one batch to one bank in one
currency. Amounts are decimals in the currency's major units, without
thousands separators.

--batch FILE pays every line of FILE ('-': standard input), to any banks in
any currencies, in batches of up to 256 payments, one transaction each
(its id printed), each payment with its own memos and status; one HE flow
per currency and one proof per 16 of a currency's payments. A line is CSV, receiver,currency,amount[,beneficiary]
(a header line naming the columns may come first), or a JSON object
{"receiver": "bank-hk", "currency": "SGD", "amount": "1250.50",
"beneficiary": "<hex>"}; blank lines and '#' comments are skipped. A line
that does not parse is named with its line number and nothing is sent.

--batch-window DURATION streams instead: it reads the lines as they come
(from a pipe, say) and sends the payments that arrive within DURATION of
the first one of a batch together, or sooner when 256 are gathered, until
the input ends; a bad line stops it after the batch gathered so far.

With --wait, the command exits 0 once the transfer is committed: a local
step that fails afterwards (syncing the wallet) is a warning saying what to
run, never a reason to send the payment again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if batchFile != "" {
				return transferBatch(cmd, home, node, batchFile, window, noAudit, wait, to != "" || currency != "" || len(amounts) > 0 || amountsFile != "" || beneficiary != "")
			}
			if window != 0 {
				return withHint(failf("--batch-window needs --batch"), "stream payment lines with --batch - --batch-window 2s")
			}
			c, err := ledger.ParseCurrency(currency)
			if err != nil {
				return failf("--currency: %v", err)
			}
			amts, err := parseAmounts(c, amounts, amountsFile)
			if err != nil {
				return err
			}
			if len(amts) > 1 && beneficiary != "" {
				return failf("--beneficiary applies to a single payment; give one --amount")
			}
			if !ledger.ValidID(to) {
				return failf("--to %q is not a bank id such as bank-hk", to)
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
			snd := s.Sender
			snd.NoAudit = noAudit
			var id ledger.TxID
			if len(amts) > 1 {
				id, err = snd.BulkTransfer(ctx, to, c, amts) // a batch to one bank
			} else {
				id, err = snd.Transfer(ctx, party.TransferRequest{To: to, Currency: c, Amount: amts[0], Beneficiary: ben})
			}
			if err != nil {
				return ledgerError(err)
			}
			return submitted(cmd, ctx, s, id, wait)
		},
	}
	partyFlags(cmd, &home, &node)
	cmd.Flags().StringVar(&to, "to", "", "receiving bank")
	cmd.Flags().StringVar(&currency, "currency", "", "USD SGD HKD THB EUR JPY CNY")
	cmd.Flags().StringArrayVar(&amounts, "amount", nil, "decimal amount in major units, e.g. 1250.50 (JPY: whole yen), no thousands separators; repeat for a bulk transfer")
	cmd.Flags().StringVar(&amountsFile, "amounts-file", "", "file of amounts, one per line, for a bulk transfer (instead of --amount)")
	cmd.Flags().StringVar(&beneficiary, "beneficiary", "", "receiver's registered beneficiary token (hex); without it the payment settles bank to bank")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the payment is committed")
	cmd.Flags().BoolVar(&noAudit, "no-audit-memo", false, "do not seal the opening to the regulator")
	cmd.Flags().StringVar(&batchFile, "batch", "", "file of payments, CSV or JSON lines (receiver, currency, amount, beneficiary); '-' reads standard input")
	cmd.Flags().DurationVar(&window, "batch-window", 0, "with --batch: read payments as they arrive and send those within this window of each other as one batch")
	return cmd
}

// transferBatch is 'sable transfer --batch'.
func transferBatch(cmd *cobra.Command, home, node, file string, window time.Duration, noAudit, wait, single bool) error {
	if single {
		return withHint(failf("--batch gives every payment; leave out --to, --currency, --amount, --amounts-file and --beneficiary"), "put the payment in the file: bank-hk,SGD,1250.50")
	}
	if window < 0 {
		return failf("--batch-window %s is negative", window)
	}
	var batches [][]party.TransferRequest
	if window == 0 {
		reqs, err := readBatchFile(file, cmd.InOrStdin())
		if err != nil {
			return err
		}
		batches = chunks(reqs)
	}
	s, ctx, done, err := begin(home, node)
	if err != nil {
		return err
	}
	defer done()
	s.Sender.NoAudit = noAudit
	if window == 0 {
		return sendBatches(cmd, ctx, s, batches, wait)
	}
	in := cmd.InOrStdin()
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return failf("--batch: %v", err)
		}
		defer f.Close()
		in = f
	}
	return streamBatches(cmd, ctx, s, file, in, window, wait)
}

// waitFor waits until id is committed. A rejection, or a wait that ends
// without an answer, is an error; then the wallet is synced, and since the
// transaction is committed whatever happens there is only a warning.
func waitFor(cmd *cobra.Command, ctx context.Context, s *session, id ledger.TxID) error {
	if err := waitCommitted(cmd, ctx, s, id); err != nil {
		return err
	}
	afterCommit(cmd, ctx, s)
	return nil
}

// waitCommitted waits for id's commit and says at which height.
func waitCommitted(cmd *cobra.Command, ctx context.Context, s *session, id ledger.TxID) error {
	o, err := s.Client.WaitCommitted(ctx, id, 60*time.Second)
	if err != nil {
		return withHint(failf("%v", err), fmt.Sprintf("it may still commit: run 'sable status %s --home %s' before sending it again", id, s.ID.Home))
	}
	if o.State == "rejected" {
		return failf("rejected at height %d (code %d): %s", o.Height, o.Code, o.Reason)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "committed at height %d\n", o.Height)
	return nil
}

// afterCommit brings the wallet up to the ledger once the command's
// transactions are committed. Nothing here fails the command: the ledger
// has the transaction, and a script that retried on a non-zero exit would
// pay twice; a failure is a warning saying what to run.
func afterCommit(cmd *cobra.Command, ctx context.Context, s *session) {
	if err := syncAfterCommit(ctx, s); err != nil {
		warnf(cmd, "the transaction is committed, but the wallet is not synced (%v); run 'sable wallet sync --home %s'", oneLine(err), s.ID.Home)
	}
}

// syncAfterCommit is the sync that follows a commit (a variable: tests
// make it fail).
var syncAfterCommit = func(ctx context.Context, s *session) error {
	_, err := s.Wallet.Sync(ctx, s.Client)
	return err
}

// warnf prints a warning: the command goes on and exits as it would have.
func warnf(cmd *cobra.Command, format string, a ...any) {
	fmt.Fprintf(cmd.ErrOrStderr(), "sable: warning: "+format+"\n", a...)
}

func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

func newApplyPendingCmd() *cobra.Command {
	var home, node, currency string
	var wait bool
	cmd := &cobra.Command{
		Use:   "apply-pending --home DIR [--currency CUR] [--wait]",
		Short: "Move received payments from pending into available",
		Args:  cobra.NoArgs,
		RunE: inSession(&home, &node, true, func(cmd *cobra.Command, ctx context.Context, s *session) error {
			curs, err := s.Wallet.Accounts(ctx, s.Client)
			if err != nil {
				return ledgerError(err)
			}
			if currency != "" {
				c, err := ledger.ParseCurrency(currency)
				if err != nil {
					return failf("--currency: %v", err)
				}
				curs = []ledger.Currency{c}
			}
			var ids []ledger.TxID
			for _, c := range curs {
				id, n, err := s.Sender.ApplyPending(ctx, c)
				if err != nil {
					err = ledgerError(err)
					if len(ids) > 0 {
						// those printed above are sent, and may commit: a rerun moves only the rest
						err = withHint(err, fmt.Sprintf("the transactions printed above were sent; run 'sable apply-pending --home %s' again for the rest", s.ID.Home))
					}
					return err
				}
				if n > 0 {
					fmt.Fprintf(cmd.OutOrStdout(), "%s %s (%d payments)\n", id, c, n)
					ids = append(ids, id)
				}
			}
			if len(ids) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "nothing pending")
			}
			if !wait {
				return nil
			}
			// Wait for every one, then sync once: a transaction that
			// committed is not undone by another's failure.
			var first error
			committed := 0
			for _, id := range ids {
				if err := waitCommitted(cmd, ctx, s, id); err != nil {
					first = cmp.Or(first, err)
					continue
				}
				committed++
			}
			if committed > 0 {
				afterCommit(cmd, ctx, s)
			}
			return first
		}),
	}
	partyFlags(cmd, &home, &node)
	cmd.Flags().StringVar(&currency, "currency", "", "only this currency")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until committed")
	return cmd
}

func newStatusCmd() *cobra.Command {
	var home, node string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status TXID [--home DIR | --node URL]",
		Short: "Where a transaction is: pre-validated, committed at height H, applied by the receiver, or rejected",
		Args:  exactArgs(1, "TXID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := ledger.ParseTxID(args[0])
			if err != nil {
				return failf("%v", err)
			}
			if node == "" && home != "" {
				pid, err := party.LoadIdentity(home)
				if err != nil {
					return failf("%v", err)
				}
				node = pid.Config.Node
			}
			if node == "" {
				return failf("give --node URL or --home DIR")
			}
			c, err := client.Dial(node)
			if err != nil {
				return failf("%v", err)
			}
			ctx, cancel := commandContext()
			defer cancel()
			o, err := c.Track(ctx, id)
			if err != nil {
				return failf("%v", err)
			}
			if asJSON {
				b, _ := json.Marshal(o)
				fmt.Fprintln(cmd.OutOrStdout(), string(b))
				return nil
			}
			fmt.Fprintln(cmd.OutOrStdout(), describe(o))
			if o.State == "rejected" || o.State == "unknown" {
				return &cliError{code: 1}
			}
			return nil
		},
	}
	partyFlags(cmd, &home, &node)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func describe(o client.Outcome) string {
	switch o.State {
	case "committed":
		s := o.Status
		line := fmt.Sprintf("committed at height %d: %s from %s", s.Height, s.Kind, s.Sender)
		if s.To != "" {
			line += " to " + s.To
		}
		if s.Kind == "transfer" || s.Kind == "mint" {
			if s.Applied > 0 {
				line += fmt.Sprintf("; applied by the receiver at height %d", s.Applied)
			} else {
				line += "; pending at the receiver"
			}
		}
		return line
	case "rejected":
		return fmt.Sprintf("rejected at height %d (code %d): %s", o.Height, o.Code, o.Reason)
	case "pre-validated":
		return "pre-validated: in the mempool, waiting for a block"
	}
	return "unknown: not on the ledger and not in this node's mempool"
}

func newMintCmd(burn bool) *cobra.Command {
	var home, node, to, currency, amount string
	var wait bool
	use, short := "mint --home ISSUER --to BANK --currency CUR --amount A [--wait]", "Issue money into a bank's pending balance (currency issuer only)"
	if burn {
		use, short = "burn --home ISSUER --currency CUR --amount A [--wait]", "Destroy money from the issuer's own available balance"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, amt, err := parseMoney(currency, amount)
			if err != nil {
				return err
			}
			s, ctx, done, err := begin(home, node)
			if err != nil {
				return err
			}
			defer done()
			var id ledger.TxID
			if burn {
				id, err = s.Sender.Burn(ctx, c, amt)
			} else {
				id, err = s.Sender.Mint(ctx, to, c, amt)
			}
			if err != nil {
				return ledgerError(err)
			}
			return submitted(cmd, ctx, s, id, wait)
		},
	}
	partyFlags(cmd, &home, &node)
	if !burn {
		cmd.Flags().StringVar(&to, "to", "", "receiving bank")
	}
	cmd.Flags().StringVar(&currency, "currency", "", "the issuer's currency")
	cmd.Flags().Var(&onceValue{v: &amount}, "amount", "decimal amount in major units, no thousands separators (one per command)")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until committed")
	return cmd
}
