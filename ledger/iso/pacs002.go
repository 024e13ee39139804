package iso

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"time"

	"github.com/moov-io/iso20022/pkg/common"
	"github.com/moov-io/iso20022/pkg/document"
	"github.com/moov-io/iso20022/pkg/pacs_v10"
	"github.com/moov-io/iso20022/pkg/utils"
)

// Pacs002NameSpace is the pacs.002 version Sable writes.
const Pacs002NameSpace = utils.DocumentPacs00200110NameSpace

// Header is what a document Sable writes says of itself: its message id,
// its creation time and the bank that sends it. Tests fix them.
type Header struct {
	MsgID   string
	Created time.Time
	BIC     string // this bank's BIC; empty leaves the agents out
}

// GroupStatus is a record's status as a whole: RJCT when the message was
// refused or every transaction was; ACSC when all settled; PART when some
// were rejected and others not; otherwise ACSP.
func GroupStatus(r *Record) string {
	if r.Refused() {
		return StatusRejected
	}
	n := map[string]int{}
	for _, t := range r.Tx {
		n[t.Status]++
	}
	switch {
	case n[StatusRejected] == len(r.Tx):
		return StatusRejected
	case n[StatusSettled] == len(r.Tx):
		return StatusSettled
	case n[StatusRejected] > 0:
		return "PART"
	}
	return StatusAccepted
}

// Pacs002 writes a pacs.002.001.10 reporting the matched transactions of
// each record, each with its own status: ACSC carries the block height in
// ClrSysRef, and AddtlInf reads "block H, sable txid X" (" pmt J" for
// payment J of a bulk transfer); RJCT carries its reason code.
// The document is validated by the library before it is returned.
func Pacs002(h Header, matches []Match) ([]byte, error) {
	rpt := &pacs_v10.FIToFIPaymentStatusReportV10{GrpHdr: pacs_v10.GroupHeader91{
		MsgId: common.Max35Text(h.MsgID), CreDtTm: common.ISODateTime(h.Created.UTC())}}
	if h.BIC != "" {
		rpt.GrpHdr.InstgAgt = agent(h.BIC)
	}
	for _, m := range matches {
		rpt.OrgnlGrpInfAndSts = append(rpt.OrgnlGrpInfAndSts, groupInfo(m.Record))
		for _, i := range m.Tx {
			rpt.TxInfAndSts = append(rpt.TxInfAndSts, txInfo(m.Record, m.Record.Tx[i]))
		}
	}
	return encode(Pacs002NameSpace, rpt)
}

func agent(bic string) *pacs_v10.BranchAndFinancialInstitutionIdentification6 {
	b := common.BICFIDec2014Identifier(bic)
	return &pacs_v10.BranchAndFinancialInstitutionIdentification6{FinInstnId: pacs_v10.FinancialInstitutionIdentification18{BICFI: &b}}
}

func groupInfo(r *Record) pacs_v10.OriginalGroupHeader17 {
	sts := pacs_v10.ExternalPaymentGroupStatus1Code(GroupStatus(r))
	n := common.Max15NumericText(strconv.Itoa(len(r.Tx)))
	g := pacs_v10.OriginalGroupHeader17{OrgnlMsgId: common.Max35Text(r.MsgID), OrgnlMsgNmId: "pacs.008.001.08",
		OrgnlNbOfTxs: &n, GrpSts: &sts}
	if !r.Created.IsZero() {
		c := common.ISODateTime(r.Created)
		g.OrgnlCreDtTm = &c
	}
	if r.Refused() {
		g.StsRsnInf = []pacs_v10.StatusReasonInformation12{reason(r.Reason, r.Info)}
	}
	return g
}

func reason(code, info string) pacs_v10.StatusReasonInformation12 {
	s := pacs_v10.StatusReasonInformation12{}
	if code != "" {
		c := pacs_v10.ExternalStatusReason1Code(code)
		s.Rsn = &pacs_v10.StatusReason6Choice{Cd: &c}
	}
	if info != "" {
		s.AddtlInf = []common.Max105Text{common.Max105Text(clip(info))}
	}
	return s
}

func txInfo(r *Record, t *TxRecord) pacs_v10.PaymentTransaction110 {
	sts := pacs_v10.ExternalPaymentTransactionStatus1Code(t.Status)
	orig := pacs_v10.OriginalGroupInformation29{OrgnlMsgId: common.Max35Text(r.MsgID), OrgnlMsgNmId: "pacs.008.001.08"}
	p := pacs_v10.PaymentTransaction110{OrgnlGrpInf: &orig, OrgnlEndToEndId: text35(t.EndToEndID),
		OrgnlInstrId: text35(t.InstrID), OrgnlTxId: text35(t.TxID), TxSts: &sts}
	if t.UETR != "" {
		u := common.UUIDv4Identifier(t.UETR)
		p.OrgnlUETR = &u
	}
	info := t.Info
	if t.LedgerTx != "" {
		info = "sable txid " + t.LedgerTx
		if t.Bulk {
			info += fmt.Sprintf(" pmt %d", t.Payment)
		}
	}
	if t.Status == StatusSettled {
		p.ClrSysRef = text35(strconv.FormatInt(t.Height, 10))
		info = fmt.Sprintf("block %d, %s", t.Height, info)
	}
	if t.Reason != "" || info != "" {
		p.StsRsnInf = []pacs_v10.StatusReasonInformation12{reason(t.Reason, rejectionInfo(t, info))}
	}
	return p
}

// rejectionInfo keeps a rejection's own words when it has a txid too.
func rejectionInfo(t *TxRecord, info string) string {
	if t.Status == StatusRejected && t.Info != "" {
		return t.Info
	}
	return info
}

func text35(s string) *common.Max35Text {
	if s == "" {
		return nil
	}
	v := common.Max35Text(s)
	return &v
}

// encode wraps a message in its Document, validates it with the library
// and writes it indented.
func encode(ns string, msg document.Iso20022Message) ([]byte, error) {
	doc := &document.Iso20022DocumentObject{
		XMLName: xml.Name{Local: "Document"},
		Attrs:   []xml.Attr{{Name: xml.Name{Local: utils.XmlDefaultNamespace}, Value: ns}},
		Message: msg,
	}
	if err := doc.Validate(); err != nil {
		return nil, fmt.Errorf("iso: writing %s: %w", ns, err)
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("iso: writing %s: %w", ns, err)
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}
