package iso

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/moov-io/iso20022/pkg/common"
	"github.com/moov-io/iso20022/pkg/document"
	"github.com/moov-io/iso20022/pkg/pacs_v08"
	"github.com/moov-io/iso20022/pkg/utils"

	"github.com/sable-settlement/sable/ledger"
)

// Pacs008NameSpace is the pacs.008 version Sable reads.
const Pacs008NameSpace = utils.DocumentPacs00800108NameSpace

// MaxMessageBytes bounds a pacs.008 read; MaxTransactions its credit
// transfers.
const (
	MaxMessageBytes = 4 << 20
	MaxTransactions = 1000
)

// NoRef stands for the message id of a message too broken to give one.
const NoRef = "NONREF"

var uetrPattern = regexp.MustCompile(`^[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$`)

// Refusal is why a message or one of its transactions is refused: an ISO
// external status reason code and a line a person can act on.
type Refusal struct {
	Reason string
	Info   string
}

func refuse(reason, format string, a ...any) *Refusal {
	info := fmt.Sprintf(format, a...)
	if len(info) > 105 { // Max105Text
		info = info[:105]
	}
	return &Refusal{Reason: reason, Info: info}
}

// Instruction is one credit transfer of a pacs.008, checked and mapped to
// a Sable payment.
type Instruction struct {
	InstrID, EndToEndID, TxID, UETR string
	To                              string // receiving Sable bank
	Currency                        ledger.Currency
	Amount                          uint64 // minor units
	Account                         string // creditor account
	Beneficiary                     [32]byte
	Refused                         *Refusal // nil when it can be paid
}

// Message is a pacs.008 read and checked. Refused is set when the group
// is refused (then Tx may be empty); a message may be paid only when
// Payable.
type Message struct {
	MsgID   string
	Created time.Time
	Tx      []Instruction
	Refused *Refusal
}

// Payable reports whether nothing in m is refused.
func (m *Message) Payable() bool {
	if m.Refused != nil {
		return false
	}
	for _, t := range m.Tx {
		if t.Refused != nil {
			return false
		}
	}
	return true
}

// refuseWhole marks every sound transaction of a message with a refused
// one as not paid.
func (m *Message) refuseWhole() {
	for i := range m.Tx {
		if m.Tx[i].Refused == nil {
			m.Tx[i].Refused = refuse(ReasonWholeMessage, wholeMessageRefused)
		}
	}
}

// amountTexts is the one part of a pacs.008 read outside the library: the
// amounts as written, because the library reads them into float64.
type amountTexts struct {
	Total *amountText  `xml:"FIToFICstmrCdtTrf>GrpHdr>TtlIntrBkSttlmAmt"`
	Tx    []amountText `xml:"FIToFICstmrCdtTrf>CdtTrfTxInf>IntrBkSttlmAmt"`
}

type amountText struct {
	Ccy   string `xml:"Ccy,attr"`
	Value string `xml:",chardata"`
}

// Parse reads a pacs.008.001.08 sent by bank me and checks it against the
// schema's rules (through the library), Sable's rules and the bank's
// mapping. Every refusal, of the message or of one transaction, is in the
// Message; a message with any refusal is refused whole (Payable is false).
func Parse(raw []byte, me string, m *Mapping) *Message {
	msg, doc, texts := decode(raw)
	if msg.Refused != nil {
		return msg
	}
	msg.MsgID = string(doc.GrpHdr.MsgId)
	msg.Created = time.Time(doc.GrpHdr.CreDtTm)
	if r := checkGroup(doc); r != nil {
		msg.Refused = r
		return msg
	}
	c := checker{me: me, m: m, grp: &doc.GrpHdr, uetrs: map[string]bool{}}
	for i := range doc.CdtTrfTxInf {
		msg.Tx = append(msg.Tx, c.instruction(&doc.CdtTrfTxInf[i], texts.Tx[i]))
	}
	if r := checkTotal(doc, texts, msg.Tx); r != nil {
		msg.Refused = r
	}
	if !msg.Payable() {
		msg.refuseWhole()
	}
	return msg
}

// decode parses and validates the document with the library, and reads
// the amounts' text.
func decode(raw []byte) (*Message, *pacs_v08.FIToFICustomerCreditTransferV08, *amountTexts) {
	msg := &Message{MsgID: NoRef}
	if len(raw) > MaxMessageBytes {
		msg.Refused = refuse(ReasonFormat, "message of %d bytes is over the %d-byte limit", len(raw), MaxMessageBytes)
		return msg, nil, nil
	}
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '<' { // the library would read JSON too
		msg.Refused = refuse(ReasonFormat, "not an XML document")
		return msg, nil, nil
	}
	d, err := document.ParseIso20022Document(raw)
	if err != nil {
		msg.Refused = refuse(ReasonFormat, "not a pacs.008.001.08 document: %v", err)
		return msg, nil, nil
	}
	doc, ok := d.InspectMessage().(*pacs_v08.FIToFICustomerCreditTransferV08)
	if !ok || d.NameSpace() != Pacs008NameSpace {
		msg.Refused = refuse(ReasonFormat, "schema %s, want %s", d.NameSpace(), Pacs008NameSpace)
		return msg, nil, nil
	}
	if doc.GrpHdr.MsgId != "" && len(doc.GrpHdr.MsgId) <= 35 {
		msg.MsgID = string(doc.GrpHdr.MsgId)
	}
	normalizeChoices(doc)
	if err := d.Validate(); err != nil {
		msg.Refused = refuse(ReasonFormat, "fails the schema's rules: %v", err)
		return msg, nil, nil
	}
	var texts amountTexts
	if err := xml.Unmarshal(raw, &texts); err != nil || len(texts.Tx) != len(doc.CdtTrfTxInf) {
		msg.Refused = refuse(ReasonFormat, "interbank settlement amounts do not read")
		return msg, nil, nil
	}
	return msg, doc, &texts
}

func checkGroup(doc *pacs_v08.FIToFICustomerCreditTransferV08) *Refusal {
	n := len(doc.CdtTrfTxInf)
	if n == 0 || n > MaxTransactions {
		return refuse(ReasonFormat, "%d credit transfers; want 1 to %d", n, MaxTransactions)
	}
	if got, err := strconv.Atoi(string(doc.GrpHdr.NbOfTxs)); err != nil || got != n {
		return refuse(ReasonFormat, "NbOfTxs %q but %d credit transfers", doc.GrpHdr.NbOfTxs, n)
	}
	return nil
}

// checkTotal checks TtlIntrBkSttlmAmt, when given, against the exact sum.
func checkTotal(doc *pacs_v08.FIToFICustomerCreditTransferV08, texts *amountTexts, tx []Instruction) *Refusal {
	if texts.Total == nil {
		return nil
	}
	c, err := ledger.ParseCurrency(strings.TrimSpace(texts.Total.Ccy))
	if err != nil {
		return refuse(ReasonCurrency, "total in %q, a currency Sable does not settle", texts.Total.Ccy)
	}
	total, err := ledger.ParseAmount(c, strings.TrimSpace(texts.Total.Value))
	if err != nil {
		return refuse(ReasonAmount, "total interbank settlement amount does not read")
	}
	sum := uint64(0)
	for _, t := range tx {
		if t.Refused != nil {
			return nil // refused already, for its own reason
		}
		if t.Currency != c {
			return refuse(ReasonControlSum, "total in %s but a transaction in %s", c, t.Currency)
		}
		if sum+t.Amount < sum {
			return refuse(ReasonControlSum, "transactions overflow 2^64 minor units")
		}
		sum += t.Amount
	}
	if sum != total {
		return refuse(ReasonControlSum, "total interbank settlement amount is not the sum of the transactions")
	}
	return nil
}

// normalizeChoices works around the library's AccountIdentification4Choice,
// whose Othr member is not optional: an account given by IBAN alone would
// fail validation. The IBAN is copied into Othr/Id, which only the
// validation sees; accountID still prefers the IBAN.
func normalizeChoices(doc *pacs_v08.FIToFICustomerCreditTransferV08) {
	for i := range doc.CdtTrfTxInf {
		tx := &doc.CdtTrfTxInf[i]
		for _, a := range []*pacs_v08.CashAccount38{tx.CdtrAcct, tx.DbtrAcct} {
			if a != nil && a.Id.IBAN != nil && a.Id.Othr.Id == "" {
				a.Id.Othr.Id = common.Max34Text(*a.Id.IBAN)
			}
		}
	}
}
