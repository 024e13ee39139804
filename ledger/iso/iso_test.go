package iso

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/party"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/iso20022")

const golden = "../../testdata/iso20022"

// tokens of the receiving banks' customer accounts, as the mapping names them
var (
	tokHK1 = strings.Repeat("a1", 32)
	tokHK2 = strings.Repeat("a2", 32)
	tokUS1 = strings.Repeat("b1", 32)
)

// bankHome writes bank-sg's mapping files into a fresh home.
func bankHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	writeMapping(t, home, "# BIC  bank\nSABLSGSGXXX bank-sg\nSABLHKHKXXX bank-hk\nSABLUS33 bank-us\n",
		"bank-hk HK-ACCT-1 "+tokHK1+"\nbank-hk HK-ACCT-2 "+tokHK2+"\n\nbank-us US-ACCT-1 "+tokUS1+"\n")
	return home
}

func writeMapping(t *testing.T, home, agents, accounts string) {
	t.Helper()
	if err := os.MkdirAll(Dir(home), 0o700); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"agents": agents, "accounts": accounts} {
		if err := os.WriteFile(filepath.Join(Dir(home), name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func readGolden(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(golden, name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// checkGolden compares got with testdata/iso20022/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(golden, name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update after checking):\n%s", name, got)
	}
}

func mapping(t *testing.T, home string) *Mapping {
	t.Helper()
	m, err := LoadMapping(home)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseThree(t *testing.T) {
	home := bankHome(t)
	writeMapping(t, home, "SABLSGSGXXX bank-sg\nSABLHKHKXXX bank-hk\nSABLUS33 bank-us\n",
		"bank-hk HK-ACCT-1 "+tokHK1+"\nbank-hk HK-ACCT-2 "+tokHK2+"\nbank-us US64SVBKUS6S3300958879 "+tokUS1+"\n")
	three := strings.Replace(string(readGolden(t, "pacs008_three.xml")), "<Othr><Id>US-ACCT-1</Id></Othr>", "<IBAN>US64SVBKUS6S3300958879</IBAN>", 1)
	msg := Parse([]byte(three), "bank-sg", mapping(t, home))
	if !msg.Payable() {
		t.Fatalf("refused: %+v %+v", msg.Refused, msg.Tx)
	}
	want := []struct {
		to     string
		amount uint64
		tok    string
	}{{"bank-hk", 1250, tokHK1}, {"bank-hk", 725, tokHK2}, {"bank-us", 10000, tokUS1}}
	if msg.MsgID != "MSG-THREE-1" || len(msg.Tx) != len(want) {
		t.Fatalf("msg %s with %d transactions", msg.MsgID, len(msg.Tx))
	}
	for i, w := range want {
		in := msg.Tx[i]
		if in.To != w.to || in.Amount != w.amount || in.Currency.String() != "SGD" || hexTok(in.Beneficiary) != w.tok {
			t.Errorf("tx %d: to %s amount %d %s", i, in.To, in.Amount, in.Currency)
		}
	}
	if msg.Tx[2].UETR != "8a562c67-ca16-48ba-b074-65581be6f013" || msg.Tx[0].EndToEndID != "E2E-1" {
		t.Errorf("ids not kept: %+v", msg.Tx[2])
	}
}

func hexTok(b [32]byte) string {
	const digits = "0123456789abcdef"
	var s strings.Builder
	for _, c := range b {
		s.WriteByte(digits[c>>4])
		s.WriteByte(digits[c&15])
	}
	return s.String()
}

// TestParseRefusals: each message Sable cannot honour is refused whole,
// the faulty transaction with its own reason and the others as not paid.
func TestParseRefusals(t *testing.T) {
	m := mapping(t, bankHome(t))
	three := string(readGolden(t, "pacs008_three.xml"))
	for _, c := range []struct {
		name, xml, group, tx string
	}{
		{"unknown BIC", string(readGolden(t, "pacs008_unknown_bic.xml")), "", ReasonBank},
		{"unknown currency", string(readGolden(t, "pacs008_unknown_currency.xml")), "", ReasonCurrency},
		{"three decimals", string(readGolden(t, "pacs008_three_decimals.xml")), "", ReasonAmount},
		{"missing creditor account", string(readGolden(t, "pacs008_missing_creditor.xml")), "", ReasonCreditor},
		{"not XML", "hello", ReasonFormat, ""},
		{"JSON", `{"Xmlns":"urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08","FIToFICstmrCdtTrf":{"GrpHdr":{"MsgId":"J1","NbOfTxs":"1"},"CdtTrfTxInf":[{}]}}`, ReasonFormat, ""},
		{"truncated", three[:len(three)/2], ReasonFormat, ""},
		{"pacs.008 of another version", strings.Replace(three, "pacs.008.001.08", "pacs.008.001.09", 1), ReasonFormat, ""},
		{"a pacs.002", strings.Replace(three, "pacs.008.001.08", "pacs.002.001.10", 1), ReasonFormat, ""},
		{"no namespace", strings.Replace(three, ` xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"`, "", 1), ReasonFormat, ""},
		{"entity", strings.Replace(strings.Replace(three, "<Document", `<!DOCTYPE Document [<!ENTITY m "MSG-X">]><Document`, 1), "MSG-THREE-1", "&m;", 1), ReasonFormat, ""},
		{"no transactions", three[:strings.Index(three, "    <CdtTrfTxInf>")] + "  </FIToFICstmrCdtTrf>\n</Document>\n", ReasonFormat, ""},
		{"NbOfTxs wrong", strings.Replace(three, "<NbOfTxs>3<", "<NbOfTxs>2<", 1), ReasonFormat, ""},
		{"MsgId too long", strings.Replace(three, "MSG-THREE-1", strings.Repeat("M", 36), 1), ReasonFormat, ""},
		{"bad charge bearer", strings.Replace(three, "SHAR", "NONE", 1), ReasonFormat, ""},
		{"total not the sum", strings.Replace(three, ">119.75<", ">119.76<", 1), ReasonControlSum, ""},
		{"exponent", strings.Replace(three, ">100<", ">1e2<", 1), "", ReasonAmount},
		{"negative", strings.Replace(three, ">100<", ">-100<", 1), "", ReasonAmount},
		{"zero", strings.Replace(three, ">100<", ">0.00<", 1), "", ReasonZeroAmount},
		{"2^64 minor units", strings.Replace(three, ">100<", ">184467440737095516.16<", 1), "", ReasonTooLarge},
		{"lower-case BIC", strings.Replace(three, "<BICFI>SABLUS33XXX", "<BICFI>sablus33xxx", 2), ReasonFormat, ""},
		{"BIC inside junk", strings.Replace(three, "<BICFI>SABLUS33XXX", "<BICFI>--SABLUS33XXX--", 2), "", ReasonBank},
		{"to itself", strings.Replace(three, "SABLUS33XXX", "SABLSGSGXXX", 2), "", ReasonForbidden},
		{"debtor agent not us", strings.Replace(three, "<DbtrAgt><FinInstnId><BICFI>SABLSGSGXXX", "<DbtrAgt><FinInstnId><BICFI>SABLHKHKXXX", 1), "", ReasonDebtorBank},
		{"unmapped creditor account", strings.Replace(three, "US-ACCT-1", "US-ACCT-9", 1), "", ReasonCreditorAcct},
		{"duplicate UETR", strings.Replace(three, "be6f013", "be6f012", 1), "", ReasonDuplicate},
		{"upper-case UETR", strings.Replace(three, "8a562c67-ca16-48ba-b074-65581be6f013", "8A562C67-CA16-48BA-B074-65581BE6F013", 1), ReasonFormat, ""},
		{"UETR inside junk", strings.Replace(three, "8a562c67-ca16-48ba-b074-65581be6f013", "x8a562c67-ca16-48ba-b074-65581be6f013x", 1), "", ReasonFormat},
	} {
		t.Run(c.name, func(t *testing.T) {
			msg := Parse([]byte(c.xml), "bank-sg", m)
			if msg.Payable() {
				t.Fatal("payable")
			}
			if c.group != "" {
				if msg.Refused == nil || msg.Refused.Reason != c.group {
					t.Fatalf("group refusal %+v, want %s", msg.Refused, c.group)
				}
				return
			}
			found := false
			for _, in := range msg.Tx {
				if in.Refused == nil {
					t.Fatalf("transaction %s not refused", in.EndToEndID)
				}
				found = found || in.Refused.Reason == c.tx
			}
			if !found {
				t.Fatalf("no transaction refused with %s: %+v", c.tx, msg.Tx)
			}
		})
	}
}

func TestMappingRefusesMalformed(t *testing.T) {
	for _, c := range []struct{ name, agents, accounts, mention string }{
		{"three fields", "SABLSGSGXXX bank-sg extra\n", "", "line 1"},
		{"bad BIC", "# ok\nSABL-SG bank-sg\n", "", "line 2"},
		{"bad bank id", "SABLSGSGXXX Bank SG\n", "", "line 1"},
		{"BIC twice", "SABLSGSG bank-sg\nSABLSGSGXXX bank-hk\n", "", "twice"},
		{"short token", "SABLSGSG bank-sg\n", "bank-hk A1 abcd\n", "32 bytes"},
		{"account twice", "SABLSGSG bank-sg\n", "bank-hk A1 " + tokHK1 + "\nbank-hk A1 " + tokHK2 + "\n", "twice"},
	} {
		t.Run(c.name, func(t *testing.T) {
			home := t.TempDir()
			writeMapping(t, home, c.agents, c.accounts)
			_, err := LoadMapping(home)
			if !errors.Is(err, ErrMapping) || !strings.Contains(err.Error(), c.mention) {
				t.Fatalf("err %v, want ErrMapping mentioning %q", err, c.mention)
			}
		})
	}
	if _, err := LoadMapping(t.TempDir()); err == nil {
		t.Fatal("a home without an agents file loads")
	}
}

// fakePayer pays without a ledger; fail maps an end-to-end id to the
// error its payment (and the rest of its bulk transfer) meets.
type fakePayer struct {
	paid  []Instruction
	bulks [][]Instruction
	fail  map[string]error
}

func (f *fakePayer) Pay(_ context.Context, in Instruction) (ledger.TxID, error) {
	if err := f.fail[in.EndToEndID]; err != nil {
		return ledger.TxID{}, err
	}
	f.paid = append(f.paid, in)
	var id ledger.TxID
	id[0], id[31] = byte(len(f.paid)), 0xee
	return id, nil
}

func (f *fakePayer) PayBulk(_ context.Context, ins []Instruction) (ledger.TxID, error) {
	for _, in := range ins {
		if err := f.fail[in.EndToEndID]; err != nil {
			return ledger.TxID{}, err
		}
	}
	f.paid = append(f.paid, ins...)
	f.bulks = append(f.bulks, ins)
	var id ledger.TxID
	id[0], id[31] = byte(len(f.paid)), 0xbb
	return id, nil
}

var (
	received = time.Date(2026, 12, 1, 9, 31, 0, 0, time.UTC)
	reported = Header{MsgID: "SABLE-RPT-1", Created: time.Date(2026, 12, 1, 9, 32, 0, 0, time.UTC), BIC: "SABLSGSGXXX"}
)

// TestSubmitRecordsAndRefusesReplay: a sound message is paid once per
// transaction and recorded; the same message id again pays nothing and is
// DUPL; so is another message reusing a UETR.
func TestSubmitRecordsAndRefusesReplay(t *testing.T) {
	home := bankHome(t)
	raw := readGolden(t, "pacs008_three.xml")
	p := &fakePayer{}
	rec, err := Submit(context.Background(), home, "bank-sg", raw, p, received)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.paid) != 3 || GroupStatus(rec) != StatusAccepted {
		t.Fatalf("paid %d, group %s", len(p.paid), GroupStatus(rec))
	}
	st, err := LoadStore(home)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Messages["MSG-THREE-1"]; got == nil || got.Tx[2].LedgerTx == "" || got.Tx[2].Status != StatusAccepted {
		t.Fatalf("store: %+v", got)
	}
	fi, err := os.Stat(filepath.Join(Dir(home), "store.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("store mode %v %v", fi.Mode(), err)
	}

	again, err := Submit(context.Background(), home, "bank-sg", raw, p, received)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.paid) != 3 || again.Reason != ReasonDuplicate {
		t.Fatalf("replay: paid %d, reason %q", len(p.paid), again.Reason)
	}
	reused := bytes.Replace(raw, []byte("MSG-THREE-1"), []byte("MSG-THREE-2"), 1)
	rec2, err := Submit(context.Background(), home, "bank-sg", reused, p, received)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.paid) != 3 || GroupStatus(rec2) != StatusRejected || rec2.Tx[0].Reason != ReasonDuplicate {
		t.Fatalf("UETR reuse: paid %d, %+v", len(p.paid), rec2.Tx[0])
	}
	if st, _ := LoadStore(home); st.Messages["MSG-THREE-1"].Tx[0].Status != StatusAccepted {
		t.Fatal("the replay overwrote the recorded message")
	}
}

// TestSubmitLedgerOutcomes: the two transfers to bank-hk go as one bulk
// transfer and the one to bank-us alone; each transaction keeps its own
// status when the ledger refuses the bulk transfer.
func TestSubmitLedgerOutcomes(t *testing.T) {
	home := bankHome(t)
	p := &fakePayer{fail: map[string]error{
		"E2E-2": ledger.Reject(ledger.CodeUnknownBeneficiary, "beneficiary token is not registered by bank-hk for SGD"),
	}}
	rec, err := Submit(context.Background(), home, "bank-sg", readGolden(t, "pacs008_three.xml"), p, received)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{rec.Tx[0].Reason, rec.Tx[1].Reason, rec.Tx[2].Status}
	if got[0] != ReasonCreditorAcct || got[1] != ReasonCreditorAcct || got[2] != StatusAccepted || GroupStatus(rec) != "PART" {
		t.Fatalf("got %v group %s", got, GroupStatus(rec))
	}
	out, err := Pacs002(reported, []Match{{Record: rec, Tx: []int{0, 1, 2}}})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "pacs002_part.xml", out)
}

func TestBatches(t *testing.T) {
	sgd, usd := ledger.Currency{'S', 'G', 'D'}, ledger.Currency{'U', 'S', 'D'}
	var tx []Instruction
	for i := 0; i < ledger.MaxBatchPayments+6; i++ {
		tx = append(tx, Instruction{To: "bank-hk", Currency: sgd})
	}
	tx = append(tx[:2], append([]Instruction{{To: "bank-us", Currency: sgd}, {To: "bank-hk", Currency: usd}}, tx[2:]...)...)
	got := batches(tx)
	sizes := []int{}
	for _, b := range got {
		sizes = append(sizes, len(b))
	}
	if len(got) != 4 || sizes[0] != ledger.MaxBatchPayments || sizes[1] != 1 || sizes[2] != 1 || sizes[3] != 6 || got[0][2] != 4 {
		t.Fatalf("batches %v", sizes)
	}
}

// TestOutcomes: how a payment's error becomes its status and reason.
func TestOutcomes(t *testing.T) {
	for _, c := range []struct {
		err            error
		status, reason string
		stop           bool
	}{
		{nil, StatusAccepted, "", false},
		{ledger.Reject(ledger.CodeUnknownBeneficiary, "x"), StatusRejected, ReasonCreditorAcct, false},
		{ledger.Reject(ledger.CodeUnknownAccount, "x"), StatusRejected, ReasonCurrency, false},
		{ledger.Reject(ledger.CodeDuplicateTx, "x"), StatusRejected, ReasonDuplicate, false},
		{ledger.Reject(ledger.CodeStaleBalance, "x"), StatusRejected, ReasonNarrative, false},
		{fmt.Errorf("%w: SGD 1.00 available", party.ErrInsufficient), StatusRejected, ReasonFunds, false},
		{&party.MaybeSentError{Err: errors.New("ledger: timeout"), Kind: ledger.KindTransfer, TxID: ledger.TxID{7}, Nonce: 3}, StatusPending, ReasonNarrative, true},
		{errors.New("ledger: timeout; it may have reached the node"), StatusRejected, ReasonNarrative, true}, // the wording alone is no contract
		{errors.New("zkp: proving key does not match"), StatusRejected, ReasonNarrative, true},
	} {
		tr := &TxRecord{}
		stop := outcome(tr, ledger.TxID{1}, c.err)
		if tr.Status != c.status || tr.Reason != c.reason || (stop != "") != c.stop {
			t.Errorf("%v: %s %s stop %q", c.err, tr.Status, tr.Reason, stop)
		}
		if c.status == StatusPending && tr.LedgerTx != (ledger.TxID{7}).String() {
			t.Errorf("%v: a transaction in flight is not tracked: %q", c.err, tr.LedgerTx)
		}
		if strings.Contains(tr.Info, "1.00") {
			t.Errorf("an amount in the status: %q", tr.Info)
		}
	}
}

// TestSubmitRefusedPaysNothing: every refusal of the list yields a
// pacs.002 RJCT with its reason, and nothing is paid.
func TestSubmitRefusedPaysNothing(t *testing.T) {
	for _, name := range []string{"unknown_bic", "unknown_currency", "three_decimals", "missing_creditor"} {
		t.Run(name, func(t *testing.T) {
			p := &fakePayer{}
			rec, err := Submit(context.Background(), bankHome(t), "bank-sg", readGolden(t, "pacs008_"+name+".xml"), p, received)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.paid) != 0 || GroupStatus(rec) != StatusRejected {
				t.Fatalf("paid %d, group %s", len(p.paid), GroupStatus(rec))
			}
			out, err := Pacs002(reported, []Match{{Record: rec, Tx: []int{0, 1}}})
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "pacs002_rjct_"+name+".xml", out)
		})
	}
}

// TestPacs002Settled: settled transactions carry their block height.
func TestPacs002Settled(t *testing.T) {
	home := bankHome(t)
	rec, err := Submit(context.Background(), home, "bank-sg", readGolden(t, "pacs008_three.xml"), &fakePayer{}, received)
	if err != nil {
		t.Fatal(err)
	}
	for i, t := range rec.Tx {
		t.Status, t.Height = StatusSettled, int64(40+i/2)
	}
	out, err := Pacs002(reported, []Match{{Record: rec, Tx: []int{0, 1, 2}}})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "pacs002_acsc.xml", out)
	if !bytes.Contains(out, []byte("<GrpSts>ACSC</GrpSts>")) || !bytes.Contains(out, []byte("<ClrSysRef>41</ClrSysRef>")) {
		t.Fatalf("no ACSC with heights:\n%s", out)
	}
}

// TestSubmitDamagedStore: a store that does not read stops the command
// before anything is paid: without it a replay could not be recognised.
func TestSubmitDamagedStore(t *testing.T) {
	home := bankHome(t)
	if err := os.WriteFile(filepath.Join(Dir(home), "store.json"), []byte(`{"messages":{`), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &fakePayer{}
	_, err := Submit(context.Background(), home, "bank-sg", readGolden(t, "pacs008_three.xml"), p, received)
	if !errors.Is(err, ErrStore) || len(p.paid) != 0 {
		t.Fatalf("err %v, paid %d", err, len(p.paid))
	}
}
