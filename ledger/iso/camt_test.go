package iso

import (
	"context"
	"math"
	"math/big"
	"strconv"
	"testing"
	"time"

	"github.com/moov-io/iso20022/pkg/camt_v08"
	"github.com/moov-io/iso20022/pkg/document"

	"github.com/sable-settlement/sable/ledger"
)

func payment(b byte) ledger.TxID {
	var id ledger.TxID
	for i := range id {
		id[i] = b
	}
	return id
}

// statementFixture: bank-sg's SGD account with a genesis balance of
// 1,000,000.00, two payments out (one sent for a pacs.008) and one in.
func statementFixture(t *testing.T) (Statement, Refs) {
	t.Helper()
	home := bankHome(t)
	p := &fakePayer{}
	if _, err := Submit(context.Background(), home, "bank-sg", readGolden(t, "pacs008_three.xml"), p, received); err != nil {
		t.Fatal(err)
	}
	st, err := LoadStore(home)
	if err != nil {
		t.Fatal(err)
	}
	sent, _ := ledger.ParseTxID(st.Messages["MSG-THREE-1"].Tx[0].LedgerTx)
	entries := []Entry{
		{Height: 5, TxID: sent, Payment: ledger.PaymentID(sent, 0), Amount: 1250, Counterparty: "bank-hk"},
		{Height: 7, TxID: payment(0x22), Payment: payment(0x22), Credit: true, Amount: 100000000, Counterparty: "bank-us"},
		{Height: 9, TxID: payment(0x33), Payment: payment(0x33), Amount: 1, Counterparty: "bank-th"},
	}
	now := big.NewInt(100000000000 - 1250 + 100000000 - 1)
	open, closing, in, err := Book(now, entries, 5, 8)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	return Statement{Bank: "bank-sg", BIC: "SABLSGSGXXX", Currency: ledger.Currency{'S', 'G', 'D'}, From: 5, To: 8,
		Opening: open, Closing: closing, Entries: in,
		At: func(h int64) time.Time { return base.Add(time.Duration(h) * time.Second) }}, RefsFrom(st)
}

// TestCamt053: balances are derived exactly from the book balance and the
// entries (a million and more written as decimals, not 1e+06), and the
// library reads the statement back to the same figures.
func TestCamt053(t *testing.T) {
	st, refs := statementFixture(t)
	if st.Opening.String() != "100000000000" || st.Closing.String() != "100099998750" || len(st.Entries) != 2 {
		t.Fatalf("opening %s closing %s, %d entries", st.Opening, st.Closing, len(st.Entries))
	}
	out, err := Camt053(reported, st, refs)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "camt053.xml", out)
	d, err := document.ParseIso20022Document(out)
	if err != nil {
		t.Fatalf("the library does not read it: %v", err)
	}
	stmt := d.InspectMessage().(*camt_v08.BankToCustomerStatementV08).Stmt[0]
	if len(stmt.Bal) != 2 || stmt.Bal[0].Tp.CdOrPrtry.Cd != "OPBD" || stmt.Bal[1].Amt.Value != 1000999987.50 || stmt.Ntry[1].CdtDbtInd != "CRDT" || string(*stmt.Ntry[0].NtryDtls[0].TxDtls[0].Refs.UETR) != "8a562c67-ca16-48ba-b074-65581be6f011" {
		t.Fatalf("read back: %+v", stmt.Bal)
	}
}

// TestCamt054: a notification carries the entries and the ISO ids of a
// payment Sable sent for a pacs.008.
func TestCamt054(t *testing.T) {
	st, refs := statementFixture(t)
	st.Entries = []Entry{{Height: 5, TxID: payment(0x44), Payment: payment(0x45), Index: 3, Credit: true, Amount: math.MaxUint64, Counterparty: "bank-hk"}}
	out, err := Camt054(reported, st, refs)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "camt054.xml", out)
	d, err := document.ParseIso20022Document(out)
	if err != nil {
		t.Fatalf("the library does not read it: %v", err)
	}
	n := d.InspectMessage().(*camt_v08.BankToCustomerDebitCreditNotificationV08).Ntfctn[0]
	if want := ledger.FormatAmount(st.Currency, math.MaxUint64); len(n.Ntry) != 1 || strconv.FormatFloat(n.Ntry[0].Amt.Value, 'f', 2, 64)[:10] != want[:10] {
		t.Fatalf("read back %v, want %s", n.Ntry, want)
	}
}

func TestBookRefusesInconsistentHistory(t *testing.T) {
	if _, _, _, err := Book(big.NewInt(5), []Entry{{Height: 3, Credit: true, Amount: 6}}, 1, 10); err == nil {
		t.Fatal("a balance below zero was booked")
	}
}
