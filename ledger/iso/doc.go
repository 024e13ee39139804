// Package iso is a bank's ISO 20022 side of Sable: it pays a pacs.008
// FI-to-FI customer credit transfer, answers with pacs.002 status reports,
// and writes camt.053 statements and camt.054 credit notifications of the
// bank's accounts. Nothing ISO-specific reaches the ledger: message ids,
// end-to-end ids, UETRs and amounts stay in the bank's own home.
//
//	mapping.go  the bank's mapping files: agent BICs to Sable banks, creditor accounts to beneficiary tokens
//	pacs008.go  reads and checks a pacs.008.001.08 into payments, or the reasons to refuse it
//	instruction.go  the checks of one credit transfer, in order: ids, debtor agent, receiver, amount, creditor
//	reason.go   ISO external status reason codes, and Sable's rejection codes mapped to them
//	store.go    the message store: (message id, end-to-end id, UETR) → txid and status
//	submit.go   pays checked instructions through a Payer: one batch transfer per receiver and currency
//	pacs002.go  pacs.002.001.10 status reports
//	history.go  the account's entries read back from the ledger with the bank's memo key
//	camt.go     camt.053.001.08 statements and camt.054.001.08 notifications
//
// # Library
//
// Messages are parsed and checked with github.com/moov-io/iso20022
// (pacs_v08, pacs_v10, camt_v08): its types carry the schema's element
// names, multiplicities and simple-type patterns, and Validate applies them.
// Two of its choices are not safe for money, and this package works around
// them:
//   - amounts are float64. A pacs.008's amounts are therefore also read as
//     the exact decimal text they were written in (amountText), and only
//     that text is used; the float is ignored.
//   - encoding/xml writes a float64 of a million as "1e+06", which is no
//     xs:decimal. pacs.002 carries no amount: it is written with the
//     library's types and validated by the library before it is returned.
//     camt.053 and camt.054 are written with narrow structs in the
//     schema's element order, amounts as exact decimal text; the tests
//     read them back with the library's types. (The library's Validate
//     cannot check them: its camt_v08 choice types, such as
//     AccountIdentification4Choice (IBAN, Othr) and BalanceType10Choice
//     (Cd, Prtry), make every member of a choice mandatory.)
//
// The library's patterns are unanchored regular expressions, so a BIC and
// a UETR are checked again here against anchored patterns; and its pacs_v08
// AccountIdentification4Choice requires Othr even beside an IBAN, so the
// IBAN is copied into Othr for the check alone (normalizeChoices).
//
// # Invariants
//
//   - A message is checked whole before anything is paid: a message that
//     fails any check (schema, unknown BIC, currency, decimals, missing or
//     unknown creditor account, duplicate message id or UETR) is refused
//     with RJCT for every transaction and pays nothing.
//   - A message id is recorded in the store before the first payment is
//     sent, so a resubmission with the same message id is refused (DUPL),
//     never paid twice, even after a crash half-way.
//   - The credit transfers to one bank in one currency go as one batch
//     transfer (up to ledger.MaxBatchPayments, each payment to its own
//     token), the others as single transfers: a batch can mix banks and
//     currencies, but one payment it cannot make refuses it whole, so
//     grouping by bank and currency keeps a bad token or a short balance
//     from refusing the message's other payments. Each transaction's status in
//     pacs.002 is its own: a ledger transaction refused does not undo the
//     others, so a message may be paid in part (GrpSts PART).
//   - The store, and every document written to a file, is written by temp
//     file and rename, mode 0600; the mapping files are the bank's, only read.
//   - No amount, blinding or key is logged; amounts appear only in the
//     documents written for the bank itself.
//
// # Files in the bank's home
//
//	iso20022/agents     BIC → Sable bank id, one "BIC BANK-ID" per line
//	iso20022/accounts   creditor account → beneficiary token, one "BANK-ID ACCOUNT TOKEN-HEX" per line
//	iso20022/store.json the message store
//
// Blank lines and lines starting with # are ignored in the mapping files;
// anything else malformed (wrong field count, bad BIC, unknown bank id
// syntax, a token that is not 32 bytes of hex, a duplicate key) refuses the
// whole file, naming the line.
package iso
