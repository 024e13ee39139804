package iso

import (
	"encoding/xml"
	"fmt"
	"math/big"
	"time"

	"github.com/moov-io/iso20022/pkg/utils"

	"github.com/sable-settlement/sable/ledger"
)

// Namespaces of the statements and notifications Sable writes.
const (
	Camt053NameSpace = utils.DocumentCamt05300108NameSpace
	Camt054NameSpace = utils.DocumentCamt05400108NameSpace
)

// Statement is one account's movements between two block heights.
type Statement struct {
	Bank     string // the bank's Sable id
	BIC      string // the bank's BIC, "" if unknown
	Currency ledger.Currency
	From, To int64 // block heights, inclusive
	Opening  *big.Int
	Closing  *big.Int
	Entries  []Entry
	// At is the time of a block height (its header's); nil or a zero
	// time leaves booking times out and dates balances by the header.
	At func(height int64) time.Time
}

// Book derives a statement from the book balance now (after the last of
// entries) and every entry: the opening balance is that before block from,
// the closing one that after block to. It fails on a negative balance,
// which only a history that does not match the wallet can give.
func Book(now *big.Int, entries []Entry, from, to int64) (opening, closing *big.Int, in []Entry, err error) {
	opening, closing = new(big.Int).Set(now), new(big.Int).Set(now)
	for _, e := range entries {
		if e.Height >= from {
			opening.Sub(opening, e.Signed())
		}
		if e.Height > to {
			closing.Sub(closing, e.Signed())
		}
		if e.Height >= from && e.Height <= to {
			in = append(in, e)
		}
	}
	if opening.Sign() < 0 || closing.Sign() < 0 {
		return nil, nil, nil, fmt.Errorf("iso: the ledger's entries do not add up to the wallet's balance; run 'sable wallet sync' and try again")
	}
	return opening, closing, in, nil
}

// The documents are written with these narrow structs rather than the
// library's types, whose amounts are float64 (see the package doc); the
// element names and order are camt.053.001.08's and camt.054.001.08's.
type camtDocument struct {
	XMLName xml.Name        `xml:"Document"`
	NS      string          `xml:"xmlns,attr"`
	Stmt    *camtMessage    `xml:"BkToCstmrStmt,omitempty"`
	Ntfctn  *camtNotMessage `xml:"BkToCstmrDbtCdtNtfctn,omitempty"`
}

type camtGroupHeader struct {
	MsgID   string `xml:"MsgId"`
	CreDtTm string `xml:"CreDtTm"`
}

type camtMessage struct {
	GrpHdr camtGroupHeader `xml:"GrpHdr"`
	Stmt   []camtReport    `xml:"Stmt"`
}

type camtNotMessage struct {
	GrpHdr camtGroupHeader `xml:"GrpHdr"`
	Ntfctn []camtReport    `xml:"Ntfctn"`
}

// camtReport is a Stmt (camt.053) or an Ntfctn (camt.054): the same
// elements, a notification without balances.
type camtReport struct {
	ID             string        `xml:"Id"`
	CreDtTm        string        `xml:"CreDtTm"`
	Acct           camtAccount   `xml:"Acct"`
	Bal            []camtBalance `xml:"Bal,omitempty"`
	Ntry           []camtEntry   `xml:"Ntry,omitempty"`
	AddtlStmtInf   string        `xml:"AddtlStmtInf,omitempty"`
	AddtlNtfctnInf string        `xml:"AddtlNtfctnInf,omitempty"`
}

type camtAccount struct {
	ID   string     `xml:"Id>Othr>Id"`
	Ccy  string     `xml:"Ccy"`
	Svcr *camtAgent `xml:"Svcr,omitempty"`
}

type camtAgent struct {
	BIC string `xml:"FinInstnId>BICFI"`
}

type camtAmount struct {
	Ccy   string `xml:"Ccy,attr"`
	Value string `xml:",chardata"`
}

type camtBalance struct {
	Tp        string     `xml:"Tp>CdOrPrtry>Cd"`
	Amt       camtAmount `xml:"Amt"`
	CdtDbtInd string     `xml:"CdtDbtInd"`
	DtTm      string     `xml:"Dt>DtTm"`
}

type camtEntry struct {
	NtryRef      string        `xml:"NtryRef"`
	Amt          camtAmount    `xml:"Amt"`
	CdtDbtInd    string        `xml:"CdtDbtInd"`
	Sts          string        `xml:"Sts>Cd"`
	BookgDt      string        `xml:"BookgDt>DtTm,omitempty"`
	Domain       string        `xml:"BkTxCd>Domn>Cd"`
	Family       string        `xml:"BkTxCd>Domn>Fmly>Cd"`
	SubFamily    string        `xml:"BkTxCd>Domn>Fmly>SubFmlyCd"`
	TxDtls       camtTxDetails `xml:"NtryDtls>TxDtls"`
	AddtlNtryInf string        `xml:"AddtlNtryInf"`
}

type camtTxDetails struct {
	Refs       *camtRefs  `xml:"Refs,omitempty"`
	Amt        camtAmount `xml:"Amt"`
	CdtDbtInd  string     `xml:"CdtDbtInd"`
	AddtlTxInf string     `xml:"AddtlTxInf"`
}

type camtRefs struct {
	MsgID      string `xml:"MsgId,omitempty"`
	InstrID    string `xml:"InstrId,omitempty"`
	EndToEndID string `xml:"EndToEndId,omitempty"`
	UETR       string `xml:"UETR,omitempty"`
	TxID       string `xml:"TxId,omitempty"`
}

// isoTime is xs:dateTime in UTC.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// Refs finds the ISO ids an entry's payment was sent under (nil for one
// not sent for a pacs.008, and for every payment in: the payer's ids are
// not on the ledger).
type Refs func(e Entry) (msgID string, t *TxRecord)

// RefsFrom looks payments out up in a store.
func RefsFrom(s *Store) Refs {
	return func(e Entry) (string, *TxRecord) {
		if e.Credit {
			return "", nil
		}
		for _, m := range s.Find("", e.TxID.String(), "") {
			for _, i := range m.Tx {
				if t := m.Record.Tx[i]; t.Payment == e.Index {
					return m.Record.MsgID, t
				}
			}
		}
		return "", nil
	}
}

// Camt053 writes a statement of st.
func Camt053(h Header, st Statement, refs Refs) ([]byte, error) {
	r := st.report(h, refs)
	r.Bal = []camtBalance{
		balance("OPBD", st.Currency, st.Opening, st.time(st.From-1, h.Created)),
		balance("CLBD", st.Currency, st.Closing, st.time(st.To, h.Created)),
	}
	r.AddtlStmtInf = fmt.Sprintf("Sable account %s %s, block heights %d to %d", st.Bank, st.Currency, st.From, st.To)
	return writeCamt(camtDocument{NS: Camt053NameSpace, Stmt: &camtMessage{GrpHdr: header(h), Stmt: []camtReport{r}}})
}

// Camt054 writes a notification of st's entries (credits, after a sync);
// balances are not part of it.
func Camt054(h Header, st Statement, refs Refs) ([]byte, error) {
	r := st.report(h, refs)
	r.AddtlNtfctnInf = fmt.Sprintf("Sable account %s %s, %d payments received", st.Bank, st.Currency, len(st.Entries))
	return writeCamt(camtDocument{NS: Camt054NameSpace, Ntfctn: &camtNotMessage{GrpHdr: header(h), Ntfctn: []camtReport{r}}})
}

func header(h Header) camtGroupHeader {
	return camtGroupHeader{MsgID: h.MsgID, CreDtTm: isoTime(h.Created)}
}

func (st Statement) time(height int64, fallback time.Time) time.Time {
	if st.At != nil {
		if t := st.At(height); !t.IsZero() {
			return t
		}
	}
	return fallback
}

func (st Statement) report(h Header, refs Refs) camtReport {
	r := camtReport{ID: h.MsgID, CreDtTm: isoTime(h.Created), Acct: camtAccount{ID: st.Bank, Ccy: st.Currency.String()}}
	if st.BIC != "" {
		r.Acct.Svcr = &camtAgent{BIC: st.BIC}
	}
	for _, e := range st.Entries {
		r.Ntry = append(r.Ntry, st.entry(e, refs))
	}
	return r
}

func balance(tp string, c ledger.Currency, v *big.Int, at time.Time) camtBalance {
	ind := "CRDT"
	if v.Sign() < 0 {
		ind = "DBIT"
	}
	return camtBalance{Tp: tp, Amt: camtAmount{Ccy: c.String(), Value: ledger.FormatBig(c, new(big.Int).Abs(v))},
		CdtDbtInd: ind, DtTm: isoTime(at)}
}

// entry is one booked entry: received credit transfers are PMNT/RCDT,
// issued ones PMNT/ICDT, both cross-border (XBCT).
func (st Statement) entry(e Entry, refs Refs) camtEntry {
	amt := camtAmount{Ccy: st.Currency.String(), Value: ledger.FormatAmount(st.Currency, e.Amount)}
	ce := camtEntry{NtryRef: e.Payment.String()[:32], Amt: amt, CdtDbtInd: "DBIT", Sts: "BOOK",
		Domain: "PMNT", Family: "ICDT", SubFamily: "XBCT"}
	dir := "to"
	if e.Credit {
		ce.CdtDbtInd, ce.Family, dir = "CRDT", "RCDT", "from"
	}
	if t := st.time(e.Height, time.Time{}); !t.IsZero() {
		ce.BookgDt = isoTime(t)
	}
	ce.AddtlNtryInf = fmt.Sprintf("block height %d, sable payment %s", e.Height, e.Payment)
	ce.TxDtls = camtTxDetails{Amt: amt, CdtDbtInd: ce.CdtDbtInd,
		AddtlTxInf: fmt.Sprintf("%s %s, sable txid %s payment %d", dir, e.Counterparty, e.TxID, e.Index)}
	if refs != nil {
		if msgID, t := refs(e); t != nil {
			ce.TxDtls.Refs = &camtRefs{MsgID: msgID, InstrID: t.InstrID, EndToEndID: t.EndToEndID, UETR: t.UETR, TxID: t.TxID}
		}
	}
	return ce
}

func writeCamt(d camtDocument) ([]byte, error) {
	out, err := xml.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("iso: writing %s: %w", d.NS, err)
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}
