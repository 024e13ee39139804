package ledger

import "fmt"

// Response codes. They are part of the protocol: a code keeps its meaning
// forever, and clients branch on it.
const (
	CodeOK                 uint32 = 0
	CodeEncoding           uint32 = 1  // truncated or malformed bytes
	CodeTooLarge           uint32 = 2  // over a size limit
	CodeVersion            uint32 = 3  // unsupported transaction version
	CodeUnknownKind        uint32 = 4  // unknown transaction kind
	CodeBadPoint           uint32 = 5  // a commitment off the curve, outside the subgroup or non-canonical
	CodeBadProofFormat     uint32 = 6  // proof bytes are not valid points
	CodeUnknownSender      uint32 = 7  // sender is not registered
	CodeBadSignature       uint32 = 8  // signature does not verify
	CodeBadNonce           uint32 = 9  // replayed or out-of-order nonce
	CodeUnauthorized       uint32 = 10 // sender may not send this kind
	CodeUnknownAccount     uint32 = 11 // no such account (party, currency)
	CodeUnknownReceiver    uint32 = 12 // receiver is not a registered bank
	CodeUnknownBeneficiary uint32 = 13 // token not registered to the receiver in this currency
	CodeStaleBalance       uint32 = 14 // proof made against an available balance that has changed
	CodeBadProof           uint32 = 15 // proof does not verify
	CodeAlreadyExists      uint32 = 16 // registration of something that exists
	CodeDuplicateTx        uint32 = 17 // this exact transaction is already committed
	CodeBadMemo            uint32 = 18 // memo of the wrong size
	CodeFlowMalformed      uint32 = 19 // HE flow ciphertext malformed, missing, or not a single encryption
	CodeSelfTransfer       uint32 = 20 // sender pays itself
	CodeUnknownPayment     uint32 = 21 // apply-pending names a payment that is not pending
	CodeFlowParams         uint32 = 22 // HE flow ciphertext made for other parameters
	CodeFlowTooLarge       uint32 = 23 // HE flow ciphertext over the size limit
	CodeFlowDegenerate     uint32 = 24 // HE flow ciphertext visibly no encryption (e.g. c1 = 0: noiseless, readable by anyone)
	CodeAggregateFull      uint32 = 25 // an HE aggregate the flow would enter is at its capacity until the regulator closes its epoch
	CodeStaleClose         uint32 = 26 // an epoch close made for an aggregate that has changed since; audit again
	CodeStaleSupply        uint32 = 27 // a mint proved against a supply that has changed since; sync and mint again
	CodeFlowLoad           uint32 = 28 // HE flow ciphertext claims another load than its number of payments
	CodeLayoutFull         uint32 = 29 // the currency's book has no slot groups left for a new account
	CodeBatchFlows         uint32 = 30 // a batch's flows or available balances do not match its payments' currencies
	CodeBatchProofs        uint32 = 31 // a batch book does not carry one proof per chunk of zkp.BatchSize of its currency's payments
	CodeIdentityAmount     uint32 = 32 // a batch payment's amount is the identity Com(0, 0), which a batch proof reads as padding
	CodeNoBatch            uint32 = 33 // the chain pins no batch verifying key: it predates batch proofs, and refuses batch transfers
	CodeInternal           uint32 = 99 // the node's own fault; the transaction may be retried
	// Codes 40–49 are FX's (fx.go).
	// Codes 50–54 are key epochs' (rotate.go).
)

// Rejection is a transaction refused with a code and a message a person can
// act on.
type Rejection struct {
	Code uint32
	Msg  string
}

func (r *Rejection) Error() string { return fmt.Sprintf("code %d: %s", r.Code, r.Msg) }

func Reject(code uint32, format string, a ...any) *Rejection {
	return &Rejection{Code: code, Msg: fmt.Sprintf(format, a...)}
}
