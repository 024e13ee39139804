package iso

import (
	"errors"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/party"
)

// ISO 20022 external status reason codes (ExternalStatusReason1Code) that
// Sable gives.
const (
	ReasonFormat        = "FF01" // invalid file format: not XML, wrong schema, fails the schema's rules
	ReasonDuplicate     = "DUPL" // message id or UETR already received
	ReasonBank          = "RC01" // instructed (creditor) agent BIC unknown, or not a Sable bank
	ReasonDebtorBank    = "RC03" // instructing or debtor agent is not this bank
	ReasonCurrency      = "AM03" // currency not settled by Sable, or no account in it
	ReasonAmount        = "AM12" // amount invalid: more decimals than the currency has, sign, exponent
	ReasonZeroAmount    = "AM01" // amount is zero
	ReasonTooLarge      = "AM02" // amount at or beyond 2^64 minor units
	ReasonControlSum    = "AM10" // total interbank settlement amount is not the sum of the transactions
	ReasonFunds         = "AM04" // insufficient funds
	ReasonCreditor      = "BE04" // creditor or creditor account missing
	ReasonCreditorAcct  = "AC03" // creditor account not mapped, or its token not registered on the ledger
	ReasonForbidden     = "AG01" // transaction forbidden (to itself; sender not allowed)
	ReasonNarrative     = "NARR" // see the additional information
	ReasonWholeMessage  = "NARR" // a sound transaction of a message refused as a whole
	wholeMessageRefused = "not paid: another transaction of the message was refused, so none of it was sent"
)

// ledgerReasons maps Sable's rejection codes (ledger/code.go) to reason
// codes. A code not listed is NARR with the ledger's message.
var ledgerReasons = map[uint32]string{
	ledger.CodeUnknownReceiver:    ReasonBank,
	ledger.CodeUnknownBeneficiary: ReasonCreditorAcct,
	ledger.CodeUnknownAccount:     ReasonCurrency,
	ledger.CodeDuplicateTx:        ReasonDuplicate,
	ledger.CodeSelfTransfer:       ReasonForbidden,
	ledger.CodeUnauthorized:       ReasonForbidden,
}

// LedgerReason returns the ISO reason code for a ledger rejection code.
func LedgerReason(code uint32) string {
	if r, ok := ledgerReasons[code]; ok {
		return r
	}
	return ReasonNarrative
}

// errorReason returns the reason code of an error from paying one
// instruction.
func errorReason(err error) string {
	var rej *ledger.Rejection
	switch {
	case errors.As(err, &rej):
		return LedgerReason(rej.Code)
	case errors.Is(err, party.ErrInsufficient):
		return ReasonFunds
	}
	return ReasonNarrative
}
