package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/sable-settlement/sable/internal/atomicfile"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/iso"
)

func newISOCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "iso",
		Short: "ISO 20022: pay a pacs.008, write pacs.002 status reports, camt.053 statements and camt.054 notifications",
		Long: `ISO 20022 for a bank's back office. The mapping files in HOME/iso20022
(agents: "BIC BANK-ID" per line; accounts: "BANK-ID ACCOUNT TOKEN-HEX" per
line) say which Sable bank an agent BIC is and which beneficiary token a
creditor account is. Message ids, UETRs and amounts stay in the bank's
home; nothing ISO-specific goes on the ledger. See README, ISO 20022.`,
	}
	cmd.AddCommand(newISOSubmitCmd(), newISOStatusCmd(), newISOStatementCmd(), newISONotifyCmd())
	return subcommandsOnly(cmd)
}

// isoHeader is the header of a document Sable writes now (a variable:
// tests fix the id and the clock).
var isoHeader = func() iso.Header {
	var b [4]byte
	rand.Read(b[:])
	now := time.Now().UTC()
	return iso.Header{MsgID: "SBL" + now.Format("20060102150405") + hex.EncodeToString(b[:]), Created: now}
}

// isoNow is the time a message is received (a variable for tests).
var isoNow = time.Now

// headerFor is isoHeader with the bank's own BIC from its agents file.
func headerFor(home, me string) iso.Header {
	h := isoHeader()
	if m, err := iso.LoadMapping(home); err == nil {
		h.BIC = m.BICs[me]
	}
	return h
}

// writeDoc writes a document to out, or to stdout when out is empty.
func writeDoc(cmd *cobra.Command, out string, doc []byte) error {
	if out == "" {
		_, err := cmd.OutOrStdout().Write(doc)
		return err
	}
	if err := atomicfile.Write(out, doc, 0o600); err != nil {
		return failf("%v", err)
	}
	return nil
}

func isoError(err error) error {
	if errors.Is(err, iso.ErrMapping) {
		return withHint(failf("%v", err), "agents: one \"BIC BANK-ID\" per line; accounts: one \"BANK-ID ACCOUNT TOKEN-HEX\" per line; # starts a comment")
	}
	if errors.Is(err, os.ErrNotExist) {
		return withHint(failf("%v", err), "write the bank's agents file first (see 'sable iso --help')")
	}
	return ledgerError(err)
}

func readMessage(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, failf("%v", err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, iso.MaxMessageBytes+1))
	if err != nil {
		return nil, failf("%v", err)
	}
	return raw, nil
}

func newISOSubmitCmd() *cobra.Command {
	var home, node, out string
	var wait bool
	cmd := &cobra.Command{
		Use:   "submit --home DIR [--wait] [--out FILE] FILE.xml",
		Short: "Pay a pacs.008.001.08; writes its pacs.002.001.10 status report",
		Long: `Pay a pacs.008.001.08 and write its pacs.002.001.10 status report.

The message is checked whole first: a message Sable cannot honour (schema,
unknown BIC, currency, too many decimals, missing or unknown creditor
account, a message id or UETR seen before) is refused with RJCT and its
reason code, nothing paid, and the command exits 1. Otherwise each credit
transfer is paid as its own transfer to its beneficiary token, and the
report gives each its own status: ACSP once sent, ACSC with the block
height once committed (--wait), RJCT with the reason code if the ledger
refuses it.`,
		Args: exactArgs(1, "FILE.xml"),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := readMessage(args[0])
			if err != nil {
				return err
			}
			if home == "" {
				return failf("--home is required")
			}
			if _, err := iso.LoadMapping(home); err != nil { // before the node is asked anything
				return isoError(err)
			}
			s, ctx, done, err := begin(home, node)
			if err != nil {
				return err
			}
			defer done()
			rec, err := iso.Submit(ctx, home, s.ID.Config.ID, raw, iso.SenderPayer{S: s.Sender}, isoNow())
			if err != nil {
				return isoError(err)
			}
			if wait {
				if err := settle(cmd, ctx, s, rec); err != nil {
					return err
				}
			}
			return reportSubmitted(cmd, home, s.ID.Config.ID, out, rec)
		},
	}
	partyFlags(cmd, &home, &node)
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until every payment sent is committed")
	cmd.Flags().StringVar(&out, "out", "", "write the pacs.002 here (default: stdout)")
	return cmd
}

// settle waits for each sent payment's commit, records what the ledger
// says, and syncs the wallet; a wait that ends without an answer leaves
// the payment ACSP.
func settle(cmd *cobra.Command, ctx context.Context, s *session, rec *iso.Record) error {
	if !sentAny(rec) {
		return nil // refused: nothing to wait for, and a replay's record must not replace the stored one
	}
	committed := false
	for _, t := range rec.Tx {
		id, err := ledger.ParseTxID(t.LedgerTx)
		if t.LedgerTx == "" || err != nil {
			continue
		}
		if o, err := s.Client.WaitCommitted(ctx, id, 60*time.Second); err != nil {
			warnf(cmd, "%s: %s", t.EndToEndID, oneLine(err))
		} else if o.State == "committed" {
			committed = true
		}
	}
	if err := refreshAndSave(ctx, s, rec); err != nil {
		return err
	}
	if committed {
		afterCommit(cmd, ctx, s)
	}
	return nil
}

func sentAny(rec *iso.Record) bool {
	for _, t := range rec.Tx {
		if t.LedgerTx != "" {
			return true
		}
	}
	return false
}

// refreshAndSave brings rec's statuses up to the ledger and stores them.
func refreshAndSave(ctx context.Context, s *session, rec *iso.Record) error {
	if err := iso.Refresh(ctx, s.Client, rec); err != nil {
		return ledgerError(err)
	}
	st, err := iso.LoadStore(s.ID.Home)
	if err != nil {
		return isoError(err)
	}
	if _, ok := st.Messages[rec.MsgID]; ok {
		st.Messages[rec.MsgID] = rec
	}
	if err := st.Save(); err != nil {
		return failf("%v", err)
	}
	return nil
}

func allTx(rec *iso.Record) []int {
	idx := make([]int, len(rec.Tx))
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// reportSubmitted writes the pacs.002 of a submitted message; a refused
// message is an error after its report is written.
func reportSubmitted(cmd *cobra.Command, home, me, out string, rec *iso.Record) error {
	doc, err := iso.Pacs002(headerFor(home, me), []iso.Match{{Record: rec, Tx: allTx(rec)}})
	if err != nil {
		return failf("%v", err)
	}
	if err := writeDoc(cmd, out, doc); err != nil {
		return err
	}
	switch iso.GroupStatus(rec) {
	case iso.StatusRejected:
		reason, info := rec.Reason, rec.Info
		for _, t := range rec.Tx {
			if reason == "" && t.Reason != iso.ReasonWholeMessage {
				reason, info = t.Reason, t.Info
			}
		}
		return withHint(failf("message %s refused, nothing paid: %s %s", rec.MsgID, reason, info), "the pacs.002 written gives each transaction's status and reason")
	case "PART":
		warnf(cmd, "message %s was paid in part: the pacs.002 gives each transaction's status; do not resubmit it", rec.MsgID)
	}
	return nil
}

func newISOStatusCmd() *cobra.Command {
	var home, node, uetr, msgID, out string
	cmd := &cobra.Command{
		Use:   "status --home DIR [--uetr U | --msg-id M | TXID] [--out FILE]",
		Short: "Write pacs.002.001.10 status reports of submitted messages, brought up to the ledger",
		Args:  cobra.MaximumNArgs(1),
		RunE: inSession(&home, &node, false, func(cmd *cobra.Command, ctx context.Context, s *session) error {
			txid := ""
			if args := cmd.Flags().Args(); len(args) == 1 {
				id, err := ledger.ParseTxID(args[0])
				if err != nil {
					return failf("%v", err)
				}
				txid = id.String()
			}
			st, err := iso.LoadStore(home)
			if err != nil {
				return isoError(err)
			}
			matches := st.Find(uetr, txid, msgID)
			if len(matches) == 0 {
				return withHint(failf("no submitted payment matches"), "'sable iso status --home DIR' reports every message submitted")
			}
			for _, m := range matches {
				if err := iso.Refresh(ctx, s.Client, m.Record); err != nil {
					return ledgerError(err)
				}
			}
			if err := st.Save(); err != nil {
				return failf("%v", err)
			}
			doc, err := iso.Pacs002(headerFor(home, s.ID.Config.ID), matches)
			if err != nil {
				return failf("%v", err)
			}
			return writeDoc(cmd, out, doc)
		}),
	}
	partyFlags(cmd, &home, &node)
	cmd.Flags().StringVar(&uetr, "uetr", "", "only the payment with this UETR")
	cmd.Flags().StringVar(&msgID, "msg-id", "", "only the payments of this pacs.008 message id")
	cmd.Flags().StringVar(&out, "out", "", "write the pacs.002 here (default: stdout)")
	return cmd
}

// account is one account's history, read so that it matches the wallet:
// a sync, the ledger's entries, and a second sync that must find nothing
// new (else read again).
type account struct {
	book    *big.Int
	entries []iso.Entry
	tip     int64
}

func readAccount(ctx context.Context, s *session, c ledger.Currency) (*account, error) {
	for attempt := 0; attempt < 3; attempt++ {
		if err := s.sync(ctx); err != nil {
			return nil, err
		}
		tip, _, err := s.Client.Height(ctx)
		if err != nil {
			return nil, ledgerError(err)
		}
		entries, err := iso.History(ctx, s.Client, s.ID, c)
		if err != nil {
			return nil, ledgerError(err)
		}
		rep, err := s.Wallet.Sync(ctx, s.Client)
		if err != nil {
			return nil, ledgerError(err)
		}
		if rep.Committed > 0 || rep.Received > 0 {
			continue // something landed meanwhile
		}
		base, err := s.Wallet.Base(c)
		if err != nil {
			return nil, ledgerError(err)
		}
		pend, err := s.Wallet.PendingSum(c)
		if err != nil {
			return nil, ledgerError(err)
		}
		book := new(big.Int).Add(new(big.Int).SetUint64(base.Value), new(big.Int).SetUint64(pend.Value))
		for _, e := range entries {
			tip = max(tip, e.Height)
		}
		return &account{book: book, entries: entries, tip: tip}, nil
	}
	return nil, withHint(failf("the account kept moving while it was read"), "try again")
}

// blockTimes returns the time of a block height, asked of the node once.
func blockTimes(ctx context.Context, s *session) func(int64) time.Time {
	seen := map[int64]time.Time{}
	return func(h int64) time.Time {
		if h < 1 {
			return time.Time{}
		}
		if t, ok := seen[h]; ok {
			return t
		}
		sh, err := s.Client.SignedHeader(ctx, h)
		if err == nil {
			seen[h] = sh.Header.Time
		}
		return seen[h]
	}
}

func newISOStatementCmd() *cobra.Command {
	var home, node, currency, out string
	var from, to int64
	cmd := &cobra.Command{
		Use:   "statement --home DIR --currency CUR [--from H --to H] [--out FILE]",
		Short: "Write a camt.053.001.08 statement of one account between two block heights",
		Long: `Write a camt.053.001.08 statement of one account: the opening balance
before block --from, each payment out and in with its block height, and
the closing balance after block --to (default: the whole history up to
now). Balances are the book balance, available plus received pending, as
'sable balance' shows it. The entries are read back from the ledger and
opened with the bank's own memo key; a payment sent for a pacs.008 carries
its message id, end-to-end id and UETR.`,
		Args: cobra.NoArgs,
		RunE: inSession(&home, &node, false, func(cmd *cobra.Command, ctx context.Context, s *session) error {
			c, err := ledger.ParseCurrency(currency)
			if err != nil {
				return failf("--currency: %v", err)
			}
			acct, err := readAccount(ctx, s, c)
			if err != nil {
				return err
			}
			if to == 0 {
				to = acct.tip
			}
			if from < 1 || from > to || to > acct.tip {
				return failf("--from %d --to %d: want 1 ≤ from ≤ to ≤ %d, the ledger's height", from, to, acct.tip)
			}
			st, err := statement(ctx, s, c, acct, from, to)
			if err != nil {
				return err
			}
			store, err := iso.LoadStore(home)
			if err != nil {
				return isoError(err)
			}
			doc, err := iso.Camt053(headerFor(home, s.ID.Config.ID), st, iso.RefsFrom(store))
			if err != nil {
				return failf("%v", err)
			}
			return writeDoc(cmd, out, doc)
		}),
	}
	partyFlags(cmd, &home, &node)
	cmd.Flags().StringVar(&currency, "currency", "", "the account's currency")
	cmd.Flags().Int64Var(&from, "from", 1, "first block height")
	cmd.Flags().Int64Var(&to, "to", 0, "last block height (default: the ledger's height)")
	cmd.Flags().StringVar(&out, "out", "", "write the camt.053 here (default: stdout)")
	return cmd
}

func statement(ctx context.Context, s *session, c ledger.Currency, acct *account, from, to int64) (iso.Statement, error) {
	opening, closing, in, err := iso.Book(acct.book, acct.entries, from, to)
	if err != nil {
		return iso.Statement{}, failf("%v", err)
	}
	h := headerFor(s.ID.Home, s.ID.Config.ID)
	return iso.Statement{Bank: s.ID.Config.ID, BIC: h.BIC, Currency: c, From: from, To: to,
		Opening: opening, Closing: closing, Entries: in, At: blockTimes(ctx, s)}, nil
}

func newISONotifyCmd() *cobra.Command {
	var home, node, currency, out string
	cmd := &cobra.Command{
		Use:   "notify --home DIR --currency CUR [--out FILE]",
		Short: "Sync the wallet and write a camt.054.001.08 of the payments received since the last notify",
		Args:  cobra.NoArgs,
		RunE: inSession(&home, &node, false, func(cmd *cobra.Command, ctx context.Context, s *session) error {
			c, err := ledger.ParseCurrency(currency)
			if err != nil {
				return failf("--currency: %v", err)
			}
			acct, err := readAccount(ctx, s, c)
			if err != nil {
				return err
			}
			store, err := iso.LoadStore(home)
			if err != nil {
				return isoError(err)
			}
			var fresh []iso.Entry
			for _, e := range acct.entries {
				if e.Credit && !store.Notified[e.Payment.String()] {
					fresh = append(fresh, e)
				}
			}
			if len(fresh) == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "no payments received since the last notify")
				return nil
			}
			h := headerFor(home, s.ID.Config.ID)
			st := iso.Statement{Bank: s.ID.Config.ID, BIC: h.BIC, Currency: c, Entries: fresh, At: blockTimes(ctx, s)}
			doc, err := iso.Camt054(h, st, iso.RefsFrom(store))
			if err != nil {
				return failf("%v", err)
			}
			if err := writeDoc(cmd, out, doc); err != nil {
				return err
			}
			for _, e := range fresh {
				store.Notified[e.Payment.String()] = true
			}
			if err := store.Save(); err != nil {
				return failf("%v", err)
			}
			return nil
		}),
	}
	partyFlags(cmd, &home, &node)
	cmd.Flags().StringVar(&currency, "currency", "", "the account's currency")
	cmd.Flags().StringVar(&out, "out", "", "write the camt.054 here (default: stdout)")
	return cmd
}
