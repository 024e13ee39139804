package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/party"
)

// Batch files. 'sable transfer --batch FILE' reads payments, one a line,
// as CSV (receiver,currency,amount[,beneficiary], an optional header line
// naming those columns) or as JSON lines ({"receiver": "bank-hk",
// "currency": "SGD", "amount": "1250.50", "beneficiary": "<hex>"}), the
// form chosen by the first payment line; blank lines and lines starting
// with '#' are skipped, and so is a UTF-8 byte order mark and Windows line
// ends, as spreadsheets write them. Every error names the file and the
// line.

// batchLine is one payment line in JSON.
type batchLine struct {
	Receiver    string `json:"receiver"`
	Currency    string `json:"currency"`
	Amount      string `json:"amount"`
	Beneficiary string `json:"beneficiary,omitempty"`
}

// batchReader parses payment lines as they come, CSV or JSON lines.
type batchReader struct {
	name string // the file's name, for errors
	line int
	json *bool // nil until the first payment line sets the form
}

// parse reads one line; ok is false for a line that holds no payment.
func (b *batchReader) parse(text string) (req party.TransferRequest, ok bool, err error) {
	b.line++
	at := fmt.Sprintf("%s:%d", b.name, b.line)
	if b.line == 1 {
		text = strings.TrimPrefix(text, "\ufeff") // the byte order mark spreadsheets write first
	}
	text = strings.TrimSpace(text)
	if text == "" || strings.HasPrefix(text, "#") {
		return req, false, nil
	}
	if b.json == nil {
		isJSON := strings.HasPrefix(text, "{")
		b.json = &isJSON
		head := strings.ToLower(strings.ReplaceAll(text, " ", ""))
		if !isJSON && (head == "receiver,currency,amount,beneficiary" || head == "receiver,currency,amount") {
			return req, false, nil // the CSV header
		}
	}
	var l batchLine
	if *b.json {
		dec := json.NewDecoder(strings.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			return req, false, withHint(failf("%s: %v", at, err), `one JSON object a line: {"receiver": "bank-hk", "currency": "SGD", "amount": "1250.50"}, and optionally "beneficiary"`)
		}
	} else {
		r := csv.NewReader(strings.NewReader(text))
		r.TrimLeadingSpace = true
		rec, err := r.Read()
		if err != nil || len(rec) < 3 || len(rec) > 4 {
			return req, false, withHint(failf("%s: %q is not receiver,currency,amount[,beneficiary]", at, text), "one payment a line, e.g. bank-hk,SGD,1250.50")
		}
		l = batchLine{Receiver: rec[0], Currency: rec[1], Amount: rec[2]}
		if len(rec) == 4 {
			l.Beneficiary = rec[3]
		}
	}
	return l.request(at)
}

// request checks a line's fields and makes its payment.
func (l batchLine) request(at string) (party.TransferRequest, bool, error) {
	var req party.TransferRequest
	if !ledger.ValidID(l.Receiver) {
		return req, false, failf("%s: receiver %q is not a bank id such as bank-hk", at, l.Receiver)
	}
	c, err := ledger.ParseCurrency(strings.TrimSpace(l.Currency))
	if err != nil {
		return req, false, failf("%s: currency: %v", at, err)
	}
	amt, err := parseAmountIn(c, at+": amount "+fmt.Sprintf("%q", l.Amount), l.Amount, "one amount a line")
	if err != nil {
		return req, false, err
	}
	req = party.TransferRequest{To: l.Receiver, Currency: c, Amount: amt}
	if l.Beneficiary != "" {
		if req.Beneficiary, err = parseBeneficiary(at+": beneficiary", l.Beneficiary); err != nil {
			return req, false, err
		}
	}
	return req, true, nil
}

// readBatchFile reads a whole batch file; "-" is standard input.
func readBatchFile(name string, in io.Reader) ([]party.TransferRequest, error) {
	r := in
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, failf("--batch: %v", err)
		}
		defer f.Close()
		r = f
	}
	br := &batchReader{name: name}
	var out []party.TransferRequest
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		req, ok, err := br.parse(sc.Text())
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, req)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, failf("--batch %s: %v", name, err)
	}
	if len(out) == 0 {
		return nil, withHint(failf("--batch %s holds no payment", name), "one payment a line: bank-hk,SGD,1250.50")
	}
	return out, nil
}

// chunks splits payments into batches of at most ledger.MaxBatchPayments.
func chunks(reqs []party.TransferRequest) [][]party.TransferRequest {
	var out [][]party.TransferRequest
	for len(reqs) > 0 {
		n := min(len(reqs), ledger.MaxBatchPayments)
		out, reqs = append(out, reqs[:n]), reqs[n:]
	}
	return out
}

// sendBatches submits each batch in turn and prints its transaction id;
// with wait, it waits for each to commit.
func sendBatches(cmd *cobra.Command, ctx context.Context, s *session, batches [][]party.TransferRequest, wait bool) error {
	for i, b := range batches {
		id, err := s.Sender.Batch(ctx, b)
		if err != nil {
			if i > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "sable: note: the %d batches before this one were sent; their ids are above\n", i)
			}
			return ledgerError(err)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "sable: batch of %d payments\n", len(b))
		if err := submitted(cmd, ctx, s, id, wait); err != nil {
			return err
		}
	}
	return nil
}

// streamBatches is --batch-window: it reads payment lines as they arrive
// and sends those that arrive within window of the first one of a batch
// as one batch (sooner when ledger.MaxBatchPayments are gathered), until
// the input ends. A line that does not parse stops it, after the batch
// gathered so far is sent.
func streamBatches(cmd *cobra.Command, ctx context.Context, s *session, name string, in io.Reader, window time.Duration, wait bool) error {
	type item struct {
		req party.TransferRequest
		err error
	}
	lines := make(chan item)
	br := &batchReader{name: name}
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			req, ok, err := br.parse(sc.Text())
			if err != nil || ok {
				select {
				case lines <- item{req, err}:
				case <-ctx.Done():
					return
				}
			}
			if err != nil {
				return
			}
		}
		if err := sc.Err(); err != nil {
			select {
			case lines <- item{err: failf("%s: %v", name, err)}:
			case <-ctx.Done():
			}
		}
	}()
	var batch []party.TransferRequest
	var timer <-chan time.Time
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		b := batch
		batch, timer = nil, nil
		return sendBatches(cmd, ctx, s, [][]party.TransferRequest{b}, wait)
	}
	for {
		select {
		case it, open := <-lines:
			if !open {
				return flush()
			}
			if it.err != nil {
				if err := flush(); err != nil {
					return err
				}
				return it.err
			}
			if len(batch) == 0 {
				timer = time.After(window)
			}
			if batch = append(batch, it.req); len(batch) == ledger.MaxBatchPayments {
				if err := flush(); err != nil {
					return err
				}
			}
		case <-timer:
			if err := flush(); err != nil {
				return err
			}
		case <-ctx.Done():
			if len(batch) > 0 {
				return failf("interrupted: the %d payments gathered since the last batch were not sent", len(batch))
			}
			return failf("interrupted")
		}
	}
}
