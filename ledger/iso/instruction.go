package iso

import (
	"errors"
	"strings"

	"github.com/moov-io/iso20022/pkg/pacs_v08"

	"github.com/sable-settlement/sable/ledger"
)

// checker maps the credit transfers of one message to payments.
type checker struct {
	me    string
	m     *Mapping
	grp   *pacs_v08.GroupHeader93
	uetrs map[string]bool
}

// instruction checks one credit transfer; the first check that fails is
// its refusal.
func (c *checker) instruction(tx *pacs_v08.CreditTransferTransaction39, amt amountText) Instruction {
	in := Instruction{EndToEndID: string(tx.PmtId.EndToEndId)}
	if tx.PmtId.InstrId != nil {
		in.InstrID = string(*tx.PmtId.InstrId)
	}
	if tx.PmtId.TxId != nil {
		in.TxID = string(*tx.PmtId.TxId)
	}
	if tx.PmtId.UETR != nil {
		in.UETR = string(*tx.PmtId.UETR)
	}
	for _, check := range []func(*pacs_v08.CreditTransferTransaction39, amountText, *Instruction) *Refusal{
		c.ids, c.debtorAgent, c.receiver, c.amount, c.creditor,
	} {
		if r := check(tx, amt, &in); r != nil {
			in.Refused = r
			break
		}
	}
	return in
}

func (c *checker) ids(_ *pacs_v08.CreditTransferTransaction39, _ amountText, in *Instruction) *Refusal {
	if in.UETR == "" {
		return nil
	}
	if !uetrPattern.MatchString(in.UETR) {
		return refuse(ReasonFormat, "UETR %q is not a lower-case UUIDv4", in.UETR)
	}
	if c.uetrs[in.UETR] {
		return refuse(ReasonDuplicate, "UETR %s appears twice in the message", in.UETR)
	}
	c.uetrs[in.UETR] = true
	return nil
}

// agentBIC is an agent's BIC, "" when the agent or its BIC is absent.
func agentBIC(a *pacs_v08.BranchAndFinancialInstitutionIdentification6) string {
	if a == nil || a.FinInstnId.BICFI == nil {
		return ""
	}
	return string(*a.FinInstnId.BICFI)
}

// debtorAgent refuses a transfer whose instructing or debtor agent is
// named by a BIC that is not this bank's.
func (c *checker) debtorAgent(tx *pacs_v08.CreditTransferTransaction39, _ amountText, _ *Instruction) *Refusal {
	for _, a := range []*pacs_v08.BranchAndFinancialInstitutionIdentification6{c.grp.InstgAgt, tx.InstgAgt, &tx.DbtrAgt} {
		bic := agentBIC(a)
		if bic == "" {
			continue
		}
		norm, ok := NormBIC(bic)
		if !ok {
			return refuse(ReasonDebtorBank, "%q is not a BIC", bic)
		}
		if bank, ok := c.m.Banks[norm]; !ok || bank != c.me {
			return refuse(ReasonDebtorBank, "debtor or instructing agent %s is not %s", norm, c.me)
		}
	}
	return nil
}

// receiver maps the instructed agent (the transaction's, else the
// group's, else the creditor agent) to a Sable bank.
func (c *checker) receiver(tx *pacs_v08.CreditTransferTransaction39, _ amountText, in *Instruction) *Refusal {
	bic := agentBIC(tx.InstdAgt)
	if bic == "" {
		bic = agentBIC(c.grp.InstdAgt)
	}
	if bic == "" {
		bic = agentBIC(&tx.CdtrAgt)
	}
	if bic == "" {
		return refuse(ReasonBank, "no instructed agent BIC")
	}
	norm, ok := NormBIC(bic)
	if !ok {
		return refuse(ReasonBank, "%q is not a BIC", bic)
	}
	if in.To, ok = c.m.Banks[norm]; !ok {
		return refuse(ReasonBank, "BIC %s is not a Sable bank in the agents file", norm)
	}
	if in.To == c.me {
		return refuse(ReasonForbidden, "BIC %s is this bank itself", norm)
	}
	return nil
}

// amount reads the settlement amount's exact text in its currency.
func (c *checker) amount(_ *pacs_v08.CreditTransferTransaction39, amt amountText, in *Instruction) *Refusal {
	cur, err := ledger.ParseCurrency(strings.TrimSpace(amt.Ccy))
	if err != nil {
		return refuse(ReasonCurrency, "currency %q is not settled by Sable", amt.Ccy)
	}
	in.Currency = cur
	text := strings.TrimSpace(amt.Value)
	if _, frac, ok := strings.Cut(text, "."); ok && len(frac) > cur.MinorDigits() {
		return refuse(ReasonAmount, "amount has more than %d decimals for %s", cur.MinorDigits(), cur)
	}
	v, err := ledger.ParseAmount(cur, text)
	switch {
	case err != nil && tooLarge(text):
		return refuse(ReasonTooLarge, "amount is at or beyond 2^64 minor units of %s", cur)
	case err != nil:
		return refuse(ReasonAmount, "amount is not a plain decimal")
	case v == 0:
		return refuse(ReasonZeroAmount, "amount is zero")
	}
	in.Amount = v
	return nil
}

// errNoAccount is a creditor without an account id.
var errNoAccount = errors.New("no creditor account")

// creditor maps the creditor account to a beneficiary token of the
// receiving bank.
func (c *checker) creditor(tx *pacs_v08.CreditTransferTransaction39, _ amountText, in *Instruction) *Refusal {
	if tx.Cdtr.Nm == nil && tx.Cdtr.Id == nil && tx.Cdtr.PstlAdr == nil {
		return refuse(ReasonCreditor, "creditor missing")
	}
	acct, err := accountID(tx.CdtrAcct)
	if err != nil {
		return refuse(ReasonCreditor, "creditor account missing")
	}
	in.Account = acct
	tok, ok := c.m.Accounts[accountKey(in.To, acct)]
	if !ok {
		return refuse(ReasonCreditorAcct, "creditor account %s of %s is not in the accounts file", acct, in.To)
	}
	in.Beneficiary = tok
	return nil
}

func accountID(a *pacs_v08.CashAccount38) (string, error) {
	switch {
	case a == nil:
		return "", errNoAccount
	case a.Id.IBAN != nil && *a.Id.IBAN != "":
		return string(*a.Id.IBAN), nil
	case a.Id.Othr.Id != "":
		return string(a.Id.Othr.Id), nil
	}
	return "", errNoAccount
}

// tooLarge reports whether a refused amount is a well-formed decimal
// (digits, at most one point with digits after it, no more decimals than
// the currency has: checked before), so refused for its size alone.
func tooLarge(text string) bool {
	whole, frac, dot := strings.Cut(text, ".")
	return whole != "" && !(dot && frac == "") && strings.Trim(whole+frac, "0123456789") == ""
}
